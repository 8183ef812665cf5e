package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/regdoctor/regdoctor/internal/lazyre"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"
)

// Endpoints lists what serve answers, for its usage text and its root page.
const Endpoints = `  /metrics              the latest run of every scheduled target
  /probe?target=REF     runs one check now; optional &platform=os/arch[/variant]
  /healthz              200 while serving
`

// HTTP server bounds. The endpoints read no request body, answer small
// bodies, and /probe ends by its own deadline, so only the reading of
// requests and idle connections need bounds of their own.
const (
	// readHeaderTimeout drops a client that opens a connection and sends
	// its request slowly or not at all.
	readHeaderTimeout = 10 * time.Second
	// idleTimeout closes keep-alive connections nobody uses. It is above
	// Prometheus's default scrape interval (1m), so a scraper at that
	// interval keeps its connection; slower ones reconnect.
	idleTimeout = 90 * time.Second
	// maxHeaderBytes: a scrape's headers (Accept, User-Agent, the scrape
	// timeout, basic auth) are well under 1 KiB; 16 KiB leaves room for
	// proxies, far below net/http's 1 MiB default.
	maxHeaderBytes = 16 << 10
)

// ServeConfig is what serve's endpoints need.
type ServeConfig struct {
	Collector *Collector // the scheduled targets' latest outcomes, for /metrics
	Prober    *Prober    // runs /probe checks
	Allow     *AllowList // the registries /probe may check
	// Resolve validates a /probe target and applies the short-name rules;
	// its errors must not echo credentials (ParseTarget's do not).
	Resolve func(*Target) error
	// Timeout is a /probe's budget when Prometheus announces no scrape
	// timeout (--timeout); it also caps a longer scrape timeout.
	Timeout time.Duration
	// Offset is kept free of the scrape timeout (DefaultTimeoutOffset).
	Offset time.Duration
	// Resolver looks up /probe hosts to refuse link-local and metadata
	// addresses; nil is net.DefaultResolver.
	Resolver Resolver
}

