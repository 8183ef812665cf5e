//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real docker: Debian's docker.io CLI against a dockerd the suite
// starts as root, with its data, exec root, pid file, socket and
// daemon.json in a temp dir, no networking of its own (no bridge, no
// iptables), vfs storage and containerd namespaces of its own. The daemon
// does the pull (moby distribution/pull_v2.go); the CLI only reads
// config.json for the credentials it sends along.

// dockerCLI is Debian's docker.io CLI, the one `make deps` installs: a
// machine may have another docker earlier on PATH.
const dockerCLI = "/usr/bin/docker"

var dkd struct {
	once sync.Once
	sock string
	err  error
	d    *suiteDaemon
	// pull serialises pulls: dockerd shares one layer download between
	// concurrent pulls of the same digest (distribution/xfer), and keeps
	// what it pulled, so a pull must start from an empty store and be the
	// only one running, as on a fresh machine.
	pull sync.Mutex
}

// sharedDockerd starts the suite's dockerd once and returns its socket.
func sharedDockerd() (string, error) {
	dkd.once.Do(func() {
		if _, err := exec.LookPath(dockerCLI); err != nil {
			dkd.err = fmt.Errorf("%s not found (Debian package docker.io): %w", dockerCLI, err)
			return
		}
		d, err := newSuiteDaemon("dockerd", "docker.io")
		if err != nil {
			dkd.err = err
			return
		}
		dkd.d = d
		dkd.sock = filepath.Join(d.dir, "d.sock")
		// An empty daemon.json of its own: /etc/docker/daemon.json, if the
		// machine has one, must not change what is measured. regdoctor
		// reads none either (its --sysroot has none).
		conf := filepath.Join(d.dir, "daemon.json")
		if err := os.WriteFile(conf, []byte("{}\n"), 0o600); err != nil {
			dkd.err = err
			return
		}
		// No proxy in its environment: the daemon makes the pull's requests.
		argv := []string{"dockerd", "--config-file", conf,
			"--data-root", filepath.Join(d.dir, "root"), "--exec-root", filepath.Join(d.dir, "exec"),
			"--pidfile", filepath.Join(d.dir, "pid"), "-H", "unix://" + dkd.sock,
			"--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
			"--containerd-namespace", dockerNS, "--containerd-plugins-namespace", "regdoctor-dkp"}
		// It starts a containerd of its own first.
		dkd.err = d.start(argv, 2*readyTimeout, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if out, err := exec.CommandContext(ctx, dockerCLI, "-H", "unix://"+dkd.sock, "version").CombinedOutput(); err != nil {
				return fmt.Errorf("docker version: %v: %s", err, out)
			}
			return nil
		})
	})
	return dkd.sock, dkd.err
}

// stopSharedDockerd stops the suite's dockerd (and the containerd it
// started, in its process group), if it started, and removes its directory.
func stopSharedDockerd() { dkd.d.stop() }

// dockerPull runs `docker pull` with the env's DOCKER_CONFIG (config.json
// holds the spec's credentials) against the suite's dockerd, alone, and
// then empties the daemon's image store. dockerd has no CA for the
// registry: it treats 127.0.0.0/8 as insecure and does not verify it
// (registry/config.go), which is what regdoctor must say too.
func (e *clientEnv) dockerPull(t *testing.T, s pullSpec) cmdResult {
	t.Helper()
	sock, err := sharedDockerd()
	if err != nil {
		return cmdResult{argv: []string{"docker"}, err: err, exitCode: -1}
	}
	de := e.withEnv("DOCKER_HOST=unix://" + sock)
	dkd.pull.Lock()
	defer dkd.pull.Unlock()
	res := de.run(clientKill, dockerCLI, "pull", "--quiet", s.ref)
	// A killed CLI cancels the daemon's pull; rmi and prune then leave
	// no image or layer for the next one to reuse.
	de.run(clientKill, dockerCLI, "image", "rm", "--force", s.ref)
	de.run(clientKill, dockerCLI, "image", "prune", "--all", "--force")
	// Manifests stay behind in the content store of dockerd's containerd
	// (distribution/manifest.go manifestStore), and a later pull of the
	// same digest reads them there without a GET: remove them too.
	ctrSock := filepath.Join(dkd.d.dir, "exec", "containerd", "containerd.sock")
	ls := e.run(clientKill, "ctr", "--address", ctrSock, "--namespace", dockerNS, "content", "ls", "--quiet")
	if digests := strings.Fields(ls.stdout); len(digests) > 0 {
		rm := e.run(clientKill, append([]string{"ctr", "--address", ctrSock, "--namespace", dockerNS, "content", "rm"}, digests...)...)
		if rm.exitCode != 0 {
			t.Fatalf("emptying dockerd's content store:\n%s", rm)
		}
	} else if ls.exitCode != 0 {
		t.Fatalf("listing dockerd's content store:\n%s", ls)
	}
	return res
}

// dockerNS is the containerd namespace of the suite's dockerd.
const dockerNS = "regdoctor-dk"
