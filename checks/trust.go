package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"sync"
	"sync/atomic"
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
		p := systemRoots().Clone()
		for _, c := range t.local {
			p.AddCert(c)
		}
		t.system = p
	})
	return t.system
}

// Verify verifies leaf against the local CAs first, then against all.
func (t *Trust) Verify(leaf *x509.Certificate, opts x509.VerifyOptions) error {
	return t.VerifyChain([]*x509.Certificate{leaf}, opts)
}

// VerifyChain verifies chain[0], the leaf, with opts.Intermediates (the
// rest of the chain, as served), against the local CAs first, then against
// the system bundle's roots that could sign a certificate of the chain,
// and only then against every root: the system pool costs about 11 ms to
// load (see bundleRoots). A chain that verifies against a subset of the
// roots verifies against all of them, so the verdict is the one a single
// pool would give: every failure of a shortcut is decided by the full pool.
func (t *Trust) VerifyChain(chain []*x509.Certificate, opts x509.VerifyOptions) error {
	if len(t.local) > 0 {
		opts.Roots = t.pool
		_, err := chain[0].Verify(opts)
		var ua x509.UnknownAuthorityError
		if err == nil || !errors.As(err, &ua) {
			return err
		}
	}
	if verifiesWithBundle(chain, opts) {
		return nil
	}
	opts.Roots = t.All()
	_, err := chain[0].Verify(opts)
	return err
}

// systemRoots is the system pool, loaded once per process: serve and
// --watch check again and again, and NotTrustedBy asks too.
var systemRoots = sync.OnceValue(func() *x509.CertPool {
	systemRootsLoaded.Store(true)
	p, err := x509.SystemCertPool()
	if err != nil || p == nil {
		p = x509.NewCertPool()
	}
	return p
})

// systemRootsLoaded says the system pool was loaded, for the tests.
var systemRootsLoaded atomic.Bool

// verifiesSystem reports whether the system roots alone verify the chain's
// authority with opts, the bundle's candidates first.
func verifiesSystem(chain []*x509.Certificate, opts x509.VerifyOptions) bool {
	if verifiesWithBundle(chain, opts) {
		return true
	}
	opts.Roots = systemRoots()
	_, err := chain[0].Verify(opts)
	return err == nil
}

// verifiesWithBundle verifies against the roots of the system bundle that
// are named as the issuer of a certificate of the chain; false when there
// are none, or no bundle.
func verifiesWithBundle(chain []*x509.Certificate, opts x509.VerifyOptions) bool {
	roots := bundleRoots(chain)
	if roots == nil {
		return false
	}
	opts.Roots = roots
	_, err := chain[0].Verify(opts)
	return err == nil
}

// dialTLS is the transport's TLS dialer: it verifies the chain as Go would
// (same errors, so Classify and the clients' wording hold), with the host
// it dialled, but against Trust's lazily loaded roots.
func (env *Env) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	env.awaitPredial(ctx, addr)
	if c := env.takeConn(addr); c != nil {
		return c, nil
	}
	return env.dialTLSFresh(ctx, network, addr)
}

// dialTLSFresh dials and verifies a new connection, as dialTLS does.
func (env *Env) dialTLSFresh(ctx context.Context, network, addr string) (net.Conn, error) {
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
				if err := env.Config.Trust.VerifyChain(cs.PeerCertificates, x509.VerifyOptions{DNSName: host, Intermediates: inter}); err != nil {
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
	env.stashAs(addr, c, "the tls check's, handed over")
}

// stashPredialled keeps a pre-dialled realm connection (predial.go).
func (env *Env) stashPredialled(addr string, c *tls.Conn) { env.stashAs(addr, c, "pre-dialled") }

// stashAs stashes c, with what the trace calls it once taken.
func (env *Env) stashAs(addr string, c *tls.Conn, label string) {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	if env.closed {
		c.Close() // a pre-dial that ended after the run
		return
	}
	if env.labels == nil {
		env.labels = map[net.Conn]string{}
	}
	env.labels[c] = label
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
	return cs[0]
}

// stashedAs is what the trace calls a connection taken from the stash:
// "" for one the transport dialled.
func (env *Env) stashedAs(c net.Conn) string {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	return env.labels[c]
}

// keepRaw keeps the tcp check's connection for the tls check's handshake.
func (env *Env) keepRaw(addr string, c net.Conn) {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	if env.closed {
		c.Close() // a tcp check that ended after the run was closed
		return
	}
	if env.raw == nil {
		env.raw = map[string]net.Conn{}
	}
	if old := env.raw[addr]; old != nil {
		old.Close()
	}
	env.raw[addr] = c
}

// takeRaw returns the tcp check's connection to addr, once; nil if none.
func (env *Env) takeRaw(addr string) net.Conn {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	c := env.raw[addr]
	delete(env.raw, addr)
	return c
}

// closeStash closes connections nobody took.
func (env *Env) closeStash() {
	env.stashMu.Lock()
	defer env.stashMu.Unlock()
	for _, c := range env.raw {
		c.Close()
	}
	env.raw = nil
	for _, cs := range env.stash {
		for _, c := range cs {
			c.Close()
		}
	}
	env.stash = nil
	env.labels = nil
	env.closed = true
}
