package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// BlobEvidence is the download of the image configuration, the first blob
// every client fetches. Registries often redirect blob downloads to object
// storage or a CDN on another host, which clients must reach too.
type BlobEvidence struct {
	Digest string `json:"digest"`
	// Platform is the platform's manifest of an index, and Manifest the
	// GET of it, when the reference names an index.
	Platform string    `json:"platform,omitempty"`
	Manifest *Exchange `json:"platform_manifest,omitempty"`
	// InvalidType: the platform manifest's Content-Type does not name
	// what it is, which fails the clients that go by the header.
	InvalidType string    `json:"platform_manifest_invalid_type,omitempty"`
	Get         *Exchange `json:"get,omitempty"`
	// Storage is the origin the download was redirected to, when it left
	// the registry's.
	Storage string `json:"storage,omitempty"`
	Bytes   int    `json:"bytes,omitempty"`
	// ConfigMediaType is the config's media type as the manifest gives it,
	// and ArtifactType the manifest's artifactType: what tells a container
	// image from an OCI artifact (a Helm chart, a signature, an SBOM).
	ConfigMediaType string `json:"config_media_type,omitempty"`
	ArtifactType    string `json:"artifact_type,omitempty"`
	// Mismatch: the content does not hash to its digest.
	Mismatch bool `json:"digest_mismatch,omitempty"`
	// ConfigPlatform is the platform a single-platform image's config
	// names, recorded when it is not WantPlatform, the one pulled for.
	ConfigPlatform string `json:"config_platform,omitempty"`
	WantPlatform   string `json:"want_platform,omitempty"`
}

// Blob downloads the image configuration the manifest names, following
// redirects as clients do (credentials stay with the registry's origin),
// and checks it against its digest.
func Blob() Check {
	return Check{
		ID:    IDBlob,
		Title: "blob download",
		Needs: []string{IDManifest},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			md, mev := followManifest(deps)
			if md == nil {
				return skipped("no manifest to follow")
			}
			ev := &BlobEvidence{}
			res := Result{Evidence: ev}
			im := md.pulled(ctx, env)
			ev.Platform, ev.Manifest = im.platform, im.get
			if im.problem != "" {
				res.Status, res.Summary = Fail, im.problem
				return res
			}
			ev.InvalidType = im.typeProblem
			if im.doc.Config == nil || im.doc.Config.Digest == "" {
				return Result{Status: Skip, Evidence: ev, Summary: "the manifest names no image configuration to download"}
			}
			digest := im.doc.Config.Digest
			ev.ConfigMediaType, ev.ArtifactType = im.doc.Config.MediaType, im.doc.ArtifactType
			ev.Digest = digest
			var data []byte
			ev.Get, data = env.Do(ctx, request{Method: http.MethodGet, URL: md.repoURL + "/blobs/" + digest, Auth: md.auth, Limit: 4 << 20})
			ev.Storage = storageOf(ev.Get, mev.URL)
			via := ""
			if ev.Storage != "" {
				via = " from " + ev.Storage
			}
			if ev.Get.Status != http.StatusOK || ev.Get.Error != "" {
				// The redirect's URL is in the evidence; a table row needs the outcome.
				res.Status, res.Summary = Fail, fmt.Sprintf("config blob %s%s: %s", short(digest), via, statusOrError(ev.Get))
				return res
			}
			ev.Bytes = len(data)
			ev.Mismatch = !matchesDigest(data, digest)
			if ev.Mismatch {
				res.Status, res.Summary = Fail, fmt.Sprintf("config blob %s%s: the %d bytes served do not hash to the digest", short(digest), via, ev.Bytes)
				return res
			}
			res.Status, res.Summary = Pass, fmt.Sprintf("config blob %s (%d bytes) downloads%s", short(digest), ev.Bytes, via)
			if ev.InvalidType != "" {
				res.Status, res.Summary = Warn, fmt.Sprintf("the %s manifest: %s", ev.Platform, ev.InvalidType)
			}
			if im.platform == "" {
				// A single-platform image: its config says what it runs on.
				if p := configPlatform(data); p != "" && !platformIn(env.Opts.WantPlatform(), []string{p}) {
					ev.ConfigPlatform, ev.WantPlatform = p, env.Opts.WantPlatform()
					res.Status, res.Summary = Warn, fmt.Sprintf("config blob %s downloads%s, but the image is for %s, not %s", short(digest), via, p, ev.WantPlatform)
				}
			}
			return res
		},
	}
}

// followManifest is what the manifest check handed on, for the checks
// that follow it; nil when it found no manifest to follow.
func followManifest(deps Deps) (*manifestData, *ManifestEvidence) {
	m := deps.Get(IDManifest)
	md, _ := m.Data.(*manifestData)
	mev, _ := m.Evidence.(*ManifestEvidence)
	if md == nil || mev == nil {
		return nil, nil
	}
	return md, mev
}

// configPlatform is os/arch[/variant] from an image configuration, or ""
// when it names none.
func configPlatform(config []byte) string {
	var p descriptorPlatform
	if json.Unmarshal(config, &p) != nil || p.OS == "" || p.Architecture == "" {
		return ""
	}
	return p.String()
}

// storageOf is the origin a download was redirected to when it left the
// registry's (base), or "".
func storageOf(x *Exchange, base string) string {
	if x == nil || x.RedirectedTo == "" {
		return ""
	}
	if u, err := url.Parse(x.RedirectedTo); err == nil && !sameOriginString(base, u) {
		return origin(u)
	}
	return ""
}

func sameOriginString(a string, b *url.URL) bool {
	u, err := url.Parse(a)
	return err == nil && sameOrigin(u, b)
}

// short abbreviates a digest for summaries.
func short(digest string) string {
	if algo, hex, ok := strings.Cut(digest, ":"); ok && len(hex) > 12 {
		return algo + ":" + hex[:12]
	}
	return digest
}
