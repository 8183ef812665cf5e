package diagnose

import (
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// Product is the registry software, recognised from what it sent.
type Product struct {
	Name string `json:"name"`
	Hint string `json:"hint,omitempty"` // the evidence that named it
}

// productSigns are matched against the Server header, the realm URL and
// other headers; the first match wins, so specific signs come first.
var productSigns = []struct{ name, where, sign string }{
	{"Nexus", "server", "nexus"},
	{"Nexus", "header", "X-Nexus-Id"},
	{"Artifactory", "header", "X-Jfrog-Version"},
	{"Artifactory", "realm", "/artifactory/api/docker/"},
	{"Artifactory", "server", "artifactory"},
	{"Harbor", "realm", "/service/token"},
	{"Harbor", "header", "X-Harbor-Csrf-Token"},
	{"GitLab", "realm", "/jwt/auth"},
	{"Docker Hub", "realm", "auth.docker.io"},
	{"GHCR", "realm", "ghcr.io/token"},
	{"Quay", "realm", "/v2/auth"},
	{"zot", "server", "zot"},
	{"Nexus", "realm", "/v2/token"},
	{"distribution", "api", "registry/2.0"},
}

// DetectProduct names the registry product, or returns an empty Product.
func DetectProduct(rep *Report) Product {
	f := facts{rep: rep, t: rep.Target}
	var pings []*checks.Exchange
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p != nil && p.Exchange != nil && p.Status != 0 {
			pings = append(pings, p.Exchange)
		}
	}
	realm := ""
	if c := f.challenge(); c != nil {
		realm = c.Realm
	}
	for _, s := range productSigns {
		for _, x := range pings {
			var hay string
			switch s.where {
			case "server":
				hay = strings.ToLower(x.Header("Server"))
			case "header":
				if x.Header(s.sign) != "" {
					return Product{Name: s.name, Hint: s.sign + " header"}
				}
				continue
			case "realm":
				hay = realm
			case "api":
				hay = x.Header("Docker-Distribution-API-Version")
			}
			if hay != "" && strings.Contains(hay, s.sign) {
				return Product{Name: s.name, Hint: s.where + " " + truncateHint(hay)}
			}
		}
	}
	return Product{}
}

func truncateHint(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
