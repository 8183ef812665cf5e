package target

import (
	"strings"
	"testing"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// parsed is what Parse must get right about where and what to check.
type parsed struct {
	Registry, Host, Repository, Reference string
	IsDigest                              bool
}

func core(t Target) parsed {
	return parsed{t.Registry, t.Host, t.Repository, t.Reference, t.IsDigest}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want parsed
	}{
		// Registries alone.
		{"registry.example.com", parsed{Registry: "registry.example.com", Host: "registry.example.com"}},
		{"nexus.local:8083", parsed{Registry: "nexus.local:8083", Host: "nexus.local:8083"}},
		{"127.0.0.1:5000", parsed{Registry: "127.0.0.1:5000", Host: "127.0.0.1:5000"}},
		{"localhost", parsed{Registry: "localhost", Host: "localhost"}},
		{"[::1]:5000", parsed{Registry: "[::1]:5000", Host: "[::1]:5000"}},
		{"docker.io", parsed{Registry: "docker.io", Host: "registry-1.docker.io"}},
		// Pasted URLs and transports.
		{"https://registry.example.com/", parsed{Registry: "registry.example.com", Host: "registry.example.com"}},
		{"  http://127.0.0.1:5000  ", parsed{Registry: "127.0.0.1:5000", Host: "127.0.0.1:5000"}},
		{"docker://quay.io/prometheus/node-exporter:v1.8.0",
			parsed{Registry: "quay.io", Host: "quay.io", Repository: "prometheus/node-exporter", Reference: "v1.8.0"}},
		// Images.
		{"host:5000/team/app:1.0", parsed{Registry: "host:5000", Host: "host:5000", Repository: "team/app", Reference: "1.0"}},
		{"host:5000/team/app", parsed{Registry: "host:5000", Host: "host:5000", Repository: "team/app", Reference: "latest"}},
		{"host:5000/app@" + digest, parsed{Registry: "host:5000", Host: "host:5000", Repository: "app", Reference: digest, IsDigest: true}},
		{"localhost/app:dev", parsed{Registry: "localhost", Host: "localhost", Repository: "app", Reference: "dev"}},
		// Docker Hub: short names, "redis:latest" is a repository, not a host.
		{"redis", parsed{Registry: "docker.io", Host: "registry-1.docker.io", Repository: "library/redis", Reference: "latest"}},
		{"redis:latest", parsed{Registry: "docker.io", Host: "registry-1.docker.io", Repository: "library/redis", Reference: "latest"}},
		{"bitnami/redis:7.2", parsed{Registry: "docker.io", Host: "registry-1.docker.io", Repository: "bitnami/redis", Reference: "7.2"}},
		{"docker.io/library/redis:7", parsed{Registry: "docker.io", Host: "registry-1.docker.io", Repository: "library/redis", Reference: "7"}},
		{"registry.hub.docker.com/library/redis", parsed{Registry: "registry.hub.docker.com", Host: "registry-1.docker.io", Repository: "library/redis", Reference: "latest"}},
	} {
		got, err := Parse(tc.in)
		if err != nil || core(got) != tc.want || got.Input != tc.in {
			t.Errorf("Parse(%q) = %+v, %v;\nwant %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestParseTargetNumericTag: docker, podman and skopeo read "redis:7" as
// docker.io/library/redis:7, since a reference without "/" has no registry
// part. Only a host with a dot, localhost or an IP literal, or an explicit
// scheme, can make a bare "name:NUMBER" mean a registry.
func TestParseTargetNumericTag(t *testing.T) {
	for _, tc := range []struct{ in, repo, ref string }{
		{"redis:7", "library/redis", "7"},
		{"node:20", "library/node", "20"},
		{"postgres:16", "library/postgres", "16"},
	} {
		got, err := Parse(tc.in)
		if err != nil || got.Registry != "docker.io" || got.Repository != tc.repo || got.Reference != tc.ref {
			t.Errorf("Parse(%q) = %+v, %v; want docker.io/%s:%s", tc.in, got, err, tc.repo, tc.ref)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"https://",
		"docker://",
		"UPPER/Case::bad",
		"host:5000/Repo:tag",
		"host:5000/app:tag:extra",
		"host:5000/app@sha256:short",
		"has space/app",
		"host:5000/app:" + strings.Repeat("t", 200),
		strings.Repeat("a", 5000),
	} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, got)
		}
	}
}

func TestTargetMethods(t *testing.T) {
	for _, tc := range []struct {
		in                               string
		hostname, port, https, http, ref string
	}{
		{"host:5000/app:1", "host", "5000", "host:5000", "host:5000", "host:5000/app:1"},
		{"registry.example.com/app", "registry.example.com", "", "registry.example.com:443", "registry.example.com:80", "registry.example.com/app:latest"},
		{"[::1]:5000", "::1", "5000", "[::1]:5000", "[::1]:5000", "[::1]:5000"},
		{"redis", "registry-1.docker.io", "", "registry-1.docker.io:443", "registry-1.docker.io:80", "docker.io/library/redis:latest"},
		{"host:5000/app@" + digest, "host", "5000", "host:5000", "host:5000", "host:5000/app@" + digest},
	} {
		tg, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		got := [...]string{tg.Hostname(), tg.Port(), tg.HostPort("https"), tg.HostPort("http"), tg.ImageRef()}
		want := [...]string{tc.hostname, tc.port, tc.https, tc.http, tc.ref}
		if got != want {
			t.Errorf("%q: Hostname, Port, HostPort(https), HostPort(http), ImageRef = %q, want %q", tc.in, got, want)
		}
	}
	tg, _ := Parse("host:5000/app@" + digest)
	if got := tg.WithReference("1.0"); got != "host:5000/app:1.0" {
		t.Errorf("WithReference = %q", got)
	}
}

func TestParseTargetRejectsWhatNoClientAccepts(t *testing.T) {
	for _, in := range []string{"-", "registry.example.com/Team/app", "registry.example.com/team/-app:1", "host.example.com:99999/x", "10.0.0.5:0"} {
		if tg, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, tg)
		}
	}
	for _, in := range []string{"registry.example.com/team/my_app__x.y-z:1", "10.0.0.5:65535/a/b/c@sha256:" + strings.Repeat("a", 64)} {
		if _, err := Parse(in); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
}

// A password typed into the reference is refused without being echoed.
func TestParseTargetWithCredentials(t *testing.T) {
	for _, in := range []string{
		"https://user:s3cretpw@registry.example.com/team/app:1",
		"user:s3cretpw@registry.example.com:5000",
		"robot$ci:s3cretpw@registry.example.com/Team/App",
	} {
		_, err := Parse(in)
		if err == nil || strings.Contains(err.Error(), "s3cretpw") || !strings.Contains(err.Error(), "holds credentials") {
			t.Errorf("Parse(%q) = %v, want a refusal that does not echo the password", in, err)
		}
	}
	if tg, err := Parse("redis@sha256:" + strings.Repeat("ab", 32)); err != nil || !tg.IsDigest {
		t.Errorf("a digest reference without a registry: %+v, %v", tg, err)
	}
}

// TestParseTargetSaysWhy: a refused reference says what is wrong and, when
// it is evident, the reference meant.
func TestParseTargetSaysWhy(t *testing.T) {
	for _, tc := range []struct{ in, why, fixed string }{
		{"Registry.Example.com/Foo:1", "must be lower case", "registry.example.com/foo:1"},
		{"registry.example.com/Team/App:V1", "must be lower case", "registry.example.com/team/app:V1"},
		{"registry.example.com/foo:", "nothing follows the colon", "registry.example.com/foo"},
		{"oci://registry.example.com/foo:1", "no scheme (oci://)", "registry.example.com/foo:1"},
		{"registry.example.com//foo:1", "empty path component", "registry.example.com/foo:1"},
		{"registry.example.com/foo@sha256:abc", "64 hexadecimal digits", ""},
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("%s: accepted", tc.in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.why) || strings.Contains(msg, "could not parse reference") {
			t.Errorf("%s: %q does not say %q", tc.in, msg, tc.why)
		}
		if tc.fixed != "" && !strings.Contains(msg, "did you mean "+tc.fixed+"?") {
			t.Errorf("%s: %q does not offer %s", tc.in, msg, tc.fixed)
		}
		if tc.fixed == "" && strings.Contains(msg, "did you mean") {
			t.Errorf("%s: %q offers a reference that does not parse", tc.in, msg)
		}
	}
}
