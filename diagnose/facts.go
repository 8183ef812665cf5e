package diagnose

import (
	"net/http"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// facts gives rules typed access to the evidence of one run.
type facts struct {
	rep *Report
	t   target.Target
}

func (f facts) res(id string) *checks.Result { return f.rep.Result(id) }

// evidence returns check id's evidence as T, or T's zero value when the
// check did not run or recorded something else (a skip, a timeout).
func evidence[T any](f facts, id string) T {
	ev, _ := f.res(id).Evidence.(T)
	return ev
}

func (f facts) dns() *checks.DNSEvidence { return evidence[*checks.DNSEvidence](f, checks.IDDNS) }
func (f facts) tcp() *checks.TCPEvidence { return evidence[*checks.TCPEvidence](f, checks.IDTCP) }
func (f facts) tls() *checks.TLSEvidence { return evidence[*checks.TLSEvidence](f, checks.IDTLS) }
func (f facts) https() *checks.PingEvidence {
	return evidence[*checks.PingEvidence](f, checks.IDPingHTTPS)
}
func (f facts) http() *checks.PingEvidence {
	return evidence[*checks.PingEvidence](f, checks.IDPingHTTP)
}
func (f facts) challenge() *checks.Challenge {
	return evidence[*checks.Challenge](f, checks.IDAuthChallenge)
}
func (f facts) blob() *checks.BlobEvidence { return evidence[*checks.BlobEvidence](f, checks.IDBlob) }
func (f facts) layers() *checks.LayersEvidence {
	return evidence[*checks.LayersEvidence](f, checks.IDLayers)
}

// failedLayer is the first layer that failed, or nil.
func (f facts) failedLayer() *checks.LayerProbe {
	if ev := f.layers(); ev != nil {
		for _, l := range ev.Layers {
			if l.Get != nil && l.Failed() {
				return l
			}
		}
	}
	return nil
}
func (f facts) realm() *checks.RealmEvidence {
	return evidence[*checks.RealmEvidence](f, checks.IDTokenRealm)
}

// token is the token evidence: from the token check, or from the manifest
// check when only the repository challenged.
func (f facts) token() *checks.TokenEvidence {
	if tk := evidence[*checks.TokenEvidence](f, checks.IDToken); tk != nil {
		return tk
	}
	if m := f.manifest(); m != nil {
		return m.Token
	}
	return nil
}
func (f facts) manifest() *checks.ManifestEvidence {
	return evidence[*checks.ManifestEvidence](f, checks.IDManifest)
}
func (f facts) push() *checks.PushEvidence { return evidence[*checks.PushEvidence](f, checks.IDPush) }
func (f facts) mirrors() *checks.MirrorsEvidence {
	return evidence[*checks.MirrorsEvidence](f, checks.IDMirrors)
}

func (f facts) tags() (*checks.TagsEvidence, *checks.TagList) {
	ev, _ := f.res(checks.IDTags).Evidence.(*checks.TagsEvidence)
	if ev == nil {
		return nil, nil
	}
	return ev, ev.All
}

// endpoint is the base URL the pull goes to, as the pings chose it.
func (f facts) endpoint() (checks.Endpoint, bool) {
	return checks.ChooseEndpoint(f.res(checks.IDPingHTTPS), f.res(checks.IDPingHTTP))
}

func (f facts) creds() *checks.Credentials { return f.rep.Config.Creds }

// exchanges lists every HTTP exchange of the run that a pull makes, for
// rules that look across layers (rate limits, malformed bodies); each
// evidence type says which of its exchanges those are (checks.Exchanger).
func (f facts) exchanges() []*checks.Exchange { return checks.Exchanges(f.rep.Results) }

// denied reports an authorization failure on a registry request. A
// request whose credentials were withheld, or whose token the registry
// found invalid, says nothing about the user's login or rights.
func denied(x *checks.Exchange) bool {
	return x != nil && x.Withheld == "" && !rejectedToken(x) && (x.Status == http.StatusUnauthorized || x.Status == http.StatusForbidden)
}

// manifestDenied: the registry refused the manifest as unauthorised.
func (f facts) manifestDenied() bool {
	m := f.manifest()
	return m != nil && m.Get != nil && (denied(m.Get) || m.Get.HasCode(checks.ErrCodeDenied))
}
