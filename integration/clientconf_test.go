//go:build integration

package integration

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClientConfig plants the clients' own configuration (registries.conf, a
// cert dir) and checks that skopeo, podman where skopeo cannot tell, and
// regdoctor read it the same way. Both clients get the same files:
// registries.conf through $CONTAINERS_REGISTRIES_CONF (regdoctor, podman) and
// --registries-conf (skopeo 1.9.3 ignores the variable); regdoctor always
// runs with `--client podman --sysroot EMPTY` so that the machine's /etc
// cannot change its verdict.
//
// In the strings of a row, HOST stands for the registry's 127.0.0.1:PORT,
// CONF for the planted registries.conf and DROPIN for the user's drop-in.
type confScenario struct {
	name string

	cert    certKind                              // plainHTTP or goodCert (CA via --cert-dir)
	conf    string                                // registries.conf content
	dropIn  string                                // ~/.config/containers/registries.conf.d/50-test.conf, if set
	certDir func(t *testing.T, p *testPKI) string // --cert-dir for both; nil: the suite's ca.crt dir for HTTPS
	ref     string                                // what both clients ask for; default HOST/team/app:1.0.0
	// userCerts plants the test CA at these paths under
	// ~/.config/containers/certs.d, and then neither client gets --cert-dir.
	userCerts []string
	verifyOff bool // --tls-verify=false for both

	// skopeoSays is what `skopeo inspect` fails with; "" means it succeeds.
	skopeoSays string
	// wantCode is regdoctor's only error diagnosis; "" means healthy.
	wantCode string
	// wantInfo and wantWarning are a diagnosis a healthy run still
	// reports, at severity info or warning.
	wantInfo, wantWarning string
	// mirror starts a second, empty registry over HTTPS; MIRROR stands for
	// its 127.0.0.1:PORT.
	mirror bool
	// podmanOK: podman's verdict is ok although wantCode is an error (the
	// error hits the registry, and podman pulls through a mirror). DEAD
	// stands for a closed 127.0.0.1 port.
	podmanOK bool
	// extra runs last, with every client's result in f.
	extra func(t *testing.T, f *confFixture)
}

