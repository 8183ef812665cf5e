package diagnose

import (
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// An unknown authority has three likely causes besides a private CA nobody
// installed; each must be named, with its remedy first.
func TestUntrustedWhy(t *testing.T) {
	chain := func(issuer string) *checks.TLSEvidence {
		return &checks.TLSEvidence{Chain: []checks.CertInfo{{Subject: "CN=registry-1.docker.io", Issuer: issuer}}}
	}
	for _, tc := range []struct {
		name, target, roots string
		tls                 *checks.TLSEvidence
		why, remedy         string
	}{
		{"inspection proxy", "registry.example.com/team/app:1", "/etc/ssl/certs/ca-certificates.crt", chain("CN=Zscaler Intermediate Root CA,O=Zscaler Inc."),
			"comes from Zscaler, a TLS-inspecting proxy", "Install Zscaler's root CA"},
		{"no CA bundle", "docker.io/library/redis:7", "", chain("CN=R11,O=Let's Encrypt,C=US"),
			"no system CA bundle", "apt-get install ca-certificates"},
		{"public registry, unknown issuer", "ghcr.io/org/app:1", "/etc/ssl/certs/ca-certificates.crt", chain("CN=Corp Gateway CA"),
			`ghcr.io is a public registry with a certificate from a public CA, which every maintained system trusts; an unknown issuer (issuer "CN=Corp Gateway CA")`, "openssl x509 -noout -issuer"},
		{"private registry, private CA", "registry.example.com/team/app:1", "/etc/ssl/certs/ca-certificates.crt", chain("CN=Example Corp Root CA"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := target.Parse(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			f := facts{rep: &Report{Target: tg, Config: &checks.ClientConfig{SystemRoots: tc.roots}}, t: tg}
			why, remedy := untrustedWhy(f, tc.tls)
			if !strings.Contains(why, tc.why) || (tc.why == "") != (why == "") {
				t.Errorf("why %q, want %q", why, tc.why)
			}
			if !strings.Contains(remedy, tc.remedy) || (tc.remedy == "") != (remedy == "") {
				t.Errorf("remedy %q, want %q", remedy, tc.remedy)
			}
		})
	}
}
