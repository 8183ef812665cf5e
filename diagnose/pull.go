package diagnose

import (
	"fmt"
	"net/http"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// PullStep is one step of the pull as the client performs it, with the
// check that performed it. The verdict is derived from these: a run is
// healthy only when every step the pull needs has passed. Part of the
// JSON contract.
type PullStep struct {
	Step    string        `json:"step"`
	Check   string        `json:"check"`
	Status  checks.Status `json:"status"`
	Summary string        `json:"summary,omitempty"`
	// Passed: the step did what the pull needs of it.
	Passed bool `json:"passed"`
}

// pullSteps lists the steps the user's client goes through for this
// target, in order, up to the end of the pull: connect and ping, the
// challenge, a token where the challenge asks for one, the manifest (an
// index's platform manifest is fetched with the config), the config blob
// and the layers. Steps this pull does not take are left out: TLS for a
// plain-HTTP registry, a token for an open one, and everything after the
// token when only a registry was given.
func pullSteps(f facts) []PullStep {
	var steps []PullStep
	add := func(step, id string) {
		r := f.res(id)
		steps = append(steps, PullStep{Step: step, Check: id, Status: r.Status, Summary: r.Summary, Passed: stepPassed(r)})
	}
	if sn := f.rep.Target.Short; sn != nil && sn.Error != "" {
		// podman resolves the short name before any request, and stops.
		return []PullStep{{Step: "short-name", Check: checks.IDConfig, Status: checks.Fail, Summary: sn.Error}}
	}
	ep, ok := f.endpoint()
	switch {
	case !ok:
		// Nothing answered as a registry: show where the connection broke.
		for _, s := range [][2]string{{"resolve", checks.IDDNS}, {"connect", checks.IDTCP}, {"tls", checks.IDTLS}} {
			if r := f.res(s[1]); r.Status == checks.Fail {
				add(s[0], s[1])
			}
		}
		add("ping", checks.IDPingHTTPS)
		return steps
	case ep.PlainHTTP:
		add("ping", checks.IDPingHTTP)
	default:
		add("ping", checks.IDPingHTTPS)
	}
	add("challenge", checks.IDAuthChallenge)
	if c := f.challenge(); c != nil && c.Scheme == checks.SchemeBearer {
		add("token", checks.IDToken)
	}
	if f.t.Repository == "" {
		return steps
	}
	add("manifest", checks.IDManifest)
	add("config", checks.IDBlob)
	add("layers", checks.IDLayers)
	return steps
}

// stepPassed: the check passed (a warning included), or had nothing to
// do and said what it saw (a schema 1 manifest names no config blob). A
// skip without evidence is a check that never ran: a dependency failed,
// or the deadline came first.
func stepPassed(r *checks.Result) bool {
	return r.Status.Ok() || r.Status == checks.Skip && r.Evidence != nil
}

// firstFailed is the first step of the pull that did not pass, or nil.
func firstFailed(steps []PullStep) *PullStep {
	for i := range steps {
		if !steps[i].Passed {
			return &steps[i]
		}
	}
	return nil
}

// stepLayers places each step in the stack, for a diagnosis of a step
// that no rule explained.
var stepLayers = map[string]Layer{
	"short-name": LayerConfig, "resolve": LayerNetwork, "connect": LayerNetwork, "tls": LayerTLS,
	"ping": LayerAPI, "challenge": LayerAuth, "token": LayerAuth,
	"manifest": LayerAPI, "config": LayerAPI, "layers": LayerAPI,
}

// stepExchange is the request that failed in a step, when there was one.
func stepExchange(f facts, s *PullStep) *checks.Exchange {
	switch s.Check {
	case checks.IDPingHTTP:
		if p := f.http(); p != nil {
			return p.Exchange
		}
	case checks.IDPingHTTPS:
		return f.httpsExchange()
	case checks.IDAuthChallenge:
		// The challenge is read from the chosen endpoint's /v2/ answer.
		if c := f.challenge(); c != nil && c.PlainHTTP {
			if p := f.http(); p != nil {
				return p.Exchange
			}
		}
		return f.httpsExchange()
	case checks.IDToken:
		if tk := f.token(); tk != nil {
			if a := tk.ClientAttempt(); a != nil {
				return a.Exchange
			}
		}
	case checks.IDManifest:
		if m := f.manifest(); m != nil {
			return m.Get
		}
	case checks.IDBlob:
		if b := f.blob(); b != nil {
			if b.Manifest != nil && (b.Manifest.Error != "" || b.Manifest.Status != http.StatusOK) || b.Get == nil {
				return b.Manifest
			}
			return b.Get
		}
	case checks.IDLayers:
		if l := f.failedLayer(); l != nil {
			return l.Get
		}
	}
	return nil
}

// ruleFailedStep is the net under every rule: a step of the pull failed,
// and no diagnosis says so for every client it fails. It names the step
// and its request, says what the server did, and what to hand the
// registry's operators when nothing more specific can be said.
func ruleFailedStep(f facts, s *PullStep) Diagnosis {
	x := stepExchange(f, s)
	what := fmt.Sprintf("The %s step of the pull failed: %s.", s.Step, s.Summary)
	operators := "Hand the registry's operators the output of `regdoctor check -o json --trace " + f.t.Input + "` (secrets are redacted): it holds every request and answer of this run."
	if x == nil {
		d := newDiagnosis(PullStepFailed, what+" A client stops there, so the pull fails.", operators)
		d.Layer = stepLayers[s.Step]
		return d
	}
	at := x.Method + " " + x.URL
	switch {
	case x.ErrorKind == checks.KindNoResponse:
		return newDiagnosis(ServerNotResponding,
			fmt.Sprintf("%s accepted the request %s but %s; clients give up there and the pull fails.", f.t.Registry, at, stalled(x, f.rep.Options.Timeout)),
			"The registry (or a proxy in front of it) hangs on this request: check its logs and its storage backend at the time of this run; a proxy's upstream timeout (nginx `proxy_read_timeout`) shows as a 504 instead.",
			operators)
	case x.Error != "" && x.RedirectedTo != "":
		return newDiagnosis(RegistryMisbehaving,
			fmt.Sprintf("%s redirects to %s, which fails: %s. Clients follow the redirect and the pull fails.", at, x.RedirectedTo, x.Error),
			"The registry's redirect target is wrong or down: its external URL (distribution `http.host`, Harbor `external_url`, Nexus Base URL) or the X-Forwarded-* headers of a proxy in front of it name an address clients cannot reach.",
			operators)
	case x.Error != "":
		return newDiagnosis(RegistryMisbehaving,
			fmt.Sprintf("%s failed: %s (%s). Clients fail the pull at the %s step.", at, x.Error, x.ErrorKind, s.Step),
			"Check the registry's (and any proxy's) logs at the time of this run: an answer that breaks off, or a body that is not what its headers say (Content-Encoding, Content-Length), comes from the server or a proxy that rewrites it.",
			operators)
	case x.Status >= 300 && x.Status < 400 && x.Header("Location") == "":
		return newDiagnosis(RegistryMisbehaving,
			fmt.Sprintf("%s answered %d %s without a Location header: a redirect to nowhere, which clients cannot follow.", at, x.Status, http.StatusText(x.Status)),
			"A proxy in front of the registry strips or fails to rewrite Location (nginx `proxy_redirect`, a load balancer's header rules); check it passes the registry's redirects through.",
			operators)
	}
	return newDiagnosis(RegistryMisbehaving,
		fmt.Sprintf("%s answered %s at the %s step, which no client accepts there: the pull fails.", at, x.Outcome(), s.Step),
		"Check the registry's (and any proxy's) logs for this request, and what answers it: `curl -i` it with the token or credentials the client uses.",
		operators)
}

func stalled(x *checks.Exchange, timeout time.Duration) string {
	if x.Partial {
		return "its answer had only begun when the step's time ran out (--timeout " + timeout.String() + ")"
	}
	return "sent no answer within --timeout " + timeout.String()
}

// stepExplained: the failed step is accounted for, for every judged
// client: each client that is judged ok was spared by a diagnosis that
// names what failed (a CA only it trusts, a mirror it pulls through), and
// the others fail by an error diagnosis. Without any diagnosis at all, a
// failed step is unexplained.
func stepExplained(verdicts []ClientVerdict, ds []Diagnosis) bool {
	hasError, spared := false, false
	for _, d := range ds {
		hasError = hasError || d.Severity == Error
	}
	for _, v := range verdicts {
		if v.Verdict == Pulls && !v.spared {
			return false
		}
		spared = spared || v.spared
	}
	return hasError || spared
}

// everyClientSpared: each judged client pulls although a step failed as
// regdoctor tried it, because a diagnosis of that step spares it.
func everyClientSpared(verdicts []ClientVerdict) bool {
	for _, v := range verdicts {
		if !v.spared || v.Verdict != Pulls {
			return false
		}
	}
	return len(verdicts) > 0
}
