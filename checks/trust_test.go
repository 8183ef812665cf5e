package checks

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// The system roots are parsed only when the local CAs cannot vouch for a
// chain; the verdict is the same as with one pool holding both.
func TestTrustLoadsSystemRootsOnlyWhenNeeded(t *testing.T) {
	reg := fixturetest.Start(t, "healthy")
	ca, err := os.ReadFile(filepath.Join(reg.CertDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	chain := servedChain(t, reg.Host)

	tr := newTrust()
	if tr.AddPEM([]byte("not a certificate")) != nil {
		t.Error("garbage accepted as a CA")
	}
	if tr.AddPEM(ca) == nil {
		t.Fatal("the fixture CA was refused")
	}
	inter := x509.NewCertPool()
	if err := tr.Verify(chain[0], x509.VerifyOptions{DNSName: "127.0.0.1", Intermediates: inter}); err != nil {
		t.Fatalf("chain from the local CA: %v", err)
	}
	if tr.system != nil {
		t.Error("the system roots were loaded although the local CA verified the chain")
	}

	empty := newTrust()
	err = empty.Verify(chain[0], x509.VerifyOptions{DNSName: "127.0.0.1", Intermediates: inter})
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Errorf("without the CA want an unknown authority, got %v", err)
	}
	if empty.system == nil {
		t.Error("the system roots were not consulted before giving up")
	}
	if err := tr.Verify(chain[0], x509.VerifyOptions{DNSName: "registry.example.com", Intermediates: inter}); err == nil {
		t.Error("a name the certificate does not hold was accepted")
	}
}

// servedChain returns the certificates a TLS server presents.
func servedChain(t *testing.T, addr string) []*x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reading the chain only
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates
}
