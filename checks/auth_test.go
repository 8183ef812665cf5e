package checks

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

func TestParseChallenge(t *testing.T) {
	for _, tc := range []struct {
		in                            string
		scheme, realm, service, scope string
		params                        map[string]string
	}{
		{in: `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`,
			scheme: "bearer", realm: "https://auth.docker.io/token", service: "registry.docker.io"},
		{in: `Bearer realm="https://r/token",service="s",scope="repository:a/b:pull,push"`,
			scheme: "bearer", realm: "https://r/token", service: "s", scope: "repository:a/b:pull,push"},
		// A comma inside quotes does not end the value; spaces after commas are fine.
		{in: `Bearer realm="https://r/token", scope="repository:x:pull,push", service="a,b"`,
			scheme: "bearer", realm: "https://r/token", service: "a,b", scope: "repository:x:pull,push"},
		{in: `Basic realm="Registry Realm"`, scheme: "basic", realm: "Registry Realm"},
		// Backslash escapes inside quotes.
		{in: `Basic realm="say \"hi\" \\ bye"`, scheme: "basic", realm: `say "hi" \ bye`},
		// Unquoted values, upper-case scheme and keys.
		{in: `BEARER Realm=https://r/token,Service=reg`, scheme: "bearer", realm: "https://r/token", service: "reg"},
		{in: `Bearer realm="https://r/token",service="s",error="insufficient_scope"`,
			scheme: "bearer", realm: "https://r/token", service: "s",
			params: map[string]string{"realm": "https://r/token", "service": "s", "error": "insufficient_scope"}},
		// An unterminated quote takes the rest of the input.
		{in: `Bearer realm="https://r/tok`, scheme: "bearer", realm: "https://r/tok"},
		// Garbage: no scheme, or a parameter where the scheme should be.
		{in: ``, params: map[string]string{}},
		{in: `realm="x"`, params: map[string]string{}},
		{in: `   `, params: map[string]string{}},
		{in: `Bearer`, scheme: "bearer", params: map[string]string{}},
		{in: `Bearer ,,, =,=`, scheme: "bearer", params: map[string]string{}},
	} {
		c := ParseChallenge(tc.in)
		if string(c.Scheme) != tc.scheme || c.Realm != tc.realm || c.Service != tc.service || c.Scope != tc.scope {
			t.Errorf("ParseChallenge(%q) = scheme %q realm %q service %q scope %q; want %q %q %q %q",
				tc.in, c.Scheme, c.Realm, c.Service, c.Scope, tc.scheme, tc.realm, tc.service, tc.scope)
		}
		if tc.params != nil && !maps.Equal(c.Params, tc.params) {
			t.Errorf("ParseChallenge(%q).Params = %v, want %v", tc.in, c.Params, tc.params)
		}
	}
}

func TestValidateRealm(t *testing.T) {
	const registry = "https://10.0.0.5:5000"
	for _, tc := range []struct {
		realm, endpoint           string
		problems, warnings, notes []string // substrings, in order
	}{
		{realm: "https://10.0.0.5:5000/token", endpoint: registry},
		{realm: "https://auth.example.com/token", endpoint: registry},
		{realm: "", endpoint: registry, problems: []string{"names no realm"}},
		{realm: "null://nexus:8083/v2/token", endpoint: registry, problems: []string{`scheme "null"`}},
		// url.Parse already rejects a doubled port, so it is reported as no URL.
		{realm: "https://nexus:5001:5001/v2/token", endpoint: registry, problems: []string{"more than one port"}},
		{realm: "https://nexus:/token", endpoint: registry, problems: []string{"empty port"}},
		{realm: "/token", endpoint: registry, problems: []string{`scheme ""`, "no host"}},
		{realm: "https://%zz/", endpoint: registry, problems: []string{"not a URL"}},
		{realm: "http://auth.example.com/token", endpoint: registry, warnings: []string{"plain http for an HTTPS registry"}},
		// Plain HTTP registry, plain HTTP realm: nothing to warn about.
		{realm: "http://10.0.0.5:5000/token", endpoint: "http://10.0.0.5:5000"},
		{realm: "https://192.168.1.9/token", endpoint: registry, notes: []string{`"192.168.1.9" is a private IP literal`}},
		{realm: "https://127.0.0.1:9000/token", endpoint: registry, notes: []string{"private IP literal"}},
		{realm: "https://[::ffff:10.1.1.1]/token", endpoint: registry, notes: []string{"private IP literal"}},
		{realm: "https://8.8.8.8/token", endpoint: registry},
		{realm: "http://192.168.1.9/token", endpoint: registry, warnings: []string{"plain http"}, notes: []string{"private IP"}},
	} {
		ev := ValidateRealm(tc.realm, tc.endpoint)
		for _, part := range []struct {
			what      string
			got, want []string
		}{{"problems", ev.Problems, tc.problems}, {"warnings", ev.Warnings, tc.warnings}, {"notes", ev.Notes, tc.notes}} {
			if !containsInOrder(part.got, part.want) {
				t.Errorf("ValidateRealm(%q, %q) %s = %q, want %q", tc.realm, tc.endpoint, part.what, part.got, part.want)
			}
		}
	}
}

