package checks

import "net/url"

// CredentialsAllowed is the one decision on whether a request to rawURL
// may carry the stored credentials (as Basic, or in a token request), made
// the way the judged client makes it: credentials go only where the client
// itself would send them. viaPlainHTTP says the registry's challenge came
// over plain HTTP, which a client with TLS verification on never reads: it
// stops at the HTTPS failure, so it never meets that realm at all, even an
// https one. Redirects to another origin drop credentials separately
// (followRedirect). It returns why when they may not go.
func CredentialsAllowed(env *Env, rawURL string, viaPlainHTTP bool) (bool, string) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return false, "the URL does not parse"
	}
	if !env.Opts.TLSVerify {
		return true, "" // the user asked, as with skopeo --tls-verify=false
	}
	if insecure, _ := env.Config.Insecure(); insecure {
		// A judged client treats the registry as insecure, which is what
		// makes it use plain HTTP (and read its challenge) at all.
		return true, ""
	}
	switch {
	case viaPlainHTTP:
		return false, "the challenge came over plain HTTP, which clients do not use for this registry with TLS verification on (--tls-verify=false, or insecure = true in registries.conf, would let them)"
	case u.Scheme != "https":
		return false, "plain HTTP with TLS verification on: credentials go over plain HTTP only with --tls-verify=false or when a judged client is configured to treat the host as insecure"
	}
	return true, ""
}
