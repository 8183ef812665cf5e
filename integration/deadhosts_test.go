//go:build integration

package integration

import (
	"net"
	"sync"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// closedPort returns 127.0.0.1:PORT where nothing listens: connection refused.
func closedPort(t testing.TB) string {
	t.Helper()
	return hostPort(freePort(t))
}

// startSilentListener accepts TCP connections and never writes a byte: what
// a firewall that drops packets mid-stream or a wedged proxy looks like.
func startSilentListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// startBlackhole returns a loopback port whose connection attempts get no
// answer (a full listen queue drops SYNs), as behind a dropping firewall.
// The fixtures package builds it; the clients meet a real kernel timeout.
func startBlackhole(t testing.TB) string {
	t.Helper()
	reg := fixturetest.Start(t, "connection-timeout")
	return reg.Host
}
