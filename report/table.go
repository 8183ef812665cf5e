package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/mattn/go-runewidth"
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
	width                             int
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

// Mark is the coloured mark of a status, for other commands' lists.
func (p Palette) Mark(s checks.Status) string { return p.mark(s) }

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

// MinWidth is the narrowest table regdoctor lays out: a terminal narrower
// than this wraps anyway, and the check names and durations alone need
// most of it.
const MinWidth = 80

// WithWidth returns the palette laying the table out for a terminal n
// columns wide; n <= 0 means no limit (--wide, or output to a file or
// pipe, where a reader wants the full text). The width travels with the
// palette because every writer that takes one renders for the same screen.
func (p Palette) WithWidth(n int) Palette {
	if n > 0 && n < MinWidth {
		n = MinWidth
	}
	p.width = n
	return p
}

// Width is the width the table is laid out for; 0 means no limit.
func (p Palette) Width() int { return p.width }

// WriteTable renders one report for a person: the checks, one line each
// for those that passed or were skipped (the full text is in JSON and in
// --wide), the failed ones wrapped in full, then the diagnoses and their
// fixes, which is what a person reads first, wrapped to the width.
func WriteTable(w io.Writer, rep *diagnose.Report, p Palette) error {
	title := "regdoctor check " + rep.Target.ImageRef()
	if rep.Product.Name != "" {
		title += fmt.Sprintf("  (%s)", rep.Product.Name)
	}
	for i, l := range wrap(title, p.width) {
		if i == 0 && rep.Product.Name != "" && strings.HasSuffix(l, "("+rep.Product.Name+")") {
			// Colour the product after wrapping: escapes have no width.
			l = strings.TrimSuffix(l, "("+rep.Product.Name+")") + p.dim.Sprintf("(%s)", rep.Product.Name)
		}
		fmt.Fprintln(w, p.bold.Sprint(l))
	}
	writeChecks(w, rep.Results, p)
	fmt.Fprintln(w)
	if sn := rep.Target.Short; sn != nil && sn.Resolved != "" {
		writeWrapped(w, fmt.Sprintf("%s resolved to %s via %s (%s)", sn.Input, rep.Target.ImageRef(), sn.Via, sn.File), "", "", p.width)
		fmt.Fprintln(w)
	}
	for _, d := range rep.Diagnoses {
		head := fmt.Sprintf("%s  %s  ", p.severity(d.Severity), p.bold.Sprint(d.Code))
		headW := runewidth.StringWidth(severityText(d.Severity)) + 2 + runewidth.StringWidth(string(d.Code)) + 2
		title := wrap(d.Title, avail(p.width, headW))
		fmt.Fprintln(w, head+title[0])
		for _, l := range title[1:] {
			fmt.Fprintln(w, "   "+l)
		}
		writeWrapped(w, d.Detail, "   ", "   ", p.width)
		for i, r := range d.Remediation {
			num := fmt.Sprintf("   %d. ", i+1)
			writeWrapped(w, r, num, strings.Repeat(" ", len(num)), p.width)
		}
		writeWrapped(w, p.dim.Sprint("docs: regdoctor docs "+d.Code), "   ", "   ", 0)
		fmt.Fprintln(w)
	}
	for _, c := range rep.Clients {
		mark := p.pass.Sprint("✓")
		if c.Verdict != diagnose.Pulls {
			mark = p.fail.Sprint("✗")
		}
		writeDim(w, fmt.Sprintf("%s %-10s ", mark, c.Name), 13, c.Reason, p)
	}
	if rep.Config != nil {
		for _, s := range rep.Config.ClientsSkipped {
			writeDim(w, fmt.Sprintf("- %-10s ", s.Name), 13, "not judged: "+s.Why+" (--client "+s.Name+" judges it)", p)
		}
	}
	n := 0
	for _, d := range rep.Diagnoses {
		if d.Severity != diagnose.Info {
			n++
		}
	}
	ms := rep.Duration.Milliseconds()
	switch {
	case rep.Healthy() && n == 0:
		fmt.Fprintln(w, p.pass.Sprintf("healthy: no problems found (%dms)", ms))
	case rep.Healthy():
		fmt.Fprintln(w, p.warn.Sprintf("healthy: the pull works; %s (%dms)", plural(n, "warning", "warnings"), ms))
	default:
		fmt.Fprintln(w, p.fail.Sprintf("%s found (%dms)", plural(n, "problem", "problems"), ms))
	}
	return nil
}

