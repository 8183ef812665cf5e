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
	// Clients are the clients to judge for (clientconf.Known); empty
	// means those that can pull on this machine (clientconf.Available),
	// or podman when none can.
	Clients []string
	// LookPath finds installed clients; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// DockerAnswers reports whether a docker daemon answers on a unix
	// socket; nil means asking it for /_ping. Tests inject it.
	DockerAnswers func(sock string) bool
	// TTY: the clients would run with a terminal on stdin and stdout, so
	// podman could prompt for a short name in enforcing mode.
	TTY bool
	// UID is the user the clients run as; nil means this process's.
	UID *int
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
	// StoreMatch is what docker/cli finds through credsStore, when the
	// file names one and a client reading it asks it.
	StoreMatch *Credentials `json:"store_match,omitempty"`
	Error      string       `json:"error,omitempty"`
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
	// Clients are the clients the mistake stops; empty means every one.
	Clients []string `json:"clients,omitempty"`
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
	Clients []string `json:"clients"`
	// ClientsSkipped are the known clients not judged, and why.
	ClientsSkipped []clientconf.Skipped       `json:"clients_skipped,omitempty"`
	Containers     *clientconf.RegistriesConf `json:"registries_conf,omitempty"`
	Registry       *clientconf.Registry       `json:"registries_conf_entry,omitempty"`
	// SkopeoContainers is the registries.conf skopeo reads when it is not
	// podman's: skopeo 1.9 ignores $CONTAINERS_REGISTRIES_CONF.
	SkopeoContainers *clientconf.RegistriesConf `json:"skopeo_registries_conf,omitempty"`
	SkopeoRegistry   *clientconf.Registry       `json:"skopeo_registries_conf_entry,omitempty"`
	Docker           *clientconf.DockerDaemon   `json:"docker_daemon,omitempty"`
	Containerd       *clientconf.ContainerdHost `json:"containerd_hosts,omitempty"`
	ShortName        *clientconf.ShortName      `json:"short_name,omitempty"`
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
	// authPaths are each judged client's auth files, in its order;
	// helperReaders the clients that ask the helper being run.
	authPaths     map[string][]authPath
	helperReaders []string
	// loginFile is where `podman login` writes, and who chose it.
	loginFile authPath
}

// authPath is one auth file a client consults.
type authPath struct {
	path string
	// explicit: the file was named (--authfile, $REGISTRY_AUTH_FILE, or
	// $DOCKER_CONFIG/config.json as podman's default --authfile), and
	// podman and buildah refuse to run when it does not exist.
	explicit bool
	// from says who named it, for messages.
	from string
}

// podmanAuthPaths are the auth files podman and buildah read, in order:
// containers/common pkg/auth GetDefaultAuthFile makes --authfile default to
// $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, and CheckAuthFile
// refuses a named file that does not exist; containers/image
// pkg/docker/config getAuthFilePaths then reads that file (or, when none is
// named, $XDG_RUNTIME_DIR/containers/auth.json, or /run/containers/UID/
// auth.json without XDG_RUNTIME_DIR: getPathToAuthWithOS), then
// $XDG_CONFIG_HOME/containers/auth.json, then docker's config.json.
// skopeo 1.9 names the file only by --authfile or $REGISTRY_AUTH_FILE and
// does not insist that it exists.
func podmanAuthPaths(o Options, client string) []authPath {
	var first authPath
	switch {
	case o.AuthFile != "":
		first = authPath{o.AuthFile, client != "skopeo", "--authfile"}
	case o.getenv("REGISTRY_AUTH_FILE") != "":
		first = authPath{o.getenv("REGISTRY_AUTH_FILE"), client != "skopeo", "$REGISTRY_AUTH_FILE"}
	case client != "skopeo" && o.getenv("DOCKER_CONFIG") != "":
		first = authPath{filepath.Join(o.getenv("DOCKER_CONFIG"), "config.json"), true, "$DOCKER_CONFIG"}
	case o.getenv("XDG_RUNTIME_DIR") != "":
		first = authPath{path: filepath.Join(o.getenv("XDG_RUNTIME_DIR"), "containers", "auth.json")}
	default:
		first = authPath{path: o.Sys().Path(fmt.Sprintf("/run/containers/%d/auth.json", o.uid()))}
	}
	paths := []authPath{first}
	if cfg := xdgConfigHome(o); cfg != "" {
		paths = append(paths, authPath{path: filepath.Join(cfg, "containers", "auth.json")})
	}
	if d := dockerConfigPath(o); d != "" {
		paths = append(paths, authPath{path: d})
	}
	return dedupePaths(paths)
}

