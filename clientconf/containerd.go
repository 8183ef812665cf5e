package clientconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// ContainerdHost is /etc/containerd/certs.d/HOST/hosts.toml for one registry.
type ContainerdHost struct {
	File       string    `json:"file"`
	Exists     bool      `json:"exists"`
	Server     string    `json:"server,omitempty"`
	PlainHTTP  bool      `json:"plain_http,omitempty"`
	SkipVerify bool      `json:"skip_verify,omitempty"`
	Problems   []Problem `json:"problems,omitempty"`
}

// LoadContainerdHost reads the hosts.toml containerd would use for registry.
// containerd names the directory after the host with its port.
func LoadContainerdHost(s Sys, registry string) *ContainerdHost {
	h := &ContainerdHost{File: filepath.Join(s.path("/etc/containerd/certs.d"), registry, "hosts.toml")}
	data, err := readFile(h.File)
	if errors.Is(err, os.ErrNotExist) {
		return h
	}
	h.Exists = true
	if err != nil {
		h.Problems = append(h.Problems, Problem{Code: "config-invalid", File: h.File, Message: err.Error()})
		return h
	}
	var v struct {
		Server string `toml:"server"`
		Host   map[string]struct {
			SkipVerify bool `toml:"skip_verify"`
		} `toml:"host"`
	}
	if _, err := toml.Decode(string(data), &v); err != nil {
		line := 0
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line = pe.Position.Line
		}
		h.Problems = append(h.Problems, Problem{Code: "config-invalid", File: h.File, Line: line,
			Message: fmt.Sprintf("%s does not parse: %v", h.File, firstLine(err.Error()))})
		return h
	}
	h.Server = v.Server
	h.PlainHTTP = strings.HasPrefix(v.Server, "http://")
	for url, hc := range v.Host {
		if strings.HasPrefix(url, "http://") {
			h.PlainHTTP = true
		}
		h.SkipVerify = h.SkipVerify || hc.SkipVerify
	}
	return h
}