// containsInOrder reports whether got has one entry per want, each
// containing the matching substring.
func containsInOrder(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			return false
		}
	}
	return true
}

func TestValidateRealmRedactsSecrets(t *testing.T) {
	ev := ValidateRealm("https://user:hunter2@auth.example.com/token?access_token=abc123", "https://r")
	if strings.Contains(ev.Realm, "hunter2") || strings.Contains(ev.Realm, "abc123") {
		t.Errorf("realm evidence %q keeps a secret", ev.Realm)
	}
}

func TestDecodeJWT(t *testing.T) {
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	header := seg(map[string]string{"alg": "none"})
	payload := seg(map[string]any{
		"iss": "issuer", "sub": "developer", "aud": "svc", "exp": 2000000000, "iat": 1900000000,
		"access": []map[string]any{{"type": "repository", "name": "library/redis", "actions": []string{"pull"}}},
	})
	for _, tc := range []struct {
		name   string
		tok    string
		wantOK bool
	}{
		{"jwt", header + "." + payload + ".sig", true},
		{"padded payload", header + "." + payload + "==.sig", true},
		{"opaque token", "d2b1f1c7-8a3e-4c38-9a4d-5b8a1c2e6f00", false},
		{"two parts", header + "." + payload, false},
		{"four parts", header + "." + payload + ".sig.extra", false},
		{"payload not base64", header + ".!!!.sig", false},
		{"payload not JSON", header + "." + base64.RawURLEncoding.EncodeToString([]byte("hello")) + ".sig", false},
		{"empty", "", false},
	} {
		c, ok := DecodeJWT(tc.tok)
		if ok != tc.wantOK || (c != nil) != tc.wantOK {
			t.Errorf("%s: DecodeJWT ok=%v claims=%v, want ok=%v", tc.name, ok, c, tc.wantOK)
			continue
		}
		if !ok {
			continue
		}
		if c.Issuer != "issuer" || c.Subject != "developer" || c.ExpiresAt == nil || !c.ExpiresAt.Equal(time.Unix(2000000000, 0)) ||
			c.NotBefore != nil || c.IssuedAt == nil {
			t.Errorf("%s: claims %+v", tc.name, c)
		}
		if !c.Grants("library/redis", "pull") || c.Grants("library/redis", "push") || c.Grants("library/other", "pull") {
			t.Errorf("%s: Grants disagrees with access %+v", tc.name, c.Access)
		}
	}
}

