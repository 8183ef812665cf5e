package checks

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

func (cc *ClientConfig) loadProxy(t target.Target, o Options) {
	req := &http.Request{URL: &url.URL{Scheme: "https", Host: t.Host}}
	u, err := proxyFunc(o)(req)
	if err != nil {
		cc.problem(clientconf.ProxyInvalid, "environment", 0, "the proxy settings do not parse: %v", err)
		return
	}
	if u != nil {
		cc.Proxy = redactURL(u)
		cc.ProxyAddr = u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			cc.ProxyAddr = net.JoinHostPort(u.Hostname(), port)
		}
		if internalHost(t.Hostname()) {
			cc.problem(clientconf.ProxyInvalid, "environment", 0,
				"%s looks internal but is not in NO_PROXY, so its traffic goes through proxy %s", t.Hostname(), cc.Proxy)
		}
	}
}

// internalHost guesses whether a registry host is on the internal network,
// where a corporate proxy usually cannot reach it.
func internalHost(h string) bool {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()
	}
	if !strings.Contains(h, ".") {
		return true // a single-label name
	}
	for _, suffix := range []string{".local", ".internal", ".lan", ".corp", ".home.arpa", ".intranet", ".svc", ".cluster.local"} {
		if strings.HasSuffix(h, suffix) {
			return true
		}
	}
	return false
}
