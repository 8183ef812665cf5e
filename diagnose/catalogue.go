package diagnose

import (
	"sort"

	"github.com/regdoctor/regdoctor/docs"
)

// Severity of a diagnosis. Part of the JSON contract.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 3
	case Warning:
		return 2
	case Info:
		return 1
	}
	return 0
}

// Layer is where in the stack a failure lives.
type Layer string

const (
	LayerConfig   Layer = "config"
	LayerNetwork  Layer = "network"
	LayerTLS      Layer = "tls"
	LayerAPI      Layer = "registry-api"
	LayerAuth     Layer = "auth"
	LayerPush     Layer = "push"
	docsBase            = "docs/codes/"
	docsExtension       = ".md"
)

// Code is one entry of the catalogue. Codes are a contract: never rename
// one; add a new code and retire the old one in the docs instead.
type Code struct {
	Code     string
	Severity Severity // default; a rule may lower it when only some clients fail
	Layer    Layer
	Title    string
}

// Docs is the path of the code's documentation page in the repository
// (the JSON's "docs", a contract); the binary carries the page too.
func (c Code) Docs() string { return docsBase + c.Code + docsExtension }

//go:generate go test -run TestCodeTablesFollowTheCatalogue -update-tables .

// The catalogue, in the order a user should fix things: the first layer
// that broke comes first.
var catalogue = []Code{
	{"config-invalid", Error, LayerConfig, "A client configuration file does not parse"},
	{"credential-helper-failed", Error, LayerConfig, "The credential helper hangs, floods its output, or leaves it open"},
	{"certs-dir-invalid", Error, LayerConfig, "A certs.d directory holds a client key without its certificate"},
	{"short-name-unresolved", Error, LayerConfig, "A short image name resolves to no registry"},
	{"registry-blocked", Error, LayerConfig, "registries.conf blocks this registry"},
	{"credentials-for-other-host", Warning, LayerConfig, "Credentials are stored under a key the client does not look up"},
	{"mirror-failing", Warning, LayerConfig, "A configured mirror fails while the registry works, or the other way round"},
	{"dns-lookup-failed", Error, LayerNetwork, "The registry host name does not resolve"},
	{"proxy-misconfigured", Error, LayerNetwork, "HTTP(S)_PROXY routes registry traffic through a proxy that fails"},
	{"connection-refused", Error, LayerNetwork, "Nothing listens on the registry port"},
	{"connection-timeout", Error, LayerNetwork, "The connection attempt got no answer"},
	{"server-not-responding", Error, LayerNetwork, "The server accepts connections but never answers"},
	{"plain-http-registry", Error, LayerTLS, "The registry speaks plain HTTP where the client uses HTTPS"},
	{"tls-unknown-authority", Error, LayerTLS, "The certificate is signed by an authority the client does not trust"},
	{"tls-cert-expired", Error, LayerTLS, "The certificate has expired or is not yet valid"},
	{"tls-hostname-mismatch", Error, LayerTLS, "The certificate does not name the registry host"},
	{"tls-protocol-mismatch", Error, LayerTLS, "The server offers no TLS version or cipher suite the client accepts"},
	{"tls-client-cert-required", Error, LayerTLS, "The registry requires a client certificate that the client does not present"},
	{"not-a-registry", Error, LayerAPI, "The address answers HTTP but is not a registry API"},
	{"registry-misbehaving", Error, LayerAPI, "The registry answers, but not as the registry API specifies"},
	{"rate-limited", Error, LayerAPI, "The registry is rate-limiting requests"},
	{"token-realm-misconfigured", Error, LayerAuth, "The token realm URL in the challenge is malformed"},
	{"token-realm-unreachable", Error, LayerAuth, "The token realm named by the registry cannot be reached"},
	{"not-logged-in", Error, LayerAuth, "The registry refuses anonymous access, and the client has no credentials for it"},
	{"bad-credentials", Error, LayerAuth, "The stored credentials are refused"},
	{"access-denied", Error, LayerAuth, "The credentials are valid but grant no access to this repository"},
	{"clock-skew", Warning, LayerAuth, "The token's validity window disagrees with the local clock"},
	{"repository-not-found", Error, LayerAPI, "The repository does not exist"},
	{"tag-not-found", Error, LayerAPI, "The repository exists but the tag does not"},
	{"not-an-image", Error, LayerAPI, "The reference names an OCI artifact, not a container image"},
	{"manifest-schema1", Error, LayerAPI, "The image is stored as a Docker schema 1 manifest, which current clients refuse"},
	{"manifest-invalid", Error, LayerAPI, "The manifest the registry serves is not one clients accept"},
	{"blob-unknown", Error, LayerAPI, "Content the manifest names is missing from the registry"},
	{"blob-corrupt", Error, LayerAPI, "A blob's content does not match its digest"},
	{"blob-storage-unreachable", Error, LayerAPI, "The registry sends blob downloads to storage the client cannot use"},
	{"head-get-mismatch", Error, LayerAPI, "HEAD on the manifest fails while GET succeeds"},
	{"platform-not-available", Error, LayerAPI, "The image index has no manifest for the requested platform"},
	{"upload-too-large", Error, LayerPush, "A proxy rejects the upload body as too large"},
	{"upload-refused", Error, LayerPush, "The upload is refused by a proxy or by a group repository"},
	// The last resort: a step of the pull failed and no rule above knew
	// the failure. Its layer is the failed step's.
	{"pull-step-failed", Error, LayerAPI, "A step of the pull failed in a way regdoctor has no specific diagnosis for"},
}

