package checks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// RealmEvidence is the static validation of the realm URL.
type RealmEvidence struct {
	Realm    string   `json:"realm"`
	Host     string   `json:"host,omitempty"`
	Problems []string `json:"problems,omitempty"` // break every client
	Warnings []string `json:"warnings,omitempty"` // unsafe, and break some clients
	Notes    []string `json:"notes,omitempty"`    // break only crane and go-containerregistry
}

// TokenRealm validates the realm URL before anything is sent to it. Nexus
// 3.77 sends "null://", misconfigured base URLs double the port, and
// go-containerregistry (crane) refuses http realms for HTTPS registries and
// realms on private IP literals other than the registry itself.
func TokenRealm() Check {
	return Check{
		ID:    IDTokenRealm,
		Title: "token realm URL",
		Needs: []string{IDAuthChallenge},
		Uses:  []string{IDAuthChallenge},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			c := deps.Get(IDAuthChallenge).Data.(*Challenge)
			if c.Scheme != SchemeBearer {
				return skipped("no token realm: challenge is " + string(c.Scheme))
			}
			ev := ValidateRealm(c.Realm, c.Endpoint)
			res := Result{Evidence: ev, Status: Pass, Summary: "realm " + ev.Realm + " is well-formed"}
			if len(ev.Notes) > 0 {
				res.Summary += "; " + strings.Join(ev.Notes, "; ")
			}
			if len(ev.Warnings) > 0 {
				res.Status, res.Summary = Warn, strings.Join(ev.Warnings, "; ")
			}
			if len(ev.Problems) > 0 {
				res.Status, res.Summary = Fail, strings.Join(ev.Problems, "; ")
			}
			return res
		},
	}
}

// ValidateRealm checks a realm URL against the registry endpoint it came from.
func ValidateRealm(realm, endpoint string) *RealmEvidence {
	ev := &RealmEvidence{Realm: redactURLString(realm)}
	if realm == "" {
		ev.Problems = append(ev.Problems, "the Bearer challenge names no realm")
		return ev
	}
	if hostPart := hostOf(realm); strings.Count(hostPart, ":") > 1 && !strings.HasPrefix(hostPart, "[") {
		// url.Parse would only say "invalid port"; name the real mistake.
		ev.Realm = clean(realm, 256) // the realm is raw; what is shown is not
		ev.Problems = append(ev.Problems, fmt.Sprintf("realm host %q has more than one port", clean(hostPart, 256)))
		return ev
	}
	u, err := url.Parse(realm)
	if err != nil {
		ev.Realm = clean(realm, 256)
		ev.Problems = append(ev.Problems, fmt.Sprintf("realm %q is not a URL: %s", ev.Realm, redactError(err)))
		return ev
	}
	ev.Host = u.Host
	switch u.Scheme {
	case "https", "http":
	default:
		ev.Problems = append(ev.Problems, fmt.Sprintf("realm scheme %q is not http or https", u.Scheme))
	}
	if strings.Count(u.Host, ":") > 1 && !strings.HasPrefix(u.Host, "[") {
		ev.Problems = append(ev.Problems, fmt.Sprintf("realm host %q has more than one port", u.Host))
	} else if _, port, err := net.SplitHostPort(u.Host); err == nil && port == "" {
		ev.Problems = append(ev.Problems, fmt.Sprintf("realm host %q has an empty port", u.Host))
	}
	if u.Host == "" {
		ev.Problems = append(ev.Problems, "realm has no host")
	}
	if len(ev.Problems) > 0 {
		return ev
	}
	reg, _ := url.Parse(endpoint)
	if u.Scheme == "http" && reg != nil && reg.Scheme == "https" {
		ev.Warnings = append(ev.Warnings, `realm is plain http for an HTTPS registry: credentials travel in clear text, and crane refuses it ("realm scheme \"http\" not allowed for a secure registry")`)
	}
	if reg != nil && u.Host != reg.Host {
		if a, err := netip.ParseAddr(u.Hostname()); err == nil {
			a = a.Unmap()
			if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
				ev.Notes = append(ev.Notes, fmt.Sprintf("realm host %q is a private IP literal other than the registry; crane and go-containerregistry refuse it", u.Hostname()))
			}
		}
	}
	return ev
}

// hostOf returns the host and port of a URL string without parsing it;
// the userinfo, which may hold a password, is left out.
func hostOf(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	return host
}
