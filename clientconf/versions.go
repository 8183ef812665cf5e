package clientconf

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// VersionTimeout bounds the version calls of one run, all of them
// together: they run beside the checks, and a ticket without a version is
// better than a check that waits for a wedged binary.
const VersionTimeout = 2 * time.Second

// versionArgs is what makes each binary print its version; crane and
// regctl have a subcommand, not a flag (regctl refuses --version, and its
// plain `version` prints a table whose first line is no version).
var versionArgs = map[string][]string{
	"crane":  {"version"},
	"regctl": {"version", "--format", "{{.VCSTag}}"},
}

// versionCache keeps each binary's answer (or its silence) for the life of
// the process: serve and --watch run the same clients again and again,
// and an upgrade between two runs of a long-lived process is rare enough
// to cost only a stale version in a ticket.
var versionCache sync.Map // path -> string

// versionCalls joins the concurrent runs of one process (check's
// --parallel targets, serve's probes) to one call per binary: before it,
// 100 targets at --parallel 16 started 34 podman, buildah and skopeo
// processes instead of 3, each missing the cache the others were about to
// fill, and that was two thirds of the run's CPU.
var versionCalls singleflight.Group

// Versions asks each client's binary for its version, concurrently,
// within timeout altogether, and returns the first line each printed, by
// client name. A client without a binary, or whose binary fails, says
// nothing in time, or prints nothing, is left out. It never prints or
// sends anything the binaries print but that line.
func Versions(ctx context.Context, clients []string, lookPath func(string) (string, error), timeout time.Duration) map[string]string {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range clients {
		bin, ok := binaryOf(c, lookPath)
		if !ok {
			continue
		}
		path, err := lookPath(bin)
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v := versionOf(ctx, path, bin); v != "" {
				mu.Lock()
				out[c] = v
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

func versionOf(ctx context.Context, path, bin string) string {
	if v, ok := versionCache.Load(path); ok {
		return v.(string)
	}
	// The first caller's context bounds the call; the others wait on their
	// own, so none waits past its bound for another's binary.
	ch := versionCalls.DoChan(path, func() (any, error) { return askVersion(ctx, path, bin), nil })
	select {
	case r := <-ch:
		return r.Val.(string)
	case <-ctx.Done():
		return ""
	}
}

// askVersion runs the binary once and caches what it said, unless it ran
// out of time.
func askVersion(ctx context.Context, path, bin string) string {
	args := versionArgs[bin]
	if args == nil {
		args = []string{"--version"}
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &limitedBuffer{b: &stdout, n: 4096}
	// A child the binary forked may hold stdout open past the kill.
	cmd.WaitDelay = 100 * time.Millisecond
	err := cmd.Run()
	if ctx.Err() != nil {
		return "" // out of time: not cached, the next run may be luckier
	}
	v := ""
	if err == nil {
		v, _, _ = strings.Cut(strings.TrimSpace(stdout.String()), "\n")
		v = strings.TrimSpace(v)
		if len(v) > 200 {
			v = v[:200]
		}
	}
	versionCache.Store(path, v)
	return v
}

// limitedBuffer keeps the first n bytes and discards the rest, so that a
// binary that floods costs no memory.
type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
