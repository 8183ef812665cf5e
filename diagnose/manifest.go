package diagnose

import (
	"fmt"

	"github.com/regdoctor/regdoctor/checks"
)

// ruleManifestInvalid: the manifest request answers 200, but with
// something clients refuse: no manifest at all (an HTML page, an empty
// document), a type that contradicts itself, content that does not
// hash to the digest pulled; or a Docker-Content-Digest that is not the
// body's, which fails the clients that take the header's word.
func ruleManifestInvalid(f facts) []Diagnosis {
	m := f.manifest()
	if m == nil || m.Get == nil {
		return nil
	}
	rem := []string{
		"Look at what the registry serves: `curl -sS -D- -H 'Accept: " + checks.ManifestAccept + "' " + m.URL + "` (add the token or -u user).",
		"An HTML page or an empty document comes from a proxy or web server answering in the registry's place (a catch-all location, an error page with status 200): route /v2/ to the registry unchanged.",
		"A Content-Type that contradicts the body, or a digest that is not the body's, comes from a proxy that rewrites manifests or their headers, or a registry bug: push the image again, and compare with `skopeo inspect --raw`.",
	}
	switch {
	case m.Invalid != "":
		return one(newDiagnosis("manifest-invalid",
			fmt.Sprintf("GET %s answered 200, but %s. Clients refuse it and the pull fails.", m.URL, m.Invalid), rem...))
	case m.DigestMismatch:
		return one(newDiagnosis("manifest-invalid",
			fmt.Sprintf("GET %s answered Docker-Content-Digest %s, but the body it served hashes to %s. Clients that resolve the tag by the header's digest and verify the content against it (containerd, and docker with the containerd image store) refuse it; podman, skopeo and crane read the body and pull.", m.URL, m.Digest, m.BodyDigest), rem...))
	}
	return nil
}

// digestHeaderDecides: only a manifest whose header digest is wrong, and
// nothing else, spares some clients.
func digestHeaderDecides(f facts, c string) (bool, string) {
	if m := f.manifest(); m != nil && m.Invalid == "" && m.DigestMismatch {
		if c == "containerd" || c == "docker" {
			return true, c + " verifies the manifest against the Docker-Content-Digest it resolved"
		}
		return false, c + " does not check Docker-Content-Digest on a pull by tag"
	}
	return true, ""
}
