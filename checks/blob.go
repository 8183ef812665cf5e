package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
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
	Get      *Exchange `json:"get,omitempty"`
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
}

// manifestData is what the manifest check hands to the blob check.
type manifestData struct {
	auth string
	body []byte
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
			m := deps.Get(IDManifest)
			md, _ := m.Data.(*manifestData)
			mev, _ := m.Evidence.(*ManifestEvidence)
			if md == nil || mev == nil {
				return skipped("no manifest to follow")
			}
			repoURL := strings.TrimSuffix(mev.URL, "/manifests/"+env.Target.Reference)
			ev := &BlobEvidence{}
			res := Result{Evidence: ev}
			mf := readManifest(md.body, env.Opts.Platform)
			if mf.child != "" {
				ev.Platform = mf.platform
				var body []byte
				ev.Manifest, body = env.Do(ctx, request{Method: http.MethodGet, URL: repoURL + "/manifests/" + mf.child,
					Header: http.Header{"Accept": {ManifestAccept}}, Auth: md.auth, Limit: 4 << 20})
				if ev.Manifest.Status != http.StatusOK || ev.Manifest.Error != "" {
					res.Status, res.Summary = Fail, fmt.Sprintf("the %s manifest %s: %s", mf.platform, short(mf.child), exchangeOutcome(ev.Manifest))
					return res
				}
				mf = readManifest(body, "")
			}
			digest := mf.config
			ev.ConfigMediaType, ev.ArtifactType = mf.configType, mf.artifactType
			if digest == "" {
				return Result{Status: Skip, Evidence: ev, Summary: "the manifest names no image configuration to download"}
			}
			ev.Digest = digest
			var data []byte
			ev.Get, data = env.Do(ctx, request{Method: http.MethodGet, URL: repoURL + "/blobs/" + digest, Auth: md.auth, Limit: 4 << 20})
			if to := ev.Get.RedirectedTo; to != "" {
				if u, err := url.Parse(to); err == nil && !sameOriginString(mev.URL, u) {
					ev.Storage = origin(u)
				}
			}
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
			if algo, hexDigest, _ := strings.Cut(digest, ":"); algo == "sha256" {
				sum := sha256.Sum256(data)
				ev.Mismatch = hex.EncodeToString(sum[:]) != hexDigest
			}
			if ev.Mismatch {
				res.Status, res.Summary = Fail, fmt.Sprintf("config blob %s%s: the %d bytes served do not hash to the digest", short(digest), via, ev.Bytes)
				return res
			}
			res.Status, res.Summary = Pass, fmt.Sprintf("config blob %s (%d bytes) downloads%s", short(digest), ev.Bytes, via)
			return res
		},
	}
}

// manifestInfo is what the blob check needs from a manifest.
type manifestInfo struct {
	config, configType, artifactType string
	// child and platform: the platform's manifest, when it is an index.
	child, platform string
}

// readManifest reads a manifest: an image manifest names its config; an
// index names the manifest for platform (the host's when ""), or else the
// first one for any platform.
func readManifest(body []byte, platform string) manifestInfo {
	var m struct {
		ArtifactType string `json:"artifactType"`
		Config       *struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"config"`
		Manifests []struct {
			Digest   string              `json:"digest"`
			Platform *descriptorPlatform `json:"platform"`
		} `json:"manifests"`
	}
	if json.Unmarshal(body, &m) != nil {
		return manifestInfo{}
	}
	if m.Config != nil {
		return manifestInfo{config: m.Config.Digest, configType: m.Config.MediaType, artifactType: m.ArtifactType}
	}
	if platform == "" {
		platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	var first manifestInfo
	for _, d := range m.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue // attestations
		}
		p := d.Platform.String()
		if platformIn(platform, []string{p}) {
			return manifestInfo{child: d.Digest, platform: p}
		}
		if first.child == "" {
			first = manifestInfo{child: d.Digest, platform: p}
		}
	}
	return first
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
