package checks

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// JWTClaims are the claims of a registry token, decoded without verifying
// the signature: they explain denials and clock problems. The signature is
// never kept.
type JWTClaims struct {
	Issuer    string        `json:"iss,omitempty"`
	Subject   string        `json:"sub,omitempty"`
	Audience  any           `json:"aud,omitempty"`
	ExpiresAt *time.Time    `json:"exp,omitempty"`
	NotBefore *time.Time    `json:"nbf,omitempty"`
	IssuedAt  *time.Time    `json:"iat,omitempty"`
	Access    []TokenAccess `json:"access"`
}

// TokenAccess is one grant in a distribution token.
type TokenAccess struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Grants reports whether the token grants action on repository repo.
func (c *JWTClaims) Grants(repo, action string) bool {
	for _, a := range c.Access {
		if a.Type == "repository" && (a.Name == repo || a.Name == "*") {
			for _, act := range a.Actions {
				if act == action || act == "*" {
					return true
				}
			}
		}
	}
	return false
}

// TokenAttempt is one request to the realm.
type TokenAttempt struct {
	As       string     `json:"as"` // "anonymous" or the username
	Exchange *Exchange  `json:"request,omitempty"`
	Obtained bool       `json:"obtained"`
	NotSent  string     `json:"not_sent,omitempty"` // why credentials were withheld
	JWT      bool       `json:"jwt"`
	Claims   *JWTClaims `json:"claims,omitempty"`
	// Undecodable says why the realm's 200 answer does not decode as the
	// clients decode it.
	Undecodable string `json:"undecodable,omitempty"`
	// CraneDecodes: the answer is undecodable for the others, but
	// go-containerregistry's narrower decode reads a token from it, so
	// crane pulls (Obtained is then true, and the pull goes on with it).
	CraneDecodes bool `json:"crane_decodes,omitempty"`
	// ExpiresIn is the token lifetime the realm announced, in seconds.
	ExpiresIn int `json:"expires_in,omitempty"`
	// BodyBytes is the size of the realm's answer.
	BodyBytes int `json:"body_bytes,omitempty"`
	token     string
}

// TokenEvidence records both attempts: the anonymous one, and the one with
// the stored credentials when there are any.
type TokenEvidence struct {
	Realm       string        `json:"realm"`
	Scope       string        `json:"scope,omitempty"`
	Anonymous   *TokenAttempt `json:"anonymous"`
	Credentials *TokenAttempt `json:"credentials,omitempty"`
	CredsSource string        `json:"credentials_source,omitempty"`
	// RealmProbe checks the realm host as a target of its own, when the
	// realm could not be reached.
	RealmProbe *HostProbe `json:"realm_probe,omitempty"`
}

// HostProbe is DNS, TCP and TLS evidence for a host other than the registry.
type HostProbe struct {
	Host string       `json:"host"`
	DNS  *DNSEvidence `json:"dns"`
	TCP  *TCPEvidence `json:"tcp,omitempty"`
	TLS  *TLSEvidence `json:"tls,omitempty"`
}

// Failure names the first layer that failed, or "" when all passed.
func (p *HostProbe) Failure() string {
	switch {
	case p.DNS != nil && p.DNS.Error != "":
		return fmt.Sprintf("%s does not resolve (%s)", p.DNS.Host, dnsReason(p.DNS))
	case p.TCP != nil && p.TCP.Error != "":
		return fmt.Sprintf("TCP connect to %s: %s", p.TCP.Address, p.TCP.ErrorKind)
	case p.TLS != nil && p.TLS.Error != "":
		return fmt.Sprintf("TLS handshake with %s: %s", p.TLS.Address, p.TLS.ErrorKind)
	case p.TLS != nil && len(p.TLS.Problems) > 0:
		return fmt.Sprintf("certificate of %s: %s", p.TLS.Address, p.TLS.Problems[0].Message)
	}
	return ""
}