// plural is "1 problem", "2 problems".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// writeChecks writes one row per check: mark, ID, summary, duration, the
// durations right-aligned in one column whatever the width.
func writeChecks(w io.Writer, results []*checks.Result, p Palette) {
	idW, sumW, durW := 0, 0, 0
	durs := make([]string, len(results))
	for i, r := range results {
		idW = max(idW, runewidth.StringWidth(r.ID))
		sumW = max(sumW, runewidth.StringWidth(r.Summary))
		durs[i] = fmt.Sprintf("%dms", r.Duration.Milliseconds())
		durW = max(durW, len(durs[i]))
	}
	prefixW := 1 + 1 + 2 + idW + 2 // " ✓  id  "
	if p.width > 0 {
		sumW = min(sumW, max(p.width-prefixW-2-durW, 20))
	}
	indent := strings.Repeat(" ", prefixW)
	for i, r := range results {
		var lines []string
		if p.width > 0 && (r.Status == checks.Pass || r.Status == checks.Skip) {
			// What passed needs one line; what failed is read in full.
			lines = []string{truncate(r.Summary, sumW)}
		} else {
			lines = wrap(r.Summary, sumW)
		}
		paint := func(s string) string {
			if r.Status == checks.Skip {
				return p.dim.Sprint(s)
			}
			return s
		}
		pad := strings.Repeat(" ", sumW-runewidth.StringWidth(lines[0]))
		mark := p.mark(r.Status)
		if r.Neutral && r.Status == checks.Pass {
			mark = p.dim.Sprint("·")
		}
		fmt.Fprintf(w, " %s  %s%s  %s%s  %s\n", mark, r.ID, strings.Repeat(" ", idW-runewidth.StringWidth(r.ID)),
			paint(lines[0]), pad, p.dim.Sprint(strings.Repeat(" ", durW-len(durs[i]))+durs[i]))
		for _, l := range lines[1:] {
			fmt.Fprintln(w, indent+paint(l))
		}
	}
}

// writeDim writes prefix (prefixW columns, maybe coloured) and text dimmed,
// wrapped under itself.
func writeDim(w io.Writer, prefix string, prefixW int, text string, p Palette) {
	lines := wrap(text, avail(p.width, prefixW))
	fmt.Fprintln(w, prefix+p.dim.Sprint(lines[0]))
	for _, l := range lines[1:] {
		fmt.Fprintln(w, strings.Repeat(" ", prefixW)+p.dim.Sprint(l))
	}
}

// writeWrapped writes text, first line after first and the rest after
// indent, wrapped to width (0: as it is). Lines the text already breaks
// (configuration snippets) stay lines; each is wrapped on its own.
func writeWrapped(w io.Writer, text, first, indent string, width int) {
	if text == "" {
		return
	}
	lead := first
	for _, para := range strings.Split(text, "\n") {
		for _, l := range wrap(para, avail(width, runewidth.StringWidth(lead))) {
			fmt.Fprintln(w, strings.TrimRight(lead+l, " "))
			lead = indent
		}
	}
}

// avail is what is left of width after used columns; 0 stays "no limit",
// and a sliver is widened so that wrapping still makes progress.
func avail(width, used int) int {
	if width <= 0 {
		return 0
	}
	return max(width-used, 20)
}

// wrap breaks s at spaces into lines of at most width columns, splitting
// a word only when it alone is wider (a long URL). width 0: s as it is.
// Leading spaces (an indented snippet line) are kept on the first line.
func wrap(s string, width int) []string {
	if width <= 0 || runewidth.StringWidth(s) <= width {
		return []string{s}
	}
	trimmed := strings.TrimLeft(s, " ")
	lead := s[:len(s)-len(trimmed)]
	if runewidth.StringWidth(lead) > width/2 {
		lead = ""
	}
	var lines []string
	cur, curW, empty := lead, runewidth.StringWidth(lead), true
	for _, word := range strings.Fields(trimmed) {
		ww := runewidth.StringWidth(word)
		if !empty && curW+1+ww <= width {
			cur, curW = cur+" "+word, curW+1+ww
			continue
		}
		if !empty {
			lines = append(lines, cur)
			cur, curW = "", 0
		}
		// A word wider than the line is cut where it fills it, rune by
		// rune: linear in the word, which a server may make long.
		for curW+ww > width {
			n, used := 0, 0
			for _, r := range word {
				rw := runewidth.RuneWidth(r)
				if curW+used+rw > width {
					break
				}
				used += rw
				n += utf8.RuneLen(r)
			}
			if n == 0 {
				break // a character wider than what is left
			}
			lines = append(lines, cur+word[:n])
			cur, curW = "", 0
			word = word[n:]
			ww = max(ww-used, 0)
		}
		cur, curW, empty = cur+word, curW+ww, false
	}
	if !empty {
		lines = append(lines, cur)
	}
	if len(lines) == 0 {
		return []string{""}
	}
	return lines
}

// truncate shortens s to width columns, ending it with "…".
func truncate(s string, width int) string {
	if width <= 0 || runewidth.StringWidth(s) <= width {
		return s
	}
	return runewidth.Truncate(s, width, "…")
}

func severityText(s diagnose.Severity) string {
	switch s {
	case diagnose.Error:
		return "✗ error"
	case diagnose.Warning:
		return "! warning"
	}
	return "i info"
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
