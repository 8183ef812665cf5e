package diagnose

import (
	"fmt"
	"net/http"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// protocolFaults lists how the exchanges of a run broke the protocol, for
// registry-misbehaving, and remedies specific to what was seen.
func protocolFaults(f facts, skip func(*checks.Exchange) bool) (reasons, remedies []string) {
	if t := f.tls(); t != nil && t.ErrorKind == checks.KindReset {
		reasons = append(reasons, fmt.Sprintf("%s resets the connection in the middle of the TLS handshake", t.Address))
		remedies = append(remedies, "A reset during the handshake comes from the TLS endpoint itself or a middlebox: a load balancer without a route for this host name (SNI), a firewall or IPS cutting TLS, or a server that requires client certificates or TLS versions this client does not offer. `openssl s_client -connect "+t.Address+" -servername "+f.t.Hostname()+"` shows where it stops.")
	}
	certRefused := f.clientCertRefusal() != ""
	for _, x := range f.exchanges() {
		if certRefused && x == f.httpsExchange() {
			continue // tls-client-cert-required explains it
		}
		if skip != nil && skip(x) {
			continue
		}
		why := exchangeFault(x, x == f.httpsExchange())
		if why == "" {
			continue
		}
		reasons = append(reasons, why)
		if x.RedirectedTo != "" && x.Withheld != "" {
			remedies = append(remedies, "The registry sends clients to another host that asks for credentials. Fix the registry's external URL (distribution `http.host`, Harbor `external_url`, Nexus Base URL, the X-Forwarded-* headers of a proxy), or make storage redirects pre-signed so they need no credentials.")
		}
	}
	return reasons, remedies
}

// exchangeFault says how one exchange broke the protocol, or "". The
// /v2/ ping's 5xx is reported by the rule itself.
func exchangeFault(x *checks.Exchange, ping bool) string {
	at := x.Method + " " + x.URL
	switch {
	case x.ErrorKind == checks.KindTooLarge:
		return fmt.Sprintf("%s returned an oversized body (%s)", at, x.Error)
	case x.ErrorKind == checks.KindHeaderTooLarge:
		return fmt.Sprintf("%s sent more than %d MiB of response headers without ending them, more than any client accepts", at, checks.ClientHeaderLimit>>20)
	case x.ErrorKind == checks.KindMalformed:
		return at + " sent a response that is not valid HTTP (" + x.Error + ")"
	case x.Malformed:
		return at + " returned a malformed JSON body"
	case x.ErrorKind == checks.KindRedirectLoop:
		return at + " redirects in a loop"
	case x.ErrorKind == checks.KindReset && x.Status == 0:
		return at + ": the connection was reset before any answer"
	case x.ErrorKind == checks.KindReset:
		return at + ": connection closed mid-answer"
	case x.RedirectedTo != "" && x.Withheld != "" && (x.Status == http.StatusUnauthorized || x.Status == http.StatusForbidden):
		return fmt.Sprintf("%s redirects to another host, %s, which answered %d; credentials never follow a redirect to another host, so no client can authenticate there", at, x.RedirectedTo, x.Status)
	case rejectedToken(x):
		return fmt.Sprintf("%s refused the token the registry's own realm had just issued (error=%q)", at, "invalid_token")
	case x.Status >= 500 && !ping:
		return fmt.Sprintf("%s answered %d", at, x.Status)
	}
	return ""
}

// rejectedToken: the registry refused a bearer token as invalid, not as
// insufficient. The realm issued it moments ago, so the token service and
// the registry disagree (signing key, clock, or a token that is no token);
// it says nothing about the user's login or rights.
func rejectedToken(x *checks.Exchange) bool {
	return x != nil && x.Auth == "bearer" && x.Status == http.StatusUnauthorized &&
		x.Challenge().Error == "invalid_token"
}

// noAnswer words what a server that accepted the connection did not do.
func noAnswer(p *checks.PingEvidence, timeout time.Duration) string {
	if p != nil && p.Partial {
		return fmt.Sprintf("its answer to GET /v2/ had only begun to trickle in when %s were up, as from a server that is stuck or starved", timeout)
	}
	return fmt.Sprintf("sent no TLS or HTTP answer within %s", timeout)
}
