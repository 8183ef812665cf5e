package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/regdoctor/regdoctor/probe"
	"github.com/regdoctor/regdoctor/report"
)

const serveUsage = `Usage: regdoctor serve [flags] [TARGET...]

Checks the targets of --targets (and any named here) every --interval and
serves the outcomes to Prometheus:
` + probe.Endpoints + `
/probe checks only the scheduled targets' registries and those matching
--probe-allow, never link-local or cloud metadata addresses unless named
exactly. TLS and basic auth: --web.config.file (see docs/probe.md).

Flags:
`

// shutdownGrace bounds how long serve waits for requests in flight on SIGTERM.
const shutdownGrace = 10 * time.Second

// serveFlags are check's run flags plus where and how to serve.
type serveFlags struct {
	*checkFlags
	targetFlags
	listen        string
	interval      time.Duration
	webConfig     string
	probeAllow    []string
	probeParallel int
	probeQueue    int
}

// checkOnlyFlags are check's flags that serve has no use for.
var checkOnlyFlags = []string{"output", "no-color"}

func newServeFlags() *serveFlags {
	f := &serveFlags{checkFlags: newCheckFlags("serve")}
	f.targetFlags.register(f.fs)
	f.fs.Lookup("parallel").Usage = "check at most N scheduled targets at once (/probe has --probe-parallel)"
	f.fs.StringVar(&f.listen, "listen", "127.0.0.1:9799", "address to serve on")
	f.fs.DurationVar(&f.interval, "interval", time.Minute, "how often to check each scheduled target")
	f.fs.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web configuration `FILE`: TLS and basic auth on every endpoint (as Prometheus exporters)")
	f.fs.StringArrayVar(&f.probeAllow, "probe-allow", nil, "let /probe check registries matching `PATTERN`, host[:port] with * wildcards (repeatable; the scheduled targets' registries are always allowed)")
	f.fs.IntVar(&f.probeParallel, "probe-parallel", 8, "run at most N /probe checks at once, apart from the scheduled ones")
	f.fs.IntVar(&f.probeQueue, "probe-queue", 16, "let at most N /probe requests wait for a check slot; more are answered 429 at once")
	for _, n := range checkOnlyFlags {
		_ = f.fs.MarkHidden(n)
	}
	return f
}

func (f *serveFlags) parse(args []string) error {
	if err := f.checkFlags.parse(args); err != nil {
		return err
	}
	for _, n := range checkOnlyFlags {
		if f.fs.Changed(n) {
			return fmt.Errorf("serve writes no report: --%s is for check", n)
		}
	}
	switch {
	case f.interval <= 0:
		return errors.New("--interval must be positive")
	case f.probeParallel < 1:
		return errors.New("--probe-parallel must be at least 1")
	case f.probeQueue < 0:
		return errors.New("--probe-queue must not be negative")
	}
	_, err := probe.NewAllowList(f.probeAllow, nil) // the patterns alone, before any targets file is read
	return err
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newServeFlags()
	err := f.parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "%s%s", serveUsage, f.fs.FlagUsages())
		return report.ExitOK
	}
	var targets []probe.Target
	if err == nil {
		targets, err = f.load(f.fs.Args(), f.opts)
	}
	var allow *probe.AllowList
	if err == nil {
		allow, err = probe.NewAllowList(f.probeAllow, targets)
	}
	var tls bool
	if err == nil {
		tls, err = probe.CheckWebConfig(f.webConfig)
	}
	if err != nil {
		return usageError(stderr, "serve", err)
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		fmt.Fprintln(stderr, "regdoctor serve:", err)
		return report.ExitError
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	run := f.runner(f.checkFlags, stderr, true, true)
	sched := probe.NewScheduler(run, f.opts, f.parallel)
	collector := probe.NewCollector(probe.LabelNames(targets))
	mux := probe.NewMux(probe.ServeConfig{
		Collector: collector,
		Prober:    probe.NewProber(run, f.opts, f.probeParallel, f.probeQueue),
		Allow:     allow,
		Resolve:   func(t *probe.Target) error { return resolveTarget(t, f.opts) },
		Timeout:   f.opts.Timeout,
		Offset:    probe.DefaultTimeoutOffset,
	})
	srv := probe.NewServer(ctx, mux, log.New(stderr, "regdoctor serve: ", 0))
	scheme, auth := "http", ""
	if tls {
		scheme = "https"
	}
	if f.webConfig != "" {
		auth = ", web config " + f.webConfig
	}
	fmt.Fprintf(stderr, "regdoctor serve: listening on %s://%s (%s, every %s; /probe: %d at once, %d waiting%s)\n",
		scheme, ln.Addr(), plural(len(targets), "scheduled target", "scheduled targets"), f.interval, f.probeParallel, f.probeQueue, auth)

	scheduled := make(chan struct{})
	go func() {
		defer close(scheduled)
		var changes probe.Changes
		plain := report.NewPalette(false)
		sched.Every(ctx, f.interval, targets, func(o probe.Outcome) {
			collector.Observe(o)
			if changes.Changed(o) {
				logError(stderr, report.WriteChange(stderr, o, plain))
			}
		})
	}()
	served := make(chan error, 1)
	go func() { served <- probe.Serve(ln, srv, f.webConfig, stderr) }()

	code := report.ExitOK
	select {
	case err := <-served:
		fmt.Fprintln(stderr, "regdoctor serve:", err)
		code = report.ExitError
		stop()
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			fmt.Fprintln(stderr, "regdoctor serve: shutdown:", err)
			code = report.ExitError
		}
	}
	<-scheduled
	return code
}
