// Package diagnose runs a check of one target (Check: the configuration,
// the graph of checks, which package checks executes, the diagnosis) and
// turns what the checks observed into named root causes from one
// catalogue of stable codes, and into a verdict per client.
package diagnose

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

// Report is the outcome of one run against one target.
type Report struct {
	Target    target.Target
	Options   checks.Options
	Config    *checks.ClientConfig
	Results   []*checks.Result // in display order
	Diagnoses []Diagnosis
	Clients   []ClientVerdict
	// Pull is the pull as regdoctor performs it, step by step.
	Pull []PullStep
	// stepsSpared: a step failed, but every judged client is spared by
	// the diagnosis of it (docker skips verification for a loopback
	// registry whose certificate regdoctor could not verify).
	stepsSpared bool
	Product     Product
	Started     time.Time
	Duration    time.Duration
}

// Healthy reports whether the user's client can pull: every step of the
// pull passed (or the diagnosis of a failed step spares every judged
// client), and no diagnosis is an error. A warning (a slow mirror, a
// token clock a minute off) leaves the pull working, so it leaves the
// run healthy; exit codes and --exit-codes nagios still show it. A failed
// step always comes with an error diagnosis (Diagnose sees to it), so
// the two halves agree; both are asked so that neither can be wrong
// alone.
func (r *Report) Healthy() bool {
	for _, d := range r.Diagnoses {
		if d.Severity == Error {
			return false
		}
	}
	return firstFailed(r.Pull) == nil || r.stepsSpared
}

// Worst is the highest severity among the diagnoses, or "" when there are none.
func (r *Report) Worst() Severity {
	var w Severity
	for _, d := range r.Diagnoses {
		if d.Severity.rank() > w.rank() {
			w = d.Severity
		}
	}
	return w
}

// Result returns the result of check id.
func (r *Report) Result(id string) *checks.Result {
	for _, res := range r.Results {
		if res.ID == id {
			return res
		}
	}
	return &checks.Result{ID: id, Status: checks.Skip}
}

// Observer receives each result as soon as its check finishes.
type Observer = checks.Observer

// Hooks are what a caller attaches to a run; the zero value runs the
// whole graph quietly.
type Hooks struct {
	// Observe receives each result as soon as its check finishes.
	Observe Observer
	// Trace receives every exchange, redacted (--trace).
	Trace io.Writer
	// Checks replaces the graph (tests of the executor); nil: checks.All,
	// or the configuration alone when podman's short-name rules stop
	// the pull before the network.
	Checks []checks.Check
	// Versions asks the judged clients' binaries for their versions,
	// beside the checks and within bound (clientconf.Versions; tests
	// replace it so that goldens do not depend on what is installed).
	// nil: no versions.
	Versions func(ctx context.Context, clients []string, lookPath func(string) (string, error), bound time.Duration) map[string]string
}

// Check is one run against t, from start to report: the configuration
// (read inside the run's deadline, by checks.NewEnv), the short-name
// gate, the graph of checks, the diagnosis and the clients' verdicts.
// Every command, the demo, serve and the probe runner go through it.
func Check(ctx context.Context, t target.Target, o checks.Options, h Hooks) *Report {
	env := checks.NewEnv(ctx, t, o)
	env.Trace = h.Trace
	defer env.Close()
	var versions chan map[string]string
	if h.Versions != nil {
		// For the ticket: asked beside the checks, so that they cost the
		// run nothing unless a binary takes longer than the whole run,
		// and then at most clientconf.VersionTimeout.
		versions = make(chan map[string]string, 1)
		bound := clientconf.VersionTimeout
		if o.Timeout > 0 {
			bound = min(bound, o.Timeout) // never past --timeout
		}
		clients := slices.Clone(env.Config.Clients) // the goroutine reads its own copy
		go func() { versions <- h.Versions(ctx, clients, o.LookPath, bound) }()
	}
	list := h.Checks
	if list == nil {
		list = graphFor(t, env.Config.Clients)
	}
	rep := diagnoseRun(env, checks.Run(ctx, env, list, h.Observe))
	if versions != nil {
		v := <-versions
		for i := range rep.Clients {
			rep.Clients[i].Version = v[rep.Clients[i].Name]
		}
	}
	return rep
}

// graphFor is the whole graph, or only the configuration when the short
// name does not resolve and every judged client resolves short names as
// podman does: podman and buildah stop before the network, and so does
// the run. A client that sends the name to docker.io needs the network.
func graphFor(t target.Target, clients []string) []checks.Check {
	if t.Short != nil && t.Short.Error != "" && !slices.ContainsFunc(clients, func(c string) bool { return !clientconf.ResolvesShortNames(c) }) {
		return []checks.Check{checks.ConfigCheck()}
	}
	return checks.All()
}

// ResolveShortName applies podman's short-name rules when podman or
// buildah is among the clients judged for; the others (skopeo, docker,
// containerd, crane, regctl) always mean docker.io.
func ResolveShortName(t target.Target, o checks.Options) (target.Target, error) {
	if t.ShortInput == "" || (len(o.Clients) > 0 && !slices.ContainsFunc(o.Clients, clientconf.ResolvesShortNames)) {
		return t, nil
	}
	return target.ResolveShortNameTTY(t, clientconf.LoadRegistriesConf(o.Sys()), o.TTY)
}

// diagnoseRun turns a finished graph into the report.
func diagnoseRun(env *checks.Env, results []*checks.Result) *Report {
	rep := &Report{Target: env.Target, Options: env.Opts, Config: env.Config, Results: results, Started: env.Started()}
	rep.Product = DetectProduct(rep)
	rep.Diagnoses = Diagnose(rep)
	// Taken last, so that duration_ms is the whole run: configuration,
	// checks and diagnosis.
	rep.Duration = time.Since(env.Started())
	return rep
}
