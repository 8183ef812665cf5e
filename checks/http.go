package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// Env is shared, read-only state for one run of the pipeline.
type Env struct {
	Target Target
	Opts   Options
	Config *ClientConfig
	// Trace, when set, receives every HTTP exchange, redacted.
	Trace io.Writer

	client   *http.Client
	noFollow *http.Client
	traceMu  sync.Mutex

	stashMu  sync.Mutex
	stash    map[string][]*tls.Conn   // verified connections from the tls check
	labels   map[net.Conn]string      // where stashed connections came from, for the trace
	closed   bool                     // Close ran: late pre-dials are closed at once
	predials map[string]chan struct{} // closed when the pre-dials to an address ended
	raw      map[string]net.Conn      // the tcp check's connections, for the tls check

	clock runClock // see runclock.go
}

// NewEnv starts the run's clock, reads the client configuration within
// o.Timeout (credential helpers included), and prepares an HTTP client
// that verifies TLS the way the user's client would. An Env serves one run.
func NewEnv(ctx context.Context, t Target, o Options) *Env {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	env := &Env{Target: t, Opts: o, clock: startClock(ctx, o.Timeout)}
	env.Config = LoadClientConfig(env.clock.ctx, t, o)
	env.predialRealm()
	if o.TLSVerify && len(env.Config.Trust.local) == 0 {
		// The first handshake will want the system bundle's roots: read
		// the bundle (about 1 ms) while DNS and TCP go on.
		go loadBundle()
	}
	env.client = &http.Client{
		Transport: env.transport(),
		// Registries redirect blob and token requests to storage, and some
		// redirect /v2/ itself; every client follows.
		CheckRedirect: followRedirect,
	}
	env.noFollow = &http.Client{
		Transport:     env.client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return env
}

// maxRedirects is the clients' limit: Go's defaultCheckRedirect
// (net/http/client.go), which containers/image (docker/docker_client.go
// detectPropertiesHelper, a plain http.Client), go-containerregistry and
// docker use, and containerd 1.6's own (remotes/docker/resolver.go
// request.do) all stop after 10. A stricter limit would fail pulls that work.
const maxRedirects = 10

var errRedirectLoop = fmt.Errorf("stopped after %d redirects", maxRedirects)

// followRedirect follows up to maxRedirects hops, and never takes
// credentials to another origin. Go's client keeps Authorization for the
// same host name on another port, for subdomains, and from https down to
// http; regdoctor keeps it only while scheme, host and port stay those of
// the first request, and drops it for good once a hop has left them.
func followRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errRedirectLoop
	}
	st := stateOf(req.Context())
	st.redirected(req.URL)
	for _, hop := range append(via[1:], req) {
		if sameOrigin(via[0].URL, hop.URL) {
			continue
		}
		req.Header.Del("Referer") // the URL left behind may hold upload state
		if via[0].Header.Get("Authorization") != "" {
			req.Header.Del("Authorization")
			st.withhold("not forwarded to " + origin(hop.URL) + ": credentials never follow a redirect to another host")
		}
		break
	}
	return nil
}

// origin is scheme://host:port with the scheme's default port filled in.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if strings.EqualFold(u.Scheme, "http") {
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func sameOrigin(a, b *url.URL) bool { return origin(a) == origin(b) }

// ClientHeaderLimit is how many bytes of response headers the clients
// accept. None of them sets http.Transport.MaxResponseHeaderBytes
// (containers/image v5.24 pkg/tlsclientconfig NewTransport, containerd 1.6
// and go-containerregistry v0.22.1 use Go's default transport settings), so
// Go's default applies: 10 MiB (Transport.maxHeaderResponseSize in
// net/http/transport.go, go1.27.3; HTTP/2 uses the same). regdoctor leaves
// the field at 0 too; the constant only words the error.
const ClientHeaderLimit = 10 << 20

func (env *Env) transport() *http.Transport {
	o := env.Opts
	tr := &http.Transport{
		Proxy:                  proxyFunc(o),
		DialContext:            env.Dialer().DialContext,
		TLSHandshakeTimeout:    env.StepTimeout(),
		ResponseHeaderTimeout:  env.StepTimeout(),
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        30 * time.Second,
		OnProxyConnectResponse: proxyConnectRefused,
	}
	if env.Config.Proxy != "" {
		// Through a CONNECT tunnel the transport does TLS itself, with
		// this config: it needs every root up front.
		tr.TLSClientConfig = &tls.Config{
			RootCAs:            env.Config.Trust.All(),
			Certificates:       env.Config.ClientCerts,
			InsecureSkipVerify: !o.TLSVerify, //nolint:gosec // the user asked, as with skopeo --tls-verify=false
			MinVersion:         tls.VersionTLS12,
		}
	} else {
		tr.DialTLSContext = env.dialTLS
	}
	return tr
}

