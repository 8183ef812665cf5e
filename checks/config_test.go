package checks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
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

// testRegistry is an IP literal: a host name would cost a DNS lookup per config load.
const testRegistry = "10.0.0.5:5000"

// writeFile creates path and its parents.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// authJSON is an auth file with one user:password entry per key.
func authJSON(t *testing.T, entries map[string]string) string {
	t.Helper()
	auths := map[string]map[string]string{}
	for key, userPass := range entries {
		auths[key] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(userPass))}
	}
	b, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func loadConfig(t *testing.T, ref string, o Options) *ClientConfig {
	t.Helper()
	tg, err := target.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	if o.CertsDirs == nil {
		o.CertsDirs = []string{}
	}
	if o.Env == nil {
		o.Env = envFrom(nil)
	}
	if o.SysRoot == "" {
		o.SysRoot, o.Clients = t.TempDir(), []string{"podman"}
	}
	return LoadClientConfig(context.Background(), tg, o)
}

// TestAuthFilePrecedence: podman's order (containers/common
// GetDefaultAuthFile, containers/image getAuthFilePaths): --authfile, else
// $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else
// $XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/UID/auth.json;
// then ~/.config/containers/auth.json, then docker's config.json; the
// first file that holds the registry wins.
func TestAuthFilePrecedence(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{ // user name -> path
		"authfile": filepath.Join(root, "flag", "auth.json"),
		"envfile":  filepath.Join(root, "env", "auth.json"),
		"xdg":      filepath.Join(root, "run", "containers", "auth.json"),
		"podman":   filepath.Join(root, "home", ".config", "containers", "auth.json"),
		"docker":   filepath.Join(root, "dockercfg", "config.json"),
		"dotdock":  filepath.Join(root, "home", ".docker", "config.json"),
		"elsewher": filepath.Join(root, "other", "auth.json"), // holds another registry only
	}
	for user, path := range files {
		key := testRegistry
		if user == "elsewher" {
			key = "other.example.com"
		}
		writeFile(t, path, authJSON(t, map[string]string{key: user + ":pw-" + user}))
	}
	allEnv := map[string]string{
		"REGISTRY_AUTH_FILE": files["envfile"],
		"XDG_RUNTIME_DIR":    filepath.Join(root, "run"),
		"HOME":               filepath.Join(root, "home"),
		"DOCKER_CONFIG":      filepath.Join(root, "dockercfg"),
	}
	without := func(keys ...string) map[string]string {
		m := map[string]string{}
		for k, v := range allEnv {
			if !slices.Contains(keys, k) {
				m[k] = v
			}
		}
		return m
	}
	for _, tc := range []struct {
		name     string
		authFile string
		env      map[string]string
		want     string   // user found
		paths    []string // files consulted, in order
	}{
		{"--authfile first", files["authfile"], allEnv, "authfile", []string{"authfile", "podman", "docker"}},
		{"REGISTRY_AUTH_FILE", "", allEnv, "envfile", []string{"envfile", "podman", "docker"}},
		// podman's default --authfile is $DOCKER_CONFIG/config.json.
		{"DOCKER_CONFIG before XDG_RUNTIME_DIR", "", without("REGISTRY_AUTH_FILE"), "docker", []string{"docker", "podman"}},
		{"XDG_RUNTIME_DIR", "", without("REGISTRY_AUTH_FILE", "DOCKER_CONFIG"), "xdg", []string{"xdg", "podman", "dotdock"}},
		{"~/.config/containers", "", without("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "DOCKER_CONFIG"), "podman", []string{"runuid", "podman", "dotdock"}},
		{"DOCKER_CONFIG without HOME", "", without("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "HOME"), "docker", []string{"docker"}},
		// A file without the registry does not stop the search.
		{"fall through", files["elsewher"], allEnv, "podman", []string{"elsewher", "podman", "docker"}},
	} {
		uid := 4242
		sysRoot := t.TempDir()
		files["runuid"] = filepath.Join(sysRoot, "run", "containers", "4242", "auth.json")
		cc := loadConfig(t, testRegistry+"/app", Options{AuthFile: tc.authFile, Env: envFrom(tc.env), SysRoot: sysRoot, UID: &uid, Clients: []string{"podman"}})
		if cc.Creds == nil || cc.Creds.Username != tc.want || cc.Creds.Password != "pw-"+tc.want || cc.Creds.Source != files[tc.want] {
			t.Errorf("%s: credentials %+v, want %s's from %s", tc.name, cc.Creds, tc.want, files[tc.want])
		}
		var paths []string
		for _, af := range cc.AuthFiles {
			paths = append(paths, af.Path)
		}
		var want []string
		for _, p := range tc.paths {
			want = append(want, files[p])
		}
		if !slices.Equal(paths, want) {
			t.Errorf("%s: consulted %q, want %q", tc.name, paths, want)
		}
	}
}

func TestAuthFileKeyForms(t *testing.T) {
	for _, tc := range []struct {
		target, key string
		match       bool
	}{
		{testRegistry + "/app", testRegistry, true},
		{testRegistry + "/app", "https://" + testRegistry, true},
		{testRegistry + "/app", "http://" + testRegistry + "/v2/", true},
		{testRegistry + "/app", testRegistry + "/v2/", true},
		{testRegistry + "/app", testRegistry + "/", true},
		{testRegistry + "/app", "10.0.0.5", false},
		{testRegistry + "/app", "10.0.0.5:5001", false},
		{testRegistry + "/app", "10.0.0.5:50000", false},
		{testRegistry + "/app", "other.example.com:5000", false},
		{"redis", "https://index.docker.io/v1/", true},
		{"redis", "docker.io", true},
		{"redis", "registry-1.docker.io", true},
		{"docker.io/library/redis", "index.docker.io", true},
		{"redis", "quay.io", false},
	} {
		path := filepath.Join(t.TempDir(), "auth.json")
		writeFile(t, path, authJSON(t, map[string]string{tc.key: "alice:pw"}))
		cc := loadConfig(t, tc.target, Options{AuthFile: path})
		if got := cc.Creds != nil; got != tc.match {
			t.Errorf("key %q for target %q: found %v, want %v", tc.key, tc.target, got, tc.match)
		} else if got && (cc.Creds.Key != tc.key || cc.Creds.Username != "alice") {
			t.Errorf("key %q: credentials %+v", tc.key, cc.Creds)
		}
	}
}

// TestAuthFileRepositoryScopedKeys: podman stores "host/namespace" keys
// that apply only to repositories under that namespace, and prefers them
// to the host's entry there.
func TestAuthFileRepositoryScopedKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.json")
	writeFile(t, path, authJSON(t, map[string]string{
		testRegistry:           "host-user:pw",
		testRegistry + "/team": "team-user:pw",
	}))
	for _, tc := range []struct{ target, want string }{
		{testRegistry + "/team/app", "team-user"},
		{testRegistry + "/other/app", "host-user"},
		{testRegistry + "/teamwork/app", "host-user"},
		{testRegistry, "host-user"},
	} {
		cc := loadConfig(t, tc.target, Options{AuthFile: path})
		if cc.Creds == nil || cc.Creds.Username != tc.want {
			t.Errorf("%s: credentials %+v, want %s", tc.target, cc.Creds, tc.want)
		}
	}
}

func TestAuthFileEntries(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		user          string // "" means no credentials
		idToken       string
		problem       int // line of a config-invalid problem; -1 for none
	}{
		{name: "username and password fields", content: `{"auths":{"` + testRegistry + `":{"username":"bob","password":"pw"}}}`, user: "bob", problem: -1},
		{name: "identity token", content: `{"auths":{"` + testRegistry + `":{"identitytoken":"id-tok"}}}`, idToken: "id-tok", problem: -1},
		{name: "auth not base64", content: `{"auths":{"` + testRegistry + `":{"auth":"!!not-base64!!"}}}`, problem: 0},
		{name: "auth without colon", content: `{"auths":{"` + testRegistry + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("nocolon")) + `"}}}`, problem: 0},
		{name: "corrupt json", content: "{\n  \"auths\": {\n    \"" + testRegistry + "\": {\"auth\": \"x\"},,\n  }\n}\n", problem: 3},
		{name: "truncated json", content: "{\n  \"auths\": {\n", problem: 3},
		{name: "wrong type", content: "{\n  \"auths\": {\n    \"h\": {\"auth\": 42}\n  }\n}", problem: 3},
		{name: "empty file", content: "", problem: 1},
		{name: "empty object", content: "{}", problem: -1},
	} {
		path := filepath.Join(t.TempDir(), "auth.json")
		writeFile(t, path, tc.content)
		cc := loadConfig(t, testRegistry+"/app", Options{AuthFile: path})
		if got := cc.Creds; (tc.user == "" && tc.idToken == "") != (got == nil) ||
			got != nil && (got.Username != tc.user || got.IdentityToken != tc.idToken) {
			t.Errorf("%s: credentials %+v, want user %q identity token %q", tc.name, got, tc.user, tc.idToken)
		}
		if tc.problem < 0 {
			if len(cc.Problems) != 0 {
				t.Errorf("%s: problems %+v, want none", tc.name, cc.Problems)
			}
			continue
		}
		if len(cc.Problems) != 1 || cc.Problems[0].Kind != clientconf.Unparsable || cc.Problems[0].File != path || cc.Problems[0].Line != tc.problem {
			t.Errorf("%s: problems %+v, want config-invalid in %s at line %d", tc.name, cc.Problems, path, tc.problem)
		}
		if len(cc.AuthFiles) != 1 || !cc.AuthFiles[0].Exists {
			t.Errorf("%s: auth files %+v", tc.name, cc.AuthFiles)
		}
		if strings.Contains(cc.Problems[0].Message, "not-base64") {
			t.Errorf("%s: problem %q echoes the secret field", tc.name, cc.Problems[0].Message)
		}
	}
}

// TestAuthFileMissing: podman and buildah refuse a named auth file that
// does not exist (containers/common CheckAuthFile); skopeo reads on.
func TestAuthFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.json")
	cc := loadConfig(t, testRegistry, Options{AuthFile: path, SysRoot: t.TempDir(), Clients: []string{"skopeo"}})
	if cc.Creds != nil || len(cc.Problems) != 0 || len(cc.AuthFiles) != 1 || cc.AuthFiles[0].Exists {
		t.Errorf("config %+v, want one absent auth file and nothing else", cc)
	}
	cc = loadConfig(t, testRegistry, Options{AuthFile: path, SysRoot: t.TempDir(), Clients: []string{"podman", "buildah", "skopeo"}})
	if len(cc.Problems) != 1 || cc.Problems[0].Kind != clientconf.MissingFile || !slices.Equal(cc.Problems[0].Clients, []string{"podman", "buildah"}) ||
		!strings.Contains(cc.Problems[0].Message, "checking authfile: stat "+path) {
		t.Errorf("problems %+v, want a missing file for podman and buildah quoting CheckAuthFile", cc.Problems)
	}
}

