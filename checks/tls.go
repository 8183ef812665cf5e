package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// CertInfo describes one certificate of the served chain.
type CertInfo struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	DNSNames    []string  `json:"dns_names,omitempty"`
	IPAddresses []string  `json:"ip_addresses,omitempty"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	SelfSigned  bool      `json:"self_signed,omitempty"`
	IsCA        bool      `json:"is_ca,omitempty"`
}

// TLSProblem is one reason the chain would be rejected.
type TLSProblem struct {
	Kind    ErrKind `json:"kind"`
	Message string  `json:"message"`
}

// TLSEvidence is what the handshake showed.
type TLSEvidence struct {
	Address    string       `json:"address"`
	ServerName string       `json:"server_name"`
	Version    string       `json:"version,omitempty"`
	ALPN       string       `json:"alpn,omitempty"`
	Chain      []CertInfo   `json:"chain,omitempty"`
	Problems   []TLSProblem `json:"problems,omitempty"`
	LocalTime  time.Time    `json:"local_time"`
	// ServerDate is the server's Date header, read over an unverified
	// connection when the certificate's dates are the problem, to tell an
	// expired certificate from a wrong local clock.
	ServerDate *time.Time `json:"server_date,omitempty"`
	// MisplacedCA is the certificate file, in a place no client reads for
	// this registry, that would have verified the chain.
	MisplacedCA *IgnoredCA `json:"misplaced_ca,omitempty"`
	// NotTrustedBy are the judged clients whose own CAs would not verify
	// a chain that verifies, each with the reason: the CA is in a certs.d
	// directory only other clients read.
	NotTrustedBy map[string]string `json:"not_trusted_by,omitempty"`
	// Legacy is what the server speaks when it refused the clients'
	// handshake but accepts an older version or a weaker cipher suite.
	Legacy *LegacyTLS `json:"legacy,omitempty"`
	// ClientCert is set when the server asked for a client certificate.
	ClientCert *ClientCertRequest `json:"client_cert,omitempty"`
	Error      string             `json:"error,omitempty"`
	ErrorKind  ErrKind            `json:"error_kind,omitempty"`
}

// ClientCertRequest is the server's request for a client certificate
// (mutual TLS) and what the client answered.
type ClientCertRequest struct {
	// AcceptableCAs are the issuers the server names, if it names any.
	AcceptableCAs []string `json:"acceptable_cas,omitempty"`
	// Sent is the certificate presented: nil when none was, because no
	// certs.d directory holds one the server's request allows.
	Sent *CertInfo `json:"sent,omitempty"`
	// Held are the client certificates certs.d holds for the host, sent
	// or not: Go clients send none whose issuer the server does not name.
	Held []CertInfo `json:"held,omitempty"`
	// WithoutCert is what GET /v2/ got over a connection that presented
	// no certificate, asked only when one was sent and accepted: it tells
	// a server that requires the certificate from one that merely asks,
	// which decides the fate of clients that cannot present one (crane).
	WithoutCert string `json:"without_cert,omitempty"`
	Required    bool   `json:"required,omitempty"`
}

// describe is a summary's tail about mutual TLS; "" when not asked for.
func (r *ClientCertRequest) describe() string {
	switch {
	case r == nil:
		return ""
	case r.Sent == nil:
		return "; the server asks for a client certificate and none was sent"
	}
	return fmt.Sprintf("; the server asks for a client certificate: sent %q", r.Sent.Subject)
}

// Has reports whether the chain has a problem of kind k.
func (ev *TLSEvidence) Has(k ErrKind) bool {
	for _, p := range ev.Problems {
		if p.Kind == k {
			return true
		}
	}
	return false
}

// TLS performs its own handshake without verification, records the chain,
// and then verifies it piece by piece. Go's verifier stops at the first
// problem (expiry, then name, then authority); a doctor lists them all.
func TLS() Check {
	return Check{
		ID:    IDTLS,
		Title: "TLS handshake",
		Needs: []string{IDTCP},
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			if env.Config.Proxy != "" {
				return skipped("through proxy " + env.Config.Proxy + ": see ping-https for the handshake")
			}
			addr := env.Target.HostPort("https")
			host := env.Target.Hostname()
			ev, conn := handshake(ctx, env, addr, host)
			if conn != nil {
				// With TLS 1.3 the server judges a client certificate only
				// after the handshake; a refusal would be an alert lost in a
				// reset on a connection left waiting, so leave that case to a
				// fresh dial that writes at once, as the clients do.
				refusable := ev.ClientCert != nil && ev.ClientCert.Sent == nil
				if (len(ev.Problems) == 0 || !env.Opts.TLSVerify) && !refusable {
					// The chain passed what the transport's own dial would
					// check: hand the connection over rather than throw a
					// handshake away (one round trip less for the token step).
					env.stashConn(addr, conn)
				} else {
					conn.Close()
				}
			}
			if ev.Error != "" && ev.ErrorKind == KindTLS && ev.ClientCert == nil {
				ev.Legacy = legacyHandshake(ctx, env, addr, host)
			}
			if ev.Error != "" {
				if ev.ErrorKind == KindHTTPToHTTPS {
					if !env.Opts.TLSVerify {
						return Result{Status: Skip, Summary: addr + " answers plain HTTP, accepted with --tls-verify=false", Evidence: ev}
					}
					return Result{Status: Fail, Summary: addr + " answers plain HTTP, not TLS", Evidence: ev}
				}
				summary := fmt.Sprintf("TLS handshake with %s failed: %s%s", addr, ev.ErrorKind, ev.ClientCert.describe())
				if l := ev.Legacy; l != nil {
					summary += fmt.Sprintf("; the server speaks %s with %s", l.Version, l.CipherSuite)
				}
				return Result{Status: Fail, Summary: summary, Evidence: ev}
			}
			if ev.Has(KindCertExpired) {
				ev.ServerDate = serverDate(ctx, env, addr, host)
			}
			if cc := ev.ClientCert; cc != nil && cc.Sent != nil {
				cc.Required, cc.WithoutCert = probeWithoutCert(ctx, env, addr, host)
			}
			if len(ev.Problems) == 0 {
				return Result{Status: Pass, Summary: fmt.Sprintf("%s, certificate for %s issued by %s, valid until %s%s",
					ev.Version, leafNames(ev.Chain[0]), ev.Chain[0].Issuer, ev.Chain[0].NotAfter.Format("2006-01-02"), ev.ClientCert.describe()), Evidence: ev}
			}
			var msgs []string
			for _, p := range ev.Problems {
				msgs = append(msgs, p.Message)
			}
			status := Fail
			if !env.Opts.TLSVerify {
				status = Warn
				msgs = append(msgs, "ignored: --tls-verify=false")
			}
			return Result{Status: status, Summary: strings.Join(msgs, "; "), Evidence: ev}
		},
	}
}

// handshake connects to addr without verifying, records the chain, and
// verifies it by hand.
//
// The caller owns the returned connection (nil when the handshake failed).
func handshake(ctx context.Context, env *Env, addr, host string) (*TLSEvidence, *tls.Conn) {
	ev := &TLSEvidence{Address: addr, ServerName: host, LocalTime: time.Now().UTC()}
	d := tls.Dialer{
		NetDialer: env.Dialer(),
		Config: &tls.Config{
			ServerName:         host,
			InsecureSkipVerify: true, //nolint:gosec // verified by hand below, to see every problem
			GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
				ev.ClientCert = clientCertRequest(cri, env.Config.ClientCerts)
				return chooseClientCert(cri, env.Config.ClientCerts), nil
			},
			NextProtos: []string{"h2", "http/1.1"},
		},
	}
	hctx, cancel := context.WithTimeout(ctx, env.StepTimeout())
	defer cancel()
	var conn net.Conn
	var err error
	if raw := env.takeRaw(addr); raw != nil {
		// The tcp check's connection: the handshake tls.Dialer would make
		// on a fresh one, with the same errors.
		tc := tls.Client(raw, d.Config)
		if err = tc.HandshakeContext(hctx); err != nil {
			raw.Close()
		} else {
			conn = tc
		}
	} else {
		conn, err = d.DialContext(hctx, "tcp", addr)
	}
	if err != nil {
		ev.Error, ev.ErrorKind = err.Error(), Classify(err, true)
		return ev, nil
	}
	tc := conn.(*tls.Conn)
	st := tc.ConnectionState()
	ev.Version = tls.VersionName(st.Version)
	ev.ALPN = st.NegotiatedProtocol
	for _, c := range st.PeerCertificates {
		ev.Chain = append(ev.Chain, certInfo(c))
	}
	ev.Problems = verifyChain(st.PeerCertificates, env.Config.Trust, host, time.Now())
	if ev.Has(KindUnknownCA) {
		ev.MisplacedCA = env.Config.MisplacedCA(st.PeerCertificates)
	} else {
		ev.NotTrustedBy = env.Config.NotTrustedBy(st.PeerCertificates, env.Target.Registry)
	}
	return ev, tc
}

// chooseClientCert picks the certificate crypto/tls itself would send from
// Config.Certificates, which is what the transport and the clients use: the
// first one the request allows, or none.
func chooseClientCert(cri *tls.CertificateRequestInfo, certs []tls.Certificate) *tls.Certificate {
	for i := range certs {
		if cri.SupportsCertificate(&certs[i]) == nil {
			return &certs[i]
		}
	}
	return new(tls.Certificate)
}

func clientCertRequest(cri *tls.CertificateRequestInfo, certs []tls.Certificate) *ClientCertRequest {
	r := &ClientCertRequest{}
	for _, der := range cri.AcceptableCAs {
		var name pkix.RDNSequence
		if rest, err := asn1.Unmarshal(der, &name); err == nil && len(rest) == 0 {
			var n pkix.Name
			n.FillFromRDNSequence(&name)
			r.AcceptableCAs = append(r.AcceptableCAs, clean(n.String(), 256))
		}
		if len(r.AcceptableCAs) == 16 {
			break // a server may list hundreds; the first ones say enough
		}
	}
	sent := chooseClientCert(cri, certs)
	for i := range certs {
		leaf, err := x509.ParseCertificate(certs[i].Certificate[0])
		if err != nil {
			continue
		}
		ci := certInfo(leaf)
		r.Held = append(r.Held, ci)
		if sent == &certs[i] {
			r.Sent = &ci
		}
	}
	return r
}

func certInfo(c *x509.Certificate) CertInfo {
	ci := CertInfo{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		DNSNames:  c.DNSNames,
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		// CheckSignatureFrom would refuse a leaf that is not a CA; a
		// self-signed leaf is still self-signed.
		SelfSigned: c.Subject.String() == c.Issuer.String() && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil,
		IsCA:       c.IsCA,
	}
	for _, ip := range c.IPAddresses {
		ci.IPAddresses = append(ci.IPAddresses, ip.String())
	}
	return ci
}

func leafNames(c CertInfo) string {
	names := append(append([]string{}, c.DNSNames...), c.IPAddresses...)
	if len(names) == 0 {
		return c.Subject
	}
	return strings.Join(names, ", ")
}

// verifyChain checks authority, validity dates and host name independently.
func verifyChain(chain []*x509.Certificate, trust *Trust, host string, now time.Time) []TLSProblem {
	if len(chain) == 0 {
		return []TLSProblem{{Kind: KindTLS, Message: "the server sent no certificate"}}
	}
	leaf := chain[0]
	var out []TLSProblem
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	// Check the authority at a moment when the leaf is valid, so an expired
	// certificate does not hide an untrusted one.
	at := now
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	if err := trust.VerifyChain(chain, x509.VerifyOptions{Intermediates: inter, CurrentTime: at}); err != nil {
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			what := "signed by an unknown authority"
			if certInfo(leaf).SelfSigned {
				what = "self-signed and not trusted"
			}
			out = append(out, TLSProblem{Kind: KindUnknownCA, Message: fmt.Sprintf("certificate is %s (issuer %q)", what, leaf.Issuer.String())})
		} else if !strings.Contains(err.Error(), "expired") {
			out = append(out, TLSProblem{Kind: KindTLS, Message: "certificate chain does not verify: " + err.Error()})
		}
	}
	for _, c := range chain {
		if now.After(c.NotAfter) {
			out = append(out, TLSProblem{Kind: KindCertExpired, Message: fmt.Sprintf("certificate %q expired on %s", c.Subject.CommonName, c.NotAfter.UTC().Format(time.RFC3339))})
			break
		}
		if now.Before(c.NotBefore) {
			out = append(out, TLSProblem{Kind: KindCertExpired, Message: fmt.Sprintf("certificate %q is not valid before %s", c.Subject.CommonName, c.NotBefore.UTC().Format(time.RFC3339))})
			break
		}
	}
	if err := leaf.VerifyHostname(host); err != nil {
		out = append(out, TLSProblem{Kind: KindHostname, Message: fmt.Sprintf("certificate is valid for %s, not %s", leafNames(certInfo(leaf)), host)})
	}
	return out
}

// serverDate asks the server for the time over a connection that skips
// verification (the chain is already known to be out of its dates). It is
// anonymous and reads no body; nil when the server gives no Date.
func serverDate(ctx context.Context, env *Env, addr, host string) *time.Time {
	tr := &http.Transport{
		DialContext:           env.Dialer().DialContext,
		TLSClientConfig:       &tls.Config{ServerName: host, InsecureSkipVerify: true}, //nolint:gosec // only the Date header is read
		TLSHandshakeTimeout:   env.StepTimeout(),
		ResponseHeaderTimeout: env.StepTimeout(),
		// MaxResponseHeaderBytes left at Go's default, as the clients do
		// (ClientHeaderLimit): headers they accept must not lose the Date.
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, env.StepTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "https://"+addr+"/v2/", nil)
	if err != nil {
		return nil
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil
	}
	resp.Body.Close()
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}
