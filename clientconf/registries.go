// Package clientconf reads, never writes, the configuration of the clients
// regdoctor speaks for: containers' registries.conf (podman, skopeo,
// buildah), docker's daemon.json and containerd's hosts.toml. It answers
// what each client will do for a registry: which scheme, which trust,
// which name a short reference resolves to.
package clientconf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/BurntSushi/toml"
)

// Sys locates configuration files. Root prefixes absolute system paths
// (/etc/...), so a test or an inspection of a mounted image can point
// elsewhere; Getenv reads the environment the clients would see.
type Sys struct {
	Root   string
	Getenv func(string) string
}

func (s Sys) env(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

// Path maps an absolute system path under Root.
func (s Sys) Path(p string) string { return s.path(p) }

func (s Sys) path(p string) string {
	if s.Root == "" || s.Root == "/" {
		return p
	}
	return filepath.Join(s.Root, p)
}

func (s Sys) home() string { return s.env("HOME") }

// ProblemKind says what is wrong with a configuration. It names the
// mistake, not its diagnosis: diagnose alone maps kinds to codes.
type ProblemKind string

const (
	// Unparsable: a file cannot be read or does not parse (or a field in
	// it cannot be decoded); the clients that read it refuse to run.
	Unparsable ProblemKind = "unparsable"
	// MissingFile: a setting names a file that does not exist.
	MissingFile ProblemKind = "missing-file"
	// HelperMissing: a credential helper named in a config is not in PATH.
	HelperMissing ProblemKind = "helper-missing"
	// HelperFailed: a credential helper hangs, floods its output, or
	// leaves it open.
	HelperFailed ProblemKind = "helper-failed"
	// CredentialsElsewhere: credentials are stored under a key the
	// clients do not look up for this registry.
	CredentialsElsewhere ProblemKind = "credentials-elsewhere"
	// CertsDirBroken: a certs.d directory holds an unreadable or
	// unpaired certificate or key.
	CertsDirBroken ProblemKind = "certs-dir-broken"
	// ProxyInvalid: the proxy environment does not parse or names a
	// proxy that cannot work.
	ProxyInvalid ProblemKind = "proxy-invalid"
)

// Problem is a configuration mistake: its kind, where it is, and which
// clients it stops.
type Problem struct {
	Kind    ProblemKind `json:"kind"`
	File    string      `json:"file"`
	Line    int         `json:"line,omitempty"`
	Message string      `json:"message"`
	// Clients are the clients the mistake stops; empty means every one.
	Clients []string `json:"clients,omitempty"`
}

// Stops reports whether a problem stops client.
func (p Problem) Stops(client string) bool {
	return len(p.Clients) == 0 || slices.Contains(p.Clients, client)
}

// Mirror is one [[registry.mirror]] entry.
type Mirror struct {
	Location string `toml:"location" json:"location"`
	Insecure bool   `toml:"insecure" json:"insecure,omitempty"`
	// PullFromMirror is "all" (or empty), "digest-only" or "tag-only".
	PullFromMirror string `toml:"pull-from-mirror" json:"pull_from_mirror,omitempty"`
}

// Registry is one [[registry]] entry of registries.conf v2.
type Registry struct {
	Prefix   string   `toml:"prefix" json:"prefix,omitempty"`
	Location string   `toml:"location" json:"location"`
	Insecure bool     `toml:"insecure" json:"insecure,omitempty"`
	Blocked  bool     `toml:"blocked" json:"blocked,omitempty"`
	Mirrors  []Mirror `toml:"mirror" json:"mirrors,omitempty"`
	// MirrorByDigestOnly: the mirrors serve pulls by digest only.
	MirrorByDigestOnly bool   `toml:"mirror-by-digest-only" json:"mirror_by_digest_only,omitempty"`
	File               string `toml:"-" json:"file"`
}

func (r Registry) prefix() string {
	if r.Prefix != "" {
		return r.Prefix
	}
	return r.Location
}

// Alias is a short-name alias and where it was defined.
type Alias struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	File   string `json:"file"`
}

