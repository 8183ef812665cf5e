package clientconf

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// ContainerdHost is what containerd's hosts directory says about one
// registry: /etc/containerd/certs.d/HOST/hosts.toml (the CRI plugin's and
// nerdctl's config_path; ctr reads it with --hosts-dir). It follows
// containerd 1.6 remotes/docker/config (hosts.go ConfigureHosts,
// HostDirFromRoot, loadHostDir, parseHostsFile).
type ContainerdHost struct {
	// Dir is the directory containerd uses for the registry: the first of
	// HOST_PORT_, HOST:PORT and _default that exists (hostPaths), or ""
	// when none does.
	Dir    string `json:"dir,omitempty"`
	File   string `json:"file"`
	Exists bool   `json:"exists"`
	// Ignored says why containerd does not use hosts.toml although it
	// exists: loadHostDir logs "failed to decode hosts.toml" and falls
	// back to the directory's certificate files, and the defaults.
	Ignored string `json:"ignored,omitempty"`
	Server  string `json:"server,omitempty"`
	// Hosts are the endpoints in the order containerd tries them: the
	// [host."…"] tables as written, then the server (or the default).
	Hosts []ContainerdEndpoint `json:"hosts,omitempty"`
	// PlainHTTP: containerd speaks plain HTTP to the registry itself;
	// SkipVerify: it does not verify the registry's certificate.
	PlainHTTP  bool `json:"plain_http,omitempty"`
	SkipVerify bool `json:"skip_verify,omitempty"`
	// DefaultHTTP: containerd uses its default host for the registry (no
	// usable hosts.toml, or one without `server`), and the registry is
	// localhost or a loopback address, for which ConfigureHosts defaults
	// to plain HTTP without verification. ctr sets DefaultScheme only
	// with --plain-http (cmd/ctr/commands/resolver.go GetResolver), so
	// without flags "" means http here.
	DefaultHTTP bool `json:"default_plain_http,omitempty"`
	// CA are the CA files for the registry (`ca`, resolved against the
	// file's directory as containerd does with relative paths, or the
	// directory's *.crt when there is no usable hosts.toml).
	CA []string `json:"ca,omitempty"`
	// ClientCert: a client certificate is configured for the registry.
	ClientCert bool      `json:"client_cert,omitempty"`
	Problems   []Problem `json:"problems,omitempty"`
}

// ContainerdEndpoint is one host containerd tries for the registry.
type ContainerdEndpoint struct {
	URL        string   `json:"url"` // scheme://host/path
	SkipVerify bool     `json:"skip_verify,omitempty"`
	CA         []string `json:"ca,omitempty"`
	// Pull and Resolve are the capabilities; a host without resolve is
	// not asked for tags.
	Pull    bool `json:"pull"`
	Resolve bool `json:"resolve"`
	// Mirror: the host is not the registry itself.
	Mirror bool `json:"mirror,omitempty"`
	// Default: no hosts.toml named it; ConfigureHosts's default.
	Default bool `json:"default,omitempty"`
	// ClientCert: the host names a client certificate (`client`).
	ClientCert bool `json:"client_cert,omitempty"`
}

// Scheme is "http" or "https".
func (e ContainerdEndpoint) Scheme() string {
	s, _, _ := strings.Cut(e.URL, "://")
	return s
}

// Host is the endpoint's host[:port].
func (e ContainerdEndpoint) Host() string {
	u, err := url.Parse(e.URL)
	if err != nil {
		return ""
	}
	return u.Host
}

// containerdHostDirectory converts ":port" to "_port_", as containerd's
// hostDirectory does for file systems that refuse colons.
func containerdHostDirectory(host string) string {
	if i := strings.LastIndex(host, ":"); i > 0 {
		return host[:i] + "_" + host[i+1:] + "_"
	}
	return host
}

// IsLocalhost is containerd's docker.IsLocalhost: "localhost" or a
// loopback IP, with or without a port.
func IsLocalhost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ContainerdHostsDir is the hosts directory regdoctor reads.
const ContainerdHostsDir = "/etc/containerd/certs.d"

