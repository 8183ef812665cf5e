// Package checks holds regdoctor's probes. Each file is one independent check:
// it observes one layer (DNS, TCP, TLS, the /v2/ API, the token realm, the
// manifest, ...) and reports what it saw as a Result with typed evidence.
// Checks never decide root causes; the diagnose package does that from the
// evidence of all checks together.
package checks

import (
	"context"
	"time"
)

// Status is the outcome of one check.
type Status string

const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Ok reports whether dependents may build on this status.
func (s Status) Ok() bool { return s == Pass || s == Warn }

// Result is what one check observed.
type Result struct {
	ID       string
	Status   Status
	Summary  string
	Duration time.Duration
	// Evidence is the check's typed, JSON-serialisable observation. It must
	// never hold a secret: it goes verbatim into support tickets.
	Evidence any
	// Data is handed to dependent checks only (a token, a chosen endpoint).
	// It is never serialised.
	Data any
	// Neutral: the check passed by finding a fact that is neither good nor
	// bad (no registry on plain HTTP), which a green mark would misstate.
	// The table shows a neutral mark; the JSON status stays pass.
	Neutral bool
	// settle, when set, completes Summary and Evidence after the checks
	// waiting on this one have been released: they read only Status and
	// Data, which settle must leave alone. The token check's anonymous
	// attempt, which only the diagnosis reads, goes this way (Run calls
	// settle before the result is observed, and within the run's deadline).
	settle func(*Result)
}

// Check is one probe. Needs are hard dependencies: if any of them did not
// pass, the pipeline skips this check instead of running it, so the check is
// not blamed for an upstream failure. Uses are soft: the check waits for them
// and reads their results, but decides itself what their outcome means.
//
// Fallback checks are waited for only when one of Uses did not pass: the
// auth challenge reads plain HTTP's answer only when HTTPS failed, so a
// firewalled port 80 never delays a healthy HTTPS registry.
type Check struct {
	ID       string
	Title    string
	Needs    []string
	Uses     []string
	Fallback []string
	Run      func(ctx context.Context, env *Env, deps Deps) Result
}

// Deps gives a check the results of its Needs and Uses.
type Deps map[string]*Result

// Get returns the result of check id, or a skip result if it is unknown, so
// callers never need a nil check.
func (d Deps) Get(id string) *Result {
	if r, ok := d[id]; ok && r != nil {
		return r
	}
	return &Result{ID: id, Status: Skip}
}

// Check IDs are part of the JSON contract.
const (
	IDConfig        = "client-config"
	IDDNS           = "dns"
	IDTCP           = "tcp"
	IDTLS           = "tls"
	IDPingHTTPS     = "ping-https"
	IDPingHTTP      = "ping-http"
	IDAuthChallenge = "auth-challenge"
	IDTokenRealm    = "token-realm"
	IDToken         = "token"
	IDManifest      = "manifest"
	IDBlob          = "blob"
	IDLayers        = "layers"
	IDTags          = "tags"
	IDPush          = "push"
	IDMirrors       = "mirrors"
)

// All returns every check in display order.
func All() []Check {
	return []Check{
		ConfigCheck(),
		DNS(),
		TCP(),
		TLS(),
		PingHTTPS(),
		PingHTTP(),
		AuthChallenge(),
		TokenRealm(),
		Token(),
		ContainerdAuth(),
		Manifest(),
		Blob(),
		Layers(),
		Tags(),
		Push(),
		Mirrors(),
	}
}

// Unfinished is the evidence of a check the run's deadline cut off.
type Unfinished struct {
	TimedOut bool   `json:"timed_out"`
	After    string `json:"after"`
}

// skipped is the result of a check that had nothing to do, with the reason.
func skipped(reason string) Result { return Result{Status: Skip, Summary: reason} }
