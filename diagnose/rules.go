package diagnose

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// rule turns evidence into diagnoses. Each rule looks at one failure mode;
// rules are independent and their order does not matter: Diagnose sorts.
type rule func(f facts) []Diagnosis

var rules = []rule{
	ruleConfig,
	ruleClientConfig,
	ruleMirrors,
	ruleDNS,
	ruleProxy,
	ruleConnection,
	rulePlainHTTP,
	ruleTLS,
	ruleClientCert,
	ruleLegacyTLS,
	ruleNotARegistry,
	ruleMisbehaving,
	ruleRateLimited,
	ruleRealm,
	ruleRealmUnreachable,
	ruleTokenAnswer,
	ruleAuth,
	ruleClockSkew,
	ruleRepoAndTag,
	ruleHeadGet,
	ruleBlob,
	ruleLayers,
	ruleManifestInvalid,
	ruleMediaType,
	rulePlatform,
	rulePush,
}

// Diagnose applies every rule to a finished report.
func Diagnose(rep *Report) []Diagnosis {
	f := facts{rep: rep, t: rep.Target}
	var out []Diagnosis
	at := map[string]int{}
	for _, r := range rules {
		for _, d := range r(f) {
			i, dup := at[d.Code]
			if !dup {
				at[d.Code] = len(out)
				out = append(out, d)
				continue
			}
			out[i] = merge(out[i], d)
		}
	}
	out = append(out, ruleNoRegistry(f, out)...)
	sortDiagnoses(out)
	rep.Pull = pullSteps(f)
	rep.Clients, out = verdicts(f, out)
	if s := firstFailed(rep.Pull); s != nil && !stepExplained(rep.Clients, out) {
		// A step failed that no rule explains for every client it fails:
		// name it rather than let a client that cannot pull look fine.
		out = append(out, ruleFailedStep(f, s))
		sortDiagnoses(out)
		rep.Clients, out = verdicts(f, out)
	}
	if own := ruleOwnFailures(f, rep.Clients, out); own != nil {
		out = append(out, own...)
		rep.Clients, out = verdicts(f, out)
	}
	sortDiagnoses(out)
	rep.stepsSpared = everyClientSpared(rep.Clients)
	return out
}

// ruleNoRegistry is the safety net: when neither scheme found the registry
// API, the run is not healthy even if no specific rule named the cause.
func ruleNoRegistry(f facts, ds []Diagnosis) []Diagnosis {
	if f.rep.Target.Short != nil && f.rep.Target.Short.Error != "" {
		return nil // podman stops before the network, and so did the run
	}
	if _, ok := checks.ChooseEndpoint(checks.Deps{checks.IDPingHTTPS: f.res(checks.IDPingHTTPS), checks.IDPingHTTP: f.res(checks.IDPingHTTP)}); ok {
		return nil
	}
	for _, d := range ds {
		if d.Severity == Error {
			return nil
		}
	}
	return one(newDiagnosis("registry-misbehaving",
		fmt.Sprintf("Neither HTTPS nor plain HTTP answered as a registry: HTTPS %s; HTTP %s.", f.res(checks.IDPingHTTPS).Summary, f.res(checks.IDPingHTTP).Summary),
		"Check that the registry runs behind this address and that any proxy passes /v2/ through; `regdoctor check --trace` shows every exchange."))
}

// merge folds two findings of one code into one diagnosis, so a code is
// reported once with all its evidence and the higher severity.
func merge(a, b Diagnosis) Diagnosis {
	if b.Severity.rank() > a.Severity.rank() {
		a, b = b, a
	}
	if b.Detail != "" && !strings.Contains(a.Detail, b.Detail) {
		a.Detail = strings.TrimSpace(a.Detail + " Also: " + b.Detail)
	}
	for _, r := range b.Remediation {
		if !slices.Contains(a.Remediation, r) {
			a.Remediation = append(a.Remediation, r)
		}
	}
	return a
}

func one(d Diagnosis) []Diagnosis { return []Diagnosis{d} }

func ruleConfig(f facts) []Diagnosis {
	var out []Diagnosis
	for _, p := range f.rep.Config.Problems {
		switch p.Code {
		case "config-invalid":
			out = append(out, newDiagnosis(p.Code, p.Message,
				"Fix or remove "+p.File+lineSuffix(p.Line)+"; `podman login` rewrites a valid file, and `jq . "+p.File+"` shows where it breaks.",
				"Until then podman, skopeo and docker fail before they contact any registry."))
		case "credential-helper-failed":
			out = append(out, newDiagnosis(p.Code, p.Message+".",
				"Run the helper as the clients do: `echo "+f.t.Registry+" | docker-credential-NAME get` (NAME as credsStore / credHelpers in "+p.File+" give it) must print one small JSON object and exit at once.",
				"Fix or reinstall the helper (a locked keychain or a stuck agent is the usual cause), or remove the credsStore / credHelpers entry from "+p.File+" and log in again, so the credentials are stored in the file."))
		case "credentials-for-other-host":
			d := newDiagnosis(p.Code, p.Message,
				"Log in again with the exact registry name the image reference uses: `podman login "+f.t.Registry+"` / `docker login "+f.t.Registry+"`; that stores the entry under the right key.")
			if !anonymousRefused(f) && !f.manifestDenied() {
				// The pull works without them: worth knowing, not a warning.
				d = d.withSeverity(Info)
			}
			out = append(out, d)
		case "certs-dir-invalid":
			out = append(out, newDiagnosis(p.Code, p.Message,
				"Give every client key X.key its certificate X.cert in the same directory, or remove the key: podman refuses the whole directory ("+p.File+")."))
		case "proxy-misconfigured":
			// A warning on its own: the proxy may well reach the host. The
			// ping's proxyconnect failure, when there is one, makes it an error.
			out = append(out, newDiagnosis(p.Code, p.Message+".",
				"Correct HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the environment of the client (and of the podman or docker service).").withSeverity(Warning))
		}
	}
	return out
}

