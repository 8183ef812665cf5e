package checks

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/regdoctor/regdoctor/internal/safetext"
)

// PingEvidence is the answer to GET /v2/ on one scheme.
type PingEvidence struct {
	*Exchange
	// RegistryAPI: the clients' ping accepts the answer (PingAccepted).
	RegistryAPI bool `json:"registry_api"`
}

// pingPrefix is how much of the /v2/ body is read: enough to tell an HTML
// page or a registry error from anything else. Clients read none of it
// (containers/image detectPropertiesHelper and moby PingV2Registry close
// the body unread); go-containerregistry's pingSingle drains it.
const pingPrefix = 16 << 10

// ping sends an anonymous GET /v2/. It never sends credentials: that is the
// first request every client makes, and it is anonymous for all of them.
// Redirects are followed, as every client's http.Client does with the
// default policy (containers/image v5.24 detectPropertiesHelper, ggcr
// v0.22.1 pingSingle, moby PingV2Registry); the endpoint stays the host
// asked, as containers/image keeps c.registry for the requests after the
// ping. The body is evidence only: its size, or its never ending, is not
// the ping's business.
func ping(ctx context.Context, env *Env, base string) *PingEvidence {
	x, _ := env.Do(ctx, request{Method: http.MethodGet, URL: base + "/v2/", Prefix: pingPrefix})
	return &PingEvidence{Exchange: x, RegistryAPI: x.PingAccepted()}
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
	via := ""
	if x.RedirectedTo != "" {
		via = " after a redirect to " + x.RedirectedTo
	}
	ct := x.Shown("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	switch {
	case p.RegistryAPI && x.Status == http.StatusUnauthorized:
		scheme, _, _ := strings.Cut(x.Shown("WWW-Authenticate"), " ")
		return fmt.Sprintf("%s answers (401, %s challenge)%s", api, safetext.Fit(scheme, 32), via)
	case p.RegistryAPI && x.HasAPIHeader():
		return fmt.Sprintf("%s answers (%d)%s", api, x.Status, via)
	case p.RegistryAPI:
		// Clients accept it; whether a registry is behind it shows at the manifest.
		return fmt.Sprintf("answers %d (%s) without the registry API header%s", x.Status, ct, via)
	case x.Status >= 300 && x.Status < 400:
		return fmt.Sprintf("redirects (%d) to %s", x.Status, x.Shown("Location"))
	}
	return fmt.Sprintf("answers %d (%s) without the registry API header%s", x.Status, ct, via)
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
		return "the server refused the TLS connection over the client certificate: " + safetext.Truncate(x.Error, 120)
	case KindUnknownCA, KindCertExpired, KindHostname:
		if i := strings.LastIndex(x.Error, "x509: "); i >= 0 {
			return safetext.Truncate(x.Error[i:], 120)
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

// ChooseEndpoint picks the endpoint from the results of the two pings
// (either may be nil): it prefers HTTPS. When only plain HTTP answers as a
// registry, the later checks still run over it, so that one run reports
// what would fail after the user has fixed the scheme.
func ChooseEndpoint(httpsPing, httpPing *Result) (Endpoint, bool) {
	if r := httpsPing; r != nil && r.Status.Ok() {
		p := r.Evidence.(*PingEvidence)
		return Endpoint{Base: baseOf(p.URL), Ping: p}, true
	}
	if r := httpPing; r != nil && r.Evidence != nil {
		// A plain-HTTP ping that a redirect took to HTTPS found no
		// plain-HTTP registry: go-containerregistry judges insecure by the
		// final request's scheme (pingSingle).
		if p, ok := r.Evidence.(*PingEvidence); ok && p.RegistryAPI && !strings.HasPrefix(p.RedirectedTo, "https:") {
			return Endpoint{Base: baseOf(p.URL), PlainHTTP: true, Ping: p}, true
		}
	}
	return Endpoint{}, false
}

func baseOf(pingURL string) string { return strings.TrimSuffix(pingURL, "/v2/") }
