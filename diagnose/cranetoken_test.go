package diagnose_test

import (
	"slices"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// A token answer whose issued_at is no time fails podman, skopeo, docker,
// containerd and regctl, which decode it as a time, and not crane, whose
// go-containerregistry decodes no issued_at: the pull goes on with crane's
// token, and only crane's verdict is "ok" (the integration suite's real
// crane pulls it, and the real others fail).
func TestTokenOnlyCraneDecodes(t *testing.T) {
	reg := fixturetest.Start(t, "token-bad-issued-at")
	for _, tc := range []struct {
		clients []string
		healthy bool
		fails   []string
	}{
		{[]string{"crane"}, true, nil},
		{[]string{"podman"}, false, []string{"podman"}},
		{[]string{"crane", "docker", "podman", "regctl"}, false, []string{"docker", "podman", "regctl"}},
	} {
		o := scenarioOptions(t, reg)
		o.Clients = tc.clients
		rep := runPipeline(t, reg.Target, o)
		var fails []string
		for _, v := range rep.Clients {
			if v.Verdict == diagnose.Fails {
				fails = append(fails, v.Name)
			}
		}
		slices.Sort(fails)
		if rep.Healthy() != tc.healthy || !slices.Equal(fails, tc.fails) {
			t.Errorf("%v: healthy %v, failing %v; want %v, %v: %+v %+v", tc.clients, rep.Healthy(), fails, tc.healthy, tc.fails, rep.Diagnoses, rep.Clients)
		}
		if r := rep.Result(checks.IDManifest); r.Status != checks.Pass {
			t.Errorf("%v: the pull stopped at the token (manifest %s: %s); crane's token should carry it on", tc.clients, r.Status, r.Summary)
		}
		if d := findCode(rep, diagnose.RegistryMisbehaving); d == nil {
			t.Errorf("%v: registry-misbehaving not reported", tc.clients)
		} else if tc.healthy && d.Severity != diagnose.Info {
			t.Errorf("%v: registry-misbehaving is %s, want info when crane alone is judged", tc.clients, d.Severity)
		}
	}
}

func findCode(rep *diagnose.Report, code diagnose.Code) *diagnose.Diagnosis {
	for i := range rep.Diagnoses {
		if rep.Diagnoses[i].Code == code {
			return &rep.Diagnoses[i]
		}
	}
	return nil
}
