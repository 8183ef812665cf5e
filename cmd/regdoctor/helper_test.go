//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
	"github.com/regdoctor/regdoctor/report"
	"github.com/regdoctor/regdoctor/target"
)

// helperTimeout is --timeout for the credential-helper tests; helperSlack
// is what a run may take past it on a loaded 2-core machine: process
// start-up, the helper's WaitDelay, the pipeline's grace.
const (
	helperTimeout = 2 * time.Second
	helperSlack   = 1500 * time.Millisecond
)

// badHelpers are docker credential helpers that a run must survive. The
// scripts append the pids they leave behind to $PIDS, which the test kills.
var badHelpers = []struct {
	name, script string
	hangs        bool // costs the whole --timeout
}{
	{"hangs", "exec sleep 60\n", true},
	// Killed at the deadline, while the child it forked still holds stdout.
	{"forks-and-hangs", "sleep 60 &\necho $! >>$PIDS\nexec sleep 60\n", true},
	// Answers and exits, but a daemon it started keeps stdout open.
	{"forks-and-answers", "sleep 60 &\necho $! >>$PIDS\necho '{\"Username\":\"u\",\"Secret\":\"helper-secret-9\"}'\n", false},
	{"floods", "exec head -c 104857600 /dev/zero\n", false},
}

