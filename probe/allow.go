package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// AllowList says which registries serve's /probe may check. Without it,
// anyone who can reach the port could make regdoctor connect to any host
// and port it can reach: a port scanner inside the network.
//
// A pattern is a registry host[:port] as clients name it
// ("registry.example.com", "10.0.0.5:5000", "[::1]:5000"), matched whole
// and without regard to case, where '*' stands for any run of characters,
// dots and colons included. A pattern without a port matches only the
// registry named without one: "registry.example.com:*" is needed for every
// port, so that one allowed host cannot be scanned port by port.
type AllowList struct {
	patterns []string // lower case
}

// NewAllowList allows the registries of the scheduled targets, which their
// operator named, and the given patterns.
func NewAllowList(patterns []string, scheduled []Target) (*AllowList, error) {
	a := &AllowList{}
	for _, p := range patterns {
		if err := validPattern(p); err != nil {
			return nil, err
		}
		a.add(p)
	}
	for _, t := range scheduled {
		a.add(t.Parsed.Registry)
	}
	return a, nil
}

func (a *AllowList) add(p string) {
	p = strings.ToLower(p)
	if p != "" && !slices.Contains(a.patterns, p) {
		a.patterns = append(a.patterns, p)
	}
}

func validPattern(p string) error {
	switch {
	case p == "":
		return errors.New("--probe-allow: empty pattern")
	case strings.ContainsAny(p, "/@ \t\r\n"):
		// Not echoed: the pattern may be a pasted reference holding
		// user:password@.
		return errors.New("--probe-allow: a pattern is a registry host[:port] with '*' wildcards, without scheme, path or credentials")
	}
	return nil
}

// Len is the number of patterns, the scheduled registries included.
func (a *AllowList) Len() int { return len(a.patterns) }

// Match reports whether registry (host[:port], as Target.Parsed.Registry)
// is allowed, and whether a pattern names it exactly, without a wildcard:
// only such a pattern, or a scheduled target, lets /probe reach a
// link-local or metadata address (see Forbidden).
func (a *AllowList) Match(registry string) (allowed, exact bool) {
	registry = strings.ToLower(registry)
	for _, p := range a.patterns {
		if p == registry {
			return true, true
		}
		if strings.Contains(p, "*") && glob(p, registry) {
			allowed = true
		}
	}
	return allowed, false
}

// glob matches s against pattern, where '*' is any run of characters and
// everything else is literal. (path.Match would read the brackets of an
// IPv6 literal as a character class.)
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return len(parts) == 1 && s == "" || len(parts) > 1 && strings.HasSuffix(s, last)
}

// forbidden are the addresses /probe never reaches through a wildcard or
// an unlisted name: link-local ranges, where the clouds' instance metadata
// services answer with credentials, and those services' other addresses.
var forbidden = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),     // IPv4 link-local; AWS, GCP, Azure, OpenStack metadata at .169.254
	netip.MustParsePrefix("fe80::/10"),          // IPv6 link-local
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS metadata over IPv6
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud metadata
	netip.MustParsePrefix("168.63.129.16/32"),   // Azure WireServer
}

// nat64 is the well-known NAT64 prefix, through which an IPv6-only host
// reaches an IPv4 address embedded in its last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Forbidden reports whether addr is a link-local or metadata address,
// also when written as IPv4-mapped IPv6, through NAT64 or with a zone.
func Forbidden(addr netip.Addr) bool {
	addr = addr.WithZone("").Unmap()
	if nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, p := range forbidden {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ForbiddenAddress resolves host, as the check will dial it, and returns
// the first of its addresses that is Forbidden. A name that does not
// resolve is let through: the check's DNS step then says so, and nothing
// is dialled.
func ForbiddenAddress(ctx context.Context, r Resolver, host string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, Forbidden(a)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		if Forbidden(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// errNotAllowed explains a refusal without echoing more of the request
// than the parsed registry name, which holds no credentials.
func errNotAllowed(registry string) error {
	return fmt.Errorf("registry %s is not allowed here: /probe checks the scheduled targets' registries and those matching --probe-allow", registry)
}
