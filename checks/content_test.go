package checks

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures"
)

// TestContentChecks drives manifest, tags and push against the fixtures.
func TestContentChecks(t *testing.T) {
	manifest := func(head, get int, check func(t *testing.T, ev *ManifestEvidence)) func(*testing.T, *fixtures.Registry, *Result) {
		return func(t *testing.T, reg *fixtures.Registry, res *Result) {
			ev := evidence[*ManifestEvidence](t, res)
			wantHTTP(t, "HEAD manifest", ev.Head, head)
			wantHTTP(t, "GET manifest", ev.Get, get)
			if !strings.Contains(ev.URL, reg.Host+"/v2/") {
				t.Errorf("manifest URL %q is not on %s", ev.URL, reg.Host)
			}
			if check != nil {
				check(t, ev)
			}
		}
	}
	resolved := func(t *testing.T, ev *ManifestEvidence) {
		if !strings.HasPrefix(ev.Digest, "sha256:") || ev.MediaType != "application/vnd.docker.distribution.manifest.v2+json" {
			t.Errorf("digest %q media type %q, want a Docker schema 2 manifest", ev.Digest, ev.MediaType)
		}
	}
	platforms := func(want string, matched bool) func(t *testing.T, ev *ManifestEvidence) {
		return func(t *testing.T, ev *ManifestEvidence) {
			if !slices.Equal(ev.Platforms, []string{"linux/amd64", "linux/arm64/v8"}) || ev.Platform != want || ev.Matched != matched {
				t.Errorf("platforms %v, asked %q matched %v; want amd64 and arm64/v8, %q matched %v", ev.Platforms, ev.Platform, ev.Matched, want, matched)
			}
		}
	}
	tags := func(check func(t *testing.T, ev *TagsEvidence)) func(*testing.T, *fixtures.Registry, *Result) {
		return func(t *testing.T, _ *fixtures.Registry, res *Result) { check(t, evidence[*TagsEvidence](t, res)) }
	}
	push := func(check func(t *testing.T, ev *PushEvidence)) func(*testing.T, *fixtures.Registry, *Result) {
		return func(t *testing.T, _ *fixtures.Registry, res *Result) { check(t, evidence[*PushEvidence](t, res)) }
	}
	runFixtureCases(t, []fixtureCase{
		{scenario: "healthy", id: IDManifest, want: Pass, check: manifest(http.StatusOK, http.StatusOK, resolved)},
		{scenario: "basic-auth", id: IDManifest, want: Pass, check: manifest(http.StatusOK, http.StatusOK, func(t *testing.T, ev *ManifestEvidence) {
			if ev.Get.Auth != "basic" || ev.Head.Auth != "basic" {
				t.Errorf("auth %q/%q, want basic on both", ev.Head.Auth, ev.Get.Auth)
			}
		})},
		{scenario: "plain-http", id: IDManifest, want: Pass, check: manifest(http.StatusOK, http.StatusOK, func(t *testing.T, ev *ManifestEvidence) {
			if !strings.HasPrefix(ev.URL, "http://") {
				t.Errorf("manifest URL %q, want the plain HTTP endpoint", ev.URL)
			}
		})},
		{scenario: "head-get-mismatch", id: IDManifest, want: Warn, check: manifest(http.StatusNotFound, http.StatusOK, resolved)},
		{scenario: "tag-mismatch", id: IDManifest, want: Fail, check: manifest(http.StatusNotFound, http.StatusNotFound, func(t *testing.T, ev *ManifestEvidence) {
			if !ev.Get.HasCode("MANIFEST_UNKNOWN") {
				t.Errorf("GET errors %+v, want MANIFEST_UNKNOWN", ev.Get.Errors)
			}
		})},
		{scenario: "rate-limited", id: IDManifest, want: Fail, check: manifest(http.StatusTooManyRequests, http.StatusTooManyRequests, func(t *testing.T, ev *ManifestEvidence) {
			if !ev.Get.HasCode("TOOMANYREQUESTS") || ev.Get.Header("RateLimit-Remaining") != "0;w=21600" {
				t.Errorf("GET %+v, want TOOMANYREQUESTS with RateLimit-Remaining", ev.Get)
			}
		})},
		{scenario: "access-denied", id: IDManifest, want: Fail, check: manifest(http.StatusUnauthorized, http.StatusUnauthorized, nil)},
		{scenario: "platform-not-available", id: IDManifest, want: Fail, tweak: []func(*Options){withPlatform("linux/s390x")},
			check: manifest(http.StatusOK, http.StatusOK, platforms("linux/s390x", false))},
		{scenario: "platform-not-available", id: IDManifest, want: Pass, tweak: []func(*Options){withPlatform("linux/arm64")},
			check: manifest(http.StatusOK, http.StatusOK, platforms("linux/arm64", true))},
		{scenario: "not-logged-in", id: IDManifest, want: Skip},

		{scenario: "healthy", id: IDTags, want: Skip},
		{scenario: "tag-mismatch", id: IDTags, want: Pass, check: tags(func(t *testing.T, ev *TagsEvidence) {
			if !slices.Equal(ev.Tags, []string{"1.0.0", "1.0.1", "latest"}) || ev.Count != 3 || ev.RepoMissing || len(ev.Pages) != 1 {
				t.Errorf("tags evidence %+v, want the three tags of one page", ev)
			}
		})},
		{scenario: "repository-not-found", id: IDTags, want: Fail, check: tags(func(t *testing.T, ev *TagsEvidence) {
			if !ev.RepoMissing || ev.Count != 0 {
				t.Errorf("tags evidence %+v, want the repository reported missing", ev)
			}
			wantHTTP(t, "catalog", ev.Catalog, http.StatusOK)
			if !slices.Contains(ev.Repositories, "library/redis") {
				t.Errorf("catalog %v, want library/redis for suggestions", ev.Repositories)
			}
		})},

		{scenario: "healthy", id: IDPush, want: Skip},
		{scenario: "upload-too-large", id: IDPush, want: Fail, tweak: []func(*Options){withPush}, check: push(func(t *testing.T, ev *PushEvidence) {
			wantHTTP(t, "upload start", ev.Start, http.StatusAccepted)
			wantHTTP(t, "upload chunk", ev.Patch, http.StatusRequestEntityTooLarge)
			if ev.Cancel == nil || ev.Bytes != pushProbeSize || ev.Patch.Header("Server") != "nginx/1.22.1" {
				t.Errorf("push evidence %+v, want the nginx 413 and a cancel", ev)
			}
		})},
		{scenario: "upload-refused", id: IDPush, want: Fail, tweak: []func(*Options){withPush}, check: push(func(t *testing.T, ev *PushEvidence) {
			wantHTTP(t, "upload start", ev.Start, http.StatusBadRequest)
			if !ev.Start.HasCode("UNSUPPORTED") || ev.Patch != nil {
				t.Errorf("push evidence %+v, want UNSUPPORTED at the start and no chunk sent", ev)
			}
		})},
		// The healthy fixture grants pull only, so the push token opens nothing.
		{scenario: "healthy", id: IDPush, want: Fail, tweak: []func(*Options){withPush}, check: push(func(t *testing.T, ev *PushEvidence) {
			wantHTTP(t, "upload start", ev.Start, http.StatusUnauthorized)
		})},
		{scenario: "logged-in", id: IDPush, want: Pass, tweak: []func(*Options){withPush}, check: push(func(t *testing.T, ev *PushEvidence) {
			wantHTTP(t, "upload start", ev.Start, http.StatusAccepted)
			wantHTTP(t, "upload chunk", ev.Patch, http.StatusAccepted)
			if ev.Token == nil || ev.Token.Credentials == nil || !ev.Token.Credentials.Claims.Grants("library/redis", "push") {
				t.Errorf("push token %+v, want a credentialed token with push", ev.Token)
			}
		})},
	})
}