// installHelper writes docker-credential-NAME into a new directory and a
// config.json there that names it for registry, as credHelpers or, with
// store, as credsStore. It returns the directory, for PATH and
// DOCKER_CONFIG.
func installHelper(t *testing.T, name, script, registry string, store bool) string {
	t.Helper()
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-"+name), []byte("#!/bin/sh\n"+strings.ReplaceAll(script, "$PIDS", pids)), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := `{"credHelpers":{"` + registry + `":"` + name + `"}}`
	if store {
		conf = `{"credsStore":"` + name + `"}`
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		data, _ := os.ReadFile(pids)
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return dir
}

func registryOf(t *testing.T, reg *fixtures.Registry) string {
	t.Helper()
	tg, err := target.Parse(reg.Target)
	if err != nil {
		t.Fatal(err)
	}
	return tg.Registry
}

type helperReport struct {
	Healthy    bool  `json:"healthy"`
	DurationMS int64 `json:"duration_ms"`
	Diagnoses  []struct {
		Code, Severity, Detail string
	} `json:"diagnoses"`
}

func (r helperReport) helperProblem() string {
	for _, d := range r.Diagnoses {
		if d.Code == "credential-helper-failed" && d.Severity == "error" {
			return d.Detail
		}
	}
	return ""
}

var tableTotal = regexp.MustCompile(`problems? found \((\d+)ms\)`)

// TestBinaryTimeoutCoversCredentialHelper runs the built binary, with
// --timeout 2s, against a registry that needs credentials, with a
// credential helper that hangs, forks, or floods. The run ends within the
// timeout plus slack, its report names the helper and is not healthy, and
// duration_ms (and the table's total) include the helper's time.
func TestBinaryTimeoutCoversCredentialHelper(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := builtTools()
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range badHelpers {
		for _, output := range []string{"json", "table"} {
			store := i%2 == 1 // credsStore for some, credHelpers for the others
			t.Run(h.name+"/"+output, func(t *testing.T) {
				t.Parallel()
				reg := fixturetest.Start(t, "not-logged-in")
				dir := installHelper(t, h.name, h.script, registryOf(t, reg), store)
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer cancel()
				// podman never asks credsStore (containers/image reads only
				// auths and credHelpers); docker does.
				client := "podman"
				if store {
					client = "docker"
				}
				cmd := exec.CommandContext(ctx, filepath.Join(bin, "regdoctor"), "check", "--timeout", helperTimeout.String(), "-o", output,
					"--client", client, "--sysroot", t.TempDir(), reg.Target)
				cmd.Env = append(isolatedProcessEnv(t, reg.AuthFile), "DOCKER_CONFIG="+dir, "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				start := time.Now()
				err := cmd.Run()
				took := time.Since(start)
				if code := cmd.ProcessState.ExitCode(); code != report.ExitError {
					t.Errorf("exit %d (%v), want %d; stderr:\n%s", code, err, report.ExitError, stderr.String())
				}
				if took > helperTimeout+helperSlack {
					t.Errorf("took %v with --timeout %v", took, helperTimeout)
				}
				var ms int64
				if output == "json" {
					var rep helperReport
					if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
						t.Fatalf("not JSON (%v):\n%s", err, stdout.String())
					}
					if detail := rep.helperProblem(); rep.Healthy || !strings.Contains(detail, "docker-credential-"+h.name) {
						t.Errorf("healthy %v, diagnoses %+v; want credential-helper-failed naming docker-credential-%s", rep.Healthy, rep.Diagnoses, h.name)
					}
					ms = rep.DurationMS
				} else {
					m := tableTotal.FindStringSubmatch(stdout.String())
					if m == nil || !strings.Contains(stdout.String(), "credential-helper-failed") {
						t.Fatalf("the table names no helper problem or no total:\n%s", stdout.String())
					}
					ms, _ = strconv.ParseInt(m[1], 10, 64)
				}
				if strings.Contains(stdout.String(), "helper-secret-9") || strings.Contains(stderr.String(), "helper-secret-9") {
					t.Error("the helper's secret was printed")
				}
				if ms > took.Milliseconds() || h.hangs && ms < helperTimeout.Milliseconds() {
					t.Errorf("duration %dms in a run of %v; a hanging helper takes the whole --timeout %v", ms, took, helperTimeout)
				}
			})
		}
	}
}

// TestEveryEntryPointBoundsCredentialHelper: check with several targets,
// --watch, serve's scheduled targets and /probe all load the configuration
// within the run's --timeout, and report the helper.
func TestEveryEntryPointBoundsCredentialHelper(t *testing.T) {
	reg := fixturetest.Start(t, "not-logged-in")
	dirs := isolate(t, "")
	h := badHelpers[0] // hangs
	dir := installHelper(t, h.name, h.script, registryOf(t, reg), false)
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	other := reg.Target + "-other" // another repository on the same registry
	flags := []string{"--timeout", helperTimeout.String(), "--client", "podman", "--sysroot", dirs["SYSROOT"]}

	t.Run("check many targets", func(t *testing.T) {
		start := time.Now()
		r := cli(append(append([]string{"check", "-o", "json"}, flags...), reg.Target, other)...)
		if took := time.Since(start); took > helperTimeout+helperSlack {
			t.Errorf("two targets in parallel took %v with --timeout %v", took, helperTimeout)
		}
		var reps []helperReport
		if err := json.Unmarshal([]byte(r.stdout), &reps); err != nil || len(reps) != 2 {
			t.Fatalf("want a JSON array of two reports (%v):\n%s", err, r.stdout)
		}
		for i, rep := range reps {
			if rep.Healthy || rep.helperProblem() == "" || rep.DurationMS < helperTimeout.Milliseconds() {
				t.Errorf("target %d: healthy %v in %dms, diagnoses %+v", i, rep.Healthy, rep.DurationMS, rep.Diagnoses)
			}
		}
	})

	t.Run("watch", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := make(lines, 100)
		done := make(chan int, 1)
		start := time.Now()
		go func() {
			done <- cmdCheck(ctx, append(append([]string{"--watch", "1h", "--no-color"}, flags...), reg.Target), out, io.Discard)
		}()
		first := out.next(t, "the first state")
		if took := time.Since(start); took > helperTimeout+helperSlack {
			t.Errorf("first state after %v with --timeout %v", took, helperTimeout)
		}
		if !strings.Contains(first, "unhealthy") || !strings.Contains(first, "credential-helper-failed") {
			t.Errorf("first line %q, want the target unhealthy with credential-helper-failed", first)
		}
		cancel()
		<-done
	})

	t.Run("serve", func(t *testing.T) {
		targets := writeTargets(t, fmt.Sprintf("- %s\n", reg.Target))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stderr := make(lines, 100)
		done := make(chan int, 1)
		start := time.Now()
		go func() {
			done <- cmdServe(ctx, append([]string{"--listen", "127.0.0.1:0", "--targets", targets, "--interval", "1h"}, flags...), io.Discard, stderr)
		}()
		m := listening.FindStringSubmatch(stderr.next(t, "listening line"))
		if m == nil {
			t.Fatal("serve did not say where it listens")
		}
		// The scheduled run: its change line names the helper problem.
		if line := stderr.next(t, "the scheduled run's change line"); !strings.Contains(line, "credential-helper-failed") {
			t.Errorf("scheduled run: %q, want credential-helper-failed", line)
		}
		if took := time.Since(start); took > helperTimeout+helperSlack {
			t.Errorf("scheduled run reported after %v with --timeout %v", took, helperTimeout)
		}
		start = time.Now()
		status, body := get(t, m[1]+"/probe?target="+other)
		if took := time.Since(start); took > helperTimeout+helperSlack {
			t.Errorf("/probe took %v with --timeout %v", took, helperTimeout)
		}
		families := parseMetrics(t, body)
		if got := healthyByTarget(families); status != 200 || got[other] != 0 || len(got) != 1 {
			t.Errorf("/probe: %d, regdoctor_target_healthy = %v", status, got)
		}
		if !strings.Contains(body, `code="credential-helper-failed"`) {
			t.Errorf("/probe metrics name no helper problem:\n%s", body)
		}
		cancel()
		<-done
	})
}
