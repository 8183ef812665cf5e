package diagnose

import (
	"fmt"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
)

// Rules for the client side: configuration files and settings.

var configRules = []rule{ruleConfig, ruleClientConfig, ruleMirrors}

func ruleConfig(f facts) []Diagnosis {
	var out []Diagnosis
	for _, p := range f.rep.Config.Problems {
		switch code := problemCode(p.Kind); code {
		case ConfigInvalid:
			out = append(out, newDiagnosis(code, p.Message, fixOf(code, fixArgs{t: f.t, g: groups{"file": p.File, "line": lineSuffix(p.Line)}})...))
		case CredentialHelperFailed:
			out = append(out, newDiagnosis(code, p.Message+".", fixOf(code, fixArgs{t: f.t, g: groups{"file": p.File}})...))
		case CredentialsForOtherHost:
			d := newDiagnosis(code, p.Message, fixOf(code, fixArgs{t: f.t})...)
			if !anonymousRefused(f) && !f.manifestDenied() {
				// The pull works without them: worth knowing, not a warning.
				d = d.withSeverity(Info)
			}
			out = append(out, d)
		case CertsDirInvalid:
			out = append(out, newDiagnosis(code, p.Message, fixOf(code, fixArgs{t: f.t, g: groups{"dir": p.File}})...))
		case ProxyMisconfigured:
			// A warning on its own: the proxy may well reach the host. The
			// ping's proxyconnect failure, when there is one, makes it an error.
			out = append(out, newDiagnosis(code, p.Message+".",
				"Correct HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the environment of the client (and of the podman or docker service).").withSeverity(Warning))
		}
	}
	return out
}

// problemCode is the code a configuration problem is diagnosed as.
func problemCode(k clientconf.ProblemKind) Code {
	switch k {
	case clientconf.HelperFailed:
		return CredentialHelperFailed
	case clientconf.CredentialsElsewhere:
		return CredentialsForOtherHost
	case clientconf.CertsDirBroken:
		return CertsDirInvalid
	case clientconf.ProxyInvalid:
		return ProxyMisconfigured
	}
	return ConfigInvalid // a file that does not parse or is missing, a helper not installed
}

func lineSuffix(n int) string {
	if n > 0 {
		return fmt.Sprintf(" (line %d)", n)
	}
	return ""
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
