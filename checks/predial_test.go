package checks

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/regdoctor/regdoctor/target"
)

// TestLaterRunsPredialTheRealm: a realm on another origin is dialled once
// per run, the anonymous token request going over the credentialed one's
// connection after it (tokensFirst). A run that found the realm remembers
// it; the next run against the registry dials it at once, and both its
// token requests use that connection instead of dialling. The verdict is
// the same in both runs.
func TestLaterRunsPredialTheRealm(t *testing.T) {
	for _, h2 := range []bool{true, false} {
		name := "HTTP/1.1 realm"
		if h2 {
			name = "HTTP/2 realm"
		}
		t.Run(name, func(t *testing.T) {
			var conns atomic.Int64
			realm := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"token":"opaque-t0ken","expires_in":300}`)
			}))
			realm.EnableHTTP2 = h2
			realm.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			realm.Config.ErrorLog = log.New(io.Discard, "", 0)
			realm.StartTLS()
			defer realm.Close()
			// The registry itself is never contacted: the token check
			// needs only the challenge.
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "ca.crt"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: realm.Certificate().Raw})))
			tg, err := target.Parse("127.0.0.1:1/team/app:1.0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { realms.Delete(tg.Host) })
			deps := Deps{
				IDAuthChallenge: {Status: Pass, Data: &Challenge{Scheme: "bearer", Realm: realm.URL + "/token", Service: "test"}},
				IDTokenRealm:    {Status: Pass},
			}
			// The credentials come from an auth file, as in a real run: the
			// pre-dial, which NewEnv starts, counts on them (two token
			// requests over HTTP/1.1).
			authFile := filepath.Join(dir, "auth.json")
			writeFile(t, authFile, `{"auths":{"`+tg.Registry+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pw"))+`"}}}`)
			run := func() (Result, string) {
				env := NewEnv(t.Context(), tg, Options{Timeout: testTimeout, TLSVerify: true, CertDir: dir, CertsDirs: []string{},
					AuthFile: authFile, Clients: []string{"podman"}, SysRoot: t.TempDir(), Env: func(string) string { return "" }})
				defer env.Close()
				if env.Config.Creds == nil {
					t.Fatal("the auth file gave no credentials")
				}
				var trace bytes.Buffer
				env.Trace = &trace
				return runSettled(t.Context(), Token(), env, deps), trace.String()
			}
			first, trace1 := run()
			if strings.Contains(trace1, "pre-dialled") {
				t.Errorf("first run used a pre-dialled connection:\n%s", trace1)
			}
			if n := conns.Load(); n != 1 {
				t.Errorf("first run: the realm saw %d connections, want 1:\n%s", n, trace1)
			}
			if !strings.Contains(first.Summary, "(anonymous: 200 OK)") {
				t.Errorf("first run: the summary does not give the anonymous attempt: %q", first.Summary)
			}
			before := conns.Load()
			second, trace2 := run()
			if first.Status != Pass || second.Status != first.Status || second.Summary != first.Summary {
				t.Errorf("verdicts differ: %s %q, then %s %q", first.Status, first.Summary, second.Status, second.Summary)
			}
			if n := conns.Load() - before; n != 1 {
				t.Errorf("second run: the realm saw %d new connections, want 1:\n%s", n, trace2)
			}
			if pre, reused := strings.Count(trace2, "[connection: new, pre-dialled"), strings.Count(trace2, "[connection: reused"); pre != 1 || reused != 1 {
				t.Errorf("second run: %d exchanges over a pre-dialled connection and %d over a reused one, want 1 and 1:\n%s", pre, reused, trace2)
			}
			if strings.Contains(trace2, "[connection: new, TLS") {
				t.Errorf("second run dialled the realm itself:\n%s", trace2)
			}
			if strings.Contains(trace1+trace2, "s3cret-pw") || strings.Contains(trace1+trace2, "opaque-t0ken") {
				t.Error("a secret in the trace")
			}
		})
	}
}
