package checks

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPingOnLargeHeaders: 100 KiB of headers is within the clients' limit.
func TestPingOnLargeHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for i := range 100 {
			w.Header().Set(fmt.Sprintf("X-Padding-%d", i), strings.Repeat("p", 1000))
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://h/token"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	if p := ping(t.Context(), hostileEnv(t, srv.URL, nil, false), srv.URL); !p.RegistryAPI || p.Error != "" {
		t.Errorf("ping %s %s (%s), want the 401 accepted", p.ErrorKind, p.Error, p.Summary())
	}
}

// TestTokenBodyLimit: the realm's answer may be as large as
// containers/image reads (1 MiB), and no larger.
func TestTokenBodyLimit(t *testing.T) {
	body := func(n int) string {
		head := `{"token":"opaque","pad":"`
		return head + strings.Repeat("x", n-len(head)-2) + `"}`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		io.WriteString(w, body(n))
	}))
	defer srv.Close()
	env := hostileEnv(t, srv.URL, nil, false)
	for n, obtained := range map[int]bool{600 << 10: true, 1 << 20: true, 1<<20 + 1: false} {
		att := requestToken(t.Context(), env, &Challenge{Scheme: "bearer", Realm: fmt.Sprintf("%s/token?n=%d", srv.URL, n)}, "", nil)
		if att.Obtained != obtained || (!obtained && att.Exchange.ErrorKind != KindTooLarge) {
			t.Errorf("%d bytes: obtained %v (%s %s), want %v", n, att.Obtained, att.Exchange.ErrorKind, att.Exchange.Error, obtained)
		}
	}
}
