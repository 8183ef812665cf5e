package checks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/target"
)

// TestContainerdAuth: with a username and password containerd POSTs an
// OAuth password grant to the realm and falls back to GET only on 405,
// 404, 401 and 400 (containerd 1.6 remotes/docker/authorizer.go
// doBearerAuth); a 403, or a 200 without access_token, fails it.
func TestContainerdAuth(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		fails     string
		fallsBack bool
	}{
		{name: "403 is not retried", status: 403, fails: "403"},
		{name: "500 is not retried", status: 500, fails: "500"},
		{name: "405 falls back to GET", status: 405, fallsBack: true},
		{name: "404 falls back to GET", status: 404, fallsBack: true},
		{name: "401 falls back to GET", status: 401, fallsBack: true},
		{name: "400 falls back to GET", status: 400, fallsBack: true},
		{name: "an access token", status: 200, body: `{"access_token":"abc"}`},
		{name: "a token field only", status: 200, body: `{"token":"abc"}`, fails: "without an access_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var form string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost {
					w.WriteHeader(http.StatusTeapot)
					return
				}
				_ = r.ParseForm()
				form = r.Form.Get("grant_type") + " " + r.Form.Get("username") + " " + r.Form.Get("client_id")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			dockerDir := t.TempDir()
			writeFile(t, filepath.Join(dockerDir, "config.json"), authJSON(t, map[string]string{host: "alice:s3cret"}))
			target, err := target.Parse(host + "/team/app:1")
			if err != nil {
				t.Fatal(err)
			}
			env := NewEnv(context.Background(), target, Options{Timeout: testTimeout, TLSVerify: false, CertsDirs: []string{},
				SysRoot: t.TempDir(), Clients: []string{"containerd"}, Env: envFrom(map[string]string{"DOCKER_CONFIG": dockerDir})})
			t.Cleanup(env.Close)
			deps := Deps{
				IDAuthChallenge: &Result{Status: Pass, Data: &Challenge{Scheme: "bearer", Realm: srv.URL + "/token", Service: "reg"}},
				IDTokenRealm:    &Result{Status: Pass},
			}
			res := ContainerdAuth().Run(context.Background(), env, deps)
			ev, ok := res.Evidence.(*ContainerdAuthEvidence)
			if !ok {
				t.Fatalf("no evidence: %+v", res)
			}
			if form != "password alice containerd-client" {
				t.Errorf("form %q, want containerd's password grant", form)
			}
			if (ev.Fails == "") != (tc.fails == "") || !strings.Contains(ev.Fails, tc.fails) || ev.FallsBack != tc.fallsBack {
				t.Errorf("evidence %+v, want fails %q falls back %v", ev, tc.fails, tc.fallsBack)
			}
			if strings.Contains(ev.Fails+res.Summary, "s3cret") {
				t.Errorf("the password leaked: %q", ev.Fails)
			}
		})
	}
	// podman alone: containerd's request is not made.
	res := ContainerdAuth().Run(context.Background(), &Env{Config: &ClientConfig{Clients: []string{"podman"}}}, Deps{})
	if res.Status != Skip {
		t.Errorf("without containerd judged: %+v, want a skip", res)
	}
}
