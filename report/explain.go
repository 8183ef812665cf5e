package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/regdoctor/regdoctor/diagnose"
)

// WriteExplanation renders what `regdoctor explain` found for a person,
// root cause first.
func WriteExplanation(w io.Writer, ex diagnose.Explanation, p Palette) error {
	bold, dim := p.bold, p.dim
	var b strings.Builder
	if len(ex.Matches) == 0 {
		b.WriteString("No known registry or client error in this text.\n")
		if ex.CheckCommand != "" {
			fmt.Fprintf(&b, "It names %s; to look for a problem there, run:\n  %s\n", ex.Target, ex.CheckCommand)
		} else {
			b.WriteString("To test a registry directly, run: regdoctor check REGISTRY[/REPOSITORY[:TAG]]\n")
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	if len(ex.Matches) == 1 {
		b.WriteString(bold.Sprint("regdoctor explain: 1 problem found") + "\n")
	} else {
		b.WriteString(bold.Sprintf("regdoctor explain: %d problems found, root cause first", len(ex.Matches)) + "\n")
	}
	for i, m := range ex.Matches {
		d := m.Diagnosis
		fmt.Fprintf(&b, "\n%d. %s  %s  %s\n", i+1, p.severity(d.Severity), bold.Sprint(d.Code), d.Title)
		where := fmt.Sprintf("line %d", m.Line)
		if m.Count > 1 {
			where += fmt.Sprintf(", %d lines in all", m.Count)
		}
		fmt.Fprintf(&b, "   printed by: %s   layer: %s   (%s)\n", m.Client, m.Layer, where)
		writeWrapped(&b, d.Detail, "   ", "   ", p.width)
		if m.Target != "" {
			line := "   registry:   " + m.Registry
			if m.Repository != "" {
				if img := "   image: " + m.Target; p.width == 0 || runewidth.StringWidth(line+img) <= p.width {
					line += img
				} else {
					line += "\n   image:      " + m.Target // a line of its own rather than wrapped
				}
			}
			b.WriteString(line + "\n")
		}
		fmt.Fprintf(&b, "   confirm:    %s\n", m.CheckCommand)
		if m.Target == "" {
			b.WriteString(dim.Sprint("               (the text names no registry: put yours in place of REGISTRY/REPOSITORY:TAG)") + "\n")
		}
		if len(m.Alternatives) > 0 {
			fmt.Fprintf(&b, "   could also be: %s (the check tells them apart)\n", joinCodes(m.Alternatives))
		}
		b.WriteString("   fix:\n")
		for _, r := range d.Remediation {
			// The first line is prose and wraps under itself; the others
			// are a snippet, indented below it.
			first, rest, _ := strings.Cut(r, "\n")
			writeWrapped(&b, first, "     - ", "       ", p.width)
			if rest != "" {
				writeWrapped(&b, rest, "         ", "         ", p.width)
			}
		}
		fmt.Fprintf(&b, "   docs:       regdoctor docs %s\n", d.Code)
	}
	if ex.Truncated {
		b.WriteString("\n" + dim.Sprint("(the input was longer than regdoctor reads, or had more findings than it lists; the rest was not examined)") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func joinCodes(codes []diagnose.Code) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
