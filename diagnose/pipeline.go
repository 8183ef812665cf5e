// Package diagnose runs the checks as a dependency graph, and turns what
// they observed into named root causes from one catalogue of stable codes.
package diagnose

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// Report is the outcome of one run against one target.
type Report struct {
	Target    checks.Target
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
type Observer func(*checks.Result)

// grace is how long the pipeline waits past the deadline for checks to
// notice cancellation before it reports them as timed out itself.
const grace = 200 * time.Millisecond

// Run executes list against env concurrently, respecting dependencies, and
// diagnoses the results. The run's clock started in checks.NewEnv, before
// the configuration was read: Run keeps that deadline, so the whole run,
// configuration included, ends within env.Opts.Timeout plus a short grace
// period whatever the network or a credential helper does.
func Run(ctx context.Context, env *checks.Env, list []checks.Check, observe Observer) *Report {
	start := env.Started()
	ctx, cancel := context.WithDeadline(ctx, env.Deadline())
	defer cancel()

	done := make(map[string]chan struct{}, len(list))
	// Each check writes only its own slot, before closing its channel.
	results := make([]*checks.Result, len(list))
	slot := make(map[string]int, len(list))
	for i, c := range list {
		done[c.ID] = make(chan struct{})
		slot[c.ID] = i
	}
	type finished struct {
		id  string
		res *checks.Result
	}
	out := make(chan finished, len(list))
	for _, c := range list {
		go func(c checks.Check) {
			deps := checks.Deps{}
			// Results of finished dependencies are written before their
			// channel is closed, so reading them after the wait is race-free.
			wait := func(ids []string) (allOk bool) {
				allOk = true
				for _, id := range ids {
					ch, ok := done[id]
					if !ok {
						continue
					}
					select {
					case <-ch:
						deps[id] = results[slot[id]]
						allOk = allOk && deps[id].Status.Ok()
					case <-ctx.Done():
						allOk = false
					}
				}
				return allOk
			}
			wait(c.Needs)
			if !wait(c.Uses) {
				wait(c.Fallback)
			}
			res := runOne(ctx, env, c, deps)
			results[slot[c.ID]] = res
			close(done[c.ID])
			out <- finished{c.ID, res}
		}(c)
	}

	collected := map[string]*checks.Result{}
	deadline := time.NewTimer(time.Until(startDeadline(ctx)) + grace)
	defer deadline.Stop()
loop:
	for len(collected) < len(list) {
		select {
		case f := <-out:
			collected[f.id] = f.res
			if observe != nil {
				observe(f.res)
			}
		case <-deadline.C:
			break loop
		}
	}
	rep := &Report{Target: env.Target, Options: env.Opts, Config: env.Config, Started: start}
	for _, c := range list {
		res, ok := collected[c.ID]
		if !ok {
			res = &checks.Result{ID: c.ID, Status: checks.Fail, Summary: fmt.Sprintf("did not finish within --timeout %s", env.Opts.Timeout),
				Evidence: &checks.Unfinished{TimedOut: true, After: env.Opts.Timeout.String()}}
			if observe != nil {
				observe(res)
			}
		}
		rep.Results = append(rep.Results, res)
	}
	rep.Product = DetectProduct(rep)
	rep.Diagnoses = Diagnose(rep)
	// Taken last, so that duration_ms is the whole run: configuration,
	// checks and diagnosis.
	rep.Duration = time.Since(start)
	return rep
}

func startDeadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// runOne runs a check unless a hard dependency did not pass. A panic in a
// check becomes a failed result, never a crash of the run.
func runOne(ctx context.Context, env *checks.Env, c checks.Check, deps checks.Deps) (res *checks.Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			stack := strings.SplitN(string(debug.Stack()), "\n", 12)
			res = &checks.Result{Status: checks.Fail, Summary: fmt.Sprintf("internal error: %v", p), Evidence: map[string]any{"panic": fmt.Sprint(p), "stack": stack}}
		}
		res.ID = c.ID
		res.Duration = time.Since(start)
	}()
	for _, id := range c.Needs {
		d := deps.Get(id)
		if !d.Status.Ok() {
			return &checks.Result{Status: checks.Skip, Summary: fmt.Sprintf("skipped: %s did not pass", id)}
		}
	}
	if ctx.Err() != nil {
		return &checks.Result{Status: checks.Skip, Summary: fmt.Sprintf("not started: --timeout %s reached", env.Opts.Timeout)}
	}
	r := c.Run(ctx, env, deps)
	return &r
}
