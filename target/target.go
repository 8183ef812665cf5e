// Package target is what the user asked regdoctor to check: a registry or
// an image reference, parsed and refused as the clients would, and a
// short name resolved by podman's rules. Every other package takes it from
// here; it depends on nothing of regdoctor's but clientconf.
package target

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/internal/safetext"
)

// Target is what the user asked regdoctor to check.
type Target struct {
	Input      string // as typed
	Registry   string // host[:port] as the client names it, e.g. "docker.io"
	Host       string // host[:port] actually dialled, e.g. "registry-1.docker.io"
	Repository string // "" when only a registry was given
	Reference  string // tag or digest; "" when only a registry was given
	IsDigest   bool
	// ShortInput is the name as typed when it named no registry ("redis"),
	// which podman resolves through aliases and search registries.
	ShortInput string
	// Short records how a short name was resolved; nil for qualified names.
	Short *clientconf.ShortName
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

// whyInvalid says, for a reference the parser refused, what is wrong with
// it in the words a person needs ("could not parse reference" says
// nothing), with the corrected reference when one is evident and parses;
// "" when the cause is none of the usual ones.
func whyInvalid(s string) string {
	fixed := s
	var why []string
	if scheme, rest, ok := strings.Cut(fixed, "://"); ok && !strings.Contains(scheme, "/") {
		why = append(why, "a reference has no scheme ("+safetext.Fit(scheme, 32)+"://); clients take HOST/REPOSITORY[:TAG]")
		fixed = rest
	}
	if strings.ContainsAny(fixed, " \t") {
		why = append(why, "it contains spaces")
		fixed = strings.Join(strings.Fields(fixed), "")
	}
	ref, digest, hasDigest := strings.Cut(fixed, "@")
	repo, tag := ref, ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo, tag = ref[:i], ref[i+1:]
		if tag == "" {
			why = append(why, "nothing follows the colon: give a tag after it, or drop it for :latest")
			ref = repo
		}
	}
	if strings.Contains(repo, "//") {
		why = append(why, "it has an empty path component (//)")
		for strings.Contains(repo, "//") {
			repo = strings.ReplaceAll(repo, "//", "/")
		}
		ref = repo
		if tag != "" {
			ref += ":" + tag
		}
	}
	if lower := strings.ToLower(repo); lower != repo {
		// Host names are case-insensitive and repositories must be lower
		// case; tags keep their case.
		why = append(why, "repository names must be lower case")
		ref = lower
		if tag != "" {
			ref += ":" + tag
		}
	}
	if hasDigest && !digestRE.MatchString(digest) {
		why = append(why, "a digest is sha256: and 64 hexadecimal digits")
	}
	if len(why) == 0 {
		return ""
	}
	fixed = ref
	if hasDigest {
		fixed += "@" + digest
	}
	msg := strings.Join(why, "; ")
	if _, err := name.ParseReference(fixed); err == nil && fixed != s {
		msg += "; did you mean " + safetext.Fit(fixed, 512) + "?"
	}
	return msg
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Parse accepts a registry ("host:5000"), or an image reference with an
// optional tag or digest. Users paste URLs and transport prefixes, so
// "https://", "http://" and "docker://" are tolerated.
func Parse(s string) (Target, error) {
	in := s
	s = strings.TrimSpace(s)
	for _, p := range []string{"docker://", "https://", "http://"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return Target{}, fmt.Errorf("empty target")
	}
	if host, path, _ := strings.Cut(s, "/"); strings.Contains(host, "@") && (path != "" || strings.Contains(host[:strings.LastIndex(host, "@")], ":")) {
		// user:password@host pasted from a URL: no client takes
		// credentials there, and the password must not be echoed back.
		user, _, hasPassword := strings.Cut(host[:strings.LastIndex(host, "@")], ":")
		if hasPassword {
			user += ":…"
		}
		return Target{}, fmt.Errorf("the target holds credentials (%s@); clients take them from a login, not from the reference: `podman login %s` (or --authfile FILE), then check %s",
			safetext.Fit(user, 64), safetext.Fit(host[strings.LastIndex(host, "@")+1:], 256), safetext.Fit(strings.Replace(s, host, host[strings.LastIndex(host, "@")+1:], 1), 512))
	}
	if len(s) > 4096 {
		return Target{}, fmt.Errorf("target is %d bytes long; not a registry reference", len(s))
	}
	if looksLikeRegistry(s) {
		r, err := name.NewRegistry(s)
		if err == nil {
			err = checkPort(r.RegistryStr())
		}
		if err != nil {
			return Target{}, fmt.Errorf("invalid registry %q: %v", in, err)
		}
		return Target{Input: in, Registry: displayName(r.RegistryStr()), Host: dialHost(r.RegistryStr())}, nil
	}
	ref, err := name.ParseReference(s)
	if err == nil {
		err = checkPort(ref.Context().RegistryStr())
	}
	if err == nil {
		err = checkRepository(ref.Context().RepositoryStr())
	}
	if err != nil {
		if why := whyInvalid(s); why != "" {
			return Target{}, fmt.Errorf("invalid reference %q: %s", safetext.Fit(in, 512), why)
		}
		return Target{}, fmt.Errorf("invalid reference %q: %v", safetext.Fit(in, 512), err)
	}
	t := Target{
		Input:      in,
		Registry:   displayName(ref.Context().RegistryStr()),
		Repository: ref.Context().RepositoryStr(),
		Reference:  ref.Identifier(),
	}
	_, t.IsDigest = ref.(name.Digest)
	t.Host = dialHost(t.Registry)
	if first, _, _ := strings.Cut(s, "/"); !strings.Contains(s, "/") || !isDomain(first) {
		t.ShortInput = shortRepo(s)
	}
	return t, nil
}

// shortRepo strips the tag or digest from a short name.
func shortRepo(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i:], "/") {
		s = s[:i]
	}
	return s
}

