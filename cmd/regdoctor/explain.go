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
	"golang.org/x/term"

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
	wide := fs.Bool("wide", false, "do not wrap the text to COLUMNS or the terminal")
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
		err = report.WriteExplanation(stdout, ex, report.NewPalette(!color.NoColor && !noColor).WithWidth(outputWidth(stdout, *wide)))
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
	// Only a person at a terminal needs the prompt: /dev/null is a
	// character device too, and a pipe or file needs none.
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintln(stderr, "regdoctor explain: paste the error text, then press Ctrl-D")
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
