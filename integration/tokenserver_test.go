//go:build integration

package integration

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer is a Nexus-like front for a docker-registry using token auth:
// one HTTPS origin (TLS from the test CA) that answers the Bearer realm at
// /v2/token itself and reverse-proxies everything else to the registry.
//
// Token policy: anonymous token requests get 403 (Nexus with anonymous
// access off), developer gets the actions it asks for, a wrong password gets
// 401, and norights gets 200 with a token that grants nothing. Tokens are
// RS256 JWTs whose signing certificate travels in the x5c header and chains
// to the registry's rootcertbundle (the test CA).
//
// The realm shares the registry's host:port on purpose: go-containerregistry
// (v0.22) refuses a realm whose host is a loopback/private IP literal unless
// it equals the registry's host:port, so a realm on another 127.0.0.1 port
// would break seeding (and any client built on it). Nexus and Harbor serve the
// realm from the registry origin too.
type tokenServer struct {
	srv      *httptest.Server
	realm    string
	service  string
	issuer   string
	signer   keyPair
	roots    string // PEM bundle the registry verifies x5c against
	pool     *x509.CertPool
	upstream atomic.Pointer[httputil.ReverseProxy]

	mu        sync.Mutex
	passwords map[string]string // account -> password
	issued    []string          // every token handed out, for the leak check
	requests  []string          // one line per token request, dumped on failure
}

const (
	tokenService = "regdoctor-test-registry"
	tokenIssuer  = "regdoctor-test-token-issuer"
	tokenPath    = "/v2/token" // where Nexus serves its realm
)

func startTokenServer(t testing.TB) *tokenServer {
	t.Helper()
	pki := sharedPKI(t)
	ts := &tokenServer{
		service:   tokenService,
		issuer:    tokenIssuer,
		signer:    pki.tokenSig,
		roots:     pki.caFile,
		pool:      pki.pool,
		passwords: map[string]string{devUser: devPassword, noRightsUser: noRightsPass},
	}
	ts.srv = httptest.NewUnstartedServer(http.HandlerFunc(ts.serveHTTP))
	ts.srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.good.tlsCertificate()}}
	ts.srv.StartTLS() // httptest listens on 127.0.0.1:0
	t.Cleanup(ts.srv.Close)
	ts.realm = ts.srv.URL + tokenPath
	t.Cleanup(func() {
		if t.Failed() {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			t.Logf("---- token server %s requests ----\n%s", ts.srv.URL, strings.Join(ts.requests, "\n"))
		}
	})
	return ts
}

// front makes this server the public origin of reg and returns that origin.
func (ts *tokenServer) front(reg *registry) *registry {
	target, _ := url.Parse(reg.url)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	ts.upstream.Store(&httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()       // X-Forwarded-Proto: https for the registry's Location headers
			pr.Out.Host = pr.In.Host // keep the public host:port
		},
	})
	u, _ := url.Parse(ts.srv.URL)
	return &registry{host: u.Host, url: ts.srv.URL, dataDir: reg.dataDir, seedTLS: &tls.Config{RootCAs: ts.pool}, proc: reg.proc}
}

// host is the server's 127.0.0.1:PORT, the registry's public origin once fronted.
func (ts *tokenServer) host() string { return ts.srv.Listener.Addr().String() }

// auth is the registry config section that delegates to this server.
func (ts *tokenServer) auth() *tokenAuth {
	return &tokenAuth{realm: ts.realm, service: ts.service, issuer: ts.issuer, rootCertBundle: ts.roots}
}

func (ts *tokenServer) setPassword(account, password string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.passwords[account] = password
}

func (ts *tokenServer) issuedTokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.issued...)
}

type accessEntry struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

func (ts *tokenServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != tokenPath {
		if p := ts.upstream.Load(); p != nil {
			p.ServeHTTP(w, r)
			return
		}
		http.Error(w, "no registry behind this front yet", http.StatusBadGateway)
		return
	}
	user, pass, hasAuth := r.BasicAuth()
	scopes := parseScopes(r.URL.Query()["scope"])
	ts.mu.Lock()
	ts.requests = append(ts.requests, fmt.Sprintf("%s %s user=%q service=%q scopes=%v", r.Method, r.URL.Path, user, r.URL.Query().Get("service"), scopes))
	want, known := ts.passwords[user]
	ts.mu.Unlock()

	switch {
	case r.Method != http.MethodGet:
		// Only the GET flow exists (no OAuth2 POST), like many small realms.
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case !hasAuth:
		// Nexus with anonymous access disabled answers the token request with 403.
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	case !known || pass != want:
		w.Header().Set("WWW-Authenticate", `Basic realm="regdoctor-token-realm"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}

	access := []accessEntry{}
	if user != noRightsUser {
		access = scopes
	}
	token, err := ts.sign(user, access)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ts.mu.Lock()
	ts.issued = append(ts.issued, token)
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token":        token,
		"access_token": token,
		"expires_in":   300,
		"issued_at":    time.Now().UTC().Format(time.RFC3339),
	})
}

// parseScopes turns scope=repository:team/app:pull,push parameters (possibly
// several, possibly space separated) into JWT access entries.
func parseScopes(params []string) []accessEntry {
	var out []accessEntry
	for _, p := range params {
		for _, s := range strings.Fields(p) {
			typ, rest, ok := strings.Cut(s, ":")
			if !ok {
				continue
			}
			i := strings.LastIndex(rest, ":")
			if i < 0 {
				continue
			}
			out = append(out, accessEntry{Type: typ, Name: rest[:i], Actions: strings.Split(rest[i+1:], ",")})
		}
	}
	return out
}

// sign builds an RS256 JWT in the shape distribution 2.8's token
// access controller verifies (see registry/auth/token/token.go there).
func (ts *tokenServer) sign(subject string, access []accessEntry) (string, error) {
	now := time.Now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	header := map[string]any{
		"typ": "JWT",
		"alg": "RS256",
		"x5c": []string{base64.StdEncoding.EncodeToString(ts.signer.cert.Raw)},
	}
	claims := map[string]any{
		"iss":    ts.issuer,
		"sub":    subject,
		"aud":    ts.service,
		"exp":    now.Add(5 * time.Minute).Unix(),
		"nbf":    now.Add(-10 * time.Second).Unix(),
		"iat":    now.Unix(),
		"jti":    hex.EncodeToString(jti),
		"access": access,
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cj, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString(hj) + "." + enc.EncodeToString(cj)
	digest := sha256.Sum256([]byte(signingInput))
	key, ok := ts.signer.key.(*rsa.PrivateKey)
	if !ok {
		return "", fmt.Errorf("token signer key is %T, want RSA", ts.signer.key)
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signingInput + "." + enc.EncodeToString(sig), nil
}
