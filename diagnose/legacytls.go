package diagnose

import "fmt"

// ruleLegacyTLS: the server refused the clients' handshake but speaks an
// old TLS version or a cipher suite modern clients no longer offer.
func ruleLegacyTLS(f facts) []Diagnosis {
	t := f.tls()
	if t == nil || t.Legacy == nil {
		return nil
	}
	l := t.Legacy
	why := l.Why
	if why == "" {
		why = "the refusal is not explained by the version or the suite alone"
	}
	return one(newDiagnosis(TLSProtocolMismatch,
		fmt.Sprintf("%s refused the handshake clients make (%s), but completes one with %s and %s: %s.", t.Address, t.Error, l.Version, l.CipherSuite, why),
		legacyTLSRemedies()...))
}

func legacyTLSRemedies() []string {
	return []string{
		"Serve TLS 1.2 or 1.3 with ECDHE cipher suites on the registry or the proxy that terminates TLS. nginx: `ssl_protocols TLSv1.2 TLSv1.3;` and drop `ssl_ciphers` entries without ECDHE (`AES128-GCM-SHA256` and the like are RSA key exchange); a load balancer or appliance: choose its modern TLS policy.",
		"A stopgap for docker, containerd and crane built with Go 1.22 or later, against an RSA-key-exchange-only server: `GODEBUG=tlsrsakex=1` in their environment (dockerd: `Environment=GODEBUG=tlsrsakex=1` in a systemd drop-in). podman, skopeo and buildah have no such switch.",
		"See what the server offers: `nmap --script ssl-enum-ciphers -p PORT HOST`, or `openssl s_client -connect HOST:PORT -tls1_2`.",
	}
}
