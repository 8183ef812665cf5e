package diagnose

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// A proxy whose upstream is down answers 502 pages over plain HTTP. Every
// client fails; the run must never come out healthy, with or without
// --tls-verify=false.
func TestPlainHTTPBadGatewayIsNotHealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")
	}))
	defer srv.Close()
	for _, verify := range []bool{false, true} {
		tg, err := target.Parse(strings.TrimPrefix(srv.URL, "http://") + "/team/app:1.0")
		if err != nil {
			t.Fatal(err)
		}
		o := checks.Options{Timeout: 5 * time.Second, TLSVerify: verify, CertsDirs: []string{}, Clients: []string{"podman"},
			SysRoot: t.TempDir(), Env: func(string) string { return "" }}
		rep := Check(context.Background(), tg, o, Hooks{})
		if got := codes(rep); rep.Healthy() || got["registry-misbehaving"] != Error {
			t.Errorf("tls-verify=%v: want registry-misbehaving and unhealthy, got %v", verify, got)
		}
	}
}