// probeHost runs the DNS, TCP and TLS probes against the host of rawURL.
// It runs only on the failure path, so it costs nothing when all is well.
func probeHost(ctx context.Context, env *Env, rawURL string) *HostProbe {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80"}[u.Scheme]
		if port == "" {
			port = "443"
		}
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	p := &HostProbe{Host: u.Host}
	p.DNS = lookup(ctx, u.Hostname()).Evidence.(*DNSEvidence)
	if p.DNS.Error != "" {
		return p
	}
	p.TCP = &TCPEvidence{Address: addr, Port: port}
	start := time.Now()
	conn, err := dial(ctx, env, addr)
	p.TCP.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		p.TCP.Error, p.TCP.ErrorKind = err.Error(), Classify(err, false)
		return p
	}
	conn.Close()
	if u.Scheme == "https" {
		var conn *tls.Conn
		if p.TLS, conn = handshake(ctx, env, addr, u.Hostname()); conn != nil {
			conn.Close()
		}
	}
	return p
}

// ClientAttempt is the attempt the user's client would make.
func (ev *TokenEvidence) ClientAttempt() *TokenAttempt {
	if ev.Credentials != nil {
		return ev.Credentials
	}
	return ev.Anonymous
}

// Token asks the realm for a pull token, anonymously and with the stored
// credentials, concurrently.
func Token() Check {
	return Check{
		ID:    IDToken,
		Title: "token",
		Needs: []string{IDAuthChallenge},
		Uses:  []string{IDAuthChallenge, IDTokenRealm},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			c := deps.Get(IDAuthChallenge).Data.(*Challenge)
			if c.Scheme != SchemeBearer {
				return skipped("no token needed: challenge is " + string(c.Scheme))
			}
			if r := deps.Get(IDTokenRealm); r.Status == Fail {
				return skipped("the realm URL is malformed (see token-realm)")
			}
			scope := ""
			if env.Target.Repository != "" {
				scope = "repository:" + env.Target.Repository + ":pull"
			}
			ev, anonymous := tokensFirst(ctx, env, c, scope)
			att := ev.ClientAttempt()
			env.rememberRealm(c.Realm, att.Exchange) // for later runs (predial.go)
			if att.Exchange != nil && att.Exchange.Status == 0 && att.Exchange.Error != "" {
				ev.RealmProbe = probeHost(ctx, env, c.Realm)
			}
			res := Result{Evidence: ev, Data: att.token}
			switch {
			case att.Obtained && att.CraneDecodes:
				res.Status, res.Summary = Warn, fmt.Sprintf("token for %s obtained as %s, but only crane decodes the answer: %s", orRegistry(scope), att.As, att.Undecodable)
			case att.Obtained:
				res.Status, res.Summary = Pass, fmt.Sprintf("token for %s obtained as %s", orRegistry(scope), att.As)
				if att.BodyBytes > CraneTokenLimit {
					res.Summary += fmt.Sprintf(" (a %d KiB answer: crane reads at most 64 KiB of it)", att.BodyBytes>>10)
				}
				if att.Claims != nil && scope != "" && !att.Claims.Grants(env.Target.Repository, "pull") {
					res.Status, res.Summary = Warn, fmt.Sprintf("token obtained as %s, but it grants no pull on %s", att.As, env.Target.Repository)
				}
			case att.NotSent != "":
				res.Status, res.Summary = Fail, att.NotSent
			default:
				res.Status, res.Summary = Fail, fmt.Sprintf("realm refused %s: %s", att.As, statusOrError(att.Exchange))
			}
			withAnonymous := func(r *Result) {
				if ev.Credentials != nil && ev.Anonymous != nil {
					r.Summary += fmt.Sprintf(" (anonymous: %s)", statusOrError(ev.Anonymous.Exchange))
				}
			}
			if anonymous == nil {
				withAnonymous(&res)
			} else {
				res.settle = func(r *Result) { anonymous(); withAnonymous(r) }
			}
			return res
		},
	}
}

