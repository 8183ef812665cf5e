package diagnose

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// clientCertRefusal says how the server refused the connection for want of
// an acceptable client certificate, or "" when it did not.
func (f facts) clientCertRefusal() string {
	if t := f.tls(); t != nil {
		switch {
		case t.ErrorKind == checks.KindClientCert:
			return "the TLS handshake ended with " + t.Error
		case t.ClientCert != nil && t.ClientCert.Sent == nil && strings.HasSuffix(t.Error, "remote error: tls: handshake failure"):
			// Go and OpenSSL answer a missing certificate so in TLS 1.2.
			return "the server asked for a client certificate and ended the TLS handshake with " + t.Error
		}
	}
	p := f.https()
	if p == nil || p.Exchange == nil {
		return ""
	}
	if p.ErrorKind == checks.KindClientCert {
		return "GET " + p.URL + " ended with " + p.Error
	}
	if t := f.tls(); t != nil && t.ClientCert != nil && p.Status == 0 && lostAlert[p.ErrorKind] {
		// The server's alert is often lost: it closes the connection after
		// sending it, a request written after that draws a reset that
		// discards it, and Go's HTTP/2 client reports only "http2: client
		// conn could not be established".
		what := "none was sent"
		if t.ClientCert.Sent != nil {
			what = "one was sent"
		}
		return fmt.Sprintf("the server asked for a client certificate, %s, and GET %s failed before any answer (%s)", what, p.URL, p.Error)
	}
	if !p.RegistryAPI && (p.Status == http.StatusBadRequest || p.Status == 495 || p.Status == 496) {
		body := strings.ToLower(p.Body)
		for _, page := range []string{"no required ssl certificate was sent", "ssl certificate error"} {
			if i := strings.Index(body, page); i >= 0 && len(body) == len(p.Body) {
				return fmt.Sprintf("GET %s answered %d %q, nginx's answer for ssl_verify_client", p.URL, p.Status, p.Body[i:i+len(page)])
			}
		}
	}
	return ""
}

// lostAlert are the ways a connection the server refused after the
// handshake can fail when its alert does not reach the client.
var lostAlert = map[checks.ErrKind]bool{checks.KindReset: true, checks.KindTLS: true, checks.KindOther: true}

// ruleClientCert: the registry (or the proxy in front of it) wants mutual
// TLS. Go clients send a certs.d certificate only when its issuer is one the
// server names, so a certificate from the wrong CA is never even sent.
func ruleClientCert(f facts) []Diagnosis {
	how := f.clientCertRefusal()
	if how == "" {
		return clientCertOnlySome(f)
	}
	hp := f.t.Registry
	var req *checks.ClientCertRequest
	if t := f.tls(); t != nil {
		req = t.ClientCert
	}
	detail := hp + " requires a client certificate (mutual TLS): " + how + "."
	switch {
	case req != nil && req.Sent != nil:
		detail += fmt.Sprintf(" The client presented %s (issued by %s) and the server refused it.", req.Sent.Subject, req.Sent.Issuer)
	case req != nil && len(req.Held) > 0:
		var held []string
		for _, c := range req.Held {
			held = append(held, fmt.Sprintf("%s (issued by %s)", c.Subject, c.Issuer))
		}
		detail += " certs.d holds " + strings.Join(held, ", ") + ", but Go clients (podman, skopeo, docker) send a certificate only when the server names its issuer, so none was sent."
	default:
		detail += " No certs.d directory holds a client certificate (client.cert with client.key) for " + hp + ", so none was sent."
	}
	if req != nil && len(req.AcceptableCAs) > 0 {
		detail += " The server accepts certificates issued by: " + strings.Join(req.AcceptableCAs, "; ") + "."
	}
	return one(newDiagnosis(TLSClientCertRequired, detail, clientCertRemedies(f.t)...))
}

// clientCertRemedies says where each client takes its client certificate from.
func clientCertRemedies(t target.Target) []string {
	hp := t.Registry
	return []string{
		"Get a client certificate (and its key) issued by a CA the server accepts from the registry's administrator.",
		"podman, skopeo, buildah: put them at /etc/containers/certs.d/" + hp + "/client.cert and client.key (~/.config/containers/certs.d/" + hp + "/ for rootless); the .cert and .key must share a name, and ca.crt goes beside them. skopeo also takes --cert-dir.",
		"docker: /etc/docker/certs.d/" + hp + "/client.cert and client.key (no restart needed).",
		"containerd: in /etc/containerd/certs.d/" + hp + "/hosts.toml, under [host.\"https://" + hp + "\"]:\n  client = [[\"/etc/containerd/certs.d/" + hp + "/client.cert\", \"/etc/containerd/certs.d/" + hp + "/client.key\"]]",
		"crane and other go-containerregistry tools cannot present a client certificate; use skopeo for them.",
		"`openssl s_client -connect " + t.HostPort("https") + " -cert client.cert -key client.key` shows whether the server takes a certificate.",
	}
}

// clientCertOnlySome: mutual TLS works with the certificate certs.d holds,
// and the server requires it, so clients that cannot present one fail.
// Reported as an error that verdicts lower to info when no judged client
// is one of them.
func clientCertOnlySome(f facts) []Diagnosis {
	t := f.tls()
	if t == nil || t.ClientCert == nil || t.ClientCert.Sent == nil || !t.ClientCert.Required {
		return nil
	}
	hp := f.t.Registry
	return one(newDiagnosis(TLSClientCertRequired,
		fmt.Sprintf("%s requires a client certificate (without one, GET /v2/ got: %s). certs.d supplies %s (issued by %s), which podman, skopeo, buildah and docker present; crane cannot present one, and containerd only one named in its hosts.toml.",
			hp, t.ClientCert.WithoutCert, t.ClientCert.Sent.Subject, t.ClientCert.Sent.Issuer),
		clientCertRemedies(f.t)...))
}

// clientCertDecides: when the registry refused the connection, every client
// fails; when only clients without a certificate do, crane and a
// containerd without `client` in hosts.toml.
func clientCertDecides(f facts, c string) (bool, string) {
	if f.clientCertRefusal() != "" {
		return true, ""
	}
	switch c {
	case "crane":
		return true, "crane cannot present a client certificate"
	case "regctl":
		// regclient reghttp: only the host's clientCert/clientKey from
		// its own config; certs.d gives it CAs (*.crt) alone.
		return true, "regctl presents a client certificate only from its own configuration (clientCert in ~/.regctl/config.json), not from certs.d"
	case "containerd":
		if h := f.rep.Config.Containerd; h != nil && h.ClientCert {
			return false, "containerd's hosts.toml names a client certificate"
		}
		return true, "containerd reads client certificates only from hosts.toml (`client`)"
	}
	return false, c + " presents the certificate from certs.d"
}
