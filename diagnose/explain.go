package diagnose

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// This file answers "what does this error line mean?" offline: it matches
// the messages podman, skopeo, buildah, docker, containerd and crane print
// against the catalogue, without contacting any registry.

// Bounds that keep Explain linear and short on any input.
const (
	// MaxExplainInput is the most text Explain looks at; callers reading a
	// stream should stop there too.
	MaxExplainInput = 8 << 20
	// maxExplainLine: longer lines (minified JSON logs) are looked at in
	// windows of this size that overlap by lineOverlap, so a message cut
	// by a window edge is still seen whole by the next window.
	maxExplainLine = 64 << 10
	lineOverlap    = 2 << 10
	// maxExplainMatches bounds the distinct findings reported.
	maxExplainMatches = 100
	// maxEvidence bounds the quoted text of one finding.
	maxEvidence = 400
)

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
	code   string
	client string
	// keys: the line must contain one of these before the regexp runs.
	// Every match of re contains at least one of them.
	keys []string
	re   *lazyRE
	// maybe: other codes the same words can mean; `regdoctor check` tells
	// them apart.
	maybe []string
	// over: codes this more specific message replaces on the same line.
	over []string
	// meaning: what the message says, when the code's title is not enough.
	meaning string
	// accept: optional check of the submatches.
	accept func(groups) bool
	// foreignURLs: the URLs the message names are not the registry's (a
	// storage host), so the target comes from earlier lines only.
	foreignURLs bool
}

func msg(code, client, pattern string, keys ...string) clientMessage {
	return clientMessage{code: code, client: client, keys: keys, re: lazy(pattern)}
}

func (c clientMessage) or(codes ...string) clientMessage { c.maybe = codes; return c }

func (c clientMessage) overrides(codes ...string) clientMessage { c.over = codes; return c }

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
var transportCodes = []string{"dns-lookup-failed", "proxy-misconfigured", "connection-refused", "connection-timeout",
	"server-not-responding", "plain-http-registry", "tls-unknown-authority", "tls-cert-expired", "tls-hostname-mismatch", "registry-misbehaving"}

