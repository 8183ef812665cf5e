//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// suiteDaemon is a server the suite starts once, as root, in a temp dir of
// its own (containerd for ctr, dockerd for docker), and stops at its end.
type suiteDaemon struct {
	name string
	dir  string // short: it holds unix sockets
	cmd  *exec.Cmd
}

// newSuiteDaemon checks that name can run here and makes its directory.
func newSuiteDaemon(name, debianPackage string) (*suiteDaemon, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%s needs root (uid %d)", name, os.Geteuid())
	}
	if _, err := exec.LookPath(name); err != nil {
		return nil, fmt.Errorf("%s not on PATH (Debian package %s): %w", name, debianPackage, err)
	}
	dir, err := os.MkdirTemp("", name[:4]+"-") // a unix socket path must be short
	if err != nil {
		return nil, err
	}
	return &suiteDaemon{name: name, dir: dir}, nil
}

// start runs the daemon with argv, with only PATH, and HOME and TMPDIR in
// its directory, its output in NAME.log there, in a process group of its
// own, and waits up to wait for ready to answer nil.
func (d *suiteDaemon) start(argv []string, wait time.Duration, ready func() error) error {
	log, err := os.Create(filepath.Join(d.dir, d.name+".log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + d.dir, "TMPDIR=" + d.dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", d.name, err)
	}
	d.cmd = cmd
	deadline := time.Now().Add(wait)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready within %s (%v); log:\n%s", d.name, wait, err, tail(log.Name(), 4<<10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the daemon and what it started (its process group): SIGTERM,
// then SIGKILL after 10s, and removes its directory. A nil daemon, or one
// that never started, only loses its directory.
func (d *suiteDaemon) stop() {
	if d == nil {
		return
	}
	if d.cmd != nil && d.cmd.Process != nil {
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	_ = os.RemoveAll(d.dir)
}
