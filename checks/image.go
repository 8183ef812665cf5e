package checks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"sync"

	"github.com/regdoctor/regdoctor/internal/safetext"
)

// manifestDoc is what clients read from a manifest body: an image
// manifest names its config and layers, an index its platforms'
// manifests, and schema 1 its layers as fsLayers.
type manifestDoc struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	ArtifactType  string       `json:"artifactType"`
	Config        *descriptor  `json:"config"`
	Layers        []descriptor `json:"layers"`
	Manifests     []descriptor `json:"manifests"`
	FSLayers      []struct {
		BlobSum string `json:"blobSum"`
	} `json:"fsLayers"`
}

// descriptor points at a blob or a manifest.
type descriptor struct {
	MediaType string              `json:"mediaType"`
	Digest    string              `json:"digest"`
	Size      int64               `json:"size"`
	URLs      []string            `json:"urls,omitempty"`
	Platform  *descriptorPlatform `json:"platform,omitempty"`
}

// isIndex: the document lists manifests rather than naming a config, or
// says it is an index (one that lists none has no platform at all).
func (d *manifestDoc) isIndex() bool {
	return d.Config == nil && (len(d.Manifests) > 0 || isIndexType(strings.ToLower(d.MediaType)))
}

// layers are the blobs a pull downloads after the config, in order.
func (d *manifestDoc) layers() []descriptor {
	if len(d.Layers) > 0 || d.SchemaVersion != 1 {
		return d.Layers
	}
	// Schema 1 lists layers top first, and repeats empty ones.
	seen := map[string]bool{}
	var out []descriptor
	for i := len(d.FSLayers) - 1; i >= 0; i-- {
		if s := d.FSLayers[i].BlobSum; !seen[s] {
			seen[s] = true
			out = append(out, descriptor{Digest: s})
		}
	}
	return out
}

// choose returns the descriptor of the manifest for platform in an index.
func (d *manifestDoc) choose(platform string) (descriptor, bool) {
	for _, m := range d.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue // attestations
		}
		if platformIn(platform, []string{m.Platform.String()}) {
			return m, true
		}
	}
	return descriptor{}, false
}

// HostPlatform is the platform clients pull for when none is asked for:
// linux on this machine's architecture. podman and docker on macOS or
// Windows run linux containers in a VM, so the OS is linux there too.
func HostPlatform() string {
	p := "linux/" + runtime.GOARCH
	if runtime.GOARCH == "arm" {
		p += "/v7"
	}
	return p
}

// WantPlatform is the platform the pull is for: --platform, or the host's.
func (o Options) WantPlatform() string {
	if o.Platform != "" {
		return o.Platform
	}
	return HostPlatform()
}

// digestOf is the sha256 digest of b in the registry's notation.
func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// matchesDigest reports whether b hashes to digest. Digests of other
// algorithms are not checked and count as matching.
func matchesDigest(b []byte, digest string) bool {
	algo, _, _ := strings.Cut(digest, ":")
	return algo != "sha256" || digestOf(b) == digest
}

// manifestTypes are the manifest media types every current client pulls.
var manifestTypes = map[string]bool{
	"application/vnd.oci.image.index.v1+json":                   true,
	"application/vnd.oci.image.manifest.v1+json":                true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.docker.distribution.manifest.v1+json":      true,
	"application/vnd.docker.distribution.manifest.v1+prettyjws": true,
}

