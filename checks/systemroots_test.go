package checks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRawSubjectIsGos: the shortcut reads a certificate's subject as
// crypto/x509 does, for every root of this machine's bundle and for
// certificates with and without the version field.
func TestRawSubjectIsGos(t *testing.T) {
	var ders [][]byte
	if data, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		for len(data) > 0 {
			var b *pem.Block
			if b, data = pem.Decode(data); b == nil {
				break
			}
			ders = append(ders, b.Bytes)
		}
	}
	pki := newTestPKI(t)
	ders = append(ders, pki.root.Raw, pki.inter.Raw, pki.leaf.Raw)
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		got, ok := rawSubject(der)
		if !ok || !bytes.Equal(got, c.RawSubject) {
			t.Errorf("certificate %d (%s): rawSubject %x, %v; want %x", i, c.Subject, got, ok, c.RawSubject)
		}
	}
	for _, bad := range [][]byte{nil, {0x30}, {0x30, 0x85, 1, 2, 3, 4, 5}, {0x30, 0x05, 0x30, 0x03, 0x02, 0x01}} {
		if _, ok := rawSubject(bad); ok {
			t.Errorf("rawSubject(%x) read a subject", bad)
		}
	}
}

// TestBundleRootsShortcutKeepsVerdicts: with trust from SSL_CERT_FILE and
// no certs.d CA, a chain the bundle's roots sign verifies without loading
// the system pool; every other chain gets the verdict the system pool
// gives. It runs in a child process, because Go loads the system roots
// once per process, from the environment it started with.
func TestBundleRootsShortcutKeepsVerdicts(t *testing.T) {
	if os.Getenv("REGDOCTOR_BUNDLE_CHILD") == "" {
		dir := t.TempDir()
		pki := newTestPKI(t)
		other := newTestPKI(t)
		bundle := append(pemOf(other.root), pemOf(pki.root)...) // the chain's root is not the first
		writeFile(t, filepath.Join(dir, "bundle.pem"), string(bundle))
		writeFile(t, filepath.Join(dir, "chains.pem"), string(append(append(append(pemOf(pki.leaf), pemOf(pki.inter)...), pemOf(pki.expired)...), pemOf(pki.stranger)...)))
		if err := os.Mkdir(filepath.Join(dir, "certs"), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestBundleRootsShortcutKeepsVerdicts$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "REGDOCTOR_BUNDLE_CHILD="+dir, "SSL_CERT_FILE="+filepath.Join(dir, "bundle.pem"), "SSL_CERT_DIR="+filepath.Join(dir, "certs"))
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestBundleRootsShortcutKeepsVerdicts")) {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	dir := os.Getenv("REGDOCTOR_BUNDLE_CHILD")
	data, err := os.ReadFile(filepath.Join(dir, "chains.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certs := parsePEMCerts(data)
	leaf, inter, expired, stranger := certs[0], certs[1], certs[2], certs[3]

	tr := newTrust()
	if err := tr.VerifyChain([]*x509.Certificate{leaf, inter}, withInter(inter, "registry.test")); err != nil {
		t.Fatalf("chain signed by a bundle root: %v", err)
	}
	if systemRootsLoaded.Load() {
		t.Fatal("the system pool was loaded although the bundle's root verified the chain")
	}
	system, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		chain []*x509.Certificate
		host  string
	}{
		{"good", []*x509.Certificate{leaf, inter}, "registry.test"},
		{"wrong name", []*x509.Certificate{leaf, inter}, "other.test"},
		{"intermediate not served", []*x509.Certificate{leaf}, "registry.test"},
		{"expired", []*x509.Certificate{expired, inter}, "registry.test"},
		{"unknown authority", []*x509.Certificate{stranger}, "registry.test"},
	} {
		opts := x509.VerifyOptions{DNSName: tc.host, Intermediates: x509.NewCertPool()}
		for _, c := range tc.chain[1:] {
			opts.Intermediates.AddCert(c)
		}
		got := newTrust().VerifyChain(tc.chain, opts)
		opts.Roots = system
		_, want := tc.chain[0].Verify(opts)
		if (got == nil) != (want == nil) || got != nil && errKind(got) != errKind(want) {
			t.Errorf("%s: %v, want what the system pool says: %v", tc.name, got, want)
		}
		if tc.name != "good" && !systemRootsLoaded.Load() {
			t.Errorf("%s: decided without the system pool", tc.name)
		}
	}
	// NotTrustedBy's question, the authority alone, takes the shortcut too.
	if !verifiesSystem([]*x509.Certificate{leaf, inter}, authorityOnly([]*x509.Certificate{leaf, inter})) || verifiesSystem([]*x509.Certificate{stranger}, authorityOnly([]*x509.Certificate{stranger})) {
		t.Error("verifiesSystem disagrees with the system pool")
	}
}

func errKind(err error) string {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "unknown authority"
	case errors.As(err, &hn):
		return "hostname"
	case errors.As(err, &ci):
		return "invalid " + string(rune('0'+ci.Reason))
	}
	return err.Error()
}

func withInter(inter *x509.Certificate, host string) x509.VerifyOptions {
	p := x509.NewCertPool()
	p.AddCert(inter)
	return x509.VerifyOptions{DNSName: host, Intermediates: p}
}

// testPKI is a root, an intermediate, a leaf for registry.test and an
// expired one, both signed by the intermediate, and a self-signed stranger.
type testPKI struct{ root, inter, leaf, expired, stranger *x509.Certificate }

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	now := time.Now()
	issue := func(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tmpl.SerialNumber = serial
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, key
	}
	ca := func(name string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: name, Organization: []string{"regdoctor test"}}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	leafTmpl := func(from, to time.Time) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: "registry.test"}, DNSNames: []string{"registry.test"}, NotBefore: from, NotAfter: to,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	}
	p := &testPKI{}
	var rootKey, interKey *ecdsa.PrivateKey
	p.root, rootKey = issue(ca("test root "+now.Format(time.RFC3339Nano)), nil, nil)
	p.inter, interKey = issue(ca("test intermediate"), p.root, rootKey)
	p.leaf, _ = issue(leafTmpl(now.Add(-time.Hour), now.AddDate(0, 1, 0)), p.inter, interKey)
	p.expired, _ = issue(leafTmpl(now.AddDate(0, -2, 0), now.AddDate(0, -1, 0)), p.inter, interKey)
	p.stranger, _ = issue(leafTmpl(now.Add(-time.Hour), now.AddDate(0, 1, 0)), nil, nil)
	return p
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// TestQuickScanFindsWhatPEMDecodeFinds: readBundle's own scan finds the
// certificates that a pem.Decode loop with AppendCertsFromPEM's filter
// finds, in this machine's bundle and in one with CRLF line ends, blank
// lines and text between blocks; blocks the filter refuses (headers,
// another type) it leaves out; and no candidate is one pem.Decode would
// not give.
func TestQuickScanFindsWhatPEMDecodeFinds(t *testing.T) {
	pki := newTestPKI(t)
	sys, _ := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	crlf := bytes.ReplaceAll(pemOf(pki.inter), []byte("\n"), []byte("\r\n"))
	headers := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: pki.leaf.Raw})
	trusted := pem.EncodeToMemory(&pem.Block{Type: "TRUSTED CERTIFICATE", Bytes: pki.expired.Raw})
	var data []byte
	for _, part := range [][]byte{sys, []byte("# a comment\n\n"), pemOf(pki.root), crlf, headers, trusted, []byte("junk -----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"), pemOf(pki.stranger)} {
		data = append(append(data, part...), '\n')
	}
	path := filepath.Join(t.TempDir(), "bundle.pem")
	writeFile(t, path, string(data))

	var want [][]byte
	for rest := data; len(rest) > 0; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type == "CERTIFICATE" && len(block.Headers) == 0 {
			if _, ok := rawSubject(block.Bytes); ok {
				want = append(want, block.Bytes)
			}
		}
	}
	b := readBundle([]string{path})
	if b == nil || len(b.certs) != len(want) {
		t.Fatalf("readBundle found %d certificates, pem.Decode %d", len(b.certs), len(want))
	}
	for i, c := range b.certs {
		if !bytes.Equal(c.der, want[i]) {
			t.Errorf("certificate %d differs from pem.Decode's", i)
		}
		if c.parsed() == nil {
			t.Errorf("certificate %d: parsed() refused what pem.Decode gives", i)
		}
	}
	if len(want) < 4 {
		t.Errorf("only %d certificates: the test's bundle lost some", len(want))
	}
}
