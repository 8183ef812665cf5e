package checks

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures"
)

// TestTransportChecks drives client-config, dns, tcp, tls and both pings
// against the fixtures that break each layer.
func TestTransportChecks(t *testing.T) {
	ping := func(want func(t *testing.T, reg *fixtures.Registry, p *PingEvidence)) func(*testing.T, *fixtures.Registry, *Result) {
		return func(t *testing.T, reg *fixtures.Registry, res *Result) { want(t, reg, evidence[*PingEvidence](t, res)) }
	}
	pingFailsWith := func(kind ErrKind) func(*testing.T, *fixtures.Registry, *Result) {
		return ping(func(t *testing.T, _ *fixtures.Registry, p *PingEvidence) {
			if p.ErrorKind != kind || p.RegistryAPI {
				t.Errorf("ping: error kind %q (%q), registry_api %v; want %q and no API", p.ErrorKind, p.Error, p.RegistryAPI, kind)
			}
		})
	}
	tlsProblems := func(want ...ErrKind) func(*testing.T, *fixtures.Registry, *Result) {
		return func(t *testing.T, _ *fixtures.Registry, res *Result) {
			ev := evidence[*TLSEvidence](t, res)
			var got []ErrKind
			for _, p := range ev.Problems {
				got = append(got, p.Kind)
			}
			if !slices.Equal(got, want) {
				t.Errorf("tls problems %v, want %v (%+v)", got, want, ev.Problems)
			}
			if len(ev.Chain) == 0 {
				t.Error("tls: no chain recorded")
			}
		}
	}
	runFixtureCases(t, []fixtureCase{
		{scenario: "healthy", id: IDConfig, want: Pass, check: func(t *testing.T, reg *fixtures.Registry, res *Result) {
			cc := evidence[*ClientConfig](t, res)
			if cc.Creds != nil {
				t.Errorf("credentials %+v, want none", cc.Creds)
			}
			if len(cc.CertDirs) != 1 || cc.CertDirs[0].Path != reg.CertDir || !slices.Equal(cc.CertDirs[0].CAs, []string{"ca.crt"}) {
				t.Errorf("cert dirs %+v, want %s with ca.crt", cc.CertDirs, reg.CertDir)
			}
		}},
		{scenario: "logged-in", id: IDConfig, want: Pass, check: func(t *testing.T, reg *fixtures.Registry, res *Result) {
			cr := evidence[*ClientConfig](t, res).Creds
			if cr == nil || cr.Username != reg.Username || cr.Password != reg.Password || cr.Source != reg.AuthFile || cr.Key != reg.Host {
				t.Errorf("credentials %+v, want %s from %s under %s", cr, reg.Username, reg.AuthFile, reg.Host)
			}
		}},
		{scenario: "healthy", id: IDDNS, want: Pass, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			if ev := evidence[*DNSEvidence](t, res); !slices.Equal(ev.Addresses, []string{"127.0.0.1"}) {
				t.Errorf("addresses %v, want 127.0.0.1", ev.Addresses)
			}
		}},
		{scenario: "healthy", id: IDTCP, want: Pass, check: func(t *testing.T, reg *fixtures.Registry, res *Result) {
			if ev := evidence[*TCPEvidence](t, res); ev.Address != reg.Host || ev.Error != "" {
				t.Errorf("tcp evidence %+v, want a connection to %s", ev, reg.Host)
			}
		}},
		{scenario: "connection-refused", id: IDTCP, want: Fail, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			if ev := evidence[*TCPEvidence](t, res); ev.ErrorKind != KindRefused {
				t.Errorf("error kind %q (%s), want %q", ev.ErrorKind, ev.Error, KindRefused)
			}
		}},
		{scenario: "connection-refused", id: IDTLS, want: Skip},
		{scenario: "healthy", id: IDTLS, want: Pass, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			ev := evidence[*TLSEvidence](t, res)
			if len(ev.Problems) != 0 || len(ev.Chain) == 0 || !slices.Contains(ev.Chain[0].IPAddresses, "127.0.0.1") {
				t.Errorf("tls evidence %+v, want a clean chain for 127.0.0.1", ev)
			}
		}},
		{scenario: "tls-unknown-authority", id: IDTLS, want: Fail, check: func(t *testing.T, reg *fixtures.Registry, res *Result) {
			tlsProblems(KindUnknownCA)(t, reg, res)
			if ev := evidence[*TLSEvidence](t, res); !ev.Chain[0].SelfSigned {
				t.Error("leaf not reported self-signed")
			}
		}},
		{scenario: "tls-unknown-authority", id: IDTLS, want: Warn, tweak: []func(*Options){func(o *Options) { o.TLSVerify = false }},
			check: tlsProblems(KindUnknownCA)},
		{scenario: "tls-cert-expired", id: IDTLS, want: Fail, check: tlsProblems(KindCertExpired)},
		{scenario: "tls-hostname-mismatch", id: IDTLS, want: Fail, check: tlsProblems(KindHostname)},
		{scenario: "plain-http", id: IDTLS, want: Fail, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			if ev := evidence[*TLSEvidence](t, res); ev.ErrorKind != KindHTTPToHTTPS {
				t.Errorf("error kind %q (%s), want %q", ev.ErrorKind, ev.Error, KindHTTPToHTTPS)
			}
		}},
		{scenario: "server-not-responding", id: IDTLS, want: Fail, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			if ev := evidence[*TLSEvidence](t, res); ev.ErrorKind != KindNoResponse {
				t.Errorf("error kind %q (%s), want %q", ev.ErrorKind, ev.Error, KindNoResponse)
			}
		}},
		{scenario: "healthy", id: IDPingHTTPS, want: Pass, check: ping(func(t *testing.T, reg *fixtures.Registry, p *PingEvidence) {
			if !p.RegistryAPI || p.Status != http.StatusUnauthorized || !strings.HasPrefix(p.Header("WWW-Authenticate"), "Bearer ") {
				t.Errorf("ping %+v, want a 401 Bearer challenge from the registry API", p.Exchange)
			}
			if p.URL != "https://"+reg.Host+"/v2/" || !p.Connected || p.Auth != "" {
				t.Errorf("ping url %s connected %v auth %q, want an anonymous GET https://%s/v2/", p.URL, p.Connected, p.Auth, reg.Host)
			}
		})},
		{scenario: "basic-auth", id: IDPingHTTPS, want: Pass, check: ping(func(t *testing.T, _ *fixtures.Registry, p *PingEvidence) {
			if !p.RegistryAPI || !strings.HasPrefix(p.Header("WWW-Authenticate"), "Basic ") {
				t.Errorf("ping %+v, want a Basic challenge", p.Exchange)
			}
		})},
		// The clients' ping takes any 200; the page is evidence for the
		// diagnosis at the manifest.
		{scenario: "not-a-registry", id: IDPingHTTPS, want: Pass, check: ping(func(t *testing.T, _ *fixtures.Registry, p *PingEvidence) {
			if !p.RegistryAPI || p.HasAPIHeader() || p.Status != http.StatusOK || !strings.Contains(p.Header("Server"), "Nexus") || !strings.HasPrefix(p.Body, "<!DOCTYPE html>") {
				t.Errorf("ping %+v, want a 200 HTML page from Nexus, accepted as clients do", p.Exchange)
			}
		})},
		{scenario: "registry-misbehaving", id: IDPingHTTPS, want: Fail, check: ping(func(t *testing.T, _ *fixtures.Registry, p *PingEvidence) {
			if p.Status != http.StatusInternalServerError || !p.Malformed {
				t.Errorf("ping %+v, want a 500 with a malformed body", p.Exchange)
			}
		})},
		{scenario: "plain-http", id: IDPingHTTPS, want: Fail, check: pingFailsWith(KindHTTPToHTTPS)},
		{scenario: "tls-unknown-authority", id: IDPingHTTPS, want: Fail, check: pingFailsWith(KindUnknownCA)},
		{scenario: "tls-cert-expired", id: IDPingHTTPS, want: Fail, check: pingFailsWith(KindCertExpired)},
		{scenario: "tls-hostname-mismatch", id: IDPingHTTPS, want: Fail, check: pingFailsWith(KindHostname)},
		{scenario: "connection-refused", id: IDPingHTTPS, want: Fail, check: pingFailsWith(KindRefused)},
		{scenario: "server-not-responding", id: IDPingHTTPS, want: Fail, check: pingFailsWith(KindNoResponse)},
		{scenario: "plain-http", id: IDPingHTTP, want: Pass, check: ping(func(t *testing.T, reg *fixtures.Registry, p *PingEvidence) {
			if !p.RegistryAPI || p.Status != http.StatusOK || p.URL != "http://"+reg.Host+"/v2/" {
				t.Errorf("ping %+v, want the registry API over http://%s", p.Exchange, reg.Host)
			}
		})},
		{scenario: "healthy", id: IDPingHTTP, want: Pass, check: ping(func(t *testing.T, _ *fixtures.Registry, p *PingEvidence) {
			if p.RegistryAPI || p.Status != http.StatusBadRequest {
				t.Errorf("ping %+v, want Go's 400 for plain HTTP on a TLS port", p.Exchange)
			}
		})},
	})
}

