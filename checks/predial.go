package checks

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
)

// Remembered realms. serve and --watch check the same registries round
// after round, and many targets of one run often share a registry: its
// token realm, when on another origin (Docker Hub's auth.docker.io, Harbor
// behind a separate auth host, a Keycloak realm), costs every run a TCP
// connect and a TLS handshake (two round trips) after the ping has named
// it. A run that finds a realm remembers it for the process; later runs
// against the same registry dial it at once, in parallel with the
// registry's own connections, so that the token requests find it open.
//
// A pre-dialled connection is verified exactly as the transport's own dial
// verifies (dialTLS); one that fails is dropped, and the token request
// dials and reports on its own. Evidence and verdicts do not depend on it.
type realmMemo struct {
	addr string // host:port of the realm, https only
	h2   bool   // the realm negotiated HTTP/2: one connection serves both token requests
}

var (
	realms      sync.Map // registry host → realmMemo
	realmsCount atomic.Int64
)

// maxRealms bounds the memory: serve's /probe may be allowed a wildcard
// of registries, and a process need not remember every one it was asked.
const maxRealms = 1024

// rememberRealm records the realm a token request of this run reached
// over TLS, unless it is on the registry's own origin (whose connections
// the run makes anyway).
func (env *Env) rememberRealm(realm string, x *Exchange) {
	u, err := url.Parse(realm)
	if err != nil || u.Scheme != "https" || x == nil || !x.Connected || x.alpn == "" {
		return
	}
	addr := net.JoinHostPort(u.Hostname(), portOr(u.Port(), "443"))
	if addr == env.Target.HostPort("https") {
		if _, known := realms.LoadAndDelete(env.Target.Host); known {
			realmsCount.Add(-1)
		}
		return
	}
	if _, known := realms.Load(env.Target.Host); !known && realmsCount.Add(1) > maxRealms {
		realmsCount.Add(-1)
		return
	}
	realms.Store(env.Target.Host, realmMemo{addr: addr, h2: x.alpn == "h2"})
}

func portOr(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

// rememberedRealm is the realm an earlier run of this process found for
// the registry.
func (env *Env) rememberedRealm() (realmMemo, bool) {
	m, ok := realms.Load(env.Target.Host)
	if !ok {
		return realmMemo{}, false
	}
	return m.(realmMemo), true
}

// predialRealm dials the remembered realm in the background: one
// connection, which the token check's requests take one after the other
// (tokensFirst). Not through a proxy, where the transport does TLS itself.
func (env *Env) predialRealm() {
	m, ok := env.rememberedRealm()
	if !ok || env.Config.Proxy != "" {
		return
	}
	done := make(chan struct{})
	env.stashMu.Lock()
	if env.predials == nil {
		env.predials = map[string]chan struct{}{}
	}
	env.predials[m.addr] = done
	env.stashMu.Unlock()
	go func() {
		defer close(done)
		c, err := env.dialTLSFresh(env.clock.ctx, "tcp", m.addr)
		if err != nil {
			return
		}
		if tc, ok := c.(*tls.Conn); ok {
			env.stashPredialled(m.addr, tc)
		} else {
			c.Close()
		}
	}()
}

// awaitPredial waits for the pre-dials to addr still under way, so that a
// token request made while they finish does not dial a connection more.
func (env *Env) awaitPredial(ctx context.Context, addr string) {
	env.stashMu.Lock()
	done := env.predials[addr]
	env.stashMu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}
