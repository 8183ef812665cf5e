package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// These tests plant client configuration in temporary directories, found
// through the environment variables the clients honour (and --sysroot for
// /etc), and check the verdicts regdoctor gives for each client.

type clientReport struct {
	Healthy   bool `json:"healthy"`
	Registry  string
	Diagnoses []struct {
		Code        string   `json:"code"`
		Severity    string   `json:"severity"`
		Title       string   `json:"title"`
		Detail      string   `json:"detail"`
		Remediation []string `json:"remediation"`
	} `json:"diagnoses"`
	Clients []struct {
		Name    string `json:"name"`
		Verdict string `json:"verdict"`
		Reason  string `json:"reason"`
	} `json:"clients"`
	ShortName *struct {
		Resolved string `json:"resolved"`
		Via      string `json:"via"`
		File     string `json:"file"`
	} `json:"short_name"`
	Checks []struct {
		ID       string          `json:"id"`
		Evidence json.RawMessage `json:"evidence"`
	} `json:"checks"`
	ClientsSkipped json.RawMessage `json:"clients_skipped"`
}

// evidence is the raw evidence of check id.
func (r clientReport) evidence(id string) json.RawMessage {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Evidence
		}
	}
	return nil
}

func (r clientReport) severity(code string) string {
	for _, d := range r.Diagnoses {
		if d.Code == code {
			return d.Severity
		}
	}
	return ""
}

// isolate points every client location at empty temporary directories.
func isolateClients(t *testing.T) (home, root string) {
	t.Helper()
	home, root = t.TempDir(), t.TempDir()
	// DOCKER_CONFIG is left unset: set without a config.json in it, it
	// makes podman refuse to run (its default --authfile).
	for k, v := range map[string]string{"HOME": home, "XDG_RUNTIME_DIR": filepath.Join(home, "run"), "DOCKER_CONFIG": "",
		"REGISTRY_AUTH_FILE": "", "CONTAINERS_REGISTRIES_CONF": "", "NO_COLOR": "1"} {
		t.Setenv(k, v)
	}
	return home, root
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkJSON runs `regdoctor check -o json` and decodes the report.
func checkJSON(t *testing.T, args ...string) (clientReport, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runCLI(append([]string{"check", "-o", "json", "--timeout", "5s"}, args...), &out, &errOut)
	var r clientReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("exit %d, stderr %q: %v\n%s", code, errOut.String(), err, out.String())
	}
	return r, code
}

func TestPlainHTTPWithInsecureIsHealthyForPodman(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "plain-http")
	conf := writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), "[[registry]]\nlocation = \""+reg.Host+"\"\ninsecure = true\n")
	t.Setenv("CONTAINERS_REGISTRIES_CONF", conf)
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, reg.Target)
	if code != 0 || !r.Healthy {
		t.Fatalf("want healthy under podman with insecure = true, got exit %d %+v", code, r.Diagnoses)
	}
	if got := r.severity("plain-http-registry"); got != "info" {
		t.Errorf("plain-http-registry severity %q, want info", got)
	}
	if len(r.Clients) != 1 || r.Clients[0].Verdict != "ok" {
		t.Errorf("want podman ok, got %+v", r.Clients)
	}
	// Without the entry podman fails.
	t.Setenv("CONTAINERS_REGISTRIES_CONF", writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), ""))
	r, code = checkJSON(t, "--client", "podman", "--sysroot", root, reg.Target)
	if code != 1 || r.severity("plain-http-registry") != "error" || r.Clients[0].Verdict != "fails" {
		t.Errorf("without insecure = true want an error and podman failing, got exit %d %+v %+v", code, r.Diagnoses, r.Clients)
	}
}