// clientMessages is the table explain matches against: every wording of
// every client version we know of, each pointing at a catalogue code. It
// lives beside the catalogue so that a code and its messages change
// together; TestClientMessagesMatchCatalogue keeps them in step. Within
// one code, more specific wordings come first: only the first match of a
// code on a line counts.
var clientMessages = []clientMessage{
	// config-invalid
	msg("config-invalid", clientContainersImage, `loading registries configuration "(?P<file>[^"]+)": \S`, "loading registries configuration").
		means("registries.conf (or a drop-in under registries.conf.d) does not parse."),
	msg("config-invalid", clientContainersImage, `unmarshaling JSON at "(?P<file>[^"]+)"`, "unmarshaling JSON at").
		means("An auth file (auth.json or a docker config.json) is not valid JSON."),
	msg("config-invalid", clientDocker, `parsing config file \((?P<file>[^)]+)\)`, "parsing config file").
		means("docker's config.json is not valid JSON; docker ignores it, with its credentials."),
	msg("config-invalid", clientDocker, `Error loading config file:? (?P<file>[^\s:]+)`, "Error loading config file").
		means("docker's config.json is not valid JSON; docker ignores it, with its credentials."),
	msg("config-invalid", clientAnyGo, `(?:getting|storing|erasing|listing) credentials - err: exec: "(?P<file>docker-credential-[^"]+)": executable file not found`, "credentials - err: exec").
		means("The client configuration names a credential helper (credsStore / credHelpers) that is not installed."),
	msg("config-invalid", clientContainersImage, `open (?P<file>\S*/containers/policy\.json): no such file or directory`, "policy.json").
		means("The signature policy file is missing; podman, skopeo and buildah refuse to pull without it."),

	// certs-dir-invalid
	msg("certs-dir-invalid", clientContainersImage, `missing client certificate (?P<file>\S+) for key \S+`, "missing client certificate"),
	msg("certs-dir-invalid", clientContainersImage, `missing key (?P<file>\S+) for client certificate \S+`, "missing key").
		means("A certs.d directory holds a client certificate (.cert) without its key; CA certificates must end in .crt."),

	// token-realm-unreachable: a transport error on the token request.
	// Listed before the transport codes it overrides.
	msg("token-realm-unreachable", clientContainerd, `failed to fetch (?:anonymous|oauth) token: (?:Get|Post|GET|POST) "(?P<realm>[^"]+)": \S[^\n]*`, "failed to fetch").
		overrides(transportCodes...),
	msg("token-realm-unreachable", clientAnyGo, `(?:Get|Post|GET|POST) "?(?P<realm>https?://[^\s"]+?)"?: (?:dial tcp|proxyconnect|x509:|tls:|net/http: TLS handshake timeout|remote error|read tcp)[^\n"]*`, "token", "auth", "service=", "scope=").
		when(func(g groups) bool { return isRealmURL(g["realm"]) }).overrides(transportCodes...),

	// short-name-unresolved
	msg("short-name-unresolved", clientContainersImage, `short-name "(?P<short>[^"]+)" did not resolve to an alias and no [^\n"]*`, "did not resolve to an alias"),
	msg("short-name-unresolved", clientContainersImage, `short-name resolution enforced but cannot prompt without a TTY`, "cannot prompt without a TTY").
		means("Several search registries could serve the name and short-name-mode is enforcing, so podman wants to ask, but there is no terminal."),

	// registry-blocked
	msg("registry-blocked", clientContainersImage, `registry (?P<host>`+pHost+`) is blocked in (?P<file>[^\s"]+)`, "is blocked in"),

	// mirror-failing: containers/image tried the mirrors, then the
	// registry; the bracketed errors are the mirrors'.
	msg("mirror-failing", clientContainersImage, `\(Mirrors also failed: \[(?P<mirror>`+pRef+`): [^\n]*?\]\)`, "Mirrors also failed").
		means("Every configured mirror failed, and so did the registry itself: the errors in brackets are the mirrors', the rest of the line is the registry's."),

	// dns-lookup-failed
	msg("dns-lookup-failed", clientAnyGo, `\blookup (?P<host>`+pHost+`)(?: on \S+)?: (?:no such host|server misbehaving|Temporary failure in name resolution|Name or service not known|No address associated with hostname|no answer from DNS server|getaddrinfow: [^"\n]*|(?:read|write|dial) udp \S+: [^"\n]*|i/o timeout)`, "lookup ").
		overrides("connection-timeout", "connection-refused"),

	// proxy-misconfigured
	msg("proxy-misconfigured", clientAnyGo, `proxyconnect tcp: [^"\n]*`, "proxyconnect tcp").
		overrides("dns-lookup-failed", "connection-refused", "connection-timeout", "server-not-responding", "plain-http-registry", "tls-unknown-authority", "tls-cert-expired", "tls-hostname-mismatch"),
	msg("proxy-misconfigured", clientAnyGo, `(?:407 )?Proxy Authentication Required`, "Proxy Authentication Required").
		means("The proxy in HTTPS_PROXY / HTTP_PROXY wants credentials the client does not send."),
	msg("proxy-misconfigured", clientAnyGo, `(?:Get|Head|Post|Put|Patch) "?https://[^\s"]+"?: (?:Forbidden|Bad Gateway|Service Unavailable|Gateway Timeout)(?:$|[\s"'])`, "Forbidden", "Bad Gateway", "Service Unavailable", "Gateway Timeout").
		means("The proxy refused the CONNECT to the registry: Go reports the proxy's status alone."),

	// connection-refused
	msg("connection-refused", clientAnyGo, `(?:dial tcp (?P<addr>`+pAddr+`): )?(?:connect: connection refused|connectex: No connection could be made because the target machine actively refused it)`, "connection refused", "actively refused"),

	// connection-timeout
	msg("connection-timeout", clientAnyGo, `dial tcp (?P<addr>`+pAddr+`): (?:connect: )?(?:i/o timeout|connection timed out|no route to host|network is unreachable)`, "i/o timeout", "timed out", "no route to host", "network is unreachable"),
	msg("connection-timeout", clientAnyGo, `connectex: A connection attempt failed because the connected party did not properly respond`, "connected party did not properly respond"),
	msg("connection-timeout", clientAnyGo, `net/http: request canceled while waiting for connection`, "waiting for connection").
		or("server-not-responding"),

	// server-not-responding
	msg("server-not-responding", clientAnyGo, `net/http: TLS handshake timeout`, "TLS handshake timeout"),
	msg("server-not-responding", clientAnyGo, `(?:net/http: request canceled|context deadline exceeded) \(Client\.Timeout exceeded while awaiting headers\)|(?:net/http|http2): timeout awaiting response headers`, "awaiting headers", "awaiting response headers").
		or("connection-timeout"),
	msg("server-not-responding", clientContainerd, `failed to do request: `+pMethod+` "[^"]+": context deadline exceeded`, "context deadline exceeded").
		or("connection-timeout"),

	// plain-http-registry
	msg("plain-http-registry", clientAnyGo, `server gave HTTP response to HTTPS client`, "server gave HTTP response to HTTPS client"),
	msg("plain-http-registry", clientAnyGo, `400 The plain HTTP request|The plain HTTP request was sent to HTTPS port|Client sent an HTTP request to an HTTPS server`, "plain HTTP request", "Client sent an HTTP request to an HTTPS server").
		means("The reverse case: the client sent plain HTTP to a port that expects TLS, usually because it is configured for HTTP (containerd hosts.toml server = \"http://...\", an http:// mirror) or fell back to HTTP after HTTPS failed. Use https for this registry and remove the plain-HTTP setting, or fix what made HTTPS fail."),
	msg("plain-http-registry", clientAnyGo, `tls: first record does not look like a TLS handshake`, "first record does not look like a TLS handshake").
		or("not-a-registry").
		means("The client spoke TLS and the server answered with something else, most often plain HTTP."),

	// tls-unknown-authority
	msg("tls-unknown-authority", clientAnyGo, `x509: certificate signed by unknown authority`, "signed by unknown authority"),
	msg("tls-unknown-authority", clientAnyGo, `x509: (?:“[^”]*” )?certificate is not trusted`, "certificate is not trusted"),

	// tls-cert-expired
	msg("tls-cert-expired", clientAnyGo, `x509: certificate has expired or is not yet valid(?:: current time \S+ is (?:after|before) \S+)?`, "certificate has expired or is not yet valid").
		means("Either the certificate is outside its validity window, or this machine's clock is wrong."),

	// tls-hostname-mismatch
	msg("tls-hostname-mismatch", clientAnyGo, `x509: certificate is valid for [^\n"]*?, not (?P<host>`+pHost+`)|x509: certificate is valid for \d+ (?:IP SANs|names), but none matched (?P<host>`+pHost+`)`, "x509: certificate is valid for"),
	msg("tls-hostname-mismatch", clientAnyGo, `x509: cannot validate certificate for (?P<host>\S+) because it doesn't contain any IP SANs`, "doesn't contain any IP SANs"),
	msg("tls-hostname-mismatch", clientAnyGo, `x509: certificate relies on legacy Common Name field`, "legacy Common Name field"),
	msg("tls-hostname-mismatch", clientAnyGo, `x509: certificate is not valid for any names, but wanted to match (?P<host>`+pHost+`)`, "not valid for any names"),

	// tls-protocol-mismatch
	msg("tls-protocol-mismatch", clientAnyGo, `remote error: tls: protocol version not supported|tls: server selected unsupported protocol version [0-9a-f]+`, "protocol version").
		means("The server speaks only TLS versions older than 1.2, which Go clients refuse."),
	msg("tls-protocol-mismatch", clientAnyGo, `remote error: tls: handshake failure`, "handshake failure").
		or("tls-client-cert-required").
		means("The server accepted none of the cipher suites the client offered (an RSA-key-exchange-only server, for clients built with Go 1.22 or later), or wanted a client certificate over TLS 1.2."),

	// tls-client-cert-required
	msg("tls-client-cert-required", clientAnyGo, `remote error: tls: (?:certificate required|bad certificate|unknown certificate authority|expired certificate|revoked certificate|unsupported certificate|unknown certificate)\b`, "remote error: tls:").
		means("The server (or the proxy in front of it) requires a client certificate and got none it accepts; Go clients send a certs.d certificate only when the server names its issuer."),
	msg("tls-client-cert-required", clientAnyGo, `400 (?:No required SSL certificate was sent|The SSL certificate error)`, "No required SSL certificate was sent", "The SSL certificate error").
		means("nginx in front of the registry has ssl_verify_client on and got no client certificate it accepts."),
	msg("tls-client-cert-required", clientContainersImage, `pinging container registry `+pHost+`: invalid status code from registry 400 \(Bad Request\)`, "invalid status code from registry 400").
		or("not-a-registry").
		means("A 400 to the very first request, GET /v2/, comes from a proxy in front of the registry; skopeo 1.9 drops nginx's page, which most often says \"No required SSL certificate was sent\"."),

	// not-an-image
	msg("not-an-image", clientContainersImage, `unsupported image-specific operation on artifact with type "(?P<mediatype>[^"]+)"`, "unsupported image-specific operation on artifact").
		means("The reference names an OCI artifact (a Helm chart, a signature, an SBOM), not a container image."),
	msg("not-an-image", clientDocker, `Encountered remote "(?P<mediatype>[^"]+)"\([a-z]+\) when fetching`, "Encountered remote").
		means("The reference names an OCI artifact (a Helm chart, a signature, an SBOM), not a container image."),

	// manifest-schema1
	msg("manifest-schema1", clientDocker, `Docker Image manifest version 2, schema 1 support (?:is disabled by default|will be removed|has been removed)`, "schema 1 support").
		means("The image is stored as a Docker schema 1 manifest, which docker 26 and containerd 2.0 refuse by default."),

	// blob-storage-unreachable: the blob download, redirected to storage.
	msg("blob-storage-unreachable", clientContainersImage, `(?:parsing image configuration|fetching blob|reading blob \S+): (?:Get|GET) "https://(?P<storage>[^/"]+)/[^"]*(?:X-Amz-|X-Goog-|verify=|[?&]sig=)[^"]*": \S[^\n]*`, "parsing image configuration", "fetching blob").
		overrides(transportCodes...).namesNoRegistry().
		means("The manifest resolved; the download of a blob, redirected to object storage or a CDN, failed there."),
	msg("blob-storage-unreachable", clientDocker, `error pulling image configuration: (?:download failed after attempts=\d+: )?(?:dial tcp|received unexpected HTTP status: 403)[^\n]*`, "error pulling image configuration").
		overrides(transportCodes...).namesNoRegistry().
		means("docker resolved the manifest; fetching the image configuration, usually from the registry's storage or CDN, failed."),

	// blob-unknown: a blob (or an index's platform manifest) the manifest
	// names answers 404. Wordings from containers/image 5.22–5.24
	// (docker_image_src.go getBlob), containerd 1.6 (remotes/docker
	// fetcher), go-containerregistry (transport.Error) and moby.
	msg("blob-unknown", clientContainersImage, `reading blob (?P<digest>sha256:[0-9a-f]+): (?:Error fetching blob|fetching blob): (?:invalid status code from registry 404 \(Not Found\)|blob unknown to registry)`, "reading blob").
		means("The manifest resolved, but the registry does not have a blob it names: it lost content an image still points at."),
	msg("blob-unknown", clientCrane, `GET \S+/blobs/(?P<digest>sha256:[0-9a-f]+): BLOB_UNKNOWN`, "BLOB_UNKNOWN").
		means("The manifest resolved, but the registry does not have a blob it names."),
	msg("blob-unknown", clientContainerd, `could not fetch content descriptor (?P<digest>sha256:[0-9a-f]+) \([^)]*\) from remote: not found`, "could not fetch content descriptor").
		means("The manifest resolved, but the registry does not have content it names."),
	msg("blob-unknown", clientDocker, `(?:error pulling image configuration: )?unknown blob\b`, "unknown blob").
		means("The manifest resolved, but the registry does not have a blob it names."),
	// regctl (regclient v0.11.7 scheme/reg BlobGet, reghttp).
	msg("blob-unknown", clientAnyGo, `failed to get blob, digest (?P<digest>sha256:[0-9a-f]+), ref \S+: request failed: not found \[http 404\]`, "failed to get blob").
		means("The manifest resolved, but the registry does not have a blob it names."),

	// blob-corrupt: the bytes do not hash to their digest.
	msg("blob-corrupt", clientContainersImage, `Digest did not match, expected (?P<digest>sha256:[0-9a-f]+), got sha256:[0-9a-f]+`, "Digest did not match").
		means("A blob downloaded, but its content does not hash to its digest."),
	msg("blob-corrupt", clientCrane, `error verifying sha256 checksum after reading \d+ bytes; got "[^"]+", want "(?P<digest>[^"]+)"`, "error verifying sha256 checksum").
		means("A blob downloaded, but its content does not hash to its digest."),
	msg("blob-corrupt", clientDocker, `filesystem layer verification failed for digest (?P<digest>sha256:[0-9a-f]+)`, "filesystem layer verification failed").
		means("A layer downloaded, but its content does not hash to its digest."),
	msg("blob-corrupt", clientAnyGo, `^digest mismatch \[expected (?P<digest>sha256:[0-9a-f]+), calculated sha256:[0-9a-f]+\]`, "digest mismatch [expected").
		means("A blob downloaded, but its content does not hash to its digest (regctl's words)."),
	msg("blob-corrupt", clientDocker, `image config verification failed for digest (?P<digest>sha256:[0-9a-f]+)`, "image config verification failed").
		means("The image configuration downloaded, but its content does not hash to its digest."),
	msg("blob-corrupt", clientContainerd, `unexpected commit digest sha256:[0-9a-f]+, expected (?P<digest>sha256:[0-9a-f]+): failed precondition`, "unexpected commit digest").
		or("manifest-invalid").
		means("Content downloaded, but does not hash to the digest it was fetched by: a corrupt blob, or a manifest whose Docker-Content-Digest is not its own."),

	// manifest-invalid: a 200 that is no manifest the client accepts.
	msg("manifest-invalid", clientContainersImage, `unsupported schema version 2`, "unsupported schema version").
		means("The manifest's Content-Type is no manifest type, so podman read it as schema 1, which it is not: a proxy or registry sends the wrong Content-Type (or an HTML page)."),
	msg("manifest-invalid", clientContainersImage, `[Mm]anifest does not match provided manifest digest (?P<digest>sha256:[0-9a-f]+)`, "does not match provided manifest digest").
		means("Pulled by digest, the manifest served does not hash to that digest."),
	msg("manifest-invalid", clientContainersImage, `unsupported docker v2s2 media type: "(?P<mediatype>[^"]*)"`, "unsupported docker v2s2 media type").
		means("The manifest's own mediaType contradicts its Content-Type."),
	msg("manifest-invalid", clientCrane, `manifest digest: "[^"]+" does not match requested digest: "(?P<digest>[^"]+)"`, "does not match requested digest").
		means("Pulled by digest, the manifest served does not hash to that digest."),
	msg("manifest-invalid", clientDocker, `manifest verification failed for digest (?P<digest>sha256:[0-9a-f]+)|mediaType in manifest should be '[^']+' not '[^']+'|missing signature key`, "manifest verification failed", "mediaType in manifest should be", "missing signature key").
		means("docker refused the manifest: it does not hash to the digest pulled, contradicts its Content-Type, or has a Content-Type docker reads as schema 1."),
	msg("manifest-invalid", clientContainerd, `media-type: expected (?:manifest|index) but found (?:manifest|index)`, "media-type: expected").
		means("The manifest's Content-Type contradicts what the body is."),
	// regctl's (regclient types/manifest New, fromCommon, verifyMT).
	msg("manifest-invalid", clientAnyGo, `manifest digest mismatch, expected (?P<digest>sha256:[0-9a-f]+), computed sha256:[0-9a-f]+`, "manifest digest mismatch").
		means("The manifest's body does not hash to the digest it was asked by or served with (Docker-Content-Digest)."),
	msg("manifest-invalid", clientAnyGo, `manifest contains an unexpected media type: expected (?P<mediatype>\S+), received \S+`, "manifest contains an unexpected media type").
		means("The manifest's Content-Type names one manifest type and its body's mediaType another."),
	msg("manifest-invalid", clientAnyGo, `unsupported media type: "(?P<mediatype>[^"]*)"`, "unsupported media type").
		means("The manifest answer's Content-Type is no manifest type (an HTML page, text/plain, or a type the client does not know)."),
	// dockerd's words for a 200 manifest answer it cannot read (moby
	// v20.10 distribution/pull_v2.go, docker/distribution manifest
	// unmarshalling).
	msg("manifest-invalid", clientDocker, `error unmarshalling content: invalid character '<' looking for beginning of value`, "error unmarshalling content").
		means("The manifest request answered 200 with an HTML page, not a manifest."),
	msg("manifest-invalid", clientDocker, `missing or empty Content-Type header`, "missing or empty Content-Type header").
		or("registry-misbehaving").
		means("The manifest answer carries no Content-Type, which docker needs to pick the manifest's type."),

	// not-a-registry
	msg("not-a-registry", clientAnyGo, `error parsing HTTP (?:404|200|30\d) response body: invalid character '<' looking for beginning of value`, "error parsing HTTP").
		means("An HTML page answered where the registry API should."),
	msg("not-a-registry", clientContainersImage, `StatusCode: (?:404|200|30\d), "<`, "StatusCode: ").
		means("An HTML page answered where the registry API should."),
	msg("not-a-registry", clientDocker, `login attempt to \S+ failed with status: 404 Not Found`, "login attempt to"),
	msg("not-a-registry", clientCrane, `GET https?://[^/\s]+/v2/: unexpected status code (?:404|200|30\d)\b`, "/v2/: unexpected status code"),
	msg("not-a-registry", clientContainersImage, `can't talk to a V1 (?:container|docker) registry|error pinging repository, response code (?:404|200|30\d)\b`, "can't talk to a V1", "error pinging repository, response code"),
	// containers/image accepts only 200 and 401 on /v2/ (docker_client.go
	// detectPropertiesHelper); a 404 there is the classic wrong port, such
	// as Nexus's web UI on 8081.
	msg("not-a-registry", clientContainersImage, `pinging container registry `+pHost+`: invalid status code from registry 404 \(Not Found\)`, "pinging container registry").
		means("GET /v2/ answered 404: the address is not the registry API (a web UI's port, or a proxy without a /v2/ route)."),

	// registry-misbehaving
	msg("registry-misbehaving", clientAnyGo, pStatus+`5\d\d\b`, "status", "StatusCode", "error parsing HTTP").
		or("proxy-misconfigured").
		means("The registry, or a proxy in front of it, answered with a server error."),
	msg("registry-misbehaving", clientContainersImage, `decoding bearer token`, "decoding bearer token").
		means("The token endpoint answered with something that is not a token (often an HTML error page)."),
	msg("registry-misbehaving", clientAnyGo, `missing realm in bearer auth challenge|malformed www-authenticate, missing realm`, "missing realm").
		means("The registry's 401 challenge names no token realm."),
	msg("registry-misbehaving", clientAnyGo, `stopped after 10 redirects`, "stopped after 10 redirects"),
	msg("registry-misbehaving", clientCrane, `no token in bearer response`, "no token in bearer response"),
	msg("registry-misbehaving", clientAnyGo, `failed to request auth token \((?:get|post)\): parsing time`, "failed to request auth token").
		means("The token realm's issued_at is no RFC 3339 time, which regctl decodes strictly."),
	msg("registry-misbehaving", clientDocker, `unable to decode token response`, "unable to decode token response").
		means("The token realm's 200 answer does not decode as a token response (an issued_at that is no RFC 3339 time, or a body that is no JSON)."),
	msg("registry-misbehaving", clientDocker, `authorization server did not include a token in the response`, "did not include a token").
		means("The token realm answered 200 without a token."),
	msg("registry-misbehaving", clientAnyGo, `gzip: invalid header`, "gzip: invalid header").
		means("An answer says Content-Encoding: gzip over a body that is not gzip: a proxy that labels or compresses responses wrongly."),
	msg("registry-misbehaving", clientAnyGo, `error parsing HTTP 4(?:0[5-9]|1\d|2\d|5\d) response body: invalid character '<' looking for beginning of value`, "error parsing HTTP").
		means("The registry, or a proxy in front of it, answered an API request with an HTML error page (410 Gone and the like)."),
	msg("registry-misbehaving", clientContainerd, `rejecting \d+ byte manifest`, "byte manifest").
		overrides("tag-not-found"),
	msg("registry-misbehaving", clientAnyGo, `read: connection reset by peer|`+pMethod+` "?https?://[^\s"]+"?: (?:unexpected )?EOF\b`, "connection reset by peer", "EOF").
		or("proxy-misconfigured").
		means("The connection was closed in the middle of an answer."),

	// rate-limited
	msg("rate-limited", clientAnyGo, `(?:toomanyrequests|TOOMANYREQUESTS): [^\n"]*|You have reached your (?:unauthenticated )?pull rate limit`, "toomanyrequests", "TOOMANYREQUESTS", "rate limit"),
	msg("rate-limited", clientContainersImage, `too many requests to registry`, "too many requests to registry"),
	msg("rate-limited", clientAnyGo, `429 Too Many Requests|(?:StatusCode:|status code|status:) 429\b`, "429"),

	// token-realm-misconfigured
	msg("token-realm-misconfigured", clientCrane, `invalid realm in www-authenticate: [^\n"]*`, "invalid realm in www-authenticate"),
	msg("token-realm-misconfigured", clientCrane, `realm scheme "[^"]*" not allowed[^\n"]*`, "realm scheme"),
	msg("token-realm-misconfigured", clientCrane, `parsing realm "[^"]*"`, "parsing realm"),
	msg("token-realm-misconfigured", clientAnyGo, `unsupported protocol scheme "[^"]*"`, "unsupported protocol scheme").
		means("A URL the registry sent (the token realm, or a redirect) has no usable scheme; Nexus can send a \"null\" scheme when its Base URL is unset."),

	// bad-credentials (before not-logged-in, which it overrides)
	msg("bad-credentials", clientContainersImage, `unable to retrieve auth token: invalid username/password`, "invalid username/password").
		or("not-logged-in").overrides("not-logged-in").
		means("The token realm answered 401. podman prints this even when no credentials were sent."),
	msg("bad-credentials", clientDocker, `unauthorized: incorrect username or password`, "incorrect username or password"),
	msg("bad-credentials", clientDocker, `login attempt to \S+ failed with status: 401 Unauthorized`, "login attempt to"),
	msg("bad-credentials", clientContainersImage, `logging into "[^"]+": invalid username/password`, "logging into"),
	msg("bad-credentials", clientContainerd, `failed to fetch oauth token: unexpected status(?: from POST request to \S+)?: 401\b`, "failed to fetch oauth token").
		overrides("not-logged-in"),

	// not-logged-in
	msg("not-logged-in", clientContainersImage, `Requesting bear(?:er)? token: (?:invalid status code from registry|received unexpected HTTP status:|StatusCode:) 40[13]\b(?: \([A-Za-z ]+\)| [A-Z][a-z]+)?`, "Requesting bear").
		or("access-denied").overrides("access-denied").
		means("The token realm refused to issue a token for an anonymous request."),
	msg("not-logged-in", clientContainersImage, `reading manifest \S+ in \S+: (?:unauthorized: )?authentication required`, "authentication required").
		or("bad-credentials"),
	msg("not-logged-in", clientDocker, `no basic auth credentials`, "no basic auth credentials"),
	// dockerd (v20.10, docker/distribution's token handler) reports the
	// realm's refusal of an anonymous token request under the manifest
	// HEAD it was fetching the token for; "anonymous" names the cause.
	msg("not-logged-in", clientDocker, `(?:HEAD|Head|GET|Get) "?https?://[^\s"]+/manifests/[^\s"]+"?: denied: anonymous access\b[^\n"]*`, "denied: anonymous access").
		overrides("access-denied"),
	msg("not-logged-in", clientAnyGo, `(?:unauthorized|UNAUTHORIZED): authentication required`, "authentication required").
		or("bad-credentials"),
	msg("not-logged-in", clientContainerd, `failed to fetch anonymous token: unexpected status(?: from GET request to (?P<realm>\S+))?: 40[13]\b`, "failed to fetch anonymous token").
		or("access-denied").overrides("access-denied"),
	msg("not-logged-in", clientContainerd, `unexpected status from (?:HEAD|GET) request to \S+: 401 Unauthorized`, "401 Unauthorized").
		or("bad-credentials", "head-get-mismatch"),
	msg("not-logged-in", clientCrane, `(?:GET|POST) (?P<realm>https?://\S+): unexpected status code 40[13]\b`, "unexpected status code 40").
		when(func(g groups) bool { return isRealmURL(g["realm"]) }).
		or("bad-credentials", "access-denied").overrides("access-denied"),
	msg("not-logged-in", clientAnyGo, `(?:StatusCode: |received unexpected HTTP status: |unexpected status code )401\b`, "401").
		or("bad-credentials"),
	msg("not-logged-in", clientAnyGo, `unauthorized: access to the requested resource is not authorized`, "requested resource is not authorized").
		or("access-denied"),

	// access-denied
	msg("access-denied", clientAnyGo, `requested access to the resource is denied`, "requested access to the resource is denied").
		or("not-logged-in"),
	msg("access-denied", clientAnyGo, `insufficient_scope[^\n"]*`, "insufficient_scope").
		or("not-logged-in"),
	msg("access-denied", clientContainerd, `unexpected status from [A-Z]+ request to \S+: 403 Forbidden`, "403 Forbidden").
		or("not-logged-in", "head-get-mismatch"),
	msg("access-denied", clientAnyGo, `(?:StatusCode: |received unexpected HTTP status: |unexpected status code )403\b`, "403").
		or("not-logged-in"),
	msg("access-denied", clientCrane, `\bDENIED: \S[^\n"]*`, "DENIED: "),
	// dockerd retries a blob download and reports the registry's last
	// word (distribution/xfer: "download failed after attempts=N").
	msg("access-denied", clientDocker, `download failed after attempts=\d+: denied\b`, "download failed after attempts="),
	msg("access-denied", clientAnyGo, `\bdenied: (?:permission_denied|access forbidden|Permission "[^"]+" denied)[^\n"]*`, "denied: "),

	// repository-not-found
	msg("repository-not-found", clientDocker, `pull access denied for (?P<repo>[^\s,]+), repository does not exist or may require 'docker login'`, "pull access denied for").
		or("not-logged-in", "access-denied").overrides("access-denied").
		means("Docker Hub (and registries like it) answers the same for a missing repository and for one you may not read."),
	msg("repository-not-found", clientAnyGo, `(?:name unknown|NAME_UNKNOWN)(?:: [^\n;"]*)?|repository name not known to registry`, "name unknown", "NAME_UNKNOWN", "repository name not known"),

	// platform-not-available (before tag-not-found, which it overrides)
	msg("platform-not-available", clientContainersImage, `no image found in (?:image index|manifest list) for architecture "?(?P<arch>[^",\s]+)"?, variant "(?P<variant>[^"]*)", OS "?(?P<os>[^",\s]+)"?`, "no image found in").
		overrides("tag-not-found"),
	msg("platform-not-available", clientAnyGo, `^platform not found: (?P<platform>\S+)`, "platform not found").
		means("The image index lists no manifest for this platform (regctl's words)."),
	msg("platform-not-available", clientDocker, `no matching manifest for (?P<platform>\S+) in the manifest list entries`, "no matching manifest for").
		overrides("tag-not-found"),
	msg("platform-not-available", clientContainerd, `no match for platform in manifest`, "no match for platform in manifest").
		overrides("tag-not-found"),
	msg("platform-not-available", clientCrane, `no child with platform (?P<platform>\S+) in index \S+`, "no child with platform"),

	// tag-not-found
	msg("tag-not-found", clientContainersImage, `reading manifest \S+ in \S+: manifest unknown`, "reading manifest").
		or("repository-not-found"),
	msg("tag-not-found", clientDocker, `manifest for \S+ not found(?:: manifest unknown)*`, "manifest for ").
		or("repository-not-found", "head-get-mismatch"),
	msg("tag-not-found", clientContainerd, `failed to resolve reference "[^"]+": (?:[^\s"]+: )?not found`, "failed to resolve reference").
		or("repository-not-found", "head-get-mismatch", "not-a-registry"),
	msg("tag-not-found", clientCrane, `MANIFEST_UNKNOWN: [^;\n"]*(?:; map\[Tag:[^\]\s]+\])?`, "MANIFEST_UNKNOWN").
		or("repository-not-found"),
	msg("tag-not-found", clientAnyGo, `(?:(?:GET|HEAD) https?://\S+/manifests/\S+: unexpected status code|unexpected status from (?:GET|HEAD) request to \S+/manifests/\S+:) 404\b`, "404").
		or("repository-not-found", "head-get-mismatch"),
	msg("tag-not-found", clientAnyGo, `manifest unknown`, "manifest unknown").
		or("repository-not-found", "head-get-mismatch"),

	// head-get-mismatch
	msg("head-get-mismatch", clientCrane, `HEAD request failed, falling back on GET: HEAD \S+: unexpected status code \d+`, "falling back on GET").
		overrides("tag-not-found").
		means("HEAD on the manifest failed; crane retried with GET. docker and containerd resolve with HEAD only."),
	msg("head-get-mismatch", clientContainerd, `unexpected status from HEAD request to \S+: 405 Method Not Allowed`, "HEAD request to").
		overrides("upload-refused").
		means("The registry (or its proxy) refuses HEAD on the manifest; containerd resolves tags with HEAD."),

	// upload-too-large
	msg("upload-too-large", clientAnyGo, `413 (?:Request Entity Too Large|Payload Too Large|Content Too Large)|(?:StatusCode:|status code|HTTP|status:) 413\b`, "413").
		overrides("not-a-registry", "registry-misbehaving"),

	// upload-refused
	msg("upload-refused", clientAnyGo, `411 Length Required|(?:StatusCode:|status code|HTTP|status:) 411\b`, "411").
		overrides("not-a-registry", "registry-misbehaving"),
	msg("upload-refused", clientAnyGo, `405 Method Not Allowed|(?:StatusCode:|status code|HTTP|status:) 405\b`, "405").
		overrides("not-a-registry", "registry-misbehaving"),
	msg("upload-refused", clientAnyGo, `Deploying to groups is a PRO-licensed feature`, "Deploying to groups"),
	msg("upload-refused", clientAnyGo, `BLOB_UPLOAD_INVALID|blob upload invalid`, "BLOB_UPLOAD_INVALID", "blob upload invalid").
		or("registry-misbehaving"),
	msg("upload-refused", clientAnyGo, `(?:UNSUPPORTED|unsupported): [Tt]he operation is unsupported`, "operation is unsupported"),
}

