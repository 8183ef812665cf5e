package probe

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/target"
)

// countingRunner never touches the network: it counts its runs and, when
// hold is set, holds its slot until the run's context ends.
type countingRunner struct {
	runs atomic.Int32
	hold bool
}

func (r *countingRunner) run(ctx context.Context, t target.Target, o checks.Options) *diagnose.Report {
	r.runs.Add(1)
	if r.hold {
		select {
		case <-ctx.Done():
		case <-time.After(o.Timeout):
		}
	}
	return &diagnose.Report{Target: t, Options: o, Started: time.Now()}
}

// testServer serves NewMux with a prober of parallel slots and queue
// waiting places, the given allow-list and the fake resolver.
func testServer(t *testing.T, r *countingRunner, allow []string, res Resolver, parallel, queue int) *httptest.Server {
	t.Helper()
	a, err := NewAllowList(allow, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewMux(ServeConfig{
		Collector: NewCollector(nil),
		Prober:    NewProber(r.run, checks.Options{Timeout: time.Minute}, parallel, queue),
		Allow:     a,
		Resolve:   func(t *Target) error { return t.Validate() },
		Timeout:   time.Minute,
		Offset:    DefaultTimeoutOffset,
		Resolver:  res,
	}))
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	status int
	body   string
	took   time.Duration
}

// probeReq asks /probe for target with Prometheus's scrape timeout header
// (none when scrape is "").
func probeReq(t *testing.T, srv *httptest.Server, target, scrape string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/probe?target="+url.QueryEscape(target), nil)
	if err != nil {
		t.Fatal(err)
	}
	if scrape != "" {
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", scrape)
	}
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(body), time.Since(start)}
}

func TestProbeAllowList(t *testing.T) {
	r := &countingRunner{}
	asked := make(chan string, 10)
	srv := testServer(t, r, []string{"*.example.com", "exact.example.org"}, fakeResolver{addrs: map[string][]string{"a.example.com": {"203.0.113.7"}}, asked: asked}, 2, 2)

	if a := probeReq(t, srv, "other.example.net/team/app:1", ""); a.status != http.StatusForbidden || !strings.Contains(a.body, "registry other.example.net is not allowed") {
		t.Errorf("unlisted registry: %d %q, want 403 naming it", a.status, a.body)
	}
	if a := probeReq(t, srv, "exact.example.org:5000", ""); a.status != http.StatusForbidden {
		t.Errorf("listed host on another port: %d, want 403", a.status)
	}
	if n := r.runs.Load(); n != 0 {
		t.Fatalf("%d runs for refused targets", n)
	}
	if a := probeReq(t, srv, "a.example.com/team/app:1", ""); a.status != http.StatusOK || !strings.Contains(a.body, "regdoctor_target_healthy") {
		t.Errorf("allowed registry: %d %q", a.status, a.body)
	}
	if a := probeReq(t, srv, "exact.example.org", ""); a.status != http.StatusOK {
		t.Errorf("exactly listed registry: %d %q", a.status, a.body)
	}
	if n := r.runs.Load(); n != 2 {
		t.Errorf("%d runs, want the 2 allowed", n)
	}
	close(asked)
	var lookups []string
	for h := range asked {
		lookups = append(lookups, h)
	}
	if strings.Join(lookups, " ") != "a.example.com" {
		t.Errorf("resolved %v, want only the registry matched by a wildcard", lookups)
	}
}

// Link-local and metadata addresses are refused before anything is run,
// whether written as addresses or behind a name, even under '*'; a pattern
// that names one exactly allows it. The runner is a fake: no test
// connects anywhere.
func TestProbeRefusesLinkLocalAndMetadata(t *testing.T) {
	r := &countingRunner{}
	res := fakeResolver{addrs: map[string][]string{
		"metadata.example.com": {"169.254.169.254"},
		"v6.example.com":       {"2001:db8::1", "fd00:ec2::254"},
		"public.example.com":   {"203.0.113.7"},
	}}
	srv := testServer(t, r, []string{"*"}, res, 2, 2)
	for _, target := range []string{
		"169.254.169.254",
		"169.254.169.254:80/latest/meta-data:x",
		"[fe80::1]:5000",
		"[::ffff:169.254.169.254]:443",
		"metadata.example.com",
		"v6.example.com/team/app:1",
	} {
		a := probeReq(t, srv, target, "")
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "link-local or cloud metadata address") {
			t.Errorf("%s: %d %q, want 403", target, a.status, a.body)
		}
	}
	if n := r.runs.Load(); n != 0 {
		t.Fatalf("%d runs started for link-local or metadata targets", n)
	}
	if a := probeReq(t, srv, "public.example.com", ""); a.status != http.StatusOK {
		t.Errorf("public registry under '*': %d %q", a.status, a.body)
	}

	exact := testServer(t, r, []string{"169.254.169.254"}, res, 2, 2)
	if a := probeReq(t, exact, "169.254.169.254", ""); a.status != http.StatusOK {
		t.Errorf("metadata address named exactly: %d %q, want it checked", a.status, a.body)
	}
}

