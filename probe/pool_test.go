package probe

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/target"
)

// slack is what a loaded 2-core CI may add to any measured duration.
const slack = 1500 * time.Millisecond

func TestPoolQueueFullAnswersAtOnce(t *testing.T) {
	p := NewPool(1, 1)
	release, err := p.Acquire(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	waited := make(chan error)
	go func() {
		_, err := p.Acquire(context.Background(), time.Now().Add(waitFor))
		waited <- err
	}()
	for deadline := time.Now().Add(waitFor); p.Waiting() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second caller never waited")
		}
	}
	start := time.Now()
	_, err = p.Acquire(context.Background(), time.Now().Add(waitFor))
	if !errors.Is(err, ErrQueueFull) || time.Since(start) > slack {
		t.Errorf("third caller: %v after %s, want ErrQueueFull at once", err, time.Since(start))
	}
	release()
	if err := <-waited; err != nil {
		t.Errorf("the waiting caller got %v, want the released slot", err)
	}
	if p.Running() != 1 || p.Waiting() != 0 {
		t.Errorf("running %d, waiting %d; want 1 and 0", p.Running(), p.Waiting())
	}
}

func TestPoolGivesUpAtItsBound(t *testing.T) {
	p := NewPool(1, -1)
	release, _ := p.Acquire(context.Background(), time.Time{})
	defer release()
	start := time.Now()
	_, err := p.Acquire(context.Background(), start.Add(200*time.Millisecond))
	if took := time.Since(start); !errors.Is(err, ErrNoSlot) || took < 200*time.Millisecond || took > 200*time.Millisecond+slack {
		t.Errorf("got %v after %s, want ErrNoSlot after 200ms", err, took)
	}
	if p.Waiting() != 0 {
		t.Errorf("%d still counted as waiting", p.Waiting())
	}
}

func TestBudget(t *testing.T) {
	for _, tc := range []struct {
		timeout, scrape, want time.Duration
	}{
		{10 * time.Second, 0, 10 * time.Second},                            // no header: --timeout
		{10 * time.Second, 5 * time.Second, 4500 * time.Millisecond},       // the scrape timeout less the offset
		{3 * time.Second, 30 * time.Second, 3 * time.Second},               // --timeout is the cap
		{10 * time.Second, 600 * time.Millisecond, 300 * time.Millisecond}, // the offset takes at most half
		{10 * time.Second, 2 * time.Second, 1500 * time.Millisecond},
	} {
		if got := Budget(tc.timeout, tc.scrape, DefaultTimeoutOffset); got != tc.want {
			t.Errorf("Budget(%s, %s) = %s, want %s", tc.timeout, tc.scrape, got, tc.want)
		}
	}
}

// timedRunner records the timeout each run was given and blocks until
// its context ends or release is closed.
type timedRunner struct {
	mu       sync.Mutex
	timeouts []time.Duration
	release  chan struct{}
}

func (r *timedRunner) run(ctx context.Context, t target.Target, o checks.Options) *diagnose.Report {
	r.mu.Lock()
	r.timeouts = append(r.timeouts, o.Timeout)
	r.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-r.release:
	case <-time.After(o.Timeout):
	}
	return &diagnose.Report{Target: t, Options: o, Started: time.Now()}
}

func (r *timedRunner) runs() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.timeouts...)
}

// A probe that waits for a slot has its run shortened by the wait, and one
// that cannot start with enough time left does not run at all: either way
// it returns by its deadline.
func TestProbeEndsByItsDeadline(t *testing.T) {
	r := &timedRunner{release: make(chan struct{})}
	p := NewProber(r.run, checks.Options{Timeout: time.Minute}, 1, 4)
	tg := targets(t, "a.example.com")[0]

	start := time.Now()
	first := make(chan Outcome)
	go func() { first <- p.Probe(context.Background(), tg, start.Add(3*time.Second)) }()
	for deadline := time.Now().Add(waitFor); p.Pool().Running() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first probe never ran")
		}
	}
	// The slot is taken for the first probe's 3s: the second, with a 2s
	// deadline, gives up while a second is still left, and never runs.
	o := p.Probe(context.Background(), tg, time.Now().Add(2*time.Second))
	if took := time.Since(start); !errors.Is(o.Err, ErrNoSlot) || o.Ran() || took > 2*time.Second+slack {
		t.Errorf("second probe: %v after %s, want ErrNoSlot by its 2s deadline", o.Err, took)
	}
	// The first run was given its budget, less the pipeline's overhead,
	// not the minute of --timeout.
	if o := <-first; !o.Ran() {
		t.Errorf("first probe: %v, want a finished run", o.Err)
	}
	if got := r.runs(); len(got) != 1 || got[0] > 3*time.Second-runOverhead || got[0] < 2*time.Second {
		t.Errorf("run timeouts %v, want one run of about 3s less %s", got, runOverhead)
	}
	if took := time.Since(start); took > 3*time.Second+slack {
		t.Errorf("the first probe returned after %s, past its 3s deadline", took)
	}
}
