//go:build unix

package diagnose_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// withCredsStore points o's DOCKER_CONFIG at a config.json whose credsStore
// is docker-credential-NAME, a script put first on PATH. The script may
// append the pids it leaves behind to $PIDS; they die with the test.
func withCredsStore(t *testing.T, o checks.Options, name, script string) checks.Options {
	t.Helper()
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	bin := filepath.Join(dir, "docker-credential-"+name)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+strings.ReplaceAll(script, "$PIDS", pids)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credsStore":"`+name+`"}`), 0o600); err != nil {
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
	base := o.Env
	o.Env = func(k string) string {
		if k == "DOCKER_CONFIG" {
			return dir
		}
		return base(k)
	}
	return o
}

// TestTimeoutCoversCredentialHelper: against a registry that needs
// credentials, a credsStore helper that hangs, hangs with a child holding
// its stdout, or floods ends the run within --timeout plus grace; the
// report names the helper, is not healthy, and its duration includes the
// helper's time.
func TestTimeoutCoversCredentialHelper(t *testing.T) {
	const grace = 1500 * time.Millisecond
	for _, tc := range []struct {
		name, script string
		hangs        bool // takes the whole --timeout
	}{
		{"hangs", "exec sleep 30\n", true},
		{"hangs-with-child", "sleep 30 &\necho $! >>$PIDS\nexec sleep 30\n", true},
		{"floods", "exec head -c 104857600 /dev/zero\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := fixturetest.Start(t, "not-logged-in")
			o := withCredsStore(t, scenarioOptions(t, reg), tc.name, tc.script)
			// docker asks credsStore; podman (containers/image) never does.
			o.Clients = []string{"docker"}
			start := time.Now()
			rep := runPipeline(t, reg.Target, o)
			took := time.Since(start)
			if took > o.Timeout+grace {
				t.Errorf("the run took %v with --timeout %v", took, o.Timeout)
			}
			if rep.Duration > took {
				t.Errorf("duration %v longer than the run, %v", rep.Duration, took)
			}
			if tc.hangs && rep.Duration < o.Timeout {
				t.Errorf("duration %v leaves out the helper, which took the whole --timeout %v", rep.Duration, o.Timeout)
			}
			got := map[string]diagnose.Severity{}
			for _, d := range rep.Diagnoses {
				got[string(d.Code)] = d.Severity
			}
			if rep.Healthy() || got["credential-helper-failed"] != diagnose.Error {
				t.Errorf("healthy %v, diagnoses %v; want credential-helper-failed as an error", rep.Healthy(), got)
			}
			for _, d := range rep.Diagnoses {
				if d.Code == "credential-helper-failed" && !strings.Contains(d.Detail, "docker-credential-"+tc.name) {
					t.Errorf("detail %q does not name the helper", d.Detail)
				}
			}
			if !tc.hangs && got["not-logged-in"] != diagnose.Error {
				t.Errorf("diagnoses %v: the checks after a quick helper failure should still find not-logged-in", got)
			}
		})
	}
}
