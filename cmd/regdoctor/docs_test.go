package main

import (
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/docs"
)

func TestDocsCommand(t *testing.T) {
	r := cli("docs")
	if r.code != 0 {
		t.Fatalf("docs: exit %d, %s", r.code, r.stderr)
	}
	for _, c := range diagnose.Catalogue() {
		if !strings.Contains(r.stdout, string(c.Code)+" ") || !strings.Contains(r.stdout, c.Title) {
			t.Errorf("the list lacks %s", c.Code)
		}
	}
	r = cli("docs", "tag-not-found")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "tag-not-found\n=============\n") || strings.Contains(r.stdout, "```") || strings.Contains(r.stdout, "**") {
		t.Errorf("docs tag-not-found: exit %d, not the page as plain text:\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, docs.URL("tag-not-found")) {
		t.Errorf("the page does not say where it is published")
	}
	page, _ := docs.Page("tag-not-found")
	if r = cli("docs", "--markdown", "tag-not-found"); !strings.HasPrefix(r.stdout, page) {
		t.Errorf("--markdown is not the source")
	}
	r = cli("docs", "tag-not-fund")
	if r.code != 2 || !strings.Contains(r.stderr, "did you mean tag-not-found?") {
		t.Errorf("mistyped code: exit %d, stderr %q", r.code, r.stderr)
	}
	if r = cli("docs", "../../go.mod"); r.code != 2 {
		t.Errorf("a path is not a code: exit %d", r.code)
	}
}

// TestEveryDiagnosisNamesItsDocs: the catalogue's codes and the embedded
// pages are the same set, so `regdoctor docs CODE` works for every code the
// table prints.
func TestEveryDiagnosisNamesItsDocs(t *testing.T) {
	for _, c := range diagnose.Catalogue() {
		if _, ok := docs.Page(string(c.Code)); !ok {
			t.Errorf("%s: no embedded page", c.Code)
		}
	}
	if n, m := len(docs.Codes()), len(diagnose.Catalogue()); n != m {
		t.Errorf("%d pages, %d codes", n, m)
	}
}

// The default version in checks and the one main compares with must agree,
// or `go install …@VERSION` builds would never report their version.
func TestDefaultVersion(t *testing.T) {
	if checks.Version != defaultVersion {
		t.Skipf("built with -ldflags version %s", checks.Version)
	}
	if got := moduleVersion("v9.9.9"); got != "v9.9.9" {
		t.Errorf("a linked version was replaced: %s", got)
	}
}
