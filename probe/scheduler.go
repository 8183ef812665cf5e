package probe

import (
	"context"
	"sync"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/target"
)

// Runner checks one target. The command passes the real pipeline; tests
// pass fakes.
type Runner func(ctx context.Context, t target.Target, o checks.Options) *diagnose.Report

// Outcome is what one run of one target produced.
type Outcome struct {
	Target Target
	Report *diagnose.Report // nil when the run never started
	Err    error            // set when the run did not start or was interrupted
}

// Ran reports whether the target was checked to the end.
func (o Outcome) Ran() bool { return o.Report != nil && o.Err == nil }

// Scheduler runs targets concurrently, at most parallel at a time. One
// scheduler may serve several callers at once (RunOnce and Every): they
// share the bound. serve's on-demand probes have a Prober of their own.
type Scheduler struct {
	run  Runner
	base checks.Options
	pool *Pool
}

// NewScheduler returns a scheduler that runs with base options (each
// target's own settings override them) and at most parallel runs at once.
func NewScheduler(run Runner, base checks.Options, parallel int) *Scheduler {
	// Any number may wait: the callers are the scheduler's own goroutines,
	// one per target, so the queue is bounded by the targets file.
	return &Scheduler{run: run, base: base, pool: NewPool(parallel, -1)}
}

// Check runs one target once, waiting for a free slot. Targets must have
// been validated (Target.Validate).
func (s *Scheduler) Check(ctx context.Context, t Target) Outcome {
	release, err := s.pool.Acquire(ctx, time.Time{})
	if err != nil {
		return Outcome{Target: t, Err: err}
	}
	defer release()
	rep := s.run(ctx, t.Parsed, t.Options(s.base))
	return Outcome{Target: t, Report: rep, Err: ctx.Err()}
}

// RunOnce checks every target once. emit, when not nil, gets each outcome
// as soon as its run ends, one call at a time, so a slow target delays
// nobody's output but its own. The result is in the order of targets.
func (s *Scheduler) RunOnce(ctx context.Context, targets []Target, emit func(Outcome)) []Outcome {
	emit = serialize(emit)
	out := make([]Outcome, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			out[i] = s.Check(ctx, t)
			emit(out[i])
		})
	}
	wg.Wait()
	return out
}

// Every checks each target every interval until ctx is done. Each target
// keeps its own schedule: one whose run takes long delays only its own next
// run (which then starts at once). Runs interrupted by ctx are not emitted.
func (s *Scheduler) Every(ctx context.Context, interval time.Duration, targets []Target, emit func(Outcome)) {
	emit = serialize(emit)
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Go(func() {
			for {
				next := time.Now().Add(interval)
				o := s.Check(ctx, t)
				if ctx.Err() != nil {
					return
				}
				emit(o)
				if !sleepUntil(ctx, next) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// serialize makes emit safe to call from many goroutines; nil becomes a no-op.
func serialize(emit func(Outcome)) func(Outcome) {
	if emit == nil {
		return func(Outcome) {}
	}
	var mu sync.Mutex
	return func(o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		emit(o)
	}
}

// sleepUntil waits for t and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
