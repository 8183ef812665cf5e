package report

import (
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/probe"
)

// Exit codes of --exit-codes nagios, as monitoring plugins use them.
const (
	NagiosOK       = 0 // every target healthy
	NagiosWarning  = 1 // worst diagnosis is a warning
	NagiosCritical = 2 // at least one error-severity diagnosis
	NagiosUnknown  = 3 // bad usage, or no target could be checked
)

// ExitCodeAll is the worst exit code over the outcomes. A target that
// could not be checked to the end counts as ExitError.
func ExitCodeAll(outs []probe.Outcome) int {
	worst, notRun := worstOf(outs)
	if worst == diagnose.Error || notRun > 0 {
		return ExitError
	}
	return ExitOK
}

// NagiosExitCode maps the outcomes to a monitoring plugin's exit code:
// CRITICAL for any error, WARNING for any warning, and otherwise UNKNOWN
// when a target could not be checked, OK when all were.
func NagiosExitCode(outs []probe.Outcome) int {
	worst, notRun := worstOf(outs)
	switch {
	case worst == diagnose.Error:
		return NagiosCritical
	case worst == diagnose.Warning:
		return NagiosWarning
	case notRun > 0 || len(outs) == 0:
		return NagiosUnknown
	}
	return NagiosOK
}

// worstOf is the highest severity among the finished runs, and how many
// targets did not finish.
func worstOf(outs []probe.Outcome) (worst diagnose.Severity, notRun int) {
	for _, o := range outs {
		if !o.Ran() {
			notRun++
			continue
		}
		switch s := o.Report.Worst(); {
		case s == diagnose.Error || !o.Report.Healthy():
			// Unhealthy is an error whatever the diagnoses say: a pull
			// that cannot work never exits 0.
			worst = diagnose.Error
		case s == diagnose.Warning && worst != diagnose.Error:
			worst = s
		}
	}
	return worst, notRun
}
