package checks

import (
	"context"
	"strings"
)

// PingHTTP always probes GET http://HOST/v2/, so that a registry that
// answers only plain HTTP can be told apart from one that is down. Its
// outcome is a fact, not a fault: it passes whatever it finds, and the
// rules decide what the fact means for the user's client.
func PingHTTP() Check {
	return Check{
		ID:    IDPingHTTP,
		Title: "GET /v2/ over plain HTTP",
		Needs: []string{IDDNS},
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			base := "http://" + env.Target.Host
			if env.Target.Port() == "" {
				base = "http://" + env.Target.Hostname()
			}
			p := ping(ctx, env, base)
			summary := p.describe()
			switch {
			case p.RegistryAPI:
				summary = "plain HTTP: " + summary
			case p.Status == 400 && strings.Contains(strings.ToLower(p.Body), "https"):
				summary = "plain HTTP refused: the port expects HTTPS"
			case p.Error != "":
				summary = "no registry on plain HTTP (" + summary + ")"
			}
			return Result{Status: Pass, Summary: summary, Evidence: p, Neutral: !p.RegistryAPI}
		},
	}
}
