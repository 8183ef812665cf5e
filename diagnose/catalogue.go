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

// Code names one root cause. Codes are a contract (the JSON's "code", the
// docs pages, the metrics' labels): never rename one; add a new code and
// retire the old one in the docs instead. Rules, verdicts and explain use
// the constants below, never a literal (TestNoCodeLiterals).
type Code string

// The codes, in catalogue order.
const (
	ConfigInvalid           Code = "config-invalid"
	CredentialHelperFailed  Code = "credential-helper-failed"
	CertsDirInvalid         Code = "certs-dir-invalid"
	ShortNameUnresolved     Code = "short-name-unresolved"
	RegistryBlocked         Code = "registry-blocked"
	CredentialsForOtherHost Code = "credentials-for-other-host"
	MirrorFailing           Code = "mirror-failing"
	DNSLookupFailed         Code = "dns-lookup-failed"
	ProxyMisconfigured      Code = "proxy-misconfigured"
	ConnectionRefused       Code = "connection-refused"
	ConnectionTimeout       Code = "connection-timeout"
	ServerNotResponding     Code = "server-not-responding"
	PlainHTTPRegistry       Code = "plain-http-registry"
	TLSUnknownAuthority     Code = "tls-unknown-authority"
	TLSCertExpired          Code = "tls-cert-expired"
	TLSHostnameMismatch     Code = "tls-hostname-mismatch"
	TLSProtocolMismatch     Code = "tls-protocol-mismatch"
	TLSClientCertRequired   Code = "tls-client-cert-required"
	NotARegistry            Code = "not-a-registry"
	RegistryMisbehaving     Code = "registry-misbehaving"
	RateLimited             Code = "rate-limited"
	TokenRealmMisconfigured Code = "token-realm-misconfigured"
	TokenRealmUnreachable   Code = "token-realm-unreachable"
	NotLoggedIn             Code = "not-logged-in"
	BadCredentials          Code = "bad-credentials"
	AccessDenied            Code = "access-denied"
	ClockSkew               Code = "clock-skew"
	RepositoryNotFound      Code = "repository-not-found"
	TagNotFound             Code = "tag-not-found"
	NotAnImage              Code = "not-an-image"
	ManifestSchema1         Code = "manifest-schema1"
	ManifestInvalid         Code = "manifest-invalid"
	BlobUnknown             Code = "blob-unknown"
	BlobCorrupt             Code = "blob-corrupt"
	BlobStorageUnreachable  Code = "blob-storage-unreachable"
	HeadGetMismatch         Code = "head-get-mismatch"
	PlatformNotAvailable    Code = "platform-not-available"
	UploadTooLarge          Code = "upload-too-large"
	UploadRefused           Code = "upload-refused"
	PullStepFailed          Code = "pull-step-failed"
)

// Entry is everything regdoctor knows about one code: its catalogue line
// (severity, layer, title), which clients it fails, the check that
// confirms it and the generic fix. Its rule lives in the rules file of its
// layer, its page in docs/codes, its client messages in explain's table.
type Entry struct {
	Code     Code
	Severity Severity // default; a rule may lower it when only some clients fail
	Layer    Layer
	Title    string
	// lowered says when a rule lowers the severity: the code tables
	// (docs/codes/README.md, README.md) print it beside the default.
	lowered string
	// decides, for a code that does not break every client, whether it
	// breaks client c, and why not; nil: it breaks every client.
	decides func(f facts, c string) (fails bool, why string)
	// serverSide: a fault of the registry that only some clients trip
	// over. When the judged clients cope it stays a warning, not info,
	// because other machines (a Kubernetes node) pull the same image.
	serverSide bool
}

// Docs is the path of the code's documentation page in the repository
// (the JSON's "docs", a contract); the binary carries the page too.
func (c Entry) Docs() string { return docsBase + string(c.Code) + docsExtension }

//go:generate go test -run TestCodeTablesFollowTheCatalogue -update-tables .

