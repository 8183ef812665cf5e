package checks

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/target"
)

// MirrorProbe is what one configured mirror answered.
type MirrorProbe struct {
	Location string        `json:"location"`
	From     string        `json:"from"`   // the file that configures it
	Client   string        `json:"client"` // who uses it: "podman" (registries.conf) or "docker" (daemon.json)
	Ping     *PingEvidence `json:"ping"`
	Works    bool          `json:"works"`
	// Repository is the target's repository as the client asks the
	// mirror for it (registries.conf can map it under a path).
	Repository string `json:"repository,omitempty"`
	// NotUsed says why clients skip the mirror for this reference.
	NotUsed string `json:"not_used,omitempty"`
	// Manifest is an anonymous HEAD of the reference on the mirror, and
	// Image what it showed: "found", "missing", "needs-login" or "unknown".
	Manifest *Exchange `json:"manifest,omitempty"`
	Image    string    `json:"image,omitempty"`
	// Credentials names the auth file entry used for the mirror; empty
	// when it was asked anonymously.
	Credentials string `json:"credentials,omitempty"`
}

// mirrorCredentials are the stored credentials a client would use for the
// mirror's host, looked up as for any registry.
func mirrorCredentials(ctx context.Context, env *Env, t target.Target) *Credentials {
	// The files podman reads: registries.conf's mirrors are its own.
	cc := &ClientConfig{Clients: []string{"podman"}}
	cc.loadAuth(ctx, t, env.Opts)
	return cc.Creds
}

// Values of MirrorProbe.Image.
const (
	MirrorHasImage     = "found"
	MirrorLacksImage   = "missing"
	MirrorNeedsLogin   = "needs-login"
	mirrorImageUnknown = "unknown"
)

// MirrorsEvidence covers every mirror the clients would try first.
type MirrorsEvidence struct {
	Mirrors []*MirrorProbe `json:"mirrors"`
}

// Mirrors pings the mirrors configured for the registry in registries.conf
// ([[registry.mirror]]) and, for Docker Hub, in daemon.json
// (registry-mirrors), and asks each that answers for the reference. Clients
// try mirrors before the registry, so a broken mirror, or one without the
// image, slows every pull, and a working one can hide a broken registry.
func Mirrors() Check {
	return Check{
		ID:    IDMirrors,
		Title: "mirrors",
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			probes := configuredMirrors(env)
			if len(probes) == 0 {
				return skipped("no mirror configured for " + env.Target.Registry)
			}
			work := make([]func(), len(probes))
			for i, m := range probes {
				work[i] = func() {
					m.Ping = ping(ctx, env, m.Location)
					m.Works = m.Ping.RegistryAPI && (m.Ping.Status == 200 || m.Ping.Status == 401)
					if m.Works && m.NotUsed == "" && m.Repository != "" && env.Target.Reference != "" {
						mirrorManifest(ctx, env, m)
					}
				}
			}
			parallel(work...)
			ev := &MirrorsEvidence{Mirrors: probes}
			var bad, good []string
			for _, m := range probes {
				switch {
				case m.NotUsed != "":
					good = append(good, fmt.Sprintf("%s (not used: %s)", m.Location, m.NotUsed))
				case !m.Works:
					bad = append(bad, fmt.Sprintf("%s (%s)", m.Location, m.Ping.describe()))
				case m.Image == MirrorLacksImage:
					bad = append(bad, fmt.Sprintf("%s (has no %s:%s)", m.Location, m.Repository, env.Target.Reference))
				case m.Image == MirrorHasImage:
					good = append(good, m.Location+" (has the image)")
				default:
					good = append(good, m.Location)
				}
			}
			if len(bad) > 0 {
				return Result{Status: Warn, Evidence: ev, Summary: "mirror failing: " + strings.Join(bad, ", ")}
			}
			return Result{Status: Pass, Evidence: ev, Summary: "mirrors answer: " + strings.Join(good, ", ")}
		},
	}
}

