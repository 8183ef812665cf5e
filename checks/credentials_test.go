package checks

import "testing"

// Every way a request could carry the stored credentials, and whether the
// judged client would send them there.
func TestCredentialsAllowed(t *testing.T) {
	insecure := func() (bool, string) { return true, "insecure = true" }
	for _, c := range []struct {
		name         string
		url          string
		viaPlainHTTP bool
		tlsVerify    bool
		insecure     bool
		want         bool
	}{
		{"https registry, https realm", "https://auth.example.com/token", false, true, false, true},
		{"plain-HTTP challenge naming an https realm on another host", "https://auth.example.com/token", true, true, false, false},
		{"plain-HTTP challenge, registry insecure for a judged client", "https://auth.example.com/token", true, true, true, true},
		{"plain-HTTP challenge, --tls-verify=false", "https://auth.example.com/token", true, false, false, true},
		{"plain-HTTP realm from an https registry", "http://auth.example.com/token", false, true, false, false},
		{"plain-HTTP manifest request", "http://registry.example.com/v2/app/manifests/1", false, true, false, false},
		{"plain-HTTP request, registry insecure", "http://registry.example.com/v2/app/manifests/1", false, true, true, true},
		{"plain-HTTP request, --tls-verify=false", "http://registry.example.com/v2/", false, false, false, true},
		{"a realm that is no URL", "null://", false, true, false, false},
		{"a realm without a host", "https:///token", false, true, false, false},
	} {
		env := &Env{Opts: Options{TLSVerify: c.tlsVerify}, Config: &ClientConfig{}}
		if c.insecure {
			env.Config.insecure = insecure
		}
		ok, why := CredentialsAllowed(env, c.url, c.viaPlainHTTP)
		if ok != c.want || ok != (why == "") {
			t.Errorf("%s: allowed = %v (%q), want %v", c.name, ok, why, c.want)
		}
	}
}
