package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// TCPEvidence is the outcome of connecting to the registry's HTTPS port.
type TCPEvidence struct {
	Address    string  `json:"address"`
	Port       string  `json:"port"`
	Proxy      string  `json:"proxy,omitempty"`
	Error      string  `json:"error,omitempty"`
	ErrorKind  ErrKind `json:"error_kind,omitempty"`
	DurationMS int64   `json:"duration_ms"`
}

// TCP connects to the port the HTTPS client would use.
func TCP() Check {
	return Check{
		ID:    IDTCP,
		Title: "TCP connect",
		Needs: []string{IDDNS},
		Run: func(ctx context.Context, env *Env, _ Deps) Result {
			addr := env.Target.HostPort("https")
			if px := env.Config.ProxyAddr; px != "" {
				addr = px // the client connects to the proxy, not the registry
			}
			_, port, _ := net.SplitHostPort(addr)
			ev := &TCPEvidence{Address: addr, Port: port, Proxy: env.Config.Proxy}
			start := time.Now()
			conn, err := dial(ctx, env, addr)
			ev.DurationMS = time.Since(start).Milliseconds()
			if err != nil {
				ev.Error, ev.ErrorKind = err.Error(), Classify(err, false)
				return Result{Status: Fail, Summary: fmt.Sprintf("cannot connect to %s: %s", addr, ev.ErrorKind), Evidence: ev}
			}
			if env.Config.ProxyAddr == "" {
				// The tls check handshakes over this connection instead of
				// dialling again: one connection fewer at the registry, and
				// the tls check (and what it hands over) ready a round trip
				// earlier. Env.Close closes it if nobody takes it.
				env.keepRaw(addr, conn)
			} else {
				conn.Close()
			}
			return Result{Status: Pass, Summary: "connected to " + addr, Evidence: ev}
		},
	}
}

func dial(ctx context.Context, env *Env, addr string) (net.Conn, error) {
	return env.Dialer().DialContext(ctx, "tcp", addr)
}

// errRefusedAddr is the error of a connection Options.RefuseAddr refused.
var errRefusedAddr = errors.New("refused: a link-local or cloud metadata address, which this run may not reach")

// Dialer is the dialer of every connection a run makes, bounded by the
// step timeout. The address guard runs after name resolution, on the
// address about to be dialled, so neither a name nor a redirect gets
// past it.
func (env *Env) Dialer() *net.Dialer {
	d := &net.Dialer{Timeout: env.StepTimeout(), KeepAlive: 30 * time.Second}
	if refuse := env.Opts.RefuseAddr; refuse != nil {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if a, err := netip.ParseAddr(host); err == nil && refuse(a) {
				return fmt.Errorf("%s: %w", address, errRefusedAddr)
			}
			return nil
		}
	}
	return d
}
