package diagnose_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/target"
)

// runSynthetic runs list through diagnose.Check with a target and options
// that touch neither the network nor the machine's configuration;
// synthetic checks ignore them anyway.
func runSynthetic(t *testing.T, timeout time.Duration, list []checks.Check, observe checks.Observer) *diagnose.Report {
	t.Helper()
	target, err := target.Parse("10.0.0.5:5000/team/app:1.0") // an IP: no DNS lookup
	if err != nil {
		t.Fatal(err)
	}
	o := checks.Options{
		Timeout: timeout, TLSVerify: true, CertsDirs: []string{}, Env: func(string) string { return "" },
		SysRoot: t.TempDir(), Clients: []string{"podman"},
	}
	return diagnose.Check(context.Background(), target, o, diagnose.Hooks{Checks: list, Observe: observe})
}

// probe records what each synthetic check saw of its dependencies.
type probe struct {
	mu   sync.Mutex
	ran  map[string]bool
	deps map[string]map[string]checks.Status
}

func newProbe() *probe {
	return &probe{ran: map[string]bool{}, deps: map[string]map[string]checks.Status{}}
}

// check returns a synthetic check that records its run and reports status.
func (p *probe) check(id string, status checks.Status, needs, uses, fallback []string) checks.Check {
	return checks.Check{ID: id, Needs: needs, Uses: uses, Fallback: fallback,
		Run: func(_ context.Context, _ *checks.Env, deps checks.Deps) checks.Result {
			seen := map[string]checks.Status{}
			for k, r := range deps {
				seen[k] = r.Status
			}
			p.mu.Lock()
			p.ran[id], p.deps[id] = true, seen
			p.mu.Unlock()
			return checks.Result{Status: status, Summary: id + " ran"}
		}}
}

func statuses(rep *diagnose.Report) map[string]checks.Status {
	m := map[string]checks.Status{}
	for _, r := range rep.Results {
		m[r.ID] = r.Status
	}
	return m
}

func TestRunDependencies(t *testing.T) {
	p := newProbe()
	list := []checks.Check{
		p.check("up", checks.Pass, nil, nil, nil),
		p.check("broken", checks.Fail, nil, nil, nil),
		p.check("warned", checks.Warn, nil, nil, nil),
		p.check("needs-broken", checks.Pass, []string{"broken"}, nil, nil),
		p.check("needs-skipped", checks.Pass, []string{"needs-broken"}, nil, nil),
		p.check("needs-unknown", checks.Pass, []string{"ghost"}, nil, nil),
		p.check("needs-up-and-warned", checks.Pass, []string{"up", "warned"}, nil, nil),
		p.check("uses-broken", checks.Pass, nil, []string{"broken"}, []string{"up"}),
		p.check("uses-up", checks.Pass, nil, []string{"up"}, []string{"broken"}),
	}
	var observed []string
	rep := runSynthetic(t, 5*time.Second, list, func(r *checks.Result) { observed = append(observed, r.ID) })

	want := map[string]checks.Status{
		"up": checks.Pass, "broken": checks.Fail, "warned": checks.Warn,
		"needs-broken": checks.Skip, "needs-skipped": checks.Skip, "needs-unknown": checks.Skip,
		"needs-up-and-warned": checks.Pass, "uses-broken": checks.Pass, "uses-up": checks.Pass,
	}
	if got := statuses(rep); !maps.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	for _, id := range []string{"needs-broken", "needs-skipped", "needs-unknown"} {
		if p.ran[id] {
			t.Errorf("%s ran although a hard dependency did not pass", id)
		}
		if s := rep.Result(id).Summary; !strings.Contains(s, "did not pass") {
			t.Errorf("%s: summary %q does not say why it was skipped", id, s)
		}
	}
	// Soft dependencies are handed over whatever their outcome; fallbacks
	// only when a soft dependency did not pass.
	for id, deps := range map[string]map[string]checks.Status{
		"uses-broken":         {"broken": checks.Fail, "up": checks.Pass},
		"uses-up":             {"up": checks.Pass},
		"needs-up-and-warned": {"up": checks.Pass, "warned": checks.Warn},
	} {
		if !maps.Equal(p.deps[id], deps) {
			t.Errorf("%s saw deps %v, want %v", id, p.deps[id], deps)
		}
	}
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	slices.Sort(observed)
	slices.Sort(ids)
	if !slices.Equal(observed, ids) {
		t.Errorf("observer saw %v, want each check once: %v", observed, ids)
	}
}

