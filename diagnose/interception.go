package diagnose

import (
	"fmt"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// inspectionProducts are TLS-inspecting proxies and security suites, by a
// word their CA certificates carry in the subject or issuer.
var inspectionProducts = []struct{ match, name string }{
	{"zscaler", "Zscaler"},
	{"netskope", "Netskope"},
	{"palo alto", "Palo Alto Networks"},
	{"fortinet", "Fortinet FortiGate"},
	{"fortigate", "Fortinet FortiGate"},
	{"blue coat", "Blue Coat / Symantec ProxySG"},
	{"bluecoat", "Blue Coat / Symantec ProxySG"},
	{"cisco umbrella", "Cisco Umbrella"},
	{"sophos", "Sophos"},
	{"mcafee", "McAfee / Skyhigh Web Gateway"},
	{"skyhigh", "McAfee / Skyhigh Web Gateway"},
	{"forcepoint", "Forcepoint"},
	{"websense", "Forcepoint (Websense)"},
	{"check point", "Check Point"},
	{"checkpoint", "Check Point"},
	{"kaspersky", "Kaspersky"},
	{"eset ssl filter", "ESET"},
	{"avast", "Avast"},
	{"bitdefender", "Bitdefender"},
	{"iboss", "iboss"},
	{"barracuda", "Barracuda"},
	{"sonicwall", "SonicWall"},
	{"watchguard", "WatchGuard"},
	{"mitmproxy", "mitmproxy"},
	{"charles proxy", "Charles Proxy"},
	{"do_not_trust_fiddlerroot", "Fiddler"},
	{"portswigger", "Burp Suite"},
}

// publicRegistries are hosts whose certificates come from public CAs that
// every maintained system trusts.
var publicRegistries = []string{"docker.io", "ghcr.io", "quay.io", "gcr.io", "pkg.dev", "public.ecr.aws", "amazonaws.com",
	"mcr.microsoft.com", "azurecr.io", "registry.k8s.io", "nvcr.io", "registry.gitlab.com", "docker.elastic.co",
	"registry.redhat.io", "registry.access.redhat.com", "container-registry.oracle.com"}

func isPublicRegistry(host string) bool {
	for _, p := range publicRegistries {
		if host == p || strings.HasSuffix(host, "."+p) {
			return true
		}
	}
	return false
}

// untrustedWhy says why a chain has an unknown authority when the likely
// cause is not a private CA nobody installed: a TLS-inspecting proxy, a
// machine without a CA bundle. It returns the sentence for the detail, and
// a remedy to put first ("" for either when there is nothing to add).
func untrustedWhy(f facts, t *checks.TLSEvidence) (why, remedy string) {
	host := f.t.Hostname()
	if t != nil && len(t.Chain) > 0 {
		top := t.Chain[len(t.Chain)-1]
		names := strings.ToLower(top.Issuer + " " + top.Subject + " " + t.Chain[0].Issuer)
		for _, p := range inspectionProducts {
			if strings.Contains(names, p.match) {
				return fmt.Sprintf(" The certificate comes from %s, a TLS-inspecting proxy (issuer %q): it stands in for %s's own certificate on the way.", p.name, top.Issuer, host),
					"Install " + p.name + "'s root CA in the system trust store (your IT department has it; a browser on this network shows it as the issuer), or have the proxy exempt " + host + " from inspection. dockerd and containerd read the system store at start: restart them after `update-ca-certificates`."
			}
		}
	}
	if f.rep.Config != nil && f.rep.Config.SystemRoots == "" {
		return " This machine has no system CA bundle (no /etc/ssl/certs/ca-certificates.crt or the like, and SSL_CERT_FILE is unset), so no certificate verifies, public or private.",
			"Install the CA bundle: `apt-get install ca-certificates`, `dnf install ca-certificates` or `apk add ca-certificates`; in a container image, add it to the image."
	}
	if isPublicRegistry(host) {
		issuer := ""
		if t != nil && len(t.Chain) > 0 {
			issuer = fmt.Sprintf(" (issuer %q)", t.Chain[len(t.Chain)-1].Issuer)
		}
		return fmt.Sprintf(" %s is a public registry with a certificate from a public CA, which every maintained system trusts; an unknown issuer%s means something on the way replaces its certificate (a TLS-inspecting proxy or antivirus), or this machine's CA bundle is years out of date.", host, issuer),
			"Find who issues the certificate: `openssl s_client -connect " + f.t.HostPort("https") + " -servername " + host + " </dev/null | openssl x509 -noout -issuer`. A company proxy: install its root CA system-wide (`update-ca-certificates`) and restart dockerd/containerd. An old bundle: update the ca-certificates package."
	}
	return "", ""
}
