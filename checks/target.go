package checks

import (
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Target is what the user asked regdoctor to check.
type Target struct {
	Input      string // as typed
	Registry   string // host[:port] as the client names it, e.g. "docker.io"
	Host       string // host[:port] actually dialled, e.g. "registry-1.docker.io"
	Repository string // "" when only a registry was given
	Reference  string // tag or digest; "" when only a registry was given
	IsDigest   bool
}

// Hostname is Host without its port.
func (t Target) Hostname() string {
	h, _, err := net.SplitHostPort(t.Host)
	if err != nil {
		return strings.Trim(t.Host, "[]")
	}
	return h
}

// Port returns the explicit port, or "" when the scheme default applies.
func (t Target) Port() string {
	_, p, err := net.SplitHostPort(t.Host)
	if err != nil {
		return ""
	}
	return p
}

// HostPort returns host:port for the given scheme's default port.
func (t Target) HostPort(scheme string) string {
	if p := t.Port(); p != "" {
		return t.Host
	}
	if scheme == "http" {
		return net.JoinHostPort(t.Hostname(), "80")
	}
	return net.JoinHostPort(t.Hostname(), "443")
}

// ImageRef is the reference a client would pull, e.g. "host:5000/team/app:1.0".
func (t Target) ImageRef() string {
	if t.Repository == "" {
		return t.Registry
	}
	sep := ":"
	if t.IsDigest {
		sep = "@"
	}
	return t.Registry + "/" + t.Repository + sep + t.Reference
}

// WithReference returns the same target with another tag, for suggestions.
func (t Target) WithReference(ref string) string {
	t.Reference, t.IsDigest = ref, false
	return t.ImageRef()
}

// ParseTarget accepts a registry ("host:5000"), or an image reference with an
// optional tag or digest. Users paste URLs and transport prefixes, so
// "https://", "http://" and "docker://" are tolerated.
func ParseTarget(s string) (Target, error) {
	in := s
	s = strings.TrimSpace(s)
	for _, p := range []string{"docker://", "https://", "http://"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return Target{}, fmt.Errorf("empty target")
	}
	if len(s) > 4096 {
		return Target{}, fmt.Errorf("target is %d bytes long; not a registry reference", len(s))
	}
	if looksLikeRegistry(s) {
		r, err := name.NewRegistry(s)
		if err != nil {
			return Target{}, fmt.Errorf("invalid registry %q: %v", in, err)
		}
		return Target{Input: in, Registry: r.RegistryStr(), Host: dialHost(r.RegistryStr())}, nil
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return Target{}, fmt.Errorf("invalid reference %q: %v", in, err)
	}
	t := Target{
		Input:      in,
		Registry:   ref.Context().RegistryStr(),
		Repository: ref.Context().RepositoryStr(),
		Reference:  ref.Identifier(),
	}
	_, t.IsDigest = ref.(name.Digest)
	t.Host = dialHost(t.Registry)
	return t, nil
}

// looksLikeRegistry applies the rule clients use to tell a registry host
// from a repository path: the first component names a host when it has a
// dot or a port, or is localhost.
func looksLikeRegistry(s string) bool {
	if strings.ContainsAny(s, "/@") {
		return false
	}
	if strings.HasPrefix(s, "[") || s == "localhost" {
		return true
	}
	if i := strings.LastIndex(s, ":"); i >= 0 {
		// "redis:latest" is a tag; "host:5000" is a port.
		port := s[i+1:]
		return port != "" && strings.Trim(port, "0123456789") == ""
	}
	return strings.Contains(s, ".")
}

// dialHost maps Docker Hub's canonical names to the host its API lives on.
func dialHost(registry string) string {
	switch registry {
	case name.DefaultRegistry, "docker.io", "registry.hub.docker.com":
		return "registry-1.docker.io"
	}
	return registry
}
