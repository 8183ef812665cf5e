package diagnose

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// ClientVerdict says whether one client would pull this reference, given
// its own configuration. Part of the JSON contract.
type ClientVerdict struct {
	Name        string `json:"name"`
	Verdict     string `json:"verdict"` // "ok" or "fails"
	Reason      string `json:"reason"`
	Credentials string `json:"credentials,omitempty"` // the stored entry this client would use
	// spared: an error that fails the pull as regdoctor tried it does
	// not touch this client (it trusts the CA, skips HEAD, or pulls
	// through a mirror), so a failed step of that pull is not its.
	spared bool
}

// clientSpecific lists, for codes that do not break every client, which
// clients they break. Codes absent here break every client.
var clientSpecific = map[string]func(f facts, client string) (fails bool, why string){
	"plain-http-registry":      insecureDecides,
	"tls-unknown-authority":    authorityDecides,
	"tls-client-cert-required": clientCertDecides,
	"tls-cert-expired":         verifyDecides,
	"tls-hostname-mismatch":    verifyDecides,
	"head-get-mismatch":        headDecides,
	"not-logged-in": func(f facts, c string) (bool, string) {
		if f.rep.Config.CredsFor(c) != nil && f.creds() == nil {
			return false, c + " has its own stored credentials"
		}
		if f.rep.Config.CredsFor(c) == nil {
			return true, c + " has no stored credentials for " + f.t.Registry
		}
		return false, c + " uses the stored credentials"
	},
	"token-realm-misconfigured": func(f facts, c string) (bool, string) {
		if realmNotFound(f) {
			return true, "" // no token service there: no client gets a token
		}
		if ev := f.realm(); ev != nil && len(ev.Problems) == 0 {
			return c == "crane", "only go-containerregistry refuses this realm"
		}
		return true, ""
	},
	"manifest-schema1": func(_ facts, c string) (bool, string) {
		switch c {
		case "docker":
			return true, "docker 26 and later refuse schema 1 by default"
		case "containerd":
			return true, "containerd 2.0 and later refuse schema 1 by default"
		}
		return false, c + " still converts schema 1 images"
	},
	"manifest-invalid":      manifestDecides,
	"short-name-unresolved": onlyPodman,
	"registry-blocked":      onlyPodman,
	"certs-dir-invalid":     onlyPodman,
}

// serverSide codes are faults of the registry that only some clients
// trip over; when the clients judged for cope they stay warnings, not
// info, because other machines (a Kubernetes node) pull the same image.
var serverSide = map[string]bool{"head-get-mismatch": true}

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