func TestRunRecoversFromPanic(t *testing.T) {
	p := newProbe()
	list := []checks.Check{
		{ID: "panics", Run: func(context.Context, *checks.Env, checks.Deps) checks.Result { panic("boom") }},
		{ID: "nil-map", Run: func(context.Context, *checks.Env, checks.Deps) checks.Result {
			var m map[string]int
			//lint:ignore SA5000 a runtime panic, not a call to panic, is the point
			m["x"]++
			return checks.Result{Status: checks.Pass}
		}},
		p.check("after", checks.Pass, []string{"panics"}, nil, nil),
		p.check("independent", checks.Pass, nil, nil, nil),
	}
	rep := runSynthetic(t, 5*time.Second, list, nil)
	for _, id := range []string{"panics", "nil-map"} {
		r := rep.Result(id)
		ev, _ := r.Evidence.(map[string]any)
		if r.Status != checks.Fail || !strings.HasPrefix(r.Summary, "internal error:") || ev["panic"] == nil {
			t.Errorf("%s: %s %q evidence %v, want a failed result that names the panic", id, r.Status, r.Summary, r.Evidence)
		}
	}
	if !strings.Contains(rep.Result("panics").Summary, "boom") {
		t.Errorf("summary %q lost the panic value", rep.Result("panics").Summary)
	}
	if got := statuses(rep); got["after"] != checks.Skip || got["independent"] != checks.Pass || p.ran["after"] {
		t.Errorf("statuses %v: the panic's dependent must be skipped, the rest must run", got)
	}
}

// TestRunReturnsAtTimeout: a check that ignores its context cannot hold
// the run past --timeout plus a short grace period.
func TestRunReturnsAtTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	p := newProbe()
	list := []checks.Check{
		{ID: "stuck", Run: func(context.Context, *checks.Env, checks.Deps) checks.Result {
			<-release
			return checks.Result{Status: checks.Pass}
		}},
		p.check("after-stuck", checks.Pass, []string{"stuck"}, nil, nil),
		p.check("quick", checks.Pass, nil, nil, nil),
	}
	const timeout = 300 * time.Millisecond
	start := time.Now()
	rep := runSynthetic(t, timeout, list, nil)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Run took %s with --timeout %s", took, timeout)
	}
	if r := rep.Result("stuck"); r.Status != checks.Fail || !strings.Contains(r.Summary, "did not finish") {
		t.Errorf("stuck: %s %q, want it reported as not finished", r.Status, r.Summary)
	}
	if st := rep.Result("after-stuck").Status; st.Ok() || p.ran["after-stuck"] {
		t.Errorf("after-stuck: %s (ran %v), want it not run", st, p.ran["after-stuck"])
	}
	if st := rep.Result("quick").Status; st != checks.Pass {
		t.Errorf("quick: %s, want pass", st)
	}
	if len(rep.Results) != len(list) {
		t.Errorf("%d results for %d checks", len(rep.Results), len(list))
	}
}

// TestRunHonoursCancellation: a check that respects its context ends
// with the run's deadline, and the pipeline reports what it returned.
func TestRunHonoursCancellation(t *testing.T) {
	list := []checks.Check{{ID: "waits", Run: func(ctx context.Context, _ *checks.Env, _ checks.Deps) checks.Result {
		<-ctx.Done()
		return checks.Result{Status: checks.Fail, Summary: "gave up: " + ctx.Err().Error()}
	}}}
	rep := runSynthetic(t, 300*time.Millisecond, list, nil)
	if r := rep.Result("waits"); r.Status != checks.Fail || !strings.HasPrefix(r.Summary, "gave up") {
		t.Errorf("waits: %s %q, want the check's own result", r.Status, r.Summary)
	}
}
