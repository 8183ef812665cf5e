package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fatih/color"
	flag "github.com/spf13/pflag"

	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/report"
)

// Exit codes of explain. Part of the contract.
const (
	explainMatched = report.ExitOK    // at least one known failure found
	explainNoMatch = 1                // nothing in the text is a known failure
	explainUsage   = report.ExitUsage // bad flags, no text
)

const explainUsageText = `Usage: regdoctor explain [flags] [ERROR TEXT...]

Explain a client error offline: which diagnosis it is, which client and layer
printed it, how to fix it, and the 'regdoctor check' command that confirms it.
Give the text as arguments, or on stdin (a whole CI log is fine; '-' reads
stdin explicitly):

  regdoctor explain 'Error: initializing source docker://...: manifest unknown'
  kubectl describe pod web-0 | regdoctor explain
  regdoctor explain < build.log

Exit status: 0 when something matched, 1 when nothing did, 2 on bad usage.

`

func cmdExplain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var output string
	var noColor bool
	fs.StringVarP(&output, "output", "o", "table", "output format: table or json")
	fs.BoolVar(&noColor, "no-color", false, "disable colour (also: NO_COLOR=1)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "%s%s", explainUsageText, fs.FlagUsages())
			return report.ExitOK
		}
		return usageError(stderr, "explain", err)
	}
	if output != "table" && output != "json" {
		return usageError(stderr, "explain", fmt.Errorf("unknown output %q (want table or json)", output))
	}
	text, err := explainInput(ctx, fs.Args(), stdin, stderr)
	if err != nil {
		return usageError(stderr, "explain", err)
	}
	ex := diagnose.Explain(text)
	if output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(ex)
	} else {
		err = writeExplanation(stdout, ex, !color.NoColor && !noColor)
	}
	if err != nil {
		fmt.Fprintln(stderr, "regdoctor:", err)
	}
	if len(ex.Matches) == 0 {
		return explainNoMatch
	}
	return explainMatched
}

// explainInput is the text to explain: the arguments, or stdin (at most
// diagnose.MaxExplainInput of it) when there are none or the only one is "-".
func explainInput(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) (string, error) {
	if len(args) > 0 && !(len(args) == 1 && args[0] == "-") {
		text := strings.Join(args, " ")
		if strings.TrimSpace(text) == "" {
			return "", errors.New("no text to explain")
		}
		return text, nil
	}
	if stdin == nil {
		return "", errors.New("no text to explain: pass the error as arguments or on stdin")
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(stderr, "regdoctor explain: paste the error text, then press Ctrl-D")
		}
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(stdin, diagnose.MaxExplainInput+1))
		done <- result{b, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return "", errors.New("interrupted while reading stdin")
	}
	if r.err != nil {
		return "", fmt.Errorf("reading stdin: %w", r.err)
	}
	if len(r.b) > diagnose.MaxExplainInput {
		r.b = r.b[:diagnose.MaxExplainInput]
		fmt.Fprintf(stderr, "regdoctor explain: input longer than %d MiB; explaining the first %d MiB\n", diagnose.MaxExplainInput>>20, diagnose.MaxExplainInput>>20)
	}
	if strings.TrimSpace(string(r.b)) == "" {
		return "", errors.New("no text to explain: stdin is empty")
	}
	return string(r.b), nil
}

// writeExplanation renders the findings for a person, root cause first.
func writeExplanation(w io.Writer, ex diagnose.Explanation, colour bool) error {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if colour {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	bold, dim, red, yellow := mk(color.Bold), mk(color.FgHiBlack), mk(color.FgRed, color.Bold), mk(color.FgYellow)
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
		sev := dim.Sprint("i info")
		switch d.Severity {
		case diagnose.Error:
			sev = red.Sprint("✗ error")
		case diagnose.Warning:
			sev = yellow.Sprint("! warning")
		}
		fmt.Fprintf(&b, "\n%d. %s  %s  %s\n", i+1, sev, bold.Sprint(d.Code), d.Title)
		where := fmt.Sprintf("line %d", m.Line)
		if m.Count > 1 {
			where += fmt.Sprintf(", %d lines in all", m.Count)
		}
		fmt.Fprintf(&b, "   printed by: %s   layer: %s   (%s)\n", m.Client, m.Layer, where)
		fmt.Fprintf(&b, "   %s\n", d.Detail)
		if m.Target != "" {
			fmt.Fprintf(&b, "   registry:   %s", m.Registry)
			if m.Repository != "" {
				fmt.Fprintf(&b, "   image: %s", m.Target)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "   confirm:    %s\n", m.CheckCommand)
		if m.Target == "" {
			b.WriteString(dim.Sprint("               (the text names no registry: put yours in place of REGISTRY/REPOSITORY:TAG)") + "\n")
		}
		if len(m.Alternatives) > 0 {
			fmt.Fprintf(&b, "   could also be: %s (the check tells them apart)\n", strings.Join(m.Alternatives, ", "))
		}
		b.WriteString("   fix:\n")
		for _, r := range d.Remediation {
			lines := strings.Split(r, "\n")
			fmt.Fprintf(&b, "     - %s\n", lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(&b, "         %s\n", l)
			}
		}
		fmt.Fprintf(&b, "   docs:       %s\n", d.Docs)
	}
	if ex.Truncated {
		b.WriteString("\n" + dim.Sprint("(the input was longer than regdoctor reads, or had more findings than it lists; the rest was not examined)") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
