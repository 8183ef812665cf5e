package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/clientconf"
)

const (
	// maxHelperOutput bounds what a credential helper may print: its
	// answer is one small JSON object.
	maxHelperOutput = 1 << 20
	// helperTimeout bounds one helper call within the run, so that a hung
	// helper leaves a long --timeout time for the network checks.
	helperTimeout = 5 * time.Second
	// helperWaitDelay is how long we wait, once the helper has exited or
	// been killed, for processes it started to close its stdout. Without
	// it a daemon the helper forks (an agent, a keychain unlocker) that
	// inherits stdout keeps Wait, and so the run, waiting until it exits.
	helperWaitDelay = 250 * time.Millisecond
)

// helperFailure is a credential helper that failed in a way the user must
// fix (it hangs, floods, or leaves its output open); it becomes a Problem.
// A helper that exits with an error is not one: helpers do that when they
// simply hold nothing for the server.
type helperFailure struct{ msg string }

func (e *helperFailure) Error() string { return e.msg }

// fromHelper asks a docker credential helper, as docker and podman do.
func (cc *ClientConfig) fromHelper(ctx context.Context, path, helper, server string) *Credentials {
	bin := "docker-credential-" + helper
	if cc.helpersFailed[bin] {
		return nil // reported once; asking again would cost the same wait
	}
	if _, err := exec.LookPath(bin); err != nil {
		// Only the clients that ask this helper fail (helperReaders):
		// containers/image never asks credsStore. docker does not fail
		// either: docker/cli's ResolveAuthConfig drops the store's error
		// (`a, _ := cfg.GetAuthConfig(key)`, cli/command/registry.go) and
		// the pull goes in anonymously, as the real docker does in the
		// integration suite; its verdict then follows the registry's
		// answer to an anonymous client. regctl ignores it as well: a
		// helper that fails is retried later and the request goes out
		// without credentials (regclient config/host.go refreshHelper).
		stopped := slices.DeleteFunc(slices.Clone(cc.helperReaders), func(c string) bool { return c == "docker" || c == "regctl" })
		if len(stopped) > 0 || cc.helperReaders == nil {
			cc.problemFor(stopped, clientconf.HelperMissing, path, 0, "%s names credential helper %q but %s is not in PATH%s", path, helper, bin, failing(stopped))
		}
		return nil
	}
	out, err := runHelper(ctx, bin, server, cc.runTimeout)
	if hf := (*helperFailure)(nil); errors.As(err, &hf) {
		if cc.helpersFailed == nil {
			cc.helpersFailed = map[string]bool{}
		}
		cc.helpersFailed[bin] = true
		cc.problemFor(cc.helperReaders, clientconf.HelperFailed, path, 0, "credential helper %s (named in %s) %s", bin, path, hf.msg)
		return nil
	}
	if err != nil {
		// Helpers print "credentials not found in native keychain" when
		// they simply hold nothing for this server.
		return nil
	}
	var resp struct{ Username, Secret string }
	if err := json.Unmarshal(out, &resp); err != nil || resp.Secret == "" {
		return nil
	}
	c := &Credentials{Source: "credential helper " + bin + " (from " + path + ")", Key: server, Username: resp.Username, Password: resp.Secret}
	if resp.Username == "<token>" {
		c.Username, c.Password, c.IdentityToken = "", "", resp.Secret
	}
	return c
}

// failing names the clients a missing helper stops, for the message.
func failing(clients []string) string {
	if len(clients) == 0 {
		return ""
	}
	return "; " + clientList(clients, "") + " fail asking it (\"error getting credentials - err: exec: ...: executable file not found in $PATH\")"
}

// runHelper runs `bin get` for server within ctx (the run, whose deadline
// is --timeout, given as runTimeout for the message) and helperTimeout,
// keeping at most maxHelperOutput bytes of its output. The errors that are
// the helper's fault are *helperFailure; none quotes the output, which may
// hold the secret.
func runHelper(ctx context.Context, bin, server string, runTimeout time.Duration) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &helperFailure{fmt.Sprintf("was not asked: the run's --timeout %s ran out before", runTimeout)}
	}
	hctx, cancel := context.WithTimeout(ctx, helperTimeout)
	defer cancel()
	cmd := exec.CommandContext(hctx, bin, "get")
	cmd.Stdin = strings.NewReader(server)
	out := &helperOutput{stop: cancel}
	// A writer rather than StdoutPipe: Wait then owns the copying, so
	// WaitDelay can end it when a grandchild holds the pipe open.
	cmd.Stdout = out
	cmd.WaitDelay = helperWaitDelay
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	if err == nil {
		return out.buf.Bytes(), nil // it answered in time, whatever the clock says now
	}
	switch {
	case out.over:
		return nil, &helperFailure{fmt.Sprintf("printed more than %d bytes, where a helper answers with one small JSON object; regdoctor stopped it (docker and podman would read it all and fail to parse it)", maxHelperOutput)}
	case errors.Is(err, exec.ErrWaitDelay):
		// Only a helper that exited successfully gets this error.
		return nil, &helperFailure{"exited, but a process it started kept its output open; docker and podman wait until that process exits, so they hang before they contact the registry"}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, &helperFailure{fmt.Sprintf("did not answer within the run's --timeout %s (stopped after %s); docker and podman wait for a credential helper without any limit, so they hang before they contact the registry", runTimeout, took)}
	case ctx.Err() != nil:
		return nil, ctx.Err() // interrupted: not the helper's fault
	case errors.Is(hctx.Err(), context.DeadlineExceeded):
		return nil, &helperFailure{fmt.Sprintf("did not answer within %s; docker and podman wait for a credential helper without any limit, so they hang before they contact the registry", helperTimeout)}
	}
	return nil, err
}

// helperOutput keeps a helper's stdout up to maxHelperOutput bytes. At the
// first byte more it stops the helper and refuses the rest. exec's copying
// goroutine is the only writer, and Run returns only after it ends.
type helperOutput struct {
	buf  bytes.Buffer
	over bool
	stop func()
}

var errHelperFlood = errors.New("credential helper output too large")

func (w *helperOutput) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > maxHelperOutput {
		w.over = true
		w.stop()
		return 0, errHelperFlood
	}
	return w.buf.Write(p)
}