// tokensFirst makes the token requests of the token check. With stored
// credentials and a realm on another origin (Docker Hub's auth.docker.io,
// Harbor's or Keycloak's own host), only the credentialed request is made
// at once, and the anonymous one is returned, to be made once the manifest
// requests are on their way (Result.settle): it is evidence for the
// diagnosis and no pull step waits for it. It then goes over the
// credentialed request's connection, so the realm is dialled once, and
// its TLS handshake no longer competes with the one the pull waits for
// (on 2 cores, case 1b of BENCHMARKS.md: about 2.5 ms of a 30 ms check).
// On the registry's own origin both go at once, as FetchTokens makes them:
// there a later anonymous request would take a connection the manifest
// requests need.
func tokensFirst(ctx context.Context, env *Env, c *Challenge, scope string) (*TokenEvidence, func()) {
	cr := env.Config.Creds
	if cr == nil || realmAddr(c.Realm) == env.Target.HostPort("https") || realmAddr(c.Realm) == env.Target.HostPort("http") {
		return FetchTokens(ctx, env, c, scope), nil
	}
	ev := &TokenEvidence{Realm: redactURLString(c.Realm), Scope: scope, CredsSource: cr.Source}
	ev.Credentials = requestToken(ctx, env, c, scope, cr)
	return ev, func() { ev.Anonymous = requestTokenOn(ctx, env, c, scope, nil, nil) }
}

func orRegistry(scope string) string {
	if scope == "" {
		return "the registry"
	}
	return scope
}

func statusOrError(x *Exchange) string {
	if x == nil {
		return "not asked"
	}
	if x.Error != "" {
		return describeErr(x)
	}
	return fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status))
}

// FetchTokens performs the anonymous and the credentialed token requests.
func FetchTokens(ctx context.Context, env *Env, c *Challenge, scope string) *TokenEvidence {
	ev := &TokenEvidence{Realm: redactURLString(c.Realm), Scope: scope}
	// Over a realm known to speak HTTP/2 (an earlier run's), the
	// credentialed request waits until the anonymous one has its
	// connection, and then goes over it as a second stream, rather than
	// dialling the realm a second time. Otherwise both go at once: over
	// HTTP/1.1 each needs a connection, and waiting would cost a round trip.
	var anonOnConn func()
	first := make(chan struct{})
	if m, ok := env.rememberedRealm(); ok && m.h2 && env.Config.Creds != nil && realmAddr(c.Realm) == m.addr {
		var once sync.Once
		anonOnConn = func() { once.Do(func() { close(first) }) }
	} else {
		close(first)
	}
	attempts := []func(){func() { ev.Anonymous = requestTokenOn(ctx, env, c, scope, nil, anonOnConn) }}
	if cr := env.Config.Creds; cr != nil {
		ev.CredsSource = cr.Source
		attempts = append(attempts, func() {
			select {
			case <-first:
			case <-ctx.Done():
			}
			ev.Credentials = requestToken(ctx, env, c, scope, cr)
		})
	}
	parallel(attempts...)
	return ev
}

// realmAddr is the host:port a realm URL is dialled at; "" if none.
func realmAddr(realm string) string {
	u, err := url.Parse(realm)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	return net.JoinHostPort(u.Hostname(), portOr(u.Port(), "443"))
}

// tokenBodyLimit is containers/image's: v5.24 docker/docker_client.go
// getBearerToken and getBearerTokenOAuth2 read the realm's answer with
// iolimits.ReadAtMost(res.Body, iolimits.MaxAuthTokenBodySize), 1 MiB
// (internal/iolimits), failing only past it. containerd 1.6
// (remotes/docker/auth/fetch.go) and docker (distribution's auth/session.go)
// decode it without a limit; go-containerregistry v0.22.1 reads at most
// 64 KiB (transport/bearer.go maxTokenBodySize), which BodyBytes lets the
// evidence show.
const tokenBodyLimit = 1 << 20

// CraneTokenLimit is go-containerregistry v0.22.1's maxTokenBodySize:
// crane fails a longer answer with "body exceeds 65536 byte limit".
const CraneTokenLimit = 64 << 10

func requestToken(ctx context.Context, env *Env, c *Challenge, scope string, cr *Credentials) *TokenAttempt {
	return requestTokenOn(ctx, env, c, scope, cr, nil)
}

