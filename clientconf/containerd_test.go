package clientconf

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadContainerdHost(t *testing.T) {
	const reg = "registry.example.com:5000"
	for _, tc := range []struct {
		name       string
		toml       string // "" means no file
		plain      bool
		skipVerify bool
		ca         []string // relative to the hosts.toml directory
		client     bool
		problem    string
	}{
		{name: "no file"},
		{name: "https with a CA list and a relative CA", toml: `server = "https://registry.example.com:5000"
[host."https://registry.example.com:5000"]
  capabilities = ["pull", "resolve"]
  ca = ["/etc/pki/company.crt", "ca.crt"]
  client = [["client.cert", "client.key"]]
`, ca: []string{"/etc/pki/company.crt", "ca.crt"}, client: true},
		{name: "CA as a string, at the top", toml: `server = "https://registry.example.com:5000"
ca = "ca.crt"
`, ca: []string{"ca.crt"}},
		{name: "plain http", toml: `server = "http://registry.example.com:5000"
[host."http://registry.example.com:5000"]
  capabilities = ["pull", "resolve", "push"]
`, plain: true},
		{name: "skip_verify", toml: `[host."https://mirror.example.com"]
  skip_verify = true
`, skipVerify: true},
		{name: "does not parse", toml: "server = \n", problem: "does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "etc", "containerd", "certs.d", reg)
			if tc.toml != "" {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(tc.toml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			h := LoadContainerdHost(Sys{Root: root}, reg)
			if h.Exists != (tc.toml != "") || h.PlainHTTP != tc.plain || h.SkipVerify != tc.skipVerify || h.ClientCert != tc.client {
				t.Errorf("got %+v", h)
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
			if (tc.problem == "") != (len(h.Problems) == 0) || (tc.problem != "" && !strings.Contains(h.Problems[0].Message, tc.problem)) {
				t.Errorf("problems %+v, want %q", h.Problems, tc.problem)
			}
		})
	}
}
