package probe

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// ErrQueueFull is returned at once, without waiting, when as many callers
// already wait for a slot as the pool lets wait: queueing more would only
// make them late.
var ErrQueueFull = errors.New("too many checks are waiting for a slot")

// ErrNoSlot is returned when no slot came free before the caller's
// deadline for starting.
var ErrNoSlot = errors.New("no slot came free in time")

// Pool bounds how many checks run at once and how many callers may wait
// for one of its slots. Waiting callers are served in arrival order (Go
// queues the senders blocked on a channel first in, first out).
type Pool struct {
	slots   chan struct{}
	queue   int // how many may wait; negative: no bound
	waiting atomic.Int64
}

// NewPool returns a pool of parallel slots (at least one) where at most
// queue callers may wait; a negative queue lets any number wait.
func NewPool(parallel, queue int) *Pool {
	return &Pool{slots: make(chan struct{}, max(parallel, 1)), queue: queue}
}

// Acquire takes a slot, waiting until one is free, ctx ends, or by passes
// (the zero time: no bound). The caller must call release once done.
func (p *Pool) Acquire(ctx context.Context, by time.Time) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case p.slots <- struct{}{}:
		return p.release, nil
	default:
	}
	if p.queue >= 0 {
		if p.waiting.Add(1) > int64(p.queue) {
			p.waiting.Add(-1)
			return nil, fmt.Errorf("%w (%d running, %d waiting)", ErrQueueFull, cap(p.slots), p.queue)
		}
	} else {
		p.waiting.Add(1)
	}
	defer p.waiting.Add(-1)
	var expired <-chan time.Time
	if !by.IsZero() {
		timer := time.NewTimer(time.Until(by))
		defer timer.Stop()
		expired = timer.C
	}
	start := time.Now()
	select {
	case p.slots <- struct{}{}:
		if err := ctx.Err(); err != nil {
			// select picks at random when both were ready: an ended
			// caller must not start a run.
			p.release()
			return nil, err
		}
		return p.release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-expired:
		return nil, fmt.Errorf("%w: all %d were busy for %s", ErrNoSlot, cap(p.slots), time.Since(start).Round(time.Millisecond))
	}
}

func (p *Pool) release() { <-p.slots }

// Running is how many slots are taken.
func (p *Pool) Running() int { return len(p.slots) }

// Waiting is how many callers wait for a slot.
func (p *Pool) Waiting() int { return int(p.waiting.Load()) }

// Probe timing. A probe has a budget from its arrival (Budget); it waits
// for a slot only while enough of it is left for a meaningful run, and its
// run is given what is left, less the pipeline's own overhead.
const (
	// DefaultTimeoutOffset is kept free of Prometheus's scrape timeout so
	// that the answer arrives before Prometheus gives up, as
	// blackbox_exporter's --timeout-offset (whose default this is).
	DefaultTimeoutOffset = 500 * time.Millisecond
	// minProbeRun is the least a run is started with (or half the budget,
	// when that is less): a run started with a few milliseconds left would
	// report a healthy registry as timing out, a wrong answer where "not
	// run" (503) is the true one.
	minProbeRun = time.Second
	// runOverhead covers what the pipeline does after its timeout
	// (checks.Run waits 200ms for checks to notice it, then diagnose.Check diagnoses),
	// so that the report is written before the deadline.
	runOverhead = 300 * time.Millisecond
)

// Budget is how long a probe may take from its arrival: the check's
// timeout, shortened to Prometheus's scrape timeout less offset when one
// was announced (0: none). The offset never takes more than half of a
// short scrape timeout.
func Budget(timeout, scrapeTimeout, offset time.Duration) time.Duration {
	if scrapeTimeout <= 0 {
		return timeout
	}
	return min(timeout, scrapeTimeout-min(offset, scrapeTimeout/2))
}

// Prober runs on-demand checks (serve's /probe) in a pool of their own, so
// that a flood of them cannot delay the scheduled targets, and ends each by
// its deadline, the wait for a slot included.
type Prober struct {
	run  Runner
	base checks.Options
	pool *Pool
}

// NewProber returns a prober running at most parallel checks at once, with
// at most queue more waiting; base are the options each target's own
// settings override.
func NewProber(run Runner, base checks.Options, parallel, queue int) *Prober {
	return &Prober{run: run, base: base, pool: NewPool(parallel, max(queue, 0))}
}

// Pool is the prober's pool, for its metrics.
func (p *Prober) Pool() *Pool { return p.pool }

// Probe checks t, which must have been validated, and returns by deadline
// (plus the pipeline's short grace when a run overstays). When no slot is
// free before too little of the budget is left, or too many probes wait
// already, the outcome did not run and its Err wraps ErrNoSlot or
// ErrQueueFull.
func (p *Prober) Probe(ctx context.Context, t Target, deadline time.Time) Outcome {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	reserve := min(minProbeRun, time.Until(deadline)/2)
	release, err := p.pool.Acquire(ctx, deadline.Add(-reserve))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = fmt.Errorf("%w: the deadline passed", ErrNoSlot)
		}
		return Outcome{Target: t, Err: err}
	}
	defer release()
	left := time.Until(deadline)
	if left <= 0 {
		return Outcome{Target: t, Err: fmt.Errorf("%w: the deadline passed", ErrNoSlot)}
	}
	o := t.Options(p.base)
	o.Timeout = min(o.Timeout, left-min(runOverhead, left/4))
	rep := p.run(ctx, t.Parsed, o)
	return Outcome{Target: t, Report: rep, Err: ctx.Err()}
}
