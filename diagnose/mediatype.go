package diagnose

import (
	"fmt"
	"strings"

	"github.com/regdoctor/regdoctor/target"
)

// imageConfigTypes are the config media types of container images.
var imageConfigTypes = map[string]bool{
	"application/vnd.oci.image.config.v1+json":       true,
	"application/vnd.docker.container.image.v1+json": true,
}

// artifactKinds names common OCI artifacts by a word of their config media
// type or artifact type, with the tool that pulls them.
var artifactKinds = []struct{ match, what, tool string }{
	{"helm", "a Helm chart", "`helm pull oci://REF` (or `helm install NAME oci://REF`)"},
	{"cosign", "a cosign signature or attestation", "`cosign verify` / `cosign download`"},
	{"notary", "a Notation signature", "`notation verify`"},
	{"spdx", "an SBOM (SPDX)", "`oras pull`"},
	{"cyclonedx", "an SBOM (CycloneDX)", "`oras pull`"},
	{"in-toto", "an in-toto attestation", "`oras pull` or `cosign download attestation`"},
	{"wasm", "a WebAssembly module", "a Wasm runtime (`wasmtime`, `spin`)"},
	{"devcontainers", "a dev container feature", "the devcontainer CLI"},
	{"flux", "a Flux artifact", "`flux pull artifact`"},
	{"singularity", "a Singularity/Apptainer image", "`apptainer pull oras://REF`"},
}

// ruleMediaType: the manifest resolves to something a client cannot run
// or no longer pulls.
func ruleMediaType(f facts) []Diagnosis {
	var out []Diagnosis
	ref := f.t.ImageRef()
	if m := f.manifest(); m != nil && isSchema1(m.MediaType) {
		out = append(out, newDiagnosis(ManifestSchema1,
			fmt.Sprintf("%s is a Docker schema 1 manifest (%s). docker since 26 and containerd since 2.0 refuse schema 1 by default; podman, skopeo and crane still convert it.", ref, m.MediaType),
			fixOf(ManifestSchema1, fixArgs{t: f.t})...))
	}
	b := f.blob()
	if b == nil || b.ConfigMediaType == "" || imageConfigTypes[b.ConfigMediaType] {
		return out
	}
	kindOf := strings.ToLower(b.ConfigMediaType + " " + b.ArtifactType)
	what, tool := "an OCI artifact", "`oras pull "+ref+"`"
	for _, k := range artifactKinds {
		if strings.Contains(kindOf, k.match) {
			what, tool = k.what, strings.ReplaceAll(k.tool, "REF", refWithoutTag(f.t))
			break
		}
	}
	types := "config " + b.ConfigMediaType
	if b.ArtifactType != "" {
		types = "artifactType " + b.ArtifactType + ", " + types
	}
	return append(out, newDiagnosis(NotAnImage,
		fmt.Sprintf("%s is %s (%s), not a container image: podman, docker and containerd refuse to pull or run it.", ref, what, types),
		"Use the tool the artifact is for: "+tool+".",
		"If an image was meant, the tag points at the wrong thing: `regdoctor check` another tag, or ask whoever pushed it; `skopeo inspect --raw docker://"+ref+"` shows the manifest."))
}

func isSchema1(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	return strings.HasPrefix(strings.TrimSpace(mt), "application/vnd.docker.distribution.manifest.v1")
}

// refWithoutTag is registry/repository, as helm wants it after oci://.
func refWithoutTag(t target.Target) string {
	return t.Registry + "/" + t.Repository
}
