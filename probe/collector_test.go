package probe

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
)

// outcome is a finished run of ref with one result per status and the
// given diagnoses.
func outcome(t *testing.T, ref string, labels map[string]string, ds ...diagnose.Diagnosis) Outcome {
	t.Helper()
	tg := targets(t, ref)[0]
	tg.Labels = labels
	rep := &diagnose.Report{
		Target:   tg.Parsed,
		Started:  time.Unix(1700000000, 0),
		Duration: 1500 * time.Millisecond,
		Results: []*checks.Result{
			{ID: "dns", Status: checks.Pass, Duration: 2 * time.Millisecond},
			{ID: "manifest", Status: checks.Fail, Duration: 250 * time.Millisecond},
		},
		Diagnoses: ds,
	}
	return Outcome{Target: tg, Report: rep}
}

func diag(code string, sev diagnose.Severity) diagnose.Diagnosis {
	return diagnose.Diagnosis{Code: diagnose.Code(code), Severity: sev}
}

// series renders gathered metrics as `name{k="v",...} value` lines.
func series(t *testing.T, g prometheus.Gatherer) []string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out = append(out, fmt.Sprintf("%s{%s} %g", mf.GetName(), labelString(m.GetLabel()), m.GetGauge().GetValue()))
		}
	}
	return out
}

func labelString(ls []*dto.LabelPair) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s=%q", l.GetName(), l.GetValue())
	}
	return strings.Join(parts, ",")
}

func TestCollectorSeries(t *testing.T) {
	o := outcome(t, "registry.example.com/team/app:1", nil, diag("tag-not-found", diagnose.Error), diag("clock-skew", diagnose.Warning))
	got := series(t, Registry([]Outcome{o}))
	tl := `target="registry.example.com/team/app:1"`
	want := []string{
		`regdoctor_check_duration_seconds{check="dns",` + tl + `} 0.002`,
		`regdoctor_check_duration_seconds{check="manifest",` + tl + `} 0.25`,
		`regdoctor_check_status{check="dns",status="fail",` + tl + `} 0`,
		`regdoctor_check_status{check="dns",status="pass",` + tl + `} 1`,
		`regdoctor_check_status{check="dns",status="skip",` + tl + `} 0`,
		`regdoctor_check_status{check="dns",status="warn",` + tl + `} 0`,
		`regdoctor_check_status{check="manifest",status="fail",` + tl + `} 1`,
		`regdoctor_check_status{check="manifest",status="pass",` + tl + `} 0`,
		`regdoctor_check_status{check="manifest",status="skip",` + tl + `} 0`,
		`regdoctor_check_status{check="manifest",status="warn",` + tl + `} 0`,
		`regdoctor_diagnosis{code="clock-skew",severity="warning",` + tl + `} 1`,
		`regdoctor_diagnosis{code="tag-not-found",severity="error",` + tl + `} 1`,
		`regdoctor_last_run_timestamp_seconds{` + tl + `} 1.7000000015e+09`,
		`regdoctor_probe_duration_seconds{` + tl + `} 1.5`,
		`regdoctor_target_healthy{` + tl + `} 0`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCollectorDropsDiagnosesThatDisappeared(t *testing.T) {
	c := NewCollector(nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	c.Observe(outcome(t, "a.example.com", nil, diag("rate-limited", diagnose.Error)))
	if !slices.Contains(series(t, reg), `regdoctor_diagnosis{code="rate-limited",severity="error",target="a.example.com"} 1`) {
		t.Fatalf("diagnosis not exported:\n%s", strings.Join(series(t, reg), "\n"))
	}
	c.Observe(outcome(t, "a.example.com", nil))
	for _, s := range series(t, reg) {
		if strings.HasPrefix(s, "regdoctor_diagnosis") {
			t.Errorf("stale series after the diagnosis disappeared: %s", s)
		}
	}
	if !slices.Contains(series(t, reg), `regdoctor_target_healthy{target="a.example.com"} 1`) {
		t.Errorf("target not healthy after its diagnosis disappeared")
	}
	// A run that did not finish leaves the last complete one exported.
	c.Observe(Outcome{Target: targets(t, "a.example.com")[0], Err: fmt.Errorf("interrupted")})
	if !slices.Contains(series(t, reg), `regdoctor_target_healthy{target="a.example.com"} 1`) {
		t.Errorf("an unfinished run replaced the last complete one")
	}
}

// Labels from the targets file are on every series of their target; a
// target without one exports it empty, which Prometheus reads as absent.
func TestCollectorExtraLabels(t *testing.T) {
	a := outcome(t, "a.example.com", map[string]string{"team": "payments", "env": "prod"})
	b := outcome(t, "b.example.com", map[string]string{"team": "platform"})
	got := series(t, Registry([]Outcome{a, b}))
	for _, want := range []string{
		`regdoctor_target_healthy{env="prod",target="a.example.com",team="payments"} 1`,
		`regdoctor_target_healthy{env="",target="b.example.com",team="platform"} 1`,
		`regdoctor_check_status{check="dns",env="prod",status="pass",target="a.example.com",team="payments"} 1`,
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s in:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

func TestChangesReportsHealthAndCodeChanges(t *testing.T) {
	var c Changes
	steps := []struct {
		o    Outcome
		want bool
	}{
		{outcome(t, "a.example.com", nil), true}, // first state
		{outcome(t, "b.example.com", nil), true}, // another target's first state
		{outcome(t, "a.example.com", nil), false},
		{outcome(t, "a.example.com", nil, diag("clock-skew", diagnose.Warning)), true},
		{outcome(t, "a.example.com", nil, diag("clock-skew", diagnose.Warning)), false},
		{outcome(t, "a.example.com", nil, diag("clock-skew", diagnose.Warning), diag("rate-limited", diagnose.Error)), true},
		{outcome(t, "a.example.com", nil, diag("rate-limited", diagnose.Error), diag("clock-skew", diagnose.Warning)), false}, // same set
		{outcome(t, "a.example.com", nil, diag("plain-http-registry", diagnose.Info)), true},                                  // healthy again, one info code
		{outcome(t, "a.example.com", nil), true},                                                                              // the info code went away
	}
	for i, s := range steps {
		if got := c.Changed(s.o); got != s.want {
			t.Errorf("step %d (%s %v): Changed = %v, want %v", i, s.o.Target.Ref, Codes(s.o.Report), got, s.want)
		}
	}
}
