package diagnose_test

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

func clientCertDiagnosis(t *testing.T, rep *diagnose.Report) diagnose.Diagnosis {
	t.Helper()
	for _, d := range rep.Diagnoses {
		if d.Code == "tls-client-cert-required" {
			return d
		}
	}
	for _, r := range rep.Results {
		t.Logf("%-14s %-4s %s", r.ID, r.Status, r.Summary)
	}
	t.Fatalf("no tls-client-cert-required in %v", problemCodes(rep))
	return diagnose.Diagnosis{}
}

// The detail must tell the three situations apart: nothing in certs.d, a
// certificate from the wrong CA (which Go clients do not even send), and
// nginx's page; and name the issuers the server accepts.
func TestClientCertDetail(t *testing.T) {
	for name, want := range map[string][]string{
		"client-cert-required": {"No certs.d directory holds a client certificate", "remote error: tls: certificate required",
			"accepts certificates issued by: CN=regdoctor fixtures client CA"},
		"client-cert-rejected": {"certs.d holds CN=developer (issued by CN=some other client CA)", "send a certificate only when the server names its issuer",
			"accepts certificates issued by: CN=regdoctor fixtures client CA"},
		"client-cert-nginx": {`answered 400 "No required SSL certificate was sent"`, "No certs.d directory holds"},
	} {
		t.Run(name, func(t *testing.T) {
			rep := runScenario(t, fixturetest.Start(t, name))
			d := clientCertDiagnosis(t, rep)
			for _, w := range want {
				if !strings.Contains(d.Detail, w) {
					t.Errorf("detail %q\nlacks %q", d.Detail, w)
				}
			}
			if tl, ok := rep.Result(checks.IDTLS).Evidence.(*checks.TLSEvidence); !ok || tl.ClientCert == nil || tl.ClientCert.Sent != nil {
				t.Errorf("tls evidence %+v: want a certificate request answered with none", rep.Result(checks.IDTLS).Evidence)
			}
		})
	}
}

// On TLS 1.2 the handshake itself fails, in the tls check, and Go and
// OpenSSL servers say only handshake_failure for a missing certificate: the
// certificate request before it is what names the cause.
func TestClientCertTLS12(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert, MaxVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	rep := runPipeline(t, strings.TrimPrefix(srv.URL, "https://")+"/team/app:1", bareOptions(t))
	tl, _ := rep.Result(checks.IDTLS).Evidence.(*checks.TLSEvidence)
	if tl == nil || tl.Error != "remote error: tls: handshake failure" || tl.ClientCert == nil || tl.ClientCert.Sent != nil {
		t.Fatalf("tls evidence %+v, want a certificate request, none sent, then handshake_failure", tl)
	}
	if d := clientCertDiagnosis(t, rep); !strings.Contains(d.Detail, "asked for a client certificate and ended the TLS handshake with remote error: tls: handshake failure") {
		t.Errorf("detail %q", d.Detail)
	}
	if got := problemCodes(rep); len(got) != 1 {
		t.Errorf("diagnosed %v, want only tls-client-cert-required", got)
	}
}

// Over HTTP/2, as distribution's own TLS listener negotiates it. Against
// distribution 2.8 (Go 1.19) the alert is often lost and Go's client says
// only "http2: client conn could not be established"; see
// TestClientCertAlertLost for that.
func TestClientCertHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	for range 5 { // the alert's fate is a race; the verdict must not be
		rep := runPipeline(t, strings.TrimPrefix(srv.URL, "https://")+"/team/app:1", bareOptions(t))
		clientCertDiagnosis(t, rep)
		if got := problemCodes(rep); len(got) != 1 {
			t.Errorf("diagnosed %v, want only tls-client-cert-required", got)
		}
	}
}

// A server that asks for a certificate and then drops the connection with a
// reset, as happens when its alert is lost: the certificate request the tls
// check saw, with none sent, is what names the cause.
func TestClientCertAlertLost(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS() // only for httptest's certificate
	cfg := &tls.Config{ClientAuth: tls.RequestClientCert, Certificates: srv.TLS.Certificates}
	srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				tc := tls.Server(c, cfg)
				tc.SetDeadline(time.Now().Add(5 * time.Second))
				if tc.Handshake() == nil {
					// Wait for the request, then reset without an alert.
					tc.Read(make([]byte, 1))
				}
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}()
		}
	}()
	rep := runPipeline(t, ln.Addr().String()+"/team/app:1", bareOptions(t))
	if p := rep.Result(checks.IDPingHTTPS); !strings.Contains(p.Summary, "connection-reset") {
		t.Fatalf("ping-https %q: the fixture should reset, not alert", p.Summary)
	}
	if d := clientCertDiagnosis(t, rep); !strings.Contains(d.Detail, "asked for a client certificate, none was sent, and GET") {
		t.Errorf("detail %q", d.Detail)
	}
	if got := problemCodes(rep); len(got) != 1 {
		t.Errorf("diagnosed %v, want only tls-client-cert-required", got)
	}
}
