//go:build integration

package integration

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// latencyProxy is a TCP proxy that delays every byte by oneWay in each
// direction, as a link with a round-trip time of 2*oneWay would. Delays
// apply per chunk read, through a delayed-delivery queue: a chunk read at t
// is written at t+oneWay whatever is still in flight, so the link's
// throughput is not serialised, only late.
//
// Connecting is emulated too: a real client's connect() returns one round
// trip after it started, and its first byte reaches the server half a round
// trip later. Here connect() returns at once, so bytes from the client are
// held until one round trip after the accept before their one-way delay
// starts. The server speaks first in no protocol used here.
type latencyProxy struct {
	ln       net.Listener
	upstream string
	oneWay   time.Duration
	accepted atomic.Int64
	wg       sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// startLatencyProxy listens on a free 127.0.0.1 port and forwards every
// connection to upstream with oneWay delay each way; it stops at cleanup.
func startLatencyProxy(t testing.TB, upstream string, oneWay time.Duration) *latencyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("latency proxy: %v", err)
	}
	p := &latencyProxy{ln: ln, upstream: upstream, oneWay: oneWay, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// addr is the proxy's 127.0.0.1:PORT.
func (p *latencyProxy) addr() string { return p.ln.Addr().String() }

// connections counts the client connections accepted so far.
func (p *latencyProxy) connections() int64 { return p.accepted.Load() }

func (p *latencyProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		accepted := time.Now()
		p.accepted.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c, accepted)
		}()
	}
}

// track registers a connection for close; it refuses once the proxy is closed.
func (p *latencyProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *latencyProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *latencyProxy) handle(client net.Conn, accepted time.Time) {
	defer client.Close()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return // the client sees its connection closed, as with a dead backend
	}
	defer server.Close()
	if !p.track(client, server) {
		return
	}
	defer p.untrack(client, server)

	connected := accepted.Add(2 * p.oneWay) // when a real connect() would have returned
	up := func(read time.Time) time.Time {
		if read.Before(connected) {
			read = connected
		}
		return read.Add(p.oneWay)
	}
	down := func(read time.Time) time.Time { return read.Add(p.oneWay) }

	var wg sync.WaitGroup
	wg.Add(2)
	abort := func() { client.Close(); server.Close() }
	go func() { defer wg.Done(); delayedCopy(server, client, up, abort) }()
	go func() { defer wg.Done(); delayedCopy(client, server, down, abort) }()
	wg.Wait()
}

type chunk struct {
	data []byte
	at   time.Time // when it may be written
	eof  bool      // the source half-closed: close the write side at this time
}

// delayedCopy reads src as data arrives and writes each chunk to dst at the
// time deliverAt gives for the moment it was read. A clean EOF is passed on
// as a half-close after the data before it; an error aborts both sides.
func delayedCopy(dst, src net.Conn, deliverAt func(time.Time) time.Time, abort func()) {
	queue := make(chan chunk, 4096)
	go func() {
		defer close(queue)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			now := time.Now()
			if n > 0 {
				queue <- chunk{data: buf[:n], at: deliverAt(now)}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					queue <- chunk{at: deliverAt(now), eof: true}
				} else {
					abort()
				}
				return
			}
		}
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for c := range queue {
		if d := time.Until(c.at); d > 0 {
			timer.Reset(d)
			<-timer.C
		}
		if c.eof {
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			} else {
				_ = dst.Close()
			}
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			abort()
			for range queue { // let the reader finish
			}
			return
		}
	}
}

func (p *latencyProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

// TestLatencyProxyForwards checks that the proxy the benchmark relies on
// passes bytes intact in both directions, in order, and passes a
// half-close on. It asserts no timing: that is the benchmark's business.
func TestLatencyProxyForwards(t *testing.T) {
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
			go func() { // echo until the client half-closes, then close
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	p := startLatencyProxy(t, ln.Addr().String(), 2*time.Millisecond)
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, many chunks
	go func() {
		_, _ = c.Write(want)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read through the proxy: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("echo through the proxy: got %d bytes, want %d identical bytes", len(got), len(want))
	}
	if n := p.connections(); n != 1 {
		t.Errorf("proxy counted %d connections, want 1", n)
	}
}
