package checks

import (
	"context"
	"crypto/tls"
	"strings"
)

// LegacyTLS is what a handshake that accepts every TLS version and cipher
// suite Go knows got from a server that refused the clients' handshake.
type LegacyTLS struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	// Why says which clients refuse it and since when; "" when neither
	// the version nor the suite explains the refusal.
	Why string `json:"why,omitempty"`
}

// legacyHandshake retries a refused handshake offering TLS 1.0 to 1.3 and
// every cipher suite, insecure ones included, to learn what the server
// does speak. Nothing is sent over the connection; it is closed at once.
func legacyHandshake(ctx context.Context, env *Env, addr, host string) *LegacyTLS {
	var suites []uint16
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		suites = append(suites, c.ID)
	}
	d := tls.Dialer{
		NetDialer: env.Dialer(),
		Config: &tls.Config{
			ServerName:         host,
			InsecureSkipVerify: true, //nolint:gosec // only the version and suite are read
			MinVersion:         tls.VersionTLS10,
			CipherSuites:       suites,
			Certificates:       env.Config.ClientCerts,
		},
	}
	hctx, cancel := context.WithTimeout(ctx, env.StepTimeout())
	defer cancel()
	conn, err := d.DialContext(hctx, "tcp", addr)
	if err != nil {
		return nil
	}
	defer conn.Close()
	st := conn.(*tls.Conn).ConnectionState()
	l := &LegacyTLS{Version: tls.VersionName(st.Version), CipherSuite: tls.CipherSuiteName(st.CipherSuite)}
	switch {
	case st.Version < tls.VersionTLS12:
		l.Why = l.Version + " only: Go clients require TLS 1.2 or later by default since Go 1.18 (docker, containerd, crane, and podman, skopeo and buildah from containers/image 5.29 on)"
	case strings.HasPrefix(l.CipherSuite, "TLS_RSA_"):
		l.Why = "RSA key exchange only (" + l.CipherSuite + "): Go clients dropped it from their defaults in Go 1.22, and podman, skopeo and buildah never offer it"
	case isInsecureSuite(st.CipherSuite):
		l.Why = "an insecure cipher suite only (" + l.CipherSuite + "), which no client offers by default"
	}
	return l
}

func isInsecureSuite(id uint16) bool {
	for _, c := range tls.InsecureCipherSuites() {
		if c.ID == id {
			return true
		}
	}
	return false
}
