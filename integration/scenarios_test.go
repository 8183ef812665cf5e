//go:build integration

package integration

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// What answers at the scenario's address.
type serverKind int

const (
	directRegistry    serverKind = iota // docker-registry itself
	nginxBodyLimit                      // nginx with the default 1m client_max_body_size
	nginxMethodSplit                    // nginx sending GET to "group", the rest to empty "hosted"
	nginxPullOnly                       // nginx answering 405 to every method but GET and HEAD
	nginxRateLimited                    // nginx limiting manifest requests to 1/min; the minute's one is used up
	nginxDeadUpstream                   // nginx whose upstream is down: 502 Bad Gateway
	nginxWebUI                          // nginx serving an HTML page (a Nexus UI) on every path
	nginxClientVerify                   // nginx requiring client certificates from the client CA (ssl_verify_client on)
	nginxRSAKex                         // nginx with TLS 1.2 and RSA key exchange only (needs rsaCert)
	nginxTLS11                          // nginx with TLS 1.1 only
	nginxStorage                        // nginx redirecting blob downloads to "storage" on localhost, served by itself
	nginxStorageDown                    // nginx redirecting blob downloads to a closed port
	closedPortServer                    // nothing listens
	silentServer                        // accepts TCP, never answers
	blackholeServer                     // connection attempts get no answer
)

// Which certificate the registry serves.
type certKind int

const (
	plainHTTP certKind = iota
	goodCert
	expiredCert
	otherHostCert
	selfSignedCert
	rsaCert // goodCert's names and CA, with an RSA key
)

func (c certKind) pair(p *testPKI) *keyPair {
	switch c {
	case goodCert:
		return &p.good
	case expiredCert:
		return &p.expired
	case otherHostCert:
		return &p.otherHost
	case selfSignedCert:
		return &p.selfSigned
	case rsaCert:
		return &p.goodRSA
	}
	return nil
}

type authKind int

const (
	noAuth     authKind = iota
	basicAuth           // htpasswd
	bearerAuth          // token server
)

// What `skopeo login` planted in the auth file before the checks.
type credKind int

const (
	noCreds         credKind = iota
	devCreds                 // developer, right password
	staleCreds               // developer logged in, then the password was rotated server-side
	noRightsCreds            // norights: authenticates, but its tokens grant nothing
	podmanOnlyCreds          // developer, right password, but only in podman's auth.json (no docker login)
)

// Which client certificate the --cert-dir holds beside ca.crt.
type clientCertKind int

const (
	noClientCert    clientCertKind = iota
	validClientCert                // from the client CA servers accept
	otherCACert                    // from a CA no server accepts
)

type scenario struct {
	name string

	server serverKind
	cert   certKind
	auth   authKind
	creds  credKind

	repoTag string // default team/app:1.0.0
	certDir bool   // both clients get --cert-dir with the test CA
	// mtls makes the registry require client certificates from the
	// client CA; clientCert says which one the --cert-dir holds.
	mtls       bool
	clientCert clientCertKind
	verifyOff  bool // both clients get --tls-verify=false

	// realm, when set, replaces the token realm the registry advertises
	// (bearerAuth only); it gets the registry's public host:port. Nothing is
	// seeded then: no client gets as far as the content.
	realm func(t testing.TB, host string) string

	skopeoGlobal  []string // e.g. --override-arch s390x
	regdoctorArgs []string // e.g. --platform linux/s390x; --timeout defaults to 10s

	// wantCode is the error diagnosis regdoctor must report; "" means healthy.
	wantCode string
	// skopeoFails says whether `skopeo inspect` fails, and skopeoSays what it
	// prints then. Normally skopeoFails == (wantCode != ""); when a problem
	// only hits some clients, clientSpecific explains which one and why.
	skopeoFails    bool
	skopeoSays     string
	clientSpecific string

	// seed pushes more content, after the standard images (directRegistry).
	seed func(t *testing.T, s seeder)
	// before runs after the servers are up, before any client.
	// clientCheck proves the client-specific failure with another real
	// client before regdoctor runs; extra checks regdoctor's report beyond
	// the common assertions.
	before      func(t *testing.T, f *fixture)
	clientCheck func(t *testing.T, f *fixture)
	extra       func(t *testing.T, f *fixture, rep *report)
}