// proxyConnectRefused names the proxy in the error when it refuses a
// CONNECT: Go's own error is the bare status text ("Proxy Authentication
// Required"), which reads as if the registry had said it.
func proxyConnectRefused(_ context.Context, proxy *url.URL, req *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return fmt.Errorf("proxyconnect: proxy %s answered CONNECT %s with %s", proxy.Redacted(), req.URL.Opaque, resp.Status)
}

// StepTimeout bounds one network step. It ends a little before the run's
// deadline (--timeout), so that a step that times out reports that itself,
// with what it saw, rather than being cut off by the run.
func (env *Env) StepTimeout() time.Duration {
	margin := min(env.Opts.Timeout/4, 500*time.Millisecond)
	return env.Opts.Timeout - margin
}

// Close releases idle connections and the run's context.
func (env *Env) Close() {
	env.client.CloseIdleConnections()
	env.closeStash()
	env.clock.cancel()
}

func proxyFunc(o Options) func(*http.Request) (*url.URL, error) {
	get := func(k string) string {
		if v := o.getenv(k); v != "" {
			return v
		}
		return o.getenv(strings.ToLower(k))
	}
	f := (&httpproxy.Config{
		HTTPProxy:  get("HTTP_PROXY"),
		HTTPSProxy: get("HTTPS_PROXY"),
		NoProxy:    get("NO_PROXY"),
	}).ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}

