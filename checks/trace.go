package checks

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/internal/safetext"
)

// --trace output: every HTTP exchange, with what was sent and what came
// back, for people debugging a registry. It shows request headers as they
// went on the wire, all response headers and the start of the body, with
// every secret removed: Authorization and cookie values, tokens in bodies
// (a JWT is replaced by its decoded claims, never its signature),
// passwords and upload state in URLs.

const (
	traceBody    = 512 // bytes of body shown
	traceValue   = 256 // bytes of one header value shown
	traceHeaders = 64  // response header lines shown
)

// sensitiveHeaders never show their value, only an Authorization scheme.
var sensitiveHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "Set-Cookie2",
	"X-Registry-Auth", "X-Auth-Token", "X-Api-Key", "X-Amz-Security-Token",
}

// traceHeaderValue redacts one header value for the trace.
func traceHeaderValue(k, v string) string {
	if slices.ContainsFunc(sensitiveHeaders, func(s string) bool { return strings.EqualFold(s, k) }) {
		if scheme, _, ok := strings.Cut(v, " "); ok && strings.HasSuffix(strings.ToLower(k), "authorization") {
			return scheme + " REDACTED"
		}
		return "REDACTED"
	}
	return safetext.Fit(redactHeader(k, v), traceValue)
}

func (env *Env) trace(x *Exchange, st *exchangeState, h http.Header, body []byte) {
	if env.Trace == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s", x.Method, x.URL)
	if x.Auth != "" {
		fmt.Fprintf(&b, " (Authorization: %s REDACTED)", x.Auth)
	}
	// When it started, from the run's start: with the durations, this is
	// what shows which exchanges ran side by side and which waited.
	fmt.Fprintf(&b, " at +%s\n", traceDuration(x.offset))
	st.mu.Lock()
	for i, hop := range st.hops {
		if i > 0 {
			fmt.Fprintf(&b, "> redirected to %s\n", hop.url)
		}
		if hop.conn != "" {
			fmt.Fprintf(&b, ">   [connection: %s]\n", hop.conn)
		}
		for _, line := range hop.header {
			fmt.Fprintf(&b, ">   %s\n", line)
		}
	}
	st.mu.Unlock()
	if x.Withheld != "" {
		fmt.Fprintf(&b, "> credentials withheld: %s\n", x.Withheld)
	}
	if x.Status != 0 {
		fmt.Fprintf(&b, "< %d %s in %s\n", x.Status, http.StatusText(x.Status), traceDuration(x.took))
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	})
	for i, k := range keys {
		if i == traceHeaders {
			fmt.Fprintf(&b, "<   (%d more headers)\n", len(keys)-i)
			break
		}
		for _, v := range h[k] {
			fmt.Fprintf(&b, "<   %s: %s\n", clean(k, traceValue), traceHeaderValue(k, v))
		}
	}
	if len(body) > 0 {
		fmt.Fprintf(&b, "<   body (%d bytes): %s\n", len(body), safetext.Fit(redactTokens(string(body)), traceBody))
	}
	if x.Error != "" {
		if x.Status == 0 {
			fmt.Fprintf(&b, "< error (%s) after %s: %s\n", x.ErrorKind, traceDuration(x.took), x.Error)
		} else {
			fmt.Fprintf(&b, "< error (%s): %s\n", x.ErrorKind, x.Error)
		}
	}
	env.traceMu.Lock()
	defer env.traceMu.Unlock()
	fmt.Fprint(env.Trace, b.String())
}

// traceDuration shows a duration to a tenth of a millisecond: on a local
// network most exchanges take less than one.
func traceDuration(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

// connInfo describes the connection an exchange went over: new or reused
// (and how long it had been idle), whether it is the one the tls check
// handed over, and for TLS the version, the protocol negotiated and
// whether the session was resumed. The remote address shows which dials
// went to the same place.
func (env *Env) connInfo(info httptrace.GotConnInfo) string {
	var parts []string
	switch {
	case info.Reused:
		r := "reused"
		if info.WasIdle {
			r += fmt.Sprintf(", idle %s", traceDuration(info.IdleTime))
		}
		parts = append(parts, r)
	case env.stashedAs(info.Conn) != "":
		parts = append(parts, "new, "+env.stashedAs(info.Conn))
	default:
		parts = append(parts, "new")
	}
	if info.Conn == nil {
		return strings.Join(parts, ", ")
	}
	if tc, ok := info.Conn.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		parts = append(parts, tls.VersionName(cs.Version))
		if cs.NegotiatedProtocol != "" {
			parts = append(parts, cs.NegotiatedProtocol)
		}
		switch {
		case info.Reused: // its handshake was described when it was new
		case cs.DidResume:
			parts = append(parts, "TLS resumed")
		default:
			parts = append(parts, "TLS not resumed")
		}
	} else {
		parts = append(parts, "plain TCP")
	}
	if a := info.Conn.RemoteAddr(); a != nil {
		parts = append(parts, "to "+a.String())
	}
	return strings.Join(parts, ", ")
}

// redactTokens is redactBody for the trace: a token field holding a JWT is
// replaced by the JWT's decoded claims, so the trace explains the token
// without giving it away.
func redactTokens(s string) string {
	s = secretJSONField().ReplaceAllStringFunc(s, func(field string) string {
		name, _, _ := strings.Cut(field, ":")
		value := strings.Trim(field[len(name)+1:], " \t\r\n\"")
		if c, ok := DecodeJWT(value); ok {
			return name + `:"REDACTED JWT ` + c.describe() + `"`
		}
		return name + `:"REDACTED"`
	})
	return redactSecrets(s)
}

// describe renders the claims on one line, e.g.
// {iss=auth aud=registry exp=2025-01-01T00:05:00Z access=repository:app:pull}.
func (c *JWTClaims) describe() string {
	var parts []string
	add := func(k string, v any) {
		if s := fmt.Sprint(v); s != "" && s != "<nil>" {
			parts = append(parts, k+"="+s)
		}
	}
	at := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.Format(time.RFC3339)
	}
	add("iss", c.Issuer)
	add("sub", c.Subject)
	add("aud", c.Audience)
	add("exp", at(c.ExpiresAt))
	add("nbf", at(c.NotBefore))
	add("iat", at(c.IssuedAt))
	var grants []string
	for _, a := range c.Access {
		grants = append(grants, a.Type+":"+a.Name+":"+strings.Join(a.Actions, ","))
	}
	if len(c.Access) == 0 {
		grants = []string{"none"}
	}
	add("access", strings.Join(grants, " "))
	return "{" + strings.Join(parts, " ") + "}"
}

// clean makes server- or file-supplied text fit for evidence, tables and
// the trace: secrets removed, control characters (terminal escapes from a
// hostile server) made visible, at most n bytes.
func clean(s string, n int) string { return safetext.Fit(redactBody(s), n) }
