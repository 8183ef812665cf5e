package diagnose

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// TestPingWithoutAPIHeader: a 200 or a 401 on /v2/ without
// Docker-Distribution-API-Version is a registry to every client, whatever
// its content type (here Go's sniffed text/plain, as a proxy that drops
// the registry's headers sends).
func TestPingWithoutAPIHeader(t *testing.T) {
	for name, v2 := range map[string]http.HandlerFunc{
		"401":            nil,
		"200 text/plain": func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}") },
		"200 no body":    func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Content-Type", "") },
	} {
		rep := runMini(t, &miniRegistry{v2: v2})
		if got := codes(rep)["not-a-registry"]; got != "" {
			t.Errorf("%s: not-a-registry (%s):%s", name, got, explainReport(rep))
		}
		wantHealthy(t, rep)
	}
}

// TestPingBodyIsNotRead: /v2/'s body is no client's business: a huge one,
// or one that never ends, pulls as well as an empty one, and the run does
// not wait for it.
func TestPingBodyIsNotRead(t *testing.T) {
	chunk := []byte(strings.Repeat(`{"a":1}`, 4<<10))
	for name, v2 := range map[string]http.HandlerFunc{
		"4 MiB": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="https://%s/token",service="mini",scope="repository:%s:pull"`, r.Host, miniRepo))
			w.WriteHeader(http.StatusUnauthorized)
			for range (4 << 20) / len(chunk) {
				w.Write(chunk)
			}
		},
		"endless": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="https://%s/token",service="mini",scope="repository:%s:pull"`, r.Host, miniRepo))
			w.WriteHeader(http.StatusUnauthorized)
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"stalled": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="https://%s/token",service="mini",scope="repository:%s:pull"`, r.Host, miniRepo))
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusUnauthorized)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := &miniRegistry{apiHeader: true, v2: v2}
			start := time.Now()
			rep := runMini(t, m)
			wantHealthy(t, rep)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v: the run waited for the body", took)
			}
		})
	}
}

// TestPingRedirectIsFollowed: clients follow a redirect on /v2/ and judge
// the answer at its end; requests after the ping still go to the host the
// reference names.
func TestPingRedirectIsFollowed(t *testing.T) {
	other := quietTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("credentials reached the redirect's target")
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+r.URL.Query().Get("realm")+`",service="mini",scope="repository:`+miniRepo+`:pull"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer other.Close()
	for name, target := range map[string]func(r *http.Request) string{
		"same host": func(*http.Request) string { return "/v2/?moved=1" },
		"other host": func(r *http.Request) string {
			return other.URL + "/v2/?realm=https://" + r.Host + "/token"
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := &miniRegistry{apiHeader: true}
			m.v2 = func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("moved") == "1" {
					w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="https://%s/token",service="mini",scope="repository:%s:pull"`, r.Host, miniRepo))
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, target(r), http.StatusFound)
			}
			rep := runMini(t, m)
			wantHealthy(t, rep)
			if mf, _ := rep.Result(checks.IDManifest).Evidence.(*checks.ManifestEvidence); mf == nil || !strings.HasPrefix(mf.URL, m.srv.URL+"/v2/") {
				t.Errorf("manifest evidence %+v, want it asked of %s", mf, m.srv.URL)
			}
		})
	}
}

// TestWebUIIsNotARegistry: clients accept a web UI's 200 on /v2/, so the
// diagnosis comes from the manifest's answer, and must stay not-a-registry
// whether the UI answers other paths with its page (200) or a 404 page, not
// turn into a missing repository.
func TestWebUIIsNotARegistry(t *testing.T) {
	ui := func(notFound bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Server", "Nexus/3.61.0-02 (OSS)")
			w.Header().Set("Content-Type", "text/html")
			if notFound && r.URL.Path != "/v2/" {
				w.WriteHeader(http.StatusNotFound)
			}
			io.WriteString(w, "<!DOCTYPE html><html><title>Sonatype Nexus Repository</title></html>")
		}
	}
	image := "/" + miniRepo + ":" + miniTag
	for _, tc := range []struct {
		name      string
		notFound  bool
		plainHTTP bool // the UI speaks plain HTTP: HTTPS fails, and it is no plain-HTTP registry either
		ref       string
		want      Severity
	}{
		{"200 everywhere", false, false, image, Error},
		{"404 pages elsewhere", true, false, image, Error},
		{"no image to pull", false, false, "", Info},
		{"plain HTTP", true, true, image, Error},
		{"plain HTTP, no image to pull", false, true, "", Error},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			if tc.plainHTTP {
				srv = httptest.NewServer(ui(tc.notFound))
			} else {
				srv = quietTLSServer(ui(tc.notFound))
			}
			defer srv.Close()
			tg, err := target.Parse(strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://") + tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			o := checks.Options{Timeout: 5 * time.Second, TLSVerify: tc.plainHTTP, CertsDirs: []string{}, Clients: []string{"podman"},
				SysRoot: t.TempDir(), Env: func(string) string { return "" }}
			rep := Check(context.Background(), tg, o, Hooks{})
			got := codes(rep)
			if got["not-a-registry"] != tc.want {
				t.Errorf("not-a-registry %q, want %q:%s", got["not-a-registry"], tc.want, explainReport(rep))
			}
			for code, sev := range got {
				if code != "not-a-registry" && sev != Info {
					t.Errorf("also %s (%s):%s", code, sev, explainReport(rep))
				}
			}
		})
	}
}
