package checks

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

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
	case "docker", "containerd", "regctl":
		// docker, and nerdctl for containerd, read only docker's
		// config.json; ctr reads none (its --user stands for it).
		// regctl reads $DOCKER_CONFIG/config.json or ~/.docker's
		// (regclient config/docker.go DockerLoad), never podman's files;
		// the hosts of its own ~/.regctl/config.json are not read here.
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
	return client == "docker" || client == "crane" || client == "regctl"
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

func (cc *ClientConfig) loadAuth(ctx context.Context, t target.Target, o Options) {
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
			cc.problem(clientconf.Unparsable, p, 0, "%s cannot be read as an auth file: %v; podman and docker refuse to use it", p, err)
			cc.AuthFiles = append(cc.AuthFiles, af)
			continue
		}
		var f authFileJSON
		if err := json.Unmarshal(data, &f); err != nil {
			line := jsonErrorLine(data, err)
			af.Error = fmt.Sprintf("line %d: %v", line, err)
			cc.problemFor(readers[p], clientconf.Unparsable, p, line, "%s does not parse: %v; %s refuse to use it", p, err, clientList(readers[p], "the clients that read it"))
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
	cc.problemFor(fail, clientconf.MissingFile, p, 0, "%s names the auth file %s, which does not exist; %s refuse to run (\"checking authfile: stat %s: no such file or directory\")", from, p, clientList(fail, ""), p)
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
		if !clientconf.ContainersImage(client) {
			// The others read only docker's config.json (clientAuthPaths).
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
func (cc *ClientConfig) findMisfiledCreds(t target.Target) {
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
			cc.problem(clientconf.CredentialsElsewhere, af.Path, 0,
				"%s holds credentials under %q, but clients look them up as %q for %s; they are not used", af.Path, k, t.Registry, t.ImageRef())
			return
		}
	}
}

// credsFrom finds the target's entry in one parsed auth file.
// With store, credsStore is asked as docker/cli does; without it, as
// containers/image reads the file, which has no credsStore.
func (cc *ClientConfig) credsFrom(ctx context.Context, path string, f *authFileJSON, want []string, t target.Target, store bool) *Credentials {
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
				cc.problem(clientconf.Unparsable, path, 0, "the \"auth\" field for %q in %s is not base64 of user:password", key, path)
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
