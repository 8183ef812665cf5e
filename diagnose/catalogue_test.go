package diagnose

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The catalogue is a contract: every code has a documentation page whose
// header agrees with the catalogue, and no page documents a code that does
// not exist (istio's analysis messages hold the same rule).

var codeShape = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestCatalogueCodesAreWellFormedAndUnique(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Catalogue() {
		if !codeShape.MatchString(string(c.Code)) {
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
		if !strings.HasPrefix(text, "# "+string(c.Code)+"\n") {
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
		if !strings.Contains(string(index), string(c.Code)) {
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
		if _, ok := Lookup(Code(name)); !ok {
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

// sources parses the package's non-test files.
func sources(t *testing.T) map[string]*ast.File {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = af
	}
	return out
}

// A string typed Code still takes an untyped literal, so the compiler
// alone would let newDiagnosis("tag-not-fuond") through: outside the
// constants, no literal may spell a code.
func TestNoCodeLiterals(t *testing.T) {
	for name, f := range sources(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GenDecl); ok && g.Tok == token.CONST {
				return false // the constants themselves
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil {
				if _, isCode := Lookup(Code(s)); isCode {
					t.Errorf("%s: the literal %s spells a code; use its constant", name, lit.Value)
				}
			}
			return true
		})
	}
}

// Every code has every part: its entry (checked above), a docs page
// (above), a rule that emits it, a fix explain can give without a run,
// and either the clients' words for it or the reason there are none. A
// fixture (or the test that stands in for one) is checked by
// TestEveryCodeHasAFixture in scenarios_test.go.
func TestEveryCodeHasEveryPart(t *testing.T) {
	used := map[string]bool{} // constant names referred to outside the entries and explain
	for name, f := range sources(t) {
		if name == "catalogue.go" || strings.HasPrefix(name, "codes_") || strings.HasPrefix(name, "explain") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				used[id.Name] = true
			}
			return true
		})
	}
	names := map[Code]string{}
	for _, f := range sources(t) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				v := s.(*ast.ValueSpec)
				if len(v.Values) == 1 {
					if lit, ok := v.Values[0].(*ast.BasicLit); ok {
						if s, err := strconv.Unquote(lit.Value); err == nil {
							names[Code(s)] = v.Names[0].Name
						}
					}
				}
			}
		}
	}
	for _, c := range Catalogue() {
		name, ok := names[c.Code]
		if !ok {
			t.Errorf("%s: no constant", c.Code)
		}
		if !used[name] {
			t.Errorf("%s: no rule emits it (%s is used nowhere outside the catalogue and explain)", c.Code, name)
		}
		if c.fix == nil {
			t.Errorf("%s: no generic fix", c.Code)
		} else if r := c.fix(fixArgs{t: placeholderTarget}); len(r) == 0 || r[0] == "" {
			t.Errorf("%s: its generic fix is empty", c.Code)
		}
		if (len(c.messages) > 0) == (c.noMessages != "") {
			t.Errorf("%s: needs either client messages or a reason for having none (%d messages, reason %q)", c.Code, len(c.messages), c.noMessages)
		}
	}
}