// noClientMessage lists the catalogue codes no client prints in words of
// its own, with the reason. Every other code has at least one
// clientMessage.
var noClientMessage = map[string]string{
	"pull-step-failed":           "it is regdoctor's own last resort for a failed step no rule names; a client's words for the failure are those of the step, which explain maps to that step's code",
	"credentials-for-other-host": "clients print nothing about the credentials: they behave as if never logged in, which explain reports as not-logged-in; only `regdoctor check` reads the auth files",
	"clock-skew":                 "registries answer a token outside its validity window with a plain 401, which clients print as not-logged-in or bad-credentials; only `regdoctor check` sees the token's dates",
	"credential-helper-failed":   "a helper that hangs, or whose background process holds its output open, makes the client hang without a word; one that floods ends in a bare JSON decode error that names no helper; only `regdoctor check` runs the helper with a limit",
}

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

// ExplainMatch is one failure found in the text. Part of the JSON contract:
// registry, repository and reference mean what they mean in `check -o json`.
type ExplainMatch struct {
	Diagnosis    Diagnosis `json:"diagnosis"`
	Client       string    `json:"client"`
	Layer        Layer     `json:"layer"`
	Target       string    `json:"target"`     // what check_command checks; "" when the text names none
	Registry     string    `json:"registry"`   // host[:port]
	Repository   string    `json:"repository"` // "" when the text names only a registry
	Reference    string    `json:"reference"`  // tag or digest
	CheckCommand string    `json:"check_command"`
	Evidence     string    `json:"evidence"` // the matched text
	Line         int       `json:"line"`     // first line it appears on, from 1
	Count        int       `json:"count"`    // lines it appears on
	Alternatives []string  `json:"alternatives,omitempty"`

	pattern  int // index in clientMessages, for tests
	lastLine int
}

