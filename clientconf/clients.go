package clientconf

import "os/exec"

// Known clients, in the order regdoctor reports them. containerd covers
// nerdctl and ctr, which share its resolver and hosts.toml.
var Known = []string{"podman", "docker", "containerd", "crane"}

// binaries maps a client to the commands that reveal it is installed.
var binaries = map[string][]string{
	"podman":     {"podman", "skopeo", "buildah"},
	"docker":     {"docker"},
	"containerd": {"nerdctl", "ctr"},
	"crane":      {"crane"},
}

// Installed lists the known clients with a binary in PATH.
func Installed(lookPath func(string) (string, error)) []string {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	var out []string
	for _, c := range Known {
		for _, b := range binaries[c] {
			if _, err := lookPath(b); err == nil {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
