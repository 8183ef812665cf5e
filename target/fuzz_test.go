package target

import (
	"strings"
	"testing"
)

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"registry.example.com", "host:5000/team/app:1.0", "redis:latest", "docker.io", "[::1]:5000/app",
		"https://quay.io/org/app@" + digest, "docker://localhost/app", "UPPER/Case::bad", "", "a:b:c/d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := Parse(s)
		if err != nil {
			if tg != (Target{}) {
				t.Errorf("Parse(%q) failed (%v) but returned %+v", s, err, tg)
			}
			return
		}
		if tg.Input != s || tg.Registry == "" || tg.Host == "" || (tg.Repository == "") != (tg.Reference == "") {
			t.Fatalf("Parse(%q) = %+v is incomplete", s, tg)
		}
		if tg.IsDigest != strings.Contains(tg.Reference, ":") {
			t.Errorf("Parse(%q): IsDigest %v for reference %q", s, tg.IsDigest, tg.Reference)
		}
		// What regdoctor prints as the image must parse back to the same target.
		again, err := Parse(tg.ImageRef())
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, but its ImageRef %q does not parse: %v", s, tg, tg.ImageRef(), err)
		}
		if core(again) != core(tg) {
			t.Errorf("Parse(%q) = %+v, but ImageRef %q parses to %+v", s, tg, tg.ImageRef(), again)
		}
	})
}