var scenarios = []scenario{
	// 1. plain HTTP registry.
	{name: "plain-http/default-tls", server: directRegistry, cert: plainHTTP,
		wantCode: "plain-http-registry", skopeoFails: true, skopeoSays: "server gave HTTP response to HTTPS client"},
	{name: "plain-http/tls-verify-false", server: directRegistry, cert: plainHTTP, verifyOff: true},

	// 2. HTTPS with the test CA.
	{name: "https/ca-in-cert-dir", server: directRegistry, cert: goodCert, certDir: true},
	{name: "https/ca-not-trusted", server: directRegistry, cert: goodCert,
		wantCode: "tls-unknown-authority", skopeoFails: true, skopeoSays: "certificate signed by unknown authority"},

	// 3. broken certificates (the CA is trusted, so only the named defect remains).
	{name: "https/expired-cert", server: directRegistry, cert: expiredCert, certDir: true,
		wantCode: "tls-cert-expired", skopeoFails: true, skopeoSays: "certificate has expired"},
	{name: "https/other-host-cert", server: directRegistry, cert: otherHostCert, certDir: true,
		wantCode: "tls-hostname-mismatch", skopeoFails: true, skopeoSays: "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"},
	{name: "https/self-signed-cert", server: directRegistry, cert: selfSignedCert, certDir: true,
		wantCode: "tls-unknown-authority", skopeoFails: true, skopeoSays: "certificate signed by unknown authority"},

	// 4. htpasswd Basic auth.
	{name: "basic/not-logged-in", server: directRegistry, cert: goodCert, certDir: true, auth: basicAuth,
		wantCode: "not-logged-in", skopeoFails: true, skopeoSays: "authentication required"},
	{name: "basic/logged-in", server: directRegistry, cert: goodCert, certDir: true, auth: basicAuth, creds: devCreds},
	{name: "basic/podman-login-only", server: directRegistry, cert: goodCert, certDir: true, auth: basicAuth, creds: podmanOnlyCreds,
		wantCode: "not-logged-in", skopeoFails: false,
		clientSpecific: "skopeo and podman read the auth.json that podman login wrote and pull; docker and containerd read only $DOCKER_CONFIG/config.json, have nothing, and are refused",
		extra:          wantClientVerdicts(map[string]string{"podman": "ok", "docker": "fails"})},
	{name: "basic/stale-password", server: directRegistry, cert: goodCert, certDir: true, auth: basicAuth, creds: staleCreds,
		wantCode: "bad-credentials", skopeoFails: true, skopeoSays: "authentication required"},

	// 5. Bearer tokens from a Nexus-like token server.
	{name: "bearer/anonymous", server: directRegistry, cert: goodCert, certDir: true, auth: bearerAuth,
		wantCode: "not-logged-in", skopeoFails: true, skopeoSays: "invalid status code from registry 403"},
	{name: "bearer/developer", server: directRegistry, cert: goodCert, certDir: true, auth: bearerAuth, creds: devCreds},
	{name: "bearer/stale-password", server: directRegistry, cert: goodCert, certDir: true, auth: bearerAuth, creds: staleCreds,
		wantCode: "bad-credentials", skopeoFails: true, skopeoSays: "invalid username/password"},
	{name: "bearer/no-rights", server: directRegistry, cert: goodCert, certDir: true, auth: bearerAuth, creds: noRightsCreds,
		wantCode: "access-denied", skopeoFails: true, skopeoSays: "requested access to the resource is denied"},

	// 6. wrong names.
	{name: "name/tag-with-v-prefix", server: directRegistry, cert: goodCert, certDir: true, repoTag: appRepo + ":v" + appTag,
		wantCode: "tag-not-found", skopeoFails: true, skopeoSays: "manifest unknown",
		extra: func(t *testing.T, f *fixture, rep *report) {
			d := rep.find("tag-not-found")
			text := strings.ReplaceAll(d.Detail+"\n"+strings.Join(d.Remediation, "\n"), "v"+appTag, "")
			if !strings.Contains(text, appTag) {
				t.Errorf("tag-not-found should point at the existing tag %q; detail=%q remediation=%q", appTag, d.Detail, d.Remediation)
			}
		}},
	{name: "name/missing-repository", server: directRegistry, cert: goodCert, certDir: true, repoTag: "team/nosuch:" + appTag,
		wantCode: "repository-not-found", skopeoFails: true, skopeoSays: "manifest unknown"},

	// 7. platforms of a multi-arch index.
	{name: "platform/available", server: directRegistry, cert: goodCert, certDir: true, repoTag: multiRepo + ":" + appTag,
		skopeoGlobal: []string{"--override-os", "linux", "--override-arch", "arm64"}, regdoctorArgs: []string{"--platform", "linux/arm64"}},
	{name: "platform/not-available", server: directRegistry, cert: goodCert, certDir: true, repoTag: multiRepo + ":" + appTag,
		skopeoGlobal: []string{"--override-os", "linux", "--override-arch", "s390x"}, regdoctorArgs: []string{"--platform", "linux/s390x"},
		wantCode: "platform-not-available", skopeoFails: true, skopeoSays: "no image found in image index for architecture s390x"},

	// 8. reverse proxies in front of the registry.
	// Judged for containerd too: podman GETs, and docker falls back to GET
	// on any HEAD failure, so for podman and docker alone the pull works
	// and the split is a warning.
	{name: "nginx/head-get-split", server: nginxMethodSplit, verifyOff: true, regdoctorArgs: []string{"--client", "podman,docker,containerd"},
		wantCode: "head-get-mismatch", skopeoFails: false,
		clientSpecific: "skopeo/podman pull read the manifest with GET (routed to the group that has it) and succeed; " +
			"clients that HEAD first (docker, containerd, crane digest, buildkit cache checks) get 404 from the empty hosted repository",
		clientCheck: assertHeadGetSplit},
	{name: "nginx/body-limit-pull-only", server: nginxBodyLimit, verifyOff: true},
	{name: "nginx/body-limit-push", server: nginxBodyLimit, verifyOff: true, regdoctorArgs: []string{"--push-check"},
		wantCode: "upload-too-large", skopeoFails: false,
		clientSpecific: "pulls are fine through the proxy; pushing a layer over 1 MiB fails with 413 (asserted with skopeo copy)",
		clientCheck:    pushFails("StatusCode: 413")},

	{name: "nginx/pull-only-pull", server: nginxPullOnly, verifyOff: true},
	{name: "nginx/pull-only-push", server: nginxPullOnly, verifyOff: true, regdoctorArgs: []string{"--push-check"},
		wantCode: "upload-refused", skopeoFails: false,
		clientSpecific: "a proxy that allows only pulls: inspect and pulls are fine; a push dies on its first request, POST /v2/REPO/blobs/uploads/, with 405 (asserted with skopeo copy)",
		clientCheck:    pushFails("StatusCode: 405")},
	{name: "nginx/rate-limited", server: nginxRateLimited, verifyOff: true, before: useUpPullQuota,
		wantCode: "rate-limited", skopeoFails: true, skopeoSays: "toomanyrequests: You have reached your pull rate limit."},
	{name: "nginx/upstream-down", server: nginxDeadUpstream, cert: goodCert, certDir: true,
		wantCode: "registry-misbehaving", skopeoFails: true, skopeoSays: `invalid status code from registry 502 \(Bad Gateway\)`},
	{name: "nginx/upstream-down-plain-http", server: nginxDeadUpstream, verifyOff: true,
		wantCode: "registry-misbehaving", skopeoFails: true, skopeoSays: `invalid status code from registry 502 \(Bad Gateway\)`},
	{name: "nginx/upstream-down-plain-http-default-tls", server: nginxDeadUpstream,
		wantCode: "registry-misbehaving", skopeoFails: true, skopeoSays: "server gave HTTP response to HTTPS client"},

	// 9. something other than the registry API answers.
	{name: "web-ui/plain-http", server: nginxWebUI, verifyOff: true,
		wantCode: "not-a-registry", skopeoFails: true, skopeoSays: "Error parsing manifest for image: invalid character '<' looking for beginning of value"},
	{name: "web-ui/default-tls", server: nginxWebUI,
		wantCode: "not-a-registry", skopeoFails: true, skopeoSays: "server gave HTTP response to HTTPS client"},
	{name: "web-ui/https", server: nginxWebUI, cert: goodCert, certDir: true,
		wantCode: "not-a-registry", skopeoFails: true, skopeoSays: "invalid character '<' looking for beginning of value"},

	// 10. token realms clients cannot use.
	{name: "realm/unreachable", server: directRegistry, cert: goodCert, certDir: true, auth: bearerAuth,
		realm:    func(t testing.TB, _ string) string { return "https://" + closedPort(t) + "/token" },
		wantCode: "token-realm-unreachable", skopeoFails: true, skopeoSays: `/token\?scope=[^"]*": dial tcp [0-9.:]+: connect: connection refused`},
	{name: "realm/null-scheme", server: directRegistry, cert: goodCert, certDir: true, auth: bearerAuth,
		realm:    func(_ testing.TB, host string) string { return "null://" + host + tokenPath },
		wantCode: "token-realm-misconfigured", skopeoFails: true, skopeoSays: `unsupported protocol scheme "null"`},

	// 11. mutual TLS: the registry itself (Go's TLS: the TLS 1.3 alert comes
	// on the first request), and nginx (OpenSSL: a 400 page).
	{name: "mtls/registry-no-client-cert", server: directRegistry, cert: goodCert, certDir: true, mtls: true,
		wantCode: "tls-client-cert-required", skopeoFails: true, skopeoSays: "remote error: tls: (certificate required|bad certificate)"},
	{name: "mtls/registry-client-cert", server: directRegistry, cert: goodCert, certDir: true, mtls: true, clientCert: validClientCert},
	{name: "mtls/registry-other-ca-cert", server: directRegistry, cert: goodCert, certDir: true, mtls: true, clientCert: otherCACert,
		wantCode: "tls-client-cert-required", skopeoFails: true, skopeoSays: "remote error: tls: (certificate required|bad certificate)",
		extra: detailSays("tls-client-cert-required", "issued by CN=an integration CA no server accepts", "accepts certificates issued by: CN=regdoctor integration client CA")},
	{name: "mtls/nginx-no-client-cert", server: nginxClientVerify, cert: goodCert, certDir: true,
		wantCode: "tls-client-cert-required", skopeoFails: true, skopeoSays: `pinging container registry [0-9.:]+: invalid status code from registry 400 \(Bad Request\)`},
	{name: "mtls/nginx-client-cert", server: nginxClientVerify, cert: goodCert, certDir: true, clientCert: validClientCert},

	// 12. TLS that Go clients no longer speak: an appliance left with RSA key
	// exchange only. skopeo 1.9.3 (containers/image offers ECDHE suites
	// only) fails as regdoctor says every client does.
	{name: "tls/rsa-key-exchange-only", server: nginxRSAKex, cert: rsaCert, certDir: true,
		wantCode: "tls-protocol-mismatch", skopeoFails: true, skopeoSays: "remote error: tls: handshake failure",
		extra: detailSays("tls-protocol-mismatch", "TLS 1.2 and TLS_RSA_WITH_AES_128_GCM_SHA256")},
	{name: "tls/rsa-certificate-ecdhe", server: nginxBodyLimit, cert: rsaCert, certDir: true},
	{name: "tls/tls-1.1-only", server: nginxTLS11, cert: goodCert, certDir: true,
		wantCode: "tls-protocol-mismatch", skopeoFails: false,
		clientSpecific: "skopeo 1.9.3 pulls: its containers/image (before 5.29) sets TLS 1.0 as the minimum; podman 5, docker, containerd and crane keep Go's TLS 1.2 minimum and fail, which is what regdoctor reports",
		extra:          detailSays("tls-protocol-mismatch", "TLS 1.1 only: Go clients require TLS 1.2")},

	// 13. blob downloads redirected to storage, as registries on S3 do.
	// skopeo inspect (without --raw) downloads the image configuration.
	{name: "storage/redirect-works", server: nginxStorage, cert: goodCert, certDir: true},
	{name: "storage/unreachable", server: nginxStorageDown, cert: goodCert, certDir: true,
		wantCode: "blob-storage-unreachable", skopeoFails: true, skopeoSays: `/storage/team/app/blobs/sha256:[0-9a-f]+\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=4f0c0ffee": dial tcp \[?[0-9a-f.:]+\]?:[0-9]+: connect: connection refused`,
		extra: detailSays("blob-storage-unreachable", "but sends blob downloads to https://localhost:", "X-Amz-Signature=REDACTED")},

	// 14. content that is no image: a Helm chart under an image's name.
	{name: "content/helm-chart", server: directRegistry, cert: goodCert, certDir: true, repoTag: "charts/app:1.0.0",
		seed:     func(t *testing.T, s seeder) { s.chart(t, "charts/app:1.0.0") },
		wantCode: "not-an-image", skopeoFails: true, skopeoSays: `unsupported image-specific operation on artifact with type "application/vnd.cncf.helm.config.v1\+json"`,
		extra: detailSays("not-an-image", "is a Helm chart (config application/vnd.cncf.helm.config.v1+json)")},

	// 15. nothing useful at the address.
	{name: "down/connection-refused", server: closedPortServer, certDir: true,
		wantCode: "connection-refused", skopeoFails: true, skopeoSays: "connection refused"},
	{name: "down/silent-server", server: silentServer, certDir: true,
		skopeoGlobal: []string{"--command-timeout", "5s"}, regdoctorArgs: []string{"--timeout", "3s"},
		wantCode: "server-not-responding", skopeoFails: true, skopeoSays: "context deadline exceeded"},
	// skopeo's dial and its --command-timeout context end together; which
	// error wins is a race, so it prints either.
	{name: "down/connect-timeout", server: blackholeServer, certDir: true,
		skopeoGlobal: []string{"--command-timeout", "5s"}, regdoctorArgs: []string{"--timeout", "3s"},
		wantCode: "connection-timeout", skopeoFails: true, skopeoSays: `v2/": (context deadline exceeded|dial tcp [0-9.:]+: i/o timeout)`},
}