func lineSuffix(n int) string {
	if n > 0 {
		return fmt.Sprintf(" (line %d)", n)
	}
	return ""
}

func ruleDNS(f facts) []Diagnosis {
	ev := f.dns()
	if ev == nil || f.res(checks.IDDNS).Status != checks.Fail {
		return nil
	}
	resolver := "the system resolver"
	if len(ev.Resolvers) > 0 {
		resolver = "nameserver " + strings.Join(ev.Resolvers, ", ") + " (/etc/resolv.conf)"
	}
	return one(newDiagnosis("dns-lookup-failed",
		fmt.Sprintf("%s does not resolve: %s answered %q.", ev.Host, resolver, ev.Error),
		"Check the spelling of "+ev.Host+" in the image reference and in registries.conf.",
		"For an internal registry, add it to the internal DNS zone, or map it in /etc/hosts: `echo 'IP "+ev.Host+"' | sudo tee -a /etc/hosts`.",
		"Test with `getent hosts "+ev.Host+"` (what the clients use) and `dig "+ev.Host+"`."))
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
			return one(newDiagnosis("proxy-misconfigured",
				fmt.Sprintf("Requests to %s go through proxy %s, which fails: %s.", f.t.Host, orNone(f.rep.Config.Proxy), p.Error),
				append(first,
					"If "+f.t.Hostname()+" is internal, add it to NO_PROXY (and no_proxy) for the client and its service: `NO_PROXY="+f.t.Hostname()+",$NO_PROXY`.",
					"Otherwise fix the proxy address in HTTPS_PROXY / HTTP_PROXY; for the docker daemon set it in /etc/systemd/system/docker.service.d/http-proxy.conf.")...,
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

// usualPorts names the ports registry products listen on, to help spot a
// wrong port.
const usualPorts = "443 (HTTPS, Harbor, Artifactory, Quay, GitLab), 5000 (distribution), 8082/8083 and up (Nexus docker connectors; 8081 is the Nexus web UI)"

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
		return one(newDiagnosis("connection-refused",
			fmt.Sprintf("Nothing accepts connections on %s (port %s): %s.", tcp.Address, tcp.Port, tcp.Error),
			"Check that the registry is running and listening on port "+tcp.Port+": `ss -ltnp 'sport = :"+tcp.Port+"'` on the registry host lists what listens there.",
			"Check the port in the reference. Usual ports: "+usualPorts+".",
			"A reference without a port means 443; add `:PORT` when the registry listens elsewhere."))
	case checks.KindConnectTimeout:
		return one(newDiagnosis("connection-timeout",
			fmt.Sprintf("Connecting to %s got no answer in %s: packets are dropped on the way (firewall, security group, wrong route).", tcp.Address, time.Duration(tcp.DurationMS)*time.Millisecond),
			"Check firewalls between this machine and "+tcp.Address+" (iptables/nftables, cloud security groups).",
			"Compare with `nc -vz -w 5 "+f.t.Hostname()+" "+tcp.Port+"` from another machine."))
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
			return one(newDiagnosis("server-not-responding",
				fmt.Sprintf("%s accepts TCP connections but %s.", f.t.HostPort("https"), noAnswer(f.https(), f.rep.Options.Timeout)),
				"The process behind the port is hung or overloaded, or a load balancer accepts connections for a dead backend: check the registry's health and logs.",
				"If a proxy sits in front, check its upstream (nginx: `proxy_connect_timeout`, upstream address)."))
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
		return one(newDiagnosis("plain-http-registry",
			fmt.Sprintf("%s answers only plain HTTP; accepted because --tls-verify=false.", hp)).withSeverity(Info))
	}
	return one(newDiagnosis("plain-http-registry",
		fmt.Sprintf("%s answers the registry API over plain HTTP (%s), but clients use HTTPS unless told otherwise: %s.", hp, f.http().URL, why),
		"podman, skopeo, buildah: add to /etc/containers/registries.conf (or ~/.config/containers/registries.conf):\n[[registry]]\nlocation = \""+hp+"\"\ninsecure = true",
		"docker: add to /etc/docker/daemon.json, then `systemctl restart docker`:\n{ \"insecure-registries\": [\""+hp+"\"] }",
		"containerd: /etc/containerd/certs.d/"+hp+"/hosts.toml:\nserver = \"http://"+hp+"\"\n[host.\"http://"+hp+"\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]",
		"skopeo and crane for a one-off: `--tls-verify=false` / `--insecure`.",
		"Better: serve TLS (a certificate from your CA, or terminate TLS in nginx in front of the registry), then none of the above is needed."))
}

func ruleTLS(f facts) []Diagnosis {
	if !f.rep.Options.TLSVerify {
		return nil
	}
	t := f.tls()
	var out []Diagnosis
	if t != nil && len(t.Problems) == 0 && len(t.NotTrustedBy) > 0 {
		return one(notTrustedByAll(f, t))
	}
	if t != nil && len(t.Problems) > 0 {
		for _, p := range t.Problems {
			if d, ok := tlsDiagnosis(f, p.Kind, p.Message, t); ok {
				out = append(out, d)
			}
		}
		return out
	}
	// The TLS check may not have run (it needs TCP); the ping's own error
	// still names the problem.
	if p := f.https(); p != nil && p.Error != "" {
		if d, ok := tlsDiagnosis(f, p.ErrorKind, p.Error, nil); ok {
			out = append(out, d)
		}
	}
	return out
}

func tlsDiagnosis(f facts, kind checks.ErrKind, msg string, t *checks.TLSEvidence) (Diagnosis, bool) {
	hp := f.t.Registry
	host := f.t.Hostname()
	chain := ""
	if t != nil && len(t.Chain) > 0 {
		var parts []string
		for _, c := range t.Chain {
			parts = append(parts, fmt.Sprintf("%s (issued by %s)", c.Subject, c.Issuer))
		}
		chain = " Chain: " + strings.Join(parts, " → ") + "."
	}
	switch kind {
	case checks.KindUnknownCA:
		var first []string
		if t != nil && t.MisplacedCA != nil {
			chain += fmt.Sprintf(" The CA that signs it is in %s, which no client reads for %s: %s. Copy it to the certs.d directory below.", t.MisplacedCA.Path, hp, t.MisplacedCA.Why)
		} else if why, remedy := untrustedWhy(f, t); why != "" {
			chain += why
			first = append(first, remedy)
		}
		return newDiagnosis("tls-unknown-authority", msg+"."+chain, append(first,
			"podman, skopeo, buildah: put the CA certificate (PEM) at /etc/containers/certs.d/"+hp+"/ca.crt (or ~/.config/containers/certs.d/"+hp+"/ca.crt for rootless).",
			"docker: /etc/docker/certs.d/"+hp+"/ca.crt (no restart needed).",
			"containerd: /etc/containerd/certs.d/"+hp+"/hosts.toml with\nserver = \"https://"+hp+"\"\n[host.\"https://"+hp+"\"]\n  ca = \"/etc/containerd/certs.d/"+hp+"/ca.crt\"",
			"System-wide (crane and other Go clients): copy it to /usr/local/share/ca-certificates/"+host+".crt and run `update-ca-certificates` (Debian/Ubuntu) or to /etc/pki/ca-trust/source/anchors/ and run `update-ca-trust` (RHEL/Fedora).",
			"Get the CA from the registry's administrator; `openssl s_client -connect "+f.t.HostPort("https")+" -showcerts` shows what the server sends.")...), true
	case checks.KindCertExpired:
		detail := msg + "."
		if t != nil && len(t.Chain) > 0 {
			leaf := t.Chain[0]
			detail += fmt.Sprintf(" Valid from %s to %s; local time %s.", leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339), t.LocalTime.Format(time.RFC3339))
			if skew, ok := serverClockSkew(f); ok {
				serverNow := t.LocalTime.Add(skew)
				switch {
				case (skew > 5*time.Minute || skew < -5*time.Minute) && !serverNow.Before(leaf.NotBefore) && !serverNow.After(leaf.NotAfter):
					detail += fmt.Sprintf(" The server's Date header says %s, %s away from the local clock, and at that time the certificate is valid: this machine's clock is what is wrong.", serverNow.Format(time.RFC3339), skew.Round(time.Second))
				case skew > 5*time.Minute || skew < -5*time.Minute:
					detail += fmt.Sprintf(" The server's Date header is %s away from the local clock; check both clocks.", skew.Round(time.Second))
				default:
					detail += " The server's Date header agrees with the local clock: the certificate itself is out of date."
				}
			}
		}
		return newDiagnosis("tls-cert-expired", detail,
			"Renew the registry's certificate (and restart the registry or the proxy that terminates TLS).",
			"If the dates look right, check this machine's clock: `timedatectl` and enable NTP (`timedatectl set-ntp true`)."), true
	case checks.KindHostname:
		return newDiagnosis("tls-hostname-mismatch", msg+"."+chain,
			"Use a name the certificate holds in the image reference, or reissue the certificate with a subjectAltName for "+host+" (an IP address needs an IP SAN: `subjectAltName = IP:"+host+"` when it is an IP).",
			"Go clients (podman, docker, crane) ignore the Common Name; only SANs count."), true
	}
	return Diagnosis{}, false
}

