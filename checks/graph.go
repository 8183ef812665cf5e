package checks

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// Observer receives each result as soon as its check finishes.
type Observer func(*Result)

// grace is how long Run waits past the deadline for checks to notice
// cancellation before it reports them as timed out itself.
const grace = 200 * time.Millisecond

// Run executes list against env concurrently, each check once the checks
// it Needs, Uses or falls back on have finished, and returns the results
// in list's order. The run's clock started in NewEnv, before the
// configuration was read: Run keeps that deadline, so the whole run,
// configuration included, ends within env.Opts.Timeout plus a short grace
// period whatever the network or a credential helper does. A check that
// has not finished by then is reported as timed out.
func Run(ctx context.Context, env *Env, list []Check, observe Observer) []*Result {
	ctx, cancel := context.WithDeadline(ctx, env.Deadline())
	defer cancel()

	done := make(map[string]chan struct{}, len(list))
	// Each check writes only its own slot, before closing its channel.
	results := make([]*Result, len(list))
	slot := make(map[string]int, len(list))
	for i, c := range list {
		done[c.ID] = make(chan struct{})
		slot[c.ID] = i
	}
	type finished struct {
		id  string
		res *Result
	}
	out := make(chan finished, len(list))
	for _, c := range list {
		go func(c Check) {
			deps := Deps{}
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
			settle := res.settle
			res.settle = nil
			results[slot[c.ID]] = res
			close(done[c.ID])
			if settle != nil {
				settleOne(res, settle)
			}
			out <- finished{c.ID, res}
		}(c)
	}

	collected := map[string]*Result{}
	end, _ := ctx.Deadline() // the caller's, when it is earlier than the run's
	deadline := time.NewTimer(time.Until(end) + grace)
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
	ordered := make([]*Result, 0, len(list))
	for _, c := range list {
		res, ok := collected[c.ID]
		if !ok {
			res = &Result{ID: c.ID, Status: Fail, Summary: fmt.Sprintf("did not finish within --timeout %s", env.Opts.Timeout),
				Evidence: &Unfinished{TimedOut: true, After: env.Opts.Timeout.String()}}
			if observe != nil {
				observe(res)
			}
		}
		ordered = append(ordered, res)
	}
	return ordered
}

// settleOne completes a released result (Result.settle); its time counts
// in the check's duration. A panic is reported in the summary: the
// dependents have already gone on with the status.
func settleOne(res *Result, settle func(*Result)) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			res.Summary += fmt.Sprintf(" (internal error: %v)", p)
		}
		res.Duration += time.Since(start)
	}()
	settle(res)
}

// runOne runs a check unless a hard dependency did not pass. A panic in a
// check becomes a failed result, never a crash of the run.
func runOne(ctx context.Context, env *Env, c Check, deps Deps) (res *Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			stack := strings.SplitN(string(debug.Stack()), "\n", 12)
			res = &Result{Status: Fail, Summary: fmt.Sprintf("internal error: %v", p), Evidence: map[string]any{"panic": fmt.Sprint(p), "stack": stack}}
		}
		res.ID = c.ID
		res.Duration = time.Since(start)
	}()
	for _, id := range c.Needs {
		d := deps.Get(id)
		if !d.Status.Ok() {
			return &Result{Status: Skip, Summary: fmt.Sprintf("skipped: %s did not pass", id)}
		}
	}
	if ctx.Err() != nil {
		return &Result{Status: Skip, Summary: fmt.Sprintf("not started: --timeout %s reached", env.Opts.Timeout)}
	}
	r := c.Run(ctx, env, deps)
	return &r
}
