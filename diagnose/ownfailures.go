package diagnose

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
)

// Failures of one client that no diagnosis names, because they lie in how
// that client alone talks to a working registry.

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
