package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/internal/safetext"
)

// Challenge is a parsed WWW-Authenticate header. Its fields hold the values
// as the server sent them, for the token request; written out (JSON,
// summaries) they are redacted, see shown.
type Challenge struct {
	Scheme  AuthScheme        `json:"scheme"`
	Realm   string            `json:"realm,omitempty"`
	Service string            `json:"service,omitempty"`
	Scope   string            `json:"scope,omitempty"`
	Error   string            `json:"error,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	// Raw is the header as output shows it: redacted and bounded.
	Raw string `json:"raw,omitempty"`
	// Endpoint is the base URL the challenge came from.
	Endpoint  string `json:"endpoint"`
	PlainHTTP bool   `json:"plain_http,omitempty"`
}

// ParseChallenge parses one WWW-Authenticate value per RFC 7235, as
// registries use it: a scheme followed by comma-separated key=value pairs
// whose values may be quoted. It never fails; unparseable input yields an
// empty scheme.
func ParseChallenge(h string) Challenge {
	h = strings.TrimSpace(h)
	c := Challenge{Raw: safetext.Fit(redactChallenge(h), 512), Params: map[string]string{}}
	scheme, rest, _ := strings.Cut(h, " ")
	if scheme == "" || strings.Contains(scheme, "=") {
		return c
	}
	c.Scheme = AuthScheme(strings.ToLower(scheme))
	for len(rest) > 0 && len(c.Params) < 32 {
		rest = strings.TrimLeft(rest, " ,\t")
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		key = strings.ToLower(strings.TrimSpace(key))
		var val string
		if strings.HasPrefix(after, `"`) {
			val, rest = readQuoted(after[1:])
		} else {
			val, rest, _ = strings.Cut(after, ",")
			val = strings.TrimSpace(val)
		}
		if key != "" {
			c.Params[key] = val
		}
	}
	c.Realm, c.Service, c.Scope, c.Error = c.Params["realm"], c.Params["service"], c.Params["scope"], c.Params["error"]
	return c
}

// shown is the challenge as output shows it: every value redacted (a token
// in the realm's query, a password in its userinfo, a parameter named like
// a secret) and made printable.
func (c Challenge) shown() Challenge {
	value := func(s string) string { return safetext.Fit(redactURLSecrets(s), 512) }
	c.Realm, c.Service, c.Scope, c.Error = value(c.Realm), value(c.Service), value(c.Scope), value(c.Error)
	if c.Params != nil {
		params := make(map[string]string, len(c.Params))
		for k, v := range c.Params {
			if slices.Contains(challengeSecretNames, strings.ToLower(k)) {
				v = "REDACTED"
			}
			params[safetext.Fit(k, 64)] = value(v)
		}
		c.Params = params
	}
	return c
}

// MarshalJSON writes the challenge redacted: evidence goes into tickets.
func (c Challenge) MarshalJSON() ([]byte, error) {
	type plain Challenge // without this method
	return json.Marshal(plain(c.shown()))
}

// Challenge is the challenge of x's WWW-Authenticate headers that a client
// would answer (pickChallenge).
func (x *Exchange) Challenge() Challenge { return pickChallenge(x.HeaderValues("WWW-Authenticate")) }

// pickChallenge chooses among a 401's WWW-Authenticate headers the one a
// client would answer: the first Basic or Bearer, as containers/image
// (docker/docker_client.go setupRequestAuth, over parseAuthHeader's one
// challenge per header) and go-containerregistry
// (transport/ping.go pickFromMultipleChallenges) do; else the first.
func pickChallenge(values []string) Challenge {
	var first Challenge
	for i, v := range values {
		c := ParseChallenge(v)
		if c.Scheme == SchemeBasic || c.Scheme == SchemeBearer {
			return c
		}
		if i == 0 {
			first = c
		}
	}
	if len(values) == 0 {
		return ParseChallenge("")
	}
	return first
}

// readQuoted reads a quoted-string body (after the opening quote) and
// returns it unescaped with the remaining input.
func readQuoted(s string) (string, string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// AuthChallenge reads the challenge from the /v2/ answer: no extra request.
func AuthChallenge() Check {
	return Check{
		ID:       IDAuthChallenge,
		Title:    "auth challenge",
		Uses:     []string{IDPingHTTPS},
		Fallback: []string{IDPingHTTP},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			ep, ok := ChooseEndpoint(deps.Get(IDPingHTTPS), deps.Get(IDPingHTTP))
			if !ok {
				return skipped("no endpoint answered as a registry")
			}
			var c Challenge
			switch ep.Ping.Status {
			case http.StatusOK:
				c = Challenge{Scheme: SchemeNone}
			default:
				c = ep.Ping.Challenge()
			}
			c.Endpoint, c.PlainHTTP = ep.Base, ep.PlainHTTP
			res := Result{Evidence: &c, Data: &c, Status: Pass}
			shown := c.shown()
			switch c.Scheme {
			case SchemeNone:
				res.Summary = "/v2/ needs no authentication"
			case SchemeBearer:
				res.Summary = fmt.Sprintf("Bearer realm=%q service=%q", shown.Realm, shown.Service)
			case SchemeBasic:
				res.Summary = fmt.Sprintf("Basic realm=%q", shown.Realm)
			case "":
				res.Status, res.Summary = Fail, fmt.Sprintf("401 with an unparseable WWW-Authenticate header %q", safetext.Truncate(c.Raw, 80))
			default:
				res.Status, res.Summary = Fail, fmt.Sprintf("unsupported auth scheme %q", safetext.Fit(string(c.Scheme), 64))
			}
			return res
		},
	}
}
