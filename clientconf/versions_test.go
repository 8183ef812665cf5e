package clientconf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestVersions(t *testing.T) {
	dir := t.TempDir()
	scripts := map[string]string{
		"podman":  "echo 'podman version 5.4.2'\necho second line\n",
		"skopeo":  "exit 3\n",
		"buildah": "exec sleep 60\n",
		"crane":   "[ \"$1\" = version ] && echo v0.22.1\n",
		"regctl":  "[ \"$*\" = 'version --format {{.VCSTag}}' ] && echo v0.11.7\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	look := func(b string) (string, error) {
		p := filepath.Join(dir, b)
		if _, err := os.Stat(p); err != nil {
			return "", errors.New("not found")
		}
		return p, nil
	}
	got := Versions(context.Background(), []string{"podman", "skopeo", "buildah", "crane", "regctl", "docker"}, look, 500*time.Millisecond)
	want := map[string]string{"podman": "podman version 5.4.2", "crane": "v0.22.1", "regctl": "v0.11.7"}
	if len(got) != len(want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	// The hanging binary was not cached: it may answer another time.
	if _, ok := versionCache.Load(filepath.Join(dir, "buildah")); ok {
		t.Error("a binary that ran out of time was cached")
	}
	if v, ok := versionCache.Load(filepath.Join(dir, "skopeo")); !ok || v != "" {
		t.Errorf("a failing binary should be cached as silent: %q %v", v, ok)
	}
}

// Concurrent runs of one process ask each binary once: the targets of
// check --parallel all start together, before any answer is cached.
func TestVersionsConcurrentRunsAskOnce(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	// Each call appends a line, then takes long enough for the others to
	// arrive while it is still running.
	body := "#!/bin/sh\necho x >> " + count + "\nsleep 0.2\necho 'podman version 5.4.2'\n"
	if err := os.WriteFile(filepath.Join(dir, "podman"), []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	look := func(b string) (string, error) { return filepath.Join(dir, b), nil }
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			got := Versions(context.Background(), []string{"podman"}, look, 5*time.Second)
			if got["podman"] != "podman version 5.4.2" {
				t.Errorf("got %q", got)
			}
		})
	}
	wg.Wait()
	calls, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(calls), "x"); n != 1 {
		t.Errorf("16 concurrent runs started the binary %d times, want once", n)
	}
}