// NewMux serves /metrics, /probe, /healthz and a root page.
func NewMux(cfg ServeConfig) *http.ServeMux {
	reg := prometheus.NewRegistry()
	answers := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "regdoctor_probe_requests_total",
		Help: "/probe requests answered, by HTTP status: 429 and 503 say the probe pool was full.",
	}, []string{"code"})
	pool := cfg.Prober.Pool()
	reg.MustRegister(cfg.Collector, answers,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regdoctor_probe_running", Help: "/probe checks running now."},
			func() float64 { return float64(pool.Running()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regdoctor_probe_waiting", Help: "/probe checks waiting for a slot now."},
			func() float64 { return float64(pool.Waiting()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("GET /probe", promhttp.InstrumentHandlerCounter(answers, probeHandler{cfg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "regdoctor serve\n\n"+Endpoints)
	})
	return mux
}

// probeHandler checks one target per request, blackbox_exporter style, and
// answers with that target's metrics only, or with an error status whose
// body says why: 400 a bad request, 403 a target not allowed, 429 too many
// probes waiting, 503 no slot before the deadline (or shutdown). A probe
// that did not run has no metrics, so Prometheus records the scrape as
// failed (up 0) rather than a guess.
type probeHandler struct{ ServeConfig }

func (h probeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	q := r.URL.Query()
	t := Target{Ref: q.Get("target"), Platform: q.Get("platform"), Timeout: h.Timeout}
	if t.Ref == "" {
		http.Error(w, "the target parameter is missing", http.StatusBadRequest)
		return
	}
	if ValidatePlatform(t.Platform) != nil {
		// Not echoed: answers repeat no raw input but what ParseTarget
		// vouches for.
		http.Error(w, "the platform parameter: want os/arch[/variant], e.g. linux/arm64", http.StatusBadRequest)
		return
	}
	if err := h.Resolve(&t); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	scrape, err := scrapeTimeout(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	deadline := arrived.Add(Budget(h.Timeout, scrape, h.Offset))
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()

	allowed, exact := h.Allow.Match(t.Parsed.Registry)
	if !allowed {
		http.Error(w, errNotAllowed(t.Parsed.Registry).Error(), http.StatusForbidden)
		return
	}
	if !exact {
		if addr, bad := ForbiddenAddress(ctx, h.Resolver, t.Parsed.Hostname()); bad {
			http.Error(w, fmt.Sprintf("registry %s is at %s, a link-local or cloud metadata address: /probe reaches those only when --probe-allow names the registry exactly", t.Parsed.Registry, addr), http.StatusForbidden)
			return
		}
		// The look above sees the name; the guard in every dial of the
		// run sees where the realm, a redirect or a changed DNS answer
		// really lead.
		t.refuseAddr = Forbidden
	}

	o := h.Prober.Probe(ctx, t, deadline)
	switch {
	case errors.Is(o.Err, ErrQueueFull):
		http.Error(w, "probe refused: "+o.Err.Error()+"; raise --probe-parallel or --probe-queue, or probe less at once", http.StatusTooManyRequests)
		return
	case errors.Is(o.Err, ErrNoSlot):
		http.Error(w, fmt.Sprintf("probe not run: %v before its %s deadline; raise --probe-parallel, or probe less at once", o.Err, deadline.Sub(arrived).Round(time.Millisecond)), http.StatusServiceUnavailable)
		return
	case !o.Ran():
		http.Error(w, "probe interrupted: "+o.Err.Error(), http.StatusServiceUnavailable)
		return
	}
	reg := Registry([]Outcome{o})
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// scrapeTimeout is the timeout Prometheus announces for this scrape, or 0
// when there is none.
func scrapeTimeout(r *http.Request) (time.Duration, error) {
	v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if v == "" {
		return 0, nil
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || s < 0 || s > 1e6 {
		return 0, errors.New("X-Prometheus-Scrape-Timeout-Seconds: want a number of seconds")
	}
	return time.Duration(s * float64(time.Second)), nil
}

// NewServer returns serve's HTTP server for h. Requests' contexts derive
// from ctx, so that shutdown cancels the probes in flight.
func NewServer(ctx context.Context, h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}

// CheckWebConfig validates an exporter-toolkit web configuration file
// (--web.config.file: TLS, basic auth; "" for none), its certificates and
// password hashes included, and reports whether it turns TLS on.
func CheckWebConfig(path string) (tls bool, err error) {
	if path == "" {
		return false, nil
	}
	if err := web.Validate(path); err != nil {
		return false, fmt.Errorf("--web.config.file %s: %s", path, redactConfigError(err))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var c struct {
		TLS web.TLSConfig `yaml:"tls_server_config"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return false, fmt.Errorf("--web.config.file %s: %s", path, redactConfigError(err))
	}
	return c.TLS.IsEnabled(), nil
}

// backquoted is how YAML errors quote the value they could not decode
// ("cannot unmarshal !!str `…`"): in a web configuration that may be a
// password or a key.
var backquoted = lazyre.New("`[^`]*`")

// redactConfigError words err without the secrets a web configuration
// holds. bcrypt's errors name the first character of what should have
// been a hash, which may be a password written in clear.
func redactConfigError(err error) string {
	var prefix bcrypt.InvalidHashPrefixError
	var version bcrypt.HashVersionTooNewError
	var cost bcrypt.InvalidCostError
	if errors.Is(err, bcrypt.ErrHashTooShort) || errors.As(err, &prefix) || errors.As(err, &version) || errors.As(err, &cost) {
		return "basic_auth_users: every password must be a bcrypt hash (e.g. htpasswd -nBC 10 USER)"
	}
	return redact(err.Error())
}

func redact(s string) string { return backquoted().ReplaceAllString(s, "`…`") }

// Serve serves srv on ln with the TLS and basic auth of the web
// configuration file, re-read on every connection and request as the
// exporters do, so that certificates and users change without a restart.
// What exporter-toolkit logs goes to w, from warnings up (its info lines
// say what serve's own listening line says) and redacted: it logs the
// file's errors when an edit breaks it.
func Serve(ln net.Listener, srv *http.Server, webConfig string, w io.Writer) error {
	logger := slog.New(redactingHandler{slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})})
	return web.Serve(ln, srv, &web.FlagConfig{WebConfigFile: &webConfig}, logger)
}

// redactingHandler removes backquoted values from what it logs.
type redactingHandler struct{ slog.Handler }

func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for i := range as {
		as[i] = redactAttr(as[i])
	}
	return redactingHandler{h.Handler.WithAttrs(as)}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h.Handler.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	switch v := a.Value.Resolve(); v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(redact(v.String()))
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			a.Value = slog.StringValue(redact(err.Error()))
		}
	}
	return a
}
