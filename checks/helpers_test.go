package checks

import (
	"context"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
	"github.com/regdoctor/regdoctor/target"
)

// testTimeout bounds every network step against a fixture. The fixtures are
// local; only server-not-responding ever waits for it.
const testTimeout = 2 * time.Second

// fixtureEnv prepares an Env for reg isolated from the machine's own auth
// files, certs.d and proxy settings, the way `regdoctor demo` does.
func fixtureEnv(t *testing.T, reg *fixtures.Registry, tweak ...func(*Options)) *Env {
	t.Helper()
	target, err := target.Parse(reg.Target)
	if err != nil {
		t.Fatalf("target.Parse(%q): %v", reg.Target, err)
	}
	o := Options{
		Timeout:   testTimeout,
		TLSVerify: true,
		CertDir:   reg.CertDir,
		AuthFile:  reg.AuthFile,
		CertsDirs: []string{},
		SysRoot:   t.TempDir(),        // not the machine's registries.conf or daemon.json
		Clients:   []string{"podman"}, // the same verdicts on every machine
		Env:       reg.Getenv,
	}
	for _, f := range tweak {
		f(&o)
	}
	env := NewEnv(context.Background(), target, o)
	t.Cleanup(env.Close)
	return env
}

// runChecks runs every check in All() order, which lists dependencies
// first, with the pipeline's rules: a check whose Need did not pass is
// skipped, and Fallback results are handed over only when a Use did not
// pass. It keeps the checks package's tests independent of diagnose.
func runChecks(t *testing.T, env *Env) map[string]*Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
	defer cancel()
	results := map[string]*Result{}
	for _, c := range All() {
		deps := Deps{}
		for _, id := range append(append([]string{}, c.Needs...), c.Uses...) {
			deps[id] = results[id]
		}
		if !allOk(c.Uses, deps) {
			for _, id := range c.Fallback {
				deps[id] = results[id]
			}
		}
		res := Result{Status: Skip, Summary: "need did not pass"}
		if allOk(c.Needs, deps) {
			res = runSettled(ctx, c, env, deps)
		}
		res.ID = c.ID
		results[c.ID] = &res
	}
	return results
}

// runSettled is c.Run with its result completed (Result.settle), as Run
// completes it.
func runSettled(ctx context.Context, c Check, env *Env, deps Deps) Result {
	res := c.Run(ctx, env, deps)
	if settle := res.settle; settle != nil {
		res.settle = nil
		settleOne(&res, settle)
	}
	return res
}

func allOk(ids []string, deps Deps) bool {
	for _, id := range ids {
		if !deps.Get(id).Status.Ok() {
			return false
		}
	}
	return true
}

// scenarioResults starts a fixture and runs every check against it.
func scenarioResults(t *testing.T, name string, tweak ...func(*Options)) (*fixtures.Registry, map[string]*Result) {
	t.Helper()
	reg := fixturetest.Start(t, name)
	return reg, runChecks(t, fixtureEnv(t, reg, tweak...))
}

// evidence returns a check's evidence as E, failing the test otherwise.
func evidence[E any](t *testing.T, res *Result) E {
	t.Helper()
	ev, ok := res.Evidence.(E)
	if !ok {
		t.Fatalf("%s: evidence is %T (status %s, %q), want %T", res.ID, res.Evidence, res.Status, res.Summary, *new(E))
	}
	return ev
}

func wantStatus(t *testing.T, res *Result, want Status) {
	t.Helper()
	if res.Status != want {
		t.Errorf("%s: status %s (%q), want %s", res.ID, res.Status, res.Summary, want)
	}
}

func wantHTTP(t *testing.T, what string, x *Exchange, want int) {
	t.Helper()
	switch {
	case x == nil:
		t.Errorf("%s: no exchange recorded, want %d", what, want)
	case x.Status != want:
		t.Errorf("%s: %s %s answered %d (error %q), want %d", what, x.Method, x.URL, x.Status, x.Error, want)
	}
}

// withPlatform and withPush mirror the CLI flags scenarios pass.
func withPlatform(p string) func(*Options) { return func(o *Options) { o.Platform = p } }
func withPush(o *Options)                  { o.PushCheck = true }

// fixtureCase is one expectation about one check against one scenario.
type fixtureCase struct {
	scenario string
	tweak    []func(*Options)
	id       string
	want     Status
	// check asserts on the evidence; it may be nil.
	check func(t *testing.T, reg *fixtures.Registry, res *Result)
}

// runFixtureCases runs each case as a parallel subtest with its own fixture.
func runFixtureCases(t *testing.T, cases []fixtureCase) {
	t.Helper()
	for _, tc := range cases {
		name := tc.scenario + "/" + tc.id
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reg, results := scenarioResults(t, tc.scenario, tc.tweak...)
			res := results[tc.id]
			wantStatus(t, res, tc.want)
			if tc.check != nil {
				tc.check(t, reg, res)
			}
		})
	}
}
