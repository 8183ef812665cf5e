package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

// CertDir describes one certs.d directory that was consulted.
type CertDir struct {
	Path        string   `json:"path"`
	CAs         []string `json:"cas,omitempty"`
	ClientCerts []string `json:"client_certs,omitempty"`
	// ReadBy are the clients that read this directory for the registry.
	ReadBy []string `json:"read_by,omitempty"`
	certs  []*x509.Certificate
}

// Problem is a configuration mistake, with the file that holds it: the
// same type whether clientconf found it in a client's own file or the
// client-config check found it in an auth file or certs.d.
type Problem = clientconf.Problem

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

// LoadClientConfig reads credentials, trust and proxy settings for t.
func LoadClientConfig(ctx context.Context, t target.Target, o Options) *ClientConfig {
	cc := &ClientConfig{runTimeout: o.Timeout}
	// registries.conf does not depend on which clients are judged: parse
	// it (TOML, the larger part of this function) while they are looked up
	// on PATH and the auth files are read. loadClients then takes it from
	// the per-process cache, waiting for the parse if it is not done.
	go clientconf.LoadRegistriesConf(o.Sys())
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
func (cc *ClientConfig) loadClients(ctx context.Context, t target.Target, o Options) {
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
		q := p
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
func (cc *ClientConfig) AcceptsInsecure(client string, t target.Target) (bool, string) {
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
func hostIPs(ctx context.Context, t target.Target) []string {
	if ip := net.ParseIP(t.Hostname()); ip != nil {
		return []string{ip.String()}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	addrs, _ := net.DefaultResolver.LookupHost(ctx, t.Hostname())
	return addrs
}

func (cc *ClientConfig) problem(kind clientconf.ProblemKind, file string, line int, format string, args ...any) {
	cc.problemFor(nil, kind, file, line, format, args...)
}

// problemFor records a problem that stops only clients (nil: all of
// them), once.
func (cc *ClientConfig) problemFor(clients []string, kind clientconf.ProblemKind, file string, line int, format string, args ...any) {
	p := Problem{Kind: kind, File: file, Line: line, Message: fmt.Sprintf(format, args...), Clients: slices.Clone(clients)}
	for _, q := range cc.Problems {
		if q.Kind == p.Kind && q.File == p.File && q.Message == p.Message {
			return
		}
	}
	cc.Problems = append(cc.Problems, p)
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
