package checks

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/target"
)

// A plain-HTTP registry whose challenge names an https realm on another
// host: a client with TLS verification on stops at the HTTPS failure and
// never asks that realm, so the stored password must not go there either.
// The realm is trusted (its CA in --cert-dir), so only the decision keeps
// the credentials back.
func TestNoCredentialsToARealmFromAPlainHTTPChallenge(t *testing.T) {
	var gotAuth atomic.Value
	gotAuth.Store("")
	realm := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			gotAuth.Store(a)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"token":"t"}`))
	}))
	defer realm.Close()
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm.URL+`/token",service="svc"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer registry.Close()
	host := strings.TrimPrefix(registry.URL, "http://")

	dir := t.TempDir()
	certDir := filepath.Join(dir, "certs")
	writeFile(t, filepath.Join(certDir, "ca.crt"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: realm.Certificate().Raw})))
	auth := filepath.Join(dir, "auth.json")
	writeFile(t, auth, authJSON(t, map[string]string{host: "developer:s3cret"}))

	for _, tlsVerify := range []bool{true, false} {
		gotAuth.Store("")
		tg, err := target.Parse(host + "/team/app:1")
		if err != nil {
			t.Fatal(err)
		}
		o := Options{Timeout: 5 * time.Second, TLSVerify: tlsVerify, CertDir: certDir, AuthFile: auth, CertsDirs: []string{},
			Clients: []string{"podman"}, SysRoot: dir, Env: envFrom(nil)}
		env := NewEnv(context.Background(), tg, o)
		c := &Challenge{Scheme: "bearer", Realm: realm.URL + "/token", Service: "svc", Endpoint: registry.URL, PlainHTTP: true}
		ev := FetchTokens(context.Background(), env, c, "repository:team/app:pull")
		env.Close()
		switch sent := gotAuth.Load().(string) != ""; {
		case tlsVerify && sent:
			t.Errorf("TLS verification on: the realm got credentials from a challenge read over plain HTTP")
		case tlsVerify && (ev.Credentials == nil || !strings.Contains(ev.Credentials.NotSent, "plain HTTP")):
			t.Errorf("TLS verification on: the evidence should say why the credentials were withheld: %+v", ev.Credentials)
		case !tlsVerify && !sent:
			t.Errorf("--tls-verify=false: the user allowed plain HTTP, yet no credentials reached the realm (%+v)", ev.Credentials)
		}
	}
}
