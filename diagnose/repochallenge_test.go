package diagnose

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// Some registries (Quay, zot) answer /v2/ anonymously and challenge only on
// repository paths. Clients then fetch a token on that challenge; so must
// regdoctor, or it would call a private repository missing.
func TestRepositoryChallengeAfterOpenPing(t *testing.T) {
	const token = "opaque-test-token"
	var anonymousAllowed atomic.Bool
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			if r.Header.Get("Authorization") == "" && !anonymousAllowed.Load() {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"token":"`+token+`"}`)
		case r.URL.Path == "/v2/":
			reg.ServeHTTP(w, r)
		case r.Header.Get("Authorization") != "Bearer "+token:
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="test",scope="repository:team/app:pull"`)
			w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
		default:
			reg.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	run := func() *Report {
		tg, err := target.Parse(host + "/team/app:1.0")
		if err != nil {
			t.Fatal(err)
		}
		o := checks.Options{Timeout: 5 * time.Second, TLSVerify: false, CertsDirs: []string{}, Clients: []string{"podman"},
			SysRoot: t.TempDir(), Env: func(string) string { return "" }}
		return Check(context.Background(), tg, o, Hooks{})
	}

	// Anonymous tokens refused: the repository is private, not missing.
	if got := codes(run()); got["not-logged-in"] != Error || got["repository-not-found"] != "" {
		t.Errorf("private repository behind an open /v2/: want not-logged-in, got %v", got)
	}
	// Anonymous tokens granted: the token lets the manifest and tags through,
	// so the missing repository is diagnosed as such.
	anonymousAllowed.Store(true)
	if got := codes(run()); got["repository-not-found"] != Error {
		t.Errorf("with a token, want repository-not-found, got %v", got)
	}
}