// LoadContainerdHost reads the hosts directory containerd would use for
// registry.
func LoadContainerdHost(s Sys, registry string) *ContainerdHost {
	root := s.path(ContainerdHostsDir)
	h := &ContainerdHost{File: filepath.Join(root, registry, "hosts.toml")}
	// hostPaths (config_unix.go): the escaped name first, then the name
	// as written, then _default; the first directory that exists wins.
	var dirs []string
	if esc := containerdHostDirectory(registry); esc != registry {
		dirs = append(dirs, filepath.Join(root, esc))
	}
	dirs = append(dirs, filepath.Join(root, registry), filepath.Join(root, "_default"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			h.Dir, h.File = d, filepath.Join(d, "hosts.toml")
			break
		}
	}
	if h.Dir != "" {
		h.load()
	}
	h.finish(registry)
	return h
}

// load reads Dir/hosts.toml; a missing or empty file, or one containerd
// cannot decode, leaves Hosts nil and the directory's certificates in use.
func (h *ContainerdHost) load() {
	data, err := ReadBounded(h.File)
	if errors.Is(err, os.ErrNotExist) {
		h.loadCertFiles()
		return
	}
	h.Exists = true
	if err != nil {
		h.Problems = append(h.Problems, Problem{Kind: Unparsable, File: h.File, Message: err.Error(), Clients: []string{"containerd"}})
		return
	}
	if len(data) == 0 {
		h.loadCertFiles() // loadHostDir: len(b) == 0 is no file
		return
	}
	hosts, err := parseContainerdHosts(h.Dir, string(data))
	if err != nil {
		h.Ignored = fmt.Sprintf("containerd cannot decode %s (%v), logs \"failed to decode hosts.toml\" and ignores it: it uses its defaults for the registry and the directory's certificate files", h.File, err)
		h.loadCertFiles()
		return
	}
	h.Hosts = hosts
	if last := hosts[len(hosts)-1]; !last.Default {
		h.Server = last.URL
	}
}

// loadCertFiles is containerd's loadCertFiles: without hosts.toml, *.crt
// files in the directory are CAs and *.cert files client certificates,
// for the default host.
func (h *ContainerdHost) loadCertFiles() {
	entries, _ := os.ReadDir(h.Dir)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch filepath.Ext(e.Name()) {
		case ".crt":
			h.CA = append(h.CA, filepath.Join(h.Dir, e.Name()))
		case ".cert":
			h.ClientCert = true
		}
	}
}

// parseContainerdHosts follows parseHostsFile: the file must hold a `host`
// table (getSortedHosts fails with "invalid `host` tree" otherwise), each
// [host."URL"] is tried in file order, and the top-level settings with
// `server` come last; an empty server is filled in by ConfigureHosts.
func parseContainerdHosts(dir, data string) ([]ContainerdEndpoint, error) {
	type hostFile struct {
		Capabilities []string `toml:"capabilities"`
		CA           any      `toml:"ca"`
		Client       any      `toml:"client"`
		SkipVerify   bool     `toml:"skip_verify"`
		OverridePath bool     `toml:"override_path"`
	}
	var top struct {
		hostFile
		Server string              `toml:"server"`
		Host   map[string]hostFile `toml:"host"`
	}
	md, err := toml.Decode(data, &top)
	if err != nil {
		return nil, fmt.Errorf("failed to parse TOML: %s", firstLine(err.Error()))
	}
	// BurntSushi/toml does not decode embedded structs' keys into an
	// unexported embedding, so read the top level again plainly.
	var flat hostFile
	if _, err := toml.Decode(data, &flat); err == nil {
		top.hostFile = flat
	}
	var raw map[string]any
	if _, err := toml.Decode(data, &raw); err != nil {
		return nil, fmt.Errorf("failed to parse TOML: %s", firstLine(err.Error()))
	}
	if _, ok := raw["host"].(map[string]any); !ok {
		// go-toml's tree.Get("host") is a *toml.Tree only for a table.
		return nil, errors.New("invalid `host` tree")
	}
	// Keys come in file order: getSortedHosts sorts by line.
	var order []string
	for _, k := range md.Keys() {
		if len(k) == 2 && k[0] == "host" && !slices.Contains(order, k[1]) {
			order = append(order, k[1])
		}
	}
	var out []ContainerdEndpoint
	add := func(server string, c hostFile) error {
		e := ContainerdEndpoint{SkipVerify: c.SkipVerify, ClientCert: c.Client != nil}
		if server != "" {
			if !strings.HasPrefix(server, "http") {
				server = "https://" + server
			}
			u, err := url.Parse(server)
			if err != nil {
				return fmt.Errorf("unable to parse server %v: %w", server, err)
			}
			if u.Path == "" || u.Path == "/" {
				if !c.OverridePath {
					u.Path = "/v2"
				}
			} else if !strings.HasSuffix(u.Path, "/v2") && !c.OverridePath {
				u.Path = strings.TrimSuffix(u.Path, "/") + "/v2"
			}
			e.URL = u.String()
		} else {
			e.Default = true
		}
		if len(c.Capabilities) == 0 {
			e.Pull, e.Resolve = true, true
		}
		for _, cp := range c.Capabilities {
			switch strings.ToLower(cp) {
			case "pull":
				e.Pull = true
			case "resolve":
				e.Resolve = true
			case "push":
			default:
				return fmt.Errorf("unknown capability %v", cp)
			}
		}
		cas, err := caPaths(dir, c.CA)
		if err != nil {
			return err
		}
		e.CA = cas
		out = append(out, e)
		return nil
	}
	for _, k := range order {
		if err := add(k, top.Host[k]); err != nil {
			return nil, err
		}
	}
	if err := add(top.Server, top.hostFile); err != nil {
		return nil, err
	}
	return out, nil
}

