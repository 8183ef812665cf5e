package checks

import (
	"context"
	"time"
)

// runClock is the one clock of a run. NewEnv starts it before it reads any
// configuration, so that --timeout bounds configuration loading and
// credential helpers as well as the network checks (checks.Run keeps the
// same deadline), and the report's duration covers all of it.
type runClock struct {
	started  time.Time
	deadline time.Time
	// ctx carries the deadline to what configuration loading leaves
	// running past NewEnv (the lazy DNS lookup for dockerd's CIDR rules);
	// cancel releases it at Close.
	ctx    context.Context
	cancel context.CancelFunc
}

func startClock(ctx context.Context, timeout time.Duration) runClock {
	c := runClock{started: time.Now()}
	c.ctx, c.cancel = context.WithDeadline(ctx, c.started.Add(timeout))
	// A caller's earlier deadline (serve's scrape timeout, a test's) wins.
	c.deadline, _ = c.ctx.Deadline()
	return c
}

// Started is when the run began: before its configuration was read.
func (env *Env) Started() time.Time { return env.clock.started }

// Deadline is when --timeout (or the caller's context, if earlier) ends
// the run. An Env serves one run: its clock starts in NewEnv.
func (env *Env) Deadline() time.Time { return env.clock.deadline }
