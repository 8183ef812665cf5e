package diagnose

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// These network failures need no fixture server: a name under .invalid
// (RFC 6761) never resolves, and a closed loopback port stands in for a
// dead proxy.

func runWithEnv(t *testing.T, ref string, env map[string]string) *Report {
	t.Helper()
	tg, err := target.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	o := checks.Options{Timeout: 5 * time.Second, TLSVerify: true, CertsDirs: []string{}, Env: func(k string) string { return env[k] }}
	return Check(context.Background(), tg, o, Hooks{})
}

func codes(rep *Report) map[Code]Severity {
	m := map[Code]Severity{}
	for _, d := range rep.Diagnoses {
		m[d.Code] = d.Severity
	}
	return m
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestDNSLookupFailed(t *testing.T) {
	rep := runWithEnv(t, "registry.regdoctor-test.invalid/team/app:1.0", nil)
	got := codes(rep)
	if got["dns-lookup-failed"] != Error {
		t.Fatalf("want dns-lookup-failed error, got %v", got)
	}
	// Downstream checks are skipped, not blamed.
	for _, id := range []string{checks.IDTCP, checks.IDTLS, checks.IDPingHTTPS, checks.IDManifest} {
		if st := rep.Result(id).Status; st != checks.Skip {
			t.Errorf("%s: status %s, want skip after a DNS failure", id, st)
		}
	}
	if len(got) != 1 {
		t.Errorf("want only dns-lookup-failed, got %v", got)
	}
}

func TestProxyMisconfigured(t *testing.T) {
	proxy := "http://" + closedPort(t)
	rep := runWithEnv(t, "registry.corp.internal:5000/team/app:1.0", map[string]string{"HTTPS_PROXY": proxy})
	got := codes(rep)
	if got["proxy-misconfigured"] != Error {
		t.Fatalf("want proxy-misconfigured error, got %v", got)
	}
	if _, blamed := got["connection-refused"]; blamed {
		t.Errorf("the registry was blamed for the proxy's refusal: %v", got)
	}
	if _, blamed := got["dns-lookup-failed"]; blamed {
		t.Errorf("DNS was blamed although the proxy resolves names: %v", got)
	}
}

// A proxy that refuses CONNECT is named as the one refusing; Go's own
// error is only the status text, which reads as the registry's answer.
func TestProxyRefusesConnect(t *testing.T) {
	for _, tc := range []struct {
		status int
		first  string
	}{
		{http.StatusProxyAuthRequired, "The proxy wants credentials"},
		{http.StatusForbidden, "The proxy refuses to connect to registry.corp.internal:5000"},
	} {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodConnect {
				t.Errorf("the proxy got %s %s; HTTPS goes through CONNECT", r.Method, r.URL)
			}
			w.Header().Set("Proxy-Authenticate", `Basic realm="corp"`)
			w.WriteHeader(tc.status)
		}))
		rep := runWithEnv(t, "registry.corp.internal:5000/team/app:1.0", map[string]string{"HTTPS_PROXY": proxy.URL})
		proxy.Close()
		var d *Diagnosis
		for i := range rep.Diagnoses {
			if rep.Diagnoses[i].Code == "proxy-misconfigured" {
				d = &rep.Diagnoses[i]
			}
		}
		want := fmt.Sprintf("answered CONNECT registry.corp.internal:5000 with %d %s", tc.status, http.StatusText(tc.status))
		if d == nil || !strings.Contains(d.Detail, want) || !strings.HasPrefix(d.Remediation[0], tc.first) {
			t.Errorf("%d: want proxy-misconfigured saying %q, first remedy %q; got %+v", tc.status, want, tc.first, rep.Diagnoses)
		}
	}
}

func TestInternalRegistryMissingFromNoProxyIsAWarning(t *testing.T) {
	proxy := "http://" + closedPort(t)
	env := map[string]string{"HTTPS_PROXY": proxy, "NO_PROXY": "registry.corp.internal"}
	rep := runWithEnv(t, "registry.corp.internal:5000/team/app:1.0", env)
	if sev, ok := codes(rep)["proxy-misconfigured"]; ok {
		t.Errorf("host in NO_PROXY still diagnosed proxy-misconfigured (%s)", sev)
	}
}
