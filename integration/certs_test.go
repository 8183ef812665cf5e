//go:build integration

package integration

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// keyPair is a certificate and its key, both as parsed values and PEM files.
type keyPair struct {
	cert     *x509.Certificate
	key      crypto.Signer
	certFile string
	keyFile  string
}

func (k keyPair) tlsCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{k.cert.Raw}, PrivateKey: k.key, Leaf: k.cert}
}

// testPKI is the certificate material shared by the whole run.
type testPKI struct {
	dir     string
	ca      keyPair
	caFile  string // PEM bundle with the CA: docker-registry's rootcertbundle
	certDir string // holds only ca.crt: what --cert-dir gets
	pool    *x509.CertPool

	good       keyPair // 127.0.0.1 + localhost, signed by the CA
	goodRSA    keyPair // the same with an RSA key, for RSA key exchange
	expired    keyPair // same names, signed by the CA, expired yesterday
	otherHost  keyPair // registry.example.com only, signed by the CA
	selfSigned keyPair // 127.0.0.1 + localhost, signed by itself
	tokenSig   keyPair // RSA key that signs registry JWTs, chains to the CA

	// Mutual TLS: servers accept client certificates from clientCA.
	clientCA      keyPair
	client        keyPair // CN=developer, from clientCA
	otherClient   keyPair // CN=developer, from another CA
	certDirClient string  // ca.crt, and client.cert + client.key from clientCA
	certDirOther  string  // ca.crt, and client.cert + client.key from the other CA
}

var (
	pkiOnce sync.Once
	pkiVal  *testPKI
	pkiErr  error
)

// sharedPKI generates the certificates once per test binary run.
func sharedPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = newTestPKI(filepath.Join(suiteDir, "pki")) })
	if pkiErr != nil {
		t.Fatalf("generate test PKI: %v", pkiErr)
	}
	return pkiVal
}

var localNames = certNames{dns: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}}

type certNames struct {
	dns []string
	ips []net.IP
}

func newTestPKI(dir string) (*testPKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	now := time.Now()
	p := &testPKI{dir: dir, certDir: filepath.Join(dir, "certs.d")}

	var err error
	if p.ca, err = issue(dir, "ca", &x509.Certificate{
		Subject:               pkix.Name{CommonName: "regdoctor integration test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}, nil, ecKey); err != nil {
		return nil, err
	}
	p.caFile = p.ca.certFile
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.ca.cert)
	if err := os.MkdirAll(p.certDir, 0o700); err != nil {
		return nil, err
	}
	if err := writePEM(filepath.Join(p.certDir, "ca.crt"), "CERTIFICATE", p.ca.cert.Raw); err != nil {
		return nil, err
	}

	leaves := []struct {
		dst      *keyPair
		name     string
		names    certNames
		from, to time.Time
		self     bool
		rsa      bool
	}{
		{&p.good, "good", localNames, now.Add(-time.Hour), now.Add(24 * time.Hour), false, false},
		{&p.goodRSA, "good-rsa", localNames, now.Add(-time.Hour), now.Add(24 * time.Hour), false, true},
		{&p.expired, "expired", localNames, now.Add(-72 * time.Hour), now.Add(-24 * time.Hour), false, false},
		{&p.otherHost, "otherhost", certNames{dns: []string{"registry.example.com"}}, now.Add(-time.Hour), now.Add(24 * time.Hour), false, false},
		{&p.selfSigned, "selfsigned", localNames, now.Add(-time.Hour), now.Add(24 * time.Hour), true, false},
	}
	for _, l := range leaves {
		tmpl := &x509.Certificate{
			Subject:               pkix.Name{CommonName: l.name + " registry"},
			NotBefore:             l.from,
			NotAfter:              l.to,
			DNSNames:              l.names.dns,
			IPAddresses:           l.names.ips,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		parent := &p.ca
		if l.self {
			parent = nil
		}
		newKey := ecKey
		if l.rsa {
			newKey = rsaKey
		}
		if *l.dst, err = issue(dir, l.name, tmpl, parent, newKey); err != nil {
			return nil, err
		}
	}
	if p.tokenSig, err = issue(dir, "token-signer", &x509.Certificate{
		Subject:               pkix.Name{CommonName: "regdoctor test token signer"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}, &p.ca, rsaKey); err != nil {
		return nil, err
	}
	return p, p.clientCerts(now)
}

// clientCerts makes the client CA, a client certificate from it and one
// from a CA no server accepts, each in a certs.d directory of its own.
func (p *testPKI) clientCerts(now time.Time) error {
	caTmpl := func(name string) *x509.Certificate {
		return &x509.Certificate{
			Subject:               pkix.Name{CommonName: name},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		}
	}
	var otherCA keyPair
	var err error
	if p.clientCA, err = issue(p.dir, "client-ca", caTmpl("regdoctor integration client CA"), nil, ecKey); err != nil {
		return err
	}
	if otherCA, err = issue(p.dir, "other-client-ca", caTmpl("an integration CA no server accepts"), nil, ecKey); err != nil {
		return err
	}
	for _, c := range []struct {
		dst    *keyPair
		dir    *string
		name   string
		parent *keyPair
	}{
		{&p.client, &p.certDirClient, "client", &p.clientCA},
		{&p.otherClient, &p.certDirOther, "other-client", &otherCA},
	} {
		if *c.dst, err = issue(p.dir, c.name, &x509.Certificate{
			Subject:     pkix.Name{CommonName: devUser},
			NotBefore:   now.Add(-time.Hour),
			NotAfter:    now.Add(24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, c.parent, ecKey); err != nil {
			return err
		}
		*c.dir = filepath.Join(p.dir, "certs.d-"+c.name)
		if err := os.MkdirAll(*c.dir, 0o700); err != nil {
			return err
		}
		for src, dst := range map[string]string{p.ca.certFile: "ca.crt", c.dst.certFile: "client.cert", c.dst.keyFile: "client.key"} {
			data, err := os.ReadFile(src)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(*c.dir, dst), data, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

func ecKey() (crypto.Signer, error)  { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }
func rsaKey() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }

// issue creates a key and a certificate for tmpl signed by parent (or by
// itself when parent is nil) and writes NAME.crt / NAME.key into dir.
func issue(dir, name string, tmpl *x509.Certificate, parent *keyPair, newKey func() (crypto.Signer, error)) (keyPair, error) {
	key, err := newKey()
	if err != nil {
		return keyPair{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return keyPair{}, err
	}
	tmpl.SerialNumber = serial
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return keyPair{}, err
	}
	kp := keyPair{cert: cert, key: key, certFile: filepath.Join(dir, name+".crt"), keyFile: filepath.Join(dir, name+".key")}
	if err := writePEM(kp.certFile, "CERTIFICATE", der); err != nil {
		return keyPair{}, err
	}
	if err := writePEM(kp.keyFile, "PRIVATE KEY", keyDER); err != nil {
		return keyPair{}, err
	}
	return kp, nil
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}
