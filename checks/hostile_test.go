package checks

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/regdoctor/regdoctor/internal/safetext"

	"github.com/regdoctor/regdoctor/target"
)

// Hostile servers, one behaviour at a time, against Env.Do: every read is
// bounded, credentials go only where they may, and the evidence and the
// trace hold no secret and no control character.

// hostileEnv is an Env for a test server, isolated from the machine.
func hostileEnv(t *testing.T, serverURL string, creds *Credentials, tlsVerify bool) *Env {
	t.Helper()
	tg, err := target.Parse(strings.TrimPrefix(strings.TrimPrefix(serverURL, "http://"), "https://"))
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(context.Background(), tg, Options{Timeout: testTimeout, TLSVerify: tlsVerify, CertsDirs: []string{},
		Clients: []string{"podman"}, SysRoot: t.TempDir(), Env: func(string) string { return "" }})
	env.Config.Creds = creds
	t.Cleanup(env.Close)
	return env
}

// authLog records the Authorization header of each request, by path.
type authLog struct {
	mu   sync.Mutex
	seen map[string]string
}

func (l *authLog) record(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]string{}
	}
	l.seen[r.Host+r.URL.Path] = r.Header.Get("Authorization")
}

func (l *authLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = nil
}

func (l *authLog) get(key string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.seen[key]
	return v, ok
}

// TestRedirectKeepsCredentialsAtHome: Authorization follows a redirect
// only within the first request's scheme, host and port, and never comes
// back once a hop has left them. Go's own client would send it to the
// same host name on another port, which is the case tested here.
func TestRedirectKeepsCredentialsAtHome(t *testing.T) {
	var log authLog
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		if back := r.URL.Query().Get("back"); back != "" {
			http.Redirect(w, r, back, http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer other.Close()
	var home *httptest.Server
	home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/same-target", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/away-target", http.StatusTemporaryRedirect)
		case "/round-trip":
			http.Redirect(w, r, other.URL+"/via?back="+url.QueryEscape(home.URL+"/returned"), http.StatusFound)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer home.Close()
	h, o := strings.TrimPrefix(home.URL, "http://"), strings.TrimPrefix(other.URL, "http://")
	if hh, _, _ := net.SplitHostPort(h); !strings.HasPrefix(o, hh+":") {
		t.Fatalf("servers %s and %s should share the host name", h, o)
	}
	env := hostileEnv(t, home.URL, nil, true)
	const auth = "Bearer t0ken-for-home"
	for _, tc := range []struct {
		path     string
		got      map[string]string // where the request went: the Authorization it carried
		withheld bool
		status   int
	}{
		{"/same", map[string]string{h + "/same": auth, h + "/same-target": auth}, false, 200},
		{"/away", map[string]string{h + "/away": auth, o + "/away-target": ""}, true, 401},
		{"/round-trip", map[string]string{h + "/round-trip": auth, o + "/via": "", h + "/returned": ""}, true, 200},
	} {
		x, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: home.URL + tc.path, Auth: auth})
		for where, want := range tc.got {
			if got, ok := log.get(where); !ok || got != want {
				t.Errorf("%s: %s received Authorization %q (reached: %v), want %q", tc.path, where, got, ok, want)
			}
		}
		if (x.Withheld != "") != tc.withheld || x.Status != tc.status || x.RedirectedTo == "" {
			t.Errorf("%s: evidence %+v, want withheld=%v and status %d", tc.path, x, tc.withheld, tc.status)
		}
	}
}

func TestOrigin(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://reg.example.com/v2/", "https://REG.example.com:443/v2/x", true},
		{"http://reg:80/a", "http://reg/b", true},
		{"https://reg/a", "http://reg/a", false}, // downgrade to plain HTTP
		{"https://reg/a", "https://reg:5000/a", false},
		{"https://reg/a", "https://sub.reg/a", false}, // Go would keep it for a subdomain
		{"https://127.0.0.1:5000/a", "https://localhost:5000/a", false},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := sameOrigin(a, b); got != tc.same {
			t.Errorf("sameOrigin(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

// TestPlainHTTPWithholdsCredentials: with stored credentials and TLS
// verification on, no Authorization goes over plain HTTP, and the evidence
// says why; --tls-verify=false allows it, as it does for the clients.
func TestPlainHTTPWithholdsCredentials(t *testing.T) {
	var log authLog
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { log.record(r) }))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	creds := &Credentials{Username: "alice", Password: "pw"}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw"))
	for _, tc := range []struct {
		name      string
		creds     *Credentials
		tlsVerify bool
		sent      bool
	}{
		{"stored credentials, verification on", creds, true, false},
		{"stored credentials, --tls-verify=false", creds, false, true},
		{"anonymous token, verification on", nil, true, true},
	} {
		env := hostileEnv(t, srv.URL, tc.creds, tc.tlsVerify)
		x, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + "/v2/", Auth: auth})
		got, _ := log.get(host + "/v2/")
		if (got != "") != tc.sent || (x.Auth != "") != tc.sent || (x.Withheld == "") != tc.sent {
			t.Errorf("%s: server got %q, evidence auth %q withheld %q; want sent=%v", tc.name, got, x.Auth, x.Withheld, tc.sent)
		}
	}
}

