package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// Rules for the network: DNS, proxies, connections, plain HTTP.

var networkRules = []rule{ruleDNS, ruleProxy, ruleConnection, rulePlainHTTP}

func ruleDNS(f facts) []Diagnosis {
	ev := f.dns()
	if ev == nil || f.res(checks.IDDNS).Status != checks.Fail {
		return nil
	}
	resolver := "the system resolver"
	if len(ev.Resolvers) > 0 {
		resolver = "nameserver " + strings.Join(ev.Resolvers, ", ") + " (/etc/resolv.conf)"
	}
	return one(newDiagnosis(DNSLookupFailed,
		fmt.Sprintf("%s does not resolve: %s answered %q.", ev.Host, resolver, ev.Error),
		fixOf(DNSLookupFailed, fixArgs{t: f.t, g: groups{"host": ev.Host}})...))
}

func ruleProxy(f facts) []Diagnosis {
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p != nil && p.ErrorKind == checks.KindProxy {
			var first []string
			switch {
			case strings.Contains(p.Error, " with 407 "):
				first = append(first, "The proxy wants credentials: put them in the proxy URL, `HTTPS_PROXY=http://USER:PASSWORD@PROXY:PORT` (percent-encode @, : and / in them), for the client and for dockerd or containerd in their systemd drop-in; NTLM/Kerberos-only proxies need a local helper such as cntlm.")
			case strings.Contains(p.Error, " with 403 "):
				first = append(first, "The proxy refuses to connect to "+f.t.Host+": an allow-list without the registry, or a port other than 443 that the proxy blocks for CONNECT. Ask for "+f.t.Host+" to be allowed, or add it to NO_PROXY if it is reachable directly.")
			}
			return one(newDiagnosis(ProxyMisconfigured,
				fmt.Sprintf("Requests to %s go through proxy %s, which fails: %s.", f.t.Host, orNone(f.rep.Config.Proxy), p.Error),
				append(first, fixOf(ProxyMisconfigured, fixArgs{t: f.t})...)...,
			))
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func ruleConnection(f facts) []Diagnosis {
	tcp := f.tcp()
	if f.rep.Config.Proxy != "" {
		return nil // the connection goes to the proxy; ruleProxy speaks for it
	}
	if tcp == nil || f.res(checks.IDTCP).Status != checks.Fail || f.plainHTTPOnly() {
		return ruleNoResponse(f)
	}
	switch tcp.ErrorKind {
	case checks.KindRefused:
		return one(newDiagnosis(ConnectionRefused,
			fmt.Sprintf("Nothing accepts connections on %s (port %s): %s.", tcp.Address, tcp.Port, tcp.Error),
			fixOf(ConnectionRefused, fixArgs{t: f.t, g: groups{"port": tcp.Port}})...))
	case checks.KindConnectTimeout:
		return one(newDiagnosis(ConnectionTimeout,
			fmt.Sprintf("Connecting to %s got no answer in %s: packets are dropped on the way (firewall, security group, wrong route).", tcp.Address, time.Duration(tcp.DurationMS)*time.Millisecond),
			fixOf(ConnectionTimeout, fixArgs{t: f.t, g: groups{"dialled": tcp.Address, "port": tcp.Port}})...))
	}
	return nil
}

// ruleNoResponse catches servers that accept TCP and then say nothing.
func ruleNoResponse(f facts) []Diagnosis {
	if f.res(checks.IDTCP).Status != checks.Pass {
		return nil
	}
	kinds := []checks.ErrKind{}
	if t := f.tls(); t != nil {
		kinds = append(kinds, t.ErrorKind)
	}
	if p := f.https(); p != nil {
		kinds = append(kinds, p.ErrorKind)
	}
	for _, id := range []string{checks.IDTLS, checks.IDPingHTTPS} {
		if _, cut := f.res(id).Evidence.(*checks.Unfinished); cut {
			kinds = append(kinds, checks.KindNoResponse)
		}
	}
	for _, k := range kinds {
		if k == checks.KindNoResponse || k == checks.KindConnectTimeout {
			return one(newDiagnosis(ServerNotResponding,
				fmt.Sprintf("%s accepts TCP connections but %s.", f.t.HostPort("https"), noAnswer(f.https(), f.rep.Options.Timeout)),
				fixOf(ServerNotResponding, fixArgs{t: f.t})...))
		}
	}
	return nil
}

// portSpeaksHTTP: the HTTPS attempt found plain HTTP (or, without an
// explicit port, nothing on 443), so the plain-HTTP answer is the server's.
func (f facts) portSpeaksHTTP() bool {
	s := f.https()
	if s == nil || s.Exchange == nil {
		return false
	}
	return s.ErrorKind == checks.KindHTTPToHTTPS || (f.t.Port() == "" && s.ErrorKind == checks.KindRefused)
}

// plainHTTPOnly: HTTPS does not work, but plain HTTP answers as a registry.
func (f facts) plainHTTPOnly() bool {
	if f.res(checks.IDPingHTTPS).Status.Ok() {
		return false
	}
	h := f.http()
	return h != nil && h.RegistryAPI
}

func rulePlainHTTP(f facts) []Diagnosis {
	if !f.plainHTTPOnly() || f.webSite() {
		return nil // a web page on plain HTTP is not-a-registry's
	}
	hp := f.t.Registry
	s := f.https()
	why := "HTTPS does not answer"
	if s != nil && s.Error != "" {
		why = "HTTPS fails: " + s.Error
	}
	if !f.rep.Options.TLSVerify {
		return one(newDiagnosis(PlainHTTPRegistry,
			fmt.Sprintf("%s answers only plain HTTP; accepted because --tls-verify=false.", hp)).withSeverity(Info))
	}
	return one(newDiagnosis(PlainHTTPRegistry,
		fmt.Sprintf("%s answers the registry API over plain HTTP (%s), but clients use HTTPS unless told otherwise: %s.", hp, f.http().URL, why),
		fixOf(PlainHTTPRegistry, fixArgs{t: f.t})...))
}

// usualPorts names the ports registry products listen on, to help spot a
// wrong port.
const usualPorts = "443 (HTTPS, Harbor, Artifactory, Quay, GitLab), 5000 (distribution), 8082/8083 and up (Nexus docker connectors; 8081 is the Nexus web UI)"