// notTrustedByAll: the chain verifies with a CA that only some clients
// read; the others fail with an unknown authority.
func notTrustedByAll(f facts, t *checks.TLSEvidence) Diagnosis {
	var why []string
	for _, c := range slices.Sorted(maps.Keys(t.NotTrustedBy)) {
		why = append(why, c+": "+t.NotTrustedBy[c])
	}
	issuer := ""
	if len(t.Chain) > 0 {
		issuer = " (issued by " + t.Chain[len(t.Chain)-1].Issuer + ")"
	}
	d, _ := tlsDiagnosis(f, checks.KindUnknownCA, "The certificate"+issuer+" verifies with a CA from certs.d that not every client reads; "+strings.Join(why, "; "), t)
	return d
}

// serverClockSkew is the server's Date minus local time at the ping.
func serverClockSkew(f facts) (time.Duration, bool) {
	if t := f.tls(); t != nil && t.ServerDate != nil {
		return t.ServerDate.Sub(t.LocalTime), true
	}
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p == nil || p.Exchange == nil {
			continue
		}
		if d := p.Header("Date"); d != "" {
			if t, err := http.ParseTime(d); err == nil {
				return t.Sub(f.rep.Started), true
			}
		}
	}
	return 0, false
}

func ruleNotARegistry(f facts) []Diagnosis {
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p == nil || p.Exchange == nil || p.Error != "" || p.RegistryAPI || p.Status == 0 {
			continue
		}
		if p.Status == http.StatusTooManyRequests || p.Status >= 500 || (p.Status >= 300 && p.Status < 400) {
			continue
		}
		if p == f.http() && !f.portSpeaksHTTP() {
			continue // the HTTPS side decides; plain HTTP on a TLS port is just an error page
		}
		if p == f.https() && f.clientCertRefusal() != "" {
			continue // the proxy's page is about the missing certificate
		}
		detail := fmt.Sprintf("%s answered %d (%s) without the Docker-Distribution-API-Version header", p.URL, p.Status, orNone(p.Shown("Content-Type")))
		return one(newDiagnosis("not-a-registry", detail+serverOf(p.Exchange)+".", notARegistryRemedies(f, p.Exchange, p.URL)...))
	}
	return notARegistryPage(f)
}

