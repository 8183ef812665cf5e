package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

func TestAllowListMatch(t *testing.T) {
	a, err := NewAllowList([]string{"*.Example.com", "mirror.internal:*", "[::1]:5000", "10.0.0.5:5000", "169.254.169.254"}, targets(t, "scheduled.example.org/team/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		registry       string
		allowed, exact bool
	}{
		{"scheduled.example.org", true, true}, // a scheduled target's registry
		{"registry.example.com", true, false},
		{"a.b.example.com", true, false},
		{"REGISTRY.EXAMPLE.COM", true, false},
		{"registry.example.com:5000", false, false}, // no port in the pattern: only the default port
		{"example.com", false, false},
		{"evil-example.com", false, false},
		{"mirror.internal:5000", true, false},
		{"mirror.internal", false, false},
		{"[::1]:5000", true, true}, // brackets are literal, not a character class
		{"[::1]:5001", false, false},
		{"10.0.0.5:5000", true, true},
		{"10.0.0.5:50000", false, false},
		{"169.254.169.254", true, true},
		{"scheduled.example.org:443", false, false},
	} {
		allowed, exact := a.Match(tc.registry)
		if allowed != tc.allowed || exact != tc.exact {
			t.Errorf("Match(%q) = %v, %v; want %v, %v", tc.registry, allowed, exact, tc.allowed, tc.exact)
		}
	}

	// Nothing given: nothing allowed.
	none, _ := NewAllowList(nil, nil)
	if ok, _ := none.Match("registry.example.com"); ok {
		t.Error("an empty allow-list allows a registry")
	}
	star, _ := NewAllowList([]string{"*"}, nil)
	if ok, exact := star.Match("169.254.169.254"); !ok || exact {
		t.Errorf("'*': %v, %v; want allowed, not exactly", ok, exact)
	}
}

func TestAllowListRejectsPatterns(t *testing.T) {
	for _, p := range []string{"", "registry.example.com/team", "https://registry.example.com", "bob:hunter2@registry.example.com", "a b"} {
		_, err := NewAllowList([]string{p}, nil)
		if err == nil {
			t.Errorf("pattern %q accepted", p)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("pattern %q: the error echoes the password: %v", p, err)
		}
	}
}

func TestForbidden(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"169.254.169.254", true},
		{"169.254.0.1", true},
		{"::ffff:169.254.169.254", true}, // IPv4-mapped
		{"64:ff9b::a9fe:a9fe", true},     // 169.254.169.254 through NAT64
		{"fe80::1", true},
		{"fe80::1%eth0", true}, // a zone must not hide it
		{"fd00:ec2::254", true},
		{"100.100.100.200", true},
		{"168.63.129.16", true},
		{"127.0.0.1", false},
		{"10.0.0.5", false},
		{"203.0.113.7", false},
		{"fd00:ec2::253", false},
		{"::1", false},
	} {
		if got := Forbidden(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Forbidden(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

// fakeResolver answers from a map and records what it was asked; it never
// sends a query anywhere.
type fakeResolver struct {
	addrs map[string][]string
	asked chan string
}

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if r.asked != nil {
		r.asked <- host
	}
	var out []netip.Addr
	for _, a := range r.addrs[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, &netErr{host}
	}
	return out, nil
}

type netErr struct{ host string }

func (e *netErr) Error() string { return "no such host " + e.host }

func TestForbiddenAddressChecksEveryResolvedAddress(t *testing.T) {
	r := fakeResolver{addrs: map[string][]string{
		"public.example.com":   {"203.0.113.7"},
		"metadata.example.com": {"203.0.113.7", "169.254.169.254"},
	}}
	if a, bad := ForbiddenAddress(context.Background(), r, "metadata.example.com"); !bad || a.String() != "169.254.169.254" {
		t.Errorf("a name with a metadata address among others: %v %v", a, bad)
	}
	if _, bad := ForbiddenAddress(context.Background(), r, "public.example.com"); bad {
		t.Error("a public name refused")
	}
	if _, bad := ForbiddenAddress(context.Background(), r, "unknown.example.com"); bad {
		t.Error("a name that does not resolve refused: the check's DNS step should say so")
	}
	if _, bad := ForbiddenAddress(context.Background(), r, "fe80::1%eth0"); !bad {
		t.Error("a link-local literal with a zone let through")
	}
}
