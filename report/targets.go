package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/probe"
)

// JSONOutcome is one target's object when several are checked: the
// single-target document, plus the targets file's labels and, when the run
// did not finish, why. For a target given on the command line whose run
// finished it is exactly the single-target document.
type JSONOutcome struct {
	JSONReport
	Labels map[string]string `json:"labels,omitempty"`
	Error  string            `json:"error,omitempty"`
}

// OutcomeJSON converts an outcome to its JSON object.
func OutcomeJSON(o probe.Outcome) JSONOutcome {
	j := JSONOutcome{Labels: o.Target.Labels}
	if o.Report != nil {
		j.JSONReport = ToJSON(o.Report)
	} else {
		t := o.Target.Parsed
		j.JSONReport = JSONReport{
			Target: o.Target.Ref, Registry: t.Registry, Repository: t.Repository, Reference: t.Reference,
			Checks: []JSONCheck{}, Diagnoses: []diagnose.Diagnosis{}, Version: checks.Version,
			RegdoctorVersion: checks.Version, Host: Host, ConfigFilesRead: []string{},
		}
	}
	if o.Err != nil {
		j.Healthy = false
		j.Error = notRun(o)
	}
	return j
}

// notRun says why an outcome has no complete report.
func notRun(o probe.Outcome) string {
	if o.Report == nil {
		return "not run: " + o.Err.Error()
	}
	return "interrupted: " + o.Err.Error()
}

// WriteJSONOutcomes writes one indented object for a single target, as
// `check -o json` always did, and an array for several.
func WriteJSONOutcomes(w io.Writer, outs []probe.Outcome) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(outs) == 1 {
		return enc.Encode(OutcomeJSON(outs[0]))
	}
	all := make([]JSONOutcome, len(outs))
	for i, o := range outs {
		all[i] = OutcomeJSON(o)
	}
	return enc.Encode(all)
}

// WriteJSONL writes one outcome as a single line of JSON, for log pipelines.
func WriteJSONL(w io.Writer, o probe.Outcome) error {
	return json.NewEncoder(w).Encode(OutcomeJSON(o))
}

// WriteTableOutcomes writes the full table for a single finished target,
// and a summary row per target otherwise.
func WriteTableOutcomes(w io.Writer, outs []probe.Outcome, p Palette) error {
	if len(outs) == 1 && outs[0].Ran() {
		return WriteTable(w, outs[0].Report, p)
	}
	t := plainTable(w)
	healthy, notRun := 0, 0
	for _, o := range outs {
		switch {
		case !o.Ran():
			notRun++
		case o.Report.Healthy():
			healthy++
		}
		if err := t.Append(outcomeRow(o, p)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	summary := fmt.Sprintf("%d targets: %d healthy, %d unhealthy", len(outs), healthy, len(outs)-healthy-notRun)
	if notRun > 0 {
		summary += fmt.Sprintf(", %d not checked", notRun)
	}
	colour := p.pass
	if healthy < len(outs) {
		colour = p.fail
	}
	fmt.Fprintln(w, colour.Sprint(summary))
	return nil
}

// WriteChange writes one line for a target whose state changed, prefixed
// by the time, for --watch.
func WriteChange(w io.Writer, o probe.Outcome, p Palette) error {
	stamp := "-"
	if o.Report != nil {
		stamp = o.Report.Started.Add(o.Report.Duration).UTC().Format(time.RFC3339)
	}
	_, err := fmt.Fprintln(w, strings.Join(append([]string{stamp}, outcomeRow(o, p)...), "  "))
	return err
}

// outcomeRow is a target's summary: mark, reference, state, diagnosis
// codes, duration.
func outcomeRow(o probe.Outcome, p Palette) []string {
	if !o.Ran() {
		return []string{p.mark(checks.Skip), o.Target.Ref, p.dim.Sprint(notRun(o)), "", ""}
	}
	rep := o.Report
	mark, state := p.mark(checks.Pass), p.pass.Sprint("healthy")
	switch {
	case !rep.Healthy():
		mark, state = p.mark(checks.Fail), p.fail.Sprint("unhealthy")
	case rep.Worst() == diagnose.Warning:
		// The pull works; the warning is worth a look.
		mark, state = p.mark(checks.Warn), p.warn.Sprint("healthy")
	}
	codes := make([]string, 0, len(rep.Diagnoses))
	for _, c := range probe.Codes(rep) {
		codes = append(codes, p.bold.Sprint(c))
	}
	return []string{mark, o.Target.Ref, state, strings.Join(codes, ", "), p.dim.Sprintf("%dms", rep.Duration.Milliseconds())}
}