// Explanation is everything Explain found. Part of the JSON contract.
type Explanation struct {
	Matches []ExplainMatch `json:"matches"`
	// Target is the first registry or image the text names, matched or not.
	Target string `json:"target,omitempty"`
	// CheckCommand is the suggestion when nothing matched and the text
	// names a registry.
	CheckCommand string `json:"check_command,omitempty"`
	Lines        int    `json:"lines"`
	Truncated    bool   `json:"truncated,omitempty"`
}

// Explain finds the client error messages in text (one line, or a whole
// log) and returns what each means, root cause first. It never contacts
// anything; its run time is linear in the input, which it bounds to
// MaxExplainInput.
func Explain(text string) Explanation {
	var e explainer
	if len(text) > MaxExplainInput {
		text = text[:MaxExplainInput]
		e.out.Truncated = true
	}
	for n := 1; text != ""; n++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		e.out.Lines = n
		e.line(n, line)
	}
	return e.result()
}

type explainer struct {
	out   Explanation
	last  found          // the last image or registry the text named
	first found          // the first one
	byKey map[string]int // code+target -> index in out.Matches
}

// found is a target named in the text.
type found struct {
	t     checks.Target
	arg   string // usable as `regdoctor check ARG`: as written, qualified if it was a short name
	short string // the name as written when it named no registry ("redis:7")
	ok    bool
}