func onlyPodman(_ facts, c string) (bool, string) {
	return c == "podman", "a containers-image (podman, skopeo, buildah) setting"
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
// or containerd; crane still verifies certificates.
func verifyDecides(f facts, c string) (bool, string) {
	if c == "crane" {
		return true, "crane verifies certificates unless run with --insecure"
	}
	return insecureDecides(f, c)
}

// verdicts judges every client the user cares about, and lowers the
// severity of client-specific diagnoses that no such client would hit.
func verdicts(f facts, ds []Diagnosis) ([]ClientVerdict, []Diagnosis) {
	clients := f.rep.Config.Clients
	ds = append(ds, credentialsPerClient(f, ds)...)
	out := make([]ClientVerdict, 0, len(clients))
	for _, c := range clients {
		v := ClientVerdict{Name: c, Verdict: "ok", Reason: "no diagnosis affects " + c}
		if cr := f.rep.Config.CredsFor(c); cr != nil {
			v.Credentials = fmt.Sprintf("%s from %s (key %q)", cr.Username, cr.Source, cr.Key)
		}
		for _, d := range ds {
			if d.Severity != Error {
				continue
			}
			if m := mirrorServes(f, c); m != nil && d.Layer != LayerConfig && d.Layer != LayerPush {
				// The mirror answers the pull before the registry is asked;
				// the diagnosis stays an error for everyone else.
				v.Reason = "pulls through mirror " + m.Location + ", which has the image; " + d.Code + " hits only the registry itself"
				v.spared = true
				continue
			}
			fails, why := true, ""
			if decide, ok := clientSpecific[d.Code]; ok {
				fails, why = decide(f, c)
			}
			if !fails {
				// Say why a problem others have does not touch this client.
				v.Reason = "not affected by " + d.Code + ": " + why
				v.spared = true
				continue
			}
			v.Verdict, v.Reason = "fails", d.Code+": "+d.Title
			if why != "" {
				v.Reason += " (" + why + ")"
			}
			break
		}
		out = append(out, v)
	}
	for i, d := range ds {
		decide, ok := clientSpecific[d.Code]
		if !ok || d.Severity != Error || len(clients) == 0 {
			continue
		}
		var spared []string
		hit := false
		for _, c := range clients {
			fails, why := decide(f, c)
			if fails {
				hit = true
			} else {
				spared = append(spared, c+": "+why)
			}
		}
		if !hit {
			// The judged clients pull, so the run is healthy. A fault of
			// the registry's own stays a warning: other machines (a
			// Kubernetes node) pull the same image with other clients.
			ds[i].Severity = Info
			if serverSide[d.Code] {
				ds[i].Severity = Warning
			}
			ds[i].Detail += fmt.Sprintf(" Not a problem for %s (%s).", strings.Join(clients, ", "), strings.Join(spared, "; "))
		}
	}
	return out, ds
}

// mirrorServes returns the mirror client c would pull this reference
// from, having found the image there, or nil.
func mirrorServes(f facts, c string) *checks.MirrorProbe {
	ev := f.mirrors()
	if ev == nil {
		return nil
	}
	for _, m := range ev.Mirrors {
		if m.Client == c && m.NotUsed == "" && m.Image == checks.MirrorHasImage {
			return m
		}
	}
	return nil
}

// ruleClientConfig names configuration mistakes that only the client's own
// files reveal.
func ruleClientConfig(f facts) []Diagnosis {
	cc := f.rep.Config
	var out []Diagnosis
	if r := cc.Registry; r != nil && r.Blocked {
		out = append(out, newDiagnosis("registry-blocked",
			fmt.Sprintf("%s matches [[registry]] location %q in %s, which has blocked = true: podman, skopeo and buildah refuse to pull from it.", f.t.Registry, r.Location, r.File),
			"Remove `blocked = true` from that [[registry]] entry in "+r.File+", if the block is not intended."))
	}
	if sn := cc.ShortName; sn != nil && sn.Error != "" {
		out = append(out, newDiagnosis("short-name-unresolved", sn.Error+".",
			"Use a fully qualified name, e.g. `podman pull docker.io/library/"+sn.Input+"` or `podman pull REGISTRY/"+sn.Input+"`.",
			"Or add a search registry to /etc/containers/registries.conf (or ~/.config/containers/registries.conf):\nunqualified-search-registries = [\"docker.io\"]",
			"Or an alias:\n[aliases]\n\""+sn.Input+"\" = \"docker.io/library/"+sn.Input+"\""))
	}
	return out
}

// ruleMirrors compares the configured mirrors with the registry itself.
func ruleMirrors(f facts) []Diagnosis {
	ev := f.mirrors()
	if ev == nil {
		return nil
	}
	registryWorks := f.res(checks.IDPingHTTPS).Status.Ok()
	ref := f.t.Reference
	var out []Diagnosis
	for _, m := range ev.Mirrors {
		switch {
		case m.NotUsed != "":
			// Not tried for this reference: not this pull's problem.
		case !m.Works && registryWorks:
			out = append(out, newDiagnosis("mirror-failing",
				fmt.Sprintf("Mirror %s (configured in %s) fails: %s; %s itself answers, so clients fall back to it after trying the mirror, and every pull pays for the failed attempt.", m.Location, m.From, m.Ping.Summary(), f.t.Registry),
				"Fix the mirror, or remove its [[registry.mirror]] entry from "+m.From+" (docker: \"registry-mirrors\" in daemon.json)."))
		case m.Image == checks.MirrorLacksImage && registryWorks:
			out = append(out, newDiagnosis("mirror-failing",
				fmt.Sprintf("Mirror %s (configured in %s) answers but has no %s:%s (HEAD %s: %s): clients ask it first and fall back to %s, so the pull works, slower, and not at all once %s is unreachable.",
					m.Location, m.From, m.Repository, ref, m.Manifest.URL, m.Manifest.Outcome(), f.t.Registry, f.t.Registry),
				"Check the mirror's location: registries.conf maps "+f.t.Registry+"/"+f.t.Repository+" to "+strings.TrimPrefix(strings.TrimPrefix(m.Location, "https://"), "http://")+"/"+m.Repository+"; a path in the mirror's location must match how the mirror stores the images.",
				"A pull-through cache (Nexus proxy, Harbor proxy cache, distribution proxy) that lacks the image could not fetch it upstream: check its upstream URL and credentials."))
		case m.Works && !registryWorks && m.Image != checks.MirrorLacksImage:
			has := ""
			if m.Image == checks.MirrorHasImage {
				has = ", and has the image"
			}
			out = append(out, newDiagnosis("mirror-failing",
				fmt.Sprintf("%s fails, but mirror %s (configured in %s) answers%s: podman pulls through the mirror, while clients without the mirror, and pushes, fail.", f.t.Registry, m.Location, m.From, has),
				"Fix the registry itself; the mirror only hides the failure for pulls by clients configured with it."))
		}
	}
	return out
}

// anonymousRefused reports whether the registry refuses a client that has
// no credentials: the realm refused the anonymous token request, or
// granted no pull, or the registry wants Basic credentials.
func anonymousRefused(f facts) bool {
	if c := f.challenge(); c != nil && c.Scheme == "basic" {
		return true
	}
	tk := f.token()
	if tk == nil || tk.Anonymous == nil {
		return false
	}
	a := tk.Anonymous
	if a.Exchange != nil && denied(a.Exchange) {
		return true
	}
	return a.Obtained && a.Claims != nil && f.t.Repository != "" && !a.Claims.Grants(f.t.Repository, "pull")
}

// credentialsPerClient finds the clients that would go in anonymously
// although credentials are stored, because they read other files: after
// `podman login`, docker and containerd still have nothing.
func credentialsPerClient(f facts, ds []Diagnosis) []Diagnosis {
	cc := f.rep.Config
	if cc.Creds == nil || !anonymousRefused(f) {
		return nil
	}
	for _, d := range ds {
		if d.Code == "not-logged-in" {
			return nil
		}
	}
	var without []string
	for _, c := range cc.Clients {
		if cc.CredsFor(c) == nil {
			without = append(without, c)
		}
	}
	if len(without) == 0 {
		return nil
	}
	return one(newDiagnosis("not-logged-in",
		fmt.Sprintf("%s refuses anonymous access. Credentials for %s are stored in %s, which %s does not read: it has no stored credentials.",
			f.t.Registry, f.t.Registry, cc.Creds.Source, strings.Join(without, " and ")),
		loginRemedies(f)...))
}
