package diagnose

import (
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// TestContainerdHeadDigest: containerd resolves a tag by HEAD and fetches
// the digest the HEAD named, so a HEAD whose Docker-Content-Digest is not
// the GET's fails containerd alone; the clients that GET never see it.
func TestContainerdHeadDigest(t *testing.T) {
	const head, get = "sha256:" + "1111111111111111111111111111111111111111111111111111111111111111", "sha256:" + "2222222222222222222222222222222222222222222222222222222222222222"
	for _, tc := range []struct {
		name      string
		headD     string
		getD      string
		bodyD     string
		digestRef bool
		fails     bool
	}{
		{name: "same digest", headD: get, getD: get},
		{name: "HEAD names another", headD: head, getD: get, fails: true},
		{name: "GET without the header, body hashes to another", headD: head, bodyD: get, fails: true},
		{name: "HEAD without the header", getD: get},
		{name: "pull by digest", headD: head, getD: get, digestRef: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := func(d string) map[string]string {
				if d == "" {
					return map[string]string{}
				}
				return map[string]string{"Docker-Content-Digest": d}
			}
			ev := &checks.ManifestEvidence{
				Head:       &checks.Exchange{Method: "HEAD", Status: 200, Headers: hdr(tc.headD)},
				Get:        &checks.Exchange{Method: "GET", Status: 200, Headers: hdr(tc.getD)},
				BodyDigest: tc.bodyD,
			}
			tg := target.Target{Registry: "r.example.com", Repository: "app", Reference: "1.0", IsDigest: tc.digestRef}
			rep := &Report{Target: tg, Config: &checks.ClientConfig{Clients: []string{"podman", "containerd"}},
				Results: []*checks.Result{{ID: checks.IDManifest, Status: checks.Pass, Evidence: ev}}}
			vs, _ := verdicts(facts{rep: rep, t: tg}, nil)
			if vs[0].Verdict != "ok" {
				t.Errorf("podman: %+v, want ok", vs[0])
			}
			if got := vs[1].Verdict == "fails"; got != tc.fails {
				t.Errorf("containerd: %+v, want fails=%v", vs[1], tc.fails)
			}
			if tc.fails && !strings.Contains(vs[1].Reason, head) {
				t.Errorf("the reason should name the HEAD's digest: %q", vs[1].Reason)
			}
		})
	}
}

func TestDockerHubName(t *testing.T) {
	for in, want := range map[string]string{
		"redis":                          "docker.io/library/redis",
		"team/app":                       "docker.io/team/app",
		"docker.io/redis":                "docker.io/library/redis",
		"index.docker.io/library/redis":  "docker.io/library/redis",
		"127.0.0.1:5000/library/redis":   "127.0.0.1:5000/library/redis",
		"localhost/app":                  "localhost/app",
		"registry.example.com/team/app":  "registry.example.com/team/app",
		"registry-1.docker.io/team/app":  "docker.io/team/app",
		"quay.io/podman/hello":           "quay.io/podman/hello",
		"docker.io/library/redis":        "docker.io/library/redis",
		"myregistry:5000/redis":          "myregistry:5000/redis",
		"library/redis":                  "docker.io/library/redis",
		"registry.example.com:443/redis": "registry.example.com:443/redis",
	} {
		if got := dockerHubName(in); got != want {
			t.Errorf("dockerHubName(%q) = %q, want %q", in, got, want)
		}
	}
}
