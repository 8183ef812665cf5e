//go:build integration

package integration

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// TestClientConfigMatrix plants each client's own configuration, the ways
// the clients read it differently, and runs every real client and
// `regdoctor check --client …` in the same environment: regdoctor's
// per-client verdict must be what each client did. Unlike TestClientConfig
// nothing is handed to skopeo as a flag that the others read from the
// environment: skopeo gets no --registries-conf, podman and buildah no
// --authfile, ctr no --hosts-dir unless the row says so.
type confRow struct {
	name    string
	fixture string // fixtures scenario; default "healthy"
	// setup plants files and returns the reference to pull (default the
	// fixture's target) and the changes to the environment.
	setup func(t *testing.T, c *confCtx)
	// want: each client's expected outcome, true for a pull. The test
	// asserts regdoctor's verdicts against the real outcomes; want only
	// guards the fixture itself (a row that stops showing the class).
	want map[string]bool
}

// confCtx is one row's environment.
type confCtx struct {
	reg      *fixtures.Registry
	env      *clientEnv
	ref      string
	sysroot  string // regdoctor's --sysroot; the real /etc stays for the clients where noted
	hostsDir string // ctr --hosts-dir, "" for none
	mirror   *fixtures.Registry
}

var confRows = []confRow{
	{name: "skopeo-ignores-CONTAINERS_REGISTRIES_CONF",
		setup: func(t *testing.T, c *confCtx) {
			writeFile(t, c.env.regConf, fmt.Sprintf("[[registry]]\nlocation = %q\nblocked = true\n", c.reg.Host))
			c.https(t)
		},
		want: map[string]bool{"podman": false, "buildah": false, "skopeo": true, "containerd": true, "crane": true}},
	{name: "short-name-through-search-registries",
		setup: func(t *testing.T, c *confCtx) {
			writeFile(t, c.env.regConf, fmt.Sprintf("unqualified-search-registries = [%q]\n", c.reg.Host))
			c.ref = "library/redis:latest"
			c.https(t)
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": false, "containerd": false, "crane": false}},
	{name: "short-name-enforcing-without-tty",
		setup: func(t *testing.T, c *confCtx) {
			writeFile(t, c.env.regConf, fmt.Sprintf("short-name-mode = \"enforcing\"\nunqualified-search-registries = [%q, %q]\n", c.reg.Host, closedPort(t)))
			c.ref = "library/redis:latest"
			c.https(t)
		},
		want: map[string]bool{"podman": false, "buildah": false, "skopeo": false, "containerd": false, "crane": false}},
	{name: "containerd-without-hosts-toml",
		setup: func(t *testing.T, c *confCtx) { c.hostsDir = filepath.Join(c.sysroot, "etc", "containerd", "certs.d") },
		want:  map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": false, "crane": true}},
	{name: "containerd-escaped-directory",
		setup: func(t *testing.T, c *confCtx) {
			host, port, _ := strings.Cut(c.reg.Host, ":")
			c.hostsDir = filepath.Join(c.sysroot, "etc", "containerd", "certs.d")
			writeFile(t, filepath.Join(c.hostsDir, host+"_"+port+"_", "hosts.toml"),
				fmt.Sprintf("server = %q\n[host.%q]\n  ca = %q\n", "https://"+c.reg.Host, "https://"+c.reg.Host, filepath.Join(c.reg.CertDir, "ca.crt")))
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": true, "crane": true}},
	{name: "containerd-hosts-toml-without-host-table",
		setup: func(t *testing.T, c *confCtx) {
			c.hostsDir = filepath.Join(c.sysroot, "etc", "containerd", "certs.d")
			writeFile(t, filepath.Join(c.hostsDir, c.reg.Host, "hosts.toml"),
				fmt.Sprintf("server = %q\nca = %q\n", "https://"+c.reg.Host, filepath.Join(c.reg.CertDir, "ca.crt")))
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": false, "crane": true}},
	{name: "containerd-hosts-toml-mirror", fixture: "manifest-gone",
		setup: func(t *testing.T, c *confCtx) {
			c.mirror = fixturetest.Start(t, "healthy")
			c.hostsDir = filepath.Join(c.sysroot, "etc", "containerd", "certs.d")
			writeFile(t, filepath.Join(c.hostsDir, c.reg.Host, "hosts.toml"),
				fmt.Sprintf("server = %q\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = %q\n[host.%q]\n  ca = %q\n",
					"https://"+c.reg.Host, "https://"+c.mirror.Host, filepath.Join(c.mirror.CertDir, "ca.crt"), "https://"+c.reg.Host, filepath.Join(c.reg.CertDir, "ca.crt")))
		},
		want: map[string]bool{"podman": false, "buildah": false, "skopeo": false, "containerd": true, "crane": false}},
	{name: "crane-podman-auth-hidden-by-docker-config", fixture: "logged-in",
		setup: func(t *testing.T, c *confCtx) {
			c.https(t)
			copyFile(t, c.reg.AuthFile, c.env.authFile) // REGISTRY_AUTH_FILE: podman's
			writeFile(t, filepath.Join(c.env.docker, "config.json"), `{"auths":{}}`)
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": false, "crane": false}},
	{name: "crane-reads-podman-auth-without-docker-config", fixture: "logged-in",
		setup: func(t *testing.T, c *confCtx) {
			c.https(t)
			copyFile(t, c.reg.AuthFile, c.env.authFile)
			c.env = c.env.withoutEnv("DOCKER_CONFIG")
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": false, "crane": true}},
	// The fixture's realm takes credentials by GET with Basic only and
	// answers anything else 403: containerd, which POSTs an OAuth password
	// grant when it has credentials, does not retry by GET after a 403.
	{name: "containerd-oauth-post-refused", fixture: "logged-in",
		setup: func(t *testing.T, c *confCtx) {
			c.https(t)
			copyFile(t, c.reg.AuthFile, filepath.Join(c.env.docker, "config.json"))
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": false, "crane": true}},
	{name: "credsStore-helper-missing",
		setup: func(t *testing.T, c *confCtx) {
			c.https(t)
			writeFile(t, filepath.Join(c.env.docker, "config.json"), `{"auths":{},"credsStore":"regdoctor-absent"}`)
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": true, "crane": false}},
	// As root outside a login session: podman login writes
	// /run/containers/0/auth.json (containers/image getPathToAuthWithOS),
	// and podman, buildah and skopeo read it; crane looks under
	// ~/.config/containers instead.
	{name: "podman-login-as-root-without-XDG_RUNTIME_DIR", fixture: "logged-in",
		setup: func(t *testing.T, c *confCtx) {
			c.https(t)
			if os.Geteuid() != 0 {
				t.Skip("needs root: writes /run/containers/0/auth.json")
			}
			c.env = c.env.withoutEnv("XDG_RUNTIME_DIR", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG")
			file := "/run/containers/0/auth.json"
			saved, err := os.ReadFile(file)
			t.Cleanup(func() {
				if err == nil {
					_ = os.WriteFile(file, saved, 0o600)
				} else {
					_ = os.Remove(file)
				}
			})
			_ = os.Remove(file)
			res := c.env.podmanPlain(t, "login", "-u", c.reg.Username, "-p", c.reg.Password, "--cert-dir", c.reg.CertDir, c.reg.Host)
			if res.exitCode != 0 {
				t.Fatalf("podman login:\n%s", res)
			}
			copyFile(t, file, filepath.Join(c.sysroot, "run", "containers", "0", "auth.json"))
		},
		want: map[string]bool{"podman": true, "buildah": true, "skopeo": true, "containerd": false, "crane": false}},
	{name: "DOCKER_CONFIG-without-config.json",
		setup: func(t *testing.T, c *confCtx) {
			c.https(t)
			c.env = c.env.withoutEnv("REGISTRY_AUTH_FILE")
		},
		want: map[string]bool{"podman": false, "buildah": false, "skopeo": true, "containerd": true, "crane": true}},
}

// https gives ctr (and regdoctor) a hosts.toml that speaks HTTPS to the
// fixture with its CA: the rows that are not about containerd.
func (c *confCtx) https(t *testing.T) {
	c.hostsDir = filepath.Join(c.sysroot, "etc", "containerd", "certs.d")
	containerdHostsDir(t, c.hostsDir, c.reg.Host, c.reg.CertDir)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b))
}

// withoutEnv drops variables from the environment.
func (e *clientEnv) withoutEnv(keys ...string) *clientEnv {
	c := *e
	c.vars = slices.DeleteFunc(slices.Clone(e.vars), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(keys, k)
	})
	return &c
}

func TestClientConfigMatrix(t *testing.T) {
	requireRegdoctor(t)
	var notRunnable []string
	for _, c := range judged {
		if why := requireClient(c); why != "" {
			notRunnable = append(notRunnable, c+": "+why)
		}
	}
	if len(notRunnable) > 0 && os.Getenv(strictEnv) == "1" {
		t.Fatalf("clients that cannot run here: %s; %s=1 forbids skipping them", strings.Join(notRunnable, "; "), strictEnv)
	}
	var mu sync.Mutex
	var cells []matrixCell
	t.Cleanup(func() {
		logMatrix(t, cells, notRunnable)
		if os.Getenv(writeErrorsEnv) == "1" {
			writeClientErrors(t, configErrorsFile, cells)
		}
	})
	for _, row := range confRows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			got := runConfRow(t, row)
			mu.Lock()
			cells = append(cells, got...)
			mu.Unlock()
		})
	}
}

func runConfRow(t *testing.T, row confRow) []matrixCell {
	name := row.fixture
	if name == "" {
		name = "healthy"
	}
	reg := fixturetest.Start(t, name)
	c := &confCtx{reg: reg, env: newClientEnv(t).withEnv(offlineProxy(t)...), ref: reg.Target, sysroot: t.TempDir()}
	// skopeo reads the machine's /etc/containers/registries.conf here (it
	// ignores the variable): regdoctor's sysroot gets a copy.
	if _, err := os.Stat("/etc/containers/registries.conf"); err == nil {
		copyFile(t, "/etc/containers/registries.conf", filepath.Join(c.sysroot, "etc", "containers", "registries.conf"))
	}
	row.setup(t, c)
	env := c.env

	results := map[string]cmdResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	notRun := map[string]string{}
	for _, cl := range judged {
		if why := requireClient(cl); why != "" {
			notRun[cl] = why
			continue
		}
		wg.Go(func() {
			var res cmdResult
			spec := pullSpec{ref: c.ref, host: reg.Host, certDir: reg.CertDir, hostsDir: c.hostsDir}
			switch cl {
			case "podman":
				res = env.podmanPlain(t, "pull", "--cert-dir", reg.CertDir, c.ref)
			case "buildah":
				res = env.buildahPull(t, spec)
			case "skopeo":
				res = env.run(clientKill, "skopeo", "--command-timeout", corpusSkopeoTimeout.String(), "--policy", env.policy,
					"copy", "--src-cert-dir", reg.CertDir, "docker://"+c.ref, "dir:"+filepath.Join(t.TempDir(), "image"))
			case "docker":
				res = env.dockerPull(t, spec)
			case "containerd":
				// ctr --user from docker's config.json, as nerdctl reads it.
				spec.user, spec.password = dockerConfigCreds(t, env, reg.Host)
				res = env.ctrPull(t, spec)
			case "crane":
				res = env.cranePull(t, spec)
			case "regctl":
				res = env.regctlPull(t, spec)
			}
			mu.Lock()
			results[cl] = res
			mu.Unlock()
		})
	}
	wg.Wait()

	bin := requireRegdoctor(t)
	rd := env.run(regdoctorTimeout, bin, "check", "--client", judgedArg(), "-o", "json", "--timeout", "5s",
		"--cert-dir", reg.CertDir, "--sysroot", c.sysroot, c.ref)
	var rep report
	if err := json.Unmarshal([]byte(rd.stdout), &rep); err != nil || rd.err != nil {
		t.Fatalf("regdoctor gave no report (exit %d, %v, %v)\n%s", rd.exitCode, rd.err, err, rd)
	}
	verdicts := verdictsOf(&rep)
	var out []matrixCell
	for _, cl := range judged {
		cell := matrixCell{Scenario: row.name, Client: cl}
		if why, ok := notRun[cl]; ok {
			cell.NotRun = why
			out = append(out, cell)
			continue
		}
		o := outcomeOfClient(results[cl], reg.Host)
		if cl == "podman" || cl == "skopeo" || cl == "buildah" {
			o = outcomeOf(results[cl], reg.Host)
		}
		cell.Pulled, cell.Error = o.pulled, o.last
		t.Logf("%s:\n%s", cl, results[cl])
		if w, ok := row.want[cl]; ok && w != o.pulled {
			t.Errorf("%s: %s %s, but the row expects pulled=%v: the fixture no longer shows the class", row.name, cl, o, w)
		}
		v, ok := verdicts[cl]
		if !ok {
			t.Errorf("%s: no regdoctor verdict for %s", row.name, cl)
			continue
		}
		cell.Verdict = v.Verdict
		if v.Verdict == "fails" {
			cell.CheckCode = codeOf(v.Reason)
		}
		if (v.Verdict == "ok") != o.pulled {
			t.Errorf("%s: regdoctor says %s %s (%s), but %s %s", row.name, cl, v.Verdict, v.Reason, cl, o)
		}
		out = append(out, cell)
	}
	if t.Failed() {
		t.Logf("regdoctor:\n%s", rd)
	}
	return out
}

// podmanPlain is podman with throwaway storage and the environment as the
// row left it: no --authfile, no REGISTRY_AUTH_FILE of the harness's.
func (e *clientEnv) podmanPlain(t *testing.T, args ...string) cmdResult {
	t.Helper()
	dir := t.TempDir()
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
	pe := e.withEnv("CONTAINERS_CONF="+containersConf, "CONTAINERS_STORAGE_CONF="+storageConf)
	argv := []string{"podman", "--root", root, "--runroot", runRoot, "--tmpdir", filepath.Join(dir, "tmp"),
		"--network-config-dir", filepath.Join(dir, "net"), "--storage-driver", "vfs",
		"--cgroup-manager", "cgroupfs", "--events-backend", "none"}
	if len(args) > 0 && args[0] == "pull" {
		args = append([]string{"pull", "--signature-policy", e.policy}, args[1:]...)
	}
	return pe.run(clientKill, append(argv, args...)...)
}

// dockerConfigCreds reads the user and password docker's config.json in
// env holds for host, as nerdctl would, for ctr --user.
func dockerConfigCreds(t *testing.T, e *clientEnv, host string) (string, string) {
	t.Helper()
	dir := ""
	for _, kv := range e.vars {
		if v, ok := strings.CutPrefix(kv, "DOCKER_CONFIG="); ok {
			dir = v
		}
	}
	if dir == "" {
		dir = filepath.Join(e.home(), ".docker")
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return "", ""
	}
	var f struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if json.Unmarshal(b, &f) != nil {
		return "", ""
	}
	a, ok := f.Auths[host]
	if !ok {
		return "", ""
	}
	raw, err := base64.StdEncoding.DecodeString(a.Auth)
	if err != nil {
		return "", ""
	}
	u, p, _ := strings.Cut(string(raw), ":")
	return u, p
}
