//go:build integration

package integration

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// strictEnv makes a missing external binary a test failure instead of a skip.
// CI sets it so that a broken image cannot turn the suite silently green.
const strictEnv = "REGDOCTOR_INTEGRATION_STRICT"

// readyTimeout bounds how long a server may take to answer its first request.
const readyTimeout = 20 * time.Second

// requireBinaries skips the test (or fails it under REGDOCTOR_INTEGRATION_STRICT=1)
// when one of the named executables is not on PATH.
func requireBinaries(t testing.TB, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("needs %s on PATH (Debian packages: docker-registry, nginx, skopeo, apache2-utils, podman, prometheus, containerd, buildah)", strings.Join(missing, ", "))
	if os.Getenv(strictEnv) == "1" {
		t.Fatalf("%s; %s=1 forbids skipping", msg, strictEnv)
	}
	t.Skip(msg)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("reserve port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// process is an external server started for one test. It runs in its own
// process group so that children (nginx workers) die with it.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// startProcess runs argv in dir with its output appended to a log file. The
// process group is killed and reaped in t.Cleanup; the log is dumped into the
// test output when the test failed.
func startProcess(t testing.TB, name, dir string, argv ...string) *process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("%s: open log: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = serverEnv(dir)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second

	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	// Registered first so it runs last: the log is complete when dumped.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- %s log (%s) ----\n%s", name, logPath, tail(logPath, 16<<10))
		}
	})
	if err := cmd.Start(); err != nil {
		cancel()
		logFile.Close()
		t.Fatalf("%s: start %v: %v", name, argv, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		_ = killGroup(cmd) // children may outlive an already-exited leader
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", name, cmd.Process.Pid)
		}
	})
	return p
}

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// exited reports whether the process has already terminated.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitHTTP polls url until it answers with any HTTP status (a 401 means the
// server is up). It gives up early if the process dies.
func (p *process) waitHTTP(url string) error {
	client := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			Proxy: nil,
			// Readiness only: the certificate may be broken on purpose.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec
		},
	}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("%s exited before becoming ready (%v)", p.name, p.waitErr)
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if strings.Contains(err.Error(), "remote error: tls:") {
			return nil // up, and refusing this client's TLS on purpose (mutual TLS, old cipher suites)
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready at %s after %s: %v", p.name, url, readyTimeout, lastErr)
}

// launch starts a server on a free 127.0.0.1 port and waits for it. prepare
// gets the chosen host:port, writes whatever config it needs and returns the
// command line and the readiness URL. Since a free port can be taken between
// choosing and binding it, a start that dies with "address already in use"
// is retried on another port.
func launch(t testing.TB, name, dir string, prepare func(host string) (argv []string, readyURL string)) (*process, string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		host := hostPort(freePort(t))
		argv, readyURL := prepare(host)
		p := startProcess(t, name+"-"+host, dir, argv...)
		err := p.waitHTTP(readyURL)
		if err == nil {
			return p, host
		}
		log := tail(p.logPath, 8<<10)
		if attempt < 3 && p.exited() && strings.Contains(strings.ToLower(log), "address already in use") {
			continue
		}
		t.Fatalf("%v; log:\n%s", err, log)
	}
}

// tail returns at most n bytes from the end of a file.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("<unreadable: %v>", err)
	}
	if int64(len(b)) > n {
		return "...\n" + string(b[int64(len(b))-n:])
	}
	return string(b)
}

// serverEnv is the environment for server processes: only what they need,
// nothing from the developer's shell that could redirect traffic.
func serverEnv(dir string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}
}

// clientEnv is an isolated environment for skopeo and regdoctor: a private
// HOME, XDG dirs and DOCKER_CONFIG, an auth file that only the test writes,
// and an empty registries.conf so the machine's own configuration (mirrors,
// insecure registries, credentials) cannot change the outcome.
type clientEnv struct {
	dir      string
	authFile string // podman's: $REGISTRY_AUTH_FILE
	docker   string // $DOCKER_CONFIG, where docker and containerd look for config.json
	policy   string
	regConf  string // $CONTAINERS_REGISTRIES_CONF; skopeo gets it as --registries-conf
	vars     []string
}

func newClientEnv(t testing.TB) *clientEnv {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	runtimeDir := filepath.Join(dir, "run")
	dockerCfg := filepath.Join(dir, "docker")
	for _, d := range []string{home, runtimeDir, dockerCfg, filepath.Join(home, ".config")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	regConf := filepath.Join(dir, "registries.conf")
	policy := filepath.Join(dir, "policy.json")
	writeFile(t, regConf, "")
	writeFile(t, policy, `{"default":[{"type":"insecureAcceptAnything"}]}`)

	e := &clientEnv{dir: dir, authFile: filepath.Join(runtimeDir, "containers", "auth.json"), docker: dockerCfg, policy: policy, regConf: regConf}
	// podman and buildah refuse to run when $REGISTRY_AUTH_FILE names a
	// file that does not exist (containers/common CheckAuthFile), and
	// regdoctor says so: every client starts with an empty one, as after
	// a logout.
	writeFile(t, e.authFile, `{"auths":{}}`)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if isolatedVar(k) {
			continue
		}
		e.vars = append(e.vars, kv)
	}
	e.vars = append(e.vars,
		"HOME="+home,
		"XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"DOCKER_CONFIG="+dockerCfg,
		"REGISTRY_AUTH_FILE="+e.authFile,
		"CONTAINERS_REGISTRIES_CONF="+regConf,
		"TMPDIR="+dir,
		"NO_COLOR=1",
	)
	return e
}

func isolatedVar(k string) bool {
	switch strings.ToUpper(k) {
	case "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE",
		"CONTAINERS_REGISTRIES_CONF", "CONTAINERS_CONF", "CONTAINERS_POLICY_JSON", "TMPDIR",
		"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR":
		return true
	}
	return false
}

// cmdResult is the outcome of one client invocation.
type cmdResult struct {
	argv     []string
	stdout   string
	stderr   string
	exitCode int
	err      error // non-nil when the command could not run or timed out
}

func (r cmdResult) String() string {
	return fmt.Sprintf("$ %s\nexit %d (err %v)\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.argv, " "), r.exitCode, r.err, r.stdout, r.stderr)
}

// message is stderr with logrus's msg="..." quoting undone, so that a
// client's error reads as it was written: unsupported protocol scheme "null".
func (r cmdResult) message() string { return strings.ReplaceAll(r.stderr, `\"`, `"`) }

// run executes a client command in env with a hard timeout.
func (e *clientEnv) run(timeout time.Duration, argv ...string) cmdResult {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = e.vars
	cmd.Dir = e.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	res := cmdResult{argv: argv, stdout: stdout.String(), stderr: stderr.String(), exitCode: -1}
	if cmd.ProcessState != nil {
		res.exitCode = cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.err = fmt.Errorf("killed after %s: %w", timeout, ctx.Err())
	case err != nil && !errors.As(err, &exitErr):
		res.err = err
	}
	return res
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
