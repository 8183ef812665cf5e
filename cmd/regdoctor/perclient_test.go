package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// These tests pin the per-client verdicts to what each client really does,
// one class of disagreement each (integration/clientmatrix_test.go runs
// the real clients against the same situations).

// verdictOf returns client's verdict and reason.
func (r clientReport) verdictOf(t *testing.T, client string) (string, string) {
	t.Helper()
	for _, c := range r.Clients {
		if c.Name == client {
			return c.Verdict, c.Reason
		}
	}
	t.Fatalf("no verdict for %s in %+v", client, r.Clients)
	return "", ""
}

func wantVerdicts(t *testing.T, r clientReport, want map[string]string) {
	t.Helper()
	for c, v := range want {
		if got, why := r.verdictOf(t, c); got != v {
			t.Errorf("%s: %s (%s), want %s", c, got, why, v)
		}
	}
}

// skopeo 1.9 ignores $CONTAINERS_REGISTRIES_CONF; podman and buildah obey it.
func TestSkopeoIgnoresContainersRegistriesConf(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	conf := writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), "[[registry]]\nlocation = \""+reg.Host+"\"\nblocked = true\n")
	t.Setenv("CONTAINERS_REGISTRIES_CONF", conf)
	r, code := checkJSON(t, "--client", "podman,buildah,skopeo", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 1 || r.severity("registry-blocked") != "error" {
		t.Fatalf("want registry-blocked, got exit %d %+v", code, r.Diagnoses)
	}
	wantVerdicts(t, r, map[string]string{"podman": "fails", "buildah": "fails", "skopeo": "ok"})
	// skopeo alone: the block is not its problem.
	r, code = checkJSON(t, "--client", "skopeo", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 0 || !r.Healthy {
		t.Errorf("skopeo alone: want healthy, got exit %d %+v", code, r.Diagnoses)
	}
	// The same block in /etc (under --sysroot) stops skopeo too.
	t.Setenv("CONTAINERS_REGISTRIES_CONF", "")
	writeFile(t, filepath.Join(root, "etc", "containers", "registries.conf"), "[[registry]]\nlocation = \""+reg.Host+"\"\nblocked = true\n")
	r, _ = checkJSON(t, "--client", "skopeo", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	wantVerdicts(t, r, map[string]string{"skopeo": "fails"})
}

// Short names are podman's and buildah's: the others send them to Docker Hub.
func TestShortNameOnlyPodmanAndBuildahResolve(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	t.Setenv("CONTAINERS_REGISTRIES_CONF", writeFile(t, filepath.Join(t.TempDir(), "registries.conf"), "unqualified-search-registries = [\""+reg.Host+"\"]\n"))
	r, _ := checkJSON(t, "--client", "podman,buildah,skopeo,crane,containerd", "--sysroot", root, "--cert-dir", reg.CertDir, "library/redis:latest")
	wantVerdicts(t, r, map[string]string{"podman": "ok", "buildah": "ok", "skopeo": "fails", "crane": "fails", "containerd": "fails"})
	if _, why := r.verdictOf(t, "skopeo"); !strings.Contains(why, "docker.io/library/redis") {
		t.Errorf("skopeo's reason should name docker.io/library/redis: %q", why)
	}
}

// short-name-mode = "enforcing" with two search registries and no
// terminal: "short-name resolution enforced but cannot prompt without a TTY".
func TestShortNameEnforcingWithoutTTY(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	t.Setenv("CONTAINERS_REGISTRIES_CONF", writeFile(t, filepath.Join(t.TempDir(), "registries.conf"),
		"short-name-mode = \"enforcing\"\nunqualified-search-registries = [\""+reg.Host+"\", \"quay.io\"]\n"))
	r, code := checkJSON(t, "--client", "podman,buildah", "--sysroot", root, "--cert-dir", reg.CertDir, "library/redis:latest")
	if code != 1 || r.Healthy || r.severity("short-name-unresolved") != "error" {
		t.Fatalf("want short-name-unresolved, got exit %d %+v", code, r.Diagnoses)
	}
	for _, d := range r.Diagnoses {
		if d.Code == "short-name-unresolved" && !strings.Contains(d.Detail, "short-name resolution enforced but cannot prompt without a TTY") {
			t.Errorf("detail should quote containers/image: %q", d.Detail)
		}
	}
	wantVerdicts(t, r, map[string]string{"podman": "fails", "buildah": "fails"})
	// One search registry: nothing to ask.
	t.Setenv("CONTAINERS_REGISTRIES_CONF", writeFile(t, filepath.Join(t.TempDir(), "registries.conf"),
		"short-name-mode = \"enforcing\"\nunqualified-search-registries = [\""+reg.Host+"\"]\n"))
	r, code = checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, "library/redis:latest")
	if code != 0 || !r.Healthy {
		t.Errorf("one search registry: want healthy, got exit %d %+v", code, r.Diagnoses)
	}
}

// ctr without hosts.toml speaks plain HTTP to a loopback registry; an
// HTTPS one then fails it. A hosts.toml in the escaped directory
// (HOST_PORT_) with a [host] table fixes it; one without a [host] table is
// ignored by containerd 1.6, and flagged.
func TestContainerdLoopbackAndHostsToml(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	args := []string{"--client", "podman,containerd", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target}
	r, _ := checkJSON(t, args...)
	wantVerdicts(t, r, map[string]string{"podman": "ok", "containerd": "fails"})
	if _, why := r.verdictOf(t, "containerd"); !strings.Contains(why, "plain HTTP") {
		t.Errorf("containerd's reason should say it speaks plain HTTP: %q", why)
	}

	host, port, _ := strings.Cut(reg.Host, ":")
	dir := filepath.Join(root, "etc", "containerd", "certs.d", host+"_"+port+"_")
	ca, err := os.ReadFile(filepath.Join(reg.CertDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ca.crt"), string(ca))
	writeFile(t, filepath.Join(dir, "hosts.toml"), "server = \"https://"+reg.Host+"\"\n[host.\"https://"+reg.Host+"\"]\n  ca = \"ca.crt\"\n")
	r, _ = checkJSON(t, args...)
	wantVerdicts(t, r, map[string]string{"podman": "ok", "containerd": "ok"})

	writeFile(t, filepath.Join(dir, "hosts.toml"), "server = \"https://"+reg.Host+"\"\nca = \"ca.crt\"\n")
	r, _ = checkJSON(t, args...)
	if r.severity("config-invalid") != "warning" {
		t.Errorf("a hosts.toml containerd ignores: want a config-invalid warning, got %+v", r.Diagnoses)
	}
	wantVerdicts(t, r, map[string]string{"podman": "ok", "containerd": "fails"})
}

// [host."https://MIRROR"] in hosts.toml is a mirror containerd tries first.
func TestContainerdHostsTomlMirror(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	mirror := fixturetest.Start(t, "healthy")
	writeFile(t, filepath.Join(root, "etc", "containerd", "certs.d", reg.Host, "hosts.toml"),
		"server = \"https://"+reg.Host+"\"\n[host.\"https://"+mirror.Host+"\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"https://"+reg.Host+"\"]\n")
	r, _ := checkJSON(t, "--client", "containerd", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	ev := string(r.evidence("mirrors"))
	if !strings.Contains(ev, mirror.Host) || !strings.Contains(ev, `"client": "containerd"`) && !strings.Contains(ev, `"client":"containerd"`) {
		t.Errorf("the hosts.toml mirror was not probed for containerd: %s", ev)
	}
}

// crane reads podman's auth file only when no docker config.json exists.
func TestCraneReadsPodmanAuthOnlyWithoutDockerConfig(t *testing.T) {
	home, root := isolateClients(t)
	reg := fixturetest.Start(t, "logged-in")
	data, err := os.ReadFile(reg.AuthFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "run", "containers", "auth.json"), string(data))
	args := []string{"--client", "podman,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target}
	r, _ := checkJSON(t, args...)
	wantVerdicts(t, r, map[string]string{"podman": "ok", "crane": "ok"})
	// Any ~/.docker/config.json, even one without the registry, hides it.
	writeFile(t, filepath.Join(home, ".docker", "config.json"), `{"auths":{}}`)
	r, _ = checkJSON(t, args...)
	wantVerdicts(t, r, map[string]string{"podman": "ok", "crane": "fails"})
	if _, why := r.verdictOf(t, "crane"); !strings.Contains(why, "not-logged-in") {
		t.Errorf("crane's reason: %q, want not-logged-in", why)
	}
}

// A credsStore whose helper is not installed stops crane, whose keychain
// returns the error; docker asks it too, but docker/cli drops the error
// and pulls anonymously (the real docker does, in the integration
// suite's credsStore-helper-missing row); podman never reads credsStore.
func TestMissingCredsStoreStopsOnlyCrane(t *testing.T) {
	home, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	writeFile(t, filepath.Join(home, ".docker", "config.json"), `{"auths":{},"credsStore":"regdoctor-absent-helper"}`)
	r, _ := checkJSON(t, "--client", "podman,skopeo,docker,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if r.severity("config-invalid") != "error" {
		t.Fatalf("want config-invalid, got %+v", r.Diagnoses)
	}
	wantVerdicts(t, r, map[string]string{"podman": "ok", "skopeo": "ok", "docker": "ok", "crane": "fails"})
	r, code := checkJSON(t, "--client", "docker", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 0 || !r.Healthy || r.severity("config-invalid") != "" {
		t.Errorf("docker alone: want healthy (anonymous pull of an open registry), got exit %d %+v", code, r.Diagnoses)
	}
	r, code = checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if code != 0 || !r.Healthy || r.severity("config-invalid") != "" {
		t.Errorf("podman alone: want healthy, the helper not even asked, got exit %d %+v", code, r.Diagnoses)
	}
}

// As root without XDG_RUNTIME_DIR, podman login writes
// /run/containers/0/auth.json, and podman reads it.
func TestPodmanRootWithoutXDGRuntimeDir(t *testing.T) {
	_, root := isolateClients(t)
	t.Setenv("XDG_RUNTIME_DIR", "")
	reg := fixturetest.Start(t, "not-logged-in")
	r, _ := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	uid := os.Getuid()
	file := filepath.Join(root, "run", "containers", strconv.Itoa(uid), "auth.json")
	found := false
	for _, d := range r.Diagnoses {
		for _, rem := range d.Remediation {
			if d.Code == "not-logged-in" && strings.Contains(rem, "podman login") && strings.Contains(rem, file) {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the podman login remedy should name %s: %+v", file, r.Diagnoses)
	}
	logged := fixturetest.Start(t, "logged-in")
	data, err := os.ReadFile(logged.AuthFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "run", "containers", strconv.Itoa(uid), "auth.json"), string(data))
	r, code := checkJSON(t, "--client", "podman", "--sysroot", root, "--cert-dir", logged.CertDir, logged.Target)
	if code != 0 || !r.Healthy {
		t.Errorf("after podman login: want healthy, got exit %d %+v", code, r.Diagnoses)
	}
}

// DOCKER_CONFIG without a config.json: podman's default --authfile does not
// exist, and podman and buildah refuse to run; skopeo does not mind.
func TestDockerConfigWithoutConfigJSON(t *testing.T) {
	home, root := isolateClients(t)
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, "nowhere"))
	reg := fixturetest.Start(t, "healthy")
	r, _ := checkJSON(t, "--client", "podman,buildah,skopeo", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	wantVerdicts(t, r, map[string]string{"podman": "fails", "buildah": "fails", "skopeo": "ok"})
	if _, why := r.verdictOf(t, "podman"); !strings.Contains(why, "config-invalid") {
		t.Errorf("podman's reason: %q", why)
	}
}

// By default docker is judged only with a daemon, containerd only with its
// socket; the others by their binaries; the report says why not.
func TestDefaultClientsAreThoseThatCanPull(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "healthy")
	bin := t.TempDir()
	for _, b := range []string{"docker", "ctr", "crane"} {
		writeFile(t, filepath.Join(bin, b), "#!/bin/sh\nexit 1\n")
		if err := os.Chmod(filepath.Join(bin, b), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("CONTAINERD_ADDRESS", "")
	r, _ := checkJSON(t, "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	var names []string
	for _, c := range r.Clients {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "crane" {
		t.Errorf("judged %v, want just crane", names)
	}
	skipped := string(r.ClientsSkipped)
	for _, want := range []string{`"docker"`, "CLI found, no daemon at " + filepath.Join(root, "var/run/docker.sock"), "ctr found, no containerd socket at " + filepath.Join(root, "run/containerd/containerd.sock"), `"podman"`} {
		if !strings.Contains(skipped, want) {
			t.Errorf("clients_skipped %s lacks %q", skipped, want)
		}
	}
	// DOCKER_HOST makes docker judged; --client still forces the set.
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	r, _ = checkJSON(t, "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if len(r.Clients) != 2 || r.Clients[0].Name != "docker" {
		t.Errorf("with DOCKER_HOST: %+v, want docker and crane", r.Clients)
	}
	r, _ = checkJSON(t, "--client", "containerd", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if len(r.Clients) != 1 || r.Clients[0].Name != "containerd" || r.ClientsSkipped != nil {
		t.Errorf("--client containerd: %+v, skipped %s", r.Clients, r.ClientsSkipped)
	}
}

// A layer one byte shorter than its descriptor: crane and containerd
// verify the size and fail, containers/image does not compare. regdoctor
// learns the size served from the one-byte sample's Content-Range, or
// when --pull downloads the layers whole.
func TestLayerSizeMismatchFailsCraneAndContainerd(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "layer-size-mismatch")
	writeFile(t, filepath.Join(root, "etc", "containerd", "certs.d", reg.Host, "hosts.toml"),
		"server = \"https://"+reg.Host+"\"\n[host.\"https://"+reg.Host+"\"]\n")
	for _, pull := range []bool{false, true} {
		args := []string{"--client", "podman,skopeo,containerd,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target}
		if pull {
			args = append([]string{"--pull"}, args...)
		}
		r, code := checkJSON(t, args...)
		wantVerdicts(t, r, map[string]string{"podman": "ok", "skopeo": "ok", "containerd": "fails", "crane": "fails"})
		if r.Healthy || code == 0 {
			t.Errorf("--pull=%v: healthy %v, exit %d, with two judged clients failing", pull, r.Healthy, code)
		}
	}
}

// An OCI Content-Type over a Docker manifest: podman and buildah read it as
// OCI and refuse its config as an artifact's; skopeo copy, containerd and
// crane pull it.
func TestContentTypeOfAnotherManifestType(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "manifest-content-type-mismatch")
	writeFile(t, filepath.Join(root, "etc", "containerd", "certs.d", reg.Host, "hosts.toml"),
		"server = \"https://"+reg.Host+"\"\n[host.\"https://"+reg.Host+"\"]\n")
	r, _ := checkJSON(t, "--client", "podman,buildah,skopeo,containerd,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	wantVerdicts(t, r, map[string]string{"podman": "fails", "buildah": "fails", "skopeo": "ok", "containerd": "ok", "crane": "ok"})
}

// The fixture's realm takes credentials only by GET with Basic and
// answers containerd's OAuth POST 403, which containerd does not retry.
func TestContainerdOAuthPostRefused(t *testing.T) {
	home, root := isolateClients(t)
	reg := fixturetest.Start(t, "logged-in")
	data, err := os.ReadFile(reg.AuthFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".docker", "config.json"), string(data))
	writeFile(t, filepath.Join(root, "etc", "containerd", "certs.d", reg.Host, "hosts.toml"),
		"server = \"https://"+reg.Host+"\"\n[host.\"https://"+reg.Host+"\"]\n")
	r, _ := checkJSON(t, "--client", "podman,containerd,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	wantVerdicts(t, r, map[string]string{"podman": "ok", "containerd": "fails", "crane": "ok"})
	if _, why := r.verdictOf(t, "containerd"); !strings.Contains(why, "OAuth POST with 403") {
		t.Errorf("containerd's reason: %q", why)
	}
	if strings.Contains(string(r.evidence("containerd-token")), reg.Password) {
		t.Error("the evidence holds the password")
	}
}

// dockerd files the /v2/ ping's challenge under the URL that answered it:
// a ping redirected elsewhere that ends in the 401 leaves docker without
// a challenge, so it pulls anonymously and is refused; the others pull.
// An open registry redirected the same way needs no challenge, and docker
// pulls it.
func TestDockerLosesARedirectedChallenge(t *testing.T) {
	for scenario, dockerVerdict := range map[string]string{
		"v2-redirect-no-slash": "fails",
		"v2-redirect-308-401":  "fails",
		"v2-redirect-307-200":  "ok",
	} {
		t.Run(scenario, func(t *testing.T) {
			_, root := isolateClients(t)
			reg := fixturetest.Start(t, scenario)
			r, code := checkJSON(t, "--client", "podman,skopeo,docker,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
			wantVerdicts(t, r, map[string]string{"podman": "ok", "skopeo": "ok", "docker": dockerVerdict, "crane": "ok"})
			if healthy := dockerVerdict == "ok"; r.Healthy != healthy || (code == 0) != healthy {
				t.Errorf("healthy %v, exit %d; want healthy %v", r.Healthy, code, healthy)
			}
			if _, why := r.verdictOf(t, "docker"); dockerVerdict == "fails" && !strings.Contains(why, "challenge") {
				t.Errorf("docker's reason does not name the lost challenge: %q", why)
			}
		})
	}
}

// A 500 KiB token answer: containers/image reads up to 1 MiB, docker and
// containerd have no limit, crane stops at 64 KiB and fails.
func TestHugeTokenAnswerFailsOnlyCrane(t *testing.T) {
	_, root := isolateClients(t)
	reg := fixturetest.Start(t, "huge-token-body")
	r, code := checkJSON(t, "--client", "podman,skopeo,docker,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	wantVerdicts(t, r, map[string]string{"podman": "ok", "skopeo": "ok", "docker": "ok", "crane": "fails"})
	if _, why := r.verdictOf(t, "crane"); !strings.Contains(why, "64 KiB") {
		t.Errorf("crane's reason does not name the limit: %q", why)
	}
	if r.Healthy || code == 0 {
		t.Errorf("healthy %v, exit %d, with crane judged and failing", r.Healthy, code)
	}
	r, code = checkJSON(t, "--client", "podman,docker", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
	if !r.Healthy || code != 0 {
		t.Errorf("without crane: healthy %v, exit %d, want healthy", r.Healthy, code)
	}
}

// regctl (regclient v0.11.7), as the real one behaves on the pull faults:
// the Content-Type picks its manifest parser (none: the body decides), it
// verifies the GET's Docker-Content-Digest and each layer's size, reads a
// token answer of any size, and drops a credential helper that fails.
func TestRegctlVerdicts(t *testing.T) {
	for scenario, want := range map[string]map[string]string{
		"manifest-text-plain":             {"regctl": "fails", "crane": "ok"},
		"manifest-unknown-media-type":     {"regctl": "fails", "crane": "ok"},
		"manifest-no-content-type":        {"regctl": "ok", "crane": "ok", "podman": "fails"},
		"manifest-content-type-mismatch":  {"regctl": "fails", "crane": "ok", "skopeo": "ok"},
		"manifest-header-digest-mismatch": {"regctl": "fails", "crane": "ok", "podman": "ok"},
		"layer-size-mismatch":             {"regctl": "fails", "podman": "ok"},
		"huge-token-body":                 {"regctl": "ok", "crane": "fails"},
		"token-bad-issued-at":             {"regctl": "fails"},
	} {
		t.Run(scenario, func(t *testing.T) {
			_, root := isolateClients(t)
			reg := fixturetest.Start(t, scenario)
			r, _ := checkJSON(t, "--client", "podman,skopeo,crane,regctl", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
			wantVerdicts(t, r, want)
		})
	}
	t.Run("credsStore helper missing", func(t *testing.T) {
		home, root := isolateClients(t)
		reg := fixturetest.Start(t, "healthy")
		writeFile(t, filepath.Join(home, ".docker", "config.json"), `{"auths":{},"credsStore":"regdoctor-absent-helper"}`)
		r, _ := checkJSON(t, "--client", "regctl,crane", "--sysroot", root, "--cert-dir", reg.CertDir, reg.Target)
		wantVerdicts(t, r, map[string]string{"regctl": "ok", "crane": "fails"})
	})
	t.Run("no loopback default", func(t *testing.T) {
		// An untrusted CA on 127.0.0.1: docker does not verify loopback,
		// regctl does, and fails.
		_, root := isolateClients(t)
		reg := fixturetest.Start(t, "healthy")
		r, _ := checkJSON(t, "--client", "docker,regctl", "--sysroot", root, reg.Target)
		wantVerdicts(t, r, map[string]string{"docker": "ok", "regctl": "fails"})
	})
}
