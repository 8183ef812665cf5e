//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// Budgets for one run of the built binary against any fixture, the hostile
// ones above all: a 2 GiB body, a gzip bomb, endless headers, a server
// that drips, redirect loops, a TLS reset.
const (
	budgetTimeout = 3 * time.Second
	budgetSlack   = time.Second // process start, and the pipeline's grace after --timeout
	budgetRSS     = 64 << 10    // KiB, as Linux reports ru_maxrss
)

// builtTools builds regdoctor and testdata/maxrss, which measures a
// command's peak RSS (see there why the test cannot), into one directory.
var builtTools = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "regdoctor-bin-")
	if err != nil {
		return "", err
	}
	for name, pkg := range map[string]string{"regdoctor": ".", "maxrss": "./testdata/maxrss"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg).CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return dir, nil
})

// TestEveryScenarioWithinBudget runs the built binary against every
// fixture, the pull-fault corpus included, with --timeout 3s, and holds each run to the timeout (plus a
// second), a peak RSS under 64 MiB, and the scenario's diagnosis.
func TestEveryScenarioWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary for every scenario")
	}
	bin, err := builtTools()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range append(fixtures.Scenarios(), fixtures.PullFaults()...) {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			reg := fixturetest.Start(t, sc.Name)
			args := []string{"check", "--timeout", budgetTimeout.String(), "-o", "json", "--client", "podman", "--sysroot", t.TempDir()}
			if reg.CertDir != "" {
				args = append(args, "--cert-dir", reg.CertDir)
			}
			args = append(append(args, sc.Args...), reg.Target)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			rssFile := filepath.Join(t.TempDir(), "maxrss")
			cmd := exec.CommandContext(ctx, filepath.Join(bin, "maxrss"), append([]string{filepath.Join(bin, "regdoctor")}, args...)...)
			cmd.Env = append(isolatedProcessEnv(t, reg.AuthFile), "MAXRSS_OUT="+rssFile)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			if _, failed := err.(*exec.ExitError); err != nil && !failed {
				t.Fatal(err)
			}
			out, err := os.ReadFile(rssFile)
			if err != nil {
				t.Fatalf("no peak RSS: %v; stderr:\n%s", err, stderr.String())
			}
			rss, err := strconv.Atoi(strings.TrimSpace(string(out)))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-26s exit %d in %5dms, max RSS %5.1f MiB", sc.Name, cmd.ProcessState.ExitCode(), took.Milliseconds(), float64(rss)/1024)
			if took > budgetTimeout+budgetSlack {
				t.Errorf("took %v with --timeout %v", took, budgetTimeout)
			}
			if rss > budgetRSS {
				t.Errorf("max RSS %d KiB, budget %d KiB", rss, budgetRSS)
			}
			var doc struct {
				Diagnoses []struct{ Code, Severity string }
			}
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Fatalf("output is not JSON (%v):\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			var codes []string
			for _, d := range doc.Diagnoses {
				if d.Severity != "info" && !slices.Contains(codes, d.Code) {
					codes = append(codes, d.Code)
				}
			}
			if want := slices.Sorted(slices.Values(sc.Expect)); !slices.Equal(slices.Sorted(slices.Values(codes)), want) {
				t.Errorf("diagnosed %v, want %v\n%s", codes, want, stdout.String())
			}
		})
	}
}

// isolatedProcessEnv is the test's environment without the variables that
// point regdoctor at the machine's own credentials, registries and proxies.
func isolatedProcessEnv(t *testing.T, authFile string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE",
			"CONTAINERS_REGISTRIES_CONF", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY":
			continue
		}
		env = append(env, kv)
	}
	home := t.TempDir()
	// No DOCKER_CONFIG: ~/.docker is docker's default, and DOCKER_CONFIG
	// without a config.json makes podman refuse to run.
	return append(env, "HOME="+home, "REGISTRY_AUTH_FILE="+authFile, "NO_COLOR=1")
}