// mediaTypeOf is a Content-Type without its parameters, lower-cased.
func mediaTypeOf(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// parseManifest reads a manifest body as clients do. problem says what
// makes it unusable for every client, or "". typeProblem says why the
// Content-Type does not name what the body is: containers/image,
// containerd and docker pick their parser by the header
// (containers/image manifest.NormalizedMIMEType reads anything unknown,
// application/json included, as schema 1), so they refuse such a
// manifest, while go-containerregistry parses the body and only logs
// the type (remote.Image, "Unexpected media type").
func parseManifest(contentType string, body []byte) (doc *manifestDoc, problem, typeProblem string) {
	trimmed := bytes.TrimSpace(body)
	ct := mediaTypeOf(contentType)
	lower := bytes.ToLower(trimmed)
	switch {
	case len(trimmed) == 0:
		return nil, "the body is empty", ""
	case strings.Contains(ct, "html") || bytes.HasPrefix(lower, []byte("<!doctype")) || bytes.HasPrefix(lower, []byte("<html")):
		return nil, fmt.Sprintf("the body is an HTML page (Content-Type %s), not a manifest", orNoneText(contentType)), ""
	case trimmed[0] != '{':
		return nil, fmt.Sprintf("the body is not JSON (Content-Type %s)", orNoneText(contentType)), ""
	}
	var d manifestDoc
	if err := json.Unmarshal(trimmed, &d); err != nil {
		return nil, "the body does not parse as a manifest: " + safetext.Truncate(err.Error(), 120), ""
	}
	if d.SchemaVersion == 0 && d.Config == nil && len(d.Manifests) == 0 && len(d.Layers) == 0 {
		return &d, "the body is a JSON document with no schemaVersion, config, layers or manifests: no manifest at all", ""
	}
	if d.SchemaVersion != 1 && !d.isIndex() && (d.Config == nil || d.Config.Digest == "") {
		return &d, "the image manifest names no config blob", ""
	}
	return &d, "", mediaTypeConflict(ct, &d)
}

// mediaTypeConflict says why the Content-Type does not fit the body, or "".
func mediaTypeConflict(ct string, d *manifestDoc) string {
	body := strings.ToLower(d.MediaType)
	switch {
	case d.SchemaVersion == 1:
		return "" // any type that is not a v2 one is read as schema 1, which it is
	case !manifestTypes[ct]:
		return fmt.Sprintf("the Content-Type %s is no manifest type, so clients that go by it read the body as schema 1 and fail", orNoneText(ct))
	case body != "" && !manifestTypes[body]:
		return fmt.Sprintf("the body's mediaType %s is no manifest type clients pull", body)
	case body != "" && ct != body:
		return fmt.Sprintf("the Content-Type %s contradicts the body's mediaType %s", ct, body)
	case isIndexType(ct) != d.isIndex():
		what := "an image manifest"
		if d.isIndex() {
			what = "an index"
		}
		return fmt.Sprintf("the Content-Type %s does not fit the body, which is %s", ct, what)
	}
	return ""
}

// isIndexType: an OCI index or a Docker manifest list.
func isIndexType(mt string) bool {
	return strings.HasSuffix(mt, ".index.v1+json") || strings.HasSuffix(mt, ".manifest.list.v2+json")
}

func orNoneText(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// pulledImage is the image manifest a pull goes on with: the reference's
// own, or for an index the one for the wanted platform, fetched once
// for the config and layer checks alike.
type pulledImage struct {
	doc      *manifestDoc
	platform string    // the index's chosen platform, "" for an image manifest
	child    string    // its digest
	get      *Exchange // the GET of the child manifest
	problem  string    // why the pull cannot go on, "" when it can
	// typeProblem: only clients that go by the Content-Type refuse it.
	typeProblem string
}

// manifestData is what the manifest check hands to the blob and layer
// checks.
type manifestData struct {
	auth    string
	body    []byte
	doc     *manifestDoc
	repoURL string

	once  sync.Once
	image *pulledImage
}

// pulled resolves the image the pull goes on with, fetching an index's
// platform manifest once for every check that needs it. The checks run
// under one run context, so the first caller's is everyone's.
func (md *manifestData) pulled(ctx context.Context, env *Env) *pulledImage {
	md.once.Do(func() { md.image = md.resolve(ctx, env) })
	return md.image
}

func (md *manifestData) resolve(ctx context.Context, env *Env) *pulledImage {
	if !md.doc.isIndex() {
		return &pulledImage{doc: md.doc}
	}
	want := env.Opts.WantPlatform()
	d, ok := md.doc.choose(want)
	if !ok {
		return &pulledImage{problem: "the index has no " + want}
	}
	im := &pulledImage{platform: d.Platform.String(), child: d.Digest}
	var body []byte
	im.get, body = env.Do(ctx, request{Method: http.MethodGet, URL: md.repoURL + "/manifests/" + d.Digest,
		Header: http.Header{"Accept": {ManifestAccept}}, Auth: md.auth, Limit: manifestLimit})
	if im.get.Status != http.StatusOK || im.get.Error != "" {
		im.problem = fmt.Sprintf("the %s manifest %s: %s", im.platform, short(d.Digest), exchangeOutcome(im.get))
		return im
	}
	if !matchesDigest(body, d.Digest) {
		// Fetched by digest: every client verifies the content.
		im.problem = fmt.Sprintf("the %s manifest %s: the body served hashes to %s", im.platform, short(d.Digest), short(digestOf(body)))
		return im
	}
	var why, typeWhy string
	im.doc, why, typeWhy = parseManifest(im.get.Header("Content-Type"), body)
	if why != "" {
		im.problem = fmt.Sprintf("the %s manifest %s: %s", im.platform, short(d.Digest), why)
	}
	im.typeProblem = typeWhy
	return im
}

// manifestLimit is containers/image's bound on a manifest body (4 MiB).
const manifestLimit = 4 << 20