// RegistriesConf is the merged registries.conf, as containers/image sees it.
type RegistriesConf struct {
	Files          []string          `json:"files"`
	SearchRegs     []string          `json:"unqualified_search_registries,omitempty"`
	SearchFile     string            `json:"unqualified_search_registries_file,omitempty"`
	ShortNameMode  string            `json:"short_name_mode,omitempty"`
	Registries     []Registry        `json:"registries,omitempty"`
	Aliases        map[string]Alias  `json:"aliases,omitempty"`
	Problems       []Problem         `json:"problems,omitempty"`
	legacyInsecure map[string]string // v1 [registries.insecure], host -> file
}

// registriesFile is the on-disk shape (v2, with the v1 tables tolerated).
type registriesFile struct {
	SearchRegs    *[]string         `toml:"unqualified-search-registries"`
	ShortNameMode string            `toml:"short-name-mode"`
	Registries    []Registry        `toml:"registry"`
	Aliases       map[string]string `toml:"aliases"`
	V1            struct {
		Search   struct{ Registries []string } `toml:"search"`
		Insecure struct{ Registries []string } `toml:"insecure"`
		Block    struct{ Registries []string } `toml:"block"`
	} `toml:"registries"`
}

// registriesConfFiles follows containers/image's precedence: the
// CONTAINERS_REGISTRIES_CONF file, or else the user's file if it exists, or
// else the system file; then the drop-in directories, in lexical order: the
// system and the user directory, except that the user's own file brings only
// the user directory (podman 4.3 does exactly this).
func registriesConfFiles(s Sys) []string {
	var main, userFile, userDir string
	if h := s.home(); h != "" {
		userFile = filepath.Join(h, ".config", "containers", "registries.conf")
		userDir = filepath.Join(h, ".config", "containers", "registries.conf.d")
	}
	dirs := []string{s.path("/etc/containers/registries.conf.d"), userDir}
	switch {
	case s.env("CONTAINERS_REGISTRIES_CONF") != "":
		main = s.env("CONTAINERS_REGISTRIES_CONF")
	case userFile != "" && exists(userFile):
		main, dirs = userFile, []string{userDir}
	default:
		main = s.path("/etc/containers/registries.conf")
	}
	files := []string{main}
	for _, d := range dirs {
		if d == "" {
			continue // no HOME
		}
		matches, _ := filepath.Glob(filepath.Join(d, "*.conf"))
		sort.Strings(matches)
		files = append(files, matches...)
	}
	return files
}

// shortNameAliasFiles are where podman records the aliases it learned.
func shortNameAliasFiles(s Sys) []string {
	files := []string{s.path("/var/cache/containers/short-name-aliases.conf")}
	if h := s.home(); h != "" {
		files = append(files, filepath.Join(h, ".cache", "containers", "short-name-aliases.conf"))
	}
	return files
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// MaxFile bounds what is read from any local configuration file.
const MaxFile = 4 << 20

// ReadBounded reads a configuration file of at most MaxFile bytes. The
// limit is on what is read, not on the size the file claims. Only
// regular files are read, and /dev/null, which users point
// CONTAINERS_REGISTRIES_CONF at, as empty: a FIFO or socket could wait
// for a writer forever, and a device such as /dev/zero claims 0 bytes
// and never ends. The file is opened without blocking and judged by
// what was opened, so one swapped for a FIFO after a look cannot hang
// the run either.
func ReadBounded(p string) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return nil, fmt.Errorf("%s is a directory, not a file", p)
	case m&os.ModeCharDevice != 0 && isDevNull(p):
		return nil, nil
	case m&(os.ModeNamedPipe|os.ModeSocket) != 0:
		return nil, fmt.Errorf("%s is a pipe or socket, not a file", p)
	case !m.IsRegular():
		return nil, fmt.Errorf("%s is a device, not a file", p)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, MaxFile)
	}
	return data, nil
}

// isDevNull reports whether p is, or links to, /dev/null.
func isDevNull(p string) bool {
	r, err := filepath.EvalSymlinks(p)
	return err == nil && r == os.DevNull
}