// notARegistryPage: clients accept any 200 on /v2/ (Exchange.PingAccepted),
// a web UI's page included, and fail only when they read the page where the
// manifest should be (containers/image takes an unknown Content-Type for
// schema 1 and cannot parse it, as skopeo 1.9 shows: "Error parsing
// manifest for image: invalid character '<'"; go-containerregistry and
// docker refuse the media type). That is where it is not-a-registry; a page
// on /v2/ alone is only a note.
func notARegistryPage(f facts) []Diagnosis {
	if m := f.manifest(); m != nil && m.Get != nil && isPage(m.Get) && (m.Get.Status == http.StatusOK && f.pagePing() || f.pagesOnly()) {
		return one(newDiagnosis("not-a-registry",
			fmt.Sprintf("GET %s answered %d with a web page (%s)%s, not a manifest: clients take the 200 on /v2/ for a registry, then fail to read the page as a manifest.", m.URL, m.Get.Status, orNone(m.Get.Shown("Content-Type")), serverOf(m.Get)),
			notARegistryRemedies(f, m.Get, strings.SplitN(m.URL, "/v2/", 2)[0]+"/v2/")...))
	}
	p := f.endpointPing()
	if p == nil || f.manifest() != nil || !f.pagePing() {
		return nil
	}
	if p == f.http() {
		// HTTPS failed, so clients fail before they get here; the page
		// says why, where plain-http-registry would only suggest insecure.
		return one(newDiagnosis("not-a-registry",
			fmt.Sprintf("HTTPS does not answer, and %s answered 200 with a web page (%s)%s and no Docker-Distribution-API-Version header.", p.URL, orNone(p.Shown("Content-Type")), serverOf(p.Exchange)),
			notARegistryRemedies(f, p.Exchange, p.URL)...))
	}
	return one(newDiagnosis("not-a-registry",
		fmt.Sprintf("%s answered 200 with a web page (%s)%s and no Docker-Distribution-API-Version header. Clients accept any 200 there, so nothing fails until a pull asks for a manifest; check an image reference to see whether one is served.", p.URL, orNone(p.Shown("Content-Type")), serverOf(p.Exchange)),
		notARegistryRemedies(f, p.Exchange, p.URL)...).withSeverity(Info))
}

func (f facts) endpointPing() *checks.PingEvidence {
	ep, ok := checks.ChooseEndpoint(checks.Deps{checks.IDPingHTTPS: f.res(checks.IDPingHTTPS), checks.IDPingHTTP: f.res(checks.IDPingHTTP)})
	if !ok {
		return nil
	}
	return ep.Ping
}

// pagePing: the ping the clients accepted was a 200 web page without the
// registry API header.
func (f facts) pagePing() bool {
	p := f.endpointPing()
	return p != nil && p.Status == http.StatusOK && !p.HasAPIHeader() && isPage(p.Exchange)
}

// webSite: /v2/ was a web page and nothing says otherwise: no manifest was
// asked for, or its answer was a page too.
func (f facts) webSite() bool {
	m := f.manifest()
	return f.pagePing() && (m == nil || m.Get == nil || isPage(m.Get))
}

