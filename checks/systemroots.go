package checks

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
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
	pem     []byte // the PEM block, BEGIN to END line
	der     []byte
	once    sync.Once
	cert    *x509.Certificate // nil if it does not parse, as Go skips it
}

// parsed is the certificate as AppendCertsFromPEM would add it: the block
// goes through pem.Decode and its filter, and must hold the DER the quick
// scan of readBundle found, or it is no candidate. So the scan can only
// leave roots out (then the whole pool decides), never add one Go would
// not have.
func (c *bundleCert) parsed() *x509.Certificate {
	c.once.Do(func() {
		block, _ := pem.Decode(c.pem)
		if block == nil || block.Type != "CERTIFICATE" || len(block.Headers) != 0 || !bytes.Equal(block.Bytes, c.der) {
			return
		}
		c.cert, _ = x509.ParseCertificate(c.der)
	})
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

// readBundle reads the first of files that can be read. It finds the
// certificates with a scan of its own rather than pem.Decode, which perf
// put at 4.4% of a whole check's CPU (0.6 ms for Debian's 146 roots); the
// few roots that match a chain go through pem.Decode in parsed.
func readBundle(files []string) *systemBundle {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		b := &systemBundle{}
		for rest := data; ; {
			i := bytes.Index(rest, pemCertBegin)
			if i < 0 {
				break
			}
			rest = rest[i:]
			j := bytes.Index(rest, pemCertEnd)
			if j < 0 {
				break
			}
			block := rest[:j+len(pemCertEnd)]
			rest = rest[len(block):]
			der, ok := quickPEMBody(block[len(pemCertBegin) : len(block)-len(pemCertEnd)])
			if !ok {
				continue
			}
			if subject, ok := rawSubject(der); ok {
				b.certs = append(b.certs, &bundleCert{subject: string(subject), pem: block, der: der})
			}
		}
		return b
	}
	return nil
}

var (
	pemCertBegin = []byte("-----BEGIN CERTIFICATE-----")
	pemCertEnd   = []byte("-----END CERTIFICATE-----")
)

// quickPEMBody decodes the base64 between a BEGIN and an END line
// (base64's Decode skips the line ends). A body with headers (a colon:
// base64 has none), spaces or anything else is left out, as
// AppendCertsFromPEM leaves out blocks with headers; parsed has the last
// word anyway.
func quickPEMBody(body []byte) ([]byte, bool) {
	if bytes.IndexByte(body, ':') >= 0 || bytes.IndexByte(body, ' ') >= 0 || bytes.IndexByte(body, '\t') >= 0 {
		return nil, false
	}
	der := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(der, body)
	if err != nil {
		return nil, false
	}
	return der[:n], true
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