// RegistryError is one entry of a registry's {"errors":[...]} body.
type RegistryError struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// Exchange is the evidence of one HTTP request. Its exported fields are
// what is written out (JSON, table, trace), so they never hold the
// Authorization header, a token or another secret; the raw response
// headers stay unexported, for the parsers.
type Exchange struct {
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Status     int               `json:"status,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Errors     []RegistryError   `json:"errors,omitempty"`
	Body       string            `json:"body,omitempty"` // start of a non-JSON body, e.g. an HTML page
	Malformed  bool              `json:"malformed_body,omitempty"`
	Auth       string            `json:"auth,omitempty"` // "basic" or "bearer" when credentials were sent; never the value
	Connected  bool              `json:"connected"`
	Error      string            `json:"error,omitempty"`
	ErrorKind  ErrKind           `json:"error_kind,omitempty"`
	DurationMS int64             `json:"duration_ms"`

	// Withheld says why credentials the request would carry were not sent
	// (plain HTTP, a redirect to another host).
	Withheld string `json:"credentials_withheld,omitempty"`
	// RedirectedTo is the last URL a followed redirect led to.
	RedirectedTo string `json:"redirected_to,omitempty"`
	// Partial: the server had started to answer when the step timed out,
	// so it trickles rather than says nothing.
	Partial bool `json:"partial_answer,omitempty"`
	// Bytes is how much of a streamed or sampled body was read.
	Bytes int64 `json:"bytes_read,omitempty"`
	// Unread: the body went on past the prefix read for evidence (or had
	// not ended when regdoctor stopped waiting for it). Clients do not read
	// it either, so it is no fault.
	Unread bool `json:"body_unread,omitempty"`
	// header is the response's headers as received. Parsers read it (via
	// Header); Headers is its redacted copy for output. Parsing the
	// redacted copy lost challenge parameters the token pattern ate.
	header http.Header
	// offset is when the exchange started, from the run's start, and took
	// its duration at full resolution: the trace shows both (DurationMS is
	// whole milliseconds, 0 for most exchanges on a fast network).
	offset, took time.Duration
	// alpn is the protocol the last hop's TLS connection negotiated ("h2",
	// "http/1.1"); "" for plain HTTP or no connection.
	alpn string
}

// HasCode reports whether the body carried a registry error code.
func (x *Exchange) HasCode(code string) bool {
	for _, e := range x.Errors {
		if strings.EqualFold(e.Code, code) {
			return true
		}
	}
	return false
}

// Header returns a response header as the server sent it (the first
// value), for parsing. It may hold secrets: anything shown to people uses
// Shown instead. Evidence built without a response (tests, decoded JSON)
// has only the recorded copy, which it falls back to.
func (x *Exchange) Header(k string) string {
	if x.header != nil {
		return x.header.Get(k)
	}
	return x.Shown(k)
}

// HeaderValues returns every value of a response header as sent, e.g. one
// WWW-Authenticate per challenge.
func (x *Exchange) HeaderValues(k string) []string {
	if x.header != nil {
		return x.header.Values(k)
	}
	if v := x.Shown(k); v != "" {
		return []string{v}
	}
	return nil
}

// Shown returns a recorded header as output shows it: redacted, printable
// and bounded.
func (x *Exchange) Shown(k string) string {
	if v, ok := x.Headers[k]; ok {
		return v
	}
	for hk, v := range x.Headers {
		if strings.EqualFold(hk, k) {
			return v
		}
	}
	return ""
}

// PingAccepted reports whether the clients' ping accepts this answer to
// GET /v2/. Only the status decides: containers/image v5.24
// (docker/docker_client.go detectPropertiesHelper) accepts 200 and 401 and
// reads no header but WWW-Authenticate; go-containerregistry v0.22.1
// (pkg/v1/remote/transport/ping.go pingSingle) likewise; docker (moby
// registry/auth.go PingV2Registry) accepts any status. Whether a 401's
// challenge can be used is the auth-challenge check's question, as it is
// the clients' next step. Docker-Distribution-API-Version is fingerprinting
// evidence only (HasAPIHeader).
func (x *Exchange) PingAccepted() bool {
	return x != nil && x.Error == "" && (x.Status == http.StatusOK || x.Status == http.StatusUnauthorized)
}

// HasAPIHeader reports whether the answer carries the distribution API's
// Docker-Distribution-API-Version header: evidence of what answered, which
// no client requires.
func (x *Exchange) HasAPIHeader() bool {
	return x != nil && x.Header("Docker-Distribution-API-Version") != ""
}

// recorded are the response headers worth citing as evidence.
var recorded = []string{
	"WWW-Authenticate", "Server", "Docker-Distribution-API-Version", "Content-Type",
	"Content-Length", "Content-Range", "Docker-Content-Digest", "Location", "Link", "Date",
	"RateLimit-Limit", "RateLimit-Remaining", "Retry-After", "X-Nexus-Id", "X-Jfrog-Version", "X-Harbor-Csrf-Token",
}

// request is one HTTP step.
type request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Auth is the full Authorization header value; it is sent, never recorded.
	Auth string
	// Limit bounds how much of the body is read.
	Limit int64
	// Prefix, when set, reads at most that many bytes of the body, as
	// evidence only: a longer body, one that fails, or one that does not
	// arrive within prefixWait is no error, for bodies clients never read.
	Prefix int64
	// NoFollow returns a redirect as it is, for probes that must see it.
	NoFollow bool
	// Sink, when set, receives the whole body instead of memory, for
	// downloads that are verified as they stream (layers with --pull).
	Sink io.Writer
	// Sample reads at most this many bytes and drops the rest without
	// calling the body too large: for probes that need only to know the
	// download starts (a ranged GET the server may answer whole).
	Sample int64
	// OnConn, when set, is called once the request is written on its
	// connection, and again when Do returns (so it must be idempotent):
	// for a request that should go out only once another is on the wire.
	OnConn func()
}

// prefixWait bounds how long Do waits for a Prefix body once the headers
// are in: a body sent with its headers arrives at once; one that does not
// is not worth waiting for.
const prefixWait = 500 * time.Millisecond

const defaultBodyLimit = 1 << 20

// Do performs one request with its own timeout and returns the evidence
// and the (bounded) body.
func (env *Env) Do(ctx context.Context, r request) (*Exchange, []byte) {
	x := &Exchange{Method: r.Method, URL: redactURLString(r.URL)}
	// The duration is taken in record, before the trace line is written,
	// so that the trace and the evidence show the same, real figure.
	st := &exchangeState{hops: []traceHop{{url: x.URL}}, start: time.Now(), env: env, onConn: r.OnConn}
	if r.OnConn != nil {
		defer r.OnConn() // also when no connection came; OnConn must be idempotent
	}
	x.offset = st.start.Sub(env.clock.started)

	ctx, cancel := context.WithTimeout(ctx, env.StepTimeout())
	defer cancel()
	ctx = context.WithValue(httptrace.WithClientTrace(ctx, st.clientTrace(env.Trace != nil)), stateKey{}, st)
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		x.Error, x.ErrorKind = redactError(err), KindBadURL
		return x, nil
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "regdoctor/"+Version)
	if r.Auth != "" {
		if why := env.withholdReason(r.URL); why != "" {
			st.withhold(why)
		} else {
			req.Header.Set("Authorization", r.Auth)
			x.Auth = strings.ToLower(strings.SplitN(r.Auth, " ", 2)[0])
		}
	}
	client := env.client
	if r.NoFollow {
		client = env.noFollow
	}
	resp, err := client.Do(req)
	if err != nil {
		x.Error, x.ErrorKind = redactError(err), Classify(err, st.isConnected())
		st.record(x)
		env.trace(x, st, nil, nil)
		return x, nil
	}
	defer resp.Body.Close()
	x.Status = resp.StatusCode
	x.header = resp.Header.Clone()
	x.Headers = map[string]string{}
	for _, h := range recorded {
		if v := resp.Header.Get(h); v != "" {
			x.Headers[h] = fit(redactHeader(h, v), 512)
		}
	}
	if r.Prefix > 0 && r.Method != http.MethodHead {
		data, complete := readPrefix(resp.Body, r.Prefix, prefixWait, cancel)
		x.Unread = !complete
		st.record(x)
		x.parseErrors(data, complete)
		env.trace(x, st, resp.Header, data)
		return x, data
	}
	limit := r.Limit
	if limit <= 0 {
		limit = defaultBodyLimit
	}
	if r.Method == http.MethodHead {
		limit = 0
	}
	if (r.Sink != nil || r.Sample > 0) && resp.StatusCode < 300 {
		var n int64
		if r.Sink != nil {
			n, err = io.Copy(r.Sink, resp.Body)
		} else {
			n, err = io.Copy(io.Discard, io.LimitReader(resp.Body, r.Sample))
		}
		if err != nil {
			x.Error, x.ErrorKind = redactError(err), Classify(err, true)
		}
		x.Bytes = n
		st.record(x)
		env.trace(x, st, resp.Header, nil)
		return x, nil
	}
	// The transport inflates gzip itself (it asked for it), so the limit
	// counts inflated bytes and a gzip bomb stops here like any big body.
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		x.Error, x.ErrorKind = redactError(err), Classify(err, true)
	}
	if int64(len(data)) > limit && limit > 0 {
		data = data[:limit]
		inflated := ""
		if resp.Uncompressed {
			inflated = " once gzip-decoded"
		}
		x.Error, x.ErrorKind = fmt.Sprintf("body larger than %d bytes%s; stopped reading", limit, inflated), KindTooLarge
	}
	st.record(x)
	x.parseErrors(data, x.Error == "")
	env.trace(x, st, resp.Header, data)
	return x, data
}

// readPrefix reads up to n bytes of body, waiting at most wait for them.
// complete says the body ended within them. stop aborts the request, which
// unblocks a read stuck on a body that trickles or never ends.
func readPrefix(body io.Reader, n int64, wait time.Duration, stop func()) (data []byte, complete bool) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(body, n+1))
		done <- result{data, err}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var res result
	select {
	case res = <-done:
	case <-timer.C:
		stop()
		res = <-done
	}
	complete = res.err == nil && int64(len(res.data)) <= n
	return res.data[:min(int64(len(res.data)), n)], complete
}

// withholdReason says why credentials must not go to rawURL, or "". With
// stored credentials, every Authorization regdoctor sends derives from
// them (Basic, or a token the realm issued for them), so none goes over
// plain HTTP unless the user allowed it; anonymous tokens may.
func (env *Env) withholdReason(rawURL string) string {
	if env.Config.Creds == nil {
		return ""
	}
	if ok, why := CredentialsAllowed(env, rawURL, false); !ok {
		return why
	}
	return ""
}

// exchangeState is what one Do learns while its request is in flight. It
// travels in the request's context, so the shared client's redirect policy
// and the httptrace hooks report to the right exchange.
type exchangeState struct {
	mu        sync.Mutex
	start     time.Time
	env       *Env // for the connections the tls check handed over
	connected bool
	alpn      string
	onConn    func() // request.OnConn
	answering bool   // the first byte of an answer arrived
	withheld  string // why credentials were not sent
	hops      []traceHop
}

// traceHop is one request on the wire: the first, then one per redirect.
type traceHop struct {
	url    string   // redacted
	header []string // "Key: value" as written, redacted; only when tracing
	conn   string   // the connection it went over (connInfo), for the trace
}

type stateKey struct{}

// stateOf returns the request's state; nil (whose methods do nothing)
// for requests that did not come from Do.
func stateOf(ctx context.Context) *exchangeState {
	st, _ := ctx.Value(stateKey{}).(*exchangeState)
	return st
}

func (st *exchangeState) clientTrace(headers bool) *httptrace.ClientTrace {
	set := func(f *bool) { st.mu.Lock(); *f = true; st.mu.Unlock() }
	ct := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			desc, alpn := "", ""
			if headers { // only the trace shows it
				desc = st.env.connInfo(info)
			}
			if tc, ok := info.Conn.(*tls.Conn); ok {
				alpn = tc.ConnectionState().NegotiatedProtocol
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			st.connected = true
			st.alpn = alpn
			st.hops[len(st.hops)-1].conn = desc
		},
		GotFirstResponseByte: func() { set(&st.answering) },
		// After the request is written, not at GotConn: the transport
		// delivers a new HTTP/2 connection to the request first and only
		// then pools it for others, so a request sent at GotConn could
		// still dial.
		WroteRequest: func(httptrace.WroteRequestInfo) {
			if st.onConn != nil {
				st.onConn()
			}
		},
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				set(&st.connected)
			}
		},
	}
	if headers {
		ct.WroteHeaderField = func(k string, v []string) {
			st.mu.Lock()
			defer st.mu.Unlock()
			h := &st.hops[len(st.hops)-1]
			h.header = append(h.header, k+": "+traceHeaderValue(k, strings.Join(v, ", ")))
		}
	}
	return ct
}

func (st *exchangeState) isConnected() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.connected
}

func (st *exchangeState) redirected(u *url.URL) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.hops = append(st.hops, traceHop{url: redactURL(u)})
	st.mu.Unlock()
}

func (st *exchangeState) withhold(why string) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.withheld = why
	st.mu.Unlock()
}

// record copies what the hooks learnt into the evidence.
func (st *exchangeState) record(x *Exchange) {
	st.mu.Lock()
	defer st.mu.Unlock()
	x.took = time.Since(st.start)
	x.DurationMS = x.took.Milliseconds()
	x.Connected = st.connected
	x.alpn = st.alpn
	x.Withheld = st.withheld
	if len(st.hops) > 1 {
		x.RedirectedTo = st.hops[len(st.hops)-1].url
	}
	x.Partial = st.answering && x.ErrorKind == KindNoResponse
}

// parseErrors records the registry error codes of an error response, or the
// start of a body that is not JSON (an HTML page from a proxy or a web UI).
// complete says data is the whole body: JSON cut short by regdoctor's own
// reading is no malformed body.
func (x *Exchange) parseErrors(data []byte, complete bool) {
	if len(data) == 0 {
		return
	}
	if x.Status < 300 {
		// A web page where the API should be (a registry UI port) is
		// evidence; a JSON success body is not.
		if strings.Contains(x.Header("Content-Type"), "html") {
			x.Body = clean(string(bytes.TrimSpace(data)), 256)
		}
		return
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var body struct {
			Errors []RegistryError `json:"errors"`
		}
		if err := json.Unmarshal(trimmed, &body); err != nil {
			x.Malformed = complete
			x.Body = clean(string(trimmed), 256)
			return
		}
		for _, e := range body.Errors[:min(len(body.Errors), maxErrors)] {
			x.Errors = append(x.Errors, RegistryError{Code: clean(e.Code, 64), Message: clean(e.Message, 256)})
		}
		return
	}
	x.Body = clean(string(trimmed), 256)
}

// maxErrors bounds the registry errors kept from one body.
const maxErrors = 20

// ErrKind classifies a transport failure; the values are part of the JSON contract.
type ErrKind string

const (
	KindDNS            ErrKind = "dns"
	KindRefused        ErrKind = "connection-refused"
	KindConnectTimeout ErrKind = "connect-timeout"
	KindNoResponse     ErrKind = "no-response"
	KindHTTPToHTTPS    ErrKind = "http-response-to-https"
	KindUnknownCA      ErrKind = "tls-unknown-authority"
	KindCertExpired    ErrKind = "tls-cert-expired"
	KindHostname       ErrKind = "tls-hostname-mismatch"
	KindTLS            ErrKind = "tls-handshake"
	KindClientCert     ErrKind = "tls-client-cert"
	KindProxy          ErrKind = "proxy"
	KindReset          ErrKind = "connection-reset"
	KindTooLarge       ErrKind = "body-too-large"
	KindHeaderTooLarge ErrKind = "headers-too-large"
	KindMalformed      ErrKind = "malformed-response"
	KindRedirectLoop   ErrKind = "redirect-loop"
	KindBadURL         ErrKind = "bad-url"
	KindAddrRefused    ErrKind = "address-refused" // Options.RefuseAddr: serve's /probe guard
	KindOther          ErrKind = "other"
)

// Classify maps a Go network error to a kind. connected says whether a TCP
// connection had been established, which separates "no answer to connect"
// from "connected but the server never answered".
func Classify(err error, connected bool) ErrKind {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.Is(err, errRefusedAddr):
		return KindAddrRefused
	case strings.Contains(msg, "proxyconnect"):
		return KindProxy
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return KindDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case isClientCertAlert(err):
		return KindClientCert
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"),
		strings.Contains(msg, "first record does not look like a TLS handshake"):
		return KindHTTPToHTTPS
	case errors.As(err, &unknownCA), strings.Contains(msg, "certificate signed by unknown authority"):
		return KindUnknownCA
	case strings.Contains(msg, "certificate has expired or is not yet valid"):
		return KindCertExpired
	case strings.Contains(msg, "x509: certificate is valid for"), strings.Contains(msg, "doesn't contain any IP SANs"),
		strings.Contains(msg, "certificate is not valid for any names"):
		return KindHostname
	case errors.Is(err, errRedirectLoop):
		return KindRedirectLoop
	case strings.Contains(msg, "server response headers exceeded"):
		return KindHeaderTooLarge
	case strings.Contains(msg, "malformed HTTP"), strings.Contains(msg, "malformed MIME header"):
		return KindMalformed
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindReset
	case isTimeout(err):
		if connected {
			return KindNoResponse
		}
		return KindConnectTimeout
	case strings.Contains(msg, "tls:"):
		return KindTLS
	}
	return KindOther
}

// isClientCertAlert: the server ended the handshake with an alert about a
// certificate. The only certificate a server judges is the client's, so it
// wants one (TLS 1.3 certificate_required) or refuses the one it got. A
// TLS 1.2 server says only handshake_failure for a missing one, which the
// diagnosis ties to the certificate request it saw before. Note that
// "remote error: tls: unknown certificate authority" is the server
// distrusting the client's issuer, not the other way round.
func isClientCertAlert(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return false
	}
	return clientCertAlerts[op.Err.Error()]
}

// clientCertAlerts are crypto/tls's texts of the certificate alerts.
var clientCertAlerts = map[string]bool{
	"tls: bad certificate": true, "tls: unsupported certificate": true, "tls: revoked certificate": true,
	"tls: expired certificate": true, "tls: unknown certificate": true, "tls: unknown certificate authority": true,
	"tls: certificate required": true,
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// redactURL removes a password and upload state from a URL before it is shown.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "REDACTED")
		}
	}
	q := c.Query()
	changed := false
	for k := range q {
		if isSecretParam(k) {
			q.Set(k, "REDACTED")
			changed = true
		}
	}
	if changed {
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// secretParams are query parameters that carry credentials: upload state,
// tokens, and the signatures and session tokens of the pre-signed storage
// URLs registries redirect blob downloads to (S3, GCS, Azure SAS, OSS,
// Docker Hub's CDN "verify").
var secretParams = []string{"_state", "token", "access_token", "refresh_token", "password",
	"x-amz-signature", "x-amz-security-token", "x-amz-credential", "x-goog-signature", "x-goog-credential",
	"x-oss-signature", "signature", "sig", "verify"}

func isSecretParam(k string) bool { return slices.Contains(secretParams, strings.ToLower(k)) }

func redactURLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return redactURL(u)
}

var (
	secretJSONField = regexp.MustCompile(`(?i)"(token|access_token|refresh_token|password|auth|identitytoken|secret)"\s*:\s*"[^"]*"`)
	jwtLike         = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	basicOrBearer   = regexp.MustCompile(`(?i)(basic|bearer)\s+[A-Za-z0-9+/=._-]{8,}`)
	// secretQuery and userinfoPassword catch URLs inside text (Link
	// headers, HTML pages, error messages).
	secretQuery      = regexp.MustCompile(`(?i)([?&;](?:` + strings.Join(secretParams, "|") + `)=)[^&\s"'<>#]*`)
	userinfoPassword = regexp.MustCompile(`(://[^/\s:@]*:)[^@\s/]*@`)
)

