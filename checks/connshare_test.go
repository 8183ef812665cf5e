package checks

import (
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

// TestOneConnectionForTCPThenTLSThenPing: the tcp check's connection is
// the one the tls check handshakes over, and the one the ping then uses:
// the server sees a single connection, and the verdicts are those of
// separate dials.
func TestOneConnectionForTCPThenTLSThenPing(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://`+r.Host+`/token",service="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ca.crt"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	tg, err := target.Parse(strings.TrimPrefix(srv.URL, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(t.Context(), tg, Options{Timeout: testTimeout, TLSVerify: true, CertDir: dir, CertsDirs: []string{},
		Clients: []string{"podman"}, SysRoot: t.TempDir(), Env: func(string) string { return "" }})
	defer env.Close()

	if res := TCP().Run(t.Context(), env, nil); res.Status != Pass {
		t.Fatalf("tcp: %s", res.Summary)
	}
	res := TLS().Run(t.Context(), env, nil)
	if res.Status != Pass {
		t.Fatalf("tls: %s", res.Summary)
	}
	if ev := res.Evidence.(*TLSEvidence); len(ev.Chain) != 1 || ev.Version == "" {
		t.Errorf("tls evidence %+v", ev)
	}
	if p := PingHTTPS().Run(t.Context(), env, nil); p.Status != Pass {
		t.Fatalf("ping-https: %s", p.Summary)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("the server saw %d connections for tcp, tls and ping-https, want 1", n)
	}

	// A chain the local CA does not sign: the tls check reports it over
	// the tcp check's connection as over its own, and the ping, which
	// gets no connection handed over, fails as Go fails.
	env2 := NewEnv(t.Context(), tg, Options{Timeout: testTimeout, TLSVerify: true, CertsDirs: []string{},
		Clients: []string{"podman"}, SysRoot: t.TempDir(), Env: func(string) string { return "" }})
	defer env2.Close()
	if res := TCP().Run(t.Context(), env2, nil); res.Status != Pass {
		t.Fatalf("tcp: %s", res.Summary)
	}
	res = TLS().Run(t.Context(), env2, nil)
	if ev := res.Evidence.(*TLSEvidence); res.Status != Fail || !ev.Has(KindUnknownCA) {
		t.Errorf("tls without the CA: %s %s", res.Status, res.Summary)
	}
	p := PingHTTPS().Run(t.Context(), env2, nil)
	if ev := p.Evidence.(*PingEvidence); p.Status != Fail || ev.ErrorKind != KindUnknownCA {
		t.Errorf("ping-https without the CA: %s %s", p.Status, p.Summary)
	}
}
