package diagnose

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// When the certificate is out of its dates by the local clock but valid by
// the server's Date header, the local clock is what is wrong, and the
// diagnosis must say so rather than send the user to renew a good
// certificate.
func TestExpiredCertificateOrWrongLocalClock(t *testing.T) {
	now := time.Now()
	notBefore, notAfter := now.Add(-60*24*time.Hour), now.Add(-30*24*time.Hour)
	for _, tc := range []struct {
		name       string
		serverTime time.Time
		want       string
	}{
		{"server clock agrees", now, "the certificate itself is out of date"},
		{"server clock 45 days behind", now.Add(-45 * 24 * time.Hour), "this machine's clock is what is wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			certDir, cert := selfSignedFor(t, notBefore, notAfter)
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Date", tc.serverTime.UTC().Format(http.TimeFormat))
				w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
			}))
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			srv.StartTLS()
			defer srv.Close()
			tg, err := target.Parse(strings.TrimPrefix(srv.URL, "https://"))
			if err != nil {
				t.Fatal(err)
			}
			o := checks.Options{Timeout: 5 * time.Second, TLSVerify: true, CertDir: certDir, Clients: []string{"podman"},
				SysRoot: t.TempDir(), Env: func(string) string { return "" }}
			rep := Check(context.Background(), tg, o, Hooks{})
			for _, d := range rep.Diagnoses {
				if d.Code == "tls-cert-expired" {
					if !strings.Contains(d.Detail, tc.want) {
						t.Errorf("detail %q, want it to say %q", d.Detail, tc.want)
					}
					return
				}
			}
			t.Fatalf("no tls-cert-expired in %v", codes(rep))
		})
	}
}

// selfSignedFor makes a self-signed CA certificate for 127.0.0.1 valid in
// [notBefore, notAfter], and a cert dir that trusts it.
func selfSignedFor(t *testing.T, notBefore, notAfter time.Time) (string, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: notBefore, NotAfter: notAfter,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), pemCert, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