func TestAuthChecks(t *testing.T) {
	challenge := func(scheme, realm func(reg *fixtures.Registry) string, service string, plain bool) func(*testing.T, *fixtures.Registry, *Result) {
		return func(t *testing.T, reg *fixtures.Registry, res *Result) {
			c := evidence[*Challenge](t, res)
			if string(c.Scheme) != scheme(reg) || c.Realm != realm(reg) || c.Service != service || c.PlainHTTP != plain {
				t.Errorf("challenge %+v, want scheme %q realm %q service %q plain %v", c, scheme(reg), realm(reg), service, plain)
			}
			wantBase := "https://" + reg.Host
			if plain {
				wantBase = "http://" + reg.Host
			}
			if c.Endpoint != wantBase {
				t.Errorf("endpoint %q, want %q", c.Endpoint, wantBase)
			}
		}
	}
	is := func(s string) func(*fixtures.Registry) string { return func(*fixtures.Registry) string { return s } }
	ownRealm := func(reg *fixtures.Registry) string { return "https://" + reg.Host + "/token" }
	token := func(check func(t *testing.T, reg *fixtures.Registry, ev *TokenEvidence)) func(*testing.T, *fixtures.Registry, *Result) {
		return func(t *testing.T, reg *fixtures.Registry, res *Result) {
			check(t, reg, evidence[*TokenEvidence](t, res))
		}
	}
	attempt := func(t *testing.T, what string, a *TokenAttempt, status int, obtained bool) {
		t.Helper()
		if a == nil {
			t.Fatalf("%s attempt missing", what)
		}
		wantHTTP(t, what+" token request", a.Exchange, status)
		if a.Obtained != obtained || a.JWT != obtained {
			t.Errorf("%s attempt obtained=%v jwt=%v, want %v", what, a.Obtained, a.JWT, obtained)
		}
	}
	runFixtureCases(t, []fixtureCase{
		{scenario: "healthy", id: IDAuthChallenge, want: Pass, check: challenge(is("bearer"), ownRealm, "fixture-registry", false)},
		{scenario: "basic-auth", id: IDAuthChallenge, want: Pass, check: challenge(is("basic"), is("Registry Realm"), "", false)},
		{scenario: "plain-http", id: IDAuthChallenge, want: Pass, check: challenge(is("none"), is(""), "", true)},
		// Clients accept the web UI's 200 on /v2/ as "no authentication".
		{scenario: "not-a-registry", id: IDAuthChallenge, want: Pass},

		{scenario: "healthy", id: IDTokenRealm, want: Pass, check: func(t *testing.T, reg *fixtures.Registry, res *Result) {
			ev := evidence[*RealmEvidence](t, res)
			if ev.Host != reg.Host || len(ev.Problems)+len(ev.Warnings)+len(ev.Notes) != 0 {
				t.Errorf("realm evidence %+v, want a clean realm on %s", ev, reg.Host)
			}
		}},
		{scenario: "token-realm-misconfigured", id: IDTokenRealm, want: Fail, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			if ev := evidence[*RealmEvidence](t, res); !containsInOrder(ev.Problems, []string{`scheme "null"`}) {
				t.Errorf("problems %q, want the null scheme", ev.Problems)
			}
		}},
		{scenario: "token-realm-unreachable", id: IDTokenRealm, want: Pass, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			if ev := evidence[*RealmEvidence](t, res); len(ev.Notes) != 1 {
				t.Errorf("notes %q, want the private-IP note", ev.Notes)
			}
		}},
		{scenario: "basic-auth", id: IDTokenRealm, want: Skip},

		{scenario: "healthy", id: IDToken, want: Pass, check: func(t *testing.T, _ *fixtures.Registry, res *Result) {
			ev := evidence[*TokenEvidence](t, res)
			attempt(t, "anonymous", ev.Anonymous, http.StatusOK, true)
			if ev.Credentials != nil || ev.Scope != "repository:library/redis:pull" {
				t.Errorf("token evidence %+v, want one anonymous pull attempt", ev)
			}
			if !ev.Anonymous.Claims.Grants("library/redis", "pull") || ev.Anonymous.ExpiresIn != 300 {
				t.Errorf("claims %+v expires_in %d, want pull on library/redis for 300s", ev.Anonymous.Claims, ev.Anonymous.ExpiresIn)
			}
			if tok, _ := res.Data.(string); !strings.HasPrefix(tok, "eyJ") {
				t.Errorf("Data %q, want the JWT for dependents", tok)
			}
		}},
		{scenario: "not-logged-in", id: IDToken, want: Fail, check: token(func(t *testing.T, _ *fixtures.Registry, ev *TokenEvidence) {
			attempt(t, "anonymous", ev.Anonymous, http.StatusForbidden, false)
			if !ev.Anonymous.Exchange.HasCode("DENIED") || ev.Credentials != nil {
				t.Errorf("token evidence %+v, want an anonymous DENIED and no credentialed attempt", ev)
			}
		})},
		{scenario: "logged-in", id: IDToken, want: Pass, check: token(func(t *testing.T, reg *fixtures.Registry, ev *TokenEvidence) {
			attempt(t, "anonymous", ev.Anonymous, http.StatusForbidden, false)
			attempt(t, "credentials", ev.Credentials, http.StatusOK, true)
			c := ev.Credentials
			if c.As != reg.Username || c.Exchange.Auth != "basic" || ev.CredsSource != reg.AuthFile || c.Claims.Subject != reg.Username {
				t.Errorf("credentialed attempt %+v (source %s), want basic auth as %s from %s", c, ev.CredsSource, reg.Username, reg.AuthFile)
			}
		})},
		{scenario: "bad-credentials", id: IDToken, want: Fail, check: token(func(t *testing.T, _ *fixtures.Registry, ev *TokenEvidence) {
			attempt(t, "credentials", ev.Credentials, http.StatusUnauthorized, false)
		})},
		{scenario: "access-denied", id: IDToken, want: Warn, check: token(func(t *testing.T, _ *fixtures.Registry, ev *TokenEvidence) {
			attempt(t, "credentials", ev.Credentials, http.StatusOK, true)
			if ev.Credentials.Claims.Grants("library/redis", "pull") {
				t.Error("the guest token grants pull")
			}
		})},
		{scenario: "clock-skew", id: IDToken, want: Pass, check: token(func(t *testing.T, _ *fixtures.Registry, ev *TokenEvidence) {
			c := ev.Anonymous.Claims
			if c == nil || c.IssuedAt == nil || c.NotBefore == nil || time.Until(*c.IssuedAt) < time.Hour || time.Until(*c.NotBefore) < time.Hour {
				t.Errorf("claims %+v, want iat and nbf about 2h in the future", c)
			}
		})},
		{scenario: "token-realm-unreachable", id: IDToken, want: Fail, check: token(func(t *testing.T, _ *fixtures.Registry, ev *TokenEvidence) {
			if x := ev.Anonymous.Exchange; x == nil || x.ErrorKind != KindRefused || x.Connected {
				t.Errorf("anonymous exchange %+v, want a refused connection", x)
			}
		})},
		{scenario: "token-realm-misconfigured", id: IDToken, want: Skip},
		{scenario: "basic-auth", id: IDToken, want: Skip},
	})
}

