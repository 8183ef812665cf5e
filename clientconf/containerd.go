package clientconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// ContainerdHost is /etc/containerd/certs.d/HOST/hosts.toml for one registry.
type ContainerdHost struct {
	File       string `json:"file"`
	Exists     bool   `json:"exists"`
	Server     string `json:"server,omitempty"`
	PlainHTTP  bool   `json:"plain_http,omitempty"`
	SkipVerify bool   `json:"skip_verify,omitempty"`
	// CA are the CA files the hosts name (`ca`), resolved against the
	// file's directory as containerd does with relative paths.
	CA []string `json:"ca,omitempty"`
	// ClientCert: a host names a client certificate (`client`).
	ClientCert bool      `json:"client_cert,omitempty"`
	Problems   []Problem `json:"problems,omitempty"`
}

// LoadContainerdHost reads the hosts.toml containerd would use for registry.
// containerd names the directory after the host with its port.
func LoadContainerdHost(s Sys, registry string) *ContainerdHost {
	h := &ContainerdHost{File: filepath.Join(s.path("/etc/containerd/certs.d"), registry, "hosts.toml")}
	data, err := ReadBounded(h.File)
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
		CA     any    `toml:"ca"`
		Client any    `toml:"client"`
		Host   map[string]struct {
			SkipVerify bool `toml:"skip_verify"`
			CA         any  `toml:"ca"`
			Client     any  `toml:"client"`
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
	h.addCA(v.CA)
	h.ClientCert = v.Client != nil
	for url, hc := range v.Host {
		h.ClientCert = h.ClientCert || hc.Client != nil
		if strings.HasPrefix(url, "http://") {
			h.PlainHTTP = true
		}
		h.SkipVerify = h.SkipVerify || hc.SkipVerify
		h.addCA(hc.CA)
	}
	slices.Sort(h.CA)
	h.CA = slices.Compact(h.CA)
	return h
}

// addCA takes `ca`, a path or a list of paths.
func (h *ContainerdHost) addCA(v any) {
	var paths []string
	switch ca := v.(type) {
	case string:
		paths = []string{ca}
	case []any:
		for _, p := range ca {
			if s, ok := p.(string); ok {
				paths = append(paths, s)
			}
		}
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(h.File), p)
		}
		h.CA = append(h.CA, p)
	}
}
