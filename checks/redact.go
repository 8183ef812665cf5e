package checks

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/internal/lazyre"
)

// redactURL removes a password and upload state from a URL before it is shown.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "REDACTED")
		}
	}
	q := c.Query()
	changed := false
	for k := range q {
		if isSecretParam(k) {
			q.Set(k, "REDACTED")
			changed = true
		}
	}
	if changed {
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// secretParams are query parameters that carry credentials: upload state,
// tokens, and the signatures and session tokens of the pre-signed storage
// URLs registries redirect blob downloads to (S3, GCS, Azure SAS, OSS,
// Docker Hub's CDN "verify").
var secretParams = []string{"_state", "token", "access_token", "refresh_token", "password",
	"x-amz-signature", "x-amz-security-token", "x-amz-credential", "x-goog-signature", "x-goog-credential",
	"x-oss-signature", "signature", "sig", "verify"}

func isSecretParam(k string) bool { return slices.Contains(secretParams, strings.ToLower(k)) }

func redactURLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return redactURL(u)
}

var (
	secretJSONField = lazyre.New(`(?i)"(token|access_token|refresh_token|password|auth|identitytoken|secret)"\s*:\s*"[^"]*"`)
	jwtLike         = lazyre.New(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	basicOrBearer   = lazyre.New(`(?i)(basic|bearer)\s+[A-Za-z0-9+/=._-]{8,}`)
	// secretQuery and userinfoPassword catch URLs inside text (Link
	// headers, HTML pages, error messages).
	secretQuery      = lazyre.New(`(?i)([?&;](?:` + strings.Join(secretParams, "|") + `)=)[^&\s"'<>#]*`)
	userinfoPassword = lazyre.New(`(://[^/\s:@]*:)[^@\s/]*@`)
)

// RedactText removes tokens, passwords and pre-signed URL signatures from
// text a person wrote or pasted, such as an error given to explain. Unlike
// server text, prose says "bearer response" and "basic authentication":
// a word of letters only is kept unless it is long enough to be a token.
func RedactText(s string) string {
	s = secretJSONField().ReplaceAllString(s, `"$1":"REDACTED"`)
	s = jwtLike().ReplaceAllString(s, "REDACTED-JWT")
	s = basicOrBearer().ReplaceAllStringFunc(s, func(m string) string {
		f := strings.Fields(m) // the scheme, then the token
		if len(f) == 2 && len(f[1]) < 20 && strings.Trim(f[1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
			return m
		}
		return f[0] + " REDACTED"
	})
	s = secretQuery().ReplaceAllString(s, "${1}REDACTED")
	return userinfoPassword().ReplaceAllString(s, "${1}REDACTED@")
}

// redactBody removes tokens and passwords from text taken from a server or
// a config file.
func redactBody(s string) string {
	return redactSecrets(secretJSONField().ReplaceAllString(s, `"$1":"REDACTED"`))
}

// redactSecrets is redactBody without the JSON fields.
func redactSecrets(s string) string {
	return redactURLSecrets(basicOrBearer().ReplaceAllString(jwtLike().ReplaceAllString(s, "REDACTED-JWT"), "$1 REDACTED"))
}

// redactURLSecrets removes JWTs, and the secret query parameters and
// passwords of URLs, from text.
func redactURLSecrets(s string) string {
	s = jwtLike().ReplaceAllString(s, "REDACTED-JWT")
	s = secretQuery().ReplaceAllString(s, "${1}REDACTED")
	return userinfoPassword().ReplaceAllString(s, "${1}REDACTED@")
}

var (
	// challengeToken68 is a scheme followed by a token68 (RFC 7235) where
	// auth-params belong: a credential, not a challenge.
	challengeToken68 = lazyre.New(`(?i)(^|,)(\s*[A-Za-z][A-Za-z0-9_-]*\s+)[A-Za-z0-9._~+/-]+=*\s*(,|$)`)
	// challengeSecretParam is an auth-param whose name says it holds a
	// secret; only where a parameter starts, not inside a quoted URL.
	challengeSecretParam = lazyre.New(`(?i)((?:^|[,\s])(?:` + strings.Join(challengeSecretNames, "|") + `))(\s*=\s*)("(?:[^"\\]|\\.)*"|[^,\s]*)`)
)

// challengeSecretNames are auth-param names that say they hold a secret.
var challengeSecretNames = []string{"token", "access_token", "refresh_token", "password", "secret", "signature", "sig"}

// redactChallenge redacts a WWW-Authenticate value for output. A
// challenge holds no credential of the user's, and its parameters (realm,
// service, scope) are the evidence, so the Authorization pattern, which
// reads `Bearer service=` as a token, is not applied; only what is secret
// inside it goes: a token68 in place of the parameters, a parameter named
// like a secret, and the secrets of the URLs in it (a token in the realm's
// query, a password in its userinfo).
func redactChallenge(v string) string {
	v = challengeToken68().ReplaceAllString(v, "${1}${2}REDACTED${3}")
	v = challengeSecretParam().ReplaceAllString(v, `${1}${2}"REDACTED"`)
	return redactURLSecrets(v)
}

// redactHeader redacts one response header value for output.
func redactHeader(k, v string) string {
	switch {
	case strings.EqualFold(k, "WWW-Authenticate"), strings.EqualFold(k, "Proxy-Authenticate"):
		return redactChallenge(v)
	case strings.EqualFold(k, "Location"), strings.EqualFold(k, "Content-Location"):
		if u, err := url.Parse(v); err == nil {
			return redactURL(u)
		}
	}
	return redactBody(v)
}

// redactError strips URLs' secrets from error text (Go's url.Error embeds the URL).
func redactError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %q: %s", ue.Op, redactURLString(ue.URL), redactBody(ue.Err.Error()))
	}
	return redactBody(err.Error())
}