// TestCredentialsNotSentOverPlainHTTP: with TLS verification on, a plain
// HTTP realm never sees the stored password.
func TestCredentialsNotSentOverPlainHTTP(t *testing.T) {
	reg := fixturetest.Start(t, "logged-in")
	env := fixtureEnv(t, reg)
	c := &Challenge{Scheme: "bearer", Realm: "http://" + reg.Host + "/token", Service: "fixture-registry"}
	ev := FetchTokens(t.Context(), env, c, "repository:library/redis:pull")
	if ev.Credentials == nil || ev.Credentials.NotSent == "" || ev.Credentials.Exchange != nil {
		t.Errorf("credentialed attempt %+v, want it withheld", ev.Credentials)
	}
	for _, r := range reg.Requests() {
		if r.AuthScheme != "" {
			t.Errorf("%s %s carried %s credentials", r.Method, r.Path, r.AuthScheme)
		}
	}
}

// The challenge a client answers is the first Basic or Bearer among the
// headers, whichever check or rule asks (Exchange.Challenge).
func TestExchangeChallengePicksWhatClientsAnswer(t *testing.T) {
	x := &Exchange{Headers: map[string]string{}}
	x.header = http.Header{"Www-Authenticate": {`Negotiate`, `Bearer realm="https://auth.example.com/token",service="reg",error="invalid_token"`}}
	c := x.Challenge()
	if c.Scheme != "bearer" || c.Realm != "https://auth.example.com/token" || c.Error != "invalid_token" {
		t.Errorf("challenge %+v, want the Bearer one", c)
	}
	if c := (&Exchange{}).Challenge(); c.Scheme != "none" && c.Scheme != "" {
		t.Errorf("no header: challenge %+v", c)
	}
}
