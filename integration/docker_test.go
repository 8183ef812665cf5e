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
	"syscall"
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
	cmd  *exec.Cmd
	dir  string
	// pull serialises pulls: dockerd shares one layer download between
	// concurrent pulls of the same digest (distribution/xfer), and keeps
	// what it pulled, so a pull must start from an empty store and be the
	// only one running, as on a fresh machine.
	pull sync.Mutex
}

// sharedDockerd starts the suite's dockerd once and returns its socket.
func sharedDockerd() (string, error) {
	dkd.once.Do(func() {
		if os.Geteuid() != 0 {
			dkd.err = fmt.Errorf("dockerd needs root (uid %d)", os.Geteuid())
			return
		}
		for _, bin := range []string{"dockerd", dockerCLI} {
			if _, err := exec.LookPath(bin); err != nil {
				dkd.err = fmt.Errorf("%s not found (Debian package docker.io): %w", bin, err)
				return
			}
		}
		dir, err := os.MkdirTemp("", "dkd-") // a unix socket path must be short
		if err != nil {
			dkd.err = err
			return
		}
		dkd.dir = dir
		dkd.sock = filepath.Join(dir, "d.sock")
		// An empty daemon.json of its own: /etc/docker/daemon.json, if the
		// machine has one, must not change what is measured. regdoctor
		// reads none either (its --sysroot has none).
		conf := filepath.Join(dir, "daemon.json")
		if err := os.WriteFile(conf, []byte("{}\n"), 0o600); err != nil {
			dkd.err = err
			return
		}
		log, err := os.Create(filepath.Join(dir, "dockerd.log"))
		if err != nil {
			dkd.err = err
			return
		}
		cmd := exec.Command("dockerd", "--config-file", conf,
			"--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(dir, "exec"),
			"--pidfile", filepath.Join(dir, "pid"), "-H", "unix://"+dkd.sock,
			"--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
			"--containerd-namespace", dockerNS, "--containerd-plugins-namespace", "regdoctor-dkp")
		cmd.Stdout, cmd.Stderr = log, log
		// No proxy: the daemon makes the pull's requests.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			dkd.err = fmt.Errorf("start dockerd: %w", err)
			return
		}
		dkd.cmd = cmd
		deadline := time.Now().Add(2 * readyTimeout) // it starts a containerd of its own first
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			out, err := exec.CommandContext(ctx, dockerCLI, "-H", "unix://"+dkd.sock, "version").CombinedOutput()
			cancel()
			if err == nil {
				dkd.err = nil // an earlier try's "cannot connect" is over
				return
			}
			dkd.err = fmt.Errorf("docker version: %v: %s", err, out)
			time.Sleep(200 * time.Millisecond)
		}
		dkd.err = fmt.Errorf("dockerd did not answer on %s within %s (%v); log:\n%s", dkd.sock, 2*readyTimeout, dkd.err, tail(log.Name(), 4<<10))
	})
	return dkd.sock, dkd.err
}

// stopSharedDockerd kills the suite's dockerd (and the containerd it
// started, in its process group), if it started, and removes its directory.
func stopSharedDockerd() {
	if dkd.cmd != nil && dkd.cmd.Process != nil {
		_ = syscall.Kill(-dkd.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = dkd.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-dkd.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if dkd.dir != "" {
		_ = os.RemoveAll(dkd.dir)
	}
}

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
	ctrSock := filepath.Join(dkd.dir, "exec", "containerd", "containerd.sock")
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