// LoadRegistriesConf reads and merges registries.conf and its drop-ins.
// Later files override earlier ones: a [[registry]] with the same prefix
// replaces the earlier entry; search registries and mode replace if set;
// aliases merge.
//
// The result is shared and must not be modified. It is cached per process
// and reused while every file it came from keeps its size and modification
// time, so many targets parse the TOML once, and serve and --watch still
// see edits.
func LoadRegistriesConf(s Sys) *RegistriesConf {
	aliasFiles, confFiles := shortNameAliasFiles(s), registriesConfFiles(s)
	key := statKey(append(append([]string{}, aliasFiles...), confFiles...))
	confCache.Lock()
	defer confCache.Unlock()
	if rc, ok := confCache.byKey[key]; ok {
		return rc
	}
	rc := loadRegistriesConf(aliasFiles, confFiles)
	if len(confCache.byKey) >= 16 {
		clear(confCache.byKey) // a handful of distinct set-ups per process at most
	}
	confCache.byKey[key] = rc
	return rc
}

var confCache = struct {
	sync.Mutex
	byKey map[string]*RegistriesConf
}{byKey: map[string]*RegistriesConf{}}

// statKey identifies the current contents of files without reading them.
func statKey(files []string) string {
	var b strings.Builder
	for _, f := range files {
		b.WriteString(f)
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "|%d|%d", st.Size(), st.ModTime().UnixNano())
		}
		b.WriteByte(0)
	}
	return b.String()
}

func loadRegistriesConf(aliasFiles, confFiles []string) *RegistriesConf {
	rc := &RegistriesConf{Aliases: map[string]Alias{}, legacyInsecure: map[string]string{}}
	for _, f := range aliasFiles {
		var af struct {
			Aliases map[string]string `toml:"aliases"`
		}
		if rc.decode(f, &af) {
			for k, v := range af.Aliases {
				rc.Aliases[k] = Alias{Name: k, Target: v, File: f}
			}
		}
	}
	for _, f := range confFiles {
		var rf registriesFile
		if !rc.decode(f, &rf) {
			continue
		}
		rc.merge(f, &rf)
	}
	return rc
}

// decode parses one TOML file; a missing file is not a problem.
func (rc *RegistriesConf) decode(file string, v any) bool {
	data, err := ReadBounded(file)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		rc.Problems = append(rc.Problems, Problem{Kind: Unparsable, File: file, Message: err.Error()})
		return false
	}
	if _, err := toml.Decode(string(data), v); err != nil {
		line := 0
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line = pe.Position.Line
		}
		rc.Problems = append(rc.Problems, Problem{Kind: Unparsable, File: file, Line: line,
			Message: fmt.Sprintf("%s does not parse: %v; podman, skopeo and buildah refuse to run until it is fixed", file, firstLine(err.Error()))})
		return false
	}
	return true
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (rc *RegistriesConf) merge(file string, rf *registriesFile) {
	rc.Files = append(rc.Files, file)
	if rf.SearchRegs != nil {
		rc.SearchRegs, rc.SearchFile = *rf.SearchRegs, file
	} else if len(rf.V1.Search.Registries) > 0 {
		rc.SearchRegs, rc.SearchFile = rf.V1.Search.Registries, file
	}
	if rf.ShortNameMode != "" {
		rc.ShortNameMode = rf.ShortNameMode
	}
	for _, r := range rf.Registries {
		r.File = file
		if r.Location == "" && r.Prefix != "" && !strings.HasPrefix(r.Prefix, "*.") {
			r.Location = r.Prefix
		}
		replaced := false
		for i, old := range rc.Registries {
			if old.prefix() == r.prefix() {
				rc.Registries[i], replaced = r, true
			}
		}
		if !replaced {
			rc.Registries = append(rc.Registries, r)
		}
	}
	for _, h := range rf.V1.Insecure.Registries {
		rc.legacyInsecure[h] = file
	}
	for _, h := range rf.V1.Block.Registries {
		rc.Registries = append(rc.Registries, Registry{Location: h, Blocked: true, File: file})
	}
	for k, v := range rf.Aliases {
		rc.Aliases[k] = Alias{Name: k, Target: v, File: file}
	}
}

// Find returns the [[registry]] entry that governs ref ("host[:port]/path"),
// by the longest matching prefix, as containers/image does. Wildcard
// prefixes ("*.example.com") match subdomains.
func (rc *RegistriesConf) Find(ref string) (Registry, bool) {
	best, bestLen := Registry{}, -1
	for _, r := range rc.Registries {
		p := r.prefix()
		if matchPrefix(ref, p) && len(p) > bestLen {
			best, bestLen = r, len(p)
		}
	}
	if bestLen < 0 {
		host, _, _ := strings.Cut(ref, "/")
		if f, ok := rc.legacyInsecure[host]; ok {
			return Registry{Location: host, Insecure: true, File: f}, true
		}
	}
	return best, bestLen >= 0
}

