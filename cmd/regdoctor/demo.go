package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/report"
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
			fmt.Fprintf(stdout, "Usage: regdoctor demo [flags] [SCENARIO...]\n\nScenarios:\n")
			for _, s := range fixtures.Scenarios() {
				fmt.Fprintf(stdout, "  %-26s %s\n", s.Name, s.Description)
			}
			fmt.Fprintf(stdout, "\nFlags:\n%s", f.fs.FlagUsages())
			return report.ExitOK
		}
		return usageError(stderr, "demo", err)
	}
	var scenarios []fixtures.Scenario
	for _, s := range fixtures.Scenarios() {
		if f.fs.NArg() == 0 || slices.Contains(f.fs.Args(), s.Name) {
			scenarios = append(scenarios, s)
		}
	}
	if len(scenarios) == 0 {
		return usageError(stderr, "demo", fmt.Errorf("no scenario named %v", f.fs.Args()))
	}
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

	mismatches := 0
	for _, r := range runs {
		if f.output == "table" {
			fmt.Fprintf(stdout, "━━ demo scenario %q: %s\n", r.sc.Name, r.sc.Description)
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
		fmt.Fprintf(stdout, "demo: %d scenario(s), %d diagnosed as expected\n", len(runs), len(runs)-mismatches)
	}
	if mismatches > 0 {
		return report.ExitError
	}
	return report.ExitOK
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
	t, err := checks.ParseTarget(reg.Target)
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
	return demoRun{sc: sc, rep: runCheck(ctx, t, o, nil, nil), opts: f}
}

// emptyRoot is a directory with no configuration in it.
var emptyRoot = os.TempDir() + "/regdoctor-demo-empty-root"

// problemCodes are the sorted codes of error and warning diagnoses.
func problemCodes(rep *diagnose.Report) []string {
	codes := []string{}
	for _, d := range rep.Diagnoses {
		if d.Severity != diagnose.Info && !slices.Contains(codes, d.Code) {
			codes = append(codes, d.Code)
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