func (f found) hasRepo() bool { return f.ok && f.t.Repository != "" }

func (e *explainer) line(n int, line string) {
	if len(line) <= maxExplainLine {
		e.segment(n, line)
		return
	}
	for start := 0; start < len(line); start += maxExplainLine - lineOverlap {
		end := min(start+maxExplainLine, len(line))
		e.segment(n, line[start:end])
		if end == len(line) {
			break
		}
	}
}

type rawMatch struct {
	pattern  int
	at       int
	evidence string
	g        groups
}

func (e *explainer) segment(n int, raw string) {
	// The text is echoed back as evidence, in JSON for tickets too: a
	// pasted token, password or signed URL must not come back out.
	s := checks.RedactText(normalizeLine(raw))
	targets := lineTargets(s)
	var hits []rawMatch
	have := map[string]bool{}
	for i := range clientMessages {
		cm := &clientMessages[i]
		if have[cm.code] || !containsAny(s, cm.keys) {
			continue
		}
		for _, loc := range cm.re.FindAllStringSubmatchIndex(s, 4) {
			g := submatches(cm.re, s, loc)
			if cm.accept != nil && !cm.accept(g) {
				continue
			}
			hits = append(hits, rawMatch{pattern: i, at: loc[0], evidence: s[loc[0]:loc[1]], g: g})
			have[cm.code] = true
			break
		}
	}
	drop := map[string]bool{}
	for _, h := range hits {
		for _, c := range clientMessages[h.pattern].over {
			drop[c] = true
		}
	}
	for _, h := range hits {
		cm := &clientMessages[h.pattern]
		if drop[cm.code] {
			continue
		}
		tg := e.targetFor(targetAt(targets, h.at), h.g)
		if cm.foreignURLs {
			tg = e.last
		}
		e.add(n, s, cm, h, tg)
	}
	e.remember(bestTarget(targets))
}

// remember keeps the last image named, so that a bare error on a later line
// ("x509: ...") can be tied to the pull that printed it.
func (e *explainer) remember(ctx found) {
	if !ctx.ok {
		return
	}
	if !e.first.ok || (ctx.hasRepo() && !e.first.hasRepo() && ctx.t.Registry == e.first.t.Registry) {
		e.first = ctx
	}
	if ctx.hasRepo() || !e.last.ok || e.last.t.Registry != ctx.t.Registry {
		e.last = ctx
	}
}

// targetFor picks the target of a match: what its own line names, then the
// host in the message, then the image named on an earlier line.
func (e *explainer) targetFor(ctx found, g groups) found {
	if ctx.ok {
		if !ctx.hasRepo() && e.last.hasRepo() && e.last.t.Registry == ctx.t.Registry {
			return e.last
		}
		return ctx
	}
	if h := parseFound(g["host"], false); h.ok {
		if e.last.ok && e.last.t.Registry == h.t.Registry {
			return e.last
		}
		return h
	}
	if e.last.ok {
		return e.last
	}
	return parseFound(g["addr"], false)
}

func (e *explainer) add(n int, line string, cm *clientMessage, h rawMatch, tg found) {
	if cm.code == "short-name-unresolved" {
		tg = shortTarget(h.g["short"], tg)
	}
	key := cm.code + "\x00" + tg.arg
	if i, ok := e.byKey[key]; ok {
		if m := &e.out.Matches[i]; m.lastLine != n {
			m.Count++
			m.lastLine = n
		}
		return
	}
	if len(e.out.Matches) >= maxExplainMatches {
		e.out.Truncated = true
		return
	}
	if e.byKey == nil {
		e.byKey = map[string]int{}
	}
	client := clientOf(cm, line)
	evidence := clip(h.evidence, maxEvidence)
	push := pushHint.MatchString(line)
	c, _ := Lookup(cm.code)
	detail := fmt.Sprintf("%s printed: %s", capitalize(client), evidence)
	if cm.meaning != "" {
		detail = cm.meaning + " " + detail
	}
	if !strings.HasSuffix(detail, ".") {
		detail += "."
	}
	rt := tg.t
	if !tg.ok {
		rt = placeholderTarget
	}
	if rt.Registry == "index.docker.io" {
		rt.Registry = "docker.io" // what users log in to
	}
	d := newDiagnosis(cm.code, detail, explainRemediation(cm.code, rt, h.g, push)...)
	m := ExplainMatch{
		Diagnosis:    d,
		Client:       client,
		Layer:        c.Layer,
		Target:       tg.arg,
		Registry:     tg.t.Registry,
		Repository:   tg.t.Repository,
		Reference:    tg.t.Reference,
		CheckCommand: checkCommand(cm.code, tg, h.g, push),
		Evidence:     evidence,
		Line:         n,
		Count:        1,
		Alternatives: append([]string(nil), cm.maybe...),
		pattern:      h.pattern,
		lastLine:     n,
	}
	e.byKey[key] = len(e.out.Matches)
	e.out.Matches = append(e.out.Matches, m)
}

func (e *explainer) result() Explanation {
	out := e.out
	if out.Matches == nil {
		out.Matches = []ExplainMatch{}
	}
	sort.SliceStable(out.Matches, func(i, j int) bool {
		oi, oj := order(out.Matches[i].Diagnosis.Code), order(out.Matches[j].Diagnosis.Code)
		if oi != oj {
			return oi < oj
		}
		return out.Matches[i].Line < out.Matches[j].Line
	})
	if e.first.ok {
		out.Target = e.first.arg
		if len(out.Matches) == 0 {
			out.CheckCommand = "regdoctor check " + e.first.arg
		}
	}
	return out
}

// placeholderTarget fills remediation text when the text names no registry.
var placeholderTarget = checks.Target{Registry: "REGISTRY", Host: "REGISTRY", Repository: "REPOSITORY", Reference: "TAG"}

// ---- reading the line ----

var (
	ansiEscape = lazy("\x1b\\[[0-9;?]*[A-Za-z]")
	unescape   = strings.NewReplacer(`\\\"`, `"`, `\"`, `"`, `\u003c`, `<`, `\u003e`, `>`, `\u0026`, `&`,
		`&quot;`, `"`, `&#34;`, `"`, `&#39;`, `'`, `\n`, " ", `\r`, " ", `\t`, " ")
	pushHint = lazy(`(?i)\bpush|writing blob|writing manifest|uploading|blobs/uploads|(?:PUT|PATCH|POST) (?:request to )?"?https?://`)
)

// normalizeLine undoes what log wrappers do to a message: colour codes,
// escaped quotes (level=fatal msg="...\"...\""), JSON and HTML escapes.
func normalizeLine(s string) string {
	s = strings.TrimSuffix(s, "\r")
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansiEscape.ReplaceAllString(s, "")
	}
	if strings.ContainsAny(s, `\&`) {
		s = unescape.Replace(s)
	}
	return s
}

