package diagnose_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
	"github.com/regdoctor/regdoctor/target"
)

// scenarioTimeout keeps server-not-responding short; the fixtures are local.
const scenarioTimeout = 2 * time.Second

// scenarioOptions isolates a run from the machine's auth files, certs.d and
// proxies, and applies the CLI flags the scenario lists.
func scenarioOptions(t *testing.T, reg *fixtures.Registry) checks.Options {
	t.Helper()
	o := checks.Options{
		Timeout:   scenarioTimeout,
		TLSVerify: true,
		CertDir:   reg.CertDir,
		AuthFile:  reg.AuthFile,
		CertsDirs: []string{},
		SysRoot:   t.TempDir(),        // not the machine's registries.conf or daemon.json
		Clients:   []string{"podman"}, // the same verdicts on every machine
		Env:       reg.Getenv,
	}
	args := reg.Scenario.Args
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--push-check":
			o.PushCheck = true
		case "--pull":
			o.Pull = true
		case "--platform":
			i++
			o.Platform = args[i]
		case "--client":
			i++
			o.Clients = strings.Split(args[i], ",")
		default:
			t.Fatalf("scenario %s: flag %q not understood by this test", reg.Scenario.Name, args[i])
		}
	}
	return o
}

// runPipeline runs every check and the diagnosis against ref.
func runPipeline(t *testing.T, ref string, o checks.Options) *diagnose.Report {
	t.Helper()
	tg, err := target.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	return diagnose.Check(context.Background(), tg, o, diagnose.Hooks{})
}

// runScenario runs the pipeline against a fixture with scenarioOptions.
func runScenario(t *testing.T, reg *fixtures.Registry) *diagnose.Report {
	t.Helper()
	return runPipeline(t, reg.Target, scenarioOptions(t, reg))
}

// bareOptions are for servers started by the test itself: no certs.d,
// verification off, podman judged.
func bareOptions(t *testing.T) checks.Options {
	return checks.Options{Timeout: scenarioTimeout, TLSVerify: false, Clients: []string{"podman"}, CertsDirs: []string{},
		SysRoot: t.TempDir(), Env: func(string) string { return "" }}
}

// problemCodes are the distinct codes of error and warning diagnoses, sorted.
func problemCodes(rep *diagnose.Report) []string {
	var out []string
	for _, d := range rep.Diagnoses {
		if d.Severity != diagnose.Info && !slices.Contains(out, string(d.Code)) {
			out = append(out, string(d.Code))
		}
	}
	slices.Sort(out)
	return out
}

// pullWorks: the judged client pulls when none of the expected codes is
// an error in the report (a clock a little off, a HEAD only containerd
// would send): the diagnosis codes themselves are checked separately,
// and the integration suite holds the verdicts to real pulls.
func pullWorks(rep *diagnose.Report, expect []string) bool {
	for _, d := range rep.Diagnoses {
		if d.Severity == diagnose.Error && slices.Contains(expect, string(d.Code)) {
			return false
		}
	}
	return true
}

// TestScenarios runs the whole pipeline against every fixture and checks
// that it names exactly the failure the fixture reproduces.
func TestScenarios(t *testing.T) {
	all := checks.All()
	for _, sc := range allScenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			rep := runScenario(t, fixturetest.Start(t, sc.Name))

			want := slices.Sorted(slices.Values(sc.Expect))
			if got := problemCodes(rep); !slices.Equal(got, want) {
				for _, r := range rep.Results {
					t.Logf("%-14s %-4s %s", r.ID, r.Status, r.Summary)
				}
				for _, d := range rep.Diagnoses {
					t.Logf("%s %s: %s", d.Severity, d.Code, d.Detail)
				}
				t.Errorf("diagnosed %v, want %v", got, want)
			}
			if want := pullWorks(rep, sc.Expect); rep.Healthy() != want {
				t.Errorf("Healthy() = %v with expected problems %v, want %v", rep.Healthy(), sc.Expect, want)
			}
			if len(rep.Results) != len(all) {
				t.Fatalf("%d results for %d checks", len(rep.Results), len(all))
			}
			for i, r := range rep.Results {
				if r.ID != all[i].ID {
					t.Errorf("result %d is %q, want %q (display order)", i, r.ID, all[i].ID)
				}
			}
			for _, d := range rep.Diagnoses {
				c, ok := diagnose.Lookup(d.Code)
				if !ok || d.Title != c.Title || d.Docs != c.Docs() || d.Detail == "" {
					t.Errorf("diagnosis %+v does not match catalogue entry %+v", d, c)
				}
			}
		})
	}
}

// standIns are the codes no fixture registry produces, because the cause
// is on the client machine or before any registry, and the test that
// builds that machine instead.
var standIns = map[diagnose.Code]string{
	diagnose.ConfigInvalid:           "cmd/regdoctor/clients_test.go",
	diagnose.CredentialHelperFailed:  "cmd/regdoctor/helper_test.go",
	diagnose.CertsDirInvalid:         "cmd/regdoctor/clients_test.go",
	diagnose.ShortNameUnresolved:     "cmd/regdoctor/perclient_test.go",
	diagnose.RegistryBlocked:         "cmd/regdoctor/perclient_test.go",
	diagnose.CredentialsForOtherHost: "cmd/regdoctor/clients_test.go",
	diagnose.MirrorFailing:           "cmd/regdoctor/clients_test.go",
	diagnose.DNSLookupFailed:         "diagnose/network_test.go",
	diagnose.ProxyMisconfigured:      "diagnose/network_test.go",
	diagnose.PullStepFailed:          "diagnose/verdict_test.go",
}

// Every code is shown by a fixture scenario (the demo's, or a pull fault the
// integration suite also pulls with the real clients), or by the test
// named in standIns.
func TestEveryCodeHasAFixture(t *testing.T) {
	byFixture := map[diagnose.Code]bool{}
	for _, s := range append(fixtures.Scenarios(), fixtures.PullFaults()...) {
		for _, c := range s.Expect {
			byFixture[diagnose.Code(c)] = true
		}
	}
	for _, c := range diagnose.Catalogue() {
		file, stand := standIns[c.Code]
		switch {
		case byFixture[c.Code] && stand:
			t.Errorf("%s has a fixture now; drop its stand-in %s", c.Code, file)
		case !byFixture[c.Code] && !stand:
			t.Errorf("%s: no fixture scenario expects it, and no stand-in test is named", c.Code)
		case stand:
			src, err := os.ReadFile(filepath.Join("..", file))
			if err != nil || !strings.Contains(string(src), `"`+string(c.Code)+`"`) {
				t.Errorf("%s: its stand-in %s does not test it (%v)", c.Code, file, err)
			}
		}
	}
}
