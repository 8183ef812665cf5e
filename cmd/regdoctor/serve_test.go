package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
	"github.com/regdoctor/regdoctor/report"
)

// loadSlack is what a loaded 2-core CI may add to a deadline.
const loadSlack = 1500 * time.Millisecond

// logBuffer is serve's stderr: it never blocks serve, and a test can wait
// for a line.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// served is a running cmdServe.
type served struct {
	base   string // scheme://host:port
	stderr *logBuffer
	cancel context.CancelFunc
	code   chan int
}

// startServe runs cmdServe with args on a free loopback port until the
// test ends.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stderr: &logBuffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() {
		s.code <- cmdServe(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), io.Discard, s.stderr)
	}()
	t.Cleanup(func() { s.stop(t) })
	for deadline := time.Now().Add(waitFor); ; time.Sleep(5 * time.Millisecond) {
		if m := listening.FindStringSubmatch(s.stderr.String()); m != nil {
			s.base = m[1]
			return s
		}
		select {
		case c := <-s.code:
			t.Fatalf("serve exited %d before listening: %s", c, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say where it listens: %s", s.stderr)
		}
	}
}

// stop shuts serve down and returns its exit code (once; -1 afterwards).
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case c := <-s.code:
		s.code <- -1
		return c
	case <-time.After(waitFor):
		t.Fatal("serve did not shut down when its context ended")
		return 0
	}
}

type probeAnswer struct {
	status int
	body   string
	took   time.Duration
	err    error
}

// probeTarget asks serve's /probe for target, announcing Prometheus's
// scrape timeout when scrape is not "".
func probeTarget(client *http.Client, base, target, scrape string) probeAnswer {
	req, err := http.NewRequest(http.MethodGet, base+"/probe?target="+url.QueryEscape(target), nil)
	if err != nil {
		return probeAnswer{err: err}
	}
	if scrape != "" {
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", scrape)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return probeAnswer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return probeAnswer{resp.StatusCode, string(body), time.Since(start), err}
}

// loopbackClient talks to serve directly, never through a proxy.
func loopbackClient() *http.Client {
	return &http.Client{Timeout: waitFor, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 100}}
}

// A registry that drips its answer, and one whose connections are never
// accepted, are checked within Prometheus's scrape timeout however long
// --timeout is.
func TestServeProbeHonoursScrapeTimeout(t *testing.T) {
	drip, dead := fixturetest.Start(t, "drip"), fixturetest.Start(t, "connection-timeout")
	isolate(t, "")
	s := startServe(t, "--timeout", "30s", "--cert-dir", drip.CertDir, "--probe-allow", "127.0.0.1:*")
	client := loopbackClient()
	for _, target := range []string{drip.Target, dead.Target} {
		a := probeTarget(client, s.base, target, "2")
		if a.err != nil {
			t.Fatalf("%s: %v", target, a.err)
		}
		if a.took > 2*time.Second+loadSlack {
			t.Errorf("%s: answered after %s, past the 2s scrape timeout", target, a.took)
		}
		switch a.status {
		case http.StatusOK:
			if got := healthyByTarget(parseMetrics(t, a.body)); len(got) != 1 || got[target] != 0 {
				t.Errorf("%s: regdoctor_target_healthy = %v, want 0", target, got)
			}
		case http.StatusServiceUnavailable:
			// The run outlasted the budget on a loaded machine: "not
			// run" is a true answer, a late one would not be.
			t.Logf("%s: 503 %q after %s", target, a.body, a.took)
		default:
			t.Errorf("%s: %d %q, want the metrics of a failed check", target, a.status, a.body)
		}
	}
}

