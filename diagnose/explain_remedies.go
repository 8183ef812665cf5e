package diagnose

import (
	"net"
	"strings"

	"github.com/regdoctor/regdoctor/target"
)

// What explain tells the user to do, and the check that confirms it.

func checkCommand(code Code, tg found, g groups, push bool) string {
	cmd := "regdoctor check"
	if flags := entryOf(code).checkFlags; flags != nil {
		if fl := flags(fixArgs{t: tg.t, g: g, push: push}); fl != "" {
			cmd += " " + fl
		}
	}
	if tg.ok {
		return cmd + " " + tg.arg
	}
	return cmd + " REGISTRY/REPOSITORY:TAG"
}

// flags is a code's checkFlags when they never vary.
func flags(s string) func(fixArgs) string { return func(fixArgs) string { return s } }

// platformFlags asks for the platform the message named.
func platformFlags(a fixArgs) string {
	if p := platformOf(a.g); p != "" {
		return "--platform " + p
	}
	return ""
}

// pushFlags: a denied push is confirmed by the push check.
func pushFlags(a fixArgs) string {
	if a.push {
		return "--push-check"
	}
	return ""
}

// fixArgs is what a generic fix names: the registry (t, from the run or
// the pasted text, else placeholders), the named parts of the message or
// of the evidence (g: host, file, mirror, realm, storage, platform), and
// whether a push failed.
type fixArgs struct {
	t    target.Target
	g    groups
	push bool
}

// dnsHost is the host that did not resolve: the message's, else the
// registry's.
func (a fixArgs) dnsHost() string {
	h := a.g["host"]
	if h == "" {
		return a.t.Hostname()
	}
	if hh, _, err := net.SplitHostPort(h); err == nil {
		return hh
	}
	return strings.Trim(h, "[]")
}

// facts is a run that found nothing: the fixes that share a rule's own
// remedy (TLS, login) read it and fall back to their generic text.
func (a fixArgs) facts() facts { return facts{rep: &Report{Target: a.t}, t: a.t} }

// fixOf is code's generic fix for what a run found.
func fixOf(code Code, a fixArgs) []string { return entryOf(code).fix(a) }

// explainRemediation is the generic fix for a code, with the registry the
// text names (or placeholders).
func explainRemediation(code Code, t target.Target, g groups, push bool) []string {
	if fix := entryOf(code).fix; fix != nil {
		return fix(fixArgs{t: t, g: g, push: push})
	}
	return []string{"Read `regdoctor docs " + string(code) + "`."}
}

func portOr443(t target.Target) string {
	if p := t.Port(); p != "" {
		return p
	}
	return "443"
}

func isDockerHub(t target.Target) bool {
	switch t.Host {
	case "registry-1.docker.io", "index.docker.io", "docker.io":
		return true
	}
	return false
}

func imageRef(t target.Target) string {
	if t.Repository == "" {
		return t.Registry + "/REPOSITORY:TAG"
	}
	return t.ImageRef()
}