// TestPushCancelsUpload: whatever the chunk's fate, the upload it started
// is cancelled, so the probe leaves nothing behind.
func TestPushCancelsUpload(t *testing.T) {
	for _, name := range []string{"upload-too-large", "logged-in"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reg, _ := scenarioResults(t, name, withPush)
			var methods []string
			for _, r := range reg.Requests() {
				if strings.Contains(r.Path, "/blobs/uploads/") {
					methods = append(methods, r.Method)
				}
			}
			if !slices.Equal(methods, []string{http.MethodPost, http.MethodPatch, http.MethodDelete}) {
				t.Errorf("upload requests %v, want POST, PATCH, DELETE", methods)
			}
		})
	}
}

func TestPlatformIn(t *testing.T) {
	have := []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"}
	for _, tc := range []struct {
		want string
		ok   bool
	}{
		{"linux/amd64", true},
		{"linux/arm64", true},    // no variant asked: any variant
		{"linux/arm64/v8", true}, // exact
		{"linux/arm/v7", true},
		{"linux/arm/v6", false},
		{"linux/arm", true},
		{"linux/s390x", false},
		{"windows/amd64", false},
		{"linux/amd", false}, // a prefix of an arch is not the arch
	} {
		if got := platformIn(tc.want, have); got != tc.ok {
			t.Errorf("platformIn(%q) = %v, want %v", tc.want, got, tc.ok)
		}
	}
	if !platformIn("linux/arm64/v8", []string{"linux/arm64"}) {
		t.Error("linux/arm64/v8 does not match an index entry without variant")
	}
}

func TestNextLink(t *testing.T) {
	const cur = "https://reg:5000/v2/app/tags/list?n=1000"
	for _, tc := range []struct{ link, want string }{
		{``, ``},
		{`</v2/app/tags/list?n=1000&last=b>; rel="next"`, "https://reg:5000/v2/app/tags/list?n=1000&last=b"},
		{`<https://reg:5000/v2/app/tags/list?last=c>; rel=next`, "https://reg:5000/v2/app/tags/list?last=c"},
		{`</v2/app/tags/list?last=b>; rel="prev"`, ``},
		// Never follow pagination to another host with the token.
		{`<https://evil.example.com/v2/app/tags/list?last=b>; rel="next"`, ``},
	} {
		if got := nextLink(cur, tc.link); got != tc.want {
			t.Errorf("nextLink(%q) = %q, want %q", tc.link, got, tc.want)
		}
	}
}

func TestIndexPlatforms(t *testing.T) {
	idx := `{"manifests":[
		{"platform":{"os":"linux","architecture":"amd64"}},
		{"platform":{"os":"linux","architecture":"arm","variant":"v7"}},
		{"platform":{"os":"unknown","architecture":"unknown"}},
		{"digest":"sha256:no-platform"}]}`
	if got := indexPlatforms([]byte(idx)); !slices.Equal(got, []string{"linux/amd64", "linux/arm/v7"}) {
		t.Errorf("indexPlatforms = %v", got)
	}
	for _, body := range []string{`{"layers":[]}`, `not json`, ``} {
		if got := indexPlatforms([]byte(body)); got != nil {
			t.Errorf("indexPlatforms(%q) = %v, want nil", body, got)
		}
	}
}
