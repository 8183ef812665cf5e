package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// probeWithoutCert sends GET /v2/ over a connection that answers the
// server's certificate request with none, and says whether the server
// then refused: a certificate alert, a connection dropped before any
// answer, or nginx's 400 page for ssl_verify_client.
func probeWithoutCert(ctx context.Context, env *Env, addr, host string) (required bool, outcome string) {
	d := tls.Dialer{
		NetDialer: env.Dialer(),
		Config: &tls.Config{
			ServerName:         host,
			InsecureSkipVerify: true, //nolint:gosec // only the server's answer to a missing certificate is read
			NextProtos:         []string{"http/1.1"},
		},
	}
	hctx, cancel := context.WithTimeout(ctx, env.StepTimeout())
	defer cancel()
	conn, err := d.DialContext(hctx, "tcp", addr)
	if err != nil {
		return refusedWithout(err)
	}
	defer conn.Close()
	deadline, _ := hctx.Deadline()
	conn.SetDeadline(deadline)
	if _, err := fmt.Fprintf(conn, "GET /v2/ HTTP/1.1\r\nHost: %s\r\nUser-Agent: regdoctor/%s\r\nConnection: close\r\n\r\n", env.Target.Host, Version); err != nil {
		return refusedWithout(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(conn, 64<<10)), nil)
	if err != nil {
		return refusedWithout(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	page := strings.ToLower(string(body))
	if resp.StatusCode == http.StatusBadRequest && (strings.Contains(page, "no required ssl certificate") || strings.Contains(page, "ssl certificate error")) {
		return true, "400 No required SSL certificate was sent"
	}
	return false, fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}

// refusedWithout reads an error on the certificate-less connection:
// anything but a timeout means the server would not serve it.
func refusedWithout(err error) (bool, string) {
	if isTimeout(err) {
		return false, "no answer before the timeout: " + err.Error()
	}
	return true, err.Error()
}
