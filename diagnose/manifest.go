package diagnose

import (
	"fmt"
)

// ruleManifestInvalid: the manifest request answers 200, but with
// something clients refuse: no manifest at all (an HTML page, an empty
// document), a type that contradicts itself, content that does not
// hash to the digest pulled; or a Docker-Content-Digest that is not the
// body's, which fails the clients that take the header's word.
func ruleManifestInvalid(f facts) []Diagnosis {
	m := f.manifest()
	if m == nil || m.Get == nil || f.pagePing() {
		return nil // a web site, not a registry: not-a-registry says so
	}
	rem := fixOf(ManifestInvalid, fixArgs{t: f.t, g: groups{"url": m.URL}})
	switch {
	case m.Invalid != "":
		return one(newDiagnosis(ManifestInvalid,
			fmt.Sprintf("GET %s answered 200, but %s. Clients refuse it and the pull fails.", m.URL, m.Invalid), rem...))
	case m.InvalidType != "":
		return one(newDiagnosis(ManifestInvalid,
			fmt.Sprintf("GET %s answered 200, but %s. podman, skopeo, buildah, containerd and docker choose how to read a manifest by its Content-Type and refuse it; crane reads the body and pulls.", m.URL, m.InvalidType), rem...))
	case m.DigestMismatch:
		return one(newDiagnosis(ManifestInvalid,
			fmt.Sprintf("GET %s answered Docker-Content-Digest %s, but the body it served hashes to %s. containerd resolves the tag to the header's digest and verifies the content against it, so it refuses the pull; podman, skopeo, docker and crane read the body and pull.", m.URL, m.Digest, m.BodyDigest), rem...))
	}
	if b := f.blob(); b != nil && b.InvalidType != "" {
		return one(newDiagnosis(ManifestInvalid,
			fmt.Sprintf("The %s manifest %s answered 200, but %s. podman, skopeo, buildah, containerd and docker choose how to read a manifest by its Content-Type and refuse it; crane reads the body and pulls.", b.Platform, b.Manifest.URL, b.InvalidType), rem...))
	}
	return nil
}

// manifestDecides: a manifest that is no manifest fails everyone; one
// whose Content-Type misnames it fails the clients that go by the header
// (all but crane: go-containerregistry parses the body, remote.Image);
// a wrong Docker-Content-Digest alone fails containerd only, which
// verifies the body against the digest its HEAD resolved
// (remotes/docker resolver, content commit), while docker only logs the
// failed store (distribution/pull_v2.go) and the others ignore it.
func manifestDecides(f facts, c string) (bool, string) {
	m := f.manifest()
	if m == nil || m.Invalid != "" {
		return true, ""
	}
	misnamed := m.InvalidType != ""
	contentType := ""
	if m.Get != nil {
		contentType = m.Get.Headers["Content-Type"]
	}
	if b := f.blob(); b != nil && b.InvalidType != "" {
		misnamed = true
		if b.Manifest != nil {
			contentType = b.Manifest.Headers["Content-Type"]
		}
	}
	switch {
	case misnamed && c == "crane":
		return false, "crane reads the body whatever its Content-Type"
	case misnamed && c == "regctl" && contentType == "":
		// regclient types/manifest New: without a Content-Type the
		// body's own mediaType (or its shape) decides.
		return false, "regctl reads a manifest without Content-Type by the body's own mediaType"
	case misnamed:
		return true, c + " reads a manifest as its Content-Type says"
	case m.DigestMismatch && c == "containerd":
		return true, "containerd verifies the manifest against the Docker-Content-Digest it resolved"
	case m.DigestMismatch && c == "regctl":
		// regclient types/manifest fromCommon: the body must hash to the
		// GET's Docker-Content-Digest ("manifest digest mismatch").
		return true, "regctl verifies the manifest body against the Docker-Content-Digest it is served with"
	case m.DigestMismatch:
		return false, c + " does not check Docker-Content-Digest on a pull by tag"
	}
	return true, ""
}
