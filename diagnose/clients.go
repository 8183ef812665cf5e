package diagnose

import (
	"fmt"
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