// While /probe is flooded with checks of a dead host, every probe answers
// by its deadline (most at once, refused), and the scheduled target is
// checked every interval as before: its slots are its own.
func TestServeScheduledStayFreshUnderProbeFlood(t *testing.T) {
	healthy, dead := fixturetest.Start(t, "healthy"), fixturetest.Start(t, "connection-timeout")
	isolate(t, "")
	targets := writeTargets(t, "- "+healthy.Target+"\n")
	s := startServe(t, "--targets", targets, "--interval", "200ms", "--parallel", "2", "--timeout", "5s", "--cert-dir", healthy.CertDir,
		"--probe-allow", "127.0.0.1:*", "--probe-parallel", "4", "--probe-queue", "8")
	client := loopbackClient()
	defer client.CloseIdleConnections()

	lastRun := func() (time.Time, time.Duration) {
		start := time.Now()
		_, body := get(t, s.base+"/metrics")
		for _, m := range parseMetrics(t, body)["regdoctor_last_run_timestamp_seconds"].GetMetric() {
			return time.UnixMilli(int64(m.GetGauge().GetValue() * 1e3)), time.Since(start)
		}
		return time.Time{}, time.Since(start)
	}
	waitUntilTrue(t, "the first scheduled run", func() bool { at, _ := lastRun(); return !at.IsZero() })

	// A scrape timeout long enough that, were the slots shared, a
	// scheduled run would queue behind dead probes for seconds.
	const flooders, flood, scrape, scrapeTimeout = 60, 4 * time.Second, "5", 5 * time.Second
	var answers sync.Map // status -> *atomic.Int32
	var late atomic.Int32
	var wg sync.WaitGroup
	stop := time.Now().Add(flood)
	for range flooders {
		wg.Go(func() {
			for time.Now().Before(stop) {
				a := probeTarget(client, s.base, dead.Target, scrape)
				if a.err != nil || a.took > scrapeTimeout+loadSlack {
					late.Add(1)
				}
				n, _ := answers.LoadOrStore(a.status, new(atomic.Int32))
				n.(*atomic.Int32).Add(1)
				if a.status != http.StatusOK {
					time.Sleep(50 * time.Millisecond) // a refusal is instant: do not spin
				}
			}
		})
	}
	var worstAge, worstMetrics time.Duration
	for time.Now().Before(stop) {
		at, took := lastRun()
		worstAge, worstMetrics = max(worstAge, time.Since(at)), max(worstMetrics, took)
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()

	counts := map[int]int32{}
	answers.Range(func(k, v any) bool { counts[k.(int)] = v.(*atomic.Int32).Load(); return true })
	t.Logf("answers by status %v; scheduled run at most %s old; /metrics at most %s", counts, worstAge, worstMetrics)
	if n := late.Load(); n > 0 {
		t.Errorf("%d probes failed or answered past their %s scrape timeout", n, scrapeTimeout)
	}
	for status := range counts {
		if status != http.StatusOK && status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
			t.Errorf("answer %d to a flood, want 200, 429 or 503", status)
		}
	}
	if counts[http.StatusTooManyRequests] == 0 {
		t.Errorf("60 concurrent probes against 4 slots and 8 waiting places got no 429")
	}
	// Every 200ms, a run of a few ms: 2s is ten missed intervals.
	if worstAge > 2*time.Second {
		t.Errorf("the scheduled target's last run was %s old during the flood, at --interval 200ms", worstAge)
	}
	if worstMetrics > time.Second {
		t.Errorf("/metrics took %s during the flood", worstMetrics)
	}
}

func waitUntilTrue(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitFor); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", waitFor, what)
		}
	}
}

// /probe checks the scheduled targets' registries, and others only when
// --probe-allow lets it.
func TestServeProbeAllowList(t *testing.T) {
	healthy, other := fixturetest.Start(t, "healthy"), fixturetest.Start(t, "tag-mismatch")
	isolate(t, "")
	targets := writeTargets(t, "- "+healthy.Target+"\n")
	client := loopbackClient()

	s := startServe(t, "--targets", targets, "--interval", "1h", "--timeout", cliTimeout, "--cert-dir", healthy.CertDir)
	if a := probeTarget(client, s.base, healthy.Target, ""); a.status != http.StatusOK {
		t.Errorf("scheduled registry: %d %q, want 200", a.status, a.body)
	}
	registry := strings.SplitN(other.Target, "/", 2)[0]
	if a := probeTarget(client, s.base, other.Target, ""); a.status != http.StatusForbidden || !strings.Contains(a.body, "registry "+registry+" is not allowed") {
		t.Errorf("unlisted registry: %d %q, want 403 naming it", a.status, a.body)
	}
	s.stop(t)

	s = startServe(t, "--targets", targets, "--interval", "1h", "--timeout", cliTimeout, "--cert-dir", healthy.CertDir, "--probe-allow", registry)
	if a := probeTarget(client, s.base, other.Target, ""); a.status != http.StatusOK {
		t.Errorf("registry named by --probe-allow: %d %q, want 200", a.status, a.body)
	}
}

