package checks

import (
	"context"
	"net/http"
)

// PingHTTPS is the first request of every client: GET https://HOST/v2/.
func PingHTTPS() Check {
	return Check{
		ID:    IDPingHTTPS,
		Title: "GET /v2/ over HTTPS",
		Needs: []string{IDDNS},
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			p := ping(ctx, env, "https://"+env.Target.Host)
			res := Result{Evidence: p, Summary: p.describe(), Status: Fail}
			switch {
			case p.RegistryAPI && (p.Status == http.StatusOK || p.Status == http.StatusUnauthorized):
				res.Status = Pass
			case p.ErrorKind == KindHTTPToHTTPS && !env.Opts.TLSVerify:
				// The user chose plain HTTP, as skopeo --tls-verify=false does.
				res.Status, res.Summary = Skip, "plain HTTP only, accepted with --tls-verify=false"
			}
			return res
		},
	}
}
