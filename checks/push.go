package checks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// pushProbeSize is large enough to trip nginx's default 1 MiB
// client_max_body_size, small enough to be quick.
const pushProbeSize = 4 << 20

// PushEvidence records the upload probe. Nothing is ever committed: the
// upload is cancelled with DELETE.
type PushEvidence struct {
	Token  *TokenEvidence `json:"token,omitempty"`
	Start  *Exchange      `json:"start,omitempty"`
	Patch  *Exchange      `json:"patch,omitempty"`
	Cancel *Exchange      `json:"cancel,omitempty"`
	Bytes  int            `json:"bytes"`
}

// Push is opt-in (--push-check): it starts a blob upload, sends a few MiB,
// and cancels it.
func Push() Check {
	return Check{
		ID:    IDPush,
		Title: "push probe",
		Needs: []string{IDAuthChallenge},
		Uses:  []string{IDAuthChallenge, IDToken},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			if !env.Opts.PushCheck {
				return skipped("not requested (--push-check)")
			}
			if env.Target.Repository == "" {
				return skipped("no repository given")
			}
			c := deps.Get(IDAuthChallenge).Data.(*Challenge)
			ev := &PushEvidence{Bytes: pushProbeSize}
			auth, why := Authorization(env, deps)
			if c.Scheme == SchemeBearer {
				ev.Token = FetchTokens(ctx, env, c, "repository:"+env.Target.Repository+":pull,push")
				att := ev.Token.ClientAttempt()
				if !att.Obtained {
					return Result{Status: Fail, Evidence: ev, Summary: "no push token: " + statusOrError(att.Exchange)}
				}
				auth, why = "Bearer "+att.token, ""
			}
			if why != "" {
				return skipped(why)
			}
			start := c.Endpoint + "/v2/" + env.Target.Repository + "/blobs/uploads/"
			ev.Start, _ = env.Do(ctx, request{Method: http.MethodPost, URL: start, Auth: auth, Body: []byte{}})
			if ev.Start.Status != http.StatusAccepted {
				return Result{Status: Fail, Evidence: ev, Summary: "starting an upload: " + exchangeOutcome(ev.Start)}
			}
			loc, err := resolveLocation(start, ev.Start.Header("Location"))
			if err != nil {
				return Result{Status: Fail, Evidence: ev, Summary: "upload Location: " + err.Error()}
			}
			ev.Patch, _ = env.Do(ctx, request{Method: http.MethodPatch, URL: loc, Auth: auth, Body: make([]byte, pushProbeSize),
				Header: http.Header{"Content-Type": {"application/octet-stream"}}})
			// Always cancel, even when the PATCH failed, so no upload is left behind.
			ev.Cancel, _ = env.Do(ctx, request{Method: http.MethodDelete, URL: loc, Auth: auth})
			if ev.Patch.Status != http.StatusAccepted && ev.Patch.Status != http.StatusNoContent {
				return Result{Status: Fail, Evidence: ev, Summary: fmt.Sprintf("uploading %d MiB: %s", pushProbeSize>>20, exchangeOutcome(ev.Patch))}
			}
			return Result{Status: Pass, Evidence: ev, Summary: fmt.Sprintf("upload of %d MiB accepted and cancelled", pushProbeSize>>20)}
		},
	}
}

// resolveLocation reads the raw Location header (the recorded one is
// redacted) relative to the upload URL, refusing other hosts.
func resolveLocation(start, loc string) (string, error) {
	if loc == "" {
		return "", fmt.Errorf("the registry sent no Location")
	}
	base, _ := url.Parse(start)
	u, err := base.Parse(loc)
	if err != nil {
		// url's error quotes the URL, upload state and all.
		return "", fmt.Errorf("unparseable Location: %s", redactError(err))
	}
	if u.Host != base.Host {
		return "", fmt.Errorf("the upload moved to another host, %s; not following with credentials", u.Host)
	}
	return u.String(), nil
}