func TestScenarios(t *testing.T) {
	requireBinaries(t, "docker-registry", "nginx", "skopeo", "htpasswd")
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t)
		})
	}
}

// fixture is what a scenario set up: the address to check, the isolated
// client environment, and the secrets that must never be printed.
type fixture struct {
	host    string
	url     string // scheme://host when a server answers there
	target  string
	env     *clientEnv
	tls     tlsOpts
	tokens  *tokenServer
	secrets []string
}

func (sc scenario) run(t *testing.T) {
	if sc.skopeoFails != (sc.wantCode != "") && sc.clientSpecific == "" {
		t.Fatalf("table error: skopeo outcome and regdoctor verdict disagree without a clientSpecific explanation")
	}
	f := sc.setup(t)
	if sc.before != nil {
		sc.before(t, f)
	}

	// The reference client first: this validates the fixture itself.
	sk := f.env.skopeoInspect(f.target, f.tls, sc.skopeoGlobal...)
	t.Logf("skopeo:\n%s", sk)
	switch {
	case sk.err != nil && !sc.skopeoFails:
		t.Fatalf("skopeo did not finish: %v", sk.err)
	case sc.skopeoFails && sk.exitCode == 0:
		t.Errorf("skopeo inspect succeeded, the fixture should make it fail with %q", sc.skopeoSays)
	case sc.skopeoFails && !regexp.MustCompile(sc.skopeoSays).MatchString(sk.message()):
		t.Errorf("skopeo failed, but not with %q", sc.skopeoSays)
	case !sc.skopeoFails && sk.exitCode != 0:
		t.Errorf("skopeo inspect failed, the fixture should let it pull")
	}
	if sc.clientCheck != nil {
		sc.clientCheck(t, f)
	}
	if sc.clientSpecific != "" {
		t.Logf("client-specific: %s", sc.clientSpecific)
	}

	rep, res := f.env.regdoctorJSON(t, f.target, sc.regdoctorFlags(f)...)
	t.Logf("regdoctor:\n%s", res)
	if len(f.secrets) > 0 {
		t.Run("no-secrets-in-output", func(t *testing.T) { f.assertNoSecrets(t, sc, res) })
	}
	problems := verdictProblems(sc.wantCode, rep, res)
	for _, p := range problems {
		t.Error(p)
	}
	if sc.extra != nil && len(problems) == 0 {
		sc.extra(t, f, rep)
	}
}