func containsAny(s string, keys []string) bool {
	for _, k := range keys {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

func submatches(re *lazyRE, s string, loc []int) groups {
	var g groups
	for i, name := range re.SubexpNames() {
		if name == "" || 2*i+1 >= len(loc) || loc[2*i] < 0 {
			continue
		}
		if g == nil {
			g = groups{}
		}
		if g[name] == "" {
			g[name] = s[loc[2*i]:loc[2*i+1]]
		}
	}
	return g
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// targetExtractor finds an image or registry named on a line. keys work as
// in clientMessage. Named groups: ref (an image reference), repo and tag,
// url (a registry API URL), registry (a host).
type targetExtractor struct {
	keys []string
	re   *lazyRE
}

func extractor(pattern string, keys ...string) targetExtractor {
	return targetExtractor{keys: keys, re: lazy(pattern)}
}

// targetExtractors, most reliable first.
var targetExtractors = []targetExtractor{
	// the name after short-name resolution comes before the name as typed
	extractor(`reading manifest (?P<tag>[^\s:]+(?::[0-9a-f]{64})?) in (?P<repo>`+pRef+`)`, "reading manifest "),
	extractor(`initializing source docker://(?P<ref>`+pRef+`)`, "initializing source docker://"),
	extractor(`(?:failed to resolve reference|failed to pull and unpack image|[Ff]ailed to pull image|failed to resolve image) "(?P<ref>[^"\s]+)"`, "failed to ", "Failed to pull image"),
	extractor(`manifest for (?P<ref>`+pRef+`) not found`, "manifest for "),
	extractor(`no child with platform \S+ in index (?P<ref>`+pRef+`)`, "no child with platform"),
	extractor(`pull access denied for (?P<ref>[^\s,]+),`, "pull access denied for"),
	extractor(`repository (?P<ref>`+pRef+`) not found`, "repository "),
	extractor(`Trying to pull (?P<ref>`+pRef+`)`, "Trying to pull "),
	extractor(`docker://(?P<ref>`+pRef+`)`, "docker://"),
	extractor(`\b(?:docker|podman|nerdctl|buildah|crictl)(?: image)? (?:pull|push)(?: +--?(?:platform|authfile|cert-dir|creds|arch|os|variant)[ =]\S+| +--?[\w-]+(?:=\S+)?)* +(?P<ref>[a-z0-9][a-zA-Z0-9._\-/:@\[\]]*)`, " pull ", " push "),
	extractor(`\bcrane (?:pull|digest|manifest|config|validate|ls)(?: +--?[\w-]+(?:=\S+)?)* +(?P<ref>[a-z0-9][a-zA-Z0-9._\-/:@\[\]]*)`, "crane "),
	extractor(`\bctr(?: +-n[ =]?\S+)? +(?:images?|i) +pull(?: +--?[\w-]+(?:=\S+)?)* +(?P<ref>[a-z0-9][a-zA-Z0-9._\-/:@\[\]]*)`, "ctr "),
	extractor(`(?P<url>https?://[^\s"'<>]+/v2/[^\s"'<>]*)`, "/v2/"),
	extractor(`(?:pinging container registry|pinging docker registry) (?P<registry>`+pHost+`)`, "pinging "),
	extractor(`logging into "(?P<registry>[^"]+)"`, "logging into"),
}

// targetHit is one target named on a line, at byte offset at.
type targetHit struct {
	at int
	f  found
}

// lineTargets returns every target the line names, in extractor order.
func lineTargets(s string) []targetHit {
	var hits []targetHit
	for _, x := range targetExtractors {
		if !containsAny(s, x.keys) {
			continue
		}
		for _, loc := range x.re.FindAllStringSubmatchIndex(s, 4) {
			g := submatches(x.re, s, loc)
			var f found
			switch {
			case g["ref"] != "":
				f = parseFound(g["ref"], true)
			case g["repo"] != "":
				sep := ":"
				if strings.Contains(g["tag"], ":") {
					sep = "@"
				}
				f = parseFound(strings.TrimRight(g["repo"], ":")+sep+g["tag"], true)
			case g["url"] != "":
				f = foundFromURL(g["url"])
			case g["registry"] != "":
				f = parseFound(g["registry"], false)
			}
			if f.ok {
				hits = append(hits, targetHit{at: loc[0], f: f})
			}
		}
	}
	return hits
}

// bestTarget is the most reliable target of a line: the first image, else
// the first registry.
func bestTarget(hits []targetHit) found {
	for _, h := range hits {
		if h.f.hasRepo() {
			return h.f
		}
	}
	if len(hits) > 0 {
		return hits[0].f
	}
	return found{}
}

// targetAt is the target of a message at offset at: the target named
// closest before it (a line can name a mirror and a registry), else the
// line's best. A bare registry becomes the image the line names on it.
func targetAt(hits []targetHit, at int) found {
	var f found
	best := -1
	for _, h := range hits {
		if h.at <= at && h.at > best {
			f, best = h.f, h.at
		}
	}
	if !f.ok {
		f = bestTarget(hits)
	}
	if f.ok && !f.hasRepo() {
		for _, h := range hits {
			if h.f.hasRepo() && h.f.t.Registry == f.t.Registry {
				return h.f
			}
		}
	}
	return f
}

var safeArg = lazy(`^[a-zA-Z0-9][a-zA-Z0-9._\-/:@\[\]]*$`)

// parseFound validates a reference or registry taken from text. image says
// whether s is meant as an image reference; a lone name without a dot or
// port is not taken for a registry.
func parseFound(s string, image bool) found {
	s = strings.TrimRight(strings.TrimSpace(s), `.,:;'")]`)
	if s == "" || len(s) > 512 || !safeArg.MatchString(s) {
		return found{}
	}
	t, err := checks.ParseTarget(s)
	if err != nil {
		return found{}
	}
	if !image && t.Repository != "" {
		return found{}
	}
	if t.ShortInput != "" {
		// A client that printed a short name meant docker.io (docker always
		// does; podman prints the name it resolved). Say so, or check would
		// resolve it again through registries.conf.
		q := "docker.io/" + s
		if t, err = checks.ParseTarget(q); err != nil {
			return found{}
		}
		return found{t: t, arg: q, short: s, ok: true}
	}
	return found{t: t, arg: s, ok: true}
}

// shortTarget is the target of short-name-unresolved: the name as typed,
// which no registry was found for.
func shortTarget(name string, tg found) found {
	if name == "" && tg.short != "" {
		name = tg.short
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 512 || !safeArg.MatchString(name) {
		return found{}
	}
	t, err := checks.ParseTarget(name)
	if err != nil || t.ShortInput == "" {
		return found{}
	}
	return found{t: checks.Target{Input: name, Repository: t.ShortInput}, arg: name, short: name, ok: true}
}

// foundFromURL reads registry, repository and tag or digest from a
// registry API URL.
func foundFromURL(raw string) found {
	raw = strings.TrimRight(raw, `.,:;'")]`)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return found{}
	}
	host := u.Host
	if h, p, err := net.SplitHostPort(host); err == nil && ((u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80")) {
		host = h
	}
	if m := apiURL.FindStringSubmatch(u.Path); m != nil {
		ref := host + "/" + m[1]
		if m[2] == "manifests" && m[3] != "" {
			if strings.Contains(m[3], ":") {
				ref += "@" + m[3]
			} else {
				ref += ":" + m[3]
			}
		}
		if f := parseFound(ref, true); f.ok {
			return f
		}
	}
	return parseFound(host, false)
}

var apiURL = lazy(`^/v2/(.+?)/(manifests|blobs|tags)/([^/]*)`)

// ---- who printed it ----

var (
	hintDocker     = []string{"Error response from daemon", "docker: ", "WARNING: Error", "login attempt to", "pull access denied", "no basic auth credentials", "no matching manifest for"}
	hintCImage     = []string{"initializing source", "pinging container registry", "pinging docker registry", "reading manifest ", "Requesting bear", "Trying to pull", "choosing an image", "writing blob", "Copying blob", "StatusCode: ", "received unexpected HTTP status", "logging into", "unable to retrieve auth token"}
	hintContainerd = []string{"failed to resolve reference", "failed to do request", "failed to pull and unpack", "failed to authorize", "failed to fetch anonymous token", "failed to fetch oauth token", "unexpected status from ", "httpReadSeeker", "ctr: ", "failed to copy:"}
	hintCrane      = lazy(`\b(?:GET|HEAD|PUT|POST|PATCH) https?://|MANIFEST_UNKNOWN|NAME_UNKNOWN|UNAUTHORIZED:|DENIED:|TOOMANYREQUESTS|no child with platform|falling back on GET|www-authenticate`)
	hintKubelet    = []string{"rpc error: code =", "ErrImagePull", "ImagePullBackOff", "Failed to pull image"}
)

func clientOf(cm *clientMessage, line string) string {
	docker := containsAny(line, hintDocker)
	containerd := containsAny(line, hintContainerd)
	c := cm.client
	if c == clientAnyGo {
		switch {
		case docker && containerd:
			c = clientDockerContainerd
		case docker:
			c = clientDocker
		case containsAny(line, hintCImage):
			c = clientContainersImage
		case containerd:
			c = clientContainerd
		case hintCrane.MatchString(line):
			c = clientCrane
		default:
			c = clientUnknown
		}
	} else if c == clientContainerd && docker {
		c = clientDockerContainerd
	}
	if containsAny(line, hintKubelet) {
		switch c {
		case clientContainerd:
			c = "containerd via kubelet (CRI)"
		case clientContainersImage:
			c = "CRI-O via kubelet (containers/image)"
		}
	}
	return c
}

// ---- what to run and what to do ----

var platformPart = lazy(`^[a-z0-9_]+$`)

// platformOf returns os/arch[/variant] from a platform message, or "".
func platformOf(g groups) string {
	var parts []string
	if p := g["platform"]; p != "" {
		if i := strings.IndexByte(p, '('); i >= 0 { // windows(10.0.22631)/amd64
			if j := strings.IndexByte(p[i:], ')'); j >= 0 {
				p = p[:i] + p[i+j+1:]
			}
		}
		parts = strings.Split(p, "/")
	} else if g["os"] != "" && g["arch"] != "" {
		parts = []string{g["os"], g["arch"]}
		if g["variant"] != "" {
			parts = append(parts, g["variant"])
		}
	}
	if len(parts) < 2 || len(parts) > 3 {
		return ""
	}
	for _, p := range parts {
		if !platformPart.MatchString(p) {
			return ""
		}
	}
	return strings.Join(parts, "/")
}

func checkCommand(code string, tg found, g groups, push bool) string {
	cmd := "regdoctor check"
	if code == "short-name-unresolved" || code == "registry-blocked" {
		cmd += " --client podman" // only containers/image reads registries.conf
	}
	if code == "platform-not-available" {
		if p := platformOf(g); p != "" {
			cmd += " --platform " + p
		}
	}
	if code == "upload-too-large" || code == "upload-refused" || (code == "access-denied" && push) {
		cmd += " --push-check"
	}
	if tg.ok {
		return cmd + " " + tg.arg
	}
	return cmd + " REGISTRY/REPOSITORY:TAG"
}

// explainRemediation is the generic fix for a code, with the registry the
// text names (or placeholders). It shares its wording with the rules that
// diagnose a live run; where a rule's text needs run evidence, this says
// how to find that evidence instead.
func explainRemediation(code string, t checks.Target, g groups, push bool) []string {
	f := facts{rep: &Report{Target: t}, t: t}
	hp := t.Registry
	host := t.Hostname()
	if h := g["host"]; h != "" && code == "dns-lookup-failed" {
		host = strings.Trim(h, "[]")
		if hh, _, err := net.SplitHostPort(h); err == nil {
			host = hh
		}
	}
	file := g["file"]
	switch code {
	case "config-invalid":
		if strings.HasPrefix(file, "docker-credential-") {
			return []string{
				"Install " + file + ", or remove credsStore / credHelpers naming it from ~/.docker/config.json (or the auth file podman reads), then log in again.",
			}
		}
		if strings.HasSuffix(file, "policy.json") {
			return []string{
				"Install the default policy: the containers-common package ships /etc/containers/policy.json; rootless users can put one in ~/.config/containers/policy.json.",
				"A permissive policy for a build container: {\"default\": [{\"type\": \"insecureAcceptAnything\"}]}.",
			}
		}
		if file == "" {
			file = "the file named in the message"
		}
		return []string{
			"Fix or remove " + file + "; `podman login` rewrites a valid file, and `jq . " + file + "` shows where a JSON file breaks.",
			"Until then podman, skopeo and docker fail before they contact any registry.",
		}
	case "credential-helper-failed":
		return []string{
			"Run the helper as the clients do: `echo " + hp + " | docker-credential-NAME get` (NAME as credsStore / credHelpers in ~/.docker/config.json give it) must print one small JSON object and exit at once.",
			"Fix or reinstall the helper (a locked keychain or a stuck agent is the usual cause), or remove the credsStore / credHelpers entry and log in again, so the credentials are stored in the file.",
		}
	case "certs-dir-invalid":
		return []string{"Give every client key X.key its certificate X.cert in the same directory, or remove the key: podman refuses the whole directory (/etc/containers/certs.d/" + hp + "); CA certificates must be named *.crt."}
	case "short-name-unresolved":
		name := t.Repository
		if name == "" || t.Registry != "" {
			name = "NAME"
		}
		return []string{
			"Use a fully qualified name, e.g. `podman pull docker.io/library/" + name + "` or `podman pull REGISTRY/" + name + "`.",
			"Or add a search registry to /etc/containers/registries.conf (or ~/.config/containers/registries.conf):\nunqualified-search-registries = [\"docker.io\"]",
			"Or an alias:\n[aliases]\n\"" + name + "\" = \"docker.io/library/" + name + "\"",
			"In CI, where no terminal can answer podman's prompt, prefer aliases or fully qualified names.",
		}
	case "registry-blocked":
		if file == "" {
			file = "registries.conf (or a drop-in in registries.conf.d)"
		}
		return []string{
			"Remove `blocked = true` from the [[registry]] entry for " + hp + " in " + file + ", if the block is not intended.",
			"If it is intended, pull through the registry or mirror your platform team provides.",
		}
	case "credentials-for-other-host":
		return []string{"Log in again with the exact registry name the image reference uses: `podman login " + hp + "` / `docker login " + hp + "`; that stores the entry under the right key."}
	case "mirror-failing":
		mirror := "the mirror"
		if m := parseFound(g["mirror"], true); m.ok {
			mirror = m.t.Registry
		}
		return []string{
			"Fix " + mirror + ", or remove its [[registry.mirror]] entry from /etc/containers/registries.conf or the drop-in under registries.conf.d that adds it (docker: \"registry-mirrors\" in daemon.json).",
			"When the registry is what fails, fix the registry: the mirror only serves pulls of content it already has, and only for clients configured with it.",
		}
	case "dns-lookup-failed":
		return []string{
			"Check the spelling of " + host + " in the image reference and in registries.conf.",
			"For an internal registry, add it to the internal DNS zone, or map it in /etc/hosts: `echo 'IP " + host + "' | sudo tee -a /etc/hosts`.",
			"Test with `getent hosts " + host + "` (what the clients use) and `dig " + host + "`, on the machine that pulls (the docker daemon's host, the podman machine VM, the Kubernetes node).",
		}
	case "proxy-misconfigured":
		return []string{
			"If " + host + " is internal, add it to NO_PROXY (and no_proxy) for the client and its service: `NO_PROXY=" + host + ",$NO_PROXY`.",
			"Otherwise fix the proxy address in HTTPS_PROXY / HTTP_PROXY; for the docker daemon set it in /etc/systemd/system/docker.service.d/http-proxy.conf.",
		}
	case "connection-refused":
		port := t.Port()
		if port == "" {
			port = "443"
		}
		return []string{
			"Check that the registry is running and listening on port " + port + ": `ss -ltnp 'sport = :" + port + "'` on the registry host lists what listens there.",
			"Check the port in the reference. Usual ports: " + usualPorts + ".",
			"A reference without a port means 443; add `:PORT` when the registry listens elsewhere. A plain-HTTP registry with nothing on 443 also fails this way: see plain-http-registry.",
		}
	case "connection-timeout":
		return []string{
			"Check firewalls between this machine and " + t.HostPort("https") + " (iptables/nftables, cloud security groups).",
			"Compare with `nc -vz -w 5 " + host + " " + portOr443(t) + "` from another machine.",
		}
	case "server-not-responding":
		return []string{
			"The process behind the port is hung or overloaded, or a load balancer accepts connections for a dead backend: check the registry's health and logs.",
			"If a proxy sits in front, check its upstream (nginx: `proxy_connect_timeout`, upstream address).",
		}
	case "plain-http-registry":
		return []string{
			"podman, skopeo, buildah: add to /etc/containers/registries.conf (or ~/.config/containers/registries.conf):\n[[registry]]\nlocation = \"" + hp + "\"\ninsecure = true",
			"docker: add to /etc/docker/daemon.json, then `systemctl restart docker`:\n{ \"insecure-registries\": [\"" + hp + "\"] }",
			"containerd: /etc/containerd/certs.d/" + hp + "/hosts.toml:\nserver = \"http://" + hp + "\"\n[host.\"http://" + hp + "\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]",
			"skopeo and crane for a one-off: `--tls-verify=false` / `--insecure`.",
			"Better: serve TLS (a certificate from your CA, or terminate TLS in nginx in front of the registry), then none of the above is needed.",
		}
	case "tls-unknown-authority":
		d, _ := tlsDiagnosis(f, checks.KindUnknownCA, "", nil)
		return d.Remediation
	case "tls-cert-expired":
		d, _ := tlsDiagnosis(f, checks.KindCertExpired, "", nil)
		return append(d.Remediation, "See the dates: `echo | openssl s_client -connect "+t.HostPort("https")+" -servername "+host+" 2>/dev/null | openssl x509 -noout -dates`.")
	case "tls-hostname-mismatch":
		d, _ := tlsDiagnosis(f, checks.KindHostname, "", nil)
		return d.Remediation
	case "tls-client-cert-required":
		return clientCertRemedies(t)
	case "tls-protocol-mismatch":
		return legacyTLSRemedies()
	case "not-an-image":
		return []string{
			"Use the tool the artifact is for: `helm pull oci://REGISTRY/REPOSITORY --version TAG` for a Helm chart (application/vnd.cncf.helm.config.v1+json), `oras pull` for others, `cosign` for signatures.",
			"If an image was meant, the tag points at the wrong thing: `skopeo inspect --raw docker://REF` shows the manifest and its config media type.",
		}
	case "manifest-schema1":
		return []string{
			"Convert the image once with a client that still reads schema 1: `skopeo copy --format v2s2 docker://REF docker://REF`, then pull again.",
			"Until then: DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 in dockerd's environment (CONTAINERD_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 for containerd), while releases that still have the code last.",
		}
	case "blob-storage-unreachable":
		storage := "the storage host in the message"
		if h := g["storage"]; h != "" {
			storage = h
		}
		return []string{
			"Let clients reach " + storage + ": a firewall or proxy allow-list that names the registry must name its storage host too, and NO_PROXY must not send one through a proxy that cannot reach it.",
			"Or have the registry serve blobs itself: distribution `storage: redirect: disable: true`, Harbor `storage_service: redirect: disable: true`.",
			"A 403 from storage: an expired or skewed pre-signed URL (check clocks), or a proxy that rewrites the query string.",
		}
	case "blob-unknown":
		return []string{
			"The registry lost content an image still points at: push the image again, which uploads what is missing; on a pull-through cache (Nexus proxy, Harbor proxy cache), purge the cached image so it is fetched again.",
			"Nexus: a \"Docker - Delete unused manifests and images\" or compact task, or a blob store restored from an older backup: run Repair - Reconcile component database from blob store. distribution: run `registry garbage-collect` only with the registry read-only.",
		}
	case "blob-corrupt":
		return []string{
			"Compare what is served with the digest: `curl -sL` the blob (with the token or credentials) through `sha256sum`; `regdoctor check --pull REF` downloads and verifies every layer.",
			"A proxy that compresses or rewrites /v2/ bodies (nginx `gzip`, `sub_filter`) alters blobs: turn it off for /v2/. A corrupt stored copy: push the image again.",
		}
	case "manifest-invalid":
		return []string{
			"Look at what is served: `curl -sS -D- -H 'Accept: " + checks.ManifestAccept + "' https://" + hp + "/v2/REPOSITORY/manifests/TAG`; `regdoctor check REF` names what is wrong with it.",
			"An HTML page or a generic Content-Type comes from a proxy answering in the registry's place or rewriting headers: route /v2/ to the registry unchanged. A digest that does not match: push the image again.",
		}
	case "pull-step-failed":
		return []string{"Run `regdoctor check -o json --trace REF` and hand its output (secrets redacted) to the registry's operators."}
	case "not-a-registry":
		return []string{
			"Use the address and port of the registry API, not of a web page: `curl -i https://" + hp + "/v2/` must answer 200 or 401 with `Docker-Distribution-API-Version: registry/2.0`.",
			"Nexus: port 8081 is the web UI. Give the docker repository an HTTP or HTTPS connector port (Repository → your docker repo → Repository Connectors), or route /v2/ to it in the reverse proxy, and use that port.",
		}
	case "registry-misbehaving":
		return []string{
			"Check the registry's (and any proxy's) logs at the time of the failure; `regdoctor check --trace` shows every exchange.",
			"If a reverse proxy sits in front, check that it passes /v2/ through unchanged (no rewrites, no HTML error pages, proxy_buffering settings).",
		}
	case "rate-limited":
		rem := []string{"Wait for the window to reset (Retry-After / RateLimit headers), and log in: authenticated pulls get a higher limit."}
		if isDockerHub(t) {
			return append(rem, "Docker Hub: pull through a mirror or a proxy repository (Nexus docker proxy, Harbor proxy cache) and point clients at it: registries.conf [[registry.mirror]] or daemon.json \"registry-mirrors\".")
		}
		return append(rem, "Spread pulls over time, or cache images in a proxy repository closer to the clients.")
	case "token-realm-misconfigured":
		return []string{
			"The realm comes from the registry's configuration: distribution `auth.token.realm`, Harbor `external_url`, Nexus the Base URL capability (System → Capabilities → Base URL) and the X-Forwarded-* headers your reverse proxy sets.",
			"See the realm the registry sends: `curl -si https://" + hp + "/v2/ | grep -i www-authenticate`.",
			"Nexus 3.77 can send a realm with a \"null\" scheme: set the Base URL capability to the external https URL, or upgrade.",
		}
	case "token-realm-unreachable":
		realm := "the realm host"
		if r := g["realm"]; r != "" {
			realm = realmHost(r)
		}
		return []string{
			"Check the realm as a target of its own: `regdoctor check " + realm + "`.",
			"A realm often names an internal host name or a wrong external URL: fix the registry's token realm setting (distribution `auth.token.realm`, Nexus Base URL, Harbor `external_url`) to an address clients can reach.",
		}
	case "not-logged-in":
		return loginRemedies(f)
	case "bad-credentials":
		return []string{
			"Log in again: `podman login " + hp + "` (or `docker login " + hp + "`), which replaces the stored entry.",
			"If the password was changed or the account locked, ask the registry administrator; for Nexus, check the user is active and that \"Docker Bearer Token Realm\" is active under Security → Realms.",
		}
	case "access-denied":
		if push {
			return []string{"Log in with an account that may push to " + t.Repository + ", or ask for the push (write) right."}
		}
		return []string{
			"Ask the registry administrator to grant your user read (pull) on " + t.Repository + ": Nexus: a role with nx-repository-view-docker-REPO-read/browse; Harbor: project member; distribution token server: the account's ACL.",
			"Check the repository path: a typo in it also looks like a denial on registries that hide unknown repositories.",
		}
	case "clock-skew":
		return []string{
			"Synchronise clocks with NTP on this machine, the registry and its token server: `timedatectl set-ntp true`, `chronyc tracking`.",
			"Registries reject tokens outside nbf/exp; a few minutes of skew is enough to fail.",
		}
	case "repository-not-found":
		return []string{
			"Check the repository path in the reference; on Docker Hub–style registries official images live under library/.",
			"List what exists: `crane catalog " + hp + "` (where the registry allows it), or look in the registry's UI; a private repository you cannot read looks the same on Docker Hub: `docker login` first.",
		}
	case "tag-not-found":
		return []string{
			"List the tags with `skopeo list-tags docker://" + hp + "/" + t.Repository + "` (or `crane ls " + hp + "/" + t.Repository + "`) and pick an existing one; `regdoctor check` suggests the closest.",
			"If the tag should exist, push it (to the hosted repository, not to a group).",
		}
	case "head-get-mismatch":
		manifest := "https://" + hp + "/v2/" + t.Repository + "/manifests/" + t.Reference
		return []string{
			"A reverse proxy routes HEAD elsewhere. In the nginx split from the usual Nexus guide, route HEAD with GET:\nif ($request_method ~* '^(GET|HEAD)$') { set $upstream \"nexus_docker_group\"; }",
			"Verify with `curl -I -H 'Accept: " + checks.ManifestAccept + "' " + manifest + "` (add the token or -u user).",
		}
	case "platform-not-available":
		p := platformOf(g)
		if p == "" {
			p = "OS/ARCH"
		}
		ref := imageRef(t)
		return []string{
			"See which platforms the image has: `docker buildx imagetools inspect " + ref + "` or `skopeo inspect --raw docker://" + ref + "`.",
			"Pull a platform the image has (`podman pull --platform OS/ARCH`, `docker pull --platform OS/ARCH`), or build and push the image for " + p + " (`podman build --platform " + p + "`, `docker buildx build --platform " + p + " --push`).",
			"On a proxy repository (Nexus, Harbor), the upstream may have more platforms than the cached index: re-fetch it.",
		}
	case "upload-too-large":
		return []string{
			"nginx: in the server block that proxies the registry set\nclient_max_body_size 0;\nchunked_transfer_encoding on;\n(nginx's default is 1m, far below a layer).",
			"Other proxies: raise the request body limit (HAProxy, ingress-nginx `nginx.ingress.kubernetes.io/proxy-body-size: \"0\"`).",
		}
	case "upload-refused":
		return []string{
			"Nexus group repositories cannot be pushed to (\"Deploying to groups is a PRO-licensed feature\"): push to the hosted repository's connector port, or route non-GET methods to it in the proxy as the usual nginx split does.",
			"nginx answering 411 Length Required: add `chunked_transfer_encoding on;`. 405 from a proxy: allow POST, PATCH, PUT and DELETE on /v2/.",
		}
	}
	return []string{"Read `regdoctor docs " + code + "`."}
}

func portOr443(t checks.Target) string {
	if p := t.Port(); p != "" {
		return p
	}
	return "443"
}

func isDockerHub(t checks.Target) bool {
	switch t.Host {
	case "registry-1.docker.io", "index.docker.io", "docker.io":
		return true
	}
	return false
}

func imageRef(t checks.Target) string {
	if t.Repository == "" {
		return t.Registry + "/REPOSITORY:TAG"
	}
	return t.ImageRef()
}
