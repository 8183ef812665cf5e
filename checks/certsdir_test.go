package checks

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

// The certs.d mistakes behind "x509: certificate signed by unknown
// authority" after the user "installed the CA": each file is reported as
// ignored, with why, and is not trusted.
func TestCertsDirLookup(t *testing.T) {
	ca, _ := certPEM(t)
	block, _ := pem.Decode([]byte(ca))
	caCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	type dirs struct{ home, etc, docker string }
	for _, tc := range []struct {
		name    string
		target  string
		clients []string
		files   func(d dirs) []string // files to write; the CA in each
		trusted []string              // dirs (by root) whose CAs count
		ignored map[string]string     // file -> part of the reason
	}{
		{name: "system dir alone", target: testRegistry + "/app", clients: []string{"podman"},
			files:   func(d dirs) []string { return []string{filepath.Join(d.etc, testRegistry, "ca.crt")} },
			trusted: []string{"etc"}},
		{name: "an empty user dir shadows the system one", target: testRegistry + "/app", clients: []string{"podman"},
			files: func(d dirs) []string {
				return []string{filepath.Join(d.home, testRegistry, "README"), filepath.Join(d.etc, testRegistry, "ca.crt")}
			},
			ignored: map[string]string{"etc/" + testRegistry + "/ca.crt": "read only the first certs.d directory that exists"}},
		{name: "docker's dir counts for docker", target: testRegistry + "/app", clients: []string{"podman", "docker"},
			files: func(d dirs) []string {
				return []string{filepath.Join(d.etc, testRegistry, "other.crt"), filepath.Join(d.docker, testRegistry, "ca.crt")}
			},
			trusted: []string{"etc", "docker"}},
		{name: "docker's dir shadowed when docker is not judged", target: testRegistry + "/app", clients: []string{"podman"},
			files: func(d dirs) []string {
				return []string{filepath.Join(d.etc, testRegistry, "other.crt"), filepath.Join(d.docker, testRegistry, "ca.crt")}
			},
			trusted: []string{"etc"},
			ignored: map[string]string{"docker/" + testRegistry + "/ca.crt": "docker reads this one"}},
		{name: "port 443 written out", target: "registry.example.com/app", clients: []string{"podman"},
			files:   func(d dirs) []string { return []string{filepath.Join(d.etc, "registry.example.com:443", "ca.crt")} },
			ignored: map[string]string{"etc/registry.example.com:443/ca.crt": "clients look for registry.example.com"}},
		{name: "port 443 left out", target: "registry.example.com:443/app", clients: []string{"podman"},
			files:   func(d dirs) []string { return []string{filepath.Join(d.etc, "registry.example.com", "ca.crt")} },
			ignored: map[string]string{"etc/registry.example.com/ca.crt": "clients look for registry.example.com:443"}},
		{name: "CA directly in the root", target: testRegistry + "/app", clients: []string{"podman"},
			files:   func(d dirs) []string { return []string{filepath.Join(d.etc, "company-ca.crt")} },
			ignored: map[string]string{"etc/company-ca.crt": "certificates directly in"}},
		{name: "pem extension", target: testRegistry + "/app", clients: []string{"podman"},
			files:   func(d dirs) []string { return []string{filepath.Join(d.etc, testRegistry, "ca.pem")} },
			ignored: map[string]string{"etc/" + testRegistry + "/ca.pem": "only files ending in .crt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			// docker's root is recognised by its path under --sysroot.
			d := dirs{filepath.Join(base, "home"), filepath.Join(base, "etc", "containers", "certs.d"), filepath.Join(base, "etc", "docker", "certs.d")}
			label := strings.NewReplacer(d.home, "home", d.etc, "etc", d.docker, "docker", base+"/", "")
			for _, f := range tc.files(d) {
				writeFile(t, f, ca)
			}
			tg, err := target.Parse(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			cc := &ClientConfig{Clients: tc.clients}
			cc.loadTrust(tg, Options{CertsDirs: []string{d.home, d.etc, d.docker}, SysRoot: base, Env: envFrom(nil)})
			var trusted []string
			for _, c := range cc.CertDirs {
				if len(c.CAs) > 0 {
					trusted = append(trusted, strings.SplitN(label.Replace(c.Path), "/", 2)[0])
				}
			}
			if !slices.Equal(trusted, tc.trusted) {
				t.Errorf("CAs read from %v, want %v (cert dirs %+v)", trusted, tc.trusted, cc.CertDirs)
			}
			got := map[string]string{}
			for _, ig := range cc.IgnoredCAs {
				got[label.Replace(ig.Path)] = ig.Why
			}
			for f, why := range tc.ignored {
				if !strings.Contains(got[f], why) {
					t.Errorf("ignored %q: reason %q, want it to say %q (all: %v)", f, got[f], why, got)
				}
			}
			if len(got) != len(tc.ignored) {
				t.Errorf("ignored %v, want %v", got, tc.ignored)
			}
			// Every file holds the same CA: any ignored one would verify it.
			if mis := cc.MisplacedCA([]*x509.Certificate{caCert}); (mis != nil) != (len(tc.ignored) > 0) {
				t.Errorf("MisplacedCA = %+v with ignored %v", mis, tc.ignored)
			}
		})
	}
}

// A certs.d that names a device, a FIFO or a loop where a certificate
// should be costs a bounded read and no wait, and says which file is
// wrong: podman fails on it, so it is never skipped in silence.
func TestCertsDirHostileFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"client.cert is /dev/zero", func(t *testing.T, dir string) {
			symlink(t, "/dev/zero", filepath.Join(dir, "client.cert"))
			writeFile(t, filepath.Join(dir, "client.key"), "not a key")
		}, "is a device"},
		{"client.cert is a FIFO", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "client.cert"), 0o600); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "client.key"), "not a key")
		}, "pipe or socket"},
		{"ca.crt is a symlink loop", func(t *testing.T, dir string) {
			symlink(t, filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.crt"))
		}, "too many levels of symbolic links"},
		{"ca.crt is a FIFO", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "ca.crt"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "pipe or socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, testRegistry)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)
			tg, err := target.Parse(testRegistry + "/app")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan *ClientConfig, 1)
			go func() {
				cc := &ClientConfig{Clients: []string{"podman"}}
				cc.loadTrust(tg, Options{CertsDirs: []string{root}, SysRoot: root, Env: envFrom(nil)})
				done <- cc
			}()
			select {
			case cc := <-done:
				var msgs []string
				for _, p := range cc.Problems {
					msgs = append(msgs, string(p.Kind)+": "+p.Message)
				}
				if len(msgs) == 0 || !strings.Contains(strings.Join(msgs, "\n"), tc.want) || !strings.HasPrefix(msgs[0], string(clientconf.CertsDirBroken)) {
					t.Errorf("problems %q, want certs-dir-invalid saying %q", msgs, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("loading the certs.d directory did not return: a read blocks")
			}
		})
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A certs.d directory for the registry holds off the early read of the
// system bundle (NewEnv): its CA may be all the chain needs.
func TestHasCertsDir(t *testing.T) {
	root := t.TempDir()
	tg, err := target.Parse("registry.example:5000/team/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{CertsDirs: []string{filepath.Join(root, "none"), root}}
	if hasCertsDir(tg, o) {
		t.Error("no directory for the registry, but hasCertsDir")
	}
	if err := os.MkdirAll(filepath.Join(root, "registry.example:5000"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !hasCertsDir(tg, o) {
		t.Error("a directory for the registry in the second root, but not hasCertsDir")
	}
}
