package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	flag "github.com/spf13/pflag"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/probe"
	"github.com/regdoctor/regdoctor/report"
)

const serveEndpoints = `  /metrics              the latest run of every scheduled target
  /probe?target=REF     runs one check now; optional &platform=os/arch[/variant]
  /healthz              200 while serving
`

const serveUsage = `Usage: regdoctor serve [flags] [TARGET...]

Checks the targets of --targets (and any named here) every --interval and
serves the outcomes to Prometheus:
` + serveEndpoints + `
Flags:
`

// shutdownGrace bounds how long serve waits for requests in flight on SIGTERM.
const shutdownGrace = 10 * time.Second

// probeTimeoutOffset is kept free of Prometheus's scrape timeout so that
// the answer arrives before Prometheus gives up, as blackbox_exporter does.
const probeTimeoutOffset = 500 * time.Millisecond

// serveFlags are check's run flags plus where to serve and how often.
type serveFlags struct {
	*checkFlags
	targetFlags
	listen   string
	interval time.Duration
}

// checkOnlyFlags are check's flags that serve has no use for.
var checkOnlyFlags = []string{"output", "no-color"}

func newServeFlags() *serveFlags {
	f := &serveFlags{checkFlags: newCheckFlags("serve")}
	f.targetFlags.register(f.fs)
	f.fs.StringVar(&f.listen, "listen", "127.0.0.1:9799", "address to serve on; the endpoints have no authentication")
	f.fs.DurationVar(&f.interval, "interval", time.Minute, "how often to check each scheduled target")
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
	if f.interval <= 0 {
		return errors.New("--interval must be positive")
	}
	return nil
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
	sched := f.scheduler(f.checkFlags, stderr, true, true)
	collector := probe.NewCollector(probe.LabelNames(targets))
	srv := &http.Server{
		Handler:           newServeMux(sched, collector, f.opts),
		ReadHeaderTimeout: 10 * time.Second,
		// Probes in flight end with the server's context, so shutdown is quick.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	fmt.Fprintf(stderr, "regdoctor serve: listening on http://%s (%d scheduled targets, every %s)\n", ln.Addr(), len(targets), f.interval)

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
	go func() { served <- srv.Serve(ln) }()

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

// newServeMux serves the scheduled outcomes in collector and on-demand
// probes through sched, which bounds both together.
func newServeMux(sched *probe.Scheduler, collector *probe.Collector, base checks.Options) *http.ServeMux {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("GET /probe", probeHandler{sched: sched, base: base})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "regdoctor serve\n\n"+serveEndpoints)
	})
	return mux
}

// probeHandler checks one target per request, blackbox_exporter style, and
// answers with that target's metrics only.
type probeHandler struct {
	sched *probe.Scheduler
	base  checks.Options // the flags; Prometheus's scrape timeout may shorten --timeout
}

func (h probeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	t := probe.Target{Ref: q.Get("target"), Platform: q.Get("platform"), Timeout: h.base.Timeout}
	if t.Ref == "" {
		http.Error(w, "the target parameter is missing", http.StatusBadRequest)
		return
	}
	if err := resolveTarget(&t, h.base); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if d := scrapeTimeout(r) - probeTimeoutOffset; d > 0 && d < t.Timeout {
		t.Timeout = d
	}
	o := h.sched.Check(r.Context(), t)
	if !o.Ran() {
		http.Error(w, "probe interrupted: "+o.Err.Error(), http.StatusServiceUnavailable)
		return
	}
	reg := probe.Registry([]probe.Outcome{o})
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// scrapeTimeout is the timeout Prometheus announces for this scrape, or 0.
func scrapeTimeout(r *http.Request) time.Duration {
	s, err := strconv.ParseFloat(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), 64)
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
