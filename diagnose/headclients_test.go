package diagnose

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestHeadFailureFailsOnlyHeadClients: a HEAD that fails while GET works
// fails only the clients that resolve with HEAD, and only as they fail.
func TestHeadFailureFailsOnlyHeadClients(t *testing.T) {
	all := []string{"podman", "docker", "containerd", "crane"}
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("RateLimit-Remaining", "0")
			w.WriteHeader(code)
		}
	}
	hangUp := func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	for _, tc := range []struct {
		name  string
		head  http.HandlerFunc
		fails []string
		sev   Severity
	}{
		{"HEAD 500", status(http.StatusInternalServerError), []string{"containerd"}, Error},
		{"HEAD 429", status(http.StatusTooManyRequests), []string{"containerd"}, Error},
		{"HEAD 404", status(http.StatusNotFound), []string{"containerd"}, Error},
		{"HEAD hangs up", hangUp, []string{"containerd", "docker"}, Error},
		{"HEAD 405", status(http.StatusMethodNotAllowed), nil, Info},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := runMini(t, &miniRegistry{apiHeader: true, head: tc.head}, all...)
			got := codes(rep)
			if got["head-get-mismatch"] != tc.sev {
				t.Errorf("head-get-mismatch %q, want %q:%s", got["head-get-mismatch"], tc.sev, explainReport(rep))
			}
			for code, sev := range got {
				if code == "pull-step-failed" && strings.Contains(detailOf(rep, code), "containerd speaks plain HTTP") {
					continue // containerd's loopback default, not the HEAD
				}
				if code != "head-get-mismatch" && sev != Info {
					t.Errorf("%s (%s): HEAD alone is head-get-mismatch's:%s", code, sev, explainReport(rep))
				}
			}
			// Failing because of the HEAD: containerd also fails a loopback
			// registry it would talk plain HTTP to without a hosts.toml,
			// which is not this test's concern.
			var failing []string
			for _, c := range rep.Clients {
				if c.Verdict != "ok" && strings.HasPrefix(c.Reason, "head-get-mismatch") {
					failing = append(failing, c.Name)
				}
			}
			slices.Sort(failing)
			if !slices.Equal(failing, tc.fails) {
				t.Errorf("failing clients %v, want %v: %+v", failing, tc.fails, rep.Clients)
			}
		})
	}
}

func detailOf(rep *Report, code Code) string {
	for _, d := range rep.Diagnoses {
		if d.Code == code {
			return d.Detail
		}
	}
	return ""
}
