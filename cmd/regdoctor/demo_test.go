package main

import (
	"bytes"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/regdoctor/regdoctor/fixtures"
)

// TestDemoSummary: `demo` alone is a line per scenario and a total, every
// line within 80 columns, and the fixture servers log nothing (a failed
// handshake is the point of several scenarios).
func TestDemoSummary(t *testing.T) {
	isolate(t, "")
	var logged bytes.Buffer
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	r := cli("demo", "--no-color")
	if r.code != 0 {
		t.Errorf("exit %d; stderr: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if want := len(fixtures.Scenarios()) + 2; len(lines) != want {
		t.Errorf("%d lines, want %d (header, a line per scenario, total):\n%s", len(lines), want, r.stdout)
	}
	for _, l := range lines {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("line of %d columns: %q", w, l)
		}
	}
	if !strings.Contains(r.stdout, "✓ tag-mismatch ") || !strings.Contains(r.stdout, "tag-not-found") {
		t.Errorf("no tag-mismatch row:\n%s", r.stdout)
	}
	if n := len(fixtures.Scenarios()); !strings.HasPrefix(lines[len(lines)-1], "demo: ") || !strings.Contains(lines[len(lines)-1], " of ") {
		t.Errorf("no total for %d scenarios: %q", n, lines[len(lines)-1])
	}
	if logged.Len() > 0 {
		t.Errorf("the fixture servers logged:\n%s", logged.String())
	}
}

func TestDemoNamed(t *testing.T) {
	isolate(t, "")
	r := cli("demo", "--no-color", "tag-mismatch")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "regdoctor check ") || !strings.Contains(r.stdout, "✗ error  tag-not-found") {
		t.Errorf("demo NAME is not the full report:\n%s", r.stdout)
	}
	r = cli("demo", "tag-mismach")
	if r.code != 2 || !strings.Contains(r.stderr, `did you mean tag-mismatch?`) {
		t.Errorf("mistyped name: exit %d, stderr %q; want 2 and a suggestion", r.code, r.stderr)
	}
	r = cli("demo", "healthy", "no-such-thing-at-all")
	if r.code != 2 || strings.Contains(r.stderr, "did you mean") {
		t.Errorf("unknown name among known ones: exit %d, stderr %q; want 2, no suggestion", r.code, r.stderr)
	}
}
