package diagnose

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
)

// Verdict is whether a client pulls. Part of the JSON contract.
type Verdict string

const (
	Pulls Verdict = "ok"
	Fails Verdict = "fails"
)

// ClientVerdict says whether one client would pull this reference, given
// its own configuration. Part of the JSON contract.
type ClientVerdict struct {
	Name        string  `json:"name"`
	Verdict     Verdict `json:"verdict"`
	Reason      string  `json:"reason"`
	Credentials string  `json:"credentials,omitempty"` // the stored entry this client would use
	// Version is the first line the client's binary printed for
	// --version, when it answered within clientconf.VersionTimeout.
	Version string `json:"version,omitempty"`
	// spared: an error that fails the pull as regdoctor tried it does
	// not touch this client (it trusts the CA, skips HEAD, or pulls
	// through a mirror), so a failed step of that pull is not its.
	spared bool
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

// knownManifestType are the manifest media types every client pulls.
var knownManifestType = map[string]bool{
	"application/vnd.oci.image.manifest.v1+json":                true,
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.oci.image.index.v1+json":                   true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
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

// verdicts judges every client the user cares about, and lowers the
// severity of client-specific diagnoses that no such client would hit.
func verdicts(f facts, ds []Diagnosis) ([]ClientVerdict, []Diagnosis) {
	clients := f.rep.Config.Clients
	ds = append(ds, credentialsPerClient(f, ds)...)
	fixLoginFile(f, ds)
	out := make([]ClientVerdict, 0, len(clients))
	for _, c := range clients {
		v := ClientVerdict{Name: c, Verdict: Pulls, Reason: "no diagnosis affects " + c}
		if cr := f.rep.Config.CredsFor(c); cr != nil {
			v.Credentials = fmt.Sprintf("%s from %s (key %q)", cr.Username, cr.Source, cr.Key)
		}
		if why := shortNameElsewhere(f, c); why != "" {
			v.Verdict, v.Reason = Fails, why
			out = append(out, v)
			continue
		}
		for _, d := range ds {
			if d.Severity != Error {
				continue
			}
			if m := mirrorServes(f, c); m != nil && d.Layer != LayerConfig && d.Layer != LayerPush {
				// The mirror answers the pull before the registry is asked;
				// the diagnosis stays an error for everyone else.
				v.Reason = "pulls through mirror " + m.Location + ", which has the image; " + string(d.Code) + " hits only the registry itself"
				v.spared = true
				continue
			}
			fails, why := true, ""
			if decide := entryOf(d.Code).decides; decide != nil {
				fails, why = decide(f, c)
			}
			if !fails {
				// Say why a problem others have does not touch this client.
				v.Reason = "not affected by " + string(d.Code) + ": " + why
				v.spared = true
				continue
			}
			v.Verdict, v.Reason = Fails, string(d.Code)+": "+d.Title
			if why != "" {
				v.Reason += " (" + why + ")"
			}
			break
		}
		if v.Verdict == Pulls {
			if why := ownFailure(f, c); why != "" {
				v.Verdict, v.Reason = Fails, why
			}
		}
		out = append(out, v)
	}
	for i, d := range ds {
		decide := entryOf(d.Code).decides
		if decide == nil || d.Severity != Error || len(clients) == 0 {
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
			if entryOf(d.Code).serverSide {
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
		if mirrorClient(f, m.Client, c) && m.NotUsed == "" && m.Image == checks.MirrorHasImage {
			return m
		}
	}
	return nil
}

// mirrorClient: registries.conf's mirrors (probed as podman's) serve
// buildah too, and skopeo when it reads the same registries.conf.
func mirrorClient(f facts, probed, c string) bool {
	if probed == c {
		return true
	}
	if probed != "podman" || !clientconf.ContainersImage(c) {
		return false
	}
	return c != "skopeo" || f.rep.Config.SkopeoContainers == nil
}

// shortNameElsewhere: the reference was typed without a registry and
// resolved by podman's rules to another image than the one a client that
// does not resolve short names pulls (docker.io/library/NAME, the
// distribution reference's normalization).
func shortNameElsewhere(f facts, c string) string {
	sn := f.t.Short
	if sn == nil || clientconf.ResolvesShortNames(c) || sn.Error != "" {
		return ""
	}
	hub := dockerHubName(sn.Input)
	if got := f.t.Registry + "/" + f.t.Repository; dockerHubName(got) == hub {
		return ""
	}
	pulls := "it pulls " + hub
	if c == "containerd" {
		// ctr 1.6 parses the name as a URL: "library/redis" is host
		// library, and "redis:7" no reference at all; nerdctl, like
		// docker, normalizes to docker.io.
		pulls = "ctr reads the name's first part as the registry host (nerdctl pulls " + hub + ")"
		if !strings.Contains(sn.Input, "/") {
			pulls = "ctr refuses a name without a registry (nerdctl pulls " + hub + ")"
		}
	}
	return fmt.Sprintf("%s does not resolve short names: %s, not %s/%s, where podman's registries.conf (%s) sends %q and which regdoctor checked; give %s the fully qualified name",
		c, pulls, f.t.Registry, f.t.Repository, sn.Via, sn.Input, c)
}

// dockerHubName normalizes a name as docker does: docker.io for no
// registry, library/ for a name without a path.
func dockerHubName(name string) string {
	host, rest, ok := strings.Cut(name, "/")
	if !ok || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		host, rest = "docker.io", name
	}
	switch host {
	case "index.docker.io", "registry-1.docker.io":
		host = "docker.io"
	}
	if host == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return host + "/" + rest
}

// ownFailure is a failure of one client that no diagnosis names, because
// it lies in how that client alone talks to a working registry.
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

// ruleOwnFailures names the judged clients that fail by a way of their
// own (ownFailure) when no error diagnosis says so, so that a client
// judged "fails" always comes with an error, and the run is unhealthy.
func ruleOwnFailures(f facts, verdicts []ClientVerdict, ds []Diagnosis) []Diagnosis {
	for _, d := range ds {
		if d.Severity == Error {
			return nil
		}
	}
	var failing []string
	for _, v := range verdicts {
		if v.Verdict == Fails {
			failing = append(failing, v.Name+": "+v.Reason)
		}
	}
	if len(failing) == 0 {
		return nil
	}
	return one(newDiagnosis(PullStepFailed,
		"regdoctor's own pull passed every step, but a judged client breaks where it does not: "+strings.Join(failing, "; ")+".",
		"Follow the client's reason above; `regdoctor check --client NAME -o json --trace "+f.t.Input+"` shows that client's verdict and every exchange."))
}

func ownFailure(f facts, c string) string {
	if c == "containerd" || c == "crane" || c == "regctl" {
		if why := layerSizeMismatch(f, c); why != "" {
			return why
		}
	}
	switch c {
	case "crane":
		return craneTokenTooLarge(f)
	case "docker":
		return dockerChallengeLost(f)
	case "containerd":
		return containerdOwnFailure(f)
	}
	return ""
}

// containerdOwnFailure: the ways containerd alone breaks against a
// registry that serves the others.
func containerdOwnFailure(f facts) string {
	if why := containerdSpeaksHTTP(f); why != "" {
		return why
	}
	if ev := evidence[*checks.ContainerdAuthEvidence](f, checks.IDContainerdAuth); ev != nil && ev.Fails != "" {
		return ev.Fails
	}
	return containerdHeadDigest(f)
}

// craneTokenTooLarge: go-containerregistry reads at most 64 KiB of the
// realm's answer (transport/bearer.go maxTokenBodySize, internal/limit
// ReadAll: "body exceeds 65536 byte limit"); containers/image takes 1 MiB,
// docker and containerd have no limit.
func craneTokenTooLarge(f facts) string {
	tk := f.token()
	if tk == nil {
		return ""
	}
	a := tk.ClientAttempt()
	if a == nil || a.Exchange == nil || a.Exchange.Status != http.StatusOK || a.BodyBytes <= checks.CraneTokenLimit {
		return ""
	}
	return fmt.Sprintf("the realm's token answer is %d KiB, and crane reads at most %d KiB of it (go-containerregistry maxTokenBodySize: \"body exceeds %d byte limit\"); make the token service answer with the token alone",
		a.BodyBytes>>10, checks.CraneTokenLimit>>10, checks.CraneTokenLimit)
}

// layerSizeMismatch: a layer whose download is not the size its
// descriptor gives. crane checks Content-Length against it
// (go-containerregistry pkg/v1/remote fetcher.go fetchBlob: "Content-Length
// header %d does not match expected size %d") and containerd reads
// exactly that many bytes (content.Copy: "failed to read expected number
// of bytes: unexpected EOF"), as does regctl (regclient reghttp: "unexpected
// content-length"; types/blob BReader); containers/image and docker do not
// compare.
// regdoctor knows the size served when a layer was downloaded whole
// (--pull), answered 200 with a Content-Length, or answered the one-byte
// sample with a Content-Range.
func layerSizeMismatch(f facts, c string) string {
	ev := f.layers()
	if ev == nil {
		return ""
	}
	for _, l := range ev.Layers {
		if l.Size <= 0 || l.Get == nil || l.Get.Error != "" {
			continue
		}
		served := int64(-1)
		switch {
		case ev.Downloaded && l.Get.Status == 200:
			served = l.Get.Bytes
		case l.Get.Status == 200:
			if n, err := strconv.ParseInt(l.Get.Headers["Content-Length"], 10, 64); err == nil {
				served = n
			}
		case l.Get.Status == http.StatusPartialContent:
			// The one-byte sample: Content-Range carries the whole size
			// ("bytes 0-0/SIZE"; "*" when the server does not know it).
			if _, total, ok := strings.Cut(l.Get.Headers["Content-Range"], "/"); ok {
				if n, err := strconv.ParseInt(total, 10, 64); err == nil {
					served = n
				}
			}
		}
		if served >= 0 && served != l.Size {
			return fmt.Sprintf("layer %s is %d bytes, but the manifest says %d; %s verifies the size", l.Digest, served, l.Size, c)
		}
	}
	return ""
}

// containerdSpeaksHTTP: containerd would use only plain HTTP for the
// registry (its default for localhost without hosts.toml, or http://
// hosts), and the registry does not answer the API over plain HTTP.
func containerdSpeaksHTTP(f facts) string {
	h := f.rep.Config.Containerd
	if h == nil || !h.OnlyHTTP() || !f.res(checks.IDPingHTTPS).Status.Ok() {
		return ""
	}
	p := f.http()
	if p == nil || p.RegistryAPI {
		return ""
	}
	why := "http:// hosts in " + h.File
	if h.DefaultHTTP {
		why = "its default for a localhost or loopback registry that no usable hosts.toml names (remotes/docker/config ConfigureHosts; ctr without --plain-http)"
		if h.Ignored != "" {
			why += "; " + h.Ignored
		}
	}
	return fmt.Sprintf("containerd speaks plain HTTP to %s (%s), which answers the registry API only over HTTPS (GET %s: %s); add %s/hosts.toml with server = \"https://%s\" and a [host.\"https://%s\"] table",
		f.t.Registry, why, p.URL, p.Summary(), filepathDir(h), f.t.Registry, f.t.Registry)
}

func filepathDir(h *clientconf.ContainerdHost) string {
	if h.Dir != "" {
		return h.Dir
	}
	dir, _, _ := strings.Cut(h.File, "/hosts.toml")
	return dir
}

// dockerChallengeLost: dockerd keeps the /v2/ ping's challenges under the
// URL that answered it, the last hop of a redirect (moby v20.10
// registry/auth.go PingV2Registry, then docker/distribution
// registry/client/auth/challenge simpleManager.AddResponse keyed by
// resp.Request.URL), and looks them up under scheme://host/v2/ of each
// request (auth/session.go endpointAuthorizer.ModifyRequest). A ping
// redirected anywhere else that ends in the 401 challenge leaves docker
// with none: it sends neither credentials nor a token, and the registry
// answers "unauthorized". The other clients keep the challenge of the
// answer they got, wherever it came from.
func dockerChallengeLost(f facts) string {
	p := f.https()
	if p == nil || p.Exchange == nil || p.RedirectedTo == "" || p.Status != http.StatusUnauthorized {
		return ""
	}
	asked, err1 := url.Parse(p.URL)
	answered, err2 := url.Parse(p.RedirectedTo)
	if err1 != nil || err2 != nil || challengeKey(asked) == challengeKey(answered) {
		return ""
	}
	return fmt.Sprintf("GET %s is redirected to %s, whose 401 challenge dockerd files under that URL and never finds for %s://%s/v2/: docker sends no credentials and the registry answers unauthorized; serve the challenge at /v2/ itself",
		p.URL, p.RedirectedTo, asked.Scheme, asked.Host)
}

// challengeKey is docker/distribution's normalised challenge key: scheme,
// lower-case host with its default port, and path.
func challengeKey(u *url.URL) string {
	host := strings.ToLower(u.Host)
	if u.Port() == "" {
		port := "443"
		if u.Scheme == "http" {
			port = "80"
		}
		host = net.JoinHostPort(strings.ToLower(u.Hostname()), port)
	}
	return u.Scheme + "://" + host + u.Path
}

// containerdHeadDigest: containerd resolves a tag with HEAD and fetches
// the digest its Docker-Content-Digest names (remotes/docker resolver
// Resolve, then the fetcher by digest), verifying the content against
// it; a HEAD that names another digest than the GET serves fails it,
// while the clients that GET the manifest never see the HEAD's header.
func containerdHeadDigest(f facts) string {
	m := f.manifest()
	if m == nil || m.Head == nil || m.Get == nil || m.Head.Status != 200 || m.Get.Status != 200 || f.t.IsDigest {
		return ""
	}
	head, get := m.Head.Headers["Docker-Content-Digest"], m.Get.Headers["Docker-Content-Digest"]
	if get == "" {
		get = m.BodyDigest
	}
	if !strings.HasPrefix(head, "sha256:") || get == "" || head == get {
		return ""
	}
	return fmt.Sprintf("containerd resolves the tag with HEAD, which names %s, but GET serves %s: containerd fetches and verifies the HEAD's digest", head, get)
}

// podmanLoginRemedy is how loginRemedies (rules_auth.go) starts podman's
// remedy; it names the usual file, which fixLoginFile corrects.
const podmanLoginRemedy = "podman / skopeo / buildah: `podman login "

// fixLoginFile names the file `podman login` really writes on this
// machine in the login remedies: as root without XDG_RUNTIME_DIR it is
// /run/containers/0/auth.json, with DOCKER_CONFIG set $DOCKER_CONFIG/
// config.json, and so on (checks.ClientConfig.LoginFile).
func fixLoginFile(f facts, ds []Diagnosis) {
	path, from := f.rep.Config.LoginFile()
	if path == "" {
		return
	}
	where := path
	switch {
	case from != "":
		where += " (named by " + from + ")"
	case strings.HasPrefix(path, "/run/containers/") || strings.Contains(path, "/run/containers/"):
		where += " (no XDG_RUNTIME_DIR is set; the file is lost at reboot: `--authfile ~/.config/containers/auth.json` keeps it)"
	default:
		where += " ($XDG_RUNTIME_DIR/containers/auth.json, lost at reboot: `--authfile ~/.config/containers/auth.json` keeps it)"
	}
	for i := range ds {
		if ds[i].Code != NotLoggedIn && ds[i].Code != BadCredentials {
			continue
		}
		for j, r := range ds[i].Remediation {
			if strings.HasPrefix(r, podmanLoginRemedy) {
				ds[i].Remediation[j] = podmanLoginRemedy + f.t.Registry + "` — stored in " + where + "."
			}
		}
	}
}

// ruleClientConfig names configuration mistakes that only the client's own
// files reveal.
func ruleClientConfig(f facts) []Diagnosis {
	cc := f.rep.Config
	var out []Diagnosis
	r := cc.Registry
	if r == nil || !r.Blocked {
		r = cc.SkopeoRegistry // skopeo's own registries.conf
	}
	if r != nil && r.Blocked {
		var who []string
		for _, c := range []string{"podman", "buildah", "skopeo"} {
			if e := cc.RegistryFor(c); e != nil && e.Blocked {
				who = append(who, c)
			}
		}
		out = append(out, newDiagnosis(RegistryBlocked,
			fmt.Sprintf("%s matches [[registry]] location %q in %s, which has blocked = true: %s refuse to pull from it.", f.t.Registry, r.Location, r.File, strings.Join(who, ", ")),
			"Remove `blocked = true` from that [[registry]] entry in "+r.File+", if the block is not intended."))
	}
	if h := cc.Containerd; h != nil && h.Ignored != "" && cc.Judges("containerd") {
		// containerd pulls on with its defaults: a warning, and the
		// verdict follows what the defaults do.
		out = append(out, newDiagnosis(ConfigInvalid, capitalize(h.Ignored)+".",
			"Fix "+h.File+": containerd 1.6 needs at least one [host.\"URL\"] table (server alone is not enough), e.g.\nserver = \"https://"+f.t.Registry+"\"\n[host.\"https://"+f.t.Registry+"\"]\n  capabilities = [\"pull\", \"resolve\"]").withSeverity(Warning))
	}
	if sn := cc.ShortName; sn != nil && sn.Error != "" && sn.Mode == "enforcing" {
		out = append(out, newDiagnosis(ShortNameUnresolved, sn.Error+".",
			"Use a fully qualified name: `podman pull REGISTRY/"+sn.Input+"`, REGISTRY the one of the search registries meant.",
			"Or run podman on a terminal, where it asks which registry to use, or set short-name-mode = \"permissive\" in "+f.rep.Config.Containers.SearchFile+", or add an alias:\n[aliases]\n\""+sn.Input+"\" = \"REGISTRY/"+sn.Input+"\""))
	} else if sn := cc.ShortName; sn != nil && sn.Error != "" {
		out = append(out, newDiagnosis(ShortNameUnresolved, sn.Error+".",
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
			out = append(out, newDiagnosis(MirrorFailing,
				fmt.Sprintf("Mirror %s (configured in %s) fails: %s; %s itself answers, so clients fall back to it after trying the mirror, and every pull pays for the failed attempt.", m.Location, m.From, m.Ping.Summary(), f.t.Registry),
				"Fix the mirror, or remove its "+mirrorEntry(m)+" from "+m.From+"."))
		case m.Image == checks.MirrorLacksImage && registryWorks:
			out = append(out, newDiagnosis(MirrorFailing,
				fmt.Sprintf("Mirror %s (configured in %s) answers but has no %s:%s (HEAD %s: %s): clients ask it first and fall back to %s, so the pull works, slower, and not at all once %s is unreachable.",
					m.Location, m.From, m.Repository, ref, m.Manifest.URL, m.Manifest.Outcome(), f.t.Registry, f.t.Registry),
				"Check the mirror's location: registries.conf maps "+f.t.Registry+"/"+f.t.Repository+" to "+strings.TrimPrefix(strings.TrimPrefix(m.Location, "https://"), "http://")+"/"+m.Repository+"; a path in the mirror's location must match how the mirror stores the images.",
				"A pull-through cache (Nexus proxy, Harbor proxy cache, distribution proxy) that lacks the image could not fetch it upstream: check its upstream URL and credentials."))
		case m.Works && !registryWorks && m.Image != checks.MirrorLacksImage:
			has := ""
			if m.Image == checks.MirrorHasImage {
				has = ", and has the image"
			}
			out = append(out, newDiagnosis(MirrorFailing,
				fmt.Sprintf("%s fails, but mirror %s (configured in %s) answers%s: %s pulls through the mirror, while clients without the mirror, and pushes, fail.", f.t.Registry, m.Location, m.From, has, m.Client),
				"Fix the registry itself; the mirror only hides the failure for pulls by clients configured with it."))
		}
	}
	return out
}

// mirrorEntry names the setting that configures a mirror, in its file.
func mirrorEntry(m *checks.MirrorProbe) string {
	switch m.Client {
	case "containerd":
		return "[host.\"" + m.Location + "\"] table"
	case "docker":
		return "\"registry-mirrors\" entry"
	}
	return "[[registry.mirror]] entry"
}

// anonymousRefused reports whether the registry refuses a client that has
// no credentials: the realm refused the anonymous token request, or
// granted no pull, or the registry wants Basic credentials.
func anonymousRefused(f facts) bool {
	if c := f.challenge(); c != nil && c.Scheme == checks.SchemeBasic {
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
		if d.Code == NotLoggedIn {
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
	read, has := "does not read", "it has no credentials"
	if len(without) > 1 {
		read, has = "do not read", "they have no credentials"
	}
	return one(newDiagnosis(NotLoggedIn,
		fmt.Sprintf("%s refuses anonymous access. Credentials for %s are stored in %s, which %s %s, so %s for it.",
			f.t.Registry, f.t.Registry, cc.Creds.Source, strings.Join(without, " and "), read, has),
		loginRemedies(f)...))
}
