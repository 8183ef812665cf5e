//go:build integration

package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Runners for the clients beyond skopeo and podman: buildah, containerd
// (ctr against a containerd the suite starts), crane and regctl. Each
// runs isolated in a clientEnv, and is killed after its bound: ctr, crane
// and regctl have no timeout of their own.

const clientKill = 30 * time.Second

// pullSpec is what every client gets for one pull.
type pullSpec struct {
	ref      string // HOST/REPO:TAG
	host     string
	certDir  string // holds ca.crt for host; "" for none
	authFile string // podman-format auth.json; also written as docker's config.json
	user     string // the credentials the auth file holds, for ctr --user
	password string
	// hostsDir is a containerd hosts directory (ctr --hosts-dir); "" means
	// none, ctr's default.
	hostsDir string
}

// buildahPull runs `buildah pull` with vfs storage under a temp root.
func (e *clientEnv) buildahPull(t *testing.T, s pullSpec) cmdResult {
	t.Helper()
	dir := t.TempDir()
	runRoot, err := os.MkdirTemp("", "buildah-run-") // short, as for podman
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runRoot) })
	storageConf := filepath.Join(dir, "storage.conf")
	writeFile(t, storageConf, fmt.Sprintf("[storage]\ndriver = \"vfs\"\nrunroot = %q\ngraphroot = %q\n", runRoot, filepath.Join(dir, "root")))
	containersConf := filepath.Join(dir, "containers.conf")
	writeFile(t, containersConf, "")
	be := e.withEnv("CONTAINERS_CONF="+containersConf, "CONTAINERS_STORAGE_CONF="+storageConf, "BUILDAH_ISOLATION=chroot")
	argv := []string{"buildah", "--root", filepath.Join(dir, "root"), "--runroot", runRoot, "--storage-driver", "vfs",
		"pull", "--signature-policy", e.policy, "--quiet"}
	if s.certDir != "" {
		argv = append(argv, "--cert-dir", s.certDir)
	}
	if s.authFile != "" {
		argv = append(argv, "--authfile", s.authFile)
	}
	return be.run(clientKill, append(argv, s.ref)...)
}

// cranePull runs `crane pull` into a tarball. crane reads no certs.d: the
// CA comes through SSL_CERT_FILE, as a crane user would give it.
func (e *clientEnv) cranePull(t *testing.T, s pullSpec) cmdResult {
	t.Helper()
	ce := e
	if s.certDir != "" {
		ce = e.withEnv("SSL_CERT_FILE=" + filepath.Join(s.certDir, "ca.crt"))
	}
	return ce.run(clientKill, toolPath("crane"), "pull", "--format", "tarball", s.ref, filepath.Join(t.TempDir(), "image.tar"))
}

