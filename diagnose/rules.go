package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// rule turns evidence into diagnoses. Each rule looks at one failure mode;
// rules are independent and their order does not matter: Diagnose sorts.
type rule func(f facts) []Diagnosis

// rules are registered where they live, one list per layer
// (rules_LAYER.go), in the catalogue's order: two findings of one code
// merge in this order.
var rules = slices.Concat(configRules, networkRules, tlsRules, apiRules, authRules, contentRules, pushRules)

// Diagnose applies every rule to a finished report.
func Diagnose(rep *Report) []Diagnosis {
	f := facts{rep: rep, t: rep.Target}
	var out []Diagnosis
	at := map[Code]int{}
	for _, r := range rules {
		for _, d := range r(f) {
			i, dup := at[d.Code]
			if !dup {
				at[d.Code] = len(out)
				out = append(out, d)
				continue
			}
			out[i] = merge(out[i], d)
		}
	}
	out = append(out, ruleNoRegistry(f, out)...)
	sortDiagnoses(out)
	rep.Pull = pullSteps(f)
	rep.Clients, out = verdicts(f, out)
	if s := firstFailed(rep.Pull); s != nil && !stepExplained(rep.Clients, out) {
		// A step failed that no rule explains for every client it fails:
		// name it rather than let a client that cannot pull look fine.
		out = append(out, ruleFailedStep(f, s))
		sortDiagnoses(out)
		rep.Clients, out = verdicts(f, out)
	}
	if own := ruleOwnFailures(f, rep.Clients, out); own != nil {
		out = append(out, own...)
		rep.Clients, out = verdicts(f, out)
	}
	sortDiagnoses(out)
	rep.stepsSpared = everyClientSpared(rep.Clients)
	return out
}

// ruleNoRegistry is the safety net: when neither scheme found the registry
// API, the run is not healthy even if no specific rule named the cause.
func ruleNoRegistry(f facts, ds []Diagnosis) []Diagnosis {
	if f.rep.Target.Short != nil && f.rep.Target.Short.Error != "" {
		return nil // podman stops before the network, and so did the run
	}
	if _, ok := f.endpoint(); ok {
		return nil
	}
	for _, d := range ds {
		if d.Severity == Error {
			return nil
		}
	}
	return one(newDiagnosis(RegistryMisbehaving,
		fmt.Sprintf("Neither HTTPS nor plain HTTP answered as a registry: HTTPS %s; HTTP %s.", f.res(checks.IDPingHTTPS).Summary, f.res(checks.IDPingHTTP).Summary),
		"Check that the registry runs behind this address and that any proxy passes /v2/ through; `regdoctor check --trace` shows every exchange."))
}

// merge folds two findings of one code into one diagnosis, so a code is
// reported once with all its evidence and the higher severity.
func merge(a, b Diagnosis) Diagnosis {
	if b.Severity.rank() > a.Severity.rank() {
		a, b = b, a
	}
	if b.Detail != "" && !strings.Contains(a.Detail, b.Detail) {
		a.Detail = strings.TrimSpace(a.Detail + " Also: " + b.Detail)
	}
	for _, r := range b.Remediation {
		if !slices.Contains(a.Remediation, r) {
			a.Remediation = append(a.Remediation, r)
		}
	}
	return a
}

func one(d Diagnosis) []Diagnosis { return []Diagnosis{d} }
