package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regdoctor/regdoctor/clientconf"
)

// Options are the user's choices for one run.
type Options struct {
	Timeout   time.Duration // bounds the whole run
	TLSVerify bool          // false: skip verification and accept plain HTTP, as skopeo --tls-verify=false
	CertDir   string        // replaces the certs.d lookup, as skopeo --cert-dir
	AuthFile  string        // overrides $REGISTRY_AUTH_FILE, as skopeo --authfile
	Platform  string        // os/arch[/variant]
	PushCheck bool
	// Pull downloads every layer whole and verifies its digest, instead of
	// asking for its first byte.
	Pull bool
	// RefuseAddr, when set, refuses every connection to an address it
	// names, whatever led there: the registry, its realm, a redirect to
	// storage. serve's /probe sets it so that no request it starts reaches
	// a link-local or cloud metadata address.
	RefuseAddr func(netip.Addr) bool
	// CertsDirs are the certs.d roots searched for HOST:PORT/ directories
	// when CertDir is empty. nil means the clients' defaults.
	CertsDirs []string
	// Env reads environment variables; nil means os.Getenv. Tests inject it.
	Env func(string) string
	// SysRoot prefixes system configuration paths (/etc/containers, /etc/docker,
	// /etc/containerd); "" means "/".
	SysRoot string
	// Clients are the clients to judge for ("podman", "docker", "containerd",
	// "crane"); empty means those installed, or podman when none is.
	Clients []string
	// LookPath finds installed clients; nil means exec.LookPath.
	LookPath func(string) (string, error)
}

// Sys is where the clients' configuration files are, for package clientconf.
func (o Options) Sys() clientconf.Sys { return clientconf.Sys{Root: o.SysRoot, Getenv: o.getenv} }

func (o Options) getenv(k string) string {
	if o.Env != nil {
		return o.Env(k)
	}
	return os.Getenv(k)
}

// Credentials are the stored credentials a client would use for the target.
// The secret fields are excluded from JSON and must never be printed.
type Credentials struct {
	Source        string `json:"source"` // file, or "credential helper docker-credential-NAME"
	Key           string `json:"key"`    // the key they are stored under
	Username      string `json:"username,omitempty"`
	Password      string `json:"-"`
	IdentityToken string `json:"-"`
}

// AuthFile describes one auth file that was consulted.
type AuthFile struct {
	Path   string       `json:"path"`
	Exists bool         `json:"exists"`
	Docker bool         `json:"docker,omitempty"` // docker's own config.json
	Keys   []string     `json:"keys,omitempty"`   // registries it holds credentials for
	Match  *Credentials `json:"match,omitempty"`  // the entry it holds for this registry
	Error  string       `json:"error,omitempty"`
}

// CertDir describes one certs.d directory that was consulted.
type CertDir struct {
	Path        string   `json:"path"`
	CAs         []string `json:"cas,omitempty"`
	ClientCerts []string `json:"client_certs,omitempty"`
	// ReadBy are the clients that read this directory for the registry.
	ReadBy []string `json:"read_by,omitempty"`
	certs  []*x509.Certificate
}