func TestPlainHTTPOnLoopbackIsHealthyForDocker(t *testing.T) {
	_, root := isolateClients(t) // no daemon.json under root
	reg := fixturetest.Start(t, "plain-http")
	r, code := checkJSON(t, "--client", "docker", "--sysroot", root, reg.Target)
	if code != 0 || !r.Healthy || r.Clients[0].Verdict != "ok" {
		t.Fatalf("docker treats 127.0.0.0/8 as insecure: want healthy, got exit %d %+v %+v", code, r.Diagnoses, r.Clients)
	}
	if !strings.Contains(r.Clients[0].Reason, "127.0.0.0/8") {
		t.Errorf("the reason should cite docker's default, got %q", r.Clients[0].Reason)
	}
	// podman and docker together: docker copes, podman does not.
	r, code = checkJSON(t, "--client", "podman,docker", "--sysroot", root, reg.Target)
	if code != 1 || r.Clients[0].Verdict != "fails" || r.Clients[1].Verdict != "ok" {
		t.Errorf("want podman failing and docker ok, got exit %d %+v", code, r.Clients)
	}
}

func TestShortNameResolvesThroughSearchRegistries(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	conf := writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), "unqualified-search-registries = [\""+reg.Host+"\", \"docker.io\"]\n")
	t.Setenv("CONTAINERS_REGISTRIES_CONF", conf)
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, "library/redis:7.2.4")
	if code != 0 || !r.Healthy {
		t.Fatalf("want healthy, got exit %d %+v", code, r.Diagnoses)
	}
	if r.Registry != reg.Host || r.ShortName == nil || r.ShortName.Via != "unqualified-search-registries" || r.ShortName.File != conf {
		t.Errorf("want resolution to %s via unqualified-search-registries in %s, got registry %q %+v", reg.Host, conf, r.Registry, r.ShortName)
	}
}

func TestShortNameWithoutSearchRegistriesIsUnresolved(t *testing.T) {
	_, root := isolateClients(t)
	t.Setenv("CONTAINERS_REGISTRIES_CONF", writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), "# nothing\n"))
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "redis:7.2.4")
	if code != 1 || r.severity("short-name-unresolved") != "error" {
		t.Fatalf("want short-name-unresolved, got exit %d %+v", code, r.Diagnoses)
	}
}

func TestBrokenRegistriesConfIsConfigInvalid(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	conf := writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), "unqualified-search-registries = [\"a\"\n[[registry]\nlocation = \n")
	t.Setenv("CONTAINERS_REGISTRIES_CONF", conf)
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 1 || r.severity("config-invalid") != "error" {
		t.Fatalf("want config-invalid, got exit %d %+v", code, r.Diagnoses)
	}
	for _, d := range r.Diagnoses {
		if d.Code == "config-invalid" && !strings.Contains(d.Detail, conf) {
			t.Errorf("the detail must name the file: %q", d.Detail)
		}
	}
}

func TestCertsDirWithLoneKeyIsInvalid(t *testing.T) {
	home, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	dir := filepath.Join(home, ".config", "containers", "certs.d", reg.Host)
	ca, err := os.ReadFile(filepath.Join(reg.CertDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ca.crt"), string(ca))
	writeFile(t, filepath.Join(dir, "client.key"), "not really a key\n")
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, reg.Target)
	if code != 1 || r.severity("certs-dir-invalid") != "error" {
		t.Fatalf("want certs-dir-invalid, got exit %d %+v", code, r.Diagnoses)
	}
}

func TestRegistryBlocked(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	writeFile(t, filepath.Join(root, "etc", "containers", "registries.conf.d", "50-block.conf"), "[[registry]]\nprefix = \""+reg.Host+"\"\nlocation = \""+reg.Host+"\"\nblocked = true\n")
	r, _ := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if r.severity("registry-blocked") != "error" {
		t.Fatalf("want registry-blocked from the drop-in, got %+v", r.Diagnoses)
	}
	r, _ = checkJSON(t, "--client", "docker", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if sev := r.severity("registry-blocked"); sev == "error" {
		t.Errorf("registries.conf does not bind docker, yet registry-blocked is an error")
	}
}

func TestCredentialsForOtherHost(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "not-logged-in")
	host, _, _ := strings.Cut(reg.Host, ":")
	auth := writeFile(t, filepath.Join(t.TempDir(), "auth.json"), `{"auths":{"`+host+`":{"auth":"ZGV2ZWxvcGVyOnB3"}}}`)
	t.Setenv("REGISTRY_AUTH_FILE", auth)
	r, _ := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if r.severity("credentials-for-other-host") == "" || r.severity("not-logged-in") != "error" {
		t.Fatalf("want credentials-for-other-host next to not-logged-in, got %+v", r.Diagnoses)
	}
}

// useMirror points podman's registries.conf at mirror for registry, with
// extra lines in the mirror's entry.
func useMirror(t *testing.T, registry, mirror, extra string) {
	t.Helper()
	conf := "[[registry]]\nlocation = \"" + registry + "\"\n[[registry.mirror]]\nlocation = \"" + mirror + "\"\n" + extra
	t.Setenv("CONTAINERS_REGISTRIES_CONF", writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), conf))
}

