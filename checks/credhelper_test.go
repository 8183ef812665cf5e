//go:build unix

package checks

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

// helperGrace is what a run may take past its deadline on a loaded
// 2-core machine: process start-up, helperWaitDelay, scheduling.
const helperGrace = 1500 * time.Millisecond

// installHelper puts docker-credential-NAME, a shell script, first on PATH
// and returns an auth file whose credHelpers send testRegistry to it. The
// script may append the pids of processes it leaves behind to $PIDS (the
// test's own file); they are killed when the test ends.
func installHelper(t *testing.T, name, script string) string {
	t.Helper()
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	script = strings.ReplaceAll(script, "$PIDS", pids)
	bin := filepath.Join(dir, "docker-credential-"+name)
	writeFile(t, bin, "#!/bin/sh\n"+script)
	if err := os.Chmod(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Cleanup(func() {
		data, _ := os.ReadFile(pids)
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	auth := filepath.Join(dir, "auth.json")
	writeFile(t, auth, `{"credHelpers":{"`+testRegistry+`":"`+name+`"}}`)
	return auth
}

// helperEnv builds an Env, that is: loads the configuration, with the
// helper's auth file, within timeout. It returns the Env and how long
// NewEnv took.
func helperEnv(t *testing.T, auth string, timeout time.Duration) (*Env, time.Duration) {
	t.Helper()
	tg, err := target.Parse(testRegistry + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Timeout: timeout, AuthFile: auth, CertsDirs: []string{}, Env: envFrom(nil), SysRoot: t.TempDir(), Clients: []string{"podman"}}
	start := time.Now()
	env := NewEnv(context.Background(), tg, o)
	took := time.Since(start)
	t.Cleanup(env.Close)
	return env, took
}

func helperProblem(cc *ClientConfig) *Problem {
	for i, p := range cc.Problems {
		if p.Kind == clientconf.HelperFailed {
			return &cc.Problems[i]
		}
	}
	return nil
}

// TestCredentialHelperWithinTimeout: a helper that hangs, hangs with a
// child holding its stdout, leaves a child holding it after answering,
// or prints 100 MB is stopped within the run's --timeout (plus grace), and
// is reported as a helper problem, not as "no credentials".
func TestCredentialHelperWithinTimeout(t *testing.T) {
	const timeout = time.Second
	for _, tc := range []struct {
		name, script string
		says         string // in the problem's message
		quick        bool   // ends well before the deadline
	}{
		{"hangs", "exec sleep 30\n", "did not answer within the run's --timeout 1s", false},
		// The helper is killed at the deadline; its child keeps stdout
		// open, which only WaitDelay ends.
		{"hangs-with-child", "sleep 30 &\necho $! >>$PIDS\nexec sleep 30\n", "did not answer within the run's --timeout 1s", false},
		// A daemon the helper starts inherits stdout: the answer never ends.
		{"child-holds-stdout", "sleep 30 &\necho $! >>$PIDS\necho '{\"Username\":\"u\",\"Secret\":\"s\"}'\n", "kept its output open", true},
		{"floods", "exec head -c 104857600 /dev/zero\n", "printed more than 1048576 bytes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, took := helperEnv(t, installHelper(t, tc.name, tc.script), timeout)
			limit := timeout + helperGrace
			if tc.quick {
				limit = timeout / 2
			}
			if took > limit {
				t.Errorf("configuration loading took %v with --timeout %v (want at most %v)", took, timeout, limit)
			}
			p := helperProblem(env.Config)
			if p == nil || !strings.Contains(p.Message, tc.says) || !strings.Contains(p.Message, "docker-credential-"+tc.name) {
				t.Fatalf("problems %+v, want credential-helper-failed naming docker-credential-%s and saying %q", env.Config.Problems, tc.name, tc.says)
			}
			if env.Config.Creds != nil {
				t.Errorf("credentials %+v from a failed helper", env.Config.Creds)
			}
		})
	}
}

// TestCredentialHelperAnswers: a helper that answers, or says it holds
// nothing, is no problem.
func TestCredentialHelperAnswers(t *testing.T) {
	env, _ := helperEnv(t, installHelper(t, "ok", "cat >/dev/null\necho '{\"Username\":\"dev\",\"Secret\":\"helper-secret-1\"}'\n"), 2*time.Second)
	if c := env.Config.Creds; c == nil || c.Username != "dev" || c.Password != "helper-secret-1" || helperProblem(env.Config) != nil {
		t.Errorf("credentials %+v, problems %+v", c, env.Config.Problems)
	}
	env, _ = helperEnv(t, installHelper(t, "empty", "echo 'credentials not found in native keychain'\nexit 1\n"), 2*time.Second)
	if env.Config.Creds != nil || len(env.Config.Problems) != 0 {
		t.Errorf("credentials %+v, problems %+v", env.Config.Creds, env.Config.Problems)
	}
}

// TestRunClockStartsBeforeConfig: the deadline is --timeout from before
// the configuration was read, so a slow helper's time counts against it.
func TestRunClockStartsBeforeConfig(t *testing.T) {
	before := time.Now()
	env, _ := helperEnv(t, installHelper(t, "slow", "sleep 0.3\necho '{\"Username\":\"dev\",\"Secret\":\"s\"}'\n"), 2*time.Second)
	if env.Started().Before(before) || time.Since(env.Started()) < 300*time.Millisecond {
		t.Errorf("clock started at %v, %v after the test began, %v ago; the helper took 300ms", env.Started(), env.Started().Sub(before), time.Since(env.Started()))
	}
	if got := env.Deadline().Sub(env.Started()); got != 2*time.Second {
		t.Errorf("deadline %v after the start, want --timeout 2s", got)
	}
	if env.Config.Creds == nil {
		t.Error("a helper that answers within the timeout gave no credentials")
	}
	// A caller's earlier deadline wins.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	tg, _ := target.Parse(testRegistry + "/team/app")
	e := NewEnv(ctx, tg, Options{Timeout: time.Hour, CertsDirs: []string{}, Env: envFrom(nil), SysRoot: t.TempDir(), Clients: []string{"podman"}})
	defer e.Close()
	if d, _ := ctx.Deadline(); !e.Deadline().Equal(d) {
		t.Errorf("deadline %v, want the caller's %v", e.Deadline(), d)
	}
}
