package diagnose

import (
	"net/url"
	"strings"
)

// The clients' own words: each message explain knows, the code it means,
// and who prints it.

// Who prints a message. A message with no client of its own (transport
// errors from Go's net/http and crypto/x509) takes the client from the rest
// of the line.
const (
	clientContainersImage  = "podman/skopeo/buildah"
	clientDocker           = "docker"
	clientContainerd       = "containerd/nerdctl"
	clientCrane            = "crane"
	clientAnyGo            = ""
	clientUnknown          = "a Go client (podman, skopeo, docker, containerd or crane)"
	clientDockerContainerd = "docker (containerd image store)"
)

// groups are the named submatches of one message match. Names used:
// host (a host the client tried), addr (the address it dialled), realm (a
// token realm URL), file, platform, arch, os, variant.
type groups map[string]string

// clientMessage is one wording a client prints, and the code it means.
type clientMessage struct {
	code   Code
	client string
	// keys: the line must contain one of these before the regexp runs.
	// Every match of re contains at least one of them.
	keys []string
	re   *lazyRE
	// maybe: other codes the same words can mean; `regdoctor check` tells
	// them apart.
	maybe []Code
	// over: codes this more specific message replaces on the same line.
	over []Code
	// meaning: what the message says, when the code's title is not enough.
	meaning string
	// accept: optional check of the submatches.
	accept func(groups) bool
	// foreignURLs: the URLs the message names are not the registry's (a
	// storage host), so the target comes from earlier lines only.
	foreignURLs bool
}

func msg(code Code, client, pattern string, keys ...string) clientMessage {
	return clientMessage{code: code, client: client, keys: keys, re: lazy(pattern)}
}

func (c clientMessage) or(codes ...Code) clientMessage { c.maybe = codes; return c }

func (c clientMessage) overrides(codes ...Code) clientMessage { c.over = codes; return c }

func (c clientMessage) means(s string) clientMessage { c.meaning = s; return c }

func (c clientMessage) when(f func(groups) bool) clientMessage { c.accept = f; return c }

func (c clientMessage) namesNoRegistry() clientMessage { c.foreignURLs = true; return c }

// Pattern fragments.
const (
	pRef    = `[a-zA-Z0-9][a-zA-Z0-9._\-/:@\[\]]*`
	pHost   = `(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9][a-zA-Z0-9.\-]*)(?::\d+)?`
	pAddr   = `(?:\[[0-9a-fA-F:.%a-zA-Z]+\]|[a-zA-Z0-9][a-zA-Z0-9.\-]*):\d+`
	pMethod = `(?:Get|Head|Post|Put|Patch|Delete|GET|HEAD|POST|PUT|PATCH|DELETE)`
	pStatus = `(?:received unexpected HTTP status: |invalid status code from registry |unexpected status code |StatusCode: |error parsing HTTP |unexpected status(?: from [A-Z]+ request to \S+)?: )`
)

// Codes a transport failure of the token realm hides: the realm, not the
// registry, is what fails.
var transportCodes = []Code{DNSLookupFailed, ProxyMisconfigured, ConnectionRefused, ConnectionTimeout,
	ServerNotResponding, PlainHTTPRegistry, TLSUnknownAuthority, TLSCertExpired, TLSHostnameMismatch, RegistryMisbehaving}

// isRealmURL tells a token realm URL from a registry API URL.
func isRealmURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	p := u.Path
	if apiPath.MatchString(p) || p == "/v2/" || p == "/v2" {
		return false
	}
	q := u.RawQuery
	return strings.Contains(q, "scope=") || strings.Contains(q, "service=") ||
		strings.Contains(p, "/token") || strings.Contains(p, "/auth") || strings.Contains(p, "/oauth2")
}

var apiPath = lazy(`^/v2/.+/(?:manifests|blobs|tags)/`)