// MirrorRef rewrites ref ("host[:port]/path"), which r governs, for the
// mirror at location, as containers/image does: the part of ref the prefix
// matched is replaced by the location.
func (r Registry) MirrorRef(ref, location string) string {
	p := r.prefix()
	if strings.HasPrefix(p, "*.") {
		p, _, _ = strings.Cut(ref, "/")
	}
	return location + strings.TrimPrefix(ref, p)
}

func matchPrefix(ref, prefix string) bool {
	if strings.HasPrefix(prefix, "*.") {
		host, _, _ := strings.Cut(ref, "/")
		return strings.HasSuffix(host, prefix[1:])
	}
	if ref == prefix {
		return true
	}
	return strings.HasPrefix(ref, prefix) && (strings.HasSuffix(prefix, "/") || ref[len(prefix)] == '/' || ref[len(prefix)] == ':' || ref[len(prefix)] == '@')
}

// ShortName is how a short reference ("redis:7") resolves under podman's rules.
type ShortName struct {
	Input      string   `json:"input"`
	Resolved   string   `json:"resolved,omitempty"` // fully qualified name without tag, e.g. "docker.io/library/redis"
	Via        string   `json:"via"`                // "alias" or "unqualified-search-registries"
	File       string   `json:"file,omitempty"`
	Candidates []string `json:"candidates,omitempty"` // other search registries podman would also try
	Error      string   `json:"error,omitempty"`
	// Mode is "enforcing" when the error is enforcing mode without a TTY.
	Mode string `json:"mode,omitempty"`
}

// ResolveShortName resolves the repository part of a short name (without
// tag or digest) as podman does: an alias first, then the first of the
// unqualified-search registries.
func (rc *RegistriesConf) ResolveShortName(name string) ShortName {
	return rc.ResolveShortNameTTY(name, false)
}

// EnforcingNoTTY is containers/image's error for a short name with several
// candidates in enforcing mode when it cannot prompt (pkg/shortnames
// Resolve: stdin or stdout is not a terminal).
const EnforcingNoTTY = "short-name resolution enforced but cannot prompt without a TTY"

// ResolveShortNameTTY is ResolveShortName for a client whose stdin and
// stdout are a terminal (tty) or not: in short-name-mode "enforcing" with
// several search registries podman and buildah prompt for the choice, and
// without a terminal they fail (pkg/shortnames Resolve). "permissive", the
// default (sysregistriesv2 defaultShortNameMode), and "disabled" take the
// search registries in order, without asking.
func (rc *RegistriesConf) ResolveShortNameTTY(name string, tty bool) ShortName {
	sn := ShortName{Input: name}
	if a, ok := rc.Aliases[name]; ok {
		sn.Resolved, sn.Via, sn.File = a.Target, "alias", a.File
		return sn
	}
	if len(rc.SearchRegs) == 0 {
		sn.Error = fmt.Sprintf("short-name %q did not resolve to an alias and no unqualified-search registries are defined in %s", name, strings.Join(rc.Files, ", "))
		return sn
	}
	repo := name
	if rc.SearchRegs[0] == "docker.io" && !strings.Contains(repo, "/") {
		repo = "library/" + repo
	}
	sn.Resolved, sn.Via, sn.File = rc.SearchRegs[0]+"/"+repo, "unqualified-search-registries", rc.SearchFile
	if len(rc.SearchRegs) > 1 {
		sn.Candidates = rc.SearchRegs[1:]
		if rc.ShortNameMode == "enforcing" && !tty {
			sn.Resolved, sn.Error = "", fmt.Sprintf("%s: short-name-mode = \"enforcing\" and %d unqualified-search registries (%s) in %s, and podman and buildah run without a terminal to ask which one %q means", EnforcingNoTTY, len(rc.SearchRegs), strings.Join(rc.SearchRegs, ", "), rc.SearchFile, name)
			sn.Mode = "enforcing"
		}
	}
	return sn
}
