package checks

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// systemCAFiles are where Go looks for the system's CA bundle on Linux, in
// its order (crypto/x509 root_linux.go); SSL_CERT_FILE replaces them.
var systemCAFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine
}

// systemCADirs are the directories Go reads besides; SSL_CERT_DIR replaces them.
var systemCADirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// systemRootsSource names the file or directory the system roots come
// from, without reading them (that costs milliseconds, see Trust): "" when
// this machine has none, as in minimal container images without the
// ca-certificates package.
func systemRootsSource(getenv func(string) string) string {
	files, dirs := systemCAFiles, systemCADirs
	if f := getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	if d := getenv("SSL_CERT_DIR"); d != "" {
		dirs = []string{d}
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > 0 {
			return f
		}
	}
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) > 0 {
			return d
		}
	}
	return ""
}

// The system bundle, read as crypto/x509 reads it on Linux
// (root_unix.go loadSystemRoots): SSL_CERT_FILE, or else the first of
// systemCAFiles that can be read. Go's SystemCertPool parses every
// certificate of that file and then every file of the directories
// besides (on Debian the same 146 certificates twice, about 11 ms); a
// chain needs one or two of them. bundleRoots parses only the roots named
// as an issuer in the chain. They are a subset of the system pool, so a
// chain they verify, the system pool verifies; anything else is left to
// the whole pool.
type systemBundle struct {
	certs []*bundleCert
}

type bundleCert struct {
	subject string // raw DER of the subject, as x509.Certificate.RawSubject
	der     []byte
	once    sync.Once
	cert    *x509.Certificate // nil if it does not parse, as Go skips it
}

func (c *bundleCert) parsed() *x509.Certificate {
	c.once.Do(func() { c.cert, _ = x509.ParseCertificate(c.der) })
	return c.cert
}

// loadBundle reads the bundle once per process, as Go loads the system
// roots once; nil where Go reads other places (not Linux) or there is none.
var loadBundle = sync.OnceValue(func() *systemBundle {
	if runtime.GOOS != "linux" {
		return nil
	}
	files := systemCAFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	return readBundle(files)
})

// readBundle reads the first of files that can be read.
func readBundle(files []string) *systemBundle {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		b := &systemBundle{}
		for len(data) > 0 {
			var block *pem.Block
			if block, data = pem.Decode(data); block == nil {
				break
			}
			// AppendCertsFromPEM's own filter.
			if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
				continue
			}
			if subject, ok := rawSubject(block.Bytes); ok {
				b.certs = append(b.certs, &bundleCert{subject: string(subject), der: block.Bytes})
			}
		}
		return b
	}
	return nil
}

// bundleRoots is a pool of the bundle's roots whose subject is the issuer
// of a certificate of chain: the only roots Go's verifier could use for it
// (it looks parents up by RawIssuer). nil when there are none.
func bundleRoots(chain []*x509.Certificate) *x509.CertPool { return loadBundle().roots(chain) }

func (b *systemBundle) roots(chain []*x509.Certificate) *x509.CertPool {
	if b == nil {
		return nil
	}
	var pool *x509.CertPool
	for _, bc := range b.certs {
		if !slices.ContainsFunc(chain, func(c *x509.Certificate) bool { return string(c.RawIssuer) == bc.subject }) {
			continue
		}
		if c := bc.parsed(); c != nil {
			if pool == nil {
				pool = x509.NewCertPool()
			}
			pool.AddCert(c)
		}
	}
	return pool
}

// rawSubject returns the subject of a DER certificate without parsing the
// rest: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
// OPTIONAL, serialNumber, signature, issuer, validity, subject, ... } ...}.
// A certificate it cannot read is only not a candidate.
func rawSubject(der []byte) ([]byte, bool) {
	input := cryptobyte.String(der)
	var cert, tbs, subject cryptobyte.String
	ok := input.ReadASN1(&cert, casn1.SEQUENCE) &&
		cert.ReadASN1(&tbs, casn1.SEQUENCE) &&
		tbs.SkipOptionalASN1(casn1.Tag(0).Constructed().ContextSpecific()) && // version
		tbs.SkipASN1(casn1.INTEGER) && // serialNumber
		tbs.SkipASN1(casn1.SEQUENCE) && // signature
		tbs.SkipASN1(casn1.SEQUENCE) && // issuer
		tbs.SkipASN1(casn1.SEQUENCE) && // validity
		tbs.ReadASN1Element(&subject, casn1.SEQUENCE)
	if !ok {
		return nil, false
	}
	return subject, true
}