// verdictProblems lists how regdoctor's verdict differs from the expected
// one: with wantCode "" exit 0, healthy=true and no error (warnings only
// those allowed);
// otherwise exit 1, healthy=false and wantCode as the only error.
func verdictProblems(wantCode string, rep *report, res cmdResult, allowedWarnings ...string) []string {
	var out []string
	if wantCode == "" {
		// The pull works: healthy and exit 0, warnings or not.
		if res.exitCode != 0 || !rep.Healthy {
			out = append(out, fmt.Sprintf("want exit 0 and healthy=true, got exit %d healthy=%v", res.exitCode, rep.Healthy))
		}
		var bad []string
		for _, d := range rep.Diagnoses {
			if d.Severity == "error" || (d.Severity == "warning" && !slices.Contains(allowedWarnings, d.Code)) {
				bad = append(bad, d.Code+"("+d.Severity+")")
			}
		}
		if len(bad) > 0 {
			out = append(out, fmt.Sprintf("healthy target got diagnoses %v", bad))
		}
		return out
	}
	if res.exitCode != 1 || rep.Healthy {
		out = append(out, fmt.Sprintf("want exit 1 and healthy=false with an error diagnosis, got exit %d healthy=%v", res.exitCode, rep.Healthy))
	}
	d := rep.find(wantCode)
	switch {
	case d == nil:
		out = append(out, fmt.Sprintf("want diagnosis %q, got %v", wantCode, rep.ofSeverity("error", "warning", "info")))
	case d.Severity != "error":
		out = append(out, fmt.Sprintf("diagnosis %q has severity %q, want error", wantCode, d.Severity))
	}
	var others []string
	for _, o := range rep.Diagnoses {
		if o.Severity == "error" && o.Code != wantCode {
			others = append(others, o.Code)
		}
	}
	if len(others) > 0 {
		out = append(out, fmt.Sprintf("want %q as the only error, regdoctor also reports %v", wantCode, others))
	}
	return out
}

