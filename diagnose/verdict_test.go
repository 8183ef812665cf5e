package diagnose_test

import (
	"context"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"

	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// TestVerdictInvariant holds every fixture to the promise the verdict
// makes: a pull step that failed means unhealthy, unless a diagnosis of
// it spares every judged client; an unhealthy report names an error with
// a remedy; and a client judged ok is one for which no step failed, or
// one a diagnosis spares (it pulls through a mirror, trusts the CA).
func TestVerdictInvariant(t *testing.T) {
	for _, sc := range allScenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			rep := runScenario(t, fixturetest.Start(t, sc.Name))
			assertVerdictInvariant(t, rep)
		})
	}
}

// allScenarios are the demo's scenarios and the corpus of pull faults.
func allScenarios() []fixtures.Scenario {
	return append(fixtures.Scenarios(), fixtures.PullFaults()...)
}

func assertVerdictInvariant(t *testing.T, rep *diagnose.Report) {
	t.Helper()
	if len(rep.Pull) == 0 {
		t.Fatalf("no pull steps recorded")
	}
	var failed *diagnose.PullStep
	for i, s := range rep.Pull {
		if !s.Passed {
			failed = &rep.Pull[i]
			break
		}
	}
	var errors []diagnose.Diagnosis
	for _, d := range rep.Diagnoses {
		if d.Severity == diagnose.Error {
			errors = append(errors, d)
		}
	}
	spared := len(rep.Clients) > 0
	for _, v := range rep.Clients {
		spared = spared && v.Verdict == "ok" && (strings.HasPrefix(v.Reason, "not affected by ") || pullsThroughMirror(v))
	}
	if failed != nil && rep.Healthy() && !spared {
		t.Errorf("step %s (%s) failed: %s, yet the report is healthy", failed.Step, failed.Check, failed.Summary)
	}
	for _, v := range rep.Clients {
		if v.Verdict == "fails" && (rep.Healthy() || len(errors) == 0) {
			t.Errorf("%s is judged to fail (%s), yet healthy=%v with %d errors", v.Name, v.Reason, rep.Healthy(), len(errors))
		}
	}
	if !rep.Healthy() && len(errors) == 0 {
		t.Errorf("unhealthy without an error diagnosis: %+v", rep.Diagnoses)
	}
	for _, d := range errors {
		if len(d.Remediation) == 0 || d.Detail == "" {
			t.Errorf("error %s has no detail or remedy: %+v", d.Code, d)
		}
	}
	if failed == nil {
		return
	}
	for _, v := range rep.Clients {
		if v.Verdict == "ok" && !pullsThroughMirror(v) && !strings.HasPrefix(v.Reason, "not affected by ") {
			t.Errorf("step %s failed (%s), yet %s is judged ok: %s", failed.Step, failed.Summary, v.Name, v.Reason)
		}
	}
	if t.Failed() {
		for _, r := range rep.Results {
			t.Logf("%-14s %-4s %s", r.ID, r.Status, r.Summary)
		}
		for _, d := range rep.Diagnoses {
			t.Logf("%s %s: %s", d.Severity, d.Code, d.Detail)
		}
	}
}

func pullsThroughMirror(v diagnose.ClientVerdict) bool {
	return strings.HasPrefix(v.Reason, "pulls through mirror")
}

// A step that fails in a way no rule knows (here a check that crashes)
// still makes the run unhealthy, with pull-step-failed naming the step.
func TestFailedStepNoRuleKnows(t *testing.T) {
	reg := fixturetest.Start(t, "healthy")
	tg, err := target.Parse(reg.Target)
	if err != nil {
		t.Fatal(err)
	}
	list := checks.All()
	for i := range list {
		if list[i].ID == checks.IDLayers {
			list[i].Run = func(context.Context, *checks.Env, checks.Deps) checks.Result { panic("boom") }
		}
	}
	rep := diagnose.Check(context.Background(), tg, scenarioOptions(t, reg), diagnose.Hooks{Checks: list})
	if rep.Healthy() {
		t.Fatalf("a crashed layers check, yet healthy: %+v", rep.Diagnoses)
	}
	var d *diagnose.Diagnosis
	for i := range rep.Diagnoses {
		if rep.Diagnoses[i].Code == "pull-step-failed" {
			d = &rep.Diagnoses[i]
		}
	}
	if d == nil || d.Severity != diagnose.Error || !strings.Contains(d.Detail, "layers step") || len(d.Remediation) == 0 {
		t.Fatalf("want pull-step-failed naming the layers step, got %+v", rep.Diagnoses)
	}
	if v := rep.Clients; len(v) != 1 || v[0].Verdict != "fails" {
		t.Errorf("verdicts %+v, want podman fails", v)
	}
	assertVerdictInvariant(t, rep)
}
