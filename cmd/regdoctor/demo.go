package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/report"
	"github.com/regdoctor/regdoctor/target"
)

// demoTimeout keeps the dead-server scenario short; fixtures are local.
const demoTimeout = 2 * time.Second

type demoRun struct {
	sc   fixtures.Scenario
	rep  *diagnose.Report
	opts *checkFlags
	err  error
}

// cmdDemo starts the fixture registries in-process and runs the real
// pipeline against each, printing what a user would see. The runs are
// isolated from the user's own auth files and certs.d.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newCheckFlags("demo")
	f.opts.Timeout = demoTimeout
	if err := f.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: regdoctor demo [flags] [SCENARIO...]\n\n"+
				"Without SCENARIO, a line per scenario: the code it sets up, the code diagnosed, ✓ when they agree.\n"+
				"With names, those scenarios' full reports; -o json prints each scenario's JSON document.\n\nScenarios:\n")
			for _, s := range fixtures.Scenarios() {
				fmt.Fprintf(stdout, "  %-26s %s\n", s.Name, s.Description)
			}
			fmt.Fprintf(stdout, "\nFlags:\n%s", f.fs.FlagUsages())
			return report.ExitOK
		}
		return usageError(stderr, "demo", err)
	}
	all := fixtures.Scenarios()
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	for _, a := range f.fs.Args() {
		if !slices.Contains(names, a) {
			return usageError(stderr, "demo", fmt.Errorf("no scenario named %q%s", a, didYouMean(a, names)))
		}
	}
	var scenarios []fixtures.Scenario
	for _, s := range all {
		if f.fs.NArg() == 0 || slices.Contains(f.fs.Args(), s.Name) {
			scenarios = append(scenarios, s)
		}
	}
	// Every scenario's full report is some 1,300 lines: without names the
	// table is one line per scenario, and `demo NAME` shows the report.
	summary := f.fs.NArg() == 0 && f.output == "table"
	runs := make([]demoRun, len(scenarios))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, sc := range scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			runs[i] = runScenario(ctx, sc, f)
		}()
	}
	wg.Wait()

	if summary {
		return writeDemoSummary(stdout, stderr, runs, f.palette(stdout))
	}
	mismatches := 0
	p := f.palette(stdout)
	for _, r := range runs {
		if f.output == "table" {
			header := fmt.Sprintf("━━ demo scenario %q: %s", r.sc.Name, r.sc.Description)
			if w := p.Width(); w > 0 {
				header = truncateTo(header, w)
			}
			fmt.Fprintln(stdout, header)
		}
		if r.err != nil {
			fmt.Fprintf(stderr, "regdoctor demo: scenario %s: %v\n", r.sc.Name, r.err)
			mismatches++
			continue
		}
		if err := r.opts.write(stdout, r.rep); err != nil {
			fmt.Fprintln(stderr, "regdoctor:", err)
		}
		if got := problemCodes(r.rep); !slices.Equal(got, sortedCopy(r.sc.Expect)) {
			mismatches++
			fmt.Fprintf(stderr, "regdoctor demo: scenario %s: expected %v, diagnosed %v\n", r.sc.Name, r.sc.Expect, got)
		}
		if f.output == "table" {
			fmt.Fprintln(stdout)
		}
	}
	if f.output == "table" {
		fmt.Fprintf(stdout, "demo: %s, %d diagnosed as expected\n", plural(len(runs), "scenario", "scenarios"), len(runs)-mismatches)
	}
	if mismatches > 0 {
		return report.ExitError
	}
	return report.ExitOK
}

// writeDemoSummary writes a line per scenario: whether regdoctor
// diagnosed what the scenario sets up, what that is, and, when it
// differs, what it diagnosed instead; then the total.
func writeDemoSummary(stdout, stderr io.Writer, runs []demoRun, p report.Palette) int {
	nameW, expW := 0, 0
	for _, r := range runs {
		nameW = max(nameW, len(r.sc.Name))
		expW = max(expW, len(codesText(sortedCopy(r.sc.Expect))))
	}
	// One space between columns: the longest rows are then 80 columns.
	fmt.Fprintf(stdout, "  %-*s %-*s %s\n", nameW, "SCENARIO", expW, "EXPECTED", "DIAGNOSED")
	mismatches := 0
	for _, r := range runs {
		want := codesText(sortedCopy(r.sc.Expect))
		var got string
		if r.err != nil {
			got = "not run: " + r.err.Error()
		} else {
			got = codesText(problemCodes(r.rep))
		}
		mark := p.Mark(checks.Pass)
		if r.err != nil || got != want {
			mark = p.Mark(checks.Fail)
			mismatches++
		}
		fmt.Fprintf(stdout, "%s %-*s %-*s %s\n", mark, nameW, r.sc.Name, expW, want, got)
	}
	fmt.Fprintf(stdout, "demo: %d of %s as expected; `regdoctor demo NAME` shows one in full\n",
		len(runs)-mismatches, plural(len(runs), "scenario", "scenarios"))
	if mismatches > 0 {
		fmt.Fprintf(stderr, "regdoctor demo: %s not diagnosed as expected\n", plural(mismatches, "scenario", "scenarios"))
		return report.ExitError
	}
	return report.ExitOK
}

// codesText is the codes as the summary shows them; none is "healthy".
func codesText(codes []string) string {
	if len(codes) == 0 {
		return "healthy"
	}
	return strings.Join(codes, ",")
}

// didYouMean is " (did you mean X?)" for the candidates nearest to s, or
// "" when none is near.
func didYouMean(s string, candidates []string) string {
	near := diagnose.Closest(s, candidates, 2)
	if len(near) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(near, " or ") + "?)"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// truncateTo cuts s to width columns with "…"; the demo's headers are
// runes of width one.
func truncateTo(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}

func runScenario(ctx context.Context, sc fixtures.Scenario, base *checkFlags) demoRun {
	reg, err := fixtures.Start(sc.Name)
	if err != nil {
		return demoRun{sc: sc, err: err}
	}
	defer reg.Close()
	f := newCheckFlags("demo")
	f.opts.Timeout = base.opts.Timeout
	if err := f.parse(append([]string{"--timeout", base.opts.Timeout.String(), "-o", base.output}, sc.Args...)); err != nil {
		return demoRun{sc: sc, err: err}
	}
	f.noColor = base.noColor
	t, err := target.Parse(reg.Target)
	if err != nil {
		return demoRun{sc: sc, err: err}
	}
	o := f.opts
	o.CertDir = reg.CertDir
	o.AuthFile = reg.AuthFile
	o.CertsDirs = []string{} // never the user's certs.d
	o.SysRoot = emptyRoot    // nor the machine's registries.conf or daemon.json
	if len(o.Clients) == 0 {
		o.Clients = []string{"podman"} // the same verdicts on every machine
	}
	o.Env = reg.Getenv // hides the user's HOME, proxies and auth files
	return demoRun{sc: sc, rep: runCheck(ctx, t, o, nil, nil, f.asksVersions()), opts: f}
}

// emptyRoot is a directory with no configuration in it.
var emptyRoot = os.TempDir() + "/regdoctor-demo-empty-root"

// problemCodes are the sorted codes of error and warning diagnoses.
func problemCodes(rep *diagnose.Report) []string {
	codes := []string{}
	for _, d := range rep.Diagnoses {
		if d.Severity != diagnose.Info && !slices.Contains(codes, string(d.Code)) {
			codes = append(codes, string(d.Code))
		}
	}
	slices.Sort(codes)
	return codes
}

func sortedCopy(s []string) []string {
	c := append([]string{}, s...)
	slices.Sort(c)
	return c
}
