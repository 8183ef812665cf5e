//go:build integration

package integration

import (
	"crypto/tls"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// registryOpts selects how a docker-registry (distribution 2.8) instance is configured.
type registryOpts struct {
	tls      *keyPair   // nil: plain HTTP
	htpasswd string     // path of an htpasswd file: Basic auth
	token    *tokenAuth // Bearer token auth
	// clientCAs, a PEM file, makes the registry require client
	// certificates from it (http.tls.clientcas): mutual TLS.
	clientCAs string
}

// tokenAuth is the `auth.token` section of a registry config.
type tokenAuth struct {
	realm, service, issuer, rootCertBundle string
}

// registry is a running docker-registry.
type registry struct {
	host    string // 127.0.0.1:PORT, what image references use
	url     string // scheme://host
	dataDir string
	// seedTLS is what the seeding client uses: it trusts the test CA, and
	// skips verification when the certificate is broken on purpose.
	seedTLS *tls.Config
	proc    *process
}

// startRegistry writes config.yml, runs `docker-registry serve` and waits until /v2/ answers.
func startRegistry(t testing.TB, opts registryOpts) *registry {
	t.Helper()
	requireBinaries(t, "docker-registry")
	dir := t.TempDir()
	r := &registry{dataDir: filepath.Join(dir, "data")}
	scheme := "http"
	if opts.tls != nil {
		scheme = "https"
		pki := sharedPKI(t)
		r.seedTLS = &tls.Config{RootCAs: pki.pool}
		if opts.tls.cert != pki.good.cert {
			r.seedTLS.InsecureSkipVerify = true //nolint:gosec // the certificate is broken on purpose
		}
		if opts.clientCAs != "" {
			r.seedTLS.Certificates = []tls.Certificate{pki.client.tlsCertificate()}
		}
	}
	r.proc, r.host = launch(t, "docker-registry", dir, func(host string) ([]string, string) {
		cfgPath := filepath.Join(dir, "config.yml")
		writeFile(t, cfgPath, registryConfig(r.dataDir, host, opts))
		return []string{"docker-registry", "serve", cfgPath}, scheme + "://" + host + "/v2/"
	})
	r.url = scheme + "://" + r.host
	return r
}

// registryConfig renders a distribution 0.1 config.yml.
func registryConfig(dataDir, host string, opts registryOpts) string {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  secret: regdoctor-integration-secret
`, dataDir, host)
	if opts.tls != nil {
		fmt.Fprintf(&cfg, "  tls:\n    certificate: %q\n    key: %q\n", opts.tls.certFile, opts.tls.keyFile)
		if opts.clientCAs != "" {
			fmt.Fprintf(&cfg, "    clientcas:\n      - %q\n", opts.clientCAs)
		}
	}
	switch {
	case opts.htpasswd != "":
		fmt.Fprintf(&cfg, "auth:\n  htpasswd:\n    realm: regdoctor-basic-realm\n    path: %q\n", opts.htpasswd)
	case opts.token != nil:
		fmt.Fprintf(&cfg, "auth:\n  token:\n    realm: %q\n    service: %q\n    issuer: %q\n    rootcertbundle: %q\n",
			opts.token.realm, opts.token.service, opts.token.issuer, opts.token.rootCertBundle)
	}
	return cfg.String()
}

// Accounts known to the Basic and Bearer fixtures.
const (
	devUser        = "developer"
	devPassword    = "Dev-Pa55word-4f1c" // distinctive so the leak check can grep for it
	devNewPassword = "Rotated-Pa55word-77e2"
	noRightsUser   = "norights"
	noRightsPass   = "NoRights-Pa55word-9b3d"
)

// writeHtpasswd (re)writes an htpasswd file holding developer with the given
// password, hashed by `htpasswd -Bbn` (bcrypt, the only scheme distribution
// accepts). distribution re-reads the file when its mtime changes, which is
// how the stale-credentials scenarios rotate the password after login.
func writeHtpasswd(t testing.TB, path, password string) {
	t.Helper()
	requireBinaries(t, "htpasswd")
	out, err := exec.Command("htpasswd", "-Bbn", devUser, password).Output()
	if err != nil {
		t.Fatalf("htpasswd -Bbn: %v", err)
	}
	writeFile(t, path, strings.TrimSpace(string(out))+"\n")
}
