package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	flag "github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/probe"
	"github.com/regdoctor/regdoctor/report"
	"github.com/regdoctor/regdoctor/target"
)

// targetFlags pick the targets and bound how many run at once; check and
// serve share them.
type targetFlags struct {
	file     string
	parallel int
}

func (tf *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.file, "targets", "", "read targets, each with optional settings, from this YAML file (see docs/probe.md)")
	fs.IntVar(&tf.parallel, "parallel", 8, "check at most N targets at once")
}

// load returns the targets of --targets followed by those named in args,
// validated and with short names resolved under base and their settings.
func (tf *targetFlags) load(args []string, base checks.Options) ([]probe.Target, error) {
	if tf.parallel < 1 {
		return nil, errors.New("--parallel must be at least 1")
	}
	var ts []probe.Target
	if tf.file != "" {
		var err error
		if ts, err = probe.LoadTargets(tf.file); err != nil {
			return nil, err
		}
	}
	for _, a := range args {
		ts = append(ts, probe.Target{Ref: a})
	}
	for i := range ts {
		if err := resolveTarget(&ts[i], base); err != nil {
			return nil, err
		}
	}
	return ts, probe.Unique(ts)
}

// resolveTarget validates t and applies the short-name rules of the
// clients it is judged for.
func resolveTarget(t *probe.Target, base checks.Options) error {
	if err := t.Validate(); err != nil {
		return err
	}
	p, err := diagnose.ResolveShortName(t.Parsed, t.Options(base))
	if err != nil {
		return err
	}
	t.Parsed = p
	return nil
}

// scheduler runs the real pipeline for the targets, with f's options as
// the defaults that each target's settings override.
func (tf *targetFlags) scheduler(f *checkFlags, stderr io.Writer, watching, many bool) *probe.Scheduler {
	return probe.NewScheduler(tf.runner(f, stderr, watching, many), f.opts, tf.parallel)
}

// runner is the real pipeline with f's trace and progress. With many
// targets, their traces interleave, so each line names its target.
func (tf *targetFlags) runner(f *checkFlags, stderr io.Writer, watching, many bool) probe.Runner {
	trace := f.traceTo(stderr)
	var shared *lockedWriter
	if trace != nil && many {
		shared = &lockedWriter{w: trace}
	}
	progress := f.progress(stderr, watching)
	askVersions := f.asksVersions()
	run := func(ctx context.Context, t target.Target, o checks.Options) *diagnose.Report {
		trace := trace
		if shared != nil {
			trace = &prefixWriter{w: shared, prefix: "[" + t.ImageRef() + "] "}
		}
		if progress == nil {
			return runCheck(ctx, t, o, trace, nil, askVersions)
		}
		defer progress.Clear()
		return runCheck(ctx, t, o, trace, progress.Observer(t.ImageRef()), askVersions)
	}
	return run
}

