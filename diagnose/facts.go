package diagnose

import (
	"net/http"

	"github.com/regdoctor/regdoctor/checks"
)

// facts gives rules typed access to the evidence of one run.
type facts struct {
	rep *Report
	t   checks.Target
}

func (f facts) res(id string) *checks.Result { return f.rep.Result(id) }

func (f facts) dns() *checks.DNSEvidence {
	ev, _ := f.res(checks.IDDNS).Evidence.(*checks.DNSEvidence)
	return ev
}

func (f facts) tcp() *checks.TCPEvidence {
	ev, _ := f.res(checks.IDTCP).Evidence.(*checks.TCPEvidence)
	return ev
}

func (f facts) tls() *checks.TLSEvidence {
	ev, _ := f.res(checks.IDTLS).Evidence.(*checks.TLSEvidence)
	return ev
}

func (f facts) ping(id string) *checks.PingEvidence {
	ev, _ := f.res(id).Evidence.(*checks.PingEvidence)
	return ev
}

func (f facts) https() *checks.PingEvidence { return f.ping(checks.IDPingHTTPS) }
func (f facts) http() *checks.PingEvidence  { return f.ping(checks.IDPingHTTP) }

func (f facts) challenge() *checks.Challenge {
	ev, _ := f.res(checks.IDAuthChallenge).Evidence.(*checks.Challenge)
	return ev
}

func (f facts) realm() *checks.RealmEvidence {
	ev, _ := f.res(checks.IDTokenRealm).Evidence.(*checks.RealmEvidence)
	return ev
}

func (f facts) token() *checks.TokenEvidence {
	ev, _ := f.res(checks.IDToken).Evidence.(*checks.TokenEvidence)
	return ev
}

func (f facts) manifest() *checks.ManifestEvidence {
	ev, _ := f.res(checks.IDManifest).Evidence.(*checks.ManifestEvidence)
	return ev
}

func (f facts) tags() (*checks.TagsEvidence, *checks.TagList) {
	r := f.res(checks.IDTags)
	ev, _ := r.Evidence.(*checks.TagsEvidence)
	list, _ := r.Data.(*checks.TagList)
	return ev, list
}

func (f facts) push() *checks.PushEvidence {
	ev, _ := f.res(checks.IDPush).Evidence.(*checks.PushEvidence)
	return ev
}

func (f facts) creds() *checks.Credentials { return f.rep.Config.Creds }

// exchanges lists every HTTP exchange of the run, for rules that look
// across layers (rate limits, malformed bodies).
func (f facts) exchanges() []*checks.Exchange {
	var xs []*checks.Exchange
	add := func(x *checks.Exchange) {
		if x != nil {
			xs = append(xs, x)
		}
	}
	if p := f.https(); p != nil {
		add(p.Exchange)
	}
	if tk := f.token(); tk != nil {
		for _, a := range []*checks.TokenAttempt{tk.Anonymous, tk.Credentials} {
			if a != nil {
				add(a.Exchange)
			}
		}
	}
	if m := f.manifest(); m != nil {
		add(m.Head)
		add(m.Get)
	}
	if tg, _ := f.tags(); tg != nil {
		for _, p := range tg.Pages {
			add(p)
		}
	}
	if p := f.push(); p != nil {
		add(p.Start)
		add(p.Patch)
	}
	return xs
}

// denied reports an authorization failure on a registry request. A
// request whose credentials were withheld, or whose token the registry
// found invalid, says nothing about the user's login or rights.
func denied(x *checks.Exchange) bool {
	return x != nil && x.Withheld == "" && !rejectedToken(x) && (x.Status == http.StatusUnauthorized || x.Status == http.StatusForbidden)
}

func (f facts) mirrors() *checks.MirrorsEvidence {
	ev, _ := f.res(checks.IDMirrors).Evidence.(*checks.MirrorsEvidence)
	return ev
}