// pagesOnly: /v2/ was a web page and so is the manifest's answer, whatever
// its status: a web site answers, and its 404 says nothing of repositories.
func (f facts) pagesOnly() bool {
	m := f.manifest()
	return f.pagePing() && m != nil && m.Get != nil && isPage(m.Get)
}

// isPage: the answer is an HTML page, whose start the evidence kept.
func isPage(x *checks.Exchange) bool {
	return x.Body != "" && strings.Contains(strings.ToLower(x.Header("Content-Type")), "html")
}

func serverOf(x *checks.Exchange) string {
	if srv := x.Shown("Server"); srv != "" {
		return ", Server: " + srv
	}
	return ""
}

func notARegistryRemedies(f facts, x *checks.Exchange, pingURL string) []string {
	rem := []string{"Use the address and port of the registry API, not of a web page: `curl -i " + pingURL + "` must answer 200 or 401 with `Docker-Distribution-API-Version: registry/2.0`."}
	if f.rep.Product.Name == "Nexus" || strings.Contains(strings.ToLower(x.Header("Server")), "nexus") {
		rem = append(rem, "Nexus: port 8081 is the web UI. Give the docker repository an HTTP or HTTPS connector port (Repository → your docker repo → Repository Connectors), or route /v2/ to it in the reverse proxy, and use that port.")
	}
	return rem
}

func ruleMisbehaving(f facts) []Diagnosis {
	var reasons []string
	for _, r := range f.rep.Results {
		if _, cut := r.Evidence.(*checks.Unfinished); cut && r.ID != checks.IDTLS && r.ID != checks.IDPingHTTPS {
			reasons = append(reasons, fmt.Sprintf("the %s step got no complete answer within --timeout %s", r.ID, f.rep.Options.Timeout))
		}
	}
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p == nil || p.Exchange == nil || p.Status < 500 || (p == f.http() && !f.portSpeaksHTTP()) {
			continue // plain HTTP on a TLS port is just an error page, as in ruleNotARegistry
		}
		reasons = append(reasons, fmt.Sprintf("GET %s answered %d", p.URL, p.Status))
	}
	if c := f.challenge(); c != nil && f.res(checks.IDAuthChallenge).Status == checks.Fail {
		reasons = append(reasons, fmt.Sprintf("the 401 challenge cannot be parsed (%q)", truncateHint(c.Raw)))
	}
	// An opaque (non-JWT) token is no fault: the token spec leaves its
	// form to the token server, and clients pass it on unread. A token the
	// registry then refuses is, and protocolFaults names it (rejectedToken).
	faults, remedies := protocolFaults(f)
	reasons = append(reasons, faults...)
	if len(reasons) == 0 {
		return nil
	}
	return one(newDiagnosis("registry-misbehaving",
		"The registry does not follow the distribution API: "+strings.Join(uniq(reasons), "; ")+".",
		append(uniq(remedies),
			"Check the registry's (and any proxy's) logs at the time of this run; `regdoctor check --trace` shows every exchange.",
			"If a reverse proxy sits in front, check that it passes /v2/ through unchanged (no rewrites, no HTML error pages, proxy_buffering settings).")...))
}

func (f facts) httpsExchange() *checks.Exchange {
	if p := f.https(); p != nil {
		return p.Exchange
	}
	return nil
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func ruleRateLimited(f facts) []Diagnosis {
	var limited []*checks.Exchange
	for _, x := range f.exchanges() {
		if x.Status == http.StatusTooManyRequests || x.HasCode("TOOMANYREQUESTS") {
			limited = append(limited, x)
		}
	}
	// Quote the answer that carries the registry's message (a GET), not a
	// bodiless HEAD that happened first.
	if len(limited) == 0 {
		return nil
	}
	slices.SortStableFunc(limited, func(a, b *checks.Exchange) int { return len(b.Errors) - len(a.Errors) })
	x := limited[0]
	detail := fmt.Sprintf("%s %s answered %d", x.Method, x.URL, x.Status)
	for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "Retry-After"} {
		if v := x.Header(h); v != "" {
			detail += fmt.Sprintf(", %s: %s", h, v)
		}
	}
	for _, e := range x.Errors {
		detail += fmt.Sprintf(" (%s: %s)", e.Code, e.Message)
	}
	rem := []string{"Wait for the window to reset (Retry-After / RateLimit headers), and log in: authenticated pulls get a higher limit."}
	if f.t.Host == "registry-1.docker.io" {
		rem = append(rem, "Docker Hub: pull through a mirror or a proxy repository (Nexus docker proxy, Harbor proxy cache) and point clients at it: registries.conf [[registry.mirror]] or daemon.json \"registry-mirrors\".")
	} else {
		rem = append(rem, "Spread pulls over time, or cache images in a proxy repository closer to the clients.")
	}
	return one(newDiagnosis("rate-limited", detail+".", rem...))
}