// judgedClients are the clients regdoctor judges in every scenario, fixed
// so that the verdict does not depend on what is installed: podman stands
// for skopeo (same containers/image configuration), docker for the
// HEAD-first clients with their own credential file.
const judgedClients = "podman,docker"

func (sc scenario) regdoctorFlags(f *fixture) []string {
	flags := []string{"--timeout", "10s", "--client", judgedClients}
	flags = append(flags, f.tls.flags("")...)
	return append(flags, sc.regdoctorArgs...) // a later --timeout overrides
}

// setup starts the servers, seeds content and plants credentials.
func (sc scenario) setup(t *testing.T) *fixture {
	t.Helper()
	pki := sharedPKI(t)
	f := &fixture{env: newClientEnv(t), tls: tlsOpts{verifyOff: sc.verifyOff}}
	if sc.certDir {
		f.tls.certDir = map[clientCertKind]string{noClientCert: pki.certDir, validClientCert: pki.certDirClient, otherCACert: pki.certDirOther}[sc.clientCert]
	}
	repoTag := sc.repoTag
	if repoTag == "" {
		repoTag = appRepo + ":" + appTag
	}

	var rotatePassword func()
	switch sc.server {
	case closedPortServer:
		f.host = closedPort(t)
	case silentServer:
		f.host = startSilentListener(t)
	case blackholeServer:
		f.host = startBlackhole(t)
	case directRegistry:
		opts := registryOpts{tls: sc.cert.pair(pki)}
		if sc.mtls {
			opts.clientCAs = pki.clientCA.certFile
		}
		var seedAuth authn.Authenticator
		switch sc.auth {
		case basicAuth:
			htpasswd := filepath.Join(t.TempDir(), "htpasswd")
			writeHtpasswd(t, htpasswd, devPassword)
			opts.htpasswd = htpasswd
			rotatePassword = func() { writeHtpasswd(t, htpasswd, devNewPassword) }
		case bearerAuth:
			if sc.cert != goodCert {
				t.Fatalf("table error: the bearer front always serves the good certificate")
			}
			f.tokens = startTokenServer(t)
			opts.token = f.tokens.auth()
			if sc.realm != nil {
				opts.token.realm = sc.realm(t, f.tokens.host())
			}
			opts.tls = nil // the front terminates TLS
			rotatePassword = func() { f.tokens.setPassword(devUser, devNewPassword) }
		}
		if sc.auth != noAuth {
			seedAuth = &authn.Basic{Username: devUser, Password: devPassword}
		}
		reg := startRegistry(t, opts)
		if f.tokens != nil {
			reg = f.tokens.front(reg)
		}
		if sc.realm == nil {
			seeder{reg: reg, auth: seedAuth}.standard(t)
		}
		if sc.seed != nil {
			sc.seed(t, seeder{reg: reg, auth: seedAuth})
		}
		f.host, f.url = reg.host, reg.url
	default: // behind nginx
		site := sc.site(t)
		site.tls = sc.cert.pair(pki)
		n := startNginx(t, site)
		f.host, f.url = n.host, n.url
	}
	f.target = f.host + "/" + repoTag

	user, password, login := devUser, devPassword, f.env.login
	switch sc.creds {
	case noCreds:
		return f
	case noRightsCreds:
		user, password = noRightsUser, noRightsPass
	case podmanOnlyCreds:
		login = f.env.podmanLogin
	}
	login(t, f.host, user, password, f.tls)
	f.addSecret(user, password)
	if sc.creds == staleCreds {
		rotatePassword()
		f.addSecret(devUser, devNewPassword)
	}
	return f
}

