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
}

// NewEnv reads the client configuration and prepares an HTTP client that
// verifies TLS the way the user's client would.
func NewEnv(ctx context.Context, t Target, o Options) *Env {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	env := &Env{Target: t, Opts: o, Config: LoadClientConfig(ctx, t, o)}
	env.client = &http.Client{
		Transport: env.transport(),
		// Registries redirect blob and token requests to storage. Five hops
		// is plenty; more is a loop. Go already drops Authorization when a
		// redirect leaves the host.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errRedirectLoop
			}
			return nil
		},
	}
	env.noFollow = &http.Client{
		Transport:     env.client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return env
}

var errRedirectLoop = errors.New("stopped after 5 redirects")

func (env *Env) transport() *http.Transport {
	o := env.Opts
	return &http.Transport{
		Proxy:       func(r *http.Request) (*url.URL, error) { return proxyFunc(o)(r) },
		DialContext: (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:            env.Config.RootCAs,
			Certificates:       env.Config.ClientCerts,
			InsecureSkipVerify: !o.TLSVerify, //nolint:gosec // the user asked, as with skopeo --tls-verify=false
			MinVersion:         tls.VersionTLS12,
		},
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        30 * time.Second,
	}
}

// Close releases idle connections.
func (env *Env) Close() { env.client.CloseIdleConnections() }

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

// Exchange is the evidence of one HTTP request. It never holds the
// Authorization header or a token.
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
	// location is the raw Location header, which may hold upload state.
	location string
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

// Header returns a recorded header.
func (x *Exchange) Header(k string) string {
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

// IsRegistryAPI reports whether the answer looks like the distribution API
// rather than a web page or another service.
func (x *Exchange) IsRegistryAPI() bool {
	if x == nil || x.Status == 0 {
		return false
	}
	if x.Header("Docker-Distribution-API-Version") != "" {
		return true
	}
	if x.Status == http.StatusUnauthorized && x.Header("WWW-Authenticate") != "" {
		return true
	}
	ct := x.Header("Content-Type")
	return x.Status == http.StatusOK && strings.Contains(ct, "json")
}

// recorded are the response headers worth citing as evidence.
var recorded = []string{
	"WWW-Authenticate", "Server", "Docker-Distribution-API-Version", "Content-Type",
	"Content-Length", "Docker-Content-Digest", "Location", "Link", "Date",
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
	// NoFollow returns a redirect as it is, for probes that must see it.
	NoFollow bool
}

const defaultBodyLimit = 1 << 20

// Do performs one request with its own timeout and returns the evidence
// and the (bounded) body.
func (env *Env) Do(ctx context.Context, r request) (*Exchange, []byte) {
	x := &Exchange{Method: r.Method, URL: redactURLString(r.URL)}
	start := time.Now()
	defer func() { x.DurationMS = time.Since(start).Milliseconds() }()

	ctx, cancel := context.WithTimeout(ctx, env.Opts.Timeout)
	defer cancel()
	var connected bool
	var mu sync.Mutex
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { mu.Lock(); connected = true; mu.Unlock() },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				mu.Lock()
				connected = true
				mu.Unlock()
			}
		},
	})
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		x.Error, x.ErrorKind = err.Error(), KindBadURL
		return x, nil
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "regdoctor/"+Version)
	if r.Auth != "" {
		req.Header.Set("Authorization", r.Auth)
		x.Auth = strings.ToLower(strings.SplitN(r.Auth, " ", 2)[0])
	}
	client := env.client
	if r.NoFollow {
		client = env.noFollow
	}
	resp, err := client.Do(req)
	mu.Lock()
	x.Connected = connected
	mu.Unlock()
	if err != nil {
		x.Error, x.ErrorKind = redactError(err), Classify(err, x.Connected)
		env.trace(x, nil)
		return x, nil
	}
	defer resp.Body.Close()
	x.Status = resp.StatusCode
	x.location = resp.Header.Get("Location")
	x.Headers = map[string]string{}
	for _, h := range recorded {
		if v := resp.Header.Get(h); v != "" {
			if h == "Location" {
				v = redactURLString(v)
			}
			x.Headers[h] = truncate(v, 512)
		}
	}
	limit := r.Limit
	if limit <= 0 {
		limit = defaultBodyLimit
	}
	if r.Method == http.MethodHead {
		limit = 0
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		x.Error, x.ErrorKind = redactError(err), Classify(err, true)
	}
	if int64(len(data)) > limit && limit > 0 {
		data = data[:limit]
		x.Error, x.ErrorKind = fmt.Sprintf("body larger than %d bytes; stopped reading", limit), KindTooLarge
	}
	x.parseErrors(data)
	env.trace(x, data)
	return x, data
}

