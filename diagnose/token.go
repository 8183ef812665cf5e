package diagnose

import (
	"fmt"
	"net/http"
)

// ruleTokenAnswer: the realm answers, but with no token. A 404 means the
// realm URL points at no token service; a 200 without `token` or
// `access_token` is a token service that issues nothing, which podman
// turns into an empty bearer token the registry refuses, and containerd
// and crane into "no token" (containers/image getBearerToken,
// containerd remotes/docker/auth ErrNoToken, ggcr bearer.go).
// realmNotFound: the realm answered the client's token request with 404.
func realmNotFound(f facts) bool {
	if tk := f.token(); tk != nil {
		a := tk.ClientAttempt()
		return a != nil && a.Exchange != nil && a.Exchange.Error == "" && a.Exchange.Status == http.StatusNotFound
	}
	return false
}

func ruleTokenAnswer(f facts) []Diagnosis {
	tk := f.token()
	if tk == nil {
		return nil
	}
	a := tk.ClientAttempt()
	if a == nil || a.Exchange == nil || a.Exchange.Error != "" || a.Obtained {
		return nil
	}
	x := a.Exchange
	switch {
	case x.Status == http.StatusNotFound:
		return one(newDiagnosis(TokenRealmMisconfigured,
			fmt.Sprintf("The challenge sends clients to realm %s for tokens, but it answers 404 Not Found (%s %s): no token service is at that URL, and every client fails at the token step.", tk.Realm, x.Method, x.URL),
			"Point the registry's token realm at the token service's real URL: distribution `auth.token.realm`, Harbor `external_url` (the realm is EXTERNAL_URL/service/token), Nexus the Base URL capability (the realm is BASE/v2/token); a reverse proxy must route that path to it.",
			"`curl -i '"+tk.Realm+"?service=...&scope=repository:"+f.t.Repository+":pull'` must answer 200 with a JSON token."))
	case x.Status == http.StatusOK && !x.Malformed:
		return one(newDiagnosis(RegistryMisbehaving,
			fmt.Sprintf("The realm %s answered %s %s with 200, but the JSON holds neither `token` nor `access_token`: podman sends an empty bearer token that the registry refuses, containerd and crane stop with \"no token\".", tk.Realm, x.Method, x.URL),
			"The token service is broken or is not one: check what answers at the realm (a health endpoint or a login page returning JSON), and its logs.",
			"`curl -s '"+tk.Realm+"?service=...&scope=repository:"+f.t.Repository+":pull'` must print {\"token\": \"...\"}."))
	}
	return nil
}
