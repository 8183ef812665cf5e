package diagnose

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The two tables of codes, docs/codes/README.md's and the README's, are
// written from the catalogue (`go generate ./diagnose`, which runs this test
// with -update-tables) and held to it here: a code added to the catalogue
// is in both, in the catalogue's fix-first order, with its severity and
// layer, without anyone editing a table.

var updateTables = flag.Bool("update-tables", false, "rewrite the code tables in docs/codes/README.md and README.md from the catalogue")

const (
	tablesBegin = "<!-- code table: generated from the catalogue (diagnose/codes_*.go) by `go generate ./diagnose`; do not edit -->\n"
	tablesEnd   = "<!-- end of code table -->\n"
)

// layerText is the layer a table gives a code: pull-step-failed takes the
// layer of the step that failed (ruleFailedStep), whatever its entry says.
func layerText(c Entry) string {
	if c.Code == PullStepFailed {
		return "the failed step's"
	}
	return string(c.Layer)
}

func docsIndexTable() string {
	var b strings.Builder
	b.WriteString("| Code | Severity | Layer | Title | Link |\n| --- | --- | --- | --- | --- |\n")
	for _, c := range Catalogue() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | [%s.md](%s.md) |\n", c.Code, c.Severity, layerText(c), c.Title, c.Code, c.Code)
	}
	return b.String()
}

func readmeTable() string {
	var b strings.Builder
	b.WriteString("| code | severity | layer |\n|---|---|---|\n")
	for _, c := range Catalogue() {
		sev := string(c.Severity)
		if note := c.lowered; note != "" {
			sev += " (" + note + ")"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Code, sev, layerText(c))
	}
	return b.String()
}

func TestCodeTablesFollowTheCatalogue(t *testing.T) {
	for _, tc := range []struct {
		file  string
		table string
	}{
		{filepath.Join("..", "docs", "codes", "README.md"), docsIndexTable()},
		{filepath.Join("..", "README.md"), readmeTable()},
	} {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		begin := strings.Index(text, tablesBegin)
		end := strings.Index(text, tablesEnd)
		if begin < 0 || end < begin {
			t.Errorf("%s: no generated code table (markers %q … %q)", tc.file, strings.TrimSpace(tablesBegin), strings.TrimSpace(tablesEnd))
			continue
		}
		got := text[begin+len(tablesBegin) : end]
		if got == tc.table {
			continue
		}
		if !*updateTables {
			t.Errorf("%s: the code table is not the catalogue's; run `go generate ./diagnose`", tc.file)
			continue
		}
		text = text[:begin+len(tablesBegin)] + tc.table + text[end:]
		if err := os.WriteFile(tc.file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