// parseErrors records the registry error codes of an error response, or the
// start of a body that is not JSON (an HTML page from a proxy or a web UI).
func (x *Exchange) parseErrors(data []byte) {
	if x.Status < 300 || len(data) == 0 {
		return
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var body struct {
			Errors []RegistryError `json:"errors"`
		}
		if err := json.Unmarshal(trimmed, &body); err != nil {
			x.Malformed = true
			x.Body = truncate(redactBody(string(trimmed)), 256)
			return
		}
		for _, e := range body.Errors {
			x.Errors = append(x.Errors, RegistryError{Code: truncate(redactBody(e.Code), 64), Message: truncate(redactBody(e.Message), 256)})
		}
		return
	}
	x.Body = truncate(redactBody(string(trimmed)), 256)
}

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
	KindProxy          ErrKind = "proxy"
	KindReset          ErrKind = "connection-reset"
	KindTooLarge       ErrKind = "body-too-large"
	KindRedirectLoop   ErrKind = "redirect-loop"
	KindBadURL         ErrKind = "bad-url"
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
	case strings.Contains(msg, "proxyconnect"):
		return KindProxy
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return KindDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
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
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
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

func limitReader(r io.Reader, n int64) io.Reader { return io.LimitReader(r, n) }

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

func isSecretParam(k string) bool {
	switch strings.ToLower(k) {
	case "_state", "token", "access_token", "refresh_token", "password", "x-amz-signature", "signature", "sig":
		return true
	}
	return false
}

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
)

// redactBody removes tokens and passwords from text taken from a server or
// a config file.
func redactBody(s string) string {
	s = secretJSONField.ReplaceAllString(s, `"$1":"REDACTED"`)
	s = jwtLike.ReplaceAllString(s, "REDACTED-JWT")
	return basicOrBearer.ReplaceAllString(s, "$1 REDACTED")
}

// redactError strips URLs' secrets from error text (Go's url.Error embeds the URL).
func redactError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %q: %s", ue.Op, redactURLString(ue.URL), redactBody(ue.Err.Error()))
	}
	return redactBody(err.Error())
}

func (env *Env) trace(x *Exchange, body []byte) {
	if env.Trace == nil {
		return
	}
	env.traceMu.Lock()
	defer env.traceMu.Unlock()
	fmt.Fprintf(env.Trace, "> %s %s", x.Method, x.URL)
	if x.Auth != "" {
		fmt.Fprintf(env.Trace, " (Authorization: %s REDACTED)", x.Auth)
	}
	fmt.Fprintln(env.Trace)
	if x.Error != "" {
		fmt.Fprintf(env.Trace, "< error (%s): %s\n", x.ErrorKind, x.Error)
		return
	}
	fmt.Fprintf(env.Trace, "< %d in %dms\n", x.Status, x.DurationMS)
	for _, h := range recorded {
		if v, ok := x.Headers[h]; ok {
			fmt.Fprintf(env.Trace, "< %s: %s\n", h, v)
		}
	}
	if len(body) > 0 {
		fmt.Fprintf(env.Trace, "< body: %s\n", truncate(redactBody(string(body)), 512))
	}
}
