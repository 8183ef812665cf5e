package diagnose

import (
	"net/http"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
)

// How each code that does not break every client decides whether it
// breaks one (Entry.decides), from the clients' source: which settings
// they read, which requests they send, what they verify.

// misbehavingDecides: a registry that breaks the protocol fails every
// client, but for a token answer that only go-containerregistry decodes
// (checks.TokenAttempt.CraneDecodes: an issued_at that is no time, which
// containers/image, containerd, moby and regclient decode as a time and
// refuse): when that is all that is wrong, crane pulls.
func misbehavingDecides(f facts, c string) (bool, string) {
	if c != "crane" {
		return true, ""
	}
	read := craneReadsToken(f)
	if read == nil {
		return true, ""
	}
	if reasons, _ := misbehavingReasons(f, read); len(reasons) > 0 {
		return true, ""
	}
	return false, "crane decodes the token answer without issued_at (go-containerregistry's Token) and pulls with it"
}

// craneReadsToken names the token exchanges whose answer crane decodes
// and the others do not; nil when there are none.
func craneReadsToken(f facts) func(*checks.Exchange) bool {
	tk := f.token()
	if tk == nil {
		return nil
	}
	var xs []*checks.Exchange
	for _, a := range []*checks.TokenAttempt{tk.Anonymous, tk.Credentials} {
		if a != nil && a.CraneDecodes {
			xs = append(xs, a.Exchange)
		}
	}
	if len(xs) == 0 {
		return nil
	}
	return func(x *checks.Exchange) bool { return slices.Contains(xs, x) }
}

// notLoggedInDecides: a client with credentials of its own pulls.
func notLoggedInDecides(f facts, c string) (bool, string) {
	if f.rep.Config.CredsFor(c) != nil && f.creds() == nil {
		return false, c + " has its own stored credentials"
	}
	if f.rep.Config.CredsFor(c) == nil {
		return true, c + " has no stored credentials for " + f.t.Registry
	}
	return false, c + " uses the stored credentials"
}

// realmDecides: a realm that answers but that go-containerregistry's
// stricter parse refuses fails crane only.
func realmDecides(f facts, c string) (bool, string) {
	if realmNotFound(f) {
		return true, "" // no token service there: no client gets a token
	}
	if ev := f.realm(); ev != nil && len(ev.Problems) == 0 {
		return c == "crane", "only go-containerregistry refuses this realm"
	}
	return true, ""
}

func schema1Decides(_ facts, c string) (bool, string) {
	switch c {
	case "podman", "buildah", "skopeo":
		return false, c + " still converts schema 1 images"
	case "docker":
		return true, "docker 26 and later refuse schema 1 by default"
	case "containerd":
		return true, "containerd 2.0 and later refuse schema 1 by default"
	}
	return false, c + " still converts schema 1 images"
}

func shortNameDecides(_ facts, c string) (bool, string) {
	if clientconf.ResolvesShortNames(c) {
		return true, ""
	}
	return false, c + " does not resolve short names: it sends them to docker.io"
}

func blockedDecides(f facts, c string) (bool, string) {
	if r := f.rep.Config.RegistryFor(c); r != nil && r.Blocked {
		return true, "blocked = true in " + r.File
	}
	if clientconf.ContainersImage(c) {
		return false, c + " reads another registries.conf, which does not block it"
	}
	return false, c + " does not read registries.conf"
}

// manifestPerClient refines manifestDecides for a Content-Type that
// names one manifest type while the body says another (an OCI manifest
// served as Docker's, or the other way round): podman and buildah read
// the body as the header says and then find a config that is not an
// image's ("unsupported image-specific operation on artifact", recorded
// in integration's pull corpus); skopeo copy, which does not use the
// config as an image's, containerd (it stores what the descriptor says)
// and crane pull it. A header that names no manifest type at all is
// manifestDecides's.
func manifestPerClient(f facts, c string) (bool, string) {
	m := f.manifest()
	if m == nil || m.Invalid != "" || m.InvalidType == "" || m.Get == nil {
		return manifestDecides(f, c)
	}
	ct, _, _ := strings.Cut(m.Get.Headers["Content-Type"], ";")
	if !knownManifestType[strings.TrimSpace(ct)] {
		return manifestDecides(f, c)
	}
	switch c {
	case "podman", "buildah":
		return true, c + " reads the manifest as its Content-Type " + ct + " says, and the body's config is then no image config"
	case "skopeo", "containerd", "crane":
		return false, c + " copies a manifest whose Content-Type is another manifest type without reading the config as an image's"
	case "regctl":
		// regclient types/manifest New: the Content-Type picks the
		// parser, and verifyMT refuses a body whose mediaType differs.
		return true, "regctl parses the manifest as its Content-Type " + ct + " says and refuses a body whose mediaType is another"
	}
	return manifestDecides(f, c)
}