// The catalogue, in the order a user should fix things: the first layer
// that broke comes first.
var catalogue = []Entry{
	{Code: ConfigInvalid, Severity: Error, Layer: LayerConfig,
		Title:   "A client configuration file does not parse",
		decides: problemDecides(ConfigInvalid)},
	{Code: CredentialHelperFailed, Severity: Error, Layer: LayerConfig,
		Title:   "The credential helper hangs, floods its output, or leaves it open",
		decides: problemDecides(CredentialHelperFailed)},
	{Code: CertsDirInvalid, Severity: Error, Layer: LayerConfig,
		Title:   "A certs.d directory holds a client key without its certificate",
		decides: onlyContainersImage},
	{Code: ShortNameUnresolved, Severity: Error, Layer: LayerConfig,
		Title:   "A short image name resolves to no registry",
		decides: shortNameDecides},
	{Code: RegistryBlocked, Severity: Error, Layer: LayerConfig,
		Title:   "registries.conf blocks this registry",
		decides: blockedDecides},
	{Code: CredentialsForOtherHost, Severity: Warning, Layer: LayerConfig,
		Title: "Credentials are stored under a key the client does not look up"},
	{Code: MirrorFailing, Severity: Warning, Layer: LayerConfig,
		Title: "A configured mirror fails while the registry works, or the other way round"},
	{Code: DNSLookupFailed, Severity: Error, Layer: LayerNetwork,
		Title: "The registry host name does not resolve"},
	{Code: ProxyMisconfigured, Severity: Error, Layer: LayerNetwork,
		Title: "HTTP(S)_PROXY routes registry traffic through a proxy that fails"},
	{Code: ConnectionRefused, Severity: Error, Layer: LayerNetwork,
		Title: "Nothing listens on the registry port"},
	{Code: ConnectionTimeout, Severity: Error, Layer: LayerNetwork,
		Title: "The connection attempt got no answer"},
	{Code: ServerNotResponding, Severity: Error, Layer: LayerNetwork,
		Title: "The server accepts connections but never answers"},
	{Code: PlainHTTPRegistry, Severity: Error, Layer: LayerTLS,
		Title:   "The registry speaks plain HTTP where the client uses HTTPS",
		lowered: "info under `--tls-verify=false`",
		decides: insecureDecides},
	{Code: TLSUnknownAuthority, Severity: Error, Layer: LayerTLS,
		Title:   "The certificate is signed by an authority the client does not trust",
		decides: authorityDecides},
	{Code: TLSCertExpired, Severity: Error, Layer: LayerTLS,
		Title:   "The certificate has expired or is not yet valid",
		decides: verifyDecides},
	{Code: TLSHostnameMismatch, Severity: Error, Layer: LayerTLS,
		Title:   "The certificate does not name the registry host",
		decides: verifyDecides},
	{Code: TLSProtocolMismatch, Severity: Error, Layer: LayerTLS,
		Title: "The server offers no TLS version or cipher suite the client accepts"},
	{Code: TLSClientCertRequired, Severity: Error, Layer: LayerTLS,
		Title:   "The registry requires a client certificate that the client does not present",
		lowered: "info when every judged client presents the certificate",
		decides: clientCertDecides},
	{Code: NotARegistry, Severity: Error, Layer: LayerAPI,
		Title: "The address answers HTTP but is not a registry API"},
	{Code: RegistryMisbehaving, Severity: Error, Layer: LayerAPI,
		Title: "The registry answers, but not as the registry API specifies"},
	{Code: RateLimited, Severity: Error, Layer: LayerAPI,
		Title: "The registry is rate-limiting requests"},
	{Code: TokenRealmMisconfigured, Severity: Error, Layer: LayerAuth,
		Title:   "The token realm URL in the challenge is malformed",
		lowered: "warning for an http realm, info for crane-only problems",
		decides: realmDecides},
	{Code: TokenRealmUnreachable, Severity: Error, Layer: LayerAuth,
		Title: "The token realm named by the registry cannot be reached"},
	{Code: NotLoggedIn, Severity: Error, Layer: LayerAuth,
		Title:   "The registry refuses anonymous access, and the client has no credentials for it",
		decides: notLoggedInDecides},
	{Code: BadCredentials, Severity: Error, Layer: LayerAuth,
		Title: "The stored credentials are refused"},
	{Code: AccessDenied, Severity: Error, Layer: LayerAuth,
		Title: "The credentials are valid but grant no access to this repository"},
	{Code: ClockSkew, Severity: Warning, Layer: LayerAuth,
		Title: "The token's validity window disagrees with the local clock"},
	{Code: RepositoryNotFound, Severity: Error, Layer: LayerAPI,
		Title: "The repository does not exist"},
	{Code: TagNotFound, Severity: Error, Layer: LayerAPI,
		Title: "The repository exists but the tag does not"},
	{Code: NotAnImage, Severity: Error, Layer: LayerAPI,
		Title: "The reference names an OCI artifact, not a container image"},
	{Code: ManifestSchema1, Severity: Error, Layer: LayerAPI,
		Title:   "The image is stored as a Docker schema 1 manifest, which current clients refuse",
		lowered: "info when no judged client refuses schema 1",
		decides: schema1Decides},
	{Code: ManifestInvalid, Severity: Error, Layer: LayerAPI,
		Title:   "The manifest the registry serves is not one clients accept",
		lowered: "only containerd and regctl for a wrong `Docker-Content-Digest` alone",
		decides: manifestPerClient},
	{Code: BlobUnknown, Severity: Error, Layer: LayerAPI,
		Title: "Content the manifest names is missing from the registry"},
	{Code: BlobCorrupt, Severity: Error, Layer: LayerAPI,
		Title: "A blob's content does not match its digest"},
	{Code: BlobStorageUnreachable, Severity: Error, Layer: LayerAPI,
		Title: "The registry sends blob downloads to storage the client cannot use"},
	{Code: HeadGetMismatch, Severity: Error, Layer: LayerAPI,
		Title:      "HEAD on the manifest fails while GET succeeds",
		lowered:    "a warning when no judged client sends HEAD: the pull works here, a containerd node would fail",
		decides:    headDecides,
		serverSide: true},
	{Code: PlatformNotAvailable, Severity: Error, Layer: LayerAPI,
		Title:   "The image index has no manifest for the requested platform",
		lowered: "warning for a single-platform image for another platform: it pulls, but does not run"},
	{Code: UploadTooLarge, Severity: Error, Layer: LayerPush,
		Title: "A proxy rejects the upload body as too large"},
	{Code: UploadRefused, Severity: Error, Layer: LayerPush,
		Title: "The upload is refused by a proxy or by a group repository"},
	// The last resort: a step of the pull failed and no rule above knew
	// the failure. Its layer is the failed step's.
	{Code: PullStepFailed, Severity: Error, Layer: LayerAPI,
		Title:   "A step of the pull failed in a way regdoctor has no specific diagnosis for",
		decides: ownFailureDecides},
}