// With every slot taken and the queue full, a probe is refused at once
// (429); one that waits gives up before its deadline (503) instead of
// answering late.
func TestProbeSaturatedPoolAnswersAtOnce(t *testing.T) {
	r := &countingRunner{hold: true}
	srv := testServer(t, r, []string{"*.example.com"}, fakeResolver{addrs: map[string][]string{"a.example.com": {"203.0.113.7"}}}, 1, 1)

	holder := make(chan answer)
	go func() { holder <- probeReq(t, srv, "a.example.com", "3") }()
	waitUntil(t, "the first probe to take the slot", func() bool { return r.runs.Load() == 1 })
	waiter := make(chan answer)
	go func() { waiter <- probeReq(t, srv, "a.example.com", "3") }()
	waitUntil(t, "the second probe to wait", func() bool { return metric(t, srv, "regdoctor_probe_waiting 1") })

	a := probeReq(t, srv, "a.example.com", "3")
	if a.status != http.StatusTooManyRequests || a.took > slack || !strings.Contains(a.body, "too many checks are waiting") {
		t.Errorf("third probe: %d %q after %s, want 429 at once", a.status, a.body, a.took)
	}
	// The scrape timeout is 3s: the budget 2.5s, the waiter gives up when
	// a second is left, the holder's run ends by the deadline.
	if a := <-waiter; a.status != http.StatusServiceUnavailable || a.took > 2500*time.Millisecond+slack || !strings.Contains(a.body, "no slot came free in time") {
		t.Errorf("waiting probe: %d %q after %s, want 503 before its deadline", a.status, a.body, a.took)
	}
	if a := <-holder; a.status != http.StatusOK || a.took > 2500*time.Millisecond+slack {
		t.Errorf("running probe: %d after %s, want 200 by its 2.5s deadline", a.status, a.took)
	}
	if n := r.runs.Load(); n != 1 {
		t.Errorf("%d runs, want only the first", n)
	}
	for _, want := range []string{`regdoctor_probe_requests_total{code="200"} 1`, `regdoctor_probe_requests_total{code="429"} 1`, `regdoctor_probe_requests_total{code="503"} 1`} {
		if !metric(t, srv, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestProbeBadRequestsEchoNoSecret(t *testing.T) {
	r := &countingRunner{}
	srv := testServer(t, r, []string{"*"}, fakeResolver{}, 1, 1)
	for _, tc := range []struct{ name, query, header, want string }{
		{"no target", "", "", "the target parameter is missing"},
		{"credentials", "target=" + url.QueryEscape("bob:hunter2@registry.example.com/team/app:1"), "", "the target holds credentials (bob:…@)"},
		{"bad platform", "target=registry.example.com&platform=hunter2", "", "the platform parameter: want os/arch"},
		{"bad scrape timeout", "target=registry.example.com", "hunter2", "X-Prometheus-Scrape-Timeout-Seconds: want a number"},
		{"negative scrape timeout", "target=registry.example.com", "-1", "X-Prometheus-Scrape-Timeout-Seconds: want a number"},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/probe?"+tc.query, nil)
		if tc.header != "" {
			req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tc.want) || strings.Contains(string(body), "hunter2") {
			t.Errorf("%s: %d %q, want 400 saying %q without the secret", tc.name, resp.StatusCode, body, tc.want)
		}
	}
	if n := r.runs.Load(); n != 0 {
		t.Errorf("%d runs for bad requests", n)
	}
}

func TestCheckWebConfigRedactsSecrets(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		// As long as a hash, so that bcrypt names its first character.
		"plain password": "basic_auth_users:\n  prometheus: " + strings.Repeat("hunter2-", 8) + "\n",
		"not a map":      "basic_auth_users: hunter2\n",
	} {
		path := filepath.Join(dir, "web.yml")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := CheckWebConfig(path)
		if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "'h'") {
			t.Errorf("%s: %v, want an error without the password", name, err)
		}
	}
	if tls, err := CheckWebConfig(""); tls || err != nil {
		t.Errorf("no web config: %v %v", tls, err)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitFor); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", waitFor, what)
		}
	}
}

// metric reports whether /metrics has the line.
func metric(t *testing.T, srv *httptest.Server, line string) bool {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Error(err)
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if l == line {
			return true
		}
	}
	return false
}
