package checks

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

// DNSEvidence is what the resolver said about the registry host.
type DNSEvidence struct {
	Host      string   `json:"host"`
	Addresses []string `json:"addresses,omitempty"`
	Resolvers []string `json:"resolvers,omitempty"`
	Error     string   `json:"error,omitempty"`
	NotFound  bool     `json:"not_found,omitempty"`
	Timeout   bool     `json:"timeout,omitempty"`
}

// DNS resolves the registry host.
func DNS() Check {
	return Check{
		ID:    IDDNS,
		Title: "DNS lookup",
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			res := lookup(ctx, env.Target.Hostname())
			if res.Status == Fail && env.Config.Proxy != "" {
				// Through a proxy the client never resolves the host itself.
				res.Status = Pass
				res.Summary += "; not needed: traffic goes through proxy " + env.Config.Proxy
			}
			return res
		},
	}
}

func lookup(ctx context.Context, host string) Result {
	ev := &DNSEvidence{Host: host}
	if ip := net.ParseIP(host); ip != nil {
		ev.Addresses = []string{ip.String()}
		return Result{Status: Pass, Summary: host + " is an IP address; no lookup needed", Evidence: ev}
	}
	ev.Resolvers = resolvers("/etc/resolv.conf")
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		ev.Error = err.Error()
		if de, ok := err.(*net.DNSError); ok {
			ev.NotFound, ev.Timeout = de.IsNotFound, de.IsTimeout
		}
		return Result{Status: Fail, Summary: fmt.Sprintf("%s does not resolve (%s)", host, dnsReason(ev)), Evidence: ev}
	}
	ev.Addresses = addrs
	return Result{Status: Pass, Summary: fmt.Sprintf("%s resolves to %s", host, strings.Join(addrs, ", ")), Evidence: ev}
}

func dnsReason(ev *DNSEvidence) string {
	switch {
	case ev.NotFound:
		return "no such host"
	case ev.Timeout:
		return "resolver timed out"
	}
	return ev.Error
}

// resolvers lists the nameservers the system resolver asks, so the user
// knows which server gave the answer.
func resolvers(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			out = append(out, fields[1])
		}
	}
	return out
}