var byCode = func() map[Code]Entry {
	m := make(map[Code]Entry, len(catalogue))
	for _, c := range catalogue {
		m[c.Code] = c
	}
	return m
}()

// Catalogue returns every code, in fix-first order.
func Catalogue() []Entry { return append([]Entry(nil), catalogue...) }

// entryOf is code's entry; every code a rule emits has one (newDiagnosis
// panics otherwise).
func entryOf(code Code) Entry { return byCode[code] }

// Lookup returns the catalogue entry for code.
func Lookup(code Code) (Entry, bool) {
	c, ok := byCode[code]
	return c, ok
}

// order is a code's position in the catalogue, used to put root causes first.
func order(code Code) int {
	for i, c := range catalogue {
		if c.Code == code {
			return i
		}
	}
	return len(catalogue)
}

// Diagnosis is one named root cause found in a run. Part of the JSON contract.
type Diagnosis struct {
	Code        Code     `json:"code"`
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
func newDiagnosis(code Code, detail string, remediation ...string) Diagnosis {
	c, ok := byCode[code]
	if !ok {
		panic("diagnosis code not in catalogue: " + string(code))
	}
	return Diagnosis{Code: code, Severity: c.Severity, Title: c.Title, Detail: detail, Remediation: remediation, Docs: c.Docs(), DocsURL: docs.URL(string(code)), Layer: c.Layer}
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