// Problem is a mistake in the client's own configuration.
type Problem struct {
	Code    string `json:"code"` // a diagnosis code
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// ClientConfig is what the client side knows about the target: stored
// credentials, trust, proxies. It is read once, before any network step.
type ClientConfig struct {
	Creds     *Credentials `json:"credentials,omitempty"`
	AuthFiles []AuthFile   `json:"auth_files"`
	CertDirs  []CertDir    `json:"cert_dirs,omitempty"`
	// SystemRoots is the bundle (or directory) the system's CAs come
	// from; "" when the machine has none.
	SystemRoots string `json:"system_roots"`
	// IgnoredCAs are certificate files near the certs.d directories that
	// no client reads for this registry, each with the reason.
	IgnoredCAs []IgnoredCA `json:"ignored_cas,omitempty"`
	Proxy      string      `json:"proxy,omitempty"` // proxy URL (password removed) the target's HTTPS traffic goes through
	ProxyAddr  string      `json:"-"`               // host:port of that proxy
	Problems   []Problem   `json:"problems,omitempty"`

	// What the clients' own configuration says about this registry.
	Clients    []string                   `json:"clients"`
	Containers *clientconf.RegistriesConf `json:"registries_conf,omitempty"`
	Registry   *clientconf.Registry       `json:"registries_conf_entry,omitempty"`
	Docker     *clientconf.DockerDaemon   `json:"docker_daemon,omitempty"`
	Containerd *clientconf.ContainerdHost `json:"containerd_hosts,omitempty"`
	ShortName  *clientconf.ShortName      `json:"short_name,omitempty"`
	// InsecureOK: a judged client is configured (registries.conf, daemon.json,
	// hosts.toml) to use plain HTTP or skip verification for this host, so it
	// would send credentials that way; crane's implicit fallback does not count.
	// The client-config check fills it in, from Insecure, for the report.
	InsecureOK  bool   `json:"insecure_allowed,omitempty"`
	InsecureWhy string `json:"insecure_reason,omitempty"`

	// hostIPs and insecure run at most once, when first asked: the DNS
	// lookup dockerd's CIDR rules need must not hold up start-up.
	hostIPs     func() []string
	insecure    func() (bool, string)
	Trust       *Trust            `json:"-"`
	ClientCerts []tls.Certificate `json:"-"`
	// containerdCAs are the certificates of hosts.toml's ca files;
	// certDirFlag: --cert-dir replaced the certs.d search.
	containerdCAs []*x509.Certificate
	certDirFlag   bool
	// runTimeout is --timeout, for the credential helpers' messages;
	// helpersFailed are the helpers already reported, not asked again.
	runTimeout    time.Duration
	helpersFailed map[string]bool
}

// AuthFilePaths lists the auth files in the order podman consults them,
// followed by docker's.
func AuthFilePaths(o Options) []string {
	home := o.getenv("HOME")
	var paths []string
	switch {
	case o.AuthFile != "":
		paths = append(paths, o.AuthFile)
	case o.getenv("REGISTRY_AUTH_FILE") != "":
		paths = append(paths, o.getenv("REGISTRY_AUTH_FILE"))
	case o.getenv("XDG_RUNTIME_DIR") != "":
		paths = append(paths, filepath.Join(o.getenv("XDG_RUNTIME_DIR"), "containers", "auth.json"))
	}
	if home != "" {
		paths = append(paths, filepath.Join(home, ".config", "containers", "auth.json"))
	}
	if d := o.getenv("DOCKER_CONFIG"); d != "" {
		paths = append(paths, filepath.Join(d, "config.json"))
	} else if home != "" {
		paths = append(paths, filepath.Join(home, ".docker", "config.json"))
	}
	return paths
}

type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
}

type authFileJSON struct {
	Auths       map[string]authEntry `json:"auths"`
	CredHelpers map[string]string    `json:"credHelpers"`
	CredsStore  string               `json:"credsStore"`
}

// LoadClientConfig reads credentials, trust and proxy settings for t.
func LoadClientConfig(ctx context.Context, t Target, o Options) *ClientConfig {
	cc := &ClientConfig{runTimeout: o.Timeout}
	cc.loadAuth(ctx, t, o)
	cc.loadClients(ctx, t, o)
	cc.loadTrust(t, o) // which certs.d directories count depends on the clients
	cc.loadProxy(t, o)
	return cc
}

// loadClients reads the configuration of every client regdoctor judges for.
func (cc *ClientConfig) loadClients(ctx context.Context, t Target, o Options) {
	sys := o.Sys()
	cc.Clients = o.Clients
	if len(cc.Clients) == 0 {
		cc.Clients = clientconf.Installed(o.LookPath)
	}
	if len(cc.Clients) == 0 {
		cc.Clients = []string{"podman"}
	}
	cc.Containers = clientconf.LoadRegistriesConf(sys)
	if r, ok := cc.Containers.Find(t.Registry + "/" + t.Repository); ok {
		cc.Registry = &r
	}
	cc.Docker = clientconf.LoadDockerDaemon(sys)
	cc.hostIPs = sync.OnceValue(func() []string {
		if !slices.Contains(cc.Clients, "docker") {
			return nil // only dockerd matches registries by CIDR
		}
		return hostIPs(ctx, t)
	})
	cc.Containerd = clientconf.LoadContainerdHost(sys, t.Registry)
	for _, ps := range [][]clientconf.Problem{cc.Containers.Problems, cc.Docker.Problems, cc.Containerd.Problems} {
		for _, p := range ps {
			cc.Problems = append(cc.Problems, Problem(p))
		}
	}
	if t.Short != nil {
		cc.ShortName = t.Short
	}
	cc.insecure = sync.OnceValues(func() (bool, string) {
		for _, c := range cc.Clients {
			if ok, why := cc.AcceptsInsecure(c, t); ok && c != "crane" {
				return true, why
			}
		}
		return false, ""
	})
}

// Insecure reports whether a judged client is configured to use plain HTTP
// or skip verification for the registry, and which setting says so.
func (cc *ClientConfig) Insecure() (bool, string) {
	if cc.insecure == nil {
		return false, ""
	}
	return cc.insecure()
}