// regctlPull copies the host's platform into an OCI layout. regctl takes
// a CA only through its own configuration, set first.
func (e *clientEnv) regctlPull(t *testing.T, s pullSpec) cmdResult {
	t.Helper()
	if s.certDir != "" {
		ca, err := os.ReadFile(filepath.Join(s.certDir, "ca.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if res := e.run(clientKill, toolPath("regctl"), "registry", "set", s.host, "--cacert", string(ca), "--skip-check"); res.exitCode != 0 {
			t.Fatalf("regctl registry set:\n%s", res)
		}
	}
	return e.run(clientKill, toolPath("regctl"), "image", "copy", "--platform", "linux/amd64", s.ref, "ocidir://"+filepath.Join(t.TempDir(), "layout")+":pulled")
}

// ctrPull runs `ctr images pull` against the suite's containerd, in a
// namespace of its own, with the native snapshotter (no overlay needed).
// --hosts-dir only when the spec has one; --user when credentials are
// stored, which is what nerdctl would read from docker's config.json.
func (e *clientEnv) ctrPull(t *testing.T, s pullSpec) cmdResult {
	t.Helper()
	sock, err := sharedContainerd()
	if err != nil {
		return cmdResult{argv: []string{"ctr"}, err: err, exitCode: -1}
	}
	ns := fmt.Sprintf("t%d", time.Now().UnixNano())
	argv := []string{"ctr", "--address", sock, "--namespace", ns, "images", "pull", "--snapshotter", "native"}
	if s.hostsDir != "" {
		argv = append(argv, "--hosts-dir", s.hostsDir)
	}
	if s.user != "" {
		argv = append(argv, "--user", s.user+":"+s.password)
	}
	res := e.run(clientKill, append(argv, s.ref)...)
	// The namespace holds what was pulled; drop it so the suite's
	// containerd does not grow.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = exec.CommandContext(ctx, "ctr", "--address", sock, "--namespace", ns, "images", "rm", "--sync", s.ref).Run()
	return res
}

// containerdHostsDir writes a hosts directory with an HTTPS hosts.toml for
// host that trusts certDir/ca.crt: ctr would speak plain HTTP to a
// loopback registry without one. root is the directory to use; the same
// tree goes under regdoctor's --sysroot.
func containerdHostsDir(t *testing.T, root, host, certDir string) {
	t.Helper()
	// The CA goes on the server too: containerd tries the next host after
	// a 404 (remotes/docker resolver), and the server entry is one.
	ca := ""
	if certDir != "" {
		ca = fmt.Sprintf("ca = %q\n", filepath.Join(certDir, "ca.crt"))
	}
	toml := fmt.Sprintf("server = %q\n%s[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n  %s", "https://"+host, ca, "https://"+host, ca)
	writeFile(t, filepath.Join(root, host, "hosts.toml"), toml)
}

// ---- the suite's containerd ----

var ctrd struct {
	once sync.Once
	sock string
	err  error
	d    *suiteDaemon
}

// sharedContainerd starts one containerd for the suite, as root, with
// its root, state and socket in a temp dir and only the plugins a pull
// needs. It is stopped by stopSharedContainerd at the end of the suite.
func sharedContainerd() (string, error) {
	ctrd.once.Do(func() {
		d, err := newSuiteDaemon("containerd", "containerd")
		if err != nil {
			ctrd.err = err
			return
		}
		ctrd.d = d
		ctrd.sock = filepath.Join(d.dir, "c.sock")
		conf := filepath.Join(d.dir, "config.toml")
		content := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
# Every ctr pull runs in a namespace of its own; "isolated" keeps a blob
# fetched by one from serving another, as on a fresh machine (the default,
# "shared", would let a missing layer come from an earlier pull).
[plugins."io.containerd.metadata.v1.bolt"]
  content_sharing_policy = "isolated"
`, filepath.Join(d.dir, "root"), filepath.Join(d.dir, "state"), ctrd.sock, ctrd.sock+".ttrpc")
		if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
			ctrd.err = err
			return
		}
		argv := []string{"containerd", "--config", conf, "--root", filepath.Join(d.dir, "root"), "--state", filepath.Join(d.dir, "state"), "--address", ctrd.sock}
		ctrd.err = d.start(argv, readyTimeout, func() error {
			c, err := net.Dial("unix", ctrd.sock)
			if err != nil {
				return err
			}
			c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if out, err := exec.CommandContext(ctx, "ctr", "--address", ctrd.sock, "version").CombinedOutput(); err != nil {
				return fmt.Errorf("ctr version: %v: %s", err, out)
			}
			return nil
		})
	})
	return ctrd.sock, ctrd.err
}

// stopSharedContainerd kills the suite's containerd, if it started, and
// removes its directory.
func stopSharedContainerd() { ctrd.d.stop() }

// toolPath finds crane and regctl: on PATH, else in the repository's
// bin/, where `make integration-tools` installs them.
func toolPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if abs, err := filepath.Abs(filepath.Join("..", "bin", name)); err == nil {
		if _, err := os.Stat(abs); err == nil {
			return abs
		}
	}
	return name
}

// requireClient reports why a client cannot run here, or "".
func requireClient(name string) string {
	switch name {
	case "containerd":
		if _, err := exec.LookPath("ctr"); err != nil {
			return "ctr not on PATH (Debian package containerd)"
		}
		if _, err := sharedContainerd(); err != nil {
			return err.Error()
		}
		return ""
	case "docker":
		if _, err := sharedDockerd(); err != nil {
			return err.Error()
		}
		return ""
	case "crane", "regctl":
		if _, err := exec.LookPath(toolPath(name)); err != nil {
			return name + " not on PATH or in bin/ (make integration-tools)"
		}
		return ""
	}
	if _, err := exec.LookPath(name); err != nil {
		return name + " not on PATH"
	}
	return ""
}

// lastClientError is the error a client ended with, on one line: ctr
// prints "ctr: …", crane and regctl "Error: …" or a logrus line.
func lastClientError(stderr string) string {
	if i := strings.LastIndex(stderr, "ctr: "); i >= 0 {
		return strings.Join(strings.Fields(stderr[i:]), " ")
	}
	return lastError(stderr)
}
