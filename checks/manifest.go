package checks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ManifestAccept is what podman, docker and containerd send when resolving.
var ManifestAccept = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

// ManifestEvidence records HEAD and GET on the manifest: docker and
// containerd resolve with HEAD, podman and skopeo with GET, and proxies
// that route by method make them disagree.
type ManifestEvidence struct {
	URL       string    `json:"url"`
	Head      *Exchange `json:"head"`
	Get       *Exchange `json:"get"`
	MediaType string    `json:"media_type,omitempty"`
	Digest    string    `json:"digest,omitempty"`
	Platforms []string  `json:"platforms,omitempty"`
	Platform  string    `json:"platform,omitempty"` // as requested with --platform
	Matched   bool      `json:"platform_matched,omitempty"`
	// Token is set when the repository challenged although /v2/ did not.
	Token *TokenEvidence `json:"token,omitempty"`
}

// resolve sends HEAD and GET concurrently and returns the GET body.
func (ev *ManifestEvidence) resolve(ctx context.Context, env *Env, auth string) []byte {
	hdr := http.Header{"Accept": {ManifestAccept}}
	var body []byte
	parallel(
		func() {
			ev.Head, _ = env.Do(ctx, request{Method: http.MethodHead, URL: ev.URL, Header: hdr, Auth: auth})
		},
		func() {
			ev.Get, body = env.Do(ctx, request{Method: http.MethodGet, URL: ev.URL, Header: hdr, Auth: auth, Limit: 4 << 20})
		},
	)
	return body
}

// Manifest resolves the reference with HEAD and GET concurrently.
func Manifest() Check {
	return Check{
		ID:    IDManifest,
		Title: "manifest",
		Needs: []string{IDAuthChallenge},
		Uses:  []string{IDAuthChallenge, IDToken},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			if env.Target.Repository == "" {
				return skipped("no repository given")
			}
			auth, why := Authorization(env, deps)
			if why != "" {
				return skipped(why)
			}
			t := env.Target
			c := deps.Get(IDAuthChallenge).Data.(*Challenge)
			ev := &ManifestEvidence{URL: c.Endpoint + "/v2/" + t.Repository + "/manifests/" + t.Reference, Platform: env.Opts.Platform}
			body := ev.resolve(ctx, env, auth)
			if ev.Get.Status == http.StatusUnauthorized && c.Scheme == "none" {
				// /v2/ was open but the repository is not (Quay, zot): do
				// the token dance on the repository's own challenge, as
				// clients do, and ask again.
				if ch := ParseChallenge(ev.Get.Header("WWW-Authenticate")); ch.Scheme == "bearer" {
					ch.Endpoint = c.Endpoint
					ev.Token = FetchTokens(ctx, env, &ch, "repository:"+t.Repository+":pull")
					if att := ev.Token.ClientAttempt(); att.Obtained {
						auth = "Bearer " + att.token
						body = ev.resolve(ctx, env, auth)
					}
				}
			}
			res := Result{Evidence: ev}
			if ev.Get.Status != http.StatusOK || ev.Get.Error != "" {
				res.Status, res.Summary = Fail, fmt.Sprintf("GET %s: %s", t.Reference, exchangeOutcome(ev.Get))
				return res
			}
			res.Data = &manifestData{auth: auth, body: body}
			ev.MediaType = ev.Get.Shown("Content-Type") // evidence: shown, as output needs it
			ev.Digest = ev.Get.Shown("Docker-Content-Digest")
			ev.Platforms = indexPlatforms(body)
			res.Status, res.Summary = Pass, fmt.Sprintf("%s resolves to %s (%s)", t.Reference, orUnknown(ev.Digest), shortMediaType(ev.MediaType))
			if ev.Head.Status != http.StatusOK {
				res.Status, res.Summary = Warn, fmt.Sprintf("GET works but HEAD gets %s", exchangeOutcome(ev.Head))
			}
			if p := env.Opts.Platform; p != "" && len(ev.Platforms) > 0 {
				ev.Matched = platformIn(p, ev.Platforms)
				if !ev.Matched {
					res.Status, res.Summary = Fail, fmt.Sprintf("index has no %s (it has %s)", p, strings.Join(ev.Platforms, ", "))
				}
			}
			return res
		},
	}
}

// Authorization returns the Authorization header the user's client would
// send to the registry, or why the request cannot be made.
func Authorization(env *Env, deps Deps) (auth, skip string) {
	c := deps.Get(IDAuthChallenge).Data.(*Challenge)
	switch c.Scheme {
	case "bearer":
		r := deps.Get(IDToken)
		tok, _ := r.Data.(string)
		if !r.Status.Ok() || tok == "" {
			return "", "no token (see token)"
		}
		return "Bearer " + tok, ""
	case "basic":
		cr := env.Config.Creds
		// Over plain HTTP, Env.Do withholds them and says so in the evidence.
		if cr == nil || cr.Username == "" {
			return "", ""
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(cr.Username+":"+cr.Password)), ""
	}
	return "", ""
}

// Outcome is the exchange's status with its registry errors, or its error,
// for messages.
func (x *Exchange) Outcome() string { return exchangeOutcome(x) }

func exchangeOutcome(x *Exchange) string {
	if x.Error != "" {
		return describeErr(x)
	}
	s := fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status))
	if x.RedirectedTo != "" {
		s += " from " + x.RedirectedTo
	}
	for _, e := range x.Errors {
		s += fmt.Sprintf(", %s: %s", e.Code, e.Message)
	}
	if x.Withheld != "" {
		s += " (credentials withheld: " + x.Withheld + ")"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown digest"
	}
	return s
}

func shortMediaType(mt string) string {
	mt = strings.TrimPrefix(mt, "application/vnd.")
	return strings.TrimSuffix(mt, "+json")
}

// descriptorPlatform is a platform as an index's descriptors give it.
type descriptorPlatform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant"`
}

// String is os/arch[/variant].
func (p *descriptorPlatform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// indexPlatforms lists the platforms of an image index or manifest list.
func indexPlatforms(body []byte) []string {
	var idx struct {
		Manifests []struct {
			Platform *descriptorPlatform `json:"platform"`
		} `json:"manifests"`
	}
	if json.Unmarshal(body, &idx) != nil {
		return nil
	}
	var out []string
	for _, m := range idx.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue // attestation manifests
		}
		out = append(out, m.Platform.String())
	}
	return out
}

// platformIn matches os/arch[/variant]; a request without a variant matches
// any variant, as clients do.
func platformIn(want string, have []string) bool {
	for _, h := range have {
		if h == want || strings.Count(want, "/") == 1 && strings.HasPrefix(h, want+"/") {
			return true
		}
		// arm64 images are published as arm64/v8 or plain arm64.
		if want+"/v8" == h || h+"/v8" == want {
			return true
		}
	}
	return false
}
