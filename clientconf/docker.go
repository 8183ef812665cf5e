package clientconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// DockerDaemon is what /etc/docker/daemon.json says about registries.
type DockerDaemon struct {
	File               string    `json:"file"`
	Exists             bool      `json:"exists"`
	InsecureRegistries []string  `json:"insecure_registries,omitempty"`
	RegistryMirrors    []string  `json:"registry_mirrors,omitempty"`
	Problems           []Problem `json:"problems,omitempty"`
}

// dockerDefaultInsecure is dockerd's built-in insecure range: it always
// treats loopback registries as insecure.
const dockerDefaultInsecure = "127.0.0.0/8"

// LoadDockerDaemon reads daemon.json. A missing file means docker's defaults.
func LoadDockerDaemon(s Sys) *DockerDaemon {
	d := &DockerDaemon{File: s.path("/etc/docker/daemon.json")}
	data, err := ReadBounded(d.File)
	if errors.Is(err, os.ErrNotExist) {
		return d
	}
	d.Exists = true
	if err != nil {
		d.Problems = append(d.Problems, Problem{Kind: Unparsable, File: d.File, Message: err.Error(), Clients: []string{"docker"}})
		return d
	}
	var v struct {
		Insecure []string `json:"insecure-registries"`
		Mirrors  []string `json:"registry-mirrors"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		d.Problems = append(d.Problems, Problem{Kind: Unparsable, File: d.File, Line: jsonLine(data, err),
			Message: fmt.Sprintf("%s does not parse: %v; dockerd refuses to start with it", d.File, err), Clients: []string{"docker"}})
		return d
	}
	d.InsecureRegistries, d.RegistryMirrors = v.Insecure, v.Mirrors
	return d
}

func jsonLine(data []byte, err error) int {
	var se *json.SyntaxError
	if !errors.As(err, &se) || se.Offset > int64(len(data)) {
		return 0
	}
	return bytes.Count(data[:se.Offset], []byte("\n")) + 1
}

// Insecure reports whether dockerd treats registry (host[:port]) as
// insecure, and why: it then skips TLS verification and falls back to
// plain HTTP. Entries are host[:port] or CIDRs; the resolved IPs count for
// CIDRs, as in dockerd.
func (d *DockerDaemon) Insecure(registry string, ips []string) (bool, string) {
	for _, e := range d.InsecureRegistries {
		e = strings.TrimPrefix(strings.TrimPrefix(e, "http://"), "https://")
		if e == registry {
			return true, fmt.Sprintf("%q is in insecure-registries in %s", e, d.File)
		}
		if inCIDR(e, ips) {
			return true, fmt.Sprintf("%s is in insecure-registries range %s in %s", registry, e, d.File)
		}
	}
	if inCIDR(dockerDefaultInsecure, ips) {
		return true, "dockerd treats " + dockerDefaultInsecure + " as insecure by default"
	}
	return false, ""
}

func inCIDR(cidr string, ips []string) bool {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return false
	}
	for _, s := range ips {
		if ip := net.ParseIP(s); ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}