// allocated runs f and returns the bytes the process allocated meanwhile.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// endless streams chunk until the client goes away.
func endless(w http.ResponseWriter, chunk []byte) {
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// TestHugeBodiesAreNotRead: a 2 GiB body on /v2/ and on the manifest is
// read up to its limit, streamed, never allocated.
func TestHugeBodiesAreNotRead(t *testing.T) {
	zeros := make([]byte, 32<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(2<<30))
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		endless(w, zeros)
	}))
	defer srv.Close()
	env := hostileEnv(t, srv.URL, nil, false)
	for _, tc := range []struct {
		path  string
		limit int64
	}{{"/v2/", 64 << 10}, {"/v2/app/manifests/latest", 4 << 20}} {
		var x *Exchange
		var body []byte
		start := time.Now()
		n := allocated(func() {
			x, body = env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + tc.path, Limit: tc.limit})
		})
		if x.ErrorKind != KindTooLarge || int64(len(body)) != tc.limit {
			t.Errorf("%s: kind %q (%s), %d bytes kept, want %q and %d", tc.path, x.ErrorKind, x.Error, len(body), KindTooLarge, tc.limit)
		}
		if n > uint64(4*tc.limit+8<<20) || time.Since(start) > testTimeout {
			t.Errorf("%s: %d bytes allocated in %v to read %d", tc.path, n, time.Since(start), tc.limit)
		}
	}
}

// gzipBombServer answers with concatenated gzip members of 1 MiB of
// zeros each: a few KiB that inflate to GiBs.
func gzipBombServer(t *testing.T) *httptest.Server {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		endless(w, member.Bytes())
	}))
}

// TestGzipBomb: the transport inflates gzip it asked for, and the limit
// counts inflated bytes; when the request asked itself, the transport
// leaves the body compressed, and the limit counts those bytes.
func TestGzipBomb(t *testing.T) {
	srv := gzipBombServer(t)
	defer srv.Close()
	env := hostileEnv(t, srv.URL, nil, false)
	for _, tc := range []struct {
		name     string
		header   http.Header
		inflated bool
	}{
		{"transport inflates", nil, true},
		{"caller asked for gzip", http.Header{"Accept-Encoding": {"gzip"}}, false},
	} {
		var x *Exchange
		n := allocated(func() {
			x, _ = env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + "/token", Header: tc.header, Limit: 256 << 10})
		})
		if x.ErrorKind != KindTooLarge || strings.Contains(x.Error, "gzip-decoded") != tc.inflated {
			t.Errorf("%s: kind %q, error %q", tc.name, x.ErrorKind, x.Error)
		}
		if n > 16<<20 {
			t.Errorf("%s: %d bytes allocated to read 256 KiB", tc.name, n)
		}
	}
}

// rawServer answers every connection with answer(conn) below net/http.
func rawServer(t *testing.T, answer func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(2 * testTimeout))
				http.ReadRequest(bufio.NewReader(conn))
				answer(conn)
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// TestBrokenHTTP: answers that are not HTTP get their own error kinds, so
// the rules can call them misbehaviour rather than an unknown failure.
func TestBrokenHTTP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(net.Conn)
		kind   ErrKind
	}{
		{"headers that never end", func(c net.Conn) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			for i := 0; i < 1<<17; i++ { // 14 MiB, past Go's 10 MiB
				if _, err := fmt.Fprintf(c, "X-Pad-%d: %s\r\n", i, strings.Repeat("a", 100)); err != nil {
					return
				}
			}
		}, KindHeaderTooLarge},
		{"escape sequence in a header", func(c net.Conn) {
			io.WriteString(c, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"\x1b]0;pwned\x07\"\r\nContent-Length: 0\r\n\r\n")
		}, KindMalformed},
		{"garbage status line", func(c net.Conn) { io.WriteString(c, "HTTP/1.1 OK BOOM\r\n\r\n") }, KindMalformed},
		{"closed mid-body", func(c net.Conn) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"errors\"")
		}, KindReset},
	} {
		srv := rawServer(t, tc.answer)
		env := hostileEnv(t, srv, nil, false)
		x, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: srv + "/v2/"})
		if x.ErrorKind != tc.kind {
			t.Errorf("%s: kind %q (%s), want %q", tc.name, x.ErrorKind, x.Error, tc.kind)
		}
	}
}