// mirrorManifest asks the mirror for the reference as podman would: with
// the credentials the auth files hold for the mirror's host, if any, else
// anonymously. That tells a mirror without the image from one with it.
func mirrorManifest(ctx context.Context, env *Env, m *MirrorProbe) {
	m.Image = mirrorImageUnknown
	host := strings.TrimPrefix(strings.TrimPrefix(m.Location, "https://"), "http://")
	cr := mirrorCredentials(ctx, env, target.Target{Registry: host, Host: host, Repository: m.Repository})
	if cr != nil {
		m.Credentials = cr.Source + " (key " + cr.Key + ")"
	}
	auth := ""
	if m.Ping.Status == http.StatusUnauthorized {
		ch := m.Ping.Challenge()
		switch {
		case ch.Scheme == SchemeBasic && cr != nil && cr.Password != "":
			auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cr.Username+":"+cr.Password))
		case ch.Scheme == SchemeBearer:
			att := requestToken(ctx, env, &ch, "repository:"+m.Repository+":pull", cr)
			if !att.Obtained {
				m.Image = MirrorNeedsLogin
				return
			}
			auth = "Bearer " + att.token
		default:
			m.Image = MirrorNeedsLogin
			return
		}
	}
	m.Manifest, _ = env.Do(ctx, request{Method: http.MethodHead, URL: m.Location + "/v2/" + m.Repository + "/manifests/" + env.Target.Reference,
		Header: http.Header{"Accept": {ManifestAccept}}, Auth: auth})
	switch m.Manifest.Status {
	case http.StatusOK:
		m.Image = MirrorHasImage
	case http.StatusNotFound:
		m.Image = MirrorLacksImage
	case http.StatusUnauthorized, http.StatusForbidden:
		m.Image = MirrorNeedsLogin
	}
}

// configuredMirrors turns configured mirror locations into base URLs and
// the repository each would be asked for.
func configuredMirrors(env *Env) []*MirrorProbe {
	var out []*MirrorProbe
	cc := env.Config
	t := env.Target
	byDigest := t.IsDigest
	if r := cc.Registry; r != nil {
		for _, m := range r.Mirrors {
			loc := r.MirrorRef(t.Registry+"/"+t.Repository, m.Location)
			host, repo, _ := strings.Cut(loc, "/")
			scheme := "https://"
			if m.Insecure {
				scheme = "http://"
			}
			p := &MirrorProbe{Location: scheme + host, From: r.File, Client: "podman", Repository: repo}
			switch {
			case r.MirrorByDigestOnly && !byDigest:
				p.NotUsed = "mirror-by-digest-only = true, and this reference is a tag"
			case m.PullFromMirror == "digest-only" && !byDigest:
				p.NotUsed = `pull-from-mirror = "digest-only", and this reference is a tag`
			case m.PullFromMirror == "tag-only" && byDigest:
				p.NotUsed = `pull-from-mirror = "tag-only", and this reference is a digest`
			}
			out = append(out, p)
		}
	}
	if h := cc.Containerd; h != nil && slices.Contains(cc.Clients, "containerd") {
		// [host."…"] tables in hosts.toml for other hosts are tried before
		// the registry (containerd remotes/docker/config parseHostsFile).
		for _, e := range h.Mirrors() {
			p := &MirrorProbe{Location: strings.TrimSuffix(e.URL, "/v2"), From: h.File, Client: "containerd", Repository: t.Repository}
			if !e.Resolve && !byDigest {
				p.NotUsed = "its capabilities lack resolve, and this reference is a tag"
			}
			out = append(out, p)
		}
	}
	if d := cc.Docker; d != nil && t.Host == "registry-1.docker.io" {
		for _, m := range d.RegistryMirrors {
			out = append(out, &MirrorProbe{Location: strings.TrimSuffix(m, "/"), From: d.File, Client: "docker", Repository: t.Repository})
		}
	}
	return out
}
