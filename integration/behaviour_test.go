//go:build integration

package integration

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Accept headers: what a modern client sends, and what a client that only
// knows Docker schema 2 sends.
const (
	acceptAll = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
		"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"
	acceptDockerOnly = "application/vnd.docker.distribution.manifest.v2+json"
)

// TestRegistryBehaviour pins the raw HTTP behaviour of distribution 2.8 and
// of the token server that regdoctor's diagnosis rules rely on. When a
// distribution upgrade changes one of these, the rules need a look too.
func TestRegistryBehaviour(t *testing.T) {
	requireBinaries(t, "docker-registry", "htpasswd")
	pki := sharedPKI(t)
	client := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pki.pool}}}
	t.Cleanup(client.CloseIdleConnections)

	plain := startRegistry(t, registryOpts{})
	seeder{reg: plain}.standard(t)

	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	writeHtpasswd(t, htpasswd, devPassword)
	basic := startRegistry(t, registryOpts{tls: &pki.good, htpasswd: htpasswd})

	ts := startTokenServer(t)
	bearer := ts.front(startRegistry(t, registryOpts{token: ts.auth()}))
	seeder{reg: bearer, auth: &authn.Basic{Username: devUser, Password: devPassword}}.standard(t)

	token := func(account, password string) string {
		t.Helper()
		tok, status, err := fetchToken(client, ts.realm, "repository:"+appRepo+":pull", account, password)
		if err != nil || status != http.StatusOK {
			t.Fatalf("token for %s: status %d, %v", account, status, err)
		}
		return tok
	}
	devToken, noRightsToken := token(devUser, devPassword), token(noRightsUser, noRightsPass)

	manifest := func(repo, tag string) string { return "/v2/" + repo + "/manifests/" + tag }
	type exchange struct {
		name       string
		reg        *registry
		method     string
		path       string
		accept     string
		basicUser  string
		basicPass  string
		bearer     string
		wantStatus int
		wantBody   string // substring; "" means the body must be empty (HEAD)
		wantHeader string // substring of WWW-Authenticate
	}
	exchanges := []exchange{
		{name: "tag missing: MANIFEST_UNKNOWN with the tag as detail", reg: plain, method: "GET", path: manifest(appRepo, "v"+appTag),
			wantStatus: 404, wantBody: `{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v1.0.0"}}`},
		{name: "repository missing: manifest GET says MANIFEST_UNKNOWN too, not NAME_UNKNOWN", reg: plain, method: "GET", path: manifest("team/nosuch", appTag),
			wantStatus: 404, wantBody: `"code":"MANIFEST_UNKNOWN"`},
		{name: "repository missing: only tags/list says NAME_UNKNOWN", reg: plain, method: "GET", path: "/v2/team/nosuch/tags/list",
			wantStatus: 404, wantBody: `{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"team/nosuch"}}`},
		{name: "tags/list of an existing repository", reg: plain, method: "GET", path: "/v2/" + appRepo + "/tags/list",
			wantStatus: 200, wantBody: `{"name":"team/app","tags":["1.0.0"]}`},
		{name: "HEAD on a missing manifest: 404 without body", reg: plain, method: "HEAD", path: manifest(appRepo, "v"+appTag),
			wantStatus: 404},
		{name: "OCI manifest with a Docker-only Accept header is a 404", reg: plain, method: "GET", path: manifest(appRepo, appTag), accept: acceptDockerOnly,
			wantStatus: 404, wantBody: "OCI manifest found, but accept header does not support OCI manifests"},
		{name: "OCI manifest with OCI in Accept", reg: plain, method: "GET", path: manifest(appRepo, appTag),
			wantStatus: 200, wantBody: `"mediaType":"application/vnd.oci.image.manifest.v1+json"`},

		{name: "basic: no credentials", reg: basic, method: "GET", path: manifest(appRepo, appTag),
			wantStatus: 401, wantBody: `"code":"UNAUTHORIZED"`, wantHeader: `Basic realm="regdoctor-basic-realm"`},
		{name: "basic: wrong password is indistinguishable from none", reg: basic, method: "GET", path: manifest(appRepo, appTag), basicUser: devUser, basicPass: "wrong",
			wantStatus: 401, wantBody: `"code":"UNAUTHORIZED"`, wantHeader: `Basic realm="regdoctor-basic-realm"`},
		{name: "basic: right password", reg: basic, method: "GET", path: "/v2/", basicUser: devUser, basicPass: devPassword,
			wantStatus: 200, wantBody: "{}"},

		{name: "bearer: /v2/ challenge has no scope", reg: bearer, method: "GET", path: "/v2/",
			wantStatus: 401, wantHeader: `Bearer realm="` + ts.realm + `",service="` + tokenService + `"`, wantBody: `"code":"UNAUTHORIZED"`},
		{name: "bearer: manifest challenge names the scope", reg: bearer, method: "GET", path: manifest(appRepo, appTag),
			wantStatus: 401, wantHeader: `scope="repository:team/app:pull"`, wantBody: `"code":"UNAUTHORIZED"`},
		{name: "bearer: token without rights is insufficient_scope", reg: bearer, method: "GET", path: manifest(appRepo, appTag), bearer: noRightsToken,
			wantStatus: 401, wantHeader: `error="insufficient_scope"`, wantBody: `"code":"UNAUTHORIZED","message":"authentication required"`},
		{name: "bearer: a token without rights still opens /v2/", reg: bearer, method: "GET", path: "/v2/", bearer: noRightsToken,
			wantStatus: 200, wantBody: "{}"},
		{name: "bearer: developer token", reg: bearer, method: "GET", path: manifest(appRepo, appTag), bearer: devToken,
			wantStatus: 200, wantBody: `"schemaVersion":2`},
	}
	for _, ex := range exchanges {
		t.Run(ex.name, func(t *testing.T) {
			req, err := http.NewRequest(ex.method, ex.reg.url+ex.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			accept := ex.accept
			if accept == "" {
				accept = acceptAll
			}
			req.Header.Set("Accept", accept)
			if ex.basicUser != "" {
				req.SetBasicAuth(ex.basicUser, ex.basicPass)
			}
			if ex.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+ex.bearer)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := fmt.Sprintf("%s %s -> %d\nWWW-Authenticate: %s\n%s", ex.method, ex.path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
			if resp.StatusCode != ex.wantStatus {
				t.Errorf("status %d, want %d\n%s", resp.StatusCode, ex.wantStatus, got)
			}
			if (ex.wantBody == "") != (len(body) == 0) || !strings.Contains(string(body), ex.wantBody) {
				t.Errorf("body should contain %q\n%s", ex.wantBody, got)
			}
			if !strings.Contains(resp.Header.Get("WWW-Authenticate"), ex.wantHeader) {
				t.Errorf("WWW-Authenticate should contain %q\n%s", ex.wantHeader, got)
			}
		})
	}

	t.Run("token server policy", func(t *testing.T) {
		for _, c := range []struct {
			user, pass string
			want       int
		}{{"", "", 403}, {devUser, "wrong", 401}, {"stranger", devPassword, 401}, {noRightsUser, noRightsPass, 200}, {devUser, devPassword, 200}} {
			if _, status, _ := fetchToken(client, ts.realm, "repository:"+appRepo+":pull", c.user, c.pass); status != c.want {
				t.Errorf("token request as %q: status %d, want %d", c.user, status, c.want)
			}
		}
	})
}

// fetchToken performs the Docker token flow's GET against realm.
func fetchToken(c *http.Client, realm, scope, user, password string) (string, int, error) {
	q := url.Values{"service": {tokenService}, "scope": {scope}}
	req, err := http.NewRequest(http.MethodGet, realm+"?"+q.Encode(), nil)
	if err != nil {
		return "", 0, err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Token string `json:"token"`
	}
	if resp.StatusCode == http.StatusOK {
		err = json.NewDecoder(resp.Body).Decode(&body)
	}
	return body.Token, resp.StatusCode, err
}
