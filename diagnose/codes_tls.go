package diagnose

import "github.com/regdoctor/regdoctor/checks"

// The codes of TLS: plain HTTP where HTTPS is expected, certificates, protocol versions, client certificates.
// Each entry holds what the code is, the generic fix, the check that
// confirms it and how the clients word it; the rules that find it in a
// run are in rules_tls.go.

const (
	PlainHTTPRegistry     Code = "plain-http-registry"
	TLSUnknownAuthority   Code = "tls-unknown-authority"
	TLSCertExpired        Code = "tls-cert-expired"
	TLSHostnameMismatch   Code = "tls-hostname-mismatch"
	TLSProtocolMismatch   Code = "tls-protocol-mismatch"
	TLSClientCertRequired Code = "tls-client-cert-required"
)

var tlsCodes = []Entry{
	{Code: PlainHTTPRegistry, Severity: Error, Layer: LayerTLS,
		Title:   "The registry speaks plain HTTP where the client uses HTTPS",
		lowered: "info under `--tls-verify=false`",
		decides: insecureDecides,
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			return []string{
				"podman, skopeo, buildah: add to /etc/containers/registries.conf (or ~/.config/containers/registries.conf):\n[[registry]]\nlocation = \"" + hp + "\"\ninsecure = true",
				"docker: add to /etc/docker/daemon.json, then `systemctl restart docker`:\n{ \"insecure-registries\": [\"" + hp + "\"] }",
				"containerd: /etc/containerd/certs.d/" + hp + "/hosts.toml:\nserver = \"http://" + hp + "\"\n[host.\"http://" + hp + "\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]",
				"skopeo and crane for a one-off: `--tls-verify=false` / `--insecure`.",
				"Better: serve TLS (a certificate from your CA, or terminate TLS in nginx in front of the registry), then none of the above is needed.",
			}
		},
		messages: []clientMessage{
			msg(PlainHTTPRegistry, clientAnyGo, `server gave HTTP response to HTTPS client`, "server gave HTTP response to HTTPS client"),
			msg(PlainHTTPRegistry, clientAnyGo, `400 The plain HTTP request|The plain HTTP request was sent to HTTPS port|Client sent an HTTP request to an HTTPS server`, "plain HTTP request", "Client sent an HTTP request to an HTTPS server").
				means("The reverse case: the client sent plain HTTP to a port that expects TLS, usually because it is configured for HTTP (containerd hosts.toml server = \"http://...\", an http:// mirror) or fell back to HTTP after HTTPS failed. Use https for this registry and remove the plain-HTTP setting, or fix what made HTTPS fail."),
			msg(PlainHTTPRegistry, clientAnyGo, `tls: first record does not look like a TLS handshake`, "first record does not look like a TLS handshake").
				or(NotARegistry).
				means("The client spoke TLS and the server answered with something else, most often plain HTTP."),
		},
	},
	{Code: TLSUnknownAuthority, Severity: Error, Layer: LayerTLS,
		Title:   "The certificate is signed by an authority the client does not trust",
		decides: authorityDecides,
		fix:     tlsFix(checks.KindUnknownCA),
		messages: []clientMessage{
			msg(TLSUnknownAuthority, clientAnyGo, `x509: certificate signed by unknown authority`, "signed by unknown authority"),
			msg(TLSUnknownAuthority, clientAnyGo, `x509: (?:“[^”]*” )?certificate is not trusted`, "certificate is not trusted"),
		},
	},
	{Code: TLSCertExpired, Severity: Error, Layer: LayerTLS,
		Title:   "The certificate has expired or is not yet valid",
		decides: verifyDecides,
		fix: func(a fixArgs) []string {
			t := a.t
			host := a.t.Hostname()
			return append(tlsFix(checks.KindCertExpired)(a), "See the dates: `echo | openssl s_client -connect "+t.HostPort("https")+" -servername "+host+" 2>/dev/null | openssl x509 -noout -dates`.")
		},
		messages: []clientMessage{
			msg(TLSCertExpired, clientAnyGo, `x509: certificate has expired or is not yet valid(?:: current time \S+ is (?:after|before) \S+)?`, "certificate has expired or is not yet valid").
				means("Either the certificate is outside its validity window, or this machine's clock is wrong."),
		},
	},
	{Code: TLSHostnameMismatch, Severity: Error, Layer: LayerTLS,
		Title:   "The certificate does not name the registry host",
		decides: verifyDecides,
		fix:     tlsFix(checks.KindHostname),
		messages: []clientMessage{
			msg(TLSHostnameMismatch, clientAnyGo, `x509: certificate is valid for [^\n"]*?, not (?P<host>`+pHost+`)|x509: certificate is valid for \d+ (?:IP SANs|names), but none matched (?P<host>`+pHost+`)`, "x509: certificate is valid for"),
			msg(TLSHostnameMismatch, clientAnyGo, `x509: cannot validate certificate for (?P<host>\S+) because it doesn't contain any IP SANs`, "doesn't contain any IP SANs"),
			msg(TLSHostnameMismatch, clientAnyGo, `x509: certificate relies on legacy Common Name field`, "legacy Common Name field"),
			msg(TLSHostnameMismatch, clientAnyGo, `x509: certificate is not valid for any names, but wanted to match (?P<host>`+pHost+`)`, "not valid for any names"),
		},
	},
	{Code: TLSProtocolMismatch, Severity: Error, Layer: LayerTLS,
		Title: "The server offers no TLS version or cipher suite the client accepts",
		fix: func(a fixArgs) []string {
			return legacyTLSRemedies()
		},
		messages: []clientMessage{
			msg(TLSProtocolMismatch, clientAnyGo, `remote error: tls: protocol version not supported|tls: server selected unsupported protocol version [0-9a-f]+`, "protocol version").
				means("The server speaks only TLS versions older than 1.2, which Go clients refuse."),
			msg(TLSProtocolMismatch, clientAnyGo, `remote error: tls: handshake failure`, "handshake failure").
				or(TLSClientCertRequired).
				means("The server accepted none of the cipher suites the client offered (an RSA-key-exchange-only server, for clients built with Go 1.22 or later), or wanted a client certificate over TLS 1.2."),
		},
	},
	{Code: TLSClientCertRequired, Severity: Error, Layer: LayerTLS,
		Title:   "The registry requires a client certificate that the client does not present",
		lowered: "info when every judged client presents the certificate",
		decides: clientCertDecides,
		fix: func(a fixArgs) []string {
			t := a.t
			return clientCertRemedies(t)
		},
		messages: []clientMessage{
			msg(TLSClientCertRequired, clientAnyGo, `remote error: tls: (?:certificate required|bad certificate|unknown certificate authority|expired certificate|revoked certificate|unsupported certificate|unknown certificate)\b`, "remote error: tls:").
				means("The server (or the proxy in front of it) requires a client certificate and got none it accepts; Go clients send a certs.d certificate only when the server names its issuer."),
			msg(TLSClientCertRequired, clientAnyGo, `400 (?:No required SSL certificate was sent|The SSL certificate error)`, "No required SSL certificate was sent", "The SSL certificate error").
				means("nginx in front of the registry has ssl_verify_client on and got no client certificate it accepts."),
			msg(TLSClientCertRequired, clientContainersImage, `pinging container registry `+pHost+`: invalid status code from registry 400 \(Bad Request\)`, "invalid status code from registry 400").
				or(NotARegistry).
				means("A 400 to the very first request, GET /v2/, comes from a proxy in front of the registry; skopeo 1.9 drops nginx's page, which most often says \"No required SSL certificate was sent\"."),
		},
	},
}

// tlsFix is the TLS rule's own remedy for kind, for a run that found
// nothing: the rule and explain share one wording.
func tlsFix(kind checks.ErrKind) func(fixArgs) []string {
	return func(a fixArgs) []string {
		d, _ := tlsDiagnosis(a.facts(), kind, "", nil)
		return d.Remediation
	}
}
