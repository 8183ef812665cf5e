package checks

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// Options.RefuseAddr guards every connection, a redirect's included: a
// registry allowed by name cannot lead a request to a refused address.
func TestRefuseAddrGuardsRedirects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	var reached atomic.Bool
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Store(true) }))
	target.Listener.Close()
	target.Listener = ln
	target.Start()
	defer target.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer front.Close()

	refused := netip.MustParseAddr("127.0.0.2")
	env := &Env{Opts: Options{Timeout: 5 * time.Second, RefuseAddr: func(a netip.Addr) bool { return a == refused }}, Config: &ClientConfig{}}
	env.client = &http.Client{Transport: &http.Transport{DialContext: env.Dialer().DialContext}, CheckRedirect: followRedirect}
	x, _ := env.Do(context.Background(), request{Method: http.MethodGet, URL: front.URL + "/v2/"})
	if reached.Load() || x.ErrorKind != KindAddrRefused {
		t.Errorf("redirect to a refused address: reached=%v, exchange %+v", reached.Load(), x)
	}
	x, _ = env.Do(context.Background(), request{Method: http.MethodGet, URL: target.URL + "/v2/"})
	if reached.Load() || x.ErrorKind != KindAddrRefused {
		t.Errorf("a refused address asked directly: reached=%v, exchange %+v", reached.Load(), x)
	}
	if _, err := env.Dialer().DialContext(context.Background(), "tcp", front.Listener.Addr().String()); err != nil {
		t.Errorf("an address the guard does not refuse: %v", err)
	}
}
