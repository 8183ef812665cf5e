package clientconf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