var byCode = func() map[string]Code {
	m := make(map[string]Code, len(catalogue))
	for _, c := range catalogue {
		m[c.Code] = c
	}
	return m
}()

// lowered says, for the codes whose severity a rule lowers, when it does:
// the code tables (docs/codes/README.md, README.md) print it beside the
// default severity.
var lowered = map[string]string{
	"plain-http-registry":       "info under `--tls-verify=false`",
	"tls-client-cert-required":  "info when every judged client presents the certificate",
	"token-realm-misconfigured": "warning for an http realm, info for crane-only problems",
	"manifest-schema1":          "info when no judged client refuses schema 1",
	"manifest-invalid":          "only containerd and regctl for a wrong `Docker-Content-Digest` alone",
	"head-get-mismatch":         "a warning when no judged client sends HEAD: the pull works here, a containerd node would fail",
	"platform-not-available":    "warning for a single-platform image for another platform: it pulls, but does not run",
}

// Catalogue returns every code, in fix-first order.
func Catalogue() []Code { return append([]Code(nil), catalogue...) }

// Lookup returns the catalogue entry for code.
func Lookup(code string) (Code, bool) {
	c, ok := byCode[code]
	return c, ok
}

// order is a code's position in the catalogue, used to put root causes first.
func order(code string) int {
	for i, c := range catalogue {
		if c.Code == code {
			return i
		}
	}
	return len(catalogue)
}

// Diagnosis is one named root cause found in a run. Part of the JSON contract.
type Diagnosis struct {
	Code        string   `json:"code"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Detail      string   `json:"detail"`
	Remediation []string `json:"remediation"`
	Docs        string   `json:"docs"`
	// DocsURL is the page where it is published (docs.BaseURL, set at
	// build time); `regdoctor docs CODE` prints the same page offline.
	DocsURL string `json:"docs_url"`
	Layer   Layer  `json:"layer"`
}

// newDiagnosis fills title, docs, layer and default severity from the catalogue.
func newDiagnosis(code, detail string, remediation ...string) Diagnosis {
	c, ok := byCode[code]
	if !ok {
		panic("diagnosis code not in catalogue: " + code)
	}
	return Diagnosis{Code: code, Severity: c.Severity, Title: c.Title, Detail: detail, Remediation: remediation, Docs: c.Docs(), DocsURL: docs.URL(code), Layer: c.Layer}
}

func (d Diagnosis) withSeverity(s Severity) Diagnosis { d.Severity = s; return d }

// sortDiagnoses puts errors first, then the lower layers first.
func sortDiagnoses(ds []Diagnosis) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Severity.rank() != ds[j].Severity.rank() {
			return ds[i].Severity.rank() > ds[j].Severity.rank()
		}
		return order(ds[i].Code) < order(ds[j].Code)
	})
}