func TestFailingMirrorOfAWorkingRegistry(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	dead := fixturetest.Start(t, "connection-refused")
	useMirror(t, reg.Host, dead.Host, "")
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if r.severity("mirror-failing") != "warning" || code != 0 {
		t.Fatalf("want a mirror-failing warning and exit 0, got exit %d %+v", code, r.Diagnoses)
	}
}

// After `podman login` the credentials are in podman's auth file, which
// docker does not read: docker still pulls anonymously and is refused.
func TestPodmanLoginDoesNotLogInDocker(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "logged-in")
	t.Setenv("REGISTRY_AUTH_FILE", reg.AuthFile)
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 0 || !r.Healthy || r.Clients[0].Verdict != "ok" {
		t.Fatalf("podman with its login: want healthy, got exit %d %+v %+v", code, r.Diagnoses, r.Clients)
	}
	r, code = checkJSON(t, "--client", "podman,docker", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 1 || r.severity("not-logged-in") != "error" {
		t.Fatalf("docker without a login: want not-logged-in, got exit %d %+v", code, r.Diagnoses)
	}
	if r.Clients[0].Verdict != "ok" || r.Clients[1].Verdict != "fails" {
		t.Errorf("want podman ok and docker failing, got %+v", r.Clients)
	}
	// The title must not say that nothing is stored, when the detail says
	// where the credentials are.
	for _, d := range r.Diagnoses {
		if d.Code != "not-logged-in" {
			continue
		}
		if strings.Contains(d.Title, "no credentials are stored") {
			t.Errorf("title %q contradicts the detail %q", d.Title, d.Detail)
		}
		if !strings.Contains(d.Detail, "which docker does not read, so it has no credentials") {
			t.Errorf("detail %q", d.Detail)
		}
	}
}

