package checks

import (
	"context"
	"fmt"
	"strings"
)

// MirrorProbe is the /v2/ answer of one configured mirror.
type MirrorProbe struct {
	Location string        `json:"location"`
	From     string        `json:"from"` // the file that configures it
	Ping     *PingEvidence `json:"ping"`
	Works    bool          `json:"works"`
}

// MirrorsEvidence covers every mirror the clients would try first.
type MirrorsEvidence struct {
	Mirrors []*MirrorProbe `json:"mirrors"`
}

// Mirrors pings the mirrors configured for the registry in registries.conf
// ([[registry.mirror]]) and, for Docker Hub, in daemon.json
// (registry-mirrors). Clients try mirrors before the registry, so a broken
// mirror slows every pull and a working one can hide a broken registry.
func Mirrors() Check {
	return Check{
		ID:    IDMirrors,
		Title: "mirrors",
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			probes := configuredMirrors(env)
			if len(probes) == 0 {
				return skipped("no mirror configured for " + env.Target.Registry)
			}
			pings := make([]func(), len(probes))
			for i, m := range probes {
				pings[i] = func() {
					m.Ping = ping(ctx, env, m.Location)
					m.Works = m.Ping.RegistryAPI && (m.Ping.Status == 200 || m.Ping.Status == 401)
				}
			}
			parallel(pings...)
			ev := &MirrorsEvidence{Mirrors: probes}
			var bad, good []string
			for _, m := range probes {
				if m.Works {
					good = append(good, m.Location)
				} else {
					bad = append(bad, fmt.Sprintf("%s (%s)", m.Location, m.Ping.describe()))
				}
			}
			if len(bad) > 0 {
				return Result{Status: Warn, Evidence: ev, Summary: "mirror failing: " + strings.Join(bad, ", ")}
			}
			return Result{Status: Pass, Evidence: ev, Summary: "mirrors answer: " + strings.Join(good, ", ")}
		},
	}
}

// configuredMirrors turns configured mirror locations into base URLs.
func configuredMirrors(env *Env) []*MirrorProbe {
	var out []*MirrorProbe
	cc := env.Config
	if r := cc.Registry; r != nil {
		for _, m := range r.Mirrors {
			host, _, _ := strings.Cut(m.Location, "/")
			scheme := "https://"
			if m.Insecure {
				scheme = "http://"
			}
			out = append(out, &MirrorProbe{Location: scheme + host, From: r.File})
		}
	}
	if d := cc.Docker; d != nil && env.Target.Host == "registry-1.docker.io" {
		for _, m := range d.RegistryMirrors {
			out = append(out, &MirrorProbe{Location: strings.TrimSuffix(m, "/"), From: d.File})
		}
	}
	return out
}