// webPKI writes a self-signed certificate for 127.0.0.1, which clients
// trust as its own CA, and its key.
func webPKI(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "regdoctor serve test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "serve.crt"), filepath.Join(dir, "serve.key")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TLS and basic auth through --web.config.file guard every endpoint; the
// password appears nowhere in what serve writes.
func TestServeTLSAndBasicAuth(t *testing.T) {
	healthy := fixturetest.Start(t, "healthy")
	isolate(t, "")
	dir := t.TempDir()
	certFile, keyFile, pool := webPKI(t, dir)
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	password := hex.EncodeToString(secret)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := writeFile(t, filepath.Join(dir, "web.yml"), fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", filepath.Base(certFile), filepath.Base(keyFile), hash))
	targets := writeTargets(t, "- "+healthy.Target+"\n")
	s := startServe(t, "--targets", targets, "--interval", "1h", "--timeout", cliTimeout, "--cert-dir", healthy.CertDir, "--web.config.file", webConfig)
	if !strings.HasPrefix(s.base, "https://") {
		t.Fatalf("serve listens on %s, want https://", s.base)
	}

	client := &http.Client{Timeout: waitFor, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	do := func(path, user, pass string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	paths := []string{"/metrics", "/healthz", "/probe?target=" + url.QueryEscape(healthy.Target), "/"}
	for _, p := range paths {
		if status, _ := do(p, "", ""); status != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d, want 401", p, status)
		}
		if status, _ := do(p, "prometheus", "not-"+password); status != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d, want 401", p, status)
		}
		if status, _ := do(p, "someone", password); status != http.StatusUnauthorized {
			t.Errorf("%s as an unknown user: %d, want 401", p, status)
		}
		if status, _ := do(p, "prometheus", password); status != http.StatusOK {
			t.Errorf("%s with the password: %d, want 200", p, status)
		}
	}
	if _, body := do(paths[2], "prometheus", password); healthyByTarget(parseMetrics(t, body))[healthy.Target] != 1 {
		t.Errorf("/probe over TLS: %q, want the target healthy", body)
	}
	// Plain HTTP gets no answer but Go's "HTTP request to an HTTPS server".
	status, body := get(t, "http://"+strings.TrimPrefix(s.base, "https://")+"/metrics")
	if status != http.StatusBadRequest || strings.Contains(body, "regdoctor") {
		t.Errorf("plain HTTP to the TLS port: %d %q", status, body)
	}
	if code := s.stop(t); code != report.ExitOK {
		t.Errorf("serve exit %d, want 0", code)
	}
	if strings.Contains(s.stderr.String(), password) {
		t.Error("serve's stderr holds the password")
	}
}

// A web config that does not load is a usage error before serve listens,
// and its message holds no secret.
func TestServeBadWebConfig(t *testing.T) {
	isolate(t, "")
	dir := t.TempDir()
	clear := strings.Repeat("hunter2-", 8) // as long as a bcrypt hash
	for name, doc := range map[string]string{
		"password in clear": "basic_auth_users:\n  prometheus: " + clear + "\n",
		"missing key":       "tls_server_config:\n  cert_file: serve.crt\n",
		"unknown setting":   "tls_server_config:\n  cert_fil: serve.crt\n",
	} {
		path := writeFile(t, filepath.Join(dir, "web.yml"), doc)
		r := cli("serve", "--listen", "127.0.0.1:0", "--web.config.file", path)
		if r.code != report.ExitUsage || !strings.Contains(r.stderr, "--web.config.file") || strings.Contains(r.stderr, "hunter2") || strings.Contains(r.stderr, "listening") {
			t.Errorf("%s: exit %d, stderr %q; want a usage error without the password", name, r.code, r.stderr)
		}
	}
	r := cli("serve", "--listen", "127.0.0.1:0", "--web.config.file", filepath.Join(dir, "missing.yml"))
	if r.code != report.ExitUsage {
		t.Errorf("missing web config: exit %d, want %d", r.code, report.ExitUsage)
	}
}

// A targets file whose reference holds user:password@ is refused without
// echoing the password.
func TestServeTargetsFileEchoesNoPassword(t *testing.T) {
	isolate(t, "")
	targets := writeTargets(t, "- registry.example.com\n- target: bob:hunter2@registry.example.com/team/app:1\n")
	for _, args := range [][]string{{"serve", "--targets", targets}, {"check", "--targets", targets}} {
		r := cli(args...)
		if r.code != report.ExitUsage || !strings.Contains(r.stderr, "target 2: the target holds credentials") || strings.Contains(r.stderr, "hunter2") {
			t.Errorf("%s: exit %d, stderr %q; want a usage error without the password", args[0], r.code, r.stderr)
		}
	}
}
