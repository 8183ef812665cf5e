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

// TestOnlyJSONAsksVersions: the table and the Prometheus text never show
// the clients' versions, so a check that prints them starts no client
// binary; -o json and -o jsonl do, for the ticket.
func TestOnlyJSONAsksVersions(t *testing.T) {
	reg := fixturetest.Start(t, "logged-in")
	dirs := isolate(t, reg.AuthFile)
	bin := t.TempDir()
	for _, output := range []string{"table", "prometheus", "json", "jsonl"} {
		marker := filepath.Join(bin, "asked-"+output)
		// A binary per output: the process caches each path's answer.
		sub := filepath.Join(bin, output)
		if err := os.Mkdir(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		script := "#!/bin/sh\n: > '" + marker + "'\necho 'podman version 9.8.7'\n"
		if err := os.WriteFile(filepath.Join(sub, "podman"), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", sub)
		r := cli(checkArgs(reg, dirs, "-o", output, "--authfile", reg.AuthFile)...)
		if r.code != 0 {
			t.Fatalf("-o %s: exit %d\n%s%s", output, r.code, r.stdout, r.stderr)
		}
		_, err := os.Stat(marker)
		asked := err == nil
		if want := output == "json" || output == "jsonl"; asked != want {
			t.Errorf("-o %s: podman --version run = %v, want %v", output, asked, want)
		}
	}
}