// TestDripIsPartial: a server that trickles its answer is told from one
// that says nothing.
func TestDripIsPartial(t *testing.T) {
	srv := rawServer(t, func(c net.Conn) {
		for _, b := range []byte("HTTP/1.1 200 OK\r\n") {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	env := hostileEnv(t, srv, nil, false)
	env.Opts.Timeout = 500 * time.Millisecond
	x, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: srv + "/v2/"})
	if x.ErrorKind != KindNoResponse || !x.Partial || !x.Connected {
		t.Errorf("evidence %+v, want a partial answer that timed out", x)
	}
}

// TestTraceShowsWhatWasSent: request headers as written, response headers
// and body, with Authorization, cookies and tokens redacted, a JWT shown
// as its claims, and nothing that could drive a terminal.
func TestTraceShowsWhatWasSent(t *testing.T) {
	claims := `{"iss":"auth.example","aud":"registry","exp":4102444800,"access":[{"type":"repository","name":"team/app","actions":["pull"]}]}`
	const signature = "c2lnbmF0dXJlLW5vdC10by1sZWFr"
	jwt := "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + "." + signature
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=c00kie-value; HttpOnly")
		w.Header().Set("Link", `</v2/_catalog?last=b&token=l1nk-t0ken>; rel="next"`)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":%q,"access_token":%q,"refresh_token":"r3fresh","expires_in":300,"note":"\u001b[31mred"}`, jwt, jwt)
	}))
	defer srv.Close()
	env := hostileEnv(t, srv.URL, nil, false)
	var trace bytes.Buffer
	env.Trace = &trace
	env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + "/token?scope=repository:team/app:pull", Auth: "Basic YWxpY2U6czNjcjN0", Header: http.Header{"Cookie": {"session=c00kie-sent"}}})
	out := trace.String()
	for _, want := range []string{
		">   Host: " + strings.TrimPrefix(srv.URL, "http://"),
		">   User-Agent: regdoctor/",
		">   Authorization: Basic REDACTED",
		">   Cookie: REDACTED",
		"<   Set-Cookie: REDACTED",
		"< 200 OK",
		"token=REDACTED",
		`"token":"REDACTED JWT {iss=auth.example aud=registry exp=2100-01-01T00:00:00Z access=repository:team/app:pull}"`,
		`"refresh_token":"REDACTED"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"YWxpY2U6czNjcjN0", "c00kie", "l1nk-t0ken", jwt[:40], signature, "r3fresh", "\x1b"} {
		if strings.Contains(out, secret) {
			t.Errorf("trace holds %q:\n%s", secret, out)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode": "plain text, ünïcode",
		"\x1b[31mred\x07":     `\u001b[31mred\u0007`,
		"a\r\nb\tc":           `a\r\nb\tc`,
		"bad \xff byte":       `bad \xff byte`,
		"\u202eevil":          `\u202eevil`, // right-to-left override
	} {
		if got := safetext.Printable(in); got != want {
			t.Errorf("safetext.Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCredentialHelperOutputIsBounded: a helper that prints without end
// costs at most its timeout and maxHelperOutput bytes.
func TestCredentialHelperOutputIsBounded(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "docker-credential-flood"), "#!/bin/sh\nexec yes '{\"Username\":\"u\",\"Secret\":\"s\"}'\n")
	if err := os.Chmod(filepath.Join(dir, "docker-credential-flood"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	auth := filepath.Join(dir, "auth.json")
	writeFile(t, auth, `{"credHelpers":{"`+testRegistry+`":"flood"}}`)
	start := time.Now()
	var cc *ClientConfig
	n := allocated(func() { cc = loadConfig(t, testRegistry+"/team/app", Options{AuthFile: auth}) })
	if cc.Creds != nil || time.Since(start) > 10*time.Second || n > 16*maxHelperOutput {
		t.Errorf("credentials %+v after %v and %d bytes allocated", cc.Creds, time.Since(start), n)
	}
}

// FuzzDecodeJWT: any token decodes or not without panicking, and what is
// shown of it never holds its signature.
func FuzzDecodeJWT(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYiLCJhY2Nlc3MiOltdfQ.c2lnbmF0dXJl")
	f.Add("not.a.jwt")
	f.Add("a.eyJleHAiOjFlMzA4fQ.b")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		c, ok := DecodeJWT(tok)
		if ok != (c != nil) {
			t.Fatalf("DecodeJWT(%q) = %v, %v", tok, c, ok)
		}
		if !ok {
			return
		}
		shown := c.describe()
		if sig := tok[strings.LastIndex(tok, ".")+1:]; len(sig) >= 8 && strings.Contains(shown, sig) {
			t.Errorf("claims %q show the signature %q", shown, sig)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Errorf("claims do not serialise: %v", err)
		}
	})
}

// FuzzTraceBody: whatever a server sends, the traced body holds no JWT and
// no control character, and stays within its bound.
func FuzzTraceBody(f *testing.F) {
	f.Add([]byte(`{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYifQ.c2ln","expires_in":60}`))
	f.Add([]byte("\x1b[2J<html>bearer abcdefghijkl</html>"))
	f.Add([]byte(`{"access_token" : "x", "password":"p"} https://u:p@h/x?_state=s&sig=1`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out := safetext.Fit(redactTokens(string(body)), traceBody)
		if jwtLike().MatchString(out) {
			t.Errorf("traced body %q holds a JWT", out)
		}
		if len(out) > traceBody+len("…") {
			t.Errorf("traced body is %d bytes", len(out))
		}
		for _, r := range out {
			if !unicode.IsPrint(r) && r != ' ' {
				t.Fatalf("traced body %q holds control character %U", out, r)
			}
		}
	})
}

// TestCredentialsGoWhereClientsSendThem runs the checks against fixtures
// with stored credentials and asks the servers what they received: /v2/
// pings are anonymous, nothing is sent over plain HTTP unless the user
// allowed it, and nothing follows a redirect to another host.
func TestCredentialsGoWhereClientsSendThem(t *testing.T) {
	insecure := func(o *Options) { o.TLSVerify = false }
	for _, tc := range []struct {
		scenario string
		tweak    []func(*Options)
		manifest Status
		// allowed maps a path prefix to the Authorization schemes requests
		// under it may carry ("" for none); the longest prefix applies.
		allowed map[string][]string
	}{
		{"plain-http-login", nil, Fail, map[string][]string{"/": {""}}},
		{"plain-http-login", []func(*Options){insecure}, Pass, map[string][]string{"/v2/": {""}, "/v2/library/": {"Basic"}}},
		{"redirect-other-host", nil, Fail, map[string][]string{"/v2/": {""}, "/token": {"", "Basic"}, "/v2/library/": {"Bearer"}, "/elsewhere/": {""}}},
		{"logged-in", nil, Pass, map[string][]string{"/v2/": {""}, "/token": {"", "Basic"}, "/v2/library/": {"Bearer"}}},
	} {
		t.Run(fmt.Sprintf("%s/%d-tweaks", tc.scenario, len(tc.tweak)), func(t *testing.T) {
			t.Parallel()
			reg, results := scenarioResults(t, tc.scenario, tc.tweak...)
			wantStatus(t, results[IDManifest], tc.manifest)
			reqs := reg.Requests()
			if len(reqs) == 0 {
				t.Fatal("the fixture received nothing")
			}
			for _, r := range reqs {
				best := ""
				for prefix := range tc.allowed {
					if strings.HasPrefix(r.Path, prefix) && len(prefix) > len(best) {
						best = prefix
					}
				}
				if want := tc.allowed[best]; !slices.Contains(want, r.AuthScheme) || r.AuthScheme == "Basic" && r.BasicUser != reg.Username {
					t.Errorf("%s %s carried %q credentials (user %q), want one of %q", r.Method, r.Path, r.AuthScheme, r.BasicUser, want)
				}
			}
		})
	}
}

// TestParallelRaisesPanicsInTheCaller: a panic in a goroutine a check
// starts reaches the check's own goroutine, where the pipeline turns it
// into a failed check, instead of ending the process.
func TestParallelRaisesPanicsInTheCaller(t *testing.T) {
	var finished sync.WaitGroup
	finished.Add(1)
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want boom", p)
		}
		finished.Wait() // the other task ran to its end before the panic was raised
	}()
	parallel(func() { panic("boom") }, func() { time.Sleep(10 * time.Millisecond); finished.Done() })
	t.Error("parallel returned after a panic")
}

// A client configured to treat the host as insecure sends credentials over
// plain HTTP, so regdoctor does too when judging for it: podman with
// `insecure = true`, docker for loopback (its built-in 127.0.0.0/8).
func TestInsecureClientConfigAllowsCredentialsOverHTTP(t *testing.T) {
	var log authLog
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { log.record(r) }))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tg, err := target.Parse(host)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		clients []string
		sent    bool
	}{
		{[]string{"podman"}, false},
		{[]string{"docker"}, true},
		{[]string{"crane"}, false}, // crane's fallback to HTTP is not configuration
	} {
		env := NewEnv(context.Background(), tg, Options{Timeout: testTimeout, TLSVerify: true, CertsDirs: []string{},
			Clients: tc.clients, SysRoot: t.TempDir(), Env: func(string) string { return "" }})
		env.Config.Creds = &Credentials{Username: "alice", Password: "pw"}
		env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + "/v2/", Auth: "Basic YWxpY2U6cHc="})
		env.Close()
		got, _ := log.get(host + "/v2/")
		if (got != "") != tc.sent {
			t.Errorf("%v: server got Authorization %q, want sent=%v", tc.clients, got, tc.sent)
		}
		log.reset()
	}
}
