package diagnose_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// fixtureCA is the PEM of the CA that signs the fixtures' certificates.
func fixtureCA(t *testing.T, reg *fixtures.Registry) []byte {
	t.Helper()
	ca, err := os.ReadFile(filepath.Join(reg.CertDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// The CA is installed, but where podman does not look: an empty
// ~/.config/containers/certs.d/HOST shadows /etc/containers/certs.d/HOST.
// The diagnosis must say which file holds the CA and why it is not read,
// not only that the authority is unknown.
func TestUnknownAuthorityNamesTheShadowedCA(t *testing.T) {
	reg := fixturetest.Start(t, "healthy")
	caPEM := fixtureCA(t, reg)
	home, etc := t.TempDir(), t.TempDir()
	for dir, file := range map[string]string{filepath.Join(home, reg.Host): "README", filepath.Join(etc, reg.Host): "ca.crt"} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	o := scenarioOptions(t, reg)
	o.CertDir, o.CertsDirs = "", []string{home, etc}
	rep := runPipeline(t, reg.Target, o)
	var detail string
	for _, d := range rep.Diagnoses {
		if d.Code == "tls-unknown-authority" {
			detail = d.Detail
		}
	}
	want := "The CA that signs it is in " + filepath.Join(etc, reg.Host, "ca.crt") + ", which no client reads for " + reg.Host +
		": podman, skopeo and buildah read only the first certs.d directory that exists for " + reg.Host + ", which is " + filepath.Join(home, reg.Host)
	if !strings.Contains(detail, want) {
		t.Errorf("tls-unknown-authority detail %q\nwant it to contain %q (diagnosed %v)", detail, want, problemCodes(rep))
	}
}

// regdoctor trusts what any judged client reads; a CA that only some of
// them read leaves the others with an unknown authority, and the verdicts
// must say which.
func TestCAOnlySomeClientsRead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   []string // under the sysroot; the CA in each .crt, an empty dir otherwise
		clients []string
		fails   []string
	}{
		{"only docker's certs.d has it; podman reads its own, empty one",
			[]string{"etc/containers/certs.d/HOST/", "etc/docker/certs.d/HOST/ca.crt"}, []string{"podman", "docker"}, []string{"podman"}},
		{"podman's certs.d has it; crane reads none",
			[]string{"etc/containers/certs.d/HOST/ca.crt"}, []string{"podman", "crane"}, []string{"crane"}},
		{"containerd's hosts.toml names it",
			[]string{"etc/containers/certs.d/HOST/ca.crt", "etc/containerd/certs.d/HOST/ca.crt", "etc/containerd/certs.d/HOST/hosts.toml"}, []string{"podman", "containerd"}, nil},
		{"every client has it", []string{"etc/docker/certs.d/HOST/ca.crt"}, []string{"podman", "docker"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := fixturetest.Start(t, "healthy")
			caPEM := fixtureCA(t, reg)
			root := t.TempDir()
			for _, f := range tc.files {
				path := filepath.Join(root, strings.ReplaceAll(f, "HOST", reg.Host))
				if strings.HasSuffix(f, "/") {
					if err := os.MkdirAll(path, 0o700); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				content := caPEM
				if strings.HasSuffix(f, "hosts.toml") {
					content = []byte("server = \"https://" + reg.Host + "\"\n[host.\"https://" + reg.Host + "\"]\n  ca = \"ca.crt\"\n")
				}
				if err := os.WriteFile(path, content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			o := scenarioOptions(t, reg)
			o.CertDir, o.CertsDirs, o.SysRoot, o.Clients = "", nil, root, tc.clients
			o.Env = func(k string) string {
				if k == "HOME" {
					return filepath.Join(root, "home")
				}
				return ""
			}
			rep := runPipeline(t, reg.Target, o)
			var failing []string
			for _, v := range rep.Clients {
				if v.Verdict == "fails" {
					failing = append(failing, v.Name)
				}
			}
			if !slices.Equal(failing, tc.fails) {
				t.Errorf("failing clients %v, want %v; verdicts %+v", failing, tc.fails, rep.Clients)
			}
			want := []string(nil)
			if len(tc.fails) > 0 {
				want = []string{"tls-unknown-authority"}
			}
			if got := problemCodes(rep); !slices.Equal(got, want) {
				t.Errorf("diagnosed %v, want %v", got, want)
			}
			for _, d := range rep.Diagnoses {
				for _, c := range tc.fails {
					if d.Code == "tls-unknown-authority" && !strings.Contains(d.Detail, c+": ") {
						t.Errorf("detail %q does not say why %s fails", d.Detail, c)
					}
				}
			}
		})
	}
}

// Behind a TLS-inspecting proxy the diagnosis names the product, and its
// first remedy is the proxy's CA, not the registry's.
func TestInterceptedNamesTheProxy(t *testing.T) {
	rep := runScenario(t, fixturetest.Start(t, "tls-intercepted"))
	for _, d := range rep.Diagnoses {
		if d.Code == "tls-unknown-authority" {
			if !strings.Contains(d.Detail, "comes from Zscaler, a TLS-inspecting proxy") || !strings.HasPrefix(d.Remediation[0], "Install Zscaler's root CA") {
				t.Errorf("detail %q, remediation %q", d.Detail, d.Remediation)
			}
			return
		}
	}
	t.Fatalf("no tls-unknown-authority in %v", problemCodes(rep))
}