// detailSays checks that code's diagnosis names every one of want.
func detailSays(code string, want ...string) func(*testing.T, *fixture, *report) {
	return func(t *testing.T, _ *fixture, rep *report) {
		d := rep.find(code)
		for _, w := range want {
			if !strings.Contains(d.Detail, w) {
				t.Errorf("%s detail should say %q: %q", code, w, d.Detail)
			}
		}
	}
}

// site starts (and seeds) what the scenario's nginx proxies to and returns
// the nginx site config.
func (sc scenario) site(t *testing.T) nginxSite {
	switch sc.server {
	case nginxMethodSplit:
		hosted := startRegistry(t, registryOpts{}) // empty, like a fresh Nexus hosted repo
		return methodSplitSite(hosted, seededRegistry(t))
	case nginxPullOnly:
		return pullOnlySite(seededRegistry(t))
	case nginxRateLimited:
		return rateLimitSite(seededRegistry(t))
	case nginxDeadUpstream:
		return deadUpstreamSite(closedPort(t))
	case nginxWebUI:
		return nexusUISite()
	case nginxBodyLimit:
		return bodyLimitSite(seededRegistry(t))
	case nginxClientVerify:
		return clientVerifySite(seededRegistry(t), sharedPKI(t).clientCA.certFile)
	case nginxStorage:
		return storageRedirectSite(seededRegistry(t), "https://localhost:$server_port")
	case nginxStorageDown:
		return storageRedirectSite(seededRegistry(t), "https://localhost:"+strings.Split(closedPort(t), ":")[1])
	case nginxTLS11:
		return proxySite(seededRegistry(t).host, `
    ssl_protocols TLSv1.1;
    ssl_ciphers DEFAULT:@SECLEVEL=0;`)
	case nginxRSAKex:
		return proxySite(seededRegistry(t).host, `
    ssl_protocols TLSv1.2;
    ssl_ciphers AES128-GCM-SHA256:AES256-GCM-SHA384;`)
	}
	t.Fatalf("table error: server kind %d is not behind nginx", sc.server)
	return nginxSite{}
}

