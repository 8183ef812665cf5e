package clientconf

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoadContainerdHost follows containerd 1.6 remotes/docker/config:
// hostPaths (HOST_PORT_ before HOST:PORT), loadHostDir (a hosts.toml it
// cannot decode is ignored, and the directory's *.crt used),
// parseHostsFile (a `host` table is required; [host."…"] entries first,
// the server last) and ConfigureHosts (plain HTTP for a loopback registry
// without a server).
func TestLoadContainerdHost(t *testing.T) {
	const reg = "registry.example.com:5000"
	for _, tc := range []struct {
		name       string
		registry   string // default reg
		dir        string // directory name under certs.d; default the registry
		toml       string // "" means no file
		crt        bool   // a ca.crt in the directory
		plain      bool
		defaultH   bool
		skipVerify bool
		ca         []string // relative to the hosts.toml directory
		client     bool
		ignored    string
		mirrors    []string
		server     string
	}{
		{name: "no file"},
		{name: "no file, loopback: plain HTTP by default", registry: "127.0.0.1:5000", plain: true, defaultH: true, skipVerify: true},
		{name: "no file, localhost", registry: "localhost:5000", plain: true, defaultH: true, skipVerify: true},
		{name: "https with a CA list and a relative CA", toml: `server = "https://registry.example.com:5000"
[host."https://registry.example.com:5000"]
  capabilities = ["pull", "resolve"]
  ca = ["/etc/pki/company.crt", "ca.crt"]
  client = [["client.cert", "client.key"]]
`, ca: []string{"/etc/pki/company.crt", "ca.crt"}, client: true, server: "https://registry.example.com:5000/v2"},
		{name: "escaped directory name", dir: "registry.example.com_5000_", toml: `server = "https://registry.example.com:5000"
[host."https://registry.example.com:5000"]
  ca = "ca.crt"
`, ca: []string{"ca.crt"}, server: "https://registry.example.com:5000/v2"},
		// No [host] table: containerd 1.6 cannot decode it, ignores the
		// server, and uses the directory's ca.crt.
		{name: "no host table", toml: `server = "https://registry.example.com:5000"
ca = "other.pem"
`, crt: true, ca: []string{"ca.crt"}, ignored: "invalid `host` tree"},
		{name: "no host table, loopback: plain HTTP after all", registry: "127.0.0.1:5000", toml: `server = "https://127.0.0.1:5000"
`, ignored: "invalid `host` tree", plain: true, defaultH: true, skipVerify: true},
		{name: "plain http", toml: `server = "http://registry.example.com:5000"
[host."http://registry.example.com:5000"]
  capabilities = ["pull", "resolve", "push"]
`, plain: true, server: "http://registry.example.com:5000/v2"},
		{name: "a mirror with skip_verify does not touch the registry", toml: `[host."https://mirror.example.com"]
  skip_verify = true
`, mirrors: []string{"https://mirror.example.com/v2"}},
		{name: "skip_verify on the registry", toml: `server = "https://registry.example.com:5000"
[host."https://registry.example.com:5000"]
  skip_verify = true
`, skipVerify: true, server: "https://registry.example.com:5000/v2"},
		{name: "does not parse", toml: "server = \n", ignored: "failed to parse TOML"},
		{name: "unknown capability", toml: "[host.\"https://registry.example.com:5000\"]\n  capabilities = [\"fly\"]\n", ignored: "unknown capability fly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			registry := tc.registry
			if registry == "" {
				registry = reg
			}
			dirName := tc.dir
			if dirName == "" {
				dirName = registry
			}
			root := t.TempDir()
			dir := filepath.Join(root, "etc", "containerd", "certs.d", dirName)
			if tc.toml != "" || tc.crt {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if tc.toml != "" {
				if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(tc.toml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.crt {
				if err := os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			h := LoadContainerdHost(Sys{Root: root}, registry)
			if h.Exists != (tc.toml != "") || h.PlainHTTP != tc.plain || h.DefaultHTTP != tc.defaultH || h.SkipVerify != tc.skipVerify || h.ClientCert != tc.client {
				t.Errorf("got %+v", h)
			}
			if tc.toml != "" && h.File != filepath.Join(dir, "hosts.toml") {
				t.Errorf("file %s, want the one in %s", h.File, dir)
			}
			var want []string
			for _, c := range tc.ca {
				if !filepath.IsAbs(c) {
					c = filepath.Join(dir, c)
				}
				want = append(want, c)
			}
			slices.Sort(want)
			if !slices.Equal(h.CA, want) {
				t.Errorf("CA %v, want %v", h.CA, want)
			}
			if (tc.ignored == "") != (h.Ignored == "") || !strings.Contains(h.Ignored, tc.ignored) {
				t.Errorf("ignored %q, want %q", h.Ignored, tc.ignored)
			}
			if len(h.Problems) != 0 {
				t.Errorf("problems %+v: containerd falls back, it does not fail", h.Problems)
			}
			var mirrors []string
			for _, m := range h.Mirrors() {
				mirrors = append(mirrors, m.URL)
			}
			if !slices.Equal(mirrors, tc.mirrors) {
				t.Errorf("mirrors %v, want %v", mirrors, tc.mirrors)
			}
			if h.Server != tc.server {
				t.Errorf("server %q, want %q", h.Server, tc.server)
			}
		})
	}
}

// TestContainerdHostOrder: [host."…"] entries are tried in file order,
// before the server.
func TestContainerdHostOrder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "containerd", "certs.d", "docker.io")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	data := "server = \"https://registry-1.docker.io\"\n[host.\"https://z.example.com\"]\n[host.\"https://a.example.com\"]\n  capabilities = [\"pull\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	h := LoadContainerdHost(Sys{Root: root}, "docker.io")
	var urls []string
	for _, e := range h.Hosts {
		urls = append(urls, e.URL)
	}
	if want := []string{"https://z.example.com/v2", "https://a.example.com/v2", "https://registry-1.docker.io/v2"}; !slices.Equal(urls, want) {
		t.Errorf("hosts %v, want %v", urls, want)
	}
	if h.Hosts[1].Resolve || !h.Hosts[1].Pull || len(h.Mirrors()) != 2 || len(h.RegistryEndpoints()) != 1 {
		t.Errorf("capabilities or mirrors wrong: %+v", h.Hosts)
	}
}
