package checks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// PingEvidence is the answer to GET /v2/ on one scheme.
type PingEvidence struct {
	*Exchange
	RegistryAPI bool `json:"registry_api"`
}

// ping sends an anonymous GET /v2/. It never sends credentials: that is the
// first request every client makes, and it is anonymous for all of them.
func ping(ctx context.Context, env *Env, base string) *PingEvidence {
	x, _ := env.Do(ctx, request{Method: http.MethodGet, URL: base + "/v2/", NoFollow: true, Limit: 64 << 10})
	return &PingEvidence{Exchange: x, RegistryAPI: x.IsRegistryAPI()}
}

// Summary is the one-line description of the answer.
func (p *PingEvidence) Summary() string { return p.describe() }

// describe turns a /v2/ answer into a one-line summary.
func (p *PingEvidence) describe() string {
	x := p.Exchange
	if x.Error != "" {
		return describeErr(x)
	}
	api := "registry API"
	if v := x.Shown("Docker-Distribution-API-Version"); v != "" {
		api = v
	}
	switch {
	case p.RegistryAPI && x.Status == http.StatusUnauthorized:
		scheme, _, _ := strings.Cut(x.Shown("WWW-Authenticate"), " ")
		return fmt.Sprintf("%s answers (401, %s challenge)", api, scheme)
	case p.RegistryAPI:
		return fmt.Sprintf("%s answers (%d)", api, x.Status)
	case x.Status >= 300 && x.Status < 400:
		return fmt.Sprintf("redirects (%d) to %s", x.Status, x.Shown("Location"))
	}
	ct := x.Shown("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("answers %d (%s) without the registry API header", x.Status, ct)
}

func describeErr(x *Exchange) string {
	switch x.ErrorKind {
	case KindHTTPToHTTPS:
		return "server gave HTTP response to HTTPS client"
	case KindRefused:
		return "connection refused"
	case KindConnectTimeout:
		return "connection attempt timed out"
	case KindNoResponse:
		if x.Partial {
			return "connected; the answer began but was not complete before the timeout"
		}
		return "connected, but no answer before the timeout"
	case KindDNS:
		return "host does not resolve"
	case KindClientCert:
		return "the server refused the TLS connection over the client certificate: " + truncate(x.Error, 120)
	case KindUnknownCA, KindCertExpired, KindHostname:
		if i := strings.LastIndex(x.Error, "x509: "); i >= 0 {
			return truncate(x.Error[i:], 120)
		}
	}
	return fmt.Sprintf("%s: %s", x.ErrorKind, x.Error)
}

// Endpoint is the base URL downstream checks talk to, chosen from the pings.
type Endpoint struct {
	Base      string // e.g. "https://host:5000"
	PlainHTTP bool
	Ping      *PingEvidence
}

// ChooseEndpoint prefers HTTPS. When only plain HTTP answers as a registry,
// the later checks still run over it, so that one run reports what would
// fail after the user has fixed the scheme.
func ChooseEndpoint(deps Deps) (Endpoint, bool) {
	if r := deps.Get(IDPingHTTPS); r.Status.Ok() {
		p := r.Evidence.(*PingEvidence)
		return Endpoint{Base: baseOf(p.URL), Ping: p}, true
	}
	if r := deps.Get(IDPingHTTP); r.Evidence != nil {
		if p, ok := r.Evidence.(*PingEvidence); ok && p.RegistryAPI {
			return Endpoint{Base: baseOf(p.URL), PlainHTTP: true, Ping: p}, true
		}
	}
	return Endpoint{}, false
}

func baseOf(pingURL string) string { return strings.TrimSuffix(pingURL, "/v2/") }
