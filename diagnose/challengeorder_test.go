package diagnose

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
)

// TestChallengeParameterOrder: the challenge's parameters are parsed from
// the header as sent, whatever their order, extra parameters, quoting and
// spacing. Parsing the redacted copy lost them whenever `Bearer service=`
// came first, as the token pattern ate it.
func TestChallengeParameterOrder(t *testing.T) {
	params := func(realm string) []string {
		return []string{`realm="` + realm + `"`, `service="mini"`, `scope="repository:` + miniRepo + `:pull"`}
	}
	perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	type variant struct {
		name      string
		challenge func(realm string) string
	}
	var variants []variant
	for _, p := range perms {
		variants = append(variants, variant{fmt.Sprint("order ", p), func(realm string) string {
			ps := params(realm)
			return "Bearer " + ps[p[0]] + "," + ps[p[1]] + "," + ps[p[2]]
		}})
	}
	variants = append(variants,
		variant{"extra params", func(realm string) string {
			return `Bearer service="mini",charset="UTF-8",realm="` + realm + `",foo=bar,scope="repository:` + miniRepo + `:pull"`
		}},
		variant{"unquoted service, spaces", func(realm string) string {
			return `Bearer  service=mini , scope="repository:` + miniRepo + `:pull",  realm="` + realm + `"`
		}},
		variant{"lower-case scheme, escaped quote", func(realm string) string {
			return `bearer service="m\ini",realm="` + realm + `",scope="repository:` + miniRepo + `:pull"`
		}},
		variant{"a long service first", func(realm string) string {
			return `Bearer service="mini",realm="` + realm + `",scope="repository:` + miniRepo + `:pull"`
		}},
	)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			m := &miniRegistry{challenge: v.challenge, apiHeader: true}
			rep := runMini(t, m)
			wantHealthy(t, rep)
			c, _ := rep.Result(checks.IDAuthChallenge).Evidence.(*checks.Challenge)
			if c == nil || c.Scheme != "bearer" || c.Realm != m.srv.URL+"/token" || c.Service != "mini" || c.Scope != "repository:"+miniRepo+":pull" {
				t.Errorf("challenge %+v, want realm %s/token, service mini and the scope", c, m.srv.URL)
			}
			if len(m.tokenRequests()) == 0 {
				t.Error("the realm was never asked")
			}
		})
	}
}

// TestMultipleChallenges: with Negotiate first and Bearer second, clients
// answer the Bearer one (containers/image setupRequestAuth,
// go-containerregistry pickFromMultipleChallenges).
func TestMultipleChallenges(t *testing.T) {
	m := &miniRegistry{apiHeader: true}
	m.v2 = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Add("WWW-Authenticate", "Negotiate")
		w.Header().Add("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="mini",scope="repository:%s:pull"`, m.srv.URL, miniRepo))
		w.WriteHeader(http.StatusUnauthorized)
	}
	wantHealthy(t, runMini(t, m))
}
