package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// IDContainerdAuth is the check of containerd's own token request.
const IDContainerdAuth = "containerd-token"

// ContainerdAuthEvidence is how the realm answered containerd's request.
type ContainerdAuthEvidence struct {
	Realm    string    `json:"realm"`
	Exchange *Exchange `json:"exchange"`
	// FallsBack: containerd then asks again by GET, as the token check did.
	FallsBack bool `json:"falls_back_to_get,omitempty"`
	// Fails says why containerd gets no token; "" when it gets one or
	// falls back.
	Fails string `json:"fails,omitempty"`
}

// ContainerdAuth asks the token realm as containerd does when it has a
// username and password: an OAuth2 password grant by POST (containerd 1.6
// remotes/docker/authorizer.go doBearerAuth → auth.FetchTokenWithOAuth,
// client_id containerd-client). It falls back to the GET the token check
// makes only on 405 (with a username), 404, 401 and 400; any other
// refusal, a 403 among them, fails the pull ("failed to fetch oauth
// token: unexpected status …"), and so does a 2xx without access_token
// (ErrNoToken). Other clients never POST a password. The check runs only
// when containerd is judged and has stored credentials.
func ContainerdAuth() Check {
	return Check{
		ID:    IDContainerdAuth,
		Title: "containerd's OAuth token request",
		Needs: []string{IDAuthChallenge},
		Uses:  []string{IDAuthChallenge, IDTokenRealm},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			cc := env.Config
			if !cc.Judges("containerd") {
				return skipped("not needed: containerd is not judged")
			}
			c, _ := deps.Get(IDAuthChallenge).Data.(*Challenge)
			if c == nil || c.Scheme != SchemeBearer {
				return skipped("not needed: no bearer challenge")
			}
			if r := deps.Get(IDTokenRealm); r.Status == Fail {
				return skipped("the realm URL is malformed (see token-realm)")
			}
			cr := cc.CredsFor("containerd")
			if cr == nil || cr.Username == "" || cr.Password == "" {
				return skipped("not needed: containerd has no stored username and password, so it asks the realm by GET")
			}
			if ok, why := CredentialsAllowed(env, c.Realm, c.PlainHTTP); !ok {
				return skipped("credentials not sent: " + why)
			}
			form := url.Values{"service": {c.Service}, "client_id": {"containerd-client"},
				"grant_type": {"password"}, "username": {cr.Username}, "password": {cr.Password}}
			if env.Target.Repository != "" {
				form.Set("scope", "repository:"+env.Target.Repository+":pull")
			}
			x, body := env.Do(ctx, request{Method: http.MethodPost, URL: c.Realm, Body: []byte(form.Encode()), Limit: 256 << 10,
				Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}})
			ev := &ContainerdAuthEvidence{Realm: redactURLString(c.Realm), Exchange: x}
			res := Result{Status: Pass, Evidence: ev}
			switch s := x.Status; {
			case s == 0:
				// Not reached: the token check reports the realm's network.
				res.Summary = "realm not reached: " + statusOrError(x)
				return res
			case s >= 200 && s < 400:
				var tr struct {
					AccessToken string `json:"access_token"`
				}
				if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
					ev.Fails = fmt.Sprintf("the realm answered containerd's OAuth POST %d without an access_token, and containerd does not retry by GET (\"failed to fetch oauth token: no token\")", s)
				}
			case s == 405 || s == 404 || s == 401 || s == 400:
				ev.FallsBack = true
			default:
				ev.Fails = fmt.Sprintf("the realm refuses containerd's OAuth POST with %s, which containerd does not retry by GET (\"failed to fetch oauth token: unexpected status from POST request to %s: %s\")", statusOrError(x), ev.Realm, statusOrError(x))
			}
			switch {
			case ev.Fails != "":
				res.Status, res.Summary = Warn, ev.Fails
			case ev.FallsBack:
				res.Summary = fmt.Sprintf("POST answered %s; containerd falls back to GET", statusOrError(x))
			default:
				res.Summary = "containerd gets a token by OAuth POST"
			}
			return res
		},
	}
}