// The CA podman would find in /etc/containers/certs.d is found under
// --sysroot too, with no --cert-dir.
func TestSystemCertsDirUnderSysroot(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	ca, err := os.ReadFile(filepath.Join(reg.CertDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, reg.Target)
	if code != 1 || r.severity("tls-unknown-authority") != "error" {
		t.Fatalf("without the CA: want tls-unknown-authority, got exit %d %+v", code, r.Diagnoses)
	}
	writeFile(t, filepath.Join(root, "etc", "containers", "certs.d", reg.Host, "ca.crt"), string(ca))
	r, code = checkJSON(t, "--client", "podman", "--sysroot", root, reg.Target)
	if code != 0 || !r.Healthy {
		t.Fatalf("with the CA in SYSROOT/etc/containers/certs.d: want healthy, got exit %d %+v", code, r.Diagnoses)
	}
}

// A mirror that answers but lacks the image costs every pull a detour; the
// mirror's location may map the repository under a path. A mirror that
// has it is no problem, and one not used for tag pulls is not tried.
func TestMirrorWithoutTheImage(t *testing.T) {
	reg := fixturetest.Start(t, "healthy")        // library/redis:latest
	other := fixturetest.Start(t, "tag-mismatch") // library/myredis only
	same := fixturetest.Start(t, "healthy")
	for _, tc := range []struct {
		name, mirror, extra string
		want                string // mirror-failing severity, or ""
		image               string
	}{
		{"mirror lacks the image", other.Host, "", "warning", "missing"},
		{"mirror under a path that does not exist", same.Host + "/cache", "", "warning", "missing"},
		{"mirror has it", same.Host, "", "", "found"},
		{"digest-only mirror, tag pull", other.Host, "pull-from-mirror = \"digest-only\"\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, root := isolateClients(t)
			useMirror(t, reg.Host, tc.mirror, tc.extra)
			r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
			if got := r.severity("mirror-failing"); got != tc.want || code != 0 {
				t.Fatalf("mirror-failing %q, exit %d; want %q and exit 0: %+v", got, code, tc.want, r.Diagnoses)
			}
			ev := r.evidence("mirrors")
			var mirrors struct {
				Mirrors []struct {
					Repository string `json:"repository"`
					Image      string `json:"image"`
					NotUsed    string `json:"not_used"`
				} `json:"mirrors"`
			}
			if err := json.Unmarshal(ev, &mirrors); err != nil || len(mirrors.Mirrors) != 1 {
				t.Fatalf("mirrors evidence %s: %v", ev, err)
			}
			m := mirrors.Mirrors[0]
			if m.Image != tc.image || (tc.image == "" && m.NotUsed == "") {
				t.Errorf("mirror %+v, want image %q", m, tc.image)
			}
			if strings.HasSuffix(tc.mirror, "/cache") && m.Repository != "cache/library/redis" {
				t.Errorf("repository on the mirror %q, want cache/library/redis", m.Repository)
			}
		})
	}
}

// With the registry down and a mirror that has the image, podman still
// pulls (containers/image asks the mirror first): its verdict is ok, while
// the registry's failure stays an error, for pushes and other clients.
func TestRegistryDownMirrorServes(t *testing.T) {
	_, root := isolateClients(t)
	dead := fixturetest.Start(t, "connection-refused")
	mirror := fixturetest.Start(t, "healthy")
	useMirror(t, dead.Host, mirror.Host, "")
	r, code := checkJSON(t, "--client", "podman,docker", "--sysroot", root, "--cert-dir", mirror.CertDir, dead.Host+"/library/redis:latest")
	if code != 1 || r.severity("connection-refused") != "error" || r.severity("mirror-failing") != "warning" {
		t.Fatalf("want connection-refused (error) and mirror-failing (warning), exit 1; got exit %d %+v", code, r.Diagnoses)
	}
	if r.Clients[0].Verdict != "ok" || !strings.Contains(r.Clients[0].Reason, "pulls through mirror https://"+mirror.Host) {
		t.Errorf("podman: %+v, want ok through the mirror", r.Clients[0])
	}
	if r.Clients[1].Verdict != "fails" {
		t.Errorf("docker, which has no mirror for this registry: %+v, want fails", r.Clients[1])
	}
}

