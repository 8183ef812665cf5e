package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/regdoctor/regdoctor/target"
	"golang.org/x/net/http/httpproxy"
)

// Env is shared, read-only state for one run of the pipeline.
type Env struct {
	Target target.Target
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
func NewEnv(ctx context.Context, t target.Target, o Options) *Env {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	env := &Env{Target: t, Opts: o, clock: startClock(ctx, o.Timeout)}
	if o.TLSVerify && o.CertDir == "" && !hasCertsDir(t, o) {
		// Without a certs.d directory for the registry, the first
		// handshake will want the system bundle's roots: read the bundle
		// (about 1 ms of CPU) while the configuration is read, not after.
		go loadBundle()
	}
	env.Config = LoadClientConfig(env.clock.ctx, t, o)
	env.predialRealm()
	if o.TLSVerify && len(env.Config.Trust.local) == 0 {
		// No local CA after all: read it now, while DNS and TCP go on (a
		// second call waits for the first; the bundle is read once per
		// process).
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
