package checks

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// traceExchange is what one traced exchange says about its timing and its
// connection.
type traceExchange struct {
	line        string
	at, took    float64 // milliseconds
	conn        string
	hasDuration bool
}

var (
	traceStartLine = regexp.MustCompile(`^> (GET|HEAD|POST|PUT|PATCH|DELETE) \S+.* at \+([0-9]+\.[0-9])ms$`)
	traceConnLine  = regexp.MustCompile(`^>   \[connection: (.+)\]$`)
	traceTookLine  = regexp.MustCompile(`^< (?:[0-9]{3} .* in|error \(.*\) after) ([0-9]+\.[0-9])ms`)
)

func parseTrace(t *testing.T, trace string) []traceExchange {
	t.Helper()
	var out []traceExchange
	for _, line := range strings.Split(trace, "\n") {
		if m := traceStartLine.FindStringSubmatch(line); m != nil {
			at, _ := strconv.ParseFloat(m[2], 64)
			out = append(out, traceExchange{line: line, at: at})
			continue
		}
		if len(out) == 0 {
			continue
		}
		x := &out[len(out)-1]
		if m := traceConnLine.FindStringSubmatch(line); m != nil && x.conn == "" {
			x.conn = m[1]
		}
		if m := traceTookLine.FindStringSubmatch(line); m != nil {
			x.took, _ = strconv.ParseFloat(m[1], 64)
			x.hasDuration = true
		}
	}
	return out
}

// TestTraceShowsTimingAndConnection: every traced exchange says when it
// started (from the run's start), how long it took, and which connection
// it went over. Exchanges one after another start after the one before
// ended, and the second request to a keep-alive server reuses the
// connection. No duration is asserted, only that the figures agree.
func TestTraceShowsTimingAndConnection(t *testing.T) {
	t.Run("plain HTTP keep-alive", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
			w.Write([]byte("{}"))
		}))
		defer srv.Close()
		env := hostileEnv(t, srv.URL, nil, false)
		var trace bytes.Buffer
		env.Trace = &trace
		for range 2 {
			if x, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + "/v2/"}); x.Status != http.StatusOK {
				t.Fatalf("exchange %+v", x)
			}
		}
		xs := parseTrace(t, trace.String())
		if len(xs) != 2 {
			t.Fatalf("want 2 traced exchanges with a start offset, got %d:\n%s", len(xs), trace.String())
		}
		host := strings.TrimPrefix(srv.URL, "http://")
		if want := "new, plain TCP, to " + host; xs[0].conn != want {
			t.Errorf("first exchange's connection %q, want %q:\n%s", xs[0].conn, want, trace.String())
		}
		if !strings.HasPrefix(xs[1].conn, "reused") || !strings.HasSuffix(xs[1].conn, "plain TCP, to "+host) {
			t.Errorf("second exchange's connection %q, want it reused:\n%s", xs[1].conn, trace.String())
		}
		checkSequential(t, xs, trace.String())
	})

	t.Run("HTTPS after the tls check", func(t *testing.T) {
		reg := fixturetest.Start(t, "healthy")
		env := fixtureEnv(t, reg)
		var trace bytes.Buffer
		env.Trace = &trace
		if res := TLS().Run(t.Context(), env, nil); res.Status != Pass {
			t.Fatalf("tls: %s %s", res.Status, res.Summary)
		}
		for range 2 {
			ping(t.Context(), env, "https://"+env.Target.Host)
		}
		xs := parseTrace(t, trace.String())
		if len(xs) != 2 {
			t.Fatalf("want 2 traced exchanges, got %d:\n%s", len(xs), trace.String())
		}
		// The first request goes over the connection the tls check handed
		// over: new to the transport, not dialled by it.
		if !strings.HasPrefix(xs[0].conn, "new, the tls check's, handed over, TLS 1.") || !strings.Contains(xs[0].conn, "TLS not resumed") {
			t.Errorf("first exchange's connection %q, want the tls check's:\n%s", xs[0].conn, trace.String())
		}
		// Resumption belongs to a handshake: a reused connection makes none.
		if !strings.HasPrefix(xs[1].conn, "reused") || !strings.Contains(xs[1].conn, ", TLS 1.") || strings.Contains(xs[1].conn, "resumed") {
			t.Errorf("second exchange's connection %q, want it reused:\n%s", xs[1].conn, trace.String())
		}
		checkSequential(t, xs, trace.String())
	})
}

// checkSequential: each exchange has a duration, and one made after
// another started no earlier than the other's start plus its duration
// (0.1 ms for the rounding of both figures).
func checkSequential(t *testing.T, xs []traceExchange, trace string) {
	t.Helper()
	for i, x := range xs {
		if !x.hasDuration {
			t.Errorf("exchange %q has no duration:\n%s", x.line, trace)
		}
		if i > 0 && x.at+0.1 < xs[i-1].at+xs[i-1].took {
			t.Errorf("exchange %d started at +%.1fms, before the one before it ended (+%.1fms, %.1fms):\n%s", i, x.at, xs[i-1].at, xs[i-1].took, trace)
		}
	}
}