// caPaths takes `ca`, a path or a list of paths, as parseHostConfig does.
func caPaths(dir string, v any) ([]string, error) {
	var paths []string
	switch ca := v.(type) {
	case nil:
	case string:
		paths = []string{ca}
	case []any:
		for _, p := range ca {
			s, ok := p.(string)
			if !ok {
				return nil, fmt.Errorf("unable to cast %v to string", p)
			}
			paths = append(paths, s)
		}
	default:
		return nil, fmt.Errorf("invalid type %v for \"ca\"", ca)
	}
	for i, p := range paths {
		if !filepath.IsAbs(p) {
			paths[i] = filepath.Join(dir, p)
		}
	}
	return paths, nil
}

// finish fills in ConfigureHosts's default for the last host and derives
// what containerd does for the registry itself.
func (h *ContainerdHost) finish(registry string) {
	if h.Hosts == nil {
		// No usable hosts.toml: one default host, with the directory's
		// certificate files.
		h.Hosts = []ContainerdEndpoint{{Default: true, Pull: true, Resolve: true, CA: h.CA, ClientCert: h.ClientCert}}
		h.CA, h.ClientCert = nil, false
	}
	last := &h.Hosts[len(h.Hosts)-1]
	if last.Default {
		switch {
		case registry == "docker.io":
			last.URL = "https://registry-1.docker.io/v2"
		case IsLocalhost(registry):
			// ctr sets DefaultScheme only with --plain-http; "" means
			// plain HTTP, skipping verification, for localhost.
			last.URL, last.SkipVerify = "http://"+registry+"/v2", true
			h.DefaultHTTP = true
		default:
			last.URL = "https://" + registry + "/v2"
		}
	}
	for i := range h.Hosts {
		e := &h.Hosts[i]
		e.Mirror = e.Host() != registry && !(registry == "docker.io" && e.Host() == "registry-1.docker.io")
		if e.Mirror {
			continue
		}
		h.CA = append(h.CA, e.CA...)
		if e.Scheme() == "http" {
			h.PlainHTTP = true
		}
		h.SkipVerify = h.SkipVerify || e.SkipVerify
		h.ClientCert = h.ClientCert || e.ClientCert
	}
	slices.Sort(h.CA)
	h.CA = slices.Compact(h.CA)
}

// RegistryEndpoints are the hosts containerd tries for the registry
// itself, in order.
func (h *ContainerdHost) RegistryEndpoints() []ContainerdEndpoint {
	var out []ContainerdEndpoint
	for _, e := range h.Hosts {
		if !e.Mirror {
			out = append(out, e)
		}
	}
	return out
}

// Mirrors are the [host."…"] entries for other hosts, which containerd
// tries before the registry.
func (h *ContainerdHost) Mirrors() []ContainerdEndpoint {
	var out []ContainerdEndpoint
	for _, e := range h.Hosts {
		if e.Mirror && e.Pull {
			out = append(out, e)
		}
	}
	return out
}

// OnlyHTTP reports whether every endpoint containerd uses for the
// registry itself is plain HTTP: it then never speaks TLS to it.
func (h *ContainerdHost) OnlyHTTP() bool {
	eps := h.RegistryEndpoints()
	for _, e := range eps {
		if e.Scheme() != "http" {
			return false
		}
	}
	return len(eps) > 0
}