// AcceptsInsecure reports whether client would talk plain HTTP (or skip TLS
// verification) to t's registry, and which setting makes it so.
func (cc *ClientConfig) AcceptsInsecure(client string, t Target) (bool, string) {
	switch client {
	case "podman":
		if cc.Registry != nil && cc.Registry.Insecure {
			return true, fmt.Sprintf("insecure = true for %q in %s", cc.Registry.Location, cc.Registry.File)
		}
	case "docker":
		if cc.Docker != nil {
			var ips []string
			if cc.hostIPs != nil {
				ips = cc.hostIPs()
			}
			return cc.Docker.Insecure(t.Registry, ips)
		}
	case "containerd":
		if h := cc.Containerd; h != nil && (h.PlainHTTP || h.SkipVerify) {
			return true, "plain http or skip_verify in " + h.File
		}
	case "crane":
		// go-containerregistry falls back to plain HTTP for localhost,
		// loopback, RFC 1918 and .local registries (but still verifies TLS).
		if r, err := name.NewRegistry(t.Registry); err == nil && r.Scheme() == "http" {
			return true, "crane falls back to plain HTTP for local and private addresses"
		}
	}
	return false, ""
}

// hostIPs resolves the registry host for dockerd's CIDR rules, briefly:
// the DNS check proper reports lookup failures.
func hostIPs(ctx context.Context, t Target) []string {
	if ip := net.ParseIP(t.Hostname()); ip != nil {
		return []string{ip.String()}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	addrs, _ := net.DefaultResolver.LookupHost(ctx, t.Hostname())
	return addrs
}

func (cc *ClientConfig) problem(code, file string, line int, format string, args ...any) {
	cc.Problems = append(cc.Problems, Problem{Code: code, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (cc *ClientConfig) loadAuth(ctx context.Context, t Target, o Options) {
	want := registryKeys(t.Registry)
	paths := AuthFilePaths(o)
	for i, p := range paths {
		af := AuthFile{Path: p, Docker: i == len(paths)-1 && filepath.Base(p) == "config.json"}
		data, err := clientconf.ReadBounded(p)
		if errors.Is(err, os.ErrNotExist) {
			cc.AuthFiles = append(cc.AuthFiles, af)
			continue
		}
		af.Exists = true
		if err != nil {
			// A directory, a FIFO, a device or an oversized file where an
			// auth file should be: podman and docker fail on it rather
			// than go in anonymously, so it is no "not logged in".
			af.Error = err.Error()
			cc.problem("config-invalid", p, 0, "%s cannot be read as an auth file: %v; podman and docker refuse to use it", p, err)
			cc.AuthFiles = append(cc.AuthFiles, af)
			continue
		}
		var f authFileJSON
		if err := json.Unmarshal(data, &f); err != nil {
			line := jsonErrorLine(data, err)
			af.Error = fmt.Sprintf("line %d: %v", line, err)
			cc.problem("config-invalid", p, line, "%s does not parse: %v; podman and docker refuse to use it", p, err)
			cc.AuthFiles = append(cc.AuthFiles, af)
			continue
		}
		for k := range f.Auths {
			af.Keys = append(af.Keys, k)
		}
		for k := range f.CredHelpers {
			af.Keys = append(af.Keys, k+" (credHelper)")
		}
		sort.Strings(af.Keys)
		af.Match = cc.credsFrom(ctx, p, &f, want, t)
		cc.AuthFiles = append(cc.AuthFiles, af)
		if cc.Creds == nil {
			cc.Creds = af.Match // podman takes the first file that has an entry
		}
	}
	if cc.Creds == nil {
		cc.findMisfiledCreds(t)
	}
}

// CredsFor returns the stored credentials client would use: podman reads
// its auth files and then docker's; docker and containerd (nerdctl) read
// only docker's config.json; crane reads docker's, then podman's.
func (cc *ClientConfig) CredsFor(client string) *Credentials {
	var docker *Credentials
	for _, af := range cc.AuthFiles {
		if af.Docker {
			docker = af.Match
		}
	}
	switch client {
	case "docker", "containerd":
		return docker
	case "crane":
		if docker != nil {
			return docker
		}
	}
	return cc.Creds
}

// findMisfiledCreds catches credentials stored for the registry under a
// key clients do not look up: the host without the port the reference
// names ("host" for "host:5000", a login that left out the port), or
// with the default port written out ("host:443" for "host"). Clients look up host[:port] exactly as the
// reference writes it (containers/image pkg/docker/config, docker's
// config file), so such an entry is never used. Another explicit port is
// another registry (a Nexus group and hosted connector on one host),
// not a misfiled login, and is left alone.
func (cc *ClientConfig) findMisfiledCreds(t Target) {
	for _, af := range cc.AuthFiles {
		for _, k := range af.Keys {
			key := normalizeKey(strings.TrimSuffix(k, " (credHelper)"))
			host, _, _ := strings.Cut(key, "/")
			h, port := host, ""
			if hh, p, err := net.SplitHostPort(host); err == nil {
				h, port = hh, p
			}
			if h != t.Hostname() || host == t.Registry {
				continue
			}
			defaultPort := func(p string) bool { return p == "" || p == "443" }
			if port != "" && !(defaultPort(port) && defaultPort(t.Port())) {
				continue // two ports, two registries
			}
			cc.problem("credentials-for-other-host", af.Path, 0,
				"%s holds credentials under %q, but clients look them up as %q for %s; they are not used", af.Path, k, t.Registry, t.ImageRef())
			return
		}
	}
}

// credsFrom finds the target's entry in one parsed auth file.
func (cc *ClientConfig) credsFrom(ctx context.Context, path string, f *authFileJSON, want []string, t Target) *Credentials {
	for _, w := range want {
		if h, ok := f.CredHelpers[w]; ok {
			return cc.fromHelper(ctx, path, h, w)
		}
	}
	for _, key := range sortedKeys(f.Auths) {
		if !matchesAny(normalizeKey(key), want, t.Repository) {
			continue
		}
		e := f.Auths[key]
		c := &Credentials{Source: path, Key: key, Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken}
		if e.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(e.Auth)
			user, pass, ok := strings.Cut(string(raw), ":")
			if err != nil || !ok {
				// Never echo the field: it is the secret.
				cc.problem("config-invalid", path, 0, "the \"auth\" field for %q in %s is not base64 of user:password", key, path)
				continue
			}
			c.Username, c.Password = user, pass
		}
		if c.Username == "" && c.IdentityToken == "" {
			if f.CredsStore != "" {
				return cc.fromHelper(ctx, path, f.CredsStore, key)
			}
			continue
		}
		return c
	}
	if f.CredsStore != "" {
		// The store may hold the registry even though auths has no entry.
		if c := cc.fromHelper(ctx, path, f.CredsStore, want[0]); c != nil && c.Username != "" {
			return c
		}
	}
	return nil
}

// registryKeys are the auth-file keys under which clients look up a registry.
func registryKeys(registry string) []string {
	switch registry {
	case "index.docker.io", "docker.io", "registry-1.docker.io":
		return []string{"docker.io", "index.docker.io", "registry-1.docker.io", "index.docker.io/v1"}
	}
	return []string{registry}
}

// normalizeKey strips what clients tolerate around a key: a scheme and a
// trailing API path.
func normalizeKey(k string) string {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
	k = strings.TrimSuffix(k, "/")
	k = strings.TrimSuffix(k, "/v2")
	return k
}

// matchesAny reports whether an auth-file key applies to repository repo on
// one of the registry's names. A repository-scoped key ("host/team") applies
// to repositories under that path only, as in containers/image.
func matchesAny(key string, want []string, repo string) bool {
	for _, w := range want {
		if key == w {
			return true
		}
		if w == "index.docker.io/v1" || !strings.HasPrefix(key, w+"/") {
			continue
		}
		path := strings.TrimPrefix(key, w+"/")
		if repo == path || strings.HasPrefix(repo, path+"/") {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]authEntry) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Longest first, so a repository-scoped entry wins over the host entry,
	// as in containers/image.
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}

// jsonErrorLine turns a decoder offset into a 1-based line number.
func jsonErrorLine(data []byte, err error) int {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func (cc *ClientConfig) loadProxy(t Target, o Options) {
	req := &http.Request{URL: &url.URL{Scheme: "https", Host: t.Host}}
	u, err := proxyFunc(o)(req)
	if err != nil {
		cc.problem("proxy-misconfigured", "environment", 0, "the proxy settings do not parse: %v", err)
		return
	}
	if u != nil {
		cc.Proxy = redactURL(u)
		cc.ProxyAddr = u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			cc.ProxyAddr = net.JoinHostPort(u.Hostname(), port)
		}
		if internalHost(t.Hostname()) {
			cc.problem("proxy-misconfigured", "environment", 0,
				"%s looks internal but is not in NO_PROXY, so its traffic goes through proxy %s", t.Hostname(), cc.Proxy)
		}
	}
}

// internalHost guesses whether a registry host is on the internal network,
// where a corporate proxy usually cannot reach it.
func internalHost(h string) bool {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()
	}
	if !strings.Contains(h, ".") {
		return true // a single-label name
	}
	for _, suffix := range []string{".local", ".internal", ".lan", ".corp", ".home.arpa", ".intranet", ".svc", ".cluster.local"} {
		if strings.HasSuffix(h, suffix) {
			return true
		}
	}
	return false
}
