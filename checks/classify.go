package checks

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// ErrKind classifies a transport failure; the values are part of the JSON contract.
type ErrKind string

const (
	KindDNS            ErrKind = "dns"
	KindRefused        ErrKind = "connection-refused"
	KindConnectTimeout ErrKind = "connect-timeout"
	KindNoResponse     ErrKind = "no-response"
	KindHTTPToHTTPS    ErrKind = "http-response-to-https"
	KindUnknownCA      ErrKind = "tls-unknown-authority"
	KindCertExpired    ErrKind = "tls-cert-expired"
	KindHostname       ErrKind = "tls-hostname-mismatch"
	KindTLS            ErrKind = "tls-handshake"
	KindClientCert     ErrKind = "tls-client-cert"
	KindProxy          ErrKind = "proxy"
	KindReset          ErrKind = "connection-reset"
	KindTooLarge       ErrKind = "body-too-large"
	KindHeaderTooLarge ErrKind = "headers-too-large"
	KindMalformed      ErrKind = "malformed-response"
	KindRedirectLoop   ErrKind = "redirect-loop"
	KindBadURL         ErrKind = "bad-url"
	KindAddrRefused    ErrKind = "address-refused" // Options.RefuseAddr: serve's /probe guard
	KindOther          ErrKind = "other"
)

// Classify maps a Go network error to a kind. connected says whether a TCP
// connection had been established, which separates "no answer to connect"
// from "connected but the server never answered".
func Classify(err error, connected bool) ErrKind {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.Is(err, errRefusedAddr):
		return KindAddrRefused
	case strings.Contains(msg, "proxyconnect"):
		return KindProxy
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return KindDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case isClientCertAlert(err):
		return KindClientCert
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"),
		strings.Contains(msg, "first record does not look like a TLS handshake"):
		return KindHTTPToHTTPS
	case errors.As(err, &unknownCA), strings.Contains(msg, "certificate signed by unknown authority"):
		return KindUnknownCA
	case strings.Contains(msg, "certificate has expired or is not yet valid"):
		return KindCertExpired
	case strings.Contains(msg, "x509: certificate is valid for"), strings.Contains(msg, "doesn't contain any IP SANs"),
		strings.Contains(msg, "certificate is not valid for any names"):
		return KindHostname
	case errors.Is(err, errRedirectLoop):
		return KindRedirectLoop
	case strings.Contains(msg, "server response headers exceeded"):
		return KindHeaderTooLarge
	case strings.Contains(msg, "malformed HTTP"), strings.Contains(msg, "malformed MIME header"):
		return KindMalformed
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindReset
	case isTimeout(err):
		if connected {
			return KindNoResponse
		}
		return KindConnectTimeout
	case strings.Contains(msg, "tls:"):
		return KindTLS
	}
	return KindOther
}

// isClientCertAlert: the server ended the handshake with an alert about a
// certificate. The only certificate a server judges is the client's, so it
// wants one (TLS 1.3 certificate_required) or refuses the one it got. A
// TLS 1.2 server says only handshake_failure for a missing one, which the
// diagnosis ties to the certificate request it saw before. Note that
// "remote error: tls: unknown certificate authority" is the server
// distrusting the client's issuer, not the other way round.
func isClientCertAlert(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return false
	}
	return clientCertAlerts[op.Err.Error()]
}

// clientCertAlerts are crypto/tls's texts of the certificate alerts.
var clientCertAlerts = map[string]bool{
	"tls: bad certificate": true, "tls: unsupported certificate": true, "tls: revoked certificate": true,
	"tls: expired certificate": true, "tls: unknown certificate": true, "tls: unknown certificate authority": true,
	"tls: certificate required": true,
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}
