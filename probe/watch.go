package probe

import (
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/diagnose"
)

// Codes are the distinct diagnosis codes of a report, root cause first.
func Codes(rep *diagnose.Report) []string {
	var codes []string
	for _, d := range rep.Diagnoses {
		if !slices.Contains(codes, string(d.Code)) {
			codes = append(codes, string(d.Code))
		}
	}
	return codes
}

// Changes remembers each target's last state — health and the set of
// diagnosis codes — to tell which outcomes are news. The zero value is
// ready; it is not safe for concurrent use.
type Changes struct {
	last map[string]string
}

// Changed records o and reports whether its state differs from the
// target's previous one. A target's first outcome is always a change.
func (c *Changes) Changed(o Outcome) bool {
	if c.last == nil {
		c.last = map[string]string{}
	}
	s := state(o)
	prev, seen := c.last[o.Target.Ref]
	c.last[o.Target.Ref] = s
	return !seen || prev != s
}

func state(o Outcome) string {
	if !o.Ran() {
		return "not run"
	}
	codes := Codes(o.Report)
	slices.Sort(codes)
	health := "unhealthy"
	if o.Report.Healthy() {
		health = "healthy"
	}
	return health + " " + strings.Join(codes, ",")
}