// seededRegistry is a plain HTTP registry with the standard content.
func seededRegistry(t *testing.T) *registry {
	reg := startRegistry(t, registryOpts{})
	seeder{reg: reg}.standard(t)
	return reg
}

func (f *fixture) addSecret(user, password string) {
	f.secrets = append(f.secrets, password,
		base64.StdEncoding.EncodeToString([]byte(user+":"+password)),
		base64.RawStdEncoding.EncodeToString([]byte(user+":"+password)),
		base64.URLEncoding.EncodeToString([]byte(user+":"+password)))
}

// assertNoSecrets checks the JSON run and a human-format run of the same
// check for any planted password, its base64 user:pass form, or any bearer
// token the token server issued during the scenario.
func (f *fixture) assertNoSecrets(t *testing.T, sc scenario, jsonRun cmdResult) {
	human := f.env.regdoctorCheck(t, f.target, sc.regdoctorFlags(f)...)
	if human.err != nil {
		t.Fatalf("regdoctor (human output) did not finish:\n%s", human)
	}
	secrets := append([]string(nil), f.secrets...)
	if f.tokens != nil {
		for _, tok := range f.tokens.issuedTokens() {
			secrets = append(secrets, tok, tok[strings.LastIndex(tok, ".")+1:]) // whole JWT and its signature
		}
	}
	for _, run := range []cmdResult{jsonRun, human} {
		out := run.stdout + "\n" + run.stderr
		var leaked []string
		for _, s := range secrets {
			if strings.Contains(out, s) {
				leaked = append(leaked, fmt.Sprintf("%.6s...", s))
				out = strings.ReplaceAll(out, s, "<SECRET>")
			}
		}
		if len(leaked) > 0 {
			t.Errorf("%s printed secrets %v; output with them masked:\n%s", strings.Join(run.argv, " "), leaked, out)
		}
	}
}

