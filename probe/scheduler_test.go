package probe

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/target"
)

// waitFor bounds a wait for something the code under test must do.
const waitFor = 10 * time.Second

func targets(t *testing.T, refs ...string) []Target {
	t.Helper()
	ts := make([]Target, len(refs))
	for i, r := range refs {
		ts[i] = Target{Ref: r}
		if err := ts[i].Validate(); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

// fakeRunner reports every target healthy; a target whose registry is in
// block waits for its channel first.
type fakeRunner struct {
	block             map[string]chan struct{}
	inFlight, maxSeen atomic.Int32
	runs              sync.Map // registry -> *atomic.Int32
}

func (f *fakeRunner) run(ctx context.Context, t target.Target, o checks.Options) *diagnose.Report {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.maxSeen.Load(); n > m && !f.maxSeen.CompareAndSwap(m, n); m = f.maxSeen.Load() {
	}
	c, _ := f.runs.LoadOrStore(t.Registry, new(atomic.Int32))
	c.(*atomic.Int32).Add(1)
	if ch, ok := f.block[t.Registry]; ok {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	return &diagnose.Report{Target: t, Options: o, Started: time.Now()}
}

func (f *fakeRunner) count(registry string) int32 {
	c, ok := f.runs.Load(registry)
	if !ok {
		return 0
	}
	return c.(*atomic.Int32).Load()
}

func TestRunOnceNeverExceedsParallel(t *testing.T) {
	release := make(chan struct{})
	refs := []string{"a.example.com", "b.example.com", "c.example.com", "d.example.com", "e.example.com", "f.example.com", "g.example.com"}
	f := &fakeRunner{block: map[string]chan struct{}{}}
	for _, r := range refs {
		f.block[r] = release
	}
	s := NewScheduler(f.run, checks.Options{}, 3)
	done := make(chan []Outcome)
	go func() { done <- s.RunOnce(context.Background(), targets(t, refs...), nil) }()

	deadline := time.Now().Add(waitFor)
	for f.inFlight.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d runs started, want 3 at once", f.inFlight.Load())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	outs := <-done
	if got := f.maxSeen.Load(); got != 3 {
		t.Errorf("at most %d runs at once, want exactly --parallel 3", got)
	}
	for i, o := range outs {
		if !o.Ran() || o.Target.Ref != refs[i] {
			t.Errorf("outcome %d: %+v, want a finished run of %s", i, o, refs[i])
		}
	}
}

// A target that hangs holds one slot; every other target is checked and
// emitted while it still hangs.
func TestRunOnceSlowTargetHoldsUpNobody(t *testing.T) {
	slow := make(chan struct{})
	f := &fakeRunner{block: map[string]chan struct{}{"slow.example.com": slow}}
	s := NewScheduler(f.run, checks.Options{}, 2)
	ts := targets(t, "slow.example.com", "a.example.com", "b.example.com", "c.example.com", "d.example.com")

	emitted := make(chan string, len(ts))
	done := make(chan []Outcome)
	go func() {
		done <- s.RunOnce(context.Background(), ts, func(o Outcome) { emitted <- o.Target.Ref })
	}()
	for i := range 4 {
		select {
		case ref := <-emitted:
			if ref == "slow.example.com" {
				t.Fatalf("emission %d is the blocked target", i)
			}
		case <-time.After(waitFor):
			t.Fatalf("only %d of the 4 fast targets were emitted while the slow one hung", i)
		}
	}
	close(slow)
	if ref := <-emitted; ref != "slow.example.com" {
		t.Errorf("last emission %s, want slow.example.com", ref)
	}
	if outs := <-done; outs[0].Target.Ref != "slow.example.com" || !outs[0].Ran() {
		t.Errorf("outcomes are not in target order: %+v", outs[0])
	}
}

func TestRunOnceCancelledBeforeStart(t *testing.T) {
	f := &fakeRunner{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	outs := NewScheduler(f.run, checks.Options{}, 2).RunOnce(ctx, targets(t, "a.example.com", "b.example.com"), nil)
	for _, o := range outs {
		if o.Ran() || o.Report != nil || o.Err == nil {
			t.Errorf("%s: %+v, want not run with an error", o.Target.Ref, o)
		}
	}
	if n := f.count("a.example.com") + f.count("b.example.com"); n != 0 {
		t.Errorf("%d runs after cancellation", n)
	}
}

// Each target keeps its own schedule: a hung target does not stop the
// others from being checked again and again.
func TestEveryKeepsEachTargetOnItsOwnSchedule(t *testing.T) {
	slow := make(chan struct{})
	f := &fakeRunner{block: map[string]chan struct{}{"slow.example.com": slow}}
	s := NewScheduler(f.run, checks.Options{}, 2)
	ctx, cancel := context.WithCancel(context.Background())
	emitted := map[string]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Every(ctx, time.Millisecond, targets(t, "slow.example.com", "fast.example.com"), func(o Outcome) { emitted[o.Target.Ref]++ })
	}()
	deadline := time.Now().Add(waitFor)
	for f.count("fast.example.com") < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("fast target ran %d times while the slow one hung, want 5", f.count("fast.example.com"))
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if emitted["slow.example.com"] != 0 {
		t.Errorf("the run interrupted by cancellation was emitted")
	}
	if emitted["fast.example.com"] < 4 {
		t.Errorf("fast target emitted %d times, want at least 4", emitted["fast.example.com"])
	}
	close(slow)
}
