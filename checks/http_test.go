package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/regdoctor/regdoctor/target"
)

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name      string
		err       error
		connected bool
		want      ErrKind
	}{
		{"nil", nil, false, ""},
		{"dns not found", &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, false, KindDNS},
		{"dns timeout is a timeout", &net.DNSError{Err: "i/o timeout", Name: "slow", IsTimeout: true}, false, KindConnectTimeout},
		{"refused", &url.Error{Op: "Get", URL: "https://h/v2/", Err: refused}, false, KindRefused},
		{"proxy wins over refused", &url.Error{Op: "Get", URL: "https://h/v2/", Err: fmt.Errorf("proxyconnect tcp: %w", refused)}, false, KindProxy},
		{"http to https", errors.New("http: server gave HTTP response to HTTPS client"), true, KindHTTPToHTTPS},
		{"tls record header", errors.New("tls: first record does not look like a TLS handshake"), true, KindHTTPToHTTPS},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, true, KindUnknownCA},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired, Detail: "current time is after"}, true, KindCertExpired},
		{"hostname", x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"registry.example.com"}}, Host: "10.0.0.5"}, true, KindHostname},
		{"hostname by name", x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"a.example.com"}}, Host: "b.example.com"}, true, KindHostname},
		{"redirect loop", &url.Error{Op: "Get", URL: "https://h/", Err: errRedirectLoop}, true, KindRedirectLoop},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true, KindReset},
		{"eof", fmt.Errorf("reading: %w", io.EOF), true, KindReset},
		{"broken pipe", &net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}, true, KindReset},
		{"unexpected eof", io.ErrUnexpectedEOF, true, KindReset},
		{"deadline before connect", context.DeadlineExceeded, false, KindConnectTimeout},
		{"deadline after connect", context.DeadlineExceeded, true, KindNoResponse},
		{"os deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), true, KindNoResponse},
		{"other tls", errors.New("remote error: tls: handshake failure"), true, KindTLS},
		// crypto/tls wraps a received alert as below; its Err is unexported.
		{"client cert required", &url.Error{Op: "Get", URL: "https://h/v2/", Err: &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}}, true, KindClientCert},
		{"client cert refused", &net.OpError{Op: "remote error", Err: errors.New("tls: unknown certificate authority")}, true, KindClientCert},
		{"alert not about a certificate", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, true, KindTLS},
		{"local, not remote", &net.OpError{Op: "local error", Err: errors.New("tls: bad certificate")}, true, KindTLS},
		{"other", errors.New("something odd"), true, KindOther},
	} {
		if got := Classify(tc.err, tc.connected); got != tc.want {
			t.Errorf("%s: Classify(%v, %v) = %q, want %q", tc.name, tc.err, tc.connected, got, tc.want)
		}
	}
}

// checkRedacted asserts that redact(in) drops every gone and keeps every kept.
func checkRedacted(t *testing.T, name string, redact func(string) string, in string, gone, kept []string) {
	t.Helper()
	got := redact(in)
	for _, s := range gone {
		if strings.Contains(got, s) {
			t.Errorf("%s(%q) = %q keeps %q", name, in, got, s)
		}
	}
	for _, s := range kept {
		if !strings.Contains(got, s) {
			t.Errorf("%s(%q) = %q lost %q", name, in, got, s)
		}
	}
}

func TestRedactURLString(t *testing.T) {
	for _, tc := range []struct {
		in         string
		gone, kept []string
	}{
		{in: "https://reg:5000/v2/app/blobs/uploads/1f2e?_state=c2VjcmV0LXN0YXRl&digest=sha256:aa",
			gone: []string{"c2VjcmV0LXN0YXRl"}, kept: []string{"reg:5000", "/v2/app/blobs/uploads/1f2e", "digest=sha256", "_state=REDACTED"}},
		{in: "https://alice:hunter2@proxy.corp:3128",
			gone: []string{"hunter2"}, kept: []string{"alice", "proxy.corp:3128"}},
		{in: "https://s3.example.com/blob?X-Amz-Signature=deadbeef&X-Amz-Date=20240101",
			gone: []string{"deadbeef"}, kept: []string{"X-Amz-Date=20240101"}},
		{in: "https://auth/token?access_token=a1&token=t1&refresh_token=r1&password=p1&sig=s1&service=reg",
			gone: []string{"a1", "t1", "r1", "p1", "s1"}, kept: []string{"service=reg"}},
		{in: "https://alice@reg/v2/", kept: []string{"alice@reg"}},
		{in: "https://reg/v2/", kept: []string{"https://reg/v2/"}},
		{in: "::not a url", gone: []string{"not a url"}, kept: []string{"unparseable"}},
	} {
		checkRedacted(t, "redactURLString", redactURLString, tc.in, tc.gone, tc.kept)
	}
}

