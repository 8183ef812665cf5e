package diagnose

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// Registries that bend conventions the clients do not insist on. Each test
// serves a pullable image from miniRegistry, bent one way, and runs the
// whole pipeline: every client pulls these images, so regdoctor must call
// them healthy (or name only the clients that really fail).

const miniRepo, miniTag = "team/app", "1.0"

// miniRegistry serves one image (a config blob and a schema 2 manifest)
// behind a Bearer token realm. Its fields bend it; zero values are a plain
// distribution-like registry.
type miniRegistry struct {
	// challenge formats the WWW-Authenticate value from the realm URL;
	// nil means `Bearer realm="%s",service="mini",scope=...`.
	challenge func(realm string) string
	// token is what the realm issues and the registry wants; "" means a
	// JWT granting pull, as distribution's token servers issue.
	token string
	// tokenBody replaces the realm's JSON answer.
	tokenBody func(token string) string
	// v2 answers GET /v2/ instead of the usual 401, when set.
	v2 http.HandlerFunc
	// head answers HEAD on the manifest instead of the registry.
	head http.HandlerFunc
	// every adds headers to every answer.
	every http.Header
	// apiHeader sends Docker-Distribution-API-Version on /v2 answers.
	apiHeader bool

	srv *httptest.Server
	mu  sync.Mutex
	got []*http.Request // token requests, as received
}

var miniConfig = []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`)

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
func miniManifest() []byte {
	m, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.docker.distribution.manifest.v2+json",
		"config":        map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(miniConfig), "digest": digestOf(miniConfig)},
		"layers":        []any{},
	})
	return m
}

// miniJWT is an unsigned-looking JWT granting pull on miniRepo; regdoctor
// decodes the claims and never checks the signature.
func miniJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"iss": "mini", "aud": "mini", "exp": time.Now().Add(time.Hour).Unix(),
		"access": []any{map[string]any{"type": "repository", "name": miniRepo, "actions": []string{"pull"}}}})
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(claims) + "." + enc([]byte("signature"))
}
func (m *miniRegistry) start(t *testing.T) string {
	t.Helper()
	if m.token == "" {
		m.token = miniJWT()
	}
	manifest := miniManifest()
	m.srv = quietTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range m.every {
			w.Header()[k] = v
		}
		if m.apiHeader && strings.HasPrefix(r.URL.Path, "/v2") {
			w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		}
		realm := m.srv.URL + "/token"
		challenge := fmt.Sprintf(`Bearer realm=%q,service="mini",scope="repository:%s:pull"`, realm, miniRepo)
		if m.challenge != nil {
			challenge = m.challenge(realm)
		}
		authorized := r.Header.Get("Authorization") == "Bearer "+m.token
		switch {
		case r.URL.Path == "/token":
			m.mu.Lock()
			m.got = append(m.got, r.Clone(context.Background()))
			m.mu.Unlock()
			q := r.URL.Query()
			if q.Get("service") != "mini" || q.Get("scope") != "repository:"+miniRepo+":pull" {
				http.Error(w, "wrong service or scope: "+r.URL.RawQuery, http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			if m.tokenBody != nil {
				io.WriteString(w, m.tokenBody(m.token))
				return
			}
			fmt.Fprintf(w, `{"token":%q,"expires_in":300}`, m.token)
		case r.URL.Path == "/v2/" && m.v2 != nil:
			m.v2(w, r)
		case !authorized:
			w.Header().Set("WWW-Authenticate", challenge)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
		case r.URL.Path == "/v2/":
			io.WriteString(w, "{}")
		case r.URL.Path == "/v2/"+miniRepo+"/manifests/"+miniTag:
			if r.Method == http.MethodHead && m.head != nil {
				m.head(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			w.Header().Set("Docker-Content-Digest", digestOf(manifest))
			w.Header().Set("Content-Length", fmt.Sprint(len(manifest)))
			if r.Method == http.MethodGet {
				w.Write(manifest)
			}
		case r.URL.Path == "/v2/"+miniRepo+"/blobs/"+digestOf(miniConfig):
			w.Write(miniConfig)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(m.srv.Close)
	return strings.TrimPrefix(m.srv.URL, "https://")
}

// quietTLSServer is httptest's TLS server without the log line for each
// plain-HTTP probe (ping-http) it refuses.
func quietTLSServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}
func (m *miniRegistry) tokenRequests() []*http.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.got)
}

// runMini runs the pipeline against m, judged for clients. The registry
// speaks HTTPS with httptest's certificate, which the run does not verify
// (--tls-verify=false), as the other tests with servers of their own do.
func runMini(t *testing.T, m *miniRegistry, clients ...string) *Report {
	t.Helper()
	host := m.start(t)
	if len(clients) == 0 {
		clients = []string{"podman"}
	}
	tg, err := target.Parse(host + "/" + miniRepo + ":" + miniTag)
	if err != nil {
		t.Fatal(err)
	}
	o := checks.Options{Timeout: 5 * time.Second, TLSVerify: false, CertsDirs: []string{}, Clients: clients,
		SysRoot: t.TempDir(), Env: func(string) string { return "" }}
	return Check(context.Background(), tg, o, Hooks{})
}

// explainReport lists the results and diagnoses, for failure messages.
func explainReport(rep *Report) string {
	var b strings.Builder
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "\n  %-14s %-4s %s", r.ID, r.Status, r.Summary)
	}
	for _, d := range rep.Diagnoses {
		fmt.Fprintf(&b, "\n  %s %s: %s", d.Severity, d.Code, d.Detail)
	}
	return b.String()
}
func wantHealthy(t *testing.T, rep *Report) {
	t.Helper()
	if !rep.Healthy() {
		t.Errorf("not healthy, but every client pulls this:%s", explainReport(rep))
	}
	for _, c := range rep.Clients {
		if c.Verdict != "ok" {
			t.Errorf("%s: %s (%s)", c.Name, c.Verdict, c.Reason)
		}
	}
}
func TestMiniRegistryIsHealthy(t *testing.T) {
	m := &miniRegistry{apiHeader: true}
	rep := runMini(t, m)
	wantHealthy(t, rep)
	if r := rep.Result(checks.IDBlob); r.Status != checks.Pass {
		t.Errorf("blob: %s %s; the image must be whole for the other tests to mean anything", r.Status, r.Summary)
	}
}

// TestLargeTokenBody: containers/image reads up to 1 MiB of token
// response (iolimits.MaxAuthTokenBodySize), so a 600 KiB answer pulls.
func TestLargeTokenBody(t *testing.T) {
	m := &miniRegistry{apiHeader: true, tokenBody: func(tok string) string {
		return fmt.Sprintf(`{"token":%q,"expires_in":300,"padding":"%s"}`, tok, strings.Repeat("x", 600<<10))
	}}
	wantHealthy(t, runMini(t, m))
}

// TestLargeResponseHeaders: clients take up to Go's 10 MiB of headers.
func TestLargeResponseHeaders(t *testing.T) {
	pad := http.Header{}
	for i := range 100 {
		pad.Set(fmt.Sprintf("X-Padding-%d", i), strings.Repeat("p", 1000))
	}
	wantHealthy(t, runMini(t, &miniRegistry{apiHeader: true, every: pad}))
}
