package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// TestTableWidth: COLUMNS lays the table out (80 at the least), --wide
// and output to a buffer without COLUMNS keep the full text.
func TestTableWidth(t *testing.T) {
	reg := fixturetest.Start(t, "tag-mismatch")
	dirs := isolate(t, reg.AuthFile)
	widest := func(out string) int {
		n := 0
		for _, l := range strings.Split(out, "\n") {
			n = max(n, runewidth.StringWidth(l))
		}
		return n
	}
	full := cli(checkArgs(reg, dirs)...)
	if widest(full.stdout) <= 100 {
		t.Fatalf("without COLUMNS the table should keep its long lines (widest %d):\n%s", widest(full.stdout), full.stdout)
	}
	for _, cols := range []string{"100", "60"} {
		t.Setenv("COLUMNS", cols)
		r := cli(checkArgs(reg, dirs)...)
		n, _ := strconv.Atoi(cols)
		limit := max(n, 80)
		if w := widest(r.stdout); w > limit {
			t.Errorf("COLUMNS=%s: a line of %d columns:\n%s", cols, w, r.stdout)
		}
		if !strings.Contains(r.stdout, "tag-not-found") {
			t.Errorf("COLUMNS=%s: no diagnosis:\n%s", cols, r.stdout)
		}
		wide := cli(checkArgs(reg, dirs, "--wide")...)
		if w := widest(wide.stdout); w <= limit {
			t.Errorf("COLUMNS=%s --wide: widest line %d, want the full text", cols, w)
		}
	}
}

// TestExplainWidth: explain's text wraps to COLUMNS too.
func TestExplainWidth(t *testing.T) {
	const text = "Error: initializing source docker://mirror.docker.com/library/myredis:v1.0.0: reading manifest v1.0.0 in mirror.docker.com/library/myredis: manifest unknown"
	t.Setenv("COLUMNS", "80")
	r := cli("explain", "--no-color", text)
	for _, l := range strings.Split(r.stdout, "\n") {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("a line of %d columns: %q", w, l)
		}
	}
	if !strings.Contains(r.stdout, "tag-not-found") {
		t.Errorf("no diagnosis:\n%s", r.stdout)
	}
	if wide := cli("explain", "--no-color", "--wide", text); !strings.Contains(wide.stdout, "Podman/skopeo/buildah printed: reading manifest v1.0.0 in mirror.docker.com/library/myredis: manifest unknown.") {
		t.Errorf("--wide wrapped the detail:\n%s", wide.stdout)
	}
}