var confScenarios = []confScenario{
	// Issue case 1: podman's answer to a plain-HTTP registry, an insecure
	// entry. skopeo needs no --tls-verify=false then, and regdoctor
	// downgrades plain-http-registry to info.
	{name: "insecure-entry/plain-http", cert: plainHTTP,
		conf:     "[[registry]]\nlocation = \"HOST\"\ninsecure = true\n",
		wantInfo: "plain-http-registry",
		extra:    assertVerdictReason(`insecure = true for "HOST" in CONF`)},
	// Its control: the same registry and flags, no entry. (TestScenarios'
	// plain-http/default-tls covers the outcome; this row pins the
	// per-client verdict under --client podman --sysroot.)
	{name: "insecure-entry/absent", cert: plainHTTP,
		skopeoSays: "server gave HTTP response to HTTPS client", wantCode: "plain-http-registry"},

	// Issue case 3: a short name through unqualified-search-registries.
	// regdoctor resolves it as podman does. skopeo cannot confirm it: its docker://
	// transport normalizes team/app to docker.io/team/app and never reads
	// the search list, so it goes to registry-1.docker.io (and meets the
	// closed loopback proxy, see offlineProxy). podman pull is the client
	// that resolves short names, and it confirms the resolution.
	{name: "short-name/search-registries", cert: plainHTTP, verifyOff: true,
		conf:       "unqualified-search-registries = [\"HOST\"]\n",
		ref:        appRepo + ":" + appTag,
		skopeoSays: skopeoGoesToDockerHub,
		extra:      assertShortNameResolved("CONF")},
	// The same search list in a drop-in of the user's registries.conf.d,
	// next to an empty $CONTAINERS_REGISTRIES_CONF file: podman reads the
	// user's drop-ins too; regdoctor did not until clientconf was fixed to
	// follow containers/image.
	{name: "short-name/user-drop-in", cert: plainHTTP, verifyOff: true,
		dropIn:     "unqualified-search-registries = [\"HOST\"]\n",
		ref:        appRepo + ":" + appTag,
		skopeoSays: skopeoGoesToDockerHub,
		extra:      assertShortNameResolved("DROPIN")},

	// Issue case 4: a registries.conf that does not parse (unterminated
	// array): every containers/image client refuses to run, whatever the
	// registry.
	{name: "registries-conf/does-not-parse", cert: goodCert,
		conf:       "unqualified-search-registries = [\"HOST\"\n[[registry]]\nlocation = \"HOST\"\n",
		skopeoSays: `loading registries configuration "CONF": toml: line 2 (last key "unqualified-search-registries"): expected a comma`,
		wantCode:   "config-invalid",
		extra:      assertDetailSays("config-invalid", "CONF", "line 2")},

	// The user's certs.d, read by default: the CA where it belongs, and
	// two places containers/image does not read, which regdoctor must
	// name. (Shadowing of /etc/containers/certs.d by the user's directory
	// is unit-tested: skopeo cannot be pointed at another /etc.)
	{name: "certs-d/user-dir", cert: goodCert, userCerts: []string{"HOST/ca.crt"}},
	{name: "certs-d/ca-in-root", cert: goodCert, userCerts: []string{"company-ca.crt"},
		skopeoSays: "certificate signed by unknown authority", wantCode: "tls-unknown-authority",
		extra: assertDetailSays("tls-unknown-authority", "The CA that signs it is in USERCERTS/company-ca.crt", "certificates directly in USERCERTS are not read")},
	{name: "certs-d/pem-extension", cert: goodCert, userCerts: []string{"HOST/ca.pem"},
		skopeoSays: "certificate signed by unknown authority", wantCode: "tls-unknown-authority",
		extra: assertDetailSays("tls-unknown-authority", "The CA that signs it is in USERCERTS/HOST/ca.pem", "only files ending in .crt are read")},

	// A mirror that answers but lacks the image: containers/image asks it
	// first, gets 404 and falls back to the registry, so skopeo pulls;
	// regdoctor warns that every pull takes the detour.
	{name: "mirror/lacks-the-image", cert: goodCert, mirror: true,
		conf:        "[[registry]]\nlocation = \"HOST\"\n[[registry.mirror]]\nlocation = \"MIRROR/cache\"\n",
		wantWarning: "mirror-failing",
		extra:       assertDetailSays("mirror-failing", "Mirror https://MIRROR (configured in CONF) answers but has no cache/team/app:1.0.0")},

	// The registry is down, and its mirror has the image: skopeo pulls
	// through the mirror; regdoctor reports the dead registry as the error
	// it is (pushes and clients without the mirror fail) and podman's
	// verdict as ok.
	{name: "mirror/serves-a-dead-registry", cert: goodCert, podmanOK: true,
		conf:     "[[registry]]\nlocation = \"DEAD\"\n[[registry.mirror]]\nlocation = \"HOST\"\n",
		ref:      "DEAD/" + appRepo + ":" + appTag,
		wantCode: "connection-refused",
		extra:    assertDetailSays("mirror-failing", "DEAD fails, but mirror https://HOST (configured in CONF) answers, and has the image")},

	// Issue case 5: a cert dir with the right CA and a client key without
	// its certificate.
	{name: "cert-dir/lone-client-key", cert: goodCert, certDir: certDirWithLoneKey,
		skopeoSays: "missing client certificate client.cert for key client.key",
		wantCode:   "certs-dir-invalid",
		extra:      assertDetailSays("certs-dir-invalid", "client.cert", "client.key")},
}

func TestClientConfig(t *testing.T) {
	requireBinaries(t, "docker-registry", "skopeo")
	for _, sc := range confScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t)
		})
	}
}

// confFixture is one row's setup and what each client made of it.
type confFixture struct {
	host     string
	ref      string
	env      *clientEnv
	tls      tlsOpts
	expand   *strings.Replacer // HOST and CONF
	skopeo   cmdResult
	report   *report
	verdicts *clientVerdicts
}

// clientVerdicts are the parts of regdoctor's JSON report about the clients.
type clientVerdicts struct {
	Clients   []clientVerdict `json:"clients"`
	ShortName *struct {
		Input    string `json:"input"`
		Resolved string `json:"resolved"`
		Via      string `json:"via"`
		File     string `json:"file"`
	} `json:"short_name"`
}

