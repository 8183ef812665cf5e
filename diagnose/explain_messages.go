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

// clientMessages is the table explain matches against: every wording of
// every client version we know of, each pointing at a catalogue code. It
// lives beside the catalogue so that a code and its messages change
// together; TestClientMessagesMatchCatalogue keeps them in step. Within
// one code, more specific wordings come first: only the first match of a
// code on a line counts.
var clientMessages = []clientMessage{
	// config-invalid
	msg(ConfigInvalid, clientContainersImage, `loading registries configuration "(?P<file>[^"]+)": \S`, "loading registries configuration").
		means("registries.conf (or a drop-in under registries.conf.d) does not parse."),
	msg(ConfigInvalid, clientContainersImage, `unmarshaling JSON at "(?P<file>[^"]+)"`, "unmarshaling JSON at").
		means("An auth file (auth.json or a docker config.json) is not valid JSON."),
	msg(ConfigInvalid, clientDocker, `parsing config file \((?P<file>[^)]+)\)`, "parsing config file").
		means("docker's config.json is not valid JSON; docker ignores it, with its credentials."),
	msg(ConfigInvalid, clientDocker, `Error loading config file:? (?P<file>[^\s:]+)`, "Error loading config file").
		means("docker's config.json is not valid JSON; docker ignores it, with its credentials."),
	msg(ConfigInvalid, clientAnyGo, `(?:getting|storing|erasing|listing) credentials - err: exec: "(?P<file>docker-credential-[^"]+)": executable file not found`, "credentials - err: exec").
		means("The client configuration names a credential helper (credsStore / credHelpers) that is not installed."),
	msg(ConfigInvalid, clientContainersImage, `open (?P<file>\S*/containers/policy\.json): no such file or directory`, "policy.json").
		means("The signature policy file is missing; podman, skopeo and buildah refuse to pull without it."),

	// certs-dir-invalid
	msg(CertsDirInvalid, clientContainersImage, `missing client certificate (?P<file>\S+) for key \S+`, "missing client certificate"),
	msg(CertsDirInvalid, clientContainersImage, `missing key (?P<file>\S+) for client certificate \S+`, "missing key").
		means("A certs.d directory holds a client certificate (.cert) without its key; CA certificates must end in .crt."),

	// token-realm-unreachable: a transport error on the token request.
	// Listed before the transport codes it overrides.
	msg(TokenRealmUnreachable, clientContainerd, `failed to fetch (?:anonymous|oauth) token: (?:Get|Post|GET|POST) "(?P<realm>[^"]+)": \S[^\n]*`, "failed to fetch").
		overrides(transportCodes...),
	msg(TokenRealmUnreachable, clientAnyGo, `(?:Get|Post|GET|POST) "?(?P<realm>https?://[^\s"]+?)"?: (?:dial tcp|proxyconnect|x509:|tls:|net/http: TLS handshake timeout|remote error|read tcp)[^\n"]*`, "token", "auth", "service=", "scope=").
		when(func(g groups) bool { return isRealmURL(g["realm"]) }).overrides(transportCodes...),

	// short-name-unresolved
	msg(ShortNameUnresolved, clientContainersImage, `short-name "(?P<short>[^"]+)" did not resolve to an alias and no [^\n"]*`, "did not resolve to an alias"),
	msg(ShortNameUnresolved, clientContainersImage, `short-name resolution enforced but cannot prompt without a TTY`, "cannot prompt without a TTY").
		means("Several search registries could serve the name and short-name-mode is enforcing, so podman wants to ask, but there is no terminal."),

	// registry-blocked
	msg(RegistryBlocked, clientContainersImage, `registry (?P<host>`+pHost+`) is blocked in (?P<file>[^\s"]+)`, "is blocked in"),

	// mirror-failing: containers/image tried the mirrors, then the
	// registry; the bracketed errors are the mirrors'.
	msg(MirrorFailing, clientContainersImage, `\(Mirrors also failed: \[(?P<mirror>`+pRef+`): [^\n]*?\]\)`, "Mirrors also failed").
		means("Every configured mirror failed, and so did the registry itself: the errors in brackets are the mirrors', the rest of the line is the registry's."),

	// dns-lookup-failed
	msg(DNSLookupFailed, clientAnyGo, `\blookup (?P<host>`+pHost+`)(?: on \S+)?: (?:no such host|server misbehaving|Temporary failure in name resolution|Name or service not known|No address associated with hostname|no answer from DNS server|getaddrinfow: [^"\n]*|(?:read|write|dial) udp \S+: [^"\n]*|i/o timeout)`, "lookup ").
		overrides(ConnectionTimeout, ConnectionRefused),

	// proxy-misconfigured
	msg(ProxyMisconfigured, clientAnyGo, `proxyconnect tcp: [^"\n]*`, "proxyconnect tcp").
		overrides(DNSLookupFailed, ConnectionRefused, ConnectionTimeout, ServerNotResponding, PlainHTTPRegistry, TLSUnknownAuthority, TLSCertExpired, TLSHostnameMismatch),
	msg(ProxyMisconfigured, clientAnyGo, `(?:407 )?Proxy Authentication Required`, "Proxy Authentication Required").
		means("The proxy in HTTPS_PROXY / HTTP_PROXY wants credentials the client does not send."),
	msg(ProxyMisconfigured, clientAnyGo, `(?:Get|Head|Post|Put|Patch) "?https://[^\s"]+"?: (?:Forbidden|Bad Gateway|Service Unavailable|Gateway Timeout)(?:$|[\s"'])`, "Forbidden", "Bad Gateway", "Service Unavailable", "Gateway Timeout").
		means("The proxy refused the CONNECT to the registry: Go reports the proxy's status alone."),

	// connection-refused
	msg(ConnectionRefused, clientAnyGo, `(?:dial tcp (?P<addr>`+pAddr+`): )?(?:connect: connection refused|connectex: No connection could be made because the target machine actively refused it)`, "connection refused", "actively refused"),

	// connection-timeout
	msg(ConnectionTimeout, clientAnyGo, `dial tcp (?P<addr>`+pAddr+`): (?:connect: )?(?:i/o timeout|connection timed out|no route to host|network is unreachable)`, "i/o timeout", "timed out", "no route to host", "network is unreachable"),
	msg(ConnectionTimeout, clientAnyGo, `connectex: A connection attempt failed because the connected party did not properly respond`, "connected party did not properly respond"),
	msg(ConnectionTimeout, clientAnyGo, `net/http: request canceled while waiting for connection`, "waiting for connection").
		or(ServerNotResponding),

	// server-not-responding
	msg(ServerNotResponding, clientAnyGo, `net/http: TLS handshake timeout`, "TLS handshake timeout"),
	msg(ServerNotResponding, clientAnyGo, `(?:net/http: request canceled|context deadline exceeded) \(Client\.Timeout exceeded while awaiting headers\)|(?:net/http|http2): timeout awaiting response headers`, "awaiting headers", "awaiting response headers").
		or(ConnectionTimeout),
	msg(ServerNotResponding, clientContainerd, `failed to do request: `+pMethod+` "[^"]+": context deadline exceeded`, "context deadline exceeded").
		or(ConnectionTimeout),

	// plain-http-registry
	msg(PlainHTTPRegistry, clientAnyGo, `server gave HTTP response to HTTPS client`, "server gave HTTP response to HTTPS client"),
	msg(PlainHTTPRegistry, clientAnyGo, `400 The plain HTTP request|The plain HTTP request was sent to HTTPS port|Client sent an HTTP request to an HTTPS server`, "plain HTTP request", "Client sent an HTTP request to an HTTPS server").
		means("The reverse case: the client sent plain HTTP to a port that expects TLS, usually because it is configured for HTTP (containerd hosts.toml server = \"http://...\", an http:// mirror) or fell back to HTTP after HTTPS failed. Use https for this registry and remove the plain-HTTP setting, or fix what made HTTPS fail."),
	msg(PlainHTTPRegistry, clientAnyGo, `tls: first record does not look like a TLS handshake`, "first record does not look like a TLS handshake").
		or(NotARegistry).
		means("The client spoke TLS and the server answered with something else, most often plain HTTP."),

	// tls-unknown-authority
	msg(TLSUnknownAuthority, clientAnyGo, `x509: certificate signed by unknown authority`, "signed by unknown authority"),
	msg(TLSUnknownAuthority, clientAnyGo, `x509: (?:“[^”]*” )?certificate is not trusted`, "certificate is not trusted"),

	// tls-cert-expired
	msg(TLSCertExpired, clientAnyGo, `x509: certificate has expired or is not yet valid(?:: current time \S+ is (?:after|before) \S+)?`, "certificate has expired or is not yet valid").
		means("Either the certificate is outside its validity window, or this machine's clock is wrong."),

	// tls-hostname-mismatch
	msg(TLSHostnameMismatch, clientAnyGo, `x509: certificate is valid for [^\n"]*?, not (?P<host>`+pHost+`)|x509: certificate is valid for \d+ (?:IP SANs|names), but none matched (?P<host>`+pHost+`)`, "x509: certificate is valid for"),
	msg(TLSHostnameMismatch, clientAnyGo, `x509: cannot validate certificate for (?P<host>\S+) because it doesn't contain any IP SANs`, "doesn't contain any IP SANs"),
	msg(TLSHostnameMismatch, clientAnyGo, `x509: certificate relies on legacy Common Name field`, "legacy Common Name field"),
	msg(TLSHostnameMismatch, clientAnyGo, `x509: certificate is not valid for any names, but wanted to match (?P<host>`+pHost+`)`, "not valid for any names"),

	// tls-protocol-mismatch
	msg(TLSProtocolMismatch, clientAnyGo, `remote error: tls: protocol version not supported|tls: server selected unsupported protocol version [0-9a-f]+`, "protocol version").
		means("The server speaks only TLS versions older than 1.2, which Go clients refuse."),
	msg(TLSProtocolMismatch, clientAnyGo, `remote error: tls: handshake failure`, "handshake failure").
		or(TLSClientCertRequired).
		means("The server accepted none of the cipher suites the client offered (an RSA-key-exchange-only server, for clients built with Go 1.22 or later), or wanted a client certificate over TLS 1.2."),

	// tls-client-cert-required
	msg(TLSClientCertRequired, clientAnyGo, `remote error: tls: (?:certificate required|bad certificate|unknown certificate authority|expired certificate|revoked certificate|unsupported certificate|unknown certificate)\b`, "remote error: tls:").
		means("The server (or the proxy in front of it) requires a client certificate and got none it accepts; Go clients send a certs.d certificate only when the server names its issuer."),
	msg(TLSClientCertRequired, clientAnyGo, `400 (?:No required SSL certificate was sent|The SSL certificate error)`, "No required SSL certificate was sent", "The SSL certificate error").
		means("nginx in front of the registry has ssl_verify_client on and got no client certificate it accepts."),
	msg(TLSClientCertRequired, clientContainersImage, `pinging container registry `+pHost+`: invalid status code from registry 400 \(Bad Request\)`, "invalid status code from registry 400").
		or(NotARegistry).
		means("A 400 to the very first request, GET /v2/, comes from a proxy in front of the registry; skopeo 1.9 drops nginx's page, which most often says \"No required SSL certificate was sent\"."),

	// not-an-image
	msg(NotAnImage, clientContainersImage, `unsupported image-specific operation on artifact with type "(?P<mediatype>[^"]+)"`, "unsupported image-specific operation on artifact").
		means("The reference names an OCI artifact (a Helm chart, a signature, an SBOM), not a container image."),
	msg(NotAnImage, clientDocker, `Encountered remote "(?P<mediatype>[^"]+)"\([a-z]+\) when fetching`, "Encountered remote").
		means("The reference names an OCI artifact (a Helm chart, a signature, an SBOM), not a container image."),

	// manifest-schema1
	msg(ManifestSchema1, clientDocker, `Docker Image manifest version 2, schema 1 support (?:is disabled by default|will be removed|has been removed)`, "schema 1 support").
		means("The image is stored as a Docker schema 1 manifest, which docker 26 and containerd 2.0 refuse by default."),

	// blob-storage-unreachable: the blob download, redirected to storage.
	msg(BlobStorageUnreachable, clientContainersImage, `(?:parsing image configuration|fetching blob|reading blob \S+): (?:Get|GET) "https://(?P<storage>[^/"]+)/[^"]*(?:X-Amz-|X-Goog-|verify=|[?&]sig=)[^"]*": \S[^\n]*`, "parsing image configuration", "fetching blob").
		overrides(transportCodes...).namesNoRegistry().
		means("The manifest resolved; the download of a blob, redirected to object storage or a CDN, failed there."),
	msg(BlobStorageUnreachable, clientDocker, `error pulling image configuration: (?:download failed after attempts=\d+: )?(?:dial tcp|received unexpected HTTP status: 403)[^\n]*`, "error pulling image configuration").
		overrides(transportCodes...).namesNoRegistry().
		means("docker resolved the manifest; fetching the image configuration, usually from the registry's storage or CDN, failed."),

	// blob-unknown: a blob (or an index's platform manifest) the manifest
	// names answers 404. Wordings from containers/image 5.22–5.24
	// (docker_image_src.go getBlob), containerd 1.6 (remotes/docker
	// fetcher), go-containerregistry (transport.Error) and moby.
	msg(BlobUnknown, clientContainersImage, `reading blob (?P<digest>sha256:[0-9a-f]+): (?:Error fetching blob|fetching blob): (?:invalid status code from registry 404 \(Not Found\)|blob unknown to registry)`, "reading blob").
		means("The manifest resolved, but the registry does not have a blob it names: it lost content an image still points at."),
	msg(BlobUnknown, clientCrane, `GET \S+/blobs/(?P<digest>sha256:[0-9a-f]+): BLOB_UNKNOWN`, "BLOB_UNKNOWN").
		means("The manifest resolved, but the registry does not have a blob it names."),
	msg(BlobUnknown, clientContainerd, `could not fetch content descriptor (?P<digest>sha256:[0-9a-f]+) \([^)]*\) from remote: not found`, "could not fetch content descriptor").
		means("The manifest resolved, but the registry does not have content it names."),
	msg(BlobUnknown, clientDocker, `(?:error pulling image configuration: )?unknown blob\b`, "unknown blob").
		means("The manifest resolved, but the registry does not have a blob it names."),
	// regctl (regclient v0.11.7 scheme/reg BlobGet, reghttp).
	msg(BlobUnknown, clientAnyGo, `failed to get blob, digest (?P<digest>sha256:[0-9a-f]+), ref \S+: request failed: not found \[http 404\]`, "failed to get blob").
		means("The manifest resolved, but the registry does not have a blob it names."),

	// blob-corrupt: the bytes do not hash to their digest.
	msg(BlobCorrupt, clientContainersImage, `Digest did not match, expected (?P<digest>sha256:[0-9a-f]+), got sha256:[0-9a-f]+`, "Digest did not match").
		means("A blob downloaded, but its content does not hash to its digest."),
	msg(BlobCorrupt, clientCrane, `error verifying sha256 checksum after reading \d+ bytes; got "[^"]+", want "(?P<digest>[^"]+)"`, "error verifying sha256 checksum").
		means("A blob downloaded, but its content does not hash to its digest."),
	msg(BlobCorrupt, clientDocker, `filesystem layer verification failed for digest (?P<digest>sha256:[0-9a-f]+)`, "filesystem layer verification failed").
		means("A layer downloaded, but its content does not hash to its digest."),
	msg(BlobCorrupt, clientAnyGo, `^digest mismatch \[expected (?P<digest>sha256:[0-9a-f]+), calculated sha256:[0-9a-f]+\]`, "digest mismatch [expected").
		means("A blob downloaded, but its content does not hash to its digest (regctl's words)."),
	msg(BlobCorrupt, clientDocker, `image config verification failed for digest (?P<digest>sha256:[0-9a-f]+)`, "image config verification failed").
		means("The image configuration downloaded, but its content does not hash to its digest."),
	msg(BlobCorrupt, clientContainerd, `unexpected commit digest sha256:[0-9a-f]+, expected (?P<digest>sha256:[0-9a-f]+): failed precondition`, "unexpected commit digest").
		or(ManifestInvalid).
		means("Content downloaded, but does not hash to the digest it was fetched by: a corrupt blob, or a manifest whose Docker-Content-Digest is not its own."),

	// manifest-invalid: a 200 that is no manifest the client accepts.
	msg(ManifestInvalid, clientContainersImage, `unsupported schema version 2`, "unsupported schema version").
		means("The manifest's Content-Type is no manifest type, so podman read it as schema 1, which it is not: a proxy or registry sends the wrong Content-Type (or an HTML page)."),
	msg(ManifestInvalid, clientContainersImage, `[Mm]anifest does not match provided manifest digest (?P<digest>sha256:[0-9a-f]+)`, "does not match provided manifest digest").
		means("Pulled by digest, the manifest served does not hash to that digest."),
	msg(ManifestInvalid, clientContainersImage, `unsupported docker v2s2 media type: "(?P<mediatype>[^"]*)"`, "unsupported docker v2s2 media type").
		means("The manifest's own mediaType contradicts its Content-Type."),
	msg(ManifestInvalid, clientCrane, `manifest digest: "[^"]+" does not match requested digest: "(?P<digest>[^"]+)"`, "does not match requested digest").
		means("Pulled by digest, the manifest served does not hash to that digest."),
	msg(ManifestInvalid, clientDocker, `manifest verification failed for digest (?P<digest>sha256:[0-9a-f]+)|mediaType in manifest should be '[^']+' not '[^']+'|missing signature key`, "manifest verification failed", "mediaType in manifest should be", "missing signature key").
		means("docker refused the manifest: it does not hash to the digest pulled, contradicts its Content-Type, or has a Content-Type docker reads as schema 1."),
	msg(ManifestInvalid, clientContainerd, `media-type: expected (?:manifest|index) but found (?:manifest|index)`, "media-type: expected").
		means("The manifest's Content-Type contradicts what the body is."),
	// regctl's (regclient types/manifest New, fromCommon, verifyMT).
	msg(ManifestInvalid, clientAnyGo, `manifest digest mismatch, expected (?P<digest>sha256:[0-9a-f]+), computed sha256:[0-9a-f]+`, "manifest digest mismatch").
		means("The manifest's body does not hash to the digest it was asked by or served with (Docker-Content-Digest)."),
	msg(ManifestInvalid, clientAnyGo, `manifest contains an unexpected media type: expected (?P<mediatype>\S+), received \S+`, "manifest contains an unexpected media type").
		means("The manifest's Content-Type names one manifest type and its body's mediaType another."),
	msg(ManifestInvalid, clientAnyGo, `unsupported media type: "(?P<mediatype>[^"]*)"`, "unsupported media type").
		means("The manifest answer's Content-Type is no manifest type (an HTML page, text/plain, or a type the client does not know)."),
	// dockerd's words for a 200 manifest answer it cannot read (moby
	// v20.10 distribution/pull_v2.go, docker/distribution manifest
	// unmarshalling).
	msg(ManifestInvalid, clientDocker, `error unmarshalling content: invalid character '<' looking for beginning of value`, "error unmarshalling content").
		means("The manifest request answered 200 with an HTML page, not a manifest."),
	msg(ManifestInvalid, clientDocker, `missing or empty Content-Type header`, "missing or empty Content-Type header").
		or(RegistryMisbehaving).
		means("The manifest answer carries no Content-Type, which docker needs to pick the manifest's type."),

	// not-a-registry
	msg(NotARegistry, clientAnyGo, `error parsing HTTP (?:404|200|30\d) response body: invalid character '<' looking for beginning of value`, "error parsing HTTP").
		means("An HTML page answered where the registry API should."),
	msg(NotARegistry, clientContainersImage, `StatusCode: (?:404|200|30\d), "<`, "StatusCode: ").
		means("An HTML page answered where the registry API should."),
	msg(NotARegistry, clientDocker, `login attempt to \S+ failed with status: 404 Not Found`, "login attempt to"),
	msg(NotARegistry, clientCrane, `GET https?://[^/\s]+/v2/: unexpected status code (?:404|200|30\d)\b`, "/v2/: unexpected status code"),
	msg(NotARegistry, clientContainersImage, `can't talk to a V1 (?:container|docker) registry|error pinging repository, response code (?:404|200|30\d)\b`, "can't talk to a V1", "error pinging repository, response code"),
	// containers/image accepts only 200 and 401 on /v2/ (docker_client.go
	// detectPropertiesHelper); a 404 there is the classic wrong port, such
	// as Nexus's web UI on 8081.
	msg(NotARegistry, clientContainersImage, `pinging container registry `+pHost+`: invalid status code from registry 404 \(Not Found\)`, "pinging container registry").
		means("GET /v2/ answered 404: the address is not the registry API (a web UI's port, or a proxy without a /v2/ route)."),

	// registry-misbehaving
	msg(RegistryMisbehaving, clientAnyGo, pStatus+`5\d\d\b`, "status", "StatusCode", "error parsing HTTP").
		or(ProxyMisconfigured).
		means("The registry, or a proxy in front of it, answered with a server error."),
	msg(RegistryMisbehaving, clientContainersImage, `decoding bearer token`, "decoding bearer token").
		means("The token endpoint answered with something that is not a token (often an HTML error page)."),
	msg(RegistryMisbehaving, clientAnyGo, `missing realm in bearer auth challenge|malformed www-authenticate, missing realm`, "missing realm").
		means("The registry's 401 challenge names no token realm."),
	msg(RegistryMisbehaving, clientAnyGo, `stopped after 10 redirects`, "stopped after 10 redirects"),
	msg(RegistryMisbehaving, clientCrane, `no token in bearer response`, "no token in bearer response"),
	msg(RegistryMisbehaving, clientAnyGo, `failed to request auth token \((?:get|post)\): parsing time`, "failed to request auth token").
		means("The token realm's issued_at is no RFC 3339 time, which regctl decodes strictly."),
	msg(RegistryMisbehaving, clientDocker, `unable to decode token response`, "unable to decode token response").
		means("The token realm's 200 answer does not decode as a token response (an issued_at that is no RFC 3339 time, or a body that is no JSON)."),
	msg(RegistryMisbehaving, clientDocker, `authorization server did not include a token in the response`, "did not include a token").
		means("The token realm answered 200 without a token."),
	msg(RegistryMisbehaving, clientAnyGo, `gzip: invalid header`, "gzip: invalid header").
		means("An answer says Content-Encoding: gzip over a body that is not gzip: a proxy that labels or compresses responses wrongly."),
	msg(RegistryMisbehaving, clientAnyGo, `error parsing HTTP 4(?:0[5-9]|1\d|2\d|5\d) response body: invalid character '<' looking for beginning of value`, "error parsing HTTP").
		means("The registry, or a proxy in front of it, answered an API request with an HTML error page (410 Gone and the like)."),
	msg(RegistryMisbehaving, clientContainerd, `rejecting \d+ byte manifest`, "byte manifest").
		overrides(TagNotFound),
	msg(RegistryMisbehaving, clientAnyGo, `read: connection reset by peer|`+pMethod+` "?https?://[^\s"]+"?: (?:unexpected )?EOF\b`, "connection reset by peer", "EOF").
		or(ProxyMisconfigured).
		means("The connection was closed in the middle of an answer."),

	// rate-limited
	msg(RateLimited, clientAnyGo, `(?:toomanyrequests|TOOMANYREQUESTS): [^\n"]*|You have reached your (?:unauthenticated )?pull rate limit`, "toomanyrequests", "TOOMANYREQUESTS", "rate limit"),
	msg(RateLimited, clientContainersImage, `too many requests to registry`, "too many requests to registry"),
	msg(RateLimited, clientAnyGo, `429 Too Many Requests|(?:StatusCode:|status code|status:) 429\b`, "429"),

	// token-realm-misconfigured
	msg(TokenRealmMisconfigured, clientCrane, `invalid realm in www-authenticate: [^\n"]*`, "invalid realm in www-authenticate"),
	msg(TokenRealmMisconfigured, clientCrane, `realm scheme "[^"]*" not allowed[^\n"]*`, "realm scheme"),
	msg(TokenRealmMisconfigured, clientCrane, `parsing realm "[^"]*"`, "parsing realm"),
	msg(TokenRealmMisconfigured, clientAnyGo, `unsupported protocol scheme "[^"]*"`, "unsupported protocol scheme").
		means("A URL the registry sent (the token realm, or a redirect) has no usable scheme; Nexus can send a \"null\" scheme when its Base URL is unset."),

	// bad-credentials (before not-logged-in, which it overrides)
	msg(BadCredentials, clientContainersImage, `unable to retrieve auth token: invalid username/password`, "invalid username/password").
		or(NotLoggedIn).overrides(NotLoggedIn).
		means("The token realm answered 401. podman prints this even when no credentials were sent."),
	msg(BadCredentials, clientDocker, `unauthorized: incorrect username or password`, "incorrect username or password"),
	msg(BadCredentials, clientDocker, `login attempt to \S+ failed with status: 401 Unauthorized`, "login attempt to"),
	msg(BadCredentials, clientContainersImage, `logging into "[^"]+": invalid username/password`, "logging into"),
	msg(BadCredentials, clientContainerd, `failed to fetch oauth token: unexpected status(?: from POST request to \S+)?: 401\b`, "failed to fetch oauth token").
		overrides(NotLoggedIn),

	// not-logged-in
	msg(NotLoggedIn, clientContainersImage, `Requesting bear(?:er)? token: (?:invalid status code from registry|received unexpected HTTP status:|StatusCode:) 40[13]\b(?: \([A-Za-z ]+\)| [A-Z][a-z]+)?`, "Requesting bear").
		or(AccessDenied).overrides(AccessDenied).
		means("The token realm refused to issue a token for an anonymous request."),
	msg(NotLoggedIn, clientContainersImage, `reading manifest \S+ in \S+: (?:unauthorized: )?authentication required`, "authentication required").
		or(BadCredentials),
	msg(NotLoggedIn, clientDocker, `no basic auth credentials`, "no basic auth credentials"),
	// dockerd (v20.10, docker/distribution's token handler) reports the
	// realm's refusal of an anonymous token request under the manifest
	// HEAD it was fetching the token for; "anonymous" names the cause.
	msg(NotLoggedIn, clientDocker, `(?:HEAD|Head|GET|Get) "?https?://[^\s"]+/manifests/[^\s"]+"?: denied: anonymous access\b[^\n"]*`, "denied: anonymous access").
		overrides(AccessDenied),
	msg(NotLoggedIn, clientAnyGo, `(?:unauthorized|UNAUTHORIZED): authentication required`, "authentication required").
		or(BadCredentials),
	msg(NotLoggedIn, clientContainerd, `failed to fetch anonymous token: unexpected status(?: from GET request to (?P<realm>\S+))?: 40[13]\b`, "failed to fetch anonymous token").
		or(AccessDenied).overrides(AccessDenied),
	msg(NotLoggedIn, clientContainerd, `unexpected status from (?:HEAD|GET) request to \S+: 401 Unauthorized`, "401 Unauthorized").
		or(BadCredentials, HeadGetMismatch),
	msg(NotLoggedIn, clientCrane, `(?:GET|POST) (?P<realm>https?://\S+): unexpected status code 40[13]\b`, "unexpected status code 40").
		when(func(g groups) bool { return isRealmURL(g["realm"]) }).
		or(BadCredentials, AccessDenied).overrides(AccessDenied),
	msg(NotLoggedIn, clientAnyGo, `(?:StatusCode: |received unexpected HTTP status: |unexpected status code )401\b`, "401").
		or(BadCredentials),
	msg(NotLoggedIn, clientAnyGo, `unauthorized: access to the requested resource is not authorized`, "requested resource is not authorized").
		or(AccessDenied),

	// access-denied
	msg(AccessDenied, clientAnyGo, `requested access to the resource is denied`, "requested access to the resource is denied").
		or(NotLoggedIn),
	msg(AccessDenied, clientAnyGo, `insufficient_scope[^\n"]*`, "insufficient_scope").
		or(NotLoggedIn),
	msg(AccessDenied, clientContainerd, `unexpected status from [A-Z]+ request to \S+: 403 Forbidden`, "403 Forbidden").
		or(NotLoggedIn, HeadGetMismatch),
	msg(AccessDenied, clientAnyGo, `(?:StatusCode: |received unexpected HTTP status: |unexpected status code )403\b`, "403").
		or(NotLoggedIn),
	msg(AccessDenied, clientCrane, `\bDENIED: \S[^\n"]*`, "DENIED: "),
	// dockerd retries a blob download and reports the registry's last
	// word (distribution/xfer: "download failed after attempts=N").
	msg(AccessDenied, clientDocker, `download failed after attempts=\d+: denied\b`, "download failed after attempts="),
	msg(AccessDenied, clientAnyGo, `\bdenied: (?:permission_denied|access forbidden|Permission "[^"]+" denied)[^\n"]*`, "denied: "),

	// repository-not-found
	msg(RepositoryNotFound, clientDocker, `pull access denied for (?P<repo>[^\s,]+), repository does not exist or may require 'docker login'`, "pull access denied for").
		or(NotLoggedIn, AccessDenied).overrides(AccessDenied).
		means("Docker Hub (and registries like it) answers the same for a missing repository and for one you may not read."),
	msg(RepositoryNotFound, clientAnyGo, `(?:name unknown|NAME_UNKNOWN)(?:: [^\n;"]*)?|repository name not known to registry`, "name unknown", "NAME_UNKNOWN", "repository name not known"),

	// platform-not-available (before tag-not-found, which it overrides)
	msg(PlatformNotAvailable, clientContainersImage, `no image found in (?:image index|manifest list) for architecture "?(?P<arch>[^",\s]+)"?, variant "(?P<variant>[^"]*)", OS "?(?P<os>[^",\s]+)"?`, "no image found in").
		overrides(TagNotFound),
	msg(PlatformNotAvailable, clientAnyGo, `^platform not found: (?P<platform>\S+)`, "platform not found").
		means("The image index lists no manifest for this platform (regctl's words)."),
	msg(PlatformNotAvailable, clientDocker, `no matching manifest for (?P<platform>\S+) in the manifest list entries`, "no matching manifest for").
		overrides(TagNotFound),
	msg(PlatformNotAvailable, clientContainerd, `no match for platform in manifest`, "no match for platform in manifest").
		overrides(TagNotFound),
	msg(PlatformNotAvailable, clientCrane, `no child with platform (?P<platform>\S+) in index \S+`, "no child with platform"),

	// tag-not-found
	msg(TagNotFound, clientContainersImage, `reading manifest \S+ in \S+: manifest unknown`, "reading manifest").
		or(RepositoryNotFound),
	msg(TagNotFound, clientDocker, `manifest for \S+ not found(?:: manifest unknown)*`, "manifest for ").
		or(RepositoryNotFound, HeadGetMismatch),
	msg(TagNotFound, clientContainerd, `failed to resolve reference "[^"]+": (?:[^\s"]+: )?not found`, "failed to resolve reference").
		or(RepositoryNotFound, HeadGetMismatch, NotARegistry),
	msg(TagNotFound, clientCrane, `MANIFEST_UNKNOWN: [^;\n"]*(?:; map\[Tag:[^\]\s]+\])?`, "MANIFEST_UNKNOWN").
		or(RepositoryNotFound),
	msg(TagNotFound, clientAnyGo, `(?:(?:GET|HEAD) https?://\S+/manifests/\S+: unexpected status code|unexpected status from (?:GET|HEAD) request to \S+/manifests/\S+:) 404\b`, "404").
		or(RepositoryNotFound, HeadGetMismatch),
	msg(TagNotFound, clientAnyGo, `manifest unknown`, "manifest unknown").
		or(RepositoryNotFound, HeadGetMismatch),

	// head-get-mismatch
	msg(HeadGetMismatch, clientCrane, `HEAD request failed, falling back on GET: HEAD \S+: unexpected status code \d+`, "falling back on GET").
		overrides(TagNotFound).
		means("HEAD on the manifest failed; crane retried with GET. docker and containerd resolve with HEAD only."),
	msg(HeadGetMismatch, clientContainerd, `unexpected status from HEAD request to \S+: 405 Method Not Allowed`, "HEAD request to").
		overrides(UploadRefused).
		means("The registry (or its proxy) refuses HEAD on the manifest; containerd resolves tags with HEAD."),

	// upload-too-large
	msg(UploadTooLarge, clientAnyGo, `413 (?:Request Entity Too Large|Payload Too Large|Content Too Large)|(?:StatusCode:|status code|HTTP|status:) 413\b`, "413").
		overrides(NotARegistry, RegistryMisbehaving),

	// upload-refused
	msg(UploadRefused, clientAnyGo, `411 Length Required|(?:StatusCode:|status code|HTTP|status:) 411\b`, "411").
		overrides(NotARegistry, RegistryMisbehaving),
	msg(UploadRefused, clientAnyGo, `405 Method Not Allowed|(?:StatusCode:|status code|HTTP|status:) 405\b`, "405").
		overrides(NotARegistry, RegistryMisbehaving),
	msg(UploadRefused, clientAnyGo, `Deploying to groups is a PRO-licensed feature`, "Deploying to groups"),
	msg(UploadRefused, clientAnyGo, `BLOB_UPLOAD_INVALID|blob upload invalid`, "BLOB_UPLOAD_INVALID", "blob upload invalid").
		or(RegistryMisbehaving),
	msg(UploadRefused, clientAnyGo, `(?:UNSUPPORTED|unsupported): [Tt]he operation is unsupported`, "operation is unsupported"),
}

// noClientMessage lists the catalogue codes no client prints in words of
// its own, with the reason. Every other code has at least one
// clientMessage.
var noClientMessage = map[Code]string{
	PullStepFailed:          "it is regdoctor's own last resort for a failed step no rule names; a client's words for the failure are those of the step, which explain maps to that step's code",
	CredentialsForOtherHost: "clients print nothing about the credentials: they behave as if never logged in, which explain reports as not-logged-in; only `regdoctor check` reads the auth files",
	ClockSkew:               "registries answer a token outside its validity window with a plain 401, which clients print as not-logged-in or bad-credentials; only `regdoctor check` sees the token's dates",
	CredentialHelperFailed:  "a helper that hangs, or whose background process holds its output open, makes the client hang without a word; one that floods ends in a bare JSON decode error that names no helper; only `regdoctor check` runs the helper with a limit",
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
