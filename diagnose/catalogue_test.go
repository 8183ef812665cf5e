package diagnose

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The catalogue is a contract: every code has a documentation page whose
// header agrees with the catalogue, and no page documents a code that does
// not exist (istio's analysis messages hold the same rule).

var codeShape = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestCatalogueCodesAreWellFormedAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Catalogue() {
		if !codeShape.MatchString(c.Code) {
			t.Errorf("code %q is not lower-case-with-dashes", c.Code)
		}
		if seen[c.Code] {
			t.Errorf("code %q appears twice", c.Code)
		}
		seen[c.Code] = true
		if c.Title == "" || c.Layer == "" || c.Severity.rank() == 0 {
			t.Errorf("code %q lacks a title, layer or severity", c.Code)
		}
	}
}

func TestEveryCodeHasADocsPage(t *testing.T) {
	root := filepath.Join("..", "docs", "codes")
	index, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatalf("docs index: %v", err)
	}
	for _, c := range Catalogue() {
		page, err := os.ReadFile(filepath.Join("..", c.Docs()))
		if err != nil {
			t.Errorf("%s: no docs page: %v", c.Code, err)
			continue
		}
		text := string(page)
		if !strings.HasPrefix(text, "# "+c.Code+"\n") {
			t.Errorf("%s: page must start with '# %s'", c.Code, c.Code)
		}
		if !strings.Contains(text, "- **Severity:** "+string(c.Severity)) {
			t.Errorf("%s: page does not state severity %s", c.Code, c.Severity)
		}
		if !strings.Contains(text, "- **Layer:** "+string(c.Layer)) {
			t.Errorf("%s: page does not state layer %s", c.Code, c.Layer)
		}
		for _, section := range []string{"## What clients print", "## Cause", "## How regdoctor detects it", "## Fix"} {
			if !strings.Contains(text, section) {
				t.Errorf("%s: page lacks section %q", c.Code, section)
			}
		}
		if !strings.Contains(string(index), c.Code) {
			t.Errorf("%s: missing from docs/codes/README.md", c.Code)
		}
	}
}

func TestNoDocsPageWithoutCode(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("..", "docs", "codes", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(filepath.Base(p), ".md")
		if name == "README" {
			continue
		}
		if _, ok := Lookup(name); !ok {
			t.Errorf("docs page %s documents no catalogue code", p)
		}
	}
}

func TestNewDiagnosisRejectsUnknownCodes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("newDiagnosis accepted a code outside the catalogue")
		}
	}()
	newDiagnosis("no-such-code", "")
}

// Every code a rule can emit must be in the catalogue; newDiagnosis panics
// otherwise, so scan the rule sources for literal codes as well.
func TestRulesUseOnlyCatalogueCodes(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`newDiagnosis\("([a-z0-9-]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			if _, ok := Lookup(m[1]); !ok {
				t.Errorf("%s uses code %q, which is not in the catalogue", f, m[1])
			}
		}
	}
}