func TestRedactBody(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYifQ.c2lnbmF0dXJl-_x"
	for _, tc := range []struct {
		in         string
		gone, kept []string
	}{
		{in: `{"token":"tok-1","access_token":"tok-2","refresh_token":"tok-3","expires_in":300}`,
			gone: []string{"tok-1", "tok-2", "tok-3"}, kept: []string{`"expires_in":300`, `"token":"REDACTED"`}},
		{in: `{"Password" : "pw-1", "IdentityToken":"id-1", "auth": "YWxpY2U6aHVudGVyMg==", "secret":"s-1", "user":"alice"}`,
			gone: []string{"pw-1", "id-1", "YWxpY2U6aHVudGVyMg==", "s-1"}, kept: []string{`"user":"alice"`}},
		{in: "invalid token " + jwt + " presented", gone: []string{jwt, "eyJ"}, kept: []string{"REDACTED-JWT", "presented"}},
		{in: "Authorization: Basic YWxpY2U6aHVudGVyMg==", gone: []string{"YWxpY2U6aHVudGVyMg=="}, kept: []string{"Basic REDACTED"}},
		{in: "authorization: bearer abcdef0123456789.x", gone: []string{"abcdef0123456789"}, kept: []string{"bearer REDACTED"}},
		{in: "<html><h1>404 Not Found</h1></html>", kept: []string{"<html><h1>404 Not Found</h1></html>"}},
		{in: "basic auth required", kept: []string{"basic auth required"}},
	} {
		checkRedacted(t, "redactBody", redactBody, tc.in, tc.gone, tc.kept)
	}
}

func TestRedactError(t *testing.T) {
	err := &url.Error{Op: "Patch", URL: "https://u:pw-9@reg/v2/a/blobs/uploads/x?_state=st-9", Err: errors.New("bearer abcdefghijk123 rejected")}
	got := redactError(err)
	for _, s := range []string{"pw-9", "st-9", "abcdefghijk123"} {
		if strings.Contains(got, s) {
			t.Errorf("redactError = %q keeps %q", got, s)
		}
	}
	if !strings.HasPrefix(got, "Patch ") {
		t.Errorf("redactError = %q lost the operation", got)
	}
}