// requestTokenOn is requestToken with request.OnConn.
func requestTokenOn(ctx context.Context, env *Env, c *Challenge, scope string, cr *Credentials, onConn func()) *TokenAttempt {
	att := &TokenAttempt{As: "anonymous"}
	u, err := url.Parse(c.Realm)
	if err != nil {
		att.NotSent = "realm is not a URL"
		return att
	}
	q := u.Query()
	if c.Service != "" {
		q.Set("service", c.Service)
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	r := request{Method: http.MethodGet, Limit: tokenBodyLimit, OnConn: onConn}
	if cr != nil {
		att.As = cr.Username
		if cr.IdentityToken != "" {
			att.As = "identity token"
		}
		if ok, why := CredentialsAllowed(env, c.Realm, c.PlainHTTP); !ok {
			att.NotSent = "credentials not sent: " + why
			return att
		}
		if cr.IdentityToken != "" {
			// OAuth2 refresh-token grant, as docker and podman do for identity tokens.
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cr.IdentityToken}, "service": {c.Service}, "client_id": {"regdoctor"}}
			if scope != "" {
				form.Set("scope", scope)
			}
			r.Method, r.Body = http.MethodPost, []byte(form.Encode())
			r.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		} else {
			r.Auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cr.Username+":"+cr.Password))
		}
	}
	if r.Method == http.MethodGet {
		u.RawQuery = q.Encode()
	}
	r.URL = u.String()
	x, body := env.Do(ctx, r)
	att.Exchange = x
	att.BodyBytes = len(body)
	if x.Status != http.StatusOK {
		return att
	}
	// The fields clients decode: issued_at is a time.Time in
	// containers/image (bearerToken) and containerd (FetchTokenResponse),
	// so an answer whose issued_at is no RFC 3339 time fails their pull
	// although the token itself is good.
	var resp struct {
		Token       string    `json:"token"`
		AccessToken string    `json:"access_token"`
		ExpiresIn   int       `json:"expires_in"`
		IssuedAt    time.Time `json:"issued_at"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		x.Malformed = true
		att.Undecodable = clean(err.Error(), 200)
		// go-containerregistry decodes only token, access_token,
		// refresh_token and expires_in (pkg/v1/remote/transport/bearer.go
		// Token, v0.22.1): an issued_at that is no time does not stop
		// crane. The pull goes on with its token, to show what crane meets
		// next; the diagnosis fails the others. The struct is a copy of
		// transport.Token's four fields: importing that package would link
		// docker/cli's config and logrus into every command's start-up.
		var ggcr struct {
			Token        string `json:"token"`
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			ExpiresIn    int    `json:"expires_in"`
		}
		if json.Unmarshal(body, &ggcr) == nil && (ggcr.Token != "" || ggcr.AccessToken != "") {
			att.CraneDecodes = true
			resp.Token, resp.AccessToken, resp.ExpiresIn = ggcr.Token, ggcr.AccessToken, ggcr.ExpiresIn
		} else {
			return att
		}
	}
	att.token = resp.Token
	if att.token == "" {
		att.token = resp.AccessToken
	}
	att.ExpiresIn = resp.ExpiresIn
	att.Obtained = att.token != ""
	att.Claims, att.JWT = DecodeJWT(att.token)
	return att
}

// DecodeJWT reads the claims of a JWT without verifying it. Registries
// (Docker Hub, Harbor, GitLab, distribution) issue JWTs; others (Nexus,
// Artifactory) issue opaque tokens, which is fine.
func DecodeJWT(tok string) (*JWTClaims, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[1]) > 64<<10 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var c struct {
		Iss    string        `json:"iss"`
		Sub    string        `json:"sub"`
		Aud    any           `json:"aud"`
		Exp    *float64      `json:"exp"`
		Nbf    *float64      `json:"nbf"`
		Iat    *float64      `json:"iat"`
		Access []TokenAccess `json:"access"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false
	}
	return &JWTClaims{Issuer: c.Iss, Subject: c.Sub, Audience: c.Aud, ExpiresAt: unix(c.Exp), NotBefore: unix(c.Nbf), IssuedAt: unix(c.Iat), Access: c.Access}, true
}

func unix(f *float64) *time.Time {
	// Outside years 1 to 9999 a time cannot be written as JSON, and a
	// report that cannot be written is worse than a claim left out.
	const first, last = -62135596800, 253402300799
	if f == nil || !(*f >= first && *f <= last) {
		return nil
	}
	t := time.Unix(int64(*f), 0).UTC()
	return &t
}