// Mutual TLS that works with the certificate in certs.d still fails the
// clients that cannot present it: crane, and containerd unless hosts.toml
// names it.
func TestClientCertOnlySomeClientsPresent(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "client-cert")
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 0 || r.severity("tls-client-cert-required") != "info" {
		t.Fatalf("podman alone: want exit 0 and the code at info, got exit %d %+v", code, r.Diagnoses)
	}
	r, code = checkJSON(t, "--client", "podman,crane,containerd", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 1 || r.severity("tls-client-cert-required") != "error" {
		t.Fatalf("with crane: want the code as an error, got exit %d %+v", code, r.Diagnoses)
	}
	if got := []string{r.Clients[0].Verdict, r.Clients[1].Verdict, r.Clients[2].Verdict}; !slices.Equal(got, []string{"ok", "fails", "fails"}) {
		t.Errorf("verdicts %+v, want podman ok, crane and containerd failing", r.Clients)
	}
	writeFile(t, filepath.Join(root, "etc", "containerd", "certs.d", reg.Host, "hosts.toml"),
		"server = \"https://"+reg.Host+"\"\n[host.\"https://"+reg.Host+"\"]\n  client = [[\"client.cert\", \"client.key\"]]\n")
	r, _ = checkJSON(t, "--client", "podman,containerd", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if r.severity("tls-client-cert-required") != "info" || r.Clients[1].Verdict != "ok" {
		t.Errorf("containerd with client in hosts.toml: %+v %+v", r.Diagnoses, r.Clients)
	}
}

// A mirror that wants a login is asked with the credentials the auth file
// holds for the mirror's host, as podman asks it; without them it stays
// undecided rather than "missing".
func TestMirrorWithCredentials(t *testing.T) {
	reg := fixturetest.Start(t, "healthy")
	mirror := fixturetest.Start(t, "logged-in") // login-only realm; auth file for its host
	for _, tc := range []struct {
		name, authFile, image string
		credentials           bool
	}{
		{"with the mirror's credentials", mirror.AuthFile, "found", true},
		{"anonymous", "", "needs-login", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, root := isolateClients(t)
			t.Setenv("REGISTRY_AUTH_FILE", tc.authFile)
			useMirror(t, reg.Host, mirror.Host, "")
			r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
			if code != 0 || r.severity("mirror-failing") != "" {
				t.Fatalf("exit %d %+v, want no mirror-failing", code, r.Diagnoses)
			}
			var ev struct {
				Mirrors []struct {
					Image       string `json:"image"`
					Credentials string `json:"credentials"`
				} `json:"mirrors"`
			}
			if err := json.Unmarshal(r.evidence("mirrors"), &ev); err != nil || len(ev.Mirrors) != 1 {
				t.Fatalf("mirrors evidence: %v", err)
			}
			if m := ev.Mirrors[0]; m.Image != tc.image || (m.Credentials != "") != tc.credentials {
				t.Errorf("mirror %+v, want image %q", m, tc.image)
			}
		})
	}
}

// `docker login -u robot$ci` in a shell stores user "robot": the refusal
// then says why, for the Harbor robot account it was meant to be.
func TestHarborRobotNameCutByTheShell(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "logged-in")
	auth := base64.StdEncoding.EncodeToString([]byte("robot:Secret-from-the-robot-1"))
	t.Setenv("REGISTRY_AUTH_FILE", writeFile(t, filepath.Join(t.TempDir(), "auth.json"), `{"auths":{"`+reg.Host+`":{"auth":"`+auth+`"}}}`))
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	for _, d := range r.Diagnoses {
		if d.Code == "bad-credentials" {
			if !strings.Contains(d.Remediation[0], "podman login -u 'robot$NAME'") {
				t.Errorf("first remedy %q", d.Remediation[0])
			}
			return
		}
	}
	t.Fatalf("exit %d %+v, want bad-credentials", code, r.Diagnoses)
}

// TestRepositorySuggestionExists: the catalog says which repositories
// exist, not which tags they hold, so the suggestion names a repository
// and no tag that may not be there.
func TestRepositorySuggestionExists(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "repository-not-found")
	r, _ := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	for _, d := range r.Diagnoses {
		if d.Code != "repository-not-found" {
			continue
		}
		if len(d.Remediation) == 0 || !strings.HasPrefix(d.Remediation[0], "Did you mean the repository "+reg.Host+"/library/redis?") {
			t.Errorf("remediation %q, want the existing repository suggested", d.Remediation)
		}
		for _, rem := range d.Remediation {
			if strings.Contains(rem, "library/redis:") {
				t.Errorf("a tag suggested that was never seen: %q", rem)
			}
		}
		return
	}
	t.Errorf("no repository-not-found in %+v", r.Diagnoses)
}
