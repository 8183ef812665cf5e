package clientconf

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAvailable: docker is judged only when its daemon answers (or
// DOCKER_HOST is set), containerd only when its socket exists, the others
// by their binaries; every other known client is listed with the reason.
func TestAvailable(t *testing.T) {
	root := t.TempDir()
	onPath := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			if slices.Contains(names, n) {
				return "/usr/bin/" + n, nil
			}
			return "", errors.New("not found")
		}
	}
	env := map[string]string{}
	s := Sys{Root: root, Getenv: func(k string) string { return env[k] }}
	answers := false
	probe := Probe{LookPath: onPath("podman", "skopeo", "docker", "ctr"), DockerAnswers: func(string) bool { return answers }}

	judged, skipped := Available(s, probe)
	if !slices.Equal(judged, []string{"podman", "skopeo"}) {
		t.Errorf("judged %v, want podman and skopeo", judged)
	}
	why := map[string]string{}
	for _, k := range skipped {
		why[k.Name] = k.Why
	}
	for name, want := range map[string]string{
		"docker":     "CLI found, no daemon at " + filepath.Join(root, DockerSocket),
		"containerd": "ctr found, no containerd socket at " + filepath.Join(root, ContainerdSocket),
		"buildah":    "no buildah in PATH",
		"crane":      "no crane in PATH",
	} {
		if why[name] != want {
			t.Errorf("%s skipped because %q, want %q", name, why[name], want)
		}
	}

	// A daemon that answers, and a containerd socket that exists.
	answers = true
	sock := filepath.Join(root, ContainerdSocket)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	judged, _ = Available(s, probe)
	if !slices.Equal(judged, []string{"podman", "skopeo", "docker", "containerd"}) {
		t.Errorf("judged %v, want docker and containerd too", judged)
	}

	// DOCKER_HOST: the daemon is elsewhere, the CLI talks to it.
	answers = false
	env["DOCKER_HOST"] = "tcp://127.0.0.1:2375"
	judged, _ = Available(s, probe)
	if !slices.Contains(judged, "docker") {
		t.Errorf("with DOCKER_HOST: judged %v, want docker", judged)
	}
	// CONTAINERD_ADDRESS moves the socket.
	env["CONTAINERD_ADDRESS"] = filepath.Join(root, "elsewhere.sock")
	_, skipped = Available(s, probe)
	if !slices.ContainsFunc(skipped, func(k Skipped) bool { return k.Name == "containerd" && strings.Contains(k.Why, "elsewhere.sock") }) {
		t.Errorf("with CONTAINERD_ADDRESS elsewhere: skipped %+v, want containerd", skipped)
	}
}

// TestPingDocker: a socket that answers /_ping with 200 is a daemon; a
// missing socket is not.
func TestPingDocker(t *testing.T) {
	if PingDocker(filepath.Join(t.TempDir(), "none.sock")) {
		t.Error("a missing socket answered")
	}
}
