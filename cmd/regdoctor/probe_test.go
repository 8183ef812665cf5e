package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
	"github.com/regdoctor/regdoctor/report"
)

// waitFor bounds every wait for something regdoctor must do by itself.
const waitFor = 30 * time.Second

// lines is an io.Writer that hands each written line to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	for _, s := range strings.SplitAfter(string(p), "\n") {
		if s != "" {
			l <- s
		}
	}
	return len(p), nil
}

func (l lines) next(t *testing.T, what string) string {
	t.Helper()
	select {
	case s := <-l:
		return s
	case <-time.After(waitFor):
		t.Fatalf("no %s within %s", what, waitFor)
		return ""
	}
}

func writeTargets(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "targets.yml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type jsonTarget struct {
	Target    string            `json:"target"`
	Healthy   bool              `json:"healthy"`
	Labels    map[string]string `json:"labels"`
	Diagnoses []struct {
		Code string `json:"code"`
	} `json:"diagnoses"`
}

func (j jsonTarget) codes() []string {
	var cs []string
	for _, d := range j.Diagnoses {
		cs = append(cs, d.Code)
	}
	return cs
}

// A registry that accepts connections and never answers holds its slot
// until its timeout; a healthy one checked alongside is printed first.
func TestCheckJSONLSlowTargetDoesNotHoldUpOthers(t *testing.T) {
	healthy, silent := fixturetest.Start(t, "healthy"), fixturetest.Start(t, "server-not-responding")
	isolate(t, "")
	targets := writeTargets(t, fmt.Sprintf("- target: %s\n  timeout: 1s\n- %s\n", silent.Target, healthy.Target))
	r := cli("check", "--targets", targets, "--cert-dir", healthy.CertDir, "-o", "jsonl", "--parallel", "2")
	if r.code != report.ExitError {
		t.Errorf("exit %d, want %d (one target failed)\nstderr: %s", r.code, report.ExitError, r.stderr)
	}
	out := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(out) != 2 {
		t.Fatalf("%d lines, want one per target:\n%s", len(out), r.stdout)
	}
	var first, second jsonTarget
	if err := json.Unmarshal([]byte(out[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first.Target != healthy.Target || !first.Healthy {
		t.Errorf("first line %+v, want the healthy target, which finishes first", first)
	}
	if second.Target != silent.Target || second.Healthy || !strings.Contains(strings.Join(second.codes(), " "), "server-not-responding") {
		t.Errorf("second line %+v, want the silent target with server-not-responding", second)
	}
}

func TestCheckManyTargetsOutputsAndExitCodes(t *testing.T) {
	healthy, broken := fixturetest.Start(t, "healthy"), fixturetest.Start(t, "tag-mismatch")
	isolate(t, "")
	args := []string{"check", "--timeout", cliTimeout, "--cert-dir", healthy.CertDir}
	both := []string{healthy.Target, broken.Target}

	r := cli(append(append(args, "-o", "json"), both...)...)
	var arr []jsonTarget
	if err := json.Unmarshal([]byte(r.stdout), &arr); err != nil {
		t.Fatalf("-o json with two targets is not an array: %v\n%s", err, r.stdout)
	}
	if len(arr) != 2 || arr[0].Target != healthy.Target || !arr[0].Healthy || arr[1].Target != broken.Target || arr[1].Healthy {
		t.Errorf("-o json: %+v, want the two targets in order", arr)
	}
	if r.code != report.ExitError {
		t.Errorf("-o json: exit %d, want the worst over targets, %d", r.code, report.ExitError)
	}

	r = cli(append(append(args, "--no-color"), both...)...)
	rows := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	for i := range rows {
		rows[i] = strings.Join(strings.Fields(rows[i]), " ")
	}
	if len(rows) != 3 || !strings.HasPrefix(rows[0], "✓ "+healthy.Target+" healthy ") ||
		!strings.HasPrefix(rows[1], "✗ "+broken.Target+" unhealthy tag-not-found ") || rows[2] != "2 targets: 1 healthy, 1 unhealthy" {
		t.Errorf("table: want a summary row per target and a total:\n%s", r.stdout)
	}

	r = cli(append(append(args, "-o", "prometheus"), both...)...)
	if got := healthyByTarget(parseMetrics(t, r.stdout)); got[healthy.Target] != 1 || got[broken.Target] != 0 || len(got) != 2 {
		t.Errorf("-o prometheus: regdoctor_target_healthy = %v", got)
	}

	if r = cli(append(append(args, "--exit-codes", "nagios"), both...)...); r.code != report.NagiosCritical {
		t.Errorf("nagios with an error: exit %d, want %d", r.code, report.NagiosCritical)
	}
	if r = cli(append(append(args, "--exit-codes", "nagios"), healthy.Target)...); r.code != report.NagiosOK {
		t.Errorf("nagios, healthy: exit %d, want %d", r.code, report.NagiosOK)
	}

	// One target keeps the single object of before.
	r = cli(append(append(args, "-o", "json"), healthy.Target)...)
	var one jsonTarget
	if err := json.Unmarshal([]byte(r.stdout), &one); err != nil || one.Target != healthy.Target {
		t.Errorf("-o json with one target is not the single object: %v\n%s", err, r.stdout)
	}
}

func TestCheckProbeUsageErrors(t *testing.T) {
	isolate(t, "")
	missing := filepath.Join(t.TempDir(), "missing.yml")
	badLabel := writeTargets(t, "- target: a.example.com\n  labels: {bad-name: x}\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"nagios unknown flag", []string{"check", "--exit-codes", "nagios", "--bogus", "a.example.com"}, report.NagiosUnknown},
		{"nagios missing targets file", []string{"check", "--exit-codes", "nagios", "--targets", missing}, report.NagiosUnknown},
		{"nagios no target", []string{"check", "--exit-codes", "nagios"}, report.NagiosUnknown},
		{"missing targets file", []string{"check", "--targets", missing}, report.ExitUsage},
		{"bad label in targets file", []string{"check", "--targets", badLabel}, report.ExitUsage},
		{"unknown exit codes", []string{"check", "--exit-codes", "sensu", "a.example.com"}, report.ExitUsage},
		{"parallel 0", []string{"check", "--parallel", "0", "a.example.com"}, report.ExitUsage},
		{"watch with json", []string{"check", "--watch", "1m", "-o", "json", "a.example.com"}, report.ExitUsage},
		{"watch with prometheus", []string{"check", "--watch", "1m", "-o", "prometheus", "a.example.com"}, report.ExitUsage},
		{"serve bad interval", []string{"serve", "--interval", "0s"}, report.ExitUsage},
		{"serve with -o", []string{"serve", "-o", "json"}, report.ExitUsage},
		{"serve missing targets file", []string{"serve", "--targets", missing}, report.ExitUsage},
		{"serve probe-allow with a path", []string{"serve", "--probe-allow", "registry.example.com/team"}, report.ExitUsage},
		{"serve probe-parallel 0", []string{"serve", "--probe-parallel", "0"}, report.ExitUsage},
		{"serve negative probe-queue", []string{"serve", "--probe-queue", "-1"}, report.ExitUsage},
	} {
		r := cli(tc.args...)
		if r.code != tc.code || r.stdout != "" || r.stderr == "" {
			t.Errorf("%s: exit %d, want %d, with only stderr explaining; stdout %q, stderr %q", tc.name, r.code, tc.code, r.stdout, r.stderr)
		}
	}
}

// --watch prints the first state, then only changes: here the registry
// goes away.
func TestCheckWatchPrintsChanges(t *testing.T) {
	reg := fixturetest.Start(t, "healthy")
	isolate(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(lines, 100)
	code := make(chan int)
	go func() {
		code <- cmdCheck(ctx, []string{"--watch", "50ms", "--timeout", cliTimeout, "--cert-dir", reg.CertDir, "--no-color", reg.Target}, out, io.Discard)
	}()
	first := out.next(t, "initial state")
	if !strings.Contains(first, reg.Target+"  healthy") {
		t.Errorf("first line %q, want the target healthy", first)
	}
	reg.Close()
	second := out.next(t, "change after the registry went away")
	if !strings.Contains(second, reg.Target+"  unhealthy  connection-refused") {
		t.Errorf("second line %q, want the target unhealthy with connection-refused", second)
	}
	cancel()
	select {
	case c := <-code:
		if c != report.ExitError {
			t.Errorf("exit %d, want %d from the latest state", c, report.ExitError)
		}
	case <-time.After(waitFor):
		t.Fatal("--watch did not stop when its context ended")
	}
	close(out)
	for extra := range out {
		t.Errorf("line printed without a change: %q", extra)
	}
}

func healthyByTarget(families map[string]*dto.MetricFamily) map[string]float64 {
	got := map[string]float64{}
	for _, m := range families["regdoctor_target_healthy"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "target" {
				got[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	return got
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func parseMetrics(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not the text exposition format: %v\n%s", err, body)
	}
	return families
}

var listening = regexp.MustCompile(`listening on (https?://\S+)`)

func TestServe(t *testing.T) {
	healthy, broken := fixturetest.Start(t, "healthy"), fixturetest.Start(t, "tag-mismatch")
	isolate(t, "")
	targets := writeTargets(t, fmt.Sprintf("- target: %s\n  labels: {team: payments}\n- %s\n", healthy.Target, broken.Target))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := make(lines, 100)
	code := make(chan int)
	go func() {
		code <- cmdServe(ctx, []string{"--listen", "127.0.0.1:0", "--targets", targets, "--interval", "1h", "--timeout", cliTimeout, "--cert-dir", healthy.CertDir}, io.Discard, stderr)
	}()
	m := listening.FindStringSubmatch(stderr.next(t, "listening line"))
	if m == nil {
		t.Fatal("serve did not say where it listens")
	}
	base := m[1]

	if status, body := get(t, base+"/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", status, body)
	}

	// Both scheduled runs end up in /metrics.
	var families map[string]*dto.MetricFamily
	for deadline := time.Now().Add(waitFor); ; time.Sleep(20 * time.Millisecond) {
		_, body := get(t, base+"/metrics")
		families = parseMetrics(t, body)
		if len(healthyByTarget(families)) == 2 || time.Now().After(deadline) {
			break
		}
	}
	if got := healthyByTarget(families); got[healthy.Target] != 1 || got[broken.Target] != 0 {
		t.Errorf("/metrics regdoctor_target_healthy = %v, want %s 1 and %s 0", got, healthy.Target, broken.Target)
	}
	if families["go_goroutines"] == nil || families["regdoctor_diagnosis"] == nil {
		t.Errorf("/metrics lacks the process or diagnosis metrics")
	}
	for _, m := range families["regdoctor_target_healthy"].GetMetric() {
		if labels := fmt.Sprint(m.GetLabel()); strings.Contains(labels, healthy.Target) && !strings.Contains(labels, "payments") {
			t.Errorf("the targets file's labels are missing: %s", labels)
		}
	}

	// /probe checks one target now and returns its metrics only.
	status, body := get(t, base+"/probe?target="+broken.Target)
	if got := healthyByTarget(parseMetrics(t, body)); status != http.StatusOK || len(got) != 1 || got[broken.Target] != 0 {
		t.Errorf("/probe: %d, regdoctor_target_healthy = %v", status, got)
	}
	if status, _ := get(t, base+"/probe"); status != http.StatusBadRequest {
		t.Errorf("/probe without target: %d, want 400", status)
	}
	if status, _ := get(t, base+"/probe?target=UPPER/Case::bad"); status != http.StatusBadRequest {
		t.Errorf("/probe with a bad target: %d, want 400", status)
	}
	if status, _ := get(t, base+"/probe?target="+healthy.Target+"&platform=linux"); status != http.StatusBadRequest {
		t.Errorf("/probe with a bad platform: %d, want 400", status)
	}

	cancel()
	select {
	case c := <-code:
		if c != report.ExitOK {
			t.Errorf("serve exit %d after shutdown, want 0", c)
		}
	case <-time.After(waitFor):
		t.Fatal("serve did not shut down when its context ended")
	}
}
