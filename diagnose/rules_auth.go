package diagnose

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// Rules for authentication: the realm, the token (token.go), credentials,
// clocks.

var authRules = []rule{ruleRealm, ruleRealmUnreachable, ruleTokenAnswer, ruleAuth, ruleClockSkew}

func ruleRealm(f facts) []Diagnosis {
	ev := f.realm()
	if ev == nil {
		return nil
	}
	rem := []string{
		"The realm comes from the registry's configuration: distribution `auth.token.realm`, Harbor `external_url`, Nexus the Base URL capability (System → Capabilities → Base URL) and the X-Forwarded-* headers your reverse proxy sets.",
	}
	if f.rep.Product.Name == "Nexus" {
		rem = append(rem, "Nexus 3.77 can send a realm with a \"null\" scheme: set the Base URL capability to the external https URL, or upgrade.")
	}
	switch {
	case len(ev.Problems) > 0:
		return one(newDiagnosis(TokenRealmMisconfigured, fmt.Sprintf("The challenge names realm %q: %s.", ev.Realm, strings.Join(ev.Problems, "; ")), rem...))
	case len(ev.Warnings) > 0:
		return one(newDiagnosis(TokenRealmMisconfigured, fmt.Sprintf("Realm %q: %s.", ev.Realm, strings.Join(ev.Warnings, "; ")), rem...).withSeverity(Warning))
	case len(ev.Notes) > 0:
		return one(newDiagnosis(TokenRealmMisconfigured, fmt.Sprintf("Realm %q: %s. podman, skopeo and docker accept it.", ev.Realm, strings.Join(ev.Notes, "; ")), rem...).withSeverity(Info))
	}
	return nil
}

func ruleRealmUnreachable(f facts) []Diagnosis {
	tk := f.token()
	if tk == nil {
		return nil
	}
	a := tk.ClientAttempt()
	if a == nil || a.Exchange == nil || a.Exchange.Error == "" {
		return nil
	}
	x := a.Exchange
	switch x.ErrorKind {
	case checks.KindDNS, checks.KindRefused, checks.KindConnectTimeout, checks.KindNoResponse, checks.KindUnknownCA,
		checks.KindCertExpired, checks.KindHostname, checks.KindHTTPToHTTPS, checks.KindProxy, checks.KindTLS, checks.KindReset:
	default:
		return nil
	}
	probe := ""
	if p := tk.RealmProbe; p != nil {
		if why := p.Failure(); why != "" {
			probe = " Probing the realm host on its own: " + why + "."
		}
	}
	return one(newDiagnosis(TokenRealmUnreachable,
		fmt.Sprintf("The registry sends clients to realm %s for tokens, but it cannot be reached: %s (%s). The registry itself answers, so only the token step fails.%s", tk.Realm, x.Error, x.ErrorKind, probe),
		fixOf(TokenRealmUnreachable, fixArgs{t: f.t, g: groups{"realm": tk.Realm}})...))
}

func realmHost(realm string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(realm, "https://"), "http://")
	h, _, _ := strings.Cut(s, "/")
	return h
}