// RedactText removes tokens, passwords and pre-signed URL signatures from
// text a person wrote or pasted, such as an error given to explain. Unlike
// server text, prose says "bearer response" and "basic authentication":
// a word of letters only is kept unless it is long enough to be a token.
func RedactText(s string) string {
	s = secretJSONField.ReplaceAllString(s, `"$1":"REDACTED"`)
	s = jwtLike.ReplaceAllString(s, "REDACTED-JWT")
	s = basicOrBearer.ReplaceAllStringFunc(s, func(m string) string {
		f := strings.Fields(m) // the scheme, then the token
		if len(f) == 2 && len(f[1]) < 20 && strings.Trim(f[1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
			return m
		}
		return f[0] + " REDACTED"
	})
	s = secretQuery.ReplaceAllString(s, "${1}REDACTED")
	return userinfoPassword.ReplaceAllString(s, "${1}REDACTED@")
}

// redactBody removes tokens and passwords from text taken from a server or
// a config file.
func redactBody(s string) string {
	return redactSecrets(secretJSONField.ReplaceAllString(s, `"$1":"REDACTED"`))
}

// redactSecrets is redactBody without the JSON fields.
func redactSecrets(s string) string {
	return redactURLSecrets(basicOrBearer.ReplaceAllString(jwtLike.ReplaceAllString(s, "REDACTED-JWT"), "$1 REDACTED"))
}

// redactURLSecrets removes JWTs, and the secret query parameters and
// passwords of URLs, from text.
func redactURLSecrets(s string) string {
	s = jwtLike.ReplaceAllString(s, "REDACTED-JWT")
	s = secretQuery.ReplaceAllString(s, "${1}REDACTED")
	return userinfoPassword.ReplaceAllString(s, "${1}REDACTED@")
}

var (
	// challengeToken68 is a scheme followed by a token68 (RFC 7235) where
	// auth-params belong: a credential, not a challenge.
	challengeToken68 = regexp.MustCompile(`(?i)(^|,)(\s*[A-Za-z][A-Za-z0-9_-]*\s+)[A-Za-z0-9._~+/-]+=*\s*(,|$)`)
	// challengeSecretParam is an auth-param whose name says it holds a
	// secret; only where a parameter starts, not inside a quoted URL.
	challengeSecretParam = regexp.MustCompile(`(?i)((?:^|[,\s])(?:` + strings.Join(challengeSecretNames, "|") + `))(\s*=\s*)("(?:[^"\\]|\\.)*"|[^,\s]*)`)
)

// challengeSecretNames are auth-param names that say they hold a secret.
var challengeSecretNames = []string{"token", "access_token", "refresh_token", "password", "secret", "signature", "sig"}

// redactChallenge redacts a WWW-Authenticate value for output. A
// challenge holds no credential of the user's, and its parameters (realm,
// service, scope) are the evidence, so the Authorization pattern, which
// reads `Bearer service=` as a token, is not applied; only what is secret
// inside it goes: a token68 in place of the parameters, a parameter named
// like a secret, and the secrets of the URLs in it (a token in the realm's
// query, a password in its userinfo).
func redactChallenge(v string) string {
	v = challengeToken68.ReplaceAllString(v, "${1}${2}REDACTED${3}")
	v = challengeSecretParam.ReplaceAllString(v, `${1}${2}"REDACTED"`)
	return redactURLSecrets(v)
}

// redactHeader redacts one response header value for output.
func redactHeader(k, v string) string {
	switch {
	case strings.EqualFold(k, "WWW-Authenticate"), strings.EqualFold(k, "Proxy-Authenticate"):
		return redactChallenge(v)
	case strings.EqualFold(k, "Location"), strings.EqualFold(k, "Content-Location"):
		if u, err := url.Parse(v); err == nil {
			return redactURL(u)
		}
	}
	return redactBody(v)
}

// redactError strips URLs' secrets from error text (Go's url.Error embeds the URL).
func redactError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %q: %s", ue.Op, redactURLString(ue.URL), redactBody(ue.Err.Error()))
	}
	return redactBody(err.Error())
}
