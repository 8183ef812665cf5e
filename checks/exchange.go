package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/regdoctor/regdoctor/internal/safetext"
)

// RegistryError is one entry of a registry's {"errors":[...]} body.
type RegistryError struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message,omitempty"`
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
func (x *Exchange) HasCode(code ErrorCode) bool {
	for _, e := range x.Errors {
		if strings.EqualFold(string(e.Code), string(code)) {
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
			x.Headers[h] = safetext.Fit(redactHeader(h, v), 512)
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
			x.Errors = append(x.Errors, RegistryError{Code: ErrorCode(clean(string(e.Code), 64)), Message: clean(e.Message, 256)})
		}
		return
	}
	x.Body = clean(string(trimmed), 256)
}

// maxErrors bounds the registry errors kept from one body.
const maxErrors = 20