// lockedWriter serialises the writes of concurrent runs.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter starts every line with prefix. A trace writes whole lines,
// an exchange at a time, so each Write becomes one write of w.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	for _, l := range lines {
		if l != "" {
			out.WriteString(p.prefix)
			out.WriteString(l)
		}
	}
	if _, err := io.WriteString(p.w, out.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// probeFlags are check's flags for many targets and repeated runs.
type probeFlags struct {
	targetFlags
	watch     time.Duration
	exitCodes string
}

// Values of --exit-codes.
const (
	exitCodesDefault = "default"
	exitCodesNagios  = "nagios"
)

// addProbeFlags adds check's multi-target flags and output formats to f.
func addProbeFlags(f *checkFlags) *probeFlags {
	pf := &probeFlags{}
	pf.register(f.fs)
	f.fs.DurationVar(&pf.watch, "watch", 0, "repeat every INTERVAL; print a line whenever a target's health or diagnosis codes change")
	f.fs.StringVar(&pf.exitCodes, "exit-codes", exitCodesDefault, "exit code scheme: default (0 ok, 1 error, 2 usage) or nagios (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)")
	f.fs.Lookup("output").Usage = "output format: table, json, jsonl (a line per target as it finishes) or prometheus (text exposition format)"
	f.formats = append(f.formats, "jsonl", "prometheus")
	return pf
}

func (pf *probeFlags) validate(output string) error {
	switch {
	case pf.exitCodes != exitCodesDefault && pf.exitCodes != exitCodesNagios:
		return fmt.Errorf("unknown --exit-codes %q (want default or nagios)", pf.exitCodes)
	case pf.watch < 0:
		return errors.New("--watch must be positive")
	case pf.watch > 0 && output != "table" && output != "jsonl":
		return fmt.Errorf("--watch prints changes as they happen: use -o table or -o jsonl, not %s", output)
	}
	return nil
}

// exitCode maps the outcomes under the chosen scheme.
func (pf *probeFlags) exitCode(outs []probe.Outcome) int {
	if pf.exitCodes == exitCodesNagios {
		return report.NagiosExitCode(outs)
	}
	return report.ExitCodeAll(outs)
}

// usageExit maps the usage exit code under the chosen scheme.
func (pf *probeFlags) usageExit(code int) int {
	if code == report.ExitUsage && pf.exitCodes == exitCodesNagios {
		return report.NagiosUnknown
	}
	return code
}

// checkTargets runs check for every target, once or with --watch.
func checkTargets(ctx context.Context, f *checkFlags, pf *probeFlags, stdout, stderr io.Writer) int {
	var targets []probe.Target
	err := pf.validate(f.output)
	if err == nil {
		targets, err = pf.load(f.fs.Args(), f.opts)
	}
	if err == nil && len(targets) == 0 {
		err = errors.New("want at least one target, or --targets FILE")
	}
	if err != nil {
		return pf.usageExit(usageError(stderr, "check", err))
	}
	sched := pf.scheduler(f, stderr, pf.watch > 0, len(targets) > 1)
	if pf.watch > 0 {
		return watchTargets(ctx, sched, f, pf, targets, stdout, stderr)
	}
	var emit func(probe.Outcome)
	if f.output == "jsonl" {
		emit = func(o probe.Outcome) { logError(stderr, report.WriteJSONL(stdout, o)) }
	}
	outs := sched.RunOnce(ctx, targets, emit)
	switch f.output {
	case "json":
		err = report.WriteJSONOutcomes(stdout, outs)
	case "prometheus":
		err = report.WritePrometheus(stdout, outs)
	case "table":
		err = report.WriteTableOutcomes(stdout, outs, f.palette(stdout))
	}
	logError(stderr, err)
	return pf.exitCode(outs)
}

// watchTargets checks each target every --watch interval until ctx ends,
// printing a target's outcome whenever its state changes. The exit code is
// that of the latest outcomes.
func watchTargets(ctx context.Context, sched *probe.Scheduler, f *checkFlags, pf *probeFlags, targets []probe.Target, stdout, stderr io.Writer) int {
	var changes probe.Changes
	latest := map[string]probe.Outcome{}
	p := f.palette(stdout)
	sched.Every(ctx, pf.watch, targets, func(o probe.Outcome) {
		latest[o.Target.Ref] = o
		if !changes.Changed(o) {
			return
		}
		if f.output == "jsonl" {
			logError(stderr, report.WriteJSONL(stdout, o))
		} else {
			logError(stderr, report.WriteChange(stdout, o, p))
		}
	})
	outs := make([]probe.Outcome, len(targets))
	for i, t := range targets {
		o, ok := latest[t.Ref]
		if !ok {
			o = probe.Outcome{Target: t, Err: ctx.Err()}
		}
		outs[i] = o
	}
	return pf.exitCode(outs)
}

// palette colours and lays out what goes to w: as wide as COLUMNS says,
// else as the terminal w is, else (a file, a pipe) without a limit, so
// that nothing is cut where no one is watching; --wide lifts the limit.
func (f *checkFlags) palette(w io.Writer) report.Palette {
	return report.NewPalette(!color.NoColor && !f.noColor).WithWidth(outputWidth(w, f.wide))
}

// outputWidth is the width to lay text out for on w; 0 is no limit.
func outputWidth(w io.Writer, wide bool) int {
	if wide {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if file, ok := w.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		if n, _, err := term.GetSize(int(file.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

func logError(stderr io.Writer, err error) {
	if err != nil {
		fmt.Fprintln(stderr, "regdoctor:", err)
	}
}