// pushFails proves that a real client's push through the proxy fails, with
// want in its error: skopeo copies a 3 MiB-layer image into it.
func pushFails(want string) func(t *testing.T, f *fixture) {
	return func(t *testing.T, f *fixture) {
		img := randomImage(t, 3<<20, seedPlatforms[0])
		src := writeLayout(t, img, "big")
		res := f.env.skopeo(nil, append(append([]string{"copy", "--dest-authfile", f.env.authFile}, f.tls.flags("dest-")...),
			"oci:"+src+":big", "docker://"+f.host+"/team/pushed:big")...)
		t.Logf("skopeo copy:\n%s", res)
		if res.exitCode == 0 || !strings.Contains(res.stderr, want) {
			t.Errorf("want skopeo copy through the proxy to fail with %q", want)
		}
	}
}

// send makes one request as a bare HTTP client would (test CA trusted, no
// proxy, no credentials, the manifest Accept header) and returns the status.
func (f *fixture) send(t *testing.T, method, path string) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: sharedPKI(t).pool}}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(method, f.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", acceptAll)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// assertHeadGetSplit shows what a HEAD-first client sees through the proxy:
// HEAD on the manifest is 404 (hosted), GET is 200 (group).
func assertHeadGetSplit(t *testing.T, f *fixture) {
	path := "/v2/" + appRepo + "/manifests/" + appTag
	for method, want := range map[string]int{http.MethodHead: http.StatusNotFound, http.MethodGet: http.StatusOK} {
		if got := f.send(t, method, path); got != want {
			t.Errorf("%s %s%s through the method-split proxy: %d, want %d", method, f.url, path, got, want)
		}
	}
}

// wantClientVerdicts checks regdoctor's verdict per judged client.
func wantClientVerdicts(want map[string]string) func(t *testing.T, f *fixture, rep *report) {
	return func(t *testing.T, _ *fixture, rep *report) {
		got := map[string]string{}
		for _, c := range rep.Clients {
			got[c.Name] = c.Verdict
		}
		if !maps.Equal(got, want) {
			t.Errorf("client verdicts %v, want %v", got, want)
		}
	}
}

// useUpPullQuota pulls the manifest once, as an earlier pull would, so the
// rate limiter's allowance for the minute is gone before the clients ask.
func useUpPullQuota(t *testing.T, f *fixture) {
	path := "/v2/" + appRepo + "/manifests/" + appTag
	if got := f.send(t, http.MethodGet, path); got != http.StatusOK {
		t.Fatalf("first GET %s%s through the rate limiter: %d, want 200", f.url, path, got)
	}
	if got := f.send(t, http.MethodGet, path); got != http.StatusTooManyRequests {
		t.Fatalf("second GET %s%s through the rate limiter: %d, want 429", f.url, path, got)
	}
}