func ruleRealm(f facts) []Diagnosis {
	ev := f.realm()
	if ev == nil {
		return nil
	}
	rem := []string{
		"The realm comes from the registry's configuration: distribution `auth.token.realm`, Harbor `external_url`, Nexus the Base URL capability (System → Capabilities → Base URL) and the X-Forwarded-* headers your reverse proxy sets.",
	}
	if f.rep.Product.Name == "Nexus" {
		rem = append(rem, "Nexus 3.77 can send a realm with a \"null\" scheme: set the Base URL capability to the external https URL, or upgrade.")
	}
	switch {
	case len(ev.Problems) > 0:
		return one(newDiagnosis("token-realm-misconfigured", fmt.Sprintf("The challenge names realm %q: %s.", ev.Realm, strings.Join(ev.Problems, "; ")), rem...))
	case len(ev.Warnings) > 0:
		return one(newDiagnosis("token-realm-misconfigured", fmt.Sprintf("Realm %q: %s.", ev.Realm, strings.Join(ev.Warnings, "; ")), rem...).withSeverity(Warning))
	case len(ev.Notes) > 0:
		return one(newDiagnosis("token-realm-misconfigured", fmt.Sprintf("Realm %q: %s. podman, skopeo and docker accept it.", ev.Realm, strings.Join(ev.Notes, "; ")), rem...).withSeverity(Info))
	}
	return nil
}

func ruleRealmUnreachable(f facts) []Diagnosis {
	tk := f.token()
	if tk == nil {
		return nil
	}
	a := tk.ClientAttempt()
	if a == nil || a.Exchange == nil || a.Exchange.Error == "" {
		return nil
	}
	x := a.Exchange
	switch x.ErrorKind {
	case checks.KindDNS, checks.KindRefused, checks.KindConnectTimeout, checks.KindNoResponse, checks.KindUnknownCA,
		checks.KindCertExpired, checks.KindHostname, checks.KindHTTPToHTTPS, checks.KindProxy, checks.KindTLS, checks.KindReset:
	default:
		return nil
	}
	probe := ""
	if p := tk.RealmProbe; p != nil {
		if why := p.Failure(); why != "" {
			probe = " Probing the realm host on its own: " + why + "."
		}
	}
	return one(newDiagnosis("token-realm-unreachable",
		fmt.Sprintf("The registry sends clients to realm %s for tokens, but it cannot be reached: %s (%s). The registry itself answers, so only the token step fails.%s", tk.Realm, x.Error, x.ErrorKind, probe),
		"Check the realm as a target of its own: `regdoctor check "+realmHost(tk.Realm)+"`.",
		"A realm often names an internal host name or a wrong external URL: fix the registry's token realm setting (distribution `auth.token.realm`, Nexus Base URL, Harbor `external_url`) to an address clients can reach."))
}

func realmHost(realm string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(realm, "https://"), "http://")
	h, _, _ := strings.Cut(s, "/")
	return h
}

