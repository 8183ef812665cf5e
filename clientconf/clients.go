package clientconf

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Known clients, in the order regdoctor reports them. podman, buildah and
// skopeo share containers/image but not all of its configuration (skopeo
// 1.9 ignores $CONTAINERS_REGISTRIES_CONF, only podman and buildah resolve
// short names or check $REGISTRY_AUTH_FILE), so each is judged on its own.
// containerd covers ctr and nerdctl, which share its resolver and hosts.toml.
// regctl (regclient) reads docker's config.json and certs.d its own way.
var Known = []string{"podman", "buildah", "skopeo", "docker", "containerd", "crane", "regctl"}

// ContainersImage reports whether client is built on containers/image, and
// so reads registries.conf, certs.d and auth.json.
func ContainersImage(client string) bool {
	return client == "podman" || client == "buildah" || client == "skopeo"
}

// ResolvesShortNames reports whether client applies registries.conf's
// short-name rules. podman and buildah go through containers/image
// pkg/shortnames (libimage's LookupImage/Pull); skopeo's docker://
// transport, crane (name.ParseReference), regctl (types/ref New), ctr and
// docker normalize a name without a registry to docker.io, as the
// distribution reference rules say.
func ResolvesShortNames(client string) bool { return client == "podman" || client == "buildah" }

// binaries maps a client to the commands that reveal it is installed.
var binaries = map[string][]string{
	"podman":     {"podman"},
	"buildah":    {"buildah"},
	"skopeo":     {"skopeo"},
	"docker":     {"docker"},
	"containerd": {"ctr", "nerdctl"},
	"crane":      {"crane"},
	"regctl":     {"regctl"},
}

// Skipped is a known client that is not judged by default, and why.
// Part of the JSON contract (clients_skipped).
type Skipped struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// Socket paths the daemons listen on by default: moby's
// client.DefaultDockerHost and containerd's defaults.DefaultAddress.
const (
	DockerSocket     = "/var/run/docker.sock"
	ContainerdSocket = "/run/containerd/containerd.sock"
)

// Probe is how Available looks at the machine; nil fields mean the real
// thing. Tests inject them.
type Probe struct {
	LookPath func(string) (string, error)
	// DockerAnswers reports whether a docker daemon answers on the unix
	// socket at path.
	DockerAnswers func(path string) bool
}

// Installed lists the known clients with a binary in PATH.
func Installed(lookPath func(string) (string, error)) []string {
	var out []string
	for _, c := range Known {
		if _, ok := binaryOf(c, lookPath); ok {
			out = append(out, c)
		}
	}
	return out
}

func binaryOf(c string, lookPath func(string) (string, error)) (string, bool) {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	for _, b := range binaries[c] {
		if _, err := lookPath(b); err == nil {
			return b, true
		}
	}
	return "", false
}

// Available lists the clients that can pull on this machine, the ones
// judged by default, and says why each other known client is not: docker
// only when its daemon answers ($DOCKER_HOST set, or a daemon on
// /var/run/docker.sock), since the CLI alone pulls nothing; containerd
// when its socket exists ($CONTAINERD_ADDRESS, as ctr reads it, or
// /run/containerd/containerd.sock): the kubelet pulls through it with no
// CLI at all; the others, which pull by themselves, by their binaries.
func Available(s Sys, p Probe) (judged []string, skipped []Skipped) {
	for _, c := range Known {
		bin, installed := binaryOf(c, p.LookPath)
		why := ""
		switch c {
		case "docker":
			sock := s.path(DockerSocket)
			switch {
			case s.env("DOCKER_HOST") != "":
				// The daemon is elsewhere; the CLI is what talks to it.
				if !installed {
					why = "DOCKER_HOST is set, but no docker CLI in PATH"
				}
			case !installed:
				why = "no docker CLI in PATH"
			case !dockerAnswers(p, sock):
				why = "CLI found, no daemon at " + sock
			}
		case "containerd":
			sock := s.env("CONTAINERD_ADDRESS")
			if sock == "" {
				sock = s.path(ContainerdSocket)
			}
			if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
				if installed {
					why = bin + " found, no containerd socket at " + sock
				} else {
					why = "no containerd socket at " + sock + ", and no ctr or nerdctl in PATH"
				}
			}
		default:
			if !installed {
				why = "no " + strings.Join(binaries[c], " or ") + " in PATH"
			}
		}
		if why == "" {
			judged = append(judged, c)
		} else {
			skipped = append(skipped, Skipped{Name: c, Why: why})
		}
	}
	return judged, skipped
}

func dockerAnswers(p Probe, sock string) bool {
	if p.DockerAnswers != nil {
		return p.DockerAnswers(sock)
	}
	return PingDocker(sock)
}

// PingDocker asks the docker daemon on a unix socket for GET /_ping, the
// call the CLI makes first, within a second.
func PingDocker(sock string) bool {
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false
	}
	c := &http.Client{
		Timeout: time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://docker/_ping")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
