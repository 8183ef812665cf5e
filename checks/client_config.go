package checks

import (
	"context"
	"fmt"
	"strings"
)

// ConfigCheck reports what was read from the client's configuration. Its
// evidence is its own copy: env.Config is shared by every check of the run
// and read-only once NewEnv has loaded it. Whether a client is configured
// for plain HTTP is asked here, inside the run, because docker's
// insecure-registries CIDRs need the host's addresses.
func ConfigCheck() Check {
	return Check{
		ID:    IDConfig,
		Title: "client configuration",
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			ev := *env.Config
			cc := &ev
			cc.InsecureOK, cc.InsecureWhy = env.Config.Insecure()
			var parts []string
			if cc.Creds != nil {
				parts = append(parts, fmt.Sprintf("credentials for %s from %s", cc.Creds.Key, cc.Creds.Source))
			} else {
				parts = append(parts, "no stored credentials for "+env.Target.Registry)
			}
			for _, d := range cc.CertDirs {
				if len(d.CAs) > 0 {
					parts = append(parts, fmt.Sprintf("CA from %s", d.Path))
				}
			}
			if cc.Proxy != "" {
				parts = append(parts, "via proxy "+cc.Proxy)
			}
			if !env.Opts.TLSVerify {
				parts = append(parts, "TLS verification off")
			}
			res := Result{Status: Pass, Evidence: cc}
			if len(cc.Problems) > 0 {
				res.Status = Warn
				parts = append([]string{cc.Problems[0].Message}, parts...)
			}
			res.Summary = strings.Join(parts, "; ")
			return res
		},
	}
}