// ruleAuth separates "not logged in", "bad credentials" and "no rights".
func ruleAuth(f facts) []Diagnosis {
	c := f.challenge()
	if c == nil {
		return nil
	}
	cr := f.creds()
	tk := f.token()
	m := f.manifest()
	manifestDenied := f.manifestDenied()
	switch {
	case cr == nil:
		anonRefused := tk != nil && tk.Anonymous != nil && tk.Anonymous.Exchange != nil && denied(tk.Anonymous.Exchange)
		if !anonRefused && !manifestDenied {
			return nil
		}
		where := "the registry"
		x := (*checks.Exchange)(nil)
		if anonRefused {
			x = tk.Anonymous.Exchange
			where = "the token realm " + tk.Realm
		} else {
			x = m.Get
		}
		return one(newDiagnosis(NotLoggedIn,
			fmt.Sprintf("%s answered %d %s to an anonymous request, and no credentials for %s are stored in any of: %s.",
				capitalize(where), x.Status, http.StatusText(x.Status), f.t.Registry, authFileList(f)),
			loginRemedies(f)...))
	case tk != nil && tk.Credentials != nil && tk.Credentials.Exchange != nil && tk.Credentials.Exchange.Status == http.StatusUnauthorized,
		c.Scheme == checks.SchemeBasic && m != nil && m.Get != nil && m.Get.Status == http.StatusUnauthorized && m.Get.Auth != "":
		var first []string
		if strings.HasPrefix(cr.Username, "robot") && !strings.Contains(cr.Username, "$") {
			// `docker login -u robot$ci` in a shell logs in as "robot".
			first = append(first, fmt.Sprintf("Harbor robot accounts are named robot$NAME (robot$PROJECT+NAME); the stored user %q has no $, the mark of a shell that expanded $NAME: log in again with the name in single quotes, `podman login -u 'robot$NAME' %s`.", cr.Username, f.t.Registry))
		}
		return one(newDiagnosis(BadCredentials,
			fmt.Sprintf("The credentials for %q stored in %s (user %q) are refused with 401.", cr.Key, cr.Source, cr.Username),
			append(first, fixOf(BadCredentials, fixArgs{t: f.t, g: groups{"file": cr.Source}})...)...))
	case manifestDenied || (tk != nil && tk.Credentials != nil && tk.Credentials.Exchange != nil && tk.Credentials.Exchange.Status == http.StatusForbidden) ||
		(tk != nil && tk.Credentials != nil && tk.Credentials.Claims != nil && f.t.Repository != "" && !tk.Credentials.Claims.Grants(f.t.Repository, "pull")):
		detail := fmt.Sprintf("The credentials from %s (user %q) are accepted, but grant no pull on %s", cr.Source, cr.Username, f.t.Repository)
		if m != nil && m.Get != nil && m.Get.Status != 0 {
			detail += fmt.Sprintf(": the manifest request got %d", m.Get.Status)
		}
		return one(newDiagnosis(AccessDenied, detail+".", fixOf(AccessDenied, fixArgs{t: f.t, g: groups{"user": cr.Username}})...))
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func authFileList(f facts) string {
	var paths []string
	for _, a := range f.rep.Config.AuthFiles {
		paths = append(paths, a.Path)
	}
	if len(paths) == 0 {
		return "no auth file (HOME is unset, so the clients have no default one)"
	}
	return strings.Join(paths, ", ")
}

func loginRemedies(f facts) []string {
	reg := f.t.Registry
	rem := []string{
		"podman / skopeo / buildah: `podman login " + reg + "` — stored in ${XDG_RUNTIME_DIR}/containers/auth.json (/run/user/UID/containers/auth.json), which is lost at reboot; use `--authfile ~/.config/containers/auth.json` to keep it.",
		"docker: `docker login " + reg + "` — stored in ~/.docker/config.json (or its credsStore).",
		"CI: mount an auth file and point REGISTRY_AUTH_FILE (podman) or DOCKER_CONFIG (docker) at it.",
	}
	if f.rep.Product.Name == "Nexus" {
		rem = append(rem, "If anonymous pulls are intended, in Nexus: Security → Realms → activate \"Docker Bearer Token Realm\"; Security → Anonymous Access → allow; tick \"Allow anonymous docker pull\" on the docker repository; and give the anonymous user read on it (nx-repository-view-docker-*-read/browse).")
	}
	return rem
}

func ruleClockSkew(f facts) []Diagnosis {
	tk := f.token()
	if tk == nil {
		return nil
	}
	a := tk.ClientAttempt()
	if a == nil || a.Claims == nil {
		return nil
	}
	now := f.rep.Started
	const tolerance = time.Minute
	var problems []string
	if a.Claims.NotBefore != nil && a.Claims.NotBefore.After(now.Add(tolerance)) {
		problems = append(problems, fmt.Sprintf("nbf %s is %s ahead of the local clock", a.Claims.NotBefore.Format(time.RFC3339), a.Claims.NotBefore.Sub(now).Round(time.Second)))
	}
	if a.Claims.IssuedAt != nil && a.Claims.IssuedAt.After(now.Add(tolerance)) {
		problems = append(problems, fmt.Sprintf("iat %s is %s ahead of the local clock", a.Claims.IssuedAt.Format(time.RFC3339), a.Claims.IssuedAt.Sub(now).Round(time.Second)))
	}
	if a.Claims.ExpiresAt != nil && a.Claims.ExpiresAt.Before(now) {
		problems = append(problems, fmt.Sprintf("exp %s has already passed by the local clock", a.Claims.ExpiresAt.Format(time.RFC3339)))
	}
	if len(problems) == 0 {
		return nil
	}
	detail := "The token's validity window disagrees with this machine's clock: " + strings.Join(problems, "; ") + "."
	if skew, ok := serverClockSkew(f); ok {
		if skew > tolerance || skew < -tolerance {
			detail += fmt.Sprintf(" The registry's Date header is %s away from the local clock, so this machine's clock (or the registry's) is off.", skew.Round(time.Second))
		} else {
			detail += " The registry's Date header agrees with the local clock, so the token server's clock is off."
		}
	}
	return one(newDiagnosis(ClockSkew, detail,
		fixOf(ClockSkew, fixArgs{t: f.t})...))
}