func xdgConfigHome(o Options) string {
	if d := o.getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	if h := o.getenv("HOME"); h != "" {
		return filepath.Join(h, ".config")
	}
	return ""
}

// dockerConfigPath is docker's config.json: $DOCKER_CONFIG/config.json,
// else ~/.docker/config.json (docker/cli config.Dir).
func dockerConfigPath(o Options) string {
	if d := o.getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	if h := o.getenv("HOME"); h != "" {
		return filepath.Join(h, ".docker", "config.json")
	}
	return ""
}

// craneAuthPaths is the one file crane reads (go-containerregistry
// pkg/authn defaultKeychain.ResolveContext): docker's config.json when
// ~/.docker/config.json or $DOCKER_CONFIG/config.json exists; only when
// neither does, $REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR/containers/
// auth.json, then $XDG_CONFIG_HOME/containers/auth.json, the first that
// exists. crane has no --authfile: regdoctor's stands for
// $REGISTRY_AUTH_FILE.
func craneAuthPaths(o Options) []authPath {
	home := o.getenv("HOME")
	found := home != "" && fileExists(filepath.Join(home, ".docker", "config.json"))
	if d := o.getenv("DOCKER_CONFIG"); !found && d != "" {
		found = fileExists(filepath.Join(d, "config.json"))
	}
	if found {
		return []authPath{{path: dockerConfigPath(o)}}
	}
	envFile := o.AuthFile
	if envFile == "" {
		envFile = o.getenv("REGISTRY_AUTH_FILE")
	}
	if envFile != "" && fileExists(envFile) {
		return []authPath{{path: envFile}}
	}
	podman := ""
	if d := o.getenv("XDG_RUNTIME_DIR"); d != "" && fileExists(filepath.Join(d, "containers", "auth.json")) {
		podman = filepath.Join(d, "containers", "auth.json")
	} else if cfg := xdgConfigHome(o); cfg != "" {
		podman = filepath.Join(cfg, "containers", "auth.json")
	}
	if podman != "" && fileExists(podman) {
		return []authPath{{path: podman}}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func dedupePaths(paths []authPath) []authPath {
	var out []authPath
	for _, p := range paths {
		if !slices.ContainsFunc(out, func(q authPath) bool { return q.path == p.path }) {
			out = append(out, p)
		}
	}
	return out
}

// clientAuthPaths are the auth files client reads, in its order.
func clientAuthPaths(o Options, client string) []authPath {
	switch client {
	case "docker", "containerd":
		// docker, and nerdctl for containerd, read only docker's
		// config.json; ctr reads none (its --user stands for it).
		if d := dockerConfigPath(o); d != "" {
			return []authPath{{path: d}}
		}
		return nil
	case "crane":
		return craneAuthPaths(o)
	}
	return podmanAuthPaths(o, client)
}

// AuthFilePaths lists the auth files in the order podman consults them,
// followed by those only other clients read.
func AuthFilePaths(o Options) []string {
	var paths []string
	for _, c := range append([]string{"podman"}, clientconf.Known...) {
		for _, p := range clientAuthPaths(o, c) {
			if !slices.Contains(paths, p.path) {
				paths = append(paths, p.path)
			}
		}
	}
	return paths
}

// usesDockerCLI: the client reads config.json through docker/cli's
// configfile, which asks credsStore for every registry (docker, and crane
// through go-containerregistry's keychain); containers/image reads only
// "auths" and "credHelpers" (pkg/docker/config dockerConfigFile), and ctr
// reads no file at all (its --user), so for containerd regdoctor takes
// the "auths" entry as the credentials given to it. nerdctl, which does
// ask credsStore, is not told apart.
func usesDockerCLI(client string) bool {
	return client == "docker" || client == "crane"
}

func (o Options) uid() int {
	if o.UID != nil {
		return *o.UID
	}
	return os.Getuid()
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
	cc.pickClients(o)
	cc.loadAuth(ctx, t, o) // which files count, and for whom, depends on the clients
	cc.loadClients(ctx, t, o)
	cc.loadTrust(t, o) // which certs.d directories count depends on the clients
	cc.loadProxy(t, o)
	return cc
}

// pickClients decides which clients are judged: --client's, else those
// that can pull here, else podman.
func (cc *ClientConfig) pickClients(o Options) {
	if len(o.Clients) > 0 {
		cc.Clients = o.Clients
		return
	}
	cc.Clients, cc.ClientsSkipped = clientconf.Available(o.Sys(), clientconf.Probe{LookPath: o.LookPath, DockerAnswers: o.DockerAnswers})
	if len(cc.Clients) == 0 {
		cc.Clients = []string{"podman"}
		for i, s := range cc.ClientsSkipped {
			if s.Name == "podman" {
				// Judged all the same: the verdict is then podman's as if installed.
				cc.ClientsSkipped = slices.Delete(cc.ClientsSkipped, i, i+1)
				break
			}
		}
	}
}

// Judges reports whether client is among the judged.
func (cc *ClientConfig) Judges(client string) bool { return slices.Contains(cc.Clients, client) }

// RegistryFor is the [[registry]] entry client applies to the target.
func (cc *ClientConfig) RegistryFor(client string) *clientconf.Registry {
	if client == "skopeo" && cc.SkopeoContainers != nil {
		return cc.SkopeoRegistry
	}
	if clientconf.ContainersImage(client) {
		return cc.Registry
	}
	return nil
}

// loadClients reads the configuration of every client regdoctor judges for.
func (cc *ClientConfig) loadClients(ctx context.Context, t Target, o Options) {
	sys := o.Sys()
	cc.Containers = clientconf.LoadRegistriesConf(sys)
	if r, ok := cc.Containers.Find(t.Registry + "/" + t.Repository); ok {
		cc.Registry = &r
	}
	podmanConfReaders := []string{"podman", "buildah", "skopeo"}
	if cc.Judges("skopeo") && o.getenv("CONTAINERS_REGISTRIES_CONF") != "" {
		// skopeo 1.9's docker transport gets SystemRegistriesConfPath
		// only from its hidden --registries-conf; the variable is read by
		// podman and buildah (containers/common), so skopeo falls back to
		// containers/image's own choice (sysregistriesv2
		// newConfigWrapperWithHomeDir): the user's file, else /etc.
		podmanConfReaders = []string{"podman", "buildah"}
		noEnv := clientconf.Sys{Root: sys.Root, Getenv: func(k string) string {
			if k == "CONTAINERS_REGISTRIES_CONF" {
				return ""
			}
			return o.getenv(k)
		}}
		cc.SkopeoContainers = clientconf.LoadRegistriesConf(noEnv)
		if r, ok := cc.SkopeoContainers.Find(t.Registry + "/" + t.Repository); ok {
			cc.SkopeoRegistry = &r
		}
		cc.addProblems(cc.SkopeoContainers.Problems, []string{"skopeo"})
	}
	cc.Docker = clientconf.LoadDockerDaemon(sys)
	cc.hostIPs = sync.OnceValue(func() []string {
		if !slices.Contains(cc.Clients, "docker") {
			return nil // only dockerd matches registries by CIDR
		}
		return hostIPs(ctx, t)
	})
	cc.Containerd = clientconf.LoadContainerdHost(sys, t.Registry)
	cc.addProblems(cc.Containers.Problems, podmanConfReaders)
	cc.addProblems(cc.Docker.Problems, nil)
	cc.addProblems(cc.Containerd.Problems, nil)
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

// addProblems copies problems of a shared (cached) configuration,
// stopping clients unless the problem names its own.
func (cc *ClientConfig) addProblems(ps []clientconf.Problem, clients []string) {
	for _, p := range ps {
		q := Problem(p)
		if len(q.Clients) == 0 {
			q.Clients = slices.Clone(clients)
		} else {
			q.Clients = slices.Clone(q.Clients)
		}
		cc.Problems = append(cc.Problems, q)
	}
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
	case "podman", "buildah", "skopeo":
		if r := cc.RegistryFor(client); r != nil && r.Insecure {
			return true, fmt.Sprintf("insecure = true for %q in %s", r.Location, r.File)
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
		if h := cc.Containerd; h != nil && h.DefaultHTTP {
			return true, "containerd uses plain HTTP, without verification, for a localhost or loopback registry that no hosts.toml names (remotes/docker/config ConfigureHosts)"
		}
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
	cc.problemFor(nil, code, file, line, format, args...)
}

// problemFor records a problem that stops only clients (nil: all of
// them), once.
func (cc *ClientConfig) problemFor(clients []string, code, file string, line int, format string, args ...any) {
	p := Problem{Code: code, File: file, Line: line, Message: fmt.Sprintf(format, args...), Clients: slices.Clone(clients)}
	for _, q := range cc.Problems {
		if q.Code == p.Code && q.File == p.File && q.Message == p.Message {
			return
		}
	}
	cc.Problems = append(cc.Problems, p)
}

// Stops reports whether a problem stops client.
func (p Problem) Stops(client string) bool {
	return len(p.Clients) == 0 || slices.Contains(p.Clients, client)
}

func (cc *ClientConfig) loadAuth(ctx context.Context, t Target, o Options) {
	want := registryKeys(t.Registry)
	dockerCfg := dockerConfigPath(o)
	cc.authPaths = map[string][]authPath{}
	cc.loginFile = podmanAuthPaths(o, "podman")[0]
	for _, c := range cc.Clients {
		cc.authPaths[c] = clientAuthPaths(o, c)
	}
	// Which judged clients read each file, and which of them through
	// docker/cli (and so its credsStore).
	readers := map[string][]string{}
	for _, c := range cc.Clients {
		for _, ap := range cc.authPaths[c] {
			readers[ap.path] = append(readers[ap.path], c)
		}
	}
	var paths []string
	for _, c := range cc.Clients {
		for _, ap := range cc.authPaths[c] {
			if !slices.Contains(paths, ap.path) {
				paths = append(paths, ap.path)
			}
		}
	}
	for _, p := range paths {
		af := AuthFile{Path: p, Docker: p == dockerCfg}
		data, err := clientconf.ReadBounded(p)
		if errors.Is(err, os.ErrNotExist) {
			cc.AuthFiles = append(cc.AuthFiles, af)
			cc.missingAuthFile(p, readers[p])
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
			cc.problemFor(readers[p], "config-invalid", p, line, "%s does not parse: %v; %s refuse to use it", p, err, clientList(readers[p], "the clients that read it"))
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
		if len(readers[p]) == 0 {
			// No judged client reads it: its helpers are not asked.
			cc.AuthFiles = append(cc.AuthFiles, af)
			continue
		}
		cc.helperReaders = readers[p]
		af.Match = cc.credsFrom(ctx, p, &f, want, t, false)
		if f.CredsStore != "" && slices.ContainsFunc(readers[p], usesDockerCLI) {
			// docker/cli asks credsStore for every registry without a
			// credHelpers entry (configfile.GetCredentialsStore).
			var cli []string
			for _, c := range readers[p] {
				if usesDockerCLI(c) {
					cli = append(cli, c)
				}
			}
			cc.helperReaders = cli
			af.StoreMatch = cc.credsFrom(ctx, p, &f, want, t, true)
		}
		cc.helperReaders = nil
		cc.AuthFiles = append(cc.AuthFiles, af)
	}
	for _, c := range cc.Clients {
		if cr := cc.CredsFor(c); cr != nil {
			cc.Creds = cr // the first judged client's, podman's when it is judged
			break
		}
	}
	if cc.Creds == nil {
		cc.findMisfiledCreds(t)
	}
}

// LoginFile is the file `podman login` (and buildah login) writes and
// podman reads first: containers/common pkg/auth Login writes to
// --authfile, whose default is GetDefaultAuthFile, else to containers/
// image's getPathToAuth ($XDG_RUNTIME_DIR/containers/auth.json, or
// /run/containers/UID/auth.json without XDG_RUNTIME_DIR, as for root
// outside a login session). from says what chose it, "" for the default.
func (cc *ClientConfig) LoginFile() (path, from string) {
	return cc.loginFile.path, cc.loginFile.from
}

// missingAuthFile: podman and buildah refuse an auth file they were
// pointed at that does not exist (containers/common CheckAuthFile:
// "checking authfile: stat FILE: no such file or directory").
func (cc *ClientConfig) missingAuthFile(p string, readers []string) {
	var fail []string
	from := ""
	for _, c := range readers {
		for _, ap := range cc.authPaths[c] {
			if ap.path == p && ap.explicit {
				fail, from = append(fail, c), ap.from
			}
		}
	}
	if len(fail) == 0 {
		return
	}
	cc.problemFor(fail, "config-invalid", p, 0, "%s names the auth file %s, which does not exist; %s refuse to run (\"checking authfile: stat %s: no such file or directory\")", from, p, clientList(fail, ""), p)
}

// clientList names clients in a sentence: "podman and buildah".
func clientList(cs []string, none string) string {
	switch len(cs) {
	case 0:
		return none
	case 1:
		return cs[0]
	}
	return strings.Join(cs[:len(cs)-1], ", ") + " and " + cs[len(cs)-1]
}

// CredsFor returns the stored credentials client would use, from the
// first of its auth files that holds an entry (containers/image), or its
// one file (docker, nerdctl, crane), through credsStore where the client
// asks it.
func (cc *ClientConfig) CredsFor(client string) *Credentials {
	paths, ok := cc.authPaths[client]
	if !ok {
		paths = cc.authPathsOf(client)
	}
	for _, ap := range paths {
		for _, af := range cc.AuthFiles {
			if af.Path != ap.path {
				continue
			}
			if usesDockerCLI(client) && af.StoreMatch != nil {
				return af.StoreMatch
			}
			if af.Match != nil {
				return af.Match
			}
		}
	}
	return nil
}

// authPathsOf is for clients that were not judged (tests, the demo):
// the files as they were consulted, podman's first.
func (cc *ClientConfig) authPathsOf(client string) []authPath {
	var out []authPath
	for _, af := range cc.AuthFiles {
		if client == "docker" || client == "containerd" || client == "crane" {
			if af.Docker {
				out = append(out, authPath{path: af.Path})
			}
			continue
		}
		out = append(out, authPath{path: af.Path})
	}
	return out
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
// With store, credsStore is asked as docker/cli does; without it, as
// containers/image reads the file, which has no credsStore.
func (cc *ClientConfig) credsFrom(ctx context.Context, path string, f *authFileJSON, want []string, t Target, store bool) *Credentials {
	if !store {
		f = &authFileJSON{Auths: f.Auths, CredHelpers: f.CredHelpers}
	}
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

// FilesRead are the paths of the configuration files the run read: auth
// files, certs.d certificates and client pairs, registries.conf and its
// drop-ins, daemon.json, hosts.toml. Paths only, for tickets: what they
// hold is in the client-config evidence, secrets left out.
func (cc *ClientConfig) FilesRead() []string {
	files := []string{}
	add := func(p string) {
		if p != "" && !slices.Contains(files, p) {
			files = append(files, p)
		}
	}
	if cc == nil {
		return files
	}
	for _, a := range cc.AuthFiles {
		if a.Exists {
			add(a.Path)
		}
	}
	for _, d := range cc.CertDirs {
		for _, name := range d.CAs {
			add(filepath.Join(d.Path, name))
		}
		for _, name := range d.ClientCerts {
			add(filepath.Join(d.Path, name))
			add(filepath.Join(d.Path, strings.TrimSuffix(name, ".cert")+".key"))
		}
	}
	for _, rc := range []*clientconf.RegistriesConf{cc.Containers, cc.SkopeoContainers} {
		if rc != nil {
			for _, f := range rc.Files {
				add(f)
			}
		}
	}
	if cc.Docker != nil && cc.Docker.Exists {
		add(cc.Docker.File)
	}
	if cc.Containerd != nil && cc.Containerd.Exists {
		add(cc.Containerd.File)
	}
	return files
}
