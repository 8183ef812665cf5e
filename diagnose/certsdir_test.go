package diagnose_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures"
)

// The CA is installed, but where podman does not look: an empty
// ~/.config/containers/certs.d/HOST shadows /etc/containers/certs.d/HOST.
// The diagnosis must say which file holds the CA and why it is not read,
// not only that the authority is unknown.
func TestUnknownAuthorityNamesTheShadowedCA(t *testing.T) {
	reg, err := fixtures.Start("healthy")
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	caPEM, err := os.ReadFile(filepath.Join(reg.CertDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	home, etc := t.TempDir(), t.TempDir()
	for dir, file := range map[string]string{filepath.Join(home, reg.Host): "README", filepath.Join(etc, reg.Host): "ca.crt"} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	target, err := checks.ParseTarget(reg.Target)
	if err != nil {
		t.Fatal(err)
	}
	o := scenarioOptions(t, reg)
	o.CertDir, o.CertsDirs = "", []string{home, etc}
	env := checks.NewEnv(context.Background(), target, o)
	defer env.Close()
	rep := diagnose.Run(context.Background(), env, checks.All(), nil)
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
