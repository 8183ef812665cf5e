package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"sync"
)

// Trust is what a client trusts for one registry: the CAs from certs.d or
// --cert-dir, and the system roots. Parsing the system roots costs about
// 10 ms on Debian (every file in /etc/ssl/certs), a third of a healthy
// check, so they are loaded only when the local CAs do not verify a chain.
// The verdict is the same as with one pool holding both.
type Trust struct {
	local  []*x509.Certificate
	pool   *x509.CertPool // local only
	once   sync.Once
	system *x509.CertPool // system roots plus local
}

func newTrust() *Trust { return &Trust{pool: x509.NewCertPool()} }

// AddPEM adds the certificates of a PEM file and returns them; none when
// it holds none.
func (t *Trust) AddPEM(data []byte) []*x509.Certificate {
	certs := parsePEMCerts(data)
	t.add(certs)
	return certs
}

func (t *Trust) add(certs []*x509.Certificate) {
	for _, c := range certs {
		t.local = append(t.local, c)
		t.pool.AddCert(c)
	}
}

// parsePEMCerts returns the certificates of a PEM file, skipping the rest.
func parsePEMCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for len(data) > 0 {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// All returns the system roots together with the local CAs.
func (t *Trust) All() *x509.CertPool {
	t.once.Do(func() {
		p, err := x509.SystemCertPool()
		if err != nil || p == nil {
			p = x509.NewCertPool()
		}
		for _, c := range t.local {
			p.AddCert(c)
		}
		t.system = p
	})
	return t.system
}

// Verify verifies leaf against the local CAs first, then against all.
func (t *Trust) Verify(leaf *x509.Certificate, opts x509.VerifyOptions) error {
	if len(t.local) > 0 {
		opts.Roots = t.pool
		_, err := leaf.Verify(opts)
		var ua x509.UnknownAuthorityError
		if err == nil || !errors.As(err, &ua) {
			return err
		}
	}
	opts.Roots = t.All()
	_, err := leaf.Verify(opts)
	return err
}

// dialTLS is the transport's TLS dialer: it verifies the chain as Go would
// (same errors, so Classify and the clients' wording hold), with the host
// it dialled, but against Trust's lazily loaded roots.
func (env *Env) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	if c := env.takeConn(addr); c != nil {
		return c, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := tls.Dialer{
		NetDialer: env.Dialer(),
		Config: &tls.Config{
			ServerName:         host,
			Certificates:       env.Config.ClientCerts,
			NextProtos:         []string{"h2", "http/1.1"},
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection below, unless the user said --tls-verify=false
			VerifyConnection: func(cs tls.ConnectionState) error {
				if !env.Opts.TLSVerify || len(cs.PeerCertificates) == 0 {
					return nil
				}
				inter := x509.NewCertPool()
				for _, c := range cs.PeerCertificates[1:] {
					inter.AddCert(c)
				}
				if err := env.Config.Trust.Verify(cs.PeerCertificates[0], x509.VerifyOptions{DNSName: host, Intermediates: inter}); err != nil {
					return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
				}
				return nil
			},
		},
	}
	return d.DialContext(ctx, network, addr)
}

// stashConn keeps a verified TLS connection from the tls check for the
// transport's next dial to the same address.
func (env *Env) stashConn(addr string, c *tls.Conn) {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	if env.stash == nil {
		env.stash = map[string][]*tls.Conn{}
	}
	env.stash[addr] = append(env.stash[addr], c)
}

func (env *Env) takeConn(addr string) *tls.Conn {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	cs := env.stash[addr]
	if len(cs) == 0 {
		return nil
	}
	env.stash[addr] = cs[1:]
	if env.handed == nil {
		env.handed = map[net.Conn]bool{}
	}
	env.handed[cs[0]] = true // for the trace
	return cs[0]
}

// handedOver reports whether c is a connection the tls check handed over.
func (env *Env) handedOver(c net.Conn) bool {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	return env.handed[c]
}

// closeStash closes connections nobody took.
func (env *Env) closeStash() {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	for _, cs := range env.stash {
		for _, c := range cs {
			c.Close()
		}
	}
	env.stash = nil
	env.handed = nil
}