func TestDNSLookup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for _, tc := range []struct {
		host string
		want Status
	}{
		{"127.0.0.1", Pass},
		{"::1", Pass},
		{"localhost", Pass},
		{"regdoctor-no-such-host.invalid", Fail},
	} {
		res := lookup(ctx, tc.host)
		ev := evidence[*DNSEvidence](t, &res)
		if res.Status != tc.want || ev.Host != tc.host {
			t.Errorf("lookup(%q): %s %+v, want %s", tc.host, res.Status, ev, tc.want)
		}
		if (res.Status == Pass) != (len(ev.Addresses) > 0) {
			t.Errorf("lookup(%q): status %s with addresses %v", tc.host, res.Status, ev.Addresses)
		}
	}
}

// TestPingIsAnonymous: the /v2/ probe is every client's first, anonymous
// request, even when credentials are stored.
func TestPingIsAnonymous(t *testing.T) {
	for _, name := range []string{"logged-in", "basic-auth"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reg, results := scenarioResults(t, name)
			wantStatus(t, results[IDManifest], Pass)
			var authed int
			for _, r := range reg.Requests() {
				switch {
				case r.Path == "/v2/" && r.AuthScheme != "":
					t.Errorf("GET /v2/ carried %s credentials", r.AuthScheme)
				case r.AuthScheme != "":
					authed++
				}
			}
			if authed == 0 {
				t.Error("no request carried the stored credentials")
			}
		})
	}
}