// TestPingAccepted: the clients' ping decides on the status alone; the
// API version header is fingerprinting evidence, not a condition.
func TestPingAccepted(t *testing.T) {
	for _, tc := range []struct {
		x          *Exchange
		want, head bool
	}{
		{nil, false, false},
		{&Exchange{}, false, false},
		{&Exchange{Status: 200, Headers: map[string]string{"Docker-Distribution-API-Version": "registry/2.0"}}, true, true},
		{&Exchange{Status: 404, Headers: map[string]string{"docker-distribution-api-version": "registry/2.0"}}, false, true},
		{&Exchange{Status: 401, Headers: map[string]string{"WWW-Authenticate": `Bearer realm="x"`}}, true, false},
		{&Exchange{Status: 401}, true, false},
		{&Exchange{Status: 200, Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, true, false},
		{&Exchange{Status: 200, Headers: map[string]string{"Content-Type": "text/html"}}, true, false},
		{&Exchange{Status: 200, Error: "connection closed mid-answer"}, false, false},
		{&Exchange{Status: 404, Headers: map[string]string{"Content-Type": "application/json"}}, false, false},
		{&Exchange{Status: 302, Headers: map[string]string{"Location": "/v2/"}}, false, false},
	} {
		if got := tc.x.PingAccepted(); got != tc.want {
			t.Errorf("PingAccepted(%+v) = %v, want %v", tc.x, got, tc.want)
		}
		if got := tc.x.HasAPIHeader(); got != tc.head {
			t.Errorf("HasAPIHeader(%+v) = %v, want %v", tc.x, got, tc.head)
		}
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", 1000)
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		codes     []string
		malformed bool
		bodyHas   string // "" means Body must be empty
	}{
		{name: "success is not parsed", status: 200, body: `{"errors":[{"code":"X"}]}`},
		{name: "empty", status: 404},
		{name: "registry errors", status: 404, body: ` {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"},{"code":"NAME_UNKNOWN"}]}`,
			codes: []string{"MANIFEST_UNKNOWN", "NAME_UNKNOWN"}},
		{name: "truncated json", status: 500, body: `{"errors":[{"code":`, malformed: true, bodyHas: `{"errors":[{"code":`},
		{name: "html page", status: 502, body: "<html>Bad Gateway</html>", bodyHas: "<html>Bad Gateway</html>"},
		{name: "long body is cut", status: 503, body: long, bodyHas: strings.Repeat("x", 256) + "…"},
		{name: "long code is cut", status: 400, body: `{"errors":[{"code":"` + long + `"}]}`, codes: []string{strings.Repeat("x", 64) + "…"}},
		{name: "token in malformed json", status: 500, body: `{"token":"tok-secret", oops`, malformed: true, bodyHas: `"token":"REDACTED"`},
	} {
		x := &Exchange{Status: tc.status}
		x.parseErrors([]byte(tc.body), true)
		var codes []string
		for _, e := range x.Errors {
			codes = append(codes, string(e.Code))
		}
		if fmt.Sprint(codes) != fmt.Sprint(tc.codes) || x.Malformed != tc.malformed {
			t.Errorf("%s: codes %v malformed %v, want %v %v", tc.name, codes, x.Malformed, tc.codes, tc.malformed)
		}
		if (tc.bodyHas == "") != (x.Body == "") || !strings.Contains(x.Body, tc.bodyHas) {
			t.Errorf("%s: body %q, want it to hold %q", tc.name, x.Body, tc.bodyHas)
		}
	}
}

// TestParseErrorsRedactsMessages: registry error messages go verbatim into
// the JSON evidence, so a token a registry echoes back must not survive.
func TestParseErrorsRedactsMessages(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYifQ.c2lnbmF0dXJl"
	x := &Exchange{Status: http.StatusUnauthorized}
	x.parseErrors([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"invalid token `+jwt+`"}]}`), true)
	if len(x.Errors) != 1 || strings.Contains(x.Errors[0].Message, jwt) {
		t.Errorf("errors %+v keep the token", x.Errors)
	}
}

// TestDoRecordsWithoutSecrets drives Env.Do against a local server: the
// evidence keeps status and headers, and neither it nor the trace holds the
// Authorization value, the upload state or the token in the body.
func TestDoRecordsWithoutSecrets(t *testing.T) {
	const secret = "Bearer s3cr3t-t0ken-value"
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/big":
			w.Write(bytes.Repeat([]byte("a"), 100))
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			w.Header().Set("Location", "/v2/app/blobs/uploads/1?_state=upload-st4te")
			w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
			w.Header().Set("X-Not-Recorded", "x")
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"token":"body-t0ken"}`)
		}
	}))
	defer srv.Close()
	tg, err := target.Parse(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(context.Background(), tg, Options{Timeout: testTimeout, TLSVerify: true, CertsDirs: []string{}, Env: func(string) string { return "" }})
	defer env.Close()
	var trace bytes.Buffer
	env.Trace = &trace

	x, body := env.Do(t.Context(), request{Method: http.MethodPost, URL: srv.URL + "/v2/app/blobs/uploads/?_state=st4te-in-url", Auth: secret})
	if gotAuth != secret {
		t.Errorf("server got Authorization %q, want it sent", gotAuth)
	}
	if x.Status != http.StatusAccepted || x.Auth != "bearer" || !x.Connected || x.Header("Docker-Distribution-API-Version") != "registry/2.0" ||
		x.Shown("X-Not-Recorded") != "" || x.Header("Location") != "/v2/app/blobs/uploads/1?_state=upload-st4te" || string(body) != `{"token":"body-t0ken"}` {
		t.Errorf("exchange %+v body %q", x, body)
	}
	x2, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + "/big", Limit: 10})
	if x2.ErrorKind != KindTooLarge {
		t.Errorf("100-byte body with limit 10: error kind %q", x2.ErrorKind)
	}
	x3, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: srv.URL + "/loop"})
	if x3.ErrorKind != KindRedirectLoop {
		t.Errorf("redirect loop: error kind %q (%s)", x3.ErrorKind, x3.Error)
	}
	x4, _ := env.Do(t.Context(), request{Method: http.MethodGet, URL: "http://[::1"})
	if x4.ErrorKind != KindBadURL {
		t.Errorf("bad URL: error kind %q (%s)", x4.ErrorKind, x4.Error)
	}

	evidence, err := json.Marshal([]*Exchange{x, x2, x3})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"s3cr3t-t0ken-value", "upload-st4te", "st4te-in-url"} {
		if bytes.Contains(evidence, []byte(s)) {
			t.Errorf("evidence holds %q: %s", s, evidence)
		}
	}
	for _, s := range []string{"s3cr3t-t0ken-value", "upload-st4te", "st4te-in-url", "body-t0ken"} {
		if strings.Contains(trace.String(), s) {
			t.Errorf("trace holds %q:\n%s", s, trace.String())
		}
	}
	if !strings.Contains(trace.String(), "(Authorization: bearer REDACTED)") || !strings.Contains(trace.String(), "< 202") {
		t.Errorf("trace lacks the exchange:\n%s", trace.String())
	}
}

func TestRedactText(t *testing.T) {
	for in, want := range map[string]string{
		"no token in bearer response:":                             "no token in bearer response:",
		"Authorization: Bearer\tabcdef0123456789":                  "Authorization: Bearer REDACTED",
		"Authorization: Basic YWxpY2U6czNjcjN0Pz4=":                "Authorization: Basic REDACTED",
		"uses basic authentication":                                "uses basic authentication",
		"bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":        "bearer REDACTED",
		`{"auth":"YWxpY2U6czNjcjN0","email":""}`:                   `{"auth":"REDACTED","email":""}`,
		"https://alice:s3cret@registry.example.com/v2/":            "https://alice:REDACTED@registry.example.com/v2/",
		"data?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=abc123": "data?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED",
	} {
		if got := RedactText(in); got != want {
			t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
		}
	}
}
