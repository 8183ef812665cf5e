package checks

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestPingReadsOnlyAPrefix: the ping reads a bounded prefix of /v2/'s body
// for evidence; past it, the body is neither an error nor, when cut, a
// malformed one.
func TestPingReadsOnlyAPrefix(t *testing.T) {
	big := `{"errors":[{"code":"UNAVAILABLE","message":"` + strings.Repeat("x", 1<<20) + `"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big/v2/":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, big)
		case "/endless/v2/":
			w.WriteHeader(http.StatusOK)
			for {
				if _, err := w.Write([]byte(strings.Repeat("{}", 1<<12))); err != nil {
					return
				}
			}
		case "/stalled/v2/":
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "{")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	env := hostileEnv(t, srv.URL, nil, false)
	for _, tc := range []struct {
		base   string
		status int
	}{{"/big", http.StatusServiceUnavailable}, {"/endless", http.StatusOK}, {"/stalled", http.StatusOK}} {
		start := time.Now()
		p := ping(t.Context(), env, srv.URL+tc.base)
		if p.Status != tc.status || p.Error != "" || p.Malformed || !p.Unread {
			t.Errorf("%s: status %d error %q (%s) malformed %v unread %v; want %d, no error, unread", tc.base, p.Status, p.ErrorKind, p.Error, p.Malformed, p.Unread, tc.status)
		}
		if took := time.Since(start); took > prefixWait+time.Second {
			t.Errorf("%s: took %v", tc.base, took)
		}
	}
	if p := ping(t.Context(), env, srv.URL+"/big"); len(p.Body) == 0 {
		t.Error("the prefix of the body is kept as evidence")
	}
}

// TestPlainHTTPPingRedirectedToHTTPS: a plain-HTTP ping that a redirect
// took to HTTPS found no plain-HTTP registry.
func TestPlainHTTPPingRedirectedToHTTPS(t *testing.T) {
	x := &Exchange{Method: http.MethodGet, URL: "http://reg.example.com/v2/", Status: http.StatusUnauthorized, RedirectedTo: "https://reg.example.com/v2/"}
	deps := Deps{IDPingHTTPS: {Status: Fail}, IDPingHTTP: {Status: Pass, Evidence: &PingEvidence{Exchange: x, RegistryAPI: true}}}
	if ep, ok := ChooseEndpoint(deps.Get(IDPingHTTPS), deps.Get(IDPingHTTP)); ok {
		t.Errorf("endpoint %+v chosen over plain HTTP", ep)
	}
	x.RedirectedTo = "http://reg.example.com/registry/v2/"
	if ep, ok := ChooseEndpoint(deps.Get(IDPingHTTPS), deps.Get(IDPingHTTP)); !ok || ep.Base != "http://reg.example.com" || !ep.PlainHTTP {
		t.Errorf("endpoint %+v %v, want plain HTTP at the host asked", ep, ok)
	}
}

// TestChallengeParsedRawRedactedOnOutput: the challenge is parsed from the
// header as sent, so a realm with a token in its query and a password in
// its userinfo reaches the token request whole, and every output (the
// evidence's JSON, the summaries, the trace) shows it redacted, while
// keeping the parameters that are evidence.
func TestChallengeParsedRawRedactedOnOutput(t *testing.T) {
	const (
		password = "pa55w0rd-in-realm"
		query    = "s3cret-in-query"
		param    = "t0ken-in-param"
		location = "st4te-in-location"
	)
	realm := "https://robot:" + password + "@auth.example.com/token?access_token=" + query + "&x=1"
	challenge := `Bearer service="reg.example.com",realm="` + realm + `",scope="repository:a:pull",token="` + param + `"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			http.Redirect(w, r, "/v2/?_state="+location, http.StatusFound)
			return
		}
		w.Header().Set("WWW-Authenticate", challenge)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	env := hostileEnv(t, srv.URL, nil, false)
	var trace bytes.Buffer
	env.Trace = &trace

	p := ping(t.Context(), env, srv.URL)
	if !p.RegistryAPI || p.RedirectedTo == "" {
		t.Fatalf("ping %+v, want the redirect followed to a 401", p.Exchange)
	}
	res := AuthChallenge().Run(t.Context(), env, Deps{IDPingHTTPS: {ID: IDPingHTTPS, Status: Pass, Evidence: p}})
	c, _ := res.Data.(*Challenge)
	if res.Status != Pass || c == nil || c.Realm != realm || c.Service != "reg.example.com" || c.Scope != "repository:a:pull" || c.Params["token"] != param {
		t.Fatalf("challenge %+v (%s), want the raw realm, service, scope and params", c, res.Summary)
	}

	evidence, err := json.Marshal(map[string]any{"ping": p, "challenge": res.Evidence})
	if err != nil {
		t.Fatal(err)
	}
	out := string(evidence) + "\n" + res.Summary + "\n" + p.Summary() + "\n" + trace.String()
	for _, s := range []string{password, query, param, location} {
		if strings.Contains(out, s) {
			t.Errorf("output holds %q:\n%s", s, out)
		}
	}
	for _, want := range []string{
		`service=\"reg.example.com\"`, // the recorded header, in JSON
		`"service":"reg.example.com"`, // the parsed challenge, in JSON
		`"realm":"https://robot:REDACTED@auth.example.com/token?access_token=REDACTED`,
		`<   Www-Authenticate: Bearer service="reg.example.com",realm="https://robot:REDACTED@auth.example.com/token?access_token=REDACTED&x=1",scope="repository:a:pull",token="REDACTED"`,
		"> redirected to " + srv.URL + "/v2/?_state=REDACTED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
