package checks

import (
	"context"
	"fmt"
	"strings"
)

// ConfigCheck reports what was read from the client's configuration.
func ConfigCheck() Check {
	return Check{
		ID:    IDConfig,
		Title: "client configuration",
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			cc := env.Config
			cc.InsecureOK, cc.InsecureWhy = cc.Insecure()
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