func (sc confScenario) run(t *testing.T) {
	pki := sharedPKI(t)
	reg := startRegistry(t, registryOpts{tls: sc.cert.pair(pki)})
	seeder{reg: reg}.image(t, appRepo+":"+appTag, 1024)

	env := newClientEnv(t)
	mirror := "no-mirror"
	if sc.mirror {
		mirror = startRegistry(t, registryOpts{tls: &pki.good}).host
	}
	dropIn := filepath.Join(env.home(), ".config", "containers", "registries.conf.d", "50-test.conf")
	f := &confFixture{
		host: reg.host,
		env:  env.withEnv(offlineProxy(t)...),
		tls:  tlsOpts{verifyOff: sc.verifyOff},
		expand: strings.NewReplacer("HOST", reg.host, "MIRROR", mirror, "DEAD", closedPort(t), "CONF", env.regConf, "DROPIN", dropIn,
			"USERCERTS", filepath.Join(env.home(), ".config", "containers", "certs.d")),
	}
	writeFile(t, env.regConf, f.expand.Replace(sc.conf))
	if sc.dropIn != "" {
		writeFile(t, dropIn, f.expand.Replace(sc.dropIn))
	}
	caPEM, err := os.ReadFile(pki.caFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range sc.userCerts {
		writeFile(t, f.expand.Replace("USERCERTS/"+p), string(caPEM))
	}
	switch {
	case sc.certDir != nil:
		f.tls.certDir = sc.certDir(t, pki)
	case sc.cert != plainHTTP && sc.userCerts == nil:
		f.tls.certDir = pki.certDir
	}
	f.ref = f.host + "/" + appRepo + ":" + appTag
	if sc.ref != "" {
		f.ref = f.expand.Replace(sc.ref)
	}

	f.skopeo = f.env.skopeoInspect(f.ref, f.tls)
	t.Logf("skopeo:\n%s", f.skopeo)
	stderr := f.skopeo.message()
	switch says := f.expand.Replace(sc.skopeoSays); {
	case f.skopeo.err != nil:
		t.Fatalf("skopeo did not finish: %v", f.skopeo.err)
	case says == "" && f.skopeo.exitCode != 0:
		t.Errorf("skopeo inspect failed, the configuration should let it pull")
	case says != "" && f.skopeo.exitCode == 0:
		t.Errorf("skopeo inspect succeeded, the configuration should make it fail with %q", says)
	case says != "" && !strings.Contains(stderr, says):
		t.Errorf("skopeo failed, but not with %q", says)
	}

	args := append([]string{"--timeout", "10s", "--client", "podman", "--sysroot", t.TempDir()}, f.tls.flags("")...)
	rep, res := f.env.regdoctorJSON(t, f.ref, args...)
	t.Logf("regdoctor:\n%s", res)
	f.report = rep
	f.verdicts = &clientVerdicts{}
	if err := json.Unmarshal([]byte(res.stdout), f.verdicts); err != nil {
		t.Fatalf("decode clients/short_name: %v", err)
	}

	var warnings []string
	if sc.wantWarning != "" {
		warnings = append(warnings, sc.wantWarning)
	}
	for _, p := range verdictProblems(sc.wantCode, rep, res, warnings...) {
		t.Error(p)
	}
	wantVerdict := "ok"
	if sc.wantCode != "" && !sc.podmanOK {
		wantVerdict = "fails"
	}
	for code, sev := range map[string]string{sc.wantInfo: "info", sc.wantWarning: "warning"} {
		if d := rep.find(code); code != "" && (d == nil || d.Severity != sev) {
			t.Errorf("want %s at severity %s, got %v", code, sev, rep.ofSeverity("error", "warning", "info"))
		}
	}
	if c := f.verdicts.Clients; len(c) != 1 || c[0].Name != "podman" || c[0].Verdict != wantVerdict {
		t.Errorf("clients = %+v, want exactly podman %s", c, wantVerdict)
	}
	if sc.extra != nil {
		sc.extra(t, f)
	}
}

// home is the isolated $HOME.
func (e *clientEnv) home() string {
	for _, kv := range slices.Backward(e.vars) {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			return v
		}
	}
	panic("clientEnv without HOME")
}

// withEnv returns a copy of e whose commands also get vars; a variable set
// here overrides the one e already has.
func (e *clientEnv) withEnv(vars ...string) *clientEnv {
	c := *e
	c.vars = append(slices.Clone(e.vars), vars...)
	return &c
}

// offlineProxy points every client's HTTP(S) proxy at a closed loopback
// port. Go never proxies loopback, so the test registries are reached
// directly, while a request for any other host (skopeo's docker.io for a
// short name) fails at once with "proxyconnect ... connection refused"
// instead of leaving the machine.
func offlineProxy(t *testing.T) []string {
	proxy := "http://" + closedPort(t)
	return []string{"HTTP_PROXY=" + proxy, "HTTPS_PROXY=" + proxy, "http_proxy=" + proxy, "https_proxy=" + proxy}
}

