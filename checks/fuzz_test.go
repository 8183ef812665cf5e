package checks

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/regdoctor/regdoctor/clientconf"
)

func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull"`,
		`Basic realm="Registry Realm"`,
		`Bearer realm="a\"b\\c", service=unquoted, error="insufficient_scope"`,
		`Bearer realm="unterminated`,
		`realm="no scheme"`,
		``,
		`Bearer ,,,=,="",`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c := ParseChallenge(h)
		if len(c.Realm) > len(h) || len(c.Service) > len(h) || len(c.Scope) > len(h) {
			t.Errorf("realm %q, service %q or scope %q is longer than the header %q", c.Realm, c.Service, c.Scope, h)
		}
		if s := string(c.Scheme); s != strings.ToLower(s) || strings.ContainsAny(s, " =") {
			t.Errorf("scheme %q is not a lower-case token", c.Scheme)
		}
		if c.Scheme == "" && len(c.Params) != 0 {
			t.Errorf("no scheme but params %v", c.Params)
		}
		if len(c.Params) > 32 {
			t.Errorf("%d params, want at most 32", len(c.Params))
		}
		if c.Realm != c.Params["realm"] || c.Service != c.Params["service"] {
			t.Errorf("realm/service %q/%q disagree with params %v", c.Realm, c.Service, c.Params)
		}
		for k := range c.Params {
			if k == "" || k != strings.ToLower(k) {
				t.Errorf("param key %q is empty or not lower-case", k)
			}
		}
		if len(c.Raw) > 512+len("…") {
			t.Errorf("raw is %d bytes", len(c.Raw))
		}
	})
}

func FuzzParseErrors(f *testing.F) {
	f.Add(404, []byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`))
	f.Add(500, []byte(`{"errors":[{"code":`))
	f.Add(502, []byte("<html><body>Bad Gateway</body></html>"))
	f.Add(401, []byte(`{"token":"abc","details":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}`))
	f.Add(200, []byte(`{"errors":[{"code":"IGNORED"}]}`))
	f.Add(403, []byte(`  {"errors":null}`))
	f.Fuzz(func(t *testing.T, status int, data []byte) {
		x := &Exchange{Status: status}
		x.parseErrors(data, true)
		if status < 300 || len(data) == 0 {
			if len(x.Errors) != 0 || x.Body != "" || x.Malformed {
				t.Fatalf("status %d, %d bytes: recorded %+v", status, len(data), x)
			}
			return
		}
		if x.Malformed && len(x.Errors) != 0 {
			t.Errorf("malformed body but errors %+v", x.Errors)
		}
		if x.Body != "" && len(x.Errors) != 0 {
			t.Errorf("both a body %q and errors %+v", x.Body, x.Errors)
		}
		if len(x.Body) > 256+len("…") {
			t.Errorf("body is %d bytes", len(x.Body))
		}
		if jwtLike().MatchString(x.Body) {
			t.Errorf("body %q holds a JWT", x.Body)
		}
		for _, e := range x.Errors {
			if len(e.Code) > 64+len("…") || len(e.Message) > 256+len("…") {
				t.Errorf("error %+v is not truncated", e)
			}
		}
		if _, err := json.Marshal(x); err != nil {
			t.Errorf("evidence does not serialise: %v", err)
		}
	})
}

func FuzzLoadAuthFile(f *testing.F) {
	f.Add([]byte(`{"auths":{"10.0.0.5:5000":{"auth":"YWxpY2U6cHc="}}}`))
	f.Add([]byte(`{"auths":{"https://10.0.0.5:5000/v2/":{"username":"a","password":"b"},"10.0.0.5:5000/team":{"identitytoken":"t"}}}`))
	f.Add([]byte(`{"auths":{"10.0.0.5:5000":{"auth":"%%%"}}}`))
	f.Add([]byte("{\n\"auths\": {\n,,"))
	f.Add([]byte(`{"auths":[]}`))
	f.Add([]byte(`{"credHelpers":{"10.0.0.5:5000":"absent-helper"},"credsStore":"absent-store"}`))
	f.Add([]byte{0xff, 0xfe, '{'})
	// No credential helper on PATH may run, whatever the file names. Each
	// worker process reuses one directory: creating one per input is slow.
	f.Setenv("PATH", f.TempDir())
	dir := f.TempDir()
	path := filepath.Join(dir, "auth.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		writeFile(t, path, string(data))
		cc := loadConfig(t, testRegistry+"/team/app", Options{AuthFile: path, SysRoot: dir, Clients: []string{"podman"}})
		if len(cc.AuthFiles) != 1 || !cc.AuthFiles[0].Exists || cc.AuthFiles[0].Path != path {
			t.Fatalf("auth files %+v, want just %s", cc.AuthFiles, path)
		}
		var parsed authFileJSON
		if err := json.Unmarshal(data, &parsed); err != nil {
			lines := bytes.Count(data, []byte("\n")) + 1
			if len(cc.Problems) != 1 || cc.Problems[0].Kind != clientconf.Unparsable || cc.Problems[0].Line < 1 || cc.Problems[0].Line > lines {
				t.Errorf("unparseable file (%v): problems %+v, want one config-invalid within lines 1..%d", err, cc.Problems, lines)
			}
			if cc.Creds != nil {
				t.Errorf("unparseable file yielded credentials %+v", cc.Creds)
			}
		}
		for _, p := range cc.Problems {
			if !utf8.ValidString(p.Message) && utf8.Valid(data) {
				t.Errorf("problem message %q is not UTF-8", p.Message)
			}
		}
		if cc.Creds != nil && cc.Creds.Username == "" && cc.Creds.IdentityToken == "" {
			t.Errorf("credentials without user or token: %+v", cc.Creds)
		}
	})
}
