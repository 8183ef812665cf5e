package checks

import (
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/target"
)

// TestAnonymousTokenDoesNotHoldThePull: with stored credentials and a
// realm on another origin, the manifest request goes out as soon as the
// credentialed token is in; the anonymous token request, which only the
// diagnosis reads, is made afterwards over the same realm connection. The
// realm here answers the anonymous request only once the registry has seen
// the manifest request: had the token check waited for both answers, the
// manifest request would come only after the realm gave up waiting.
func TestAnonymousTokenDoesNotHoldThePull(t *testing.T) {
	manifestSeen := make(chan struct{})
	var seenOnce atomic.Bool
	var anonBeforeManifest atomic.Bool
	var mu sync.Mutex
	pullConns := map[string]bool{} // the connections the pull scope's requests came over
	realm := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("scope") == "repository:team/app:pull" {
			mu.Lock()
			pullConns[r.RemoteAddr] = true
			mu.Unlock()
		}
		if r.Header.Get("Authorization") != "" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"token":"opaque-t0ken","expires_in":300}`)
			return
		}
		select {
		case <-manifestSeen:
		case <-time.After(5 * time.Second): // the order is wrong; do not hang the test
			anonBeforeManifest.Store(true)
		}
		http.Error(w, "Forbidden", http.StatusForbidden)
	}))
	realm.Config.ErrorLog = log.New(io.Discard, "", 0)
	realm.StartTLS()
	defer realm.Close()

	reg := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		if r.Header.Get("Authorization") != "Bearer opaque-t0ken" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm.URL+`/token",service="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if strings.Contains(r.URL.Path, "/manifests/") && seenOnce.CompareAndSwap(false, true) {
			close(manifestSeen)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`)
	}))
	reg.Config.ErrorLog = log.New(io.Discard, "", 0)
	reg.StartTLS()
	defer reg.Close()

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ca.crt"),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: realm.Certificate().Raw}))+
			string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: reg.Certificate().Raw})))
	tg, err := target.Parse(strings.TrimPrefix(reg.URL, "https://") + "/team/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { realms.Delete(tg.Host) })
	authFile := filepath.Join(dir, "auth.json")
	writeFile(t, authFile, `{"auths":{"`+tg.Registry+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pw"))+`"}}}`)
	env := NewEnv(t.Context(), tg, Options{Timeout: 20 * time.Second, TLSVerify: true, CertDir: dir, CertsDirs: []string{},
		AuthFile: authFile, Clients: []string{"podman"}, SysRoot: t.TempDir(), Env: func(string) string { return "" }})
	defer env.Close()

	var trace strings.Builder
	env.Trace = &trace
	byID := map[string]*Result{}
	for _, r := range Run(t.Context(), env, All(), nil) {
		byID[r.ID] = r
	}
	if anonBeforeManifest.Load() {
		t.Error("the manifest request waited for the anonymous token answer")
	}
	tk := byID[IDToken]
	ev, _ := tk.Evidence.(*TokenEvidence)
	if tk.Status != Pass || ev == nil || ev.Credentials == nil || !ev.Credentials.Obtained {
		t.Fatalf("token: %s %q", tk.Status, tk.Summary)
	}
	if ev.Anonymous == nil || ev.Anonymous.Exchange == nil || ev.Anonymous.Exchange.Status != http.StatusForbidden {
		t.Errorf("the anonymous attempt is missing from the evidence: %+v", ev.Anonymous)
	}
	if !strings.Contains(tk.Summary, "(anonymous: 403 Forbidden)") {
		t.Errorf("token summary %q does not give the anonymous attempt", tk.Summary)
	}
	if n := len(pullConns); n != 1 {
		t.Errorf("the pull's token requests came over %d connections, want one:\n%s", n, trace.String())
	}
	if m := byID[IDManifest]; m.Status == Skip {
		t.Errorf("manifest: %s %q", m.Status, m.Summary)
	}
}