// ruleAuth separates "not logged in", "bad credentials" and "no rights".
func ruleAuth(f facts) []Diagnosis {
	c := f.challenge()
	if c == nil {
		return nil
	}
	cr := f.creds()
	tk := f.token()
	m := f.manifest()
	manifestDenied := f.manifestDenied()
	switch {
	case cr == nil:
		anonRefused := tk != nil && tk.Anonymous != nil && tk.Anonymous.Exchange != nil && denied(tk.Anonymous.Exchange)
		if !anonRefused && !manifestDenied {
			return nil
		}
		where := "the registry"
		x := (*checks.Exchange)(nil)
		if anonRefused {
			x = tk.Anonymous.Exchange
			where = "the token realm " + tk.Realm
		} else {
			x = m.Get
		}
		return one(newDiagnosis("not-logged-in",
			fmt.Sprintf("%s answered %d %s to an anonymous request, and no credentials for %s are stored in any of: %s.",
				capitalize(where), x.Status, http.StatusText(x.Status), f.t.Registry, authFileList(f)),
			loginRemedies(f)...))
	case tk != nil && tk.Credentials != nil && tk.Credentials.Exchange != nil && tk.Credentials.Exchange.Status == http.StatusUnauthorized,
		c.Scheme == "basic" && m != nil && m.Get != nil && m.Get.Status == http.StatusUnauthorized && m.Get.Auth != "":
		var first []string
		if strings.HasPrefix(cr.Username, "robot") && !strings.Contains(cr.Username, "$") {
			// `docker login -u robot$ci` in a shell logs in as "robot".
			first = append(first, fmt.Sprintf("Harbor robot accounts are named robot$NAME (robot$PROJECT+NAME); the stored user %q has no $, the mark of a shell that expanded $NAME: log in again with the name in single quotes, `podman login -u 'robot$NAME' %s`.", cr.Username, f.t.Registry))
		}
		return one(newDiagnosis("bad-credentials",
			fmt.Sprintf("The credentials for %q stored in %s (user %q) are refused with 401.", cr.Key, cr.Source, cr.Username),
			append(first, "Log in again: `podman login "+f.t.Registry+"` (or `docker login "+f.t.Registry+"`), which replaces the entry in "+cr.Source+".",
				"If the password was changed or the account locked, ask the registry administrator; for Nexus, check the user is active and that \"Docker Bearer Token Realm\" is active under Security → Realms.")...))
	case manifestDenied || (tk != nil && tk.Credentials != nil && tk.Credentials.Exchange != nil && tk.Credentials.Exchange.Status == http.StatusForbidden) ||
		(tk != nil && tk.Credentials != nil && tk.Credentials.Claims != nil && f.t.Repository != "" && !tk.Credentials.Claims.Grants(f.t.Repository, "pull")):
		detail := fmt.Sprintf("The credentials from %s (user %q) are accepted, but grant no pull on %s", cr.Source, cr.Username, f.t.Repository)
		if m != nil && m.Get != nil && m.Get.Status != 0 {
			detail += fmt.Sprintf(": the manifest request got %d", m.Get.Status)
		}
		return one(newDiagnosis("access-denied", detail+".",
			"Ask the registry administrator to grant user "+cr.Username+" read (pull) on "+f.t.Repository+": Nexus: a role with nx-repository-view-docker-REPO-read/browse; Harbor: project member; distribution token server: the account's ACL.",
			"Check the repository path: a typo in it also looks like a denial on registries that hide unknown repositories."))
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func authFileList(f facts) string {
	var paths []string
	for _, a := range f.rep.Config.AuthFiles {
		paths = append(paths, a.Path)
	}
	if len(paths) == 0 {
		return "no auth file (HOME is unset, so the clients have no default one)"
	}
	return strings.Join(paths, ", ")
}

func loginRemedies(f facts) []string {
	reg := f.t.Registry
	rem := []string{
		"podman / skopeo / buildah: `podman login " + reg + "` — stored in ${XDG_RUNTIME_DIR}/containers/auth.json (/run/user/UID/containers/auth.json), which is lost at reboot; use `--authfile ~/.config/containers/auth.json` to keep it.",
		"docker: `docker login " + reg + "` — stored in ~/.docker/config.json (or its credsStore).",
		"CI: mount an auth file and point REGISTRY_AUTH_FILE (podman) or DOCKER_CONFIG (docker) at it.",
	}
	if f.rep.Product.Name == "Nexus" {
		rem = append(rem, "If anonymous pulls are intended, in Nexus: Security → Realms → activate \"Docker Bearer Token Realm\"; Security → Anonymous Access → allow; tick \"Allow anonymous docker pull\" on the docker repository; and give the anonymous user read on it (nx-repository-view-docker-*-read/browse).")
	}
	return rem
}

func ruleClockSkew(f facts) []Diagnosis {
	tk := f.token()
	if tk == nil {
		return nil
	}
	a := tk.ClientAttempt()
	if a == nil || a.Claims == nil {
		return nil
	}
	now := f.rep.Started
	const tolerance = time.Minute
	var problems []string
	if a.Claims.NotBefore != nil && a.Claims.NotBefore.After(now.Add(tolerance)) {
		problems = append(problems, fmt.Sprintf("nbf %s is %s ahead of the local clock", a.Claims.NotBefore.Format(time.RFC3339), a.Claims.NotBefore.Sub(now).Round(time.Second)))
	}
	if a.Claims.IssuedAt != nil && a.Claims.IssuedAt.After(now.Add(tolerance)) {
		problems = append(problems, fmt.Sprintf("iat %s is %s ahead of the local clock", a.Claims.IssuedAt.Format(time.RFC3339), a.Claims.IssuedAt.Sub(now).Round(time.Second)))
	}
	if a.Claims.ExpiresAt != nil && a.Claims.ExpiresAt.Before(now) {
		problems = append(problems, fmt.Sprintf("exp %s has already passed by the local clock", a.Claims.ExpiresAt.Format(time.RFC3339)))
	}
	if len(problems) == 0 {
		return nil
	}
	detail := "The token's validity window disagrees with this machine's clock: " + strings.Join(problems, "; ") + "."
	if skew, ok := serverClockSkew(f); ok {
		if skew > tolerance || skew < -tolerance {
			detail += fmt.Sprintf(" The registry's Date header is %s away from the local clock, so this machine's clock (or the registry's) is off.", skew.Round(time.Second))
		} else {
			detail += " The registry's Date header agrees with the local clock, so the token server's clock is off."
		}
	}
	return one(newDiagnosis("clock-skew", detail,
		"Synchronise clocks with NTP on this machine, the registry and its token server: `timedatectl set-ntp true`, `chronyc tracking`.",
		"Registries reject tokens outside nbf/exp; a few minutes of skew is enough to fail."))
}

func ruleHeadGet(f facts) []Diagnosis {
	m := f.manifest()
	if m == nil || m.Get == nil || m.Head == nil || m.Get.Status != http.StatusOK || m.Get.Error != "" || m.Head.Status == http.StatusOK || (m.Head.Status == 0 && m.Head.Error == "") {
		return nil
	}
	rem := []string{
		"A reverse proxy routes HEAD elsewhere. In the nginx split from the usual Nexus guide, route HEAD with GET:\nif ($request_method ~* '^(GET|HEAD)$') { set $upstream \"nexus_docker_group\"; }",
		"Verify with `curl -I -H 'Accept: " + checks.ManifestAccept + "' " + m.URL + "` (add the token or -u user).",
	}
	if m.Head.Status == http.StatusMethodNotAllowed {
		return one(newDiagnosis("head-get-mismatch",
			fmt.Sprintf("GET %s answers 200 but HEAD answers 405. No client fails over it: containerd retries a 405 on HEAD with GET, docker falls back to GET, podman, skopeo and crane use GET.", m.URL), rem...).withSeverity(Info))
	}
	dockerToo := "classic docker falls back to GET"
	if m.Head.Status == 0 {
		dockerToo = "so does classic docker, which falls back to GET only on an answer, not on a failed request"
	}
	return one(newDiagnosis("head-get-mismatch",
		fmt.Sprintf("GET %s answers 200 but HEAD %s. containerd, nerdctl, Kubernetes, BuildKit and docker with the containerd image store resolve tags with HEAD and fail; %s; podman, skopeo and crane use GET and work.", m.URL, headOutcome(m.Head), dockerToo),
		rem...))
}

func headOutcome(x *checks.Exchange) string {
	if x.Status == 0 {
		return "fails: " + x.Outcome()
	}
	return fmt.Sprintf("answers %d", x.Status)
}

func rulePlatform(f facts) []Diagnosis {
	if b := f.blob(); b != nil && b.ConfigPlatform != "" {
		// A single-platform image pulls whatever it is for; it fails
		// when run ("exec format error"), unless emulation is set up.
		return one(newDiagnosis("platform-not-available",
			fmt.Sprintf("%s is a single-platform image for %s, not %s: clients pull it (podman warns that the platform does not match), but it does not run here without emulation.", f.t.ImageRef(), b.ConfigPlatform, b.WantPlatform),
			"Build and push the image for "+b.WantPlatform+" too, as an index (`podman build --platform "+b.WantPlatform+",...  --manifest`, `docker buildx build --platform "+b.WantPlatform+" --push`), or pull another tag that has it.",
			"To run it anyway, install emulation (qemu-user-static / binfmt: `docker run --privileged --rm tonistiigi/binfmt --install all`).").withSeverity(Warning))
	}
	m := f.manifest()
	if m == nil || m.Platform == "" || m.Matched {
		return nil
	}
	if len(m.Platforms) == 0 {
		return one(newDiagnosis("platform-not-available",
			fmt.Sprintf("%s is an index that lists no image for any platform, so there is no %s to pull.", f.t.ImageRef(), m.Platform),
			"The index was pushed empty or its manifests were deleted: push the image again (`podman manifest push`, `docker buildx build --push`), and check the tool that assembles the index."))
	}
	return one(newDiagnosis("platform-not-available",
		fmt.Sprintf("%s is an index for %s; it has no %s.", f.t.ImageRef(), listSome(m.Platforms), m.Platform),
		"Pull a platform the image has (`podman pull --platform "+m.Platforms[0]+"`, `docker pull --platform "+m.Platforms[0]+"`), or build and push the image for "+m.Platform+" (`podman build --platform "+m.Platform+"`, `docker buildx build --platform "+m.Platform+" --push`).",
		"On a proxy repository (Nexus, Harbor), the upstream may have more platforms than the cached index: re-fetch it."))
}

func rulePush(f facts) []Diagnosis {
	p := f.push()
	if p == nil {
		return nil
	}
	for _, x := range []*checks.Exchange{p.Start, p.Patch} {
		if x == nil {
			continue
		}
		switch {
		case x.Status == http.StatusRequestEntityTooLarge:
			return one(newDiagnosis("upload-too-large",
				fmt.Sprintf("%s %s with %d MiB answered 413 Request Entity Too Large (Server: %s): a proxy limits the request body.", x.Method, x.URL, p.Bytes>>20, orNone(x.Shown("Server"))),
				"nginx: in the server block that proxies the registry set\nclient_max_body_size 0;\nchunked_transfer_encoding on;\n(nginx's default is 1m, far below a layer).",
				"Other proxies: raise the request body limit (HAProxy, ingress-nginx `nginx.ingress.kubernetes.io/proxy-body-size: \"0\"`)."))
		case x.Status == http.StatusMethodNotAllowed || x.Status == http.StatusLengthRequired || groupRefusal(x):
			detail := fmt.Sprintf("%s %s answered %d", x.Method, x.URL, x.Status)
			for _, e := range x.Errors {
				detail += fmt.Sprintf(" (%s: %s)", e.Code, e.Message)
			}
			return one(newDiagnosis("upload-refused", detail+".",
				"Nexus group repositories cannot be pushed to (\"Deploying to groups is a PRO-licensed feature\"): push to the hosted repository's connector port, or route non-GET methods to it in the proxy as the usual nginx split does.",
				"nginx answering 411 Length Required: add `chunked_transfer_encoding on;`. 405 from a proxy: allow POST, PATCH, PUT and DELETE on /v2/."))
		case denied(x):
			return one(newDiagnosis("access-denied",
				fmt.Sprintf("%s %s answered %d: no push right on %s.", x.Method, x.URL, x.Status, f.t.Repository),
				"Log in with an account that may push to "+f.t.Repository+", or ask for the push (write) right."))
		}
	}
	return nil
}

func groupRefusal(x *checks.Exchange) bool {
	for _, e := range x.Errors {
		m := strings.ToLower(e.Message)
		if strings.Contains(m, "deploying to groups") || strings.Contains(m, "blob upload invalid") || e.Code == "UNSUPPORTED" {
			return true
		}
	}
	return false
}