// certDirWithLoneKey is a cert dir with the test CA and a client.key whose
// client.cert is missing.
func certDirWithLoneKey(t *testing.T, p *testPKI) string {
	dir := t.TempDir()
	ca, err := os.ReadFile(filepath.Join(p.certDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ca.crt"), string(ca))
	key, err := ecKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := writePEM(filepath.Join(dir, "client.key"), "PRIVATE KEY", der); err != nil {
		t.Fatal(err)
	}
	return dir
}

// assertDetailSays checks that diagnosis code's detail names every want.
func assertDetailSays(code string, want ...string) func(*testing.T, *confFixture) {
	return func(t *testing.T, f *confFixture) {
		d := f.report.find(code)
		if d == nil {
			return // already reported
		}
		for _, w := range want {
			if w = f.expand.Replace(w); !strings.Contains(d.Detail, w) {
				t.Errorf("%s detail should name %q: %q", code, w, d.Detail)
			}
		}
	}
}

// assertVerdictReason checks that podman's verdict cites the setting.
func assertVerdictReason(want string) func(*testing.T, *confFixture) {
	return func(t *testing.T, f *confFixture) {
		want := f.expand.Replace(want)
		if c := f.verdicts.Clients; len(c) == 0 || !strings.Contains(c[0].Reason, want) {
			t.Errorf("podman's verdict should cite %q, got %+v", want, c)
		}
	}
}

// skopeoGoesToDockerHub is how skopeo 1.9.3 fails on the short name: its
// docker:// transport made it docker.io/team/app.
const skopeoGoesToDockerHub = `Error parsing image name "docker://` + appRepo + ":" + appTag + `": pinging container registry registry-1.docker.io`

// assertShortNameResolved checks regdoctor's resolution through the search
// list in file (CONF or DROPIN), that skopeo never asked the local registry,
// and confirms the resolution with podman pull.
func assertShortNameResolved(file string) func(*testing.T, *confFixture) {
	return func(t *testing.T, f *confFixture) { shortNameResolved(t, f, f.expand.Replace(file)) }
}

func shortNameResolved(t *testing.T, f *confFixture, conf string) {
	if strings.Contains(f.skopeo.stdout+f.skopeo.stderr, f.host) {
		t.Errorf("skopeo contacted %s: it is not expected to resolve short names", f.host)
	}
	if f.report.Registry != f.host || f.report.Repository != appRepo {
		t.Errorf("regdoctor checked %s/%s, want %s/%s", f.report.Registry, f.report.Repository, f.host, appRepo)
	}
	sn := f.verdicts.ShortName
	if sn == nil || sn.Input != appRepo || sn.Resolved != f.host+"/"+appRepo || sn.Via != "unqualified-search-registries" || sn.File != conf {
		t.Errorf("short_name = %+v, want %s -> %s/%s via unqualified-search-registries in %s", sn, appRepo, f.host, appRepo, conf)
	}

	requireBinaries(t, "podman")
	pull := f.env.podman(t, append(append([]string{"pull"}, f.tls.flags("")...), f.ref)...)
	t.Logf("podman:\n%s", pull)
	for _, want := range []string{
		fmt.Sprintf("Resolving %q using unqualified-search registries (%s)", appRepo, conf),
		"Trying to pull " + f.host + "/" + appRepo + ":" + appTag,
	} {
		if !strings.Contains(pull.stderr, want) {
			t.Errorf("podman pull should say %q", want)
		}
	}
	if pull.err != nil || pull.exitCode != 0 {
		t.Errorf("podman pull %s failed", f.ref)
	}
}

const podmanTimeout = 60 * time.Second

// podman runs `podman ARGS...` as a throwaway instance: storage (vfs),
// state and network configuration in a temp dir, no containers.conf or
// storage.conf from the machine, no events, the suite's signature policy.
// Only pulls are expected to work; nothing is run.
func (e *clientEnv) podman(t *testing.T, args ...string) cmdResult {
	t.Helper()
	return e.podmanWithin(t, podmanTimeout, args...)
}

// podmanWithin is podman, killed after timeout.
func (e *clientEnv) podmanWithin(t *testing.T, timeout time.Duration, args ...string) cmdResult {
	t.Helper()
	dir := t.TempDir()
	// podman refuses a runroot longer than 50 characters; t.TempDir's are.
	runRoot, err := os.MkdirTemp("", "podman-run-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runRoot) })
	root := filepath.Join(dir, "root")
	storageConf := filepath.Join(dir, "storage.conf")
	writeFile(t, storageConf, fmt.Sprintf("[storage]\ndriver = \"vfs\"\nrunroot = %q\ngraphroot = %q\n", runRoot, root))
	containersConf := filepath.Join(dir, "containers.conf")
	writeFile(t, containersConf, "")
	// podman insists that the auth file it is pointed at (by
	// $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json) exists: without
	// planted credentials it gets an empty one.
	authFile := e.authFile
	if _, err := os.Stat(authFile); err != nil {
		authFile = filepath.Join(dir, "auth.json")
		writeFile(t, authFile, `{"auths":{}}`)
	}
	pe := e.withEnv("CONTAINERS_CONF="+containersConf, "CONTAINERS_STORAGE_CONF="+storageConf, "REGISTRY_AUTH_FILE="+authFile)
	argv := []string{"podman", "--root", root, "--runroot", runRoot, "--tmpdir", filepath.Join(dir, "tmp"),
		"--network-config-dir", filepath.Join(dir, "net"), "--storage-driver", "vfs",
		"--cgroup-manager", "cgroupfs", "--events-backend", "none"}
	if len(args) > 0 && args[0] == "pull" {
		args = append([]string{"pull", "--signature-policy", e.policy}, args[1:]...)
	}
	return pe.run(timeout, append(argv, args...)...)
}