// ResolveShortNameTTY applies podman's short-name rules (aliases, then the
// unqualified-search registries) to a target typed without a registry,
// for a client with a terminal to prompt on (tty) or not, which decides
// short-name-mode "enforcing". Unresolvable names keep docker.io,
// docker's rule, with Short.Error set.
func ResolveShortNameTTY(t Target, rc *clientconf.RegistriesConf, tty bool) (Target, error) {
	if t.ShortInput == "" {
		return t, nil
	}
	sn := rc.ResolveShortNameTTY(t.ShortInput, tty)
	if sn.Error != "" {
		t.Short = &sn
		return t, nil
	}
	sep := ":"
	if t.IsDigest {
		sep = "@"
	}
	nt, err := Parse(sn.Resolved + sep + t.Reference)
	if err != nil {
		return t, fmt.Errorf("short name %q resolves to %q (%s in %s), which is not a valid reference: %v", t.ShortInput, sn.Resolved, sn.Via, sn.File, err)
	}
	nt.Input, nt.ShortInput, nt.Short = t.Input, t.ShortInput, &sn
	return nt, nil
}

// looksLikeRegistry tells a bare registry ("mirror.example.com",
// "10.0.0.5:5000", "localhost:5000") from an image name without a path
// ("redis", "redis:7"): a bare registry needs a dot, an IP literal or
// localhost, because "name:7" is an image with tag 7, as docker reads it.
func looksLikeRegistry(s string) bool {
	if strings.ContainsAny(s, "/@") {
		return false
	}
	if strings.HasPrefix(s, "[") {
		return true
	}
	host := s
	if h, _, err := net.SplitHostPort(s); err == nil {
		host = h
	}
	return host == "localhost" || strings.Contains(host, ".") || net.ParseIP(host) != nil
}

// isDomain is docker's rule for the first component of a path: it names a
// registry when it has a dot or a port, or is localhost.
func isDomain(first string) bool {
	return strings.ContainsAny(first, ".:") || first == "localhost"
}

// repoComponent is distribution's grammar for one path component, stricter
// than go-containerregistry's default, which accepts "-" as a repository.
var repoComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)

func checkRepository(repo string) error {
	if len(repo) > 255 {
		// Checked after "library/" is added, which the parser does not.
		return fmt.Errorf("repository name %q… is %d characters long; the limit is 255", repo[:32], len(repo))
	}
	for _, c := range strings.Split(repo, "/") {
		if !repoComponent.MatchString(c) {
			return fmt.Errorf("repository component %q is not valid: lower-case letters and digits, separated by '.', '_', '__' or '-'", c)
		}
	}
	return nil
}

// checkPort rejects ports no client could dial.
func checkPort(registry string) error {
	_, port, err := net.SplitHostPort(registry)
	if err != nil {
		return nil // no port
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not between 1 and 65535", port)
	}
	return nil
}

// displayName is the registry's name as clients print it and key auth
// files by: Docker Hub is "docker.io", not go-containerregistry's
// "index.docker.io".
func displayName(registry string) string {
	if registry == name.DefaultRegistry {
		return "docker.io"
	}
	return registry
}

// dialHost maps Docker Hub's canonical names to the host its API lives on.
func dialHost(registry string) string {
	switch registry {
	case name.DefaultRegistry, "docker.io", "registry.hub.docker.com":
		return "registry-1.docker.io"
	}
	return registry
}
