package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// TestTicketContext: the JSON says when, where and with what it ran: the
// start time, the host, the version the judged client's binary printed,
// and the paths of the configuration files read (the auth file that
// holds the password among them).
func TestTicketContext(t *testing.T) {
	reg := fixturetest.Start(t, "logged-in")
	dirs := isolate(t, reg.AuthFile)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "podman"), []byte("#!/bin/sh\necho 'podman version 9.8.7'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	before := time.Now().Add(-time.Second).UTC()
	r := cli(checkArgs(reg, dirs, "-o", "json", "--authfile", reg.AuthFile)...)
	var doc struct {
		CheckedAt string `json:"checked_at"`
		Host      struct{ OS, Arch string }
		Clients   []struct{ Name, Version string }
		Files     []string `json:"config_files_read"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not JSON (%v): %s", err, r.stdout)
	}
	at, err := time.Parse(time.RFC3339, doc.CheckedAt)
	if err != nil || at.Before(before.Truncate(time.Second)) {
		t.Errorf("checked_at %q (%v), want the run's start, after %s", doc.CheckedAt, err, before)
	}
	if doc.Host.OS != runtime.GOOS || doc.Host.Arch != runtime.GOARCH {
		t.Errorf("host %+v", doc.Host)
	}
	if len(doc.Clients) != 1 || doc.Clients[0].Version != "podman version 9.8.7" {
		t.Errorf("clients %+v, want podman with the fake binary's version", doc.Clients)
	}
	if !slices.Contains(doc.Files, reg.AuthFile) {
		t.Errorf("config_files_read %q lacks the auth file %s", doc.Files, reg.AuthFile)
	}
}
