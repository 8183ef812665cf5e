package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
)

// Palette colours the table. Colour is decided by the caller (NO_COLOR,
// terminal or not); fatih/color does the escaping.
type Palette struct {
	pass, warn, fail, skip, bold, dim *color.Color
}

// NewPalette returns a palette; with enabled false every colour is a no-op.
func NewPalette(enabled bool) Palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return Palette{
		pass: mk(color.FgGreen), warn: mk(color.FgYellow), fail: mk(color.FgRed, color.Bold),
		skip: mk(color.FgHiBlack), bold: mk(color.Bold), dim: mk(color.FgHiBlack),
	}
}

func (p Palette) mark(s checks.Status) string {
	switch s {
	case checks.Pass:
		return p.pass.Sprint("✓")
	case checks.Warn:
		return p.warn.Sprint("!")
	case checks.Fail:
		return p.fail.Sprint("✗")
	}
	return p.skip.Sprint("-")
}

func (p Palette) severity(s diagnose.Severity) string {
	switch s {
	case diagnose.Error:
		return p.fail.Sprint("✗ error")
	case diagnose.Warning:
		return p.warn.Sprint("! warning")
	}
	return p.dim.Sprint("i info")
}

// WriteTable renders one report for a person.
func WriteTable(w io.Writer, rep *diagnose.Report, p Palette) error {
	title := "regdoctor check " + rep.Target.ImageRef()
	if rep.Product.Name != "" {
		title += p.dim.Sprintf("  (%s)", rep.Product.Name)
	}
	fmt.Fprintln(w, p.bold.Sprint(title))
	t := plainTable(w)
	for _, r := range rep.Results {
		summary := r.Summary
		if r.Status == checks.Skip {
			summary = p.dim.Sprint(summary)
		}
		if err := t.Append([]string{p.mark(r.Status), r.ID, summary, p.dim.Sprintf("%dms", r.Duration.Milliseconds())}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if sn := rep.Target.Short; sn != nil && sn.Resolved != "" {
		fmt.Fprintf(w, "%s resolved to %s via %s (%s)\n\n", sn.Input, rep.Target.ImageRef(), sn.Via, sn.File)
	}
	for _, d := range rep.Diagnoses {
		fmt.Fprintf(w, "%s  %s  %s\n", p.severity(d.Severity), p.bold.Sprint(d.Code), d.Title)
		fmt.Fprintf(w, "   %s\n", wrapIndent(d.Detail, "   "))
		for i, r := range d.Remediation {
			fmt.Fprintf(w, "   %d. %s\n", i+1, wrapIndent(r, "      "))
		}
		fmt.Fprintf(w, "   %s\n\n", p.dim.Sprint("docs: "+d.Docs))
	}
	for _, c := range rep.Clients {
		mark := p.pass.Sprint("✓")
		if c.Verdict != "ok" {
			mark = p.fail.Sprint("✗")
		}
		fmt.Fprintf(w, "%s %-10s %s\n", mark, c.Name, p.dim.Sprint(c.Reason))
	}
	if rep.Config != nil {
		for _, s := range rep.Config.ClientsSkipped {
			fmt.Fprintf(w, "- %-10s %s\n", s.Name, p.dim.Sprint("not judged: "+s.Why+" (--client "+s.Name+" judges it)"))
		}
	}
	n := 0
	for _, d := range rep.Diagnoses {
		if d.Severity != diagnose.Info {
			n++
		}
	}
	switch {
	case rep.Healthy() && n == 0:
		fmt.Fprintln(w, p.pass.Sprintf("healthy: no problems found (%dms)", rep.Duration.Milliseconds()))
	case rep.Healthy():
		fmt.Fprintln(w, p.warn.Sprintf("healthy: the pull works; %d warning(s) (%dms)", n, rep.Duration.Milliseconds()))
	default:
		fmt.Fprintln(w, p.fail.Sprintf("%d problem(s) found (%dms)", n, rep.Duration.Milliseconds()))
	}
	return nil
}

// plainTable is a borderless table with aligned columns and no header line.
func plainTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithTrimSpace(tw.Off),
	)
}

// wrapIndent indents continuation lines of multi-line remediation (config
// snippets) so they stay under their item.
func wrapIndent(s, indent string) string {
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}
