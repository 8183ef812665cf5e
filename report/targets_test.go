package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/probe"
)

// outcome is a finished run of ref with the given diagnoses, or, with err,
// one that never started.
func outcome(t *testing.T, ref string, err error, ds ...diagnose.Diagnosis) probe.Outcome {
	t.Helper()
	tg := probe.Target{Ref: ref}
	if e := tg.Validate(); e != nil {
		t.Fatal(e)
	}
	if err != nil {
		return probe.Outcome{Target: tg, Err: err}
	}
	rep := &diagnose.Report{
		Target: tg.Parsed, Started: time.Unix(1700000000, 0), Duration: 42 * time.Millisecond,
		Results:   []*checks.Result{{ID: "dns", Status: checks.Pass, Summary: "resolves"}},
		Diagnoses: ds,
	}
	return probe.Outcome{Target: tg, Report: rep}
}

func diag(code string, sev diagnose.Severity) diagnose.Diagnosis {
	return diagnose.Diagnosis{Code: diagnose.Code(code), Severity: sev, Title: code}
}

var errNotRun = errors.New("context canceled")

func mixed(t *testing.T) []probe.Outcome {
	return []probe.Outcome{
		outcome(t, "ok.example.com", nil),
		outcome(t, "broken.example.com/team/app:1", nil, diag("tag-not-found", diagnose.Error)),
		outcome(t, "skewed.example.com", nil, diag("clock-skew", diagnose.Warning)),
		outcome(t, "late.example.com", errNotRun),
	}
}

func TestWriteJSONL(t *testing.T) {
	var buf bytes.Buffer
	for _, o := range mixed(t) {
		if err := WriteJSONL(&buf, o); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want one per target:\n%s", len(lines), buf.String())
	}
	want := []struct {
		target, err string
		healthy     bool
	}{{"ok.example.com", "", true}, {"broken.example.com/team/app:1", "", false}, {"skewed.example.com", "", true}, {"late.example.com", "not run: context canceled", false}}
	for i, line := range lines {
		var j JSONOutcome
		if err := json.Unmarshal([]byte(line), &j); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i, err, line)
		}
		if j.Target != want[i].target || j.Healthy != want[i].healthy || j.Error != want[i].err || j.Version == "" || j.Checks == nil {
			t.Errorf("line %d: %+v, want %+v", i, j, want[i])
		}
	}
}

func TestWriteJSONOutcomes(t *testing.T) {
	var one, many bytes.Buffer
	single := mixed(t)[1]
	if err := WriteJSONOutcomes(&one, []probe.Outcome{single}); err != nil {
		t.Fatal(err)
	}
	// A single target prints exactly today's single object.
	var today bytes.Buffer
	if err := WriteJSON(&today, single.Report); err != nil {
		t.Fatal(err)
	}
	if one.String() != today.String() {
		t.Errorf("single target:\n%s\nwant the single-target document:\n%s", one.String(), today.String())
	}
	if err := WriteJSONOutcomes(&many, mixed(t)); err != nil {
		t.Fatal(err)
	}
	var arr []JSONOutcome
	if err := json.Unmarshal(many.Bytes(), &arr); err != nil {
		t.Fatalf("several targets are not a JSON array: %v\n%s", err, many.String())
	}
	if len(arr) != 4 || arr[1].Diagnoses[0].Code != "tag-not-found" || arr[3].Error == "" || arr[3].Registry != "late.example.com" {
		t.Errorf("array: %+v", arr)
	}
}

func TestWriteTableOutcomesSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTableOutcomes(&buf, mixed(t), NewPalette(false)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := [][]string{
		{"✓", "ok.example.com", "healthy", "42ms"},
		{"✗", "broken.example.com/team/app:1", "unhealthy", "tag-not-found", "42ms"},
		{"!", "skewed.example.com", "healthy", "clock-skew", "42ms"},
		{"-", "late.example.com", "not", "run:", "context", "canceled"},
		{"4", "targets:", "2", "healthy,", "1", "unhealthy,", "1", "not", "checked"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want a row per target and a total:\n%s", len(lines), buf.String())
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d: %q, want fields %q", i, lines[i], w)
		}
	}

	// One finished target keeps the full table.
	buf.Reset()
	if err := WriteTableOutcomes(&buf, mixed(t)[1:2], NewPalette(false)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "regdoctor check broken.example.com/team/app:1") || !strings.Contains(buf.String(), "1 problem found") {
		t.Errorf("single target is not the full table:\n%s", buf.String())
	}
}

func TestWriteChange(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteChange(&buf, mixed(t)[1], NewPalette(false)); err != nil {
		t.Fatal(err)
	}
	want := "2023-11-14T22:13:20Z  ✗  broken.example.com/team/app:1  unhealthy  tag-not-found  42ms\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

// The exposition output parses back into the series the collector defines.
func TestWritePrometheusParsesBack(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePrometheus(&buf, mixed(t)); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("not the text exposition format: %v\n%s", err, buf.String())
	}
	healthy := map[string]float64{}
	for _, m := range families["regdoctor_target_healthy"].GetMetric() {
		healthy[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
	}
	want := map[string]float64{"ok.example.com": 1, "broken.example.com/team/app:1": 0, "skewed.example.com": 1}
	if len(healthy) != len(want) {
		t.Errorf("regdoctor_target_healthy = %v, want %v (no series for a target not run)", healthy, want)
	}
	for k, v := range want {
		if got, ok := healthy[k]; !ok || got != v {
			t.Errorf("regdoctor_target_healthy{target=%q} = %v, want %v", k, got, v)
		}
	}
	diags := families["regdoctor_diagnosis"].GetMetric()
	if len(diags) != 2 {
		t.Errorf("regdoctor_diagnosis has %d series, want 2", len(diags))
	}
	for _, name := range []string{"regdoctor_check_status", "regdoctor_check_duration_seconds", "regdoctor_last_run_timestamp_seconds", "regdoctor_probe_duration_seconds"} {
		if families[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

func TestExitCodes(t *testing.T) {
	all := mixed(t)
	ok, broken, skewed, late := all[0], all[1], all[2], all[3]
	for _, tc := range []struct {
		name         string
		outs         []probe.Outcome
		code, nagios int
	}{
		{"all healthy", []probe.Outcome{ok, ok}, ExitOK, NagiosOK},
		{"a warning", []probe.Outcome{ok, skewed}, ExitOK, NagiosWarning},
		{"an error among others", []probe.Outcome{ok, skewed, broken}, ExitError, NagiosCritical},
		{"error first", []probe.Outcome{broken, skewed, ok}, ExitError, NagiosCritical},
		{"one not run, rest healthy", []probe.Outcome{ok, late}, ExitError, NagiosUnknown},
		{"one not run, one warning", []probe.Outcome{late, skewed}, ExitError, NagiosWarning},
		{"none could run", []probe.Outcome{late, late}, ExitError, NagiosUnknown},
		{"no targets", nil, ExitOK, NagiosUnknown},
	} {
		if got := ExitCodeAll(tc.outs); got != tc.code {
			t.Errorf("%s: ExitCodeAll = %d, want %d", tc.name, got, tc.code)
		}
		if got := NagiosExitCode(tc.outs); got != tc.nagios {
			t.Errorf("%s: NagiosExitCode = %d, want %d", tc.name, got, tc.nagios)
		}
	}
}