// An auth file that cannot be read is config-invalid naming it, never a
// quiet "no stored credentials": podman and docker fail on it.
func TestAuthFileUnreadable(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	writeFile(t, big, `{"auths":{}, "pad":"`+strings.Repeat("a", 5<<20)+`"}`)
	for name, path := range map[string]string{"a directory": dir, "a FIFO": fifo, "/dev/zero": "/dev/zero", "over 4 MiB": big} {
		cc := loadConfig(t, testRegistry, Options{AuthFile: path})
		if len(cc.Problems) != 1 || cc.Problems[0].Kind != clientconf.Unparsable || cc.Problems[0].File != path {
			t.Errorf("%s: problems %+v, want config-invalid naming %s", name, cc.Problems, path)
		}
	}
}

// certPEM returns a self-signed CA certificate and its key in PEM.
func certPEM(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func TestCertsDir(t *testing.T) {
	ca, key := certPEM(t)
	for _, tc := range []struct {
		name     string
		files    map[string]string
		cas      []string
		clients  []string
		problems []string // files with a certs-dir-invalid problem
	}{
		{name: "ca", files: map[string]string{"ca.crt": ca}, cas: []string{"ca.crt"}},
		{name: "client pair", files: map[string]string{"client.cert": ca, "client.key": key}, clients: []string{"client.cert"}},
		{name: "lone key", files: map[string]string{"ca.crt": ca, "client.key": key}, cas: []string{"ca.crt"}, problems: []string{"client.key"}},
		{name: "lone cert", files: map[string]string{"client.cert": ca}, problems: []string{"client.cert"}},
		{name: "crt without PEM", files: map[string]string{"ca.crt": "not a certificate"}, problems: []string{"ca.crt"}},
		{name: "mismatched pair", files: map[string]string{"client.cert": ca, "client.key": func() string { _, k := certPEM(t); return k }()}, problems: []string{"client.cert"}},
		{name: "other files ignored", files: map[string]string{"README": "x", "hosts.toml": "y"}},
	} {
		root := t.TempDir()
		dir := filepath.Join(root, testRegistry)
		for name, content := range tc.files {
			writeFile(t, filepath.Join(dir, name), content)
		}
		// The same directory found as a certs.d root and named by --cert-dir.
		for _, o := range []Options{{CertsDirs: []string{filepath.Join(root, "absent"), root}}, {CertDir: dir}} {
			cc := loadConfig(t, testRegistry+"/app", o)
			var problems []string
			for _, p := range cc.Problems {
				if p.Kind != clientconf.CertsDirBroken {
					t.Errorf("%s: problem %+v has the wrong code", tc.name, p)
				}
				problems = append(problems, filepath.Base(p.File))
			}
			if len(cc.CertDirs) != 1 || cc.CertDirs[0].Path != dir ||
				!slices.Equal(cc.CertDirs[0].CAs, tc.cas) || !slices.Equal(cc.CertDirs[0].ClientCerts, tc.clients) ||
				len(cc.ClientCerts) != len(tc.clients) || !slices.Equal(problems, tc.problems) {
				t.Errorf("%s (%+v): cert dirs %+v problems %+v; want CAs %v clients %v problems %v",
					tc.name, o, cc.CertDirs, cc.Problems, tc.cas, tc.clients, tc.problems)
			}
		}
	}
}

// An entry for another port of the same host is another registry's
// (a Nexus group and hosted connector), not a misfiled login; a bare host
// for a ported reference, and host:443 for host, are misfiled.
func TestMisfiledCredentialsByPort(t *testing.T) {
	for _, c := range []struct {
		key, target string
		misfiled    bool
	}{
		{"10.0.0.5:5002", "10.0.0.5:5009/app", false},
		{"10.0.0.5:5000", "10.0.0.5/app", false},
		{"10.0.0.5", "10.0.0.5:5000/app", true},
		{"10.0.0.5:443", "10.0.0.5/app", true},
		{"10.0.0.5", "10.0.0.5:443/app", true},
		{"https://10.0.0.5/v2/", "10.0.0.5:5000/app", true},
		{"10.0.0.6", "10.0.0.5:5000/app", false},
	} {
		tg, err := target.Parse(c.target)
		if err != nil {
			t.Fatal(err)
		}
		cc := &ClientConfig{AuthFiles: []AuthFile{{Path: "auth.json", Keys: []string{c.key}}}}
		cc.findMisfiledCreds(tg)
		if got := len(cc.Problems) > 0; got != c.misfiled {
			t.Errorf("key %q for %s: misfiled = %v, want %v (%+v)", c.key, c.target, got, c.misfiled, cc.Problems)
		}
	}
}

// A problem in the client-config evidence names its kind, not a diagnosis
// code (a JSON change of 2026-12-03, documented in the README): only the
// rules name causes.
func TestProblemJSONNamesTheKind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	cc := loadConfig(t, testRegistry, Options{AuthFile: path, SysRoot: t.TempDir(), Clients: []string{"podman"}})
	out, err := json.Marshal(cc.Problems)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"kind":"unparsable"`) || strings.Contains(string(out), `"code"`) {
		t.Errorf("problems JSON %s, want a kind and no code", out)
	}
}
