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
	// Platform is the platform pulled from an index: --platform, or the
	// host's, which is what clients pull when not told otherwise.
	Platform string `json:"platform,omitempty"`
	Matched  bool   `json:"platform_matched,omitempty"`
	// BodyDigest is the digest of the body served, recorded when
	// Docker-Content-Digest does not say it; DigestMismatch says the
	// header names another, which fails the clients that take the
	// header's digest as the content's (containerd).
	BodyDigest     string `json:"body_digest,omitempty"`
	DigestMismatch bool   `json:"digest_header_mismatch,omitempty"`
	// Invalid says why a 200 answer is no manifest a client accepts;
	// InvalidType why its Content-Type does not name what it is, which
	// fails the clients that go by the header.
	Invalid     string `json:"invalid,omitempty"`
	InvalidType string `json:"invalid_type,omitempty"`
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
			ev.Get, body = env.Do(ctx, request{Method: http.MethodGet, URL: ev.URL, Header: hdr, Auth: auth, Limit: manifestLimit})
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
			ev := &ManifestEvidence{URL: c.Endpoint + "/v2/" + t.Repository + "/manifests/" + t.Reference}
			body := ev.resolve(ctx, env, auth)
			if ev.Get.Status == http.StatusUnauthorized && c.Scheme == SchemeNone {
				// /v2/ was open but the repository is not (Quay, zot): do
				// the token dance on the repository's own challenge, as
				// clients do, and ask again.
				if ch := ev.Get.Challenge(); ch.Scheme == SchemeBearer {
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
			ev.MediaType = ev.Get.Shown("Content-Type") // evidence: shown, as output needs it
			ev.Digest = ev.Get.Shown("Docker-Content-Digest")
			bodyDigest := digestOf(body)
			doc, problem, typeProblem := parseManifest(ev.Get.Header("Content-Type"), body)
			if t.IsDigest && !matchesDigest(body, t.Reference) {
				// Pulled by digest, the content must hash to it: every
				// client verifies that before it uses the manifest.
				problem = "the body served hashes to " + bodyDigest + ", not to the digest pulled"
			}
			if problem != "" {
				ev.Invalid = problem
				res.Status, res.Summary = Fail, fmt.Sprintf("GET %s: 200, but %s", t.Reference, problem)
				return res
			}
			res.Data = &manifestData{auth: auth, body: body, doc: doc, repoURL: strings.TrimSuffix(ev.URL, "/manifests/"+t.Reference)}
			headerDigest := ev.Get.Header("Docker-Content-Digest")
			ev.DigestMismatch = strings.HasPrefix(headerDigest, "sha256:") && headerDigest != bodyDigest
			if ev.Digest == "" || ev.DigestMismatch {
				ev.BodyDigest = bodyDigest // the header's digest says it otherwise
			}
			res.Status, res.Summary = Pass, fmt.Sprintf("%s resolves to %s (%s)", t.Reference, orUnknown(ev.Digest), shortMediaType(ev.MediaType))
			ev.InvalidType = typeProblem
			switch {
			case typeProblem != "":
				res.Status, res.Summary = Warn, fmt.Sprintf("GET %s: 200, but %s", t.Reference, typeProblem)
			case ev.Head.Status != http.StatusOK:
				res.Status, res.Summary = Warn, fmt.Sprintf("GET works but HEAD gets %s", exchangeOutcome(ev.Head))
			case ev.DigestMismatch:
				res.Status, res.Summary = Warn, fmt.Sprintf("Docker-Content-Digest %s is not the body's digest %s", short(ev.Digest), short(ev.BodyDigest))
			}
			if doc.isIndex() {
				ev.Platforms = indexPlatforms(body)
				ev.Platform = env.Opts.WantPlatform()
				ev.Matched = platformIn(ev.Platform, ev.Platforms)
				switch {
				case len(ev.Platforms) == 0:
					res.Status, res.Summary = Fail, fmt.Sprintf("index has no %s (it lists no platform at all)", ev.Platform)
				case !ev.Matched:
					res.Status, res.Summary = Fail, fmt.Sprintf("index has no %s (it has %s)", ev.Platform, strings.Join(ev.Platforms, ", "))
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
	case SchemeBearer:
		r := deps.Get(IDToken)
		tok, _ := r.Data.(string)
		if !r.Status.Ok() || tok == "" {
			return "", "no token (see token)"
		}
		return "Bearer " + tok, ""
	case SchemeBasic:
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