// problemDecides: a configuration problem stops the clients that read
// the file or setting (checks.Problem.Clients), and only them.
func problemDecides(code Code) func(f facts, c string) (bool, string) {
	return func(f facts, c string) (bool, string) {
		var hit []string
		for _, p := range f.rep.Config.Problems {
			if problemCode(p.Kind) != code {
				continue
			}
			if p.Stops(c) {
				return true, ""
			}
			for _, o := range p.Clients {
				if !slices.Contains(hit, o) {
					hit = append(hit, o)
				}
			}
		}
		return false, c + " does not read it (it stops " + strings.Join(hit, ", ") + ")"
	}
}

// headDecides: who sends HEAD for the manifest, and what they do when it
// fails. containerd 1.6 resolves with HEAD only (remotes/docker/resolver.go
// dockerResolver.Resolve), and retries a 405 with GET (request.retryRequest).
// Classic docker (moby v24-v26 distribution/pull_v2.go pullTag, vendored
// docker/distribution registry/client/repository.go tags.Get) sends HEAD and
// falls back to GET on any status but not on a failed request.
// containers/image (podman, skopeo: docker/docker_client.go fetchManifest)
// and go-containerregistry's remote.Image (crane: remote/fetcher.go
// fetchManifest) send GET only.
func headDecides(f facts, c string) (bool, string) {
	head := (*checks.Exchange)(nil)
	if m := f.manifest(); m != nil {
		head = m.Head
	}
	switch {
	case c == "containerd" && head != nil && head.Status == http.StatusMethodNotAllowed:
		return false, "containerd retries a 405 on HEAD with GET"
	case c == "containerd":
		return true, "containerd resolves tags with HEAD"
	case c == "docker" && head != nil && head.Status == 0:
		return true, "docker resolves tags with HEAD and falls back to GET only when HEAD is answered"
	case c == "docker":
		return false, "docker falls back to GET when HEAD fails"
	}
	return false, c + " fetches the manifest with GET"
}

func onlyContainersImage(_ facts, c string) (bool, string) {
	return clientconf.ContainersImage(c), "a containers-image (podman, skopeo, buildah) setting"
}

// insecureDecides: the client talks plain HTTP when configured to.
func insecureDecides(f facts, c string) (bool, string) {
	if ok, why := f.rep.Config.AcceptsInsecure(c, f.t); ok {
		return false, why
	}
	return true, c + " uses HTTPS for " + f.t.Registry
}

// authorityDecides: when the CA is in a certs.d directory only some
// clients read, the others fail; otherwise as verifyDecides.
func authorityDecides(f facts, c string) (bool, string) {
	if t := f.tls(); t != nil && len(t.Problems) == 0 && len(t.NotTrustedBy) > 0 {
		if _, fails := t.NotTrustedBy[c]; !fails {
			return false, c + " reads a certs.d directory that holds the CA"
		}
	}
	return verifyDecides(f, c)
}

// verifyDecides: an insecure registry is not verified by podman, docker
// or containerd; crane and regctl still verify certificates (regctl has no
// insecure default at all: regclient config HostNew sets TLSEnabled).
func verifyDecides(f facts, c string) (bool, string) {
	if c == "crane" || c == "regctl" {
		return true, c + " verifies certificates unless told otherwise (--insecure, or a host with tls disabled)"
	}
	return insecureDecides(f, c)
}

// ownFailureDecides: pull-step-failed for a step of regdoctor's own pull
// fails everyone; raised for a client's own failure (ownFailure: a way
// this client alone breaks where regdoctor's pull passed), it fails the
// clients that break so.
func ownFailureDecides(f facts, c string) (bool, string) {
	if firstFailed(f.rep.Pull) != nil {
		return true, ""
	}
	if why := ownFailure(f, c); why != "" {
		return true, why
	}
	return false, c + " pulls; only other clients break here"
}

// knownManifestType are the manifest media types every client pulls.
var knownManifestType = map[string]bool{
	"application/vnd.oci.image.manifest.v1+json":                true,
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.oci.image.index.v1+json":                   true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
}
