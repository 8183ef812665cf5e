package diagnose

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/target"
)

// explainCase is one real error text. code is the only (or, with also, the
// first) code explain must find; registry is what it must read from the
// text ("" when the text names none).
type explainCase struct {
	name     string
	in       string
	code     string
	registry string
	target   string   // when set, the target check_command uses
	client   string   // when set, the client it must name
	check    string   // when set, the whole check command
	also     []string // further codes, in the order explain lists them
}

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var explainCases = []explainCase{
	// config-invalid
	{name: "podman registries.conf", in: `Error: loading registries configuration "/etc/containers/registries.conf": mixing sys registry v1/v2 is not supported`,
		code: "config-invalid", client: clientContainersImage},
	{name: "podman auth.json", in: `Error: reading JSON file "/run/user/1000/containers/auth.json": unmarshaling JSON at "/run/user/1000/containers/auth.json": invalid character '}' looking for beginning of object key string`,
		code: "config-invalid"},
	{name: "docker config.json parse", in: `WARNING: Error parsing config file (/root/.docker/config.json): invalid character '}' looking for beginning of object key string`,
		code: "config-invalid", client: clientDocker},
	{name: "docker config.json old", in: `WARNING: Error loading config file: /home/ci/.docker/config.json: invalid character 'a' looking for beginning of value`,
		code: "config-invalid"},
	{name: "docker credential helper missing", in: "docker: error getting credentials - err: exec: \"docker-credential-desktop\": executable file not found in $PATH, out: ``.",
		code: "config-invalid", client: clientDocker},
	{name: "podman policy.json missing", in: `Error: open /etc/containers/policy.json: no such file or directory`,
		code: "config-invalid"},

	// certs-dir-invalid
	{name: "podman key without cert", in: `Error: initializing source docker://registry.example.com:5000/app:1.0: missing client certificate client.cert for key client.key`,
		code: "certs-dir-invalid", registry: "registry.example.com:5000", target: "registry.example.com:5000/app:1.0"},
	{name: "podman cert without key", in: `Error: initializing source docker://registry.example.com:5000/app:1.0: missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt`,
		code: "certs-dir-invalid", registry: "registry.example.com:5000"},

	// short-name-unresolved
	{name: "podman short name", in: `Error: short-name "myapp" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"`,
		code: "short-name-unresolved", target: "myapp", check: "regdoctor check --client podman myapp", client: clientContainersImage},
	{name: "podman short name without a TTY", in: "+ podman pull redis:7\nError: short-name resolution enforced but cannot prompt without a TTY",
		code: "short-name-unresolved", target: "redis:7", check: "regdoctor check --client podman redis:7"},

	// registry-blocked
	{name: "podman blocked", in: `Error: initializing source docker://registry.example.com/team/app:1.0: registry registry.example.com is blocked in /etc/containers/registries.conf or /etc/containers/registries.conf.d`,
		code: "registry-blocked", registry: "registry.example.com", check: "regdoctor check --client podman registry.example.com/team/app:1.0"},

	// mirror-failing
	{name: "podman mirrors also failed", in: `Failed to pull image "quay.io/che-incubator/che-code:latest": rpc error: code = Unknown desc = initializing source docker://quay.io/che-incubator/che-code:latest: (Mirrors also failed: [virthost.example.com:5000/che-incubator/che-code:latest: reading manifest latest in virthost.example.com:5000/che-incubator/che-code: manifest unknown]): quay.io/che-incubator/che-code:latest: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp 52.1.2.3:443: connect: network is unreachable`,
		code: "mirror-failing", registry: "quay.io", client: "CRI-O via kubelet (containers/image)",
		also: []string{"connection-timeout", "tag-not-found"}},

	// dns-lookup-failed
	{name: "podman old dns", in: `Error: initializing source docker://nexus.internal/app:1.0: error pinging docker registry nexus.internal: Get https://nexus.internal/v2/: dial tcp: lookup nexus.internal on 127.0.0.53:53: no such host`,
		code: "dns-lookup-failed", registry: "nexus.internal", target: "nexus.internal/app:1.0", client: clientContainersImage},
	{name: "docker dns temporary failure", in: `Error response from daemon: Get "https://regstry.example.com/v2/": dial tcp: lookup regstry.example.com: Temporary failure in name resolution`,
		code: "dns-lookup-failed", registry: "regstry.example.com", client: clientDocker, check: "regdoctor check regstry.example.com"},
	{name: "dns timeout is dns, not connect timeout", in: `dial tcp: lookup registry.corp.example on 10.0.0.2:53: read udp 10.0.0.5:41234->10.0.0.2:53: i/o timeout`,
		code: "dns-lookup-failed", registry: "registry.corp.example", client: clientUnknown},

	// proxy-misconfigured
	{name: "podman proxyconnect", in: `Error: initializing source docker://quay.io/podman/hello:latest: pinging container registry quay.io: Get "https://quay.io/v2/": proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused`,
		code: "proxy-misconfigured", registry: "quay.io", target: "quay.io/podman/hello:latest"},
	{name: "docker proxy auth", in: `Error response from daemon: Get "https://registry-1.docker.io/v2/": Proxy Authentication Required`,
		code: "proxy-misconfigured", registry: "registry-1.docker.io"},
	{name: "docker proxy refuses CONNECT", in: `Error response from daemon: Get "https://registry.example.com/v2/": Forbidden`,
		code: "proxy-misconfigured", registry: "registry.example.com"},

	// connection-refused
	{name: "docker refused", in: `Error response from daemon: Get "https://localhost:5000/v2/": dial tcp [::1]:5000: connect: connection refused`,
		code: "connection-refused", registry: "localhost:5000", client: clientDocker},
	{name: "windows refused", in: `Get "https://registry.example.com:5000/v2/": dial tcp 10.0.0.5:5000: connectex: No connection could be made because the target machine actively refused it.`,
		code: "connection-refused", registry: "registry.example.com:5000"},

	// connection-timeout
	{name: "containerd dial timeout", in: `failed to resolve reference "registry.example.com/app:1.0": failed to do request: Head "https://registry.example.com/v2/app/manifests/1.0": dial tcp 10.0.0.5:443: i/o timeout`,
		code: "connection-timeout", registry: "registry.example.com", target: "registry.example.com/app:1.0", client: clientContainerd},
	{name: "windows connect timeout", in: `Get "https://registry.example.com/v2/": dial tcp 10.0.0.5:443: connectex: A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.`,
		code: "connection-timeout", registry: "registry.example.com"},
	{name: "docker waiting for connection", in: `Error response from daemon: Get "https://registry.example.com/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`,
		code: "connection-timeout", registry: "registry.example.com"},

	// server-not-responding
	{name: "podman TLS handshake timeout", in: `Error: initializing source docker://registry.example.com/app:1.0: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": net/http: TLS handshake timeout`,
		code: "server-not-responding", registry: "registry.example.com", client: clientContainersImage},
	{name: "docker awaiting headers", in: `Error response from daemon: Get "https://registry.example.com/v2/": net/http: request canceled (Client.Timeout exceeded while awaiting headers)`,
		code: "server-not-responding", registry: "registry.example.com"},
	{name: "containerd deadline", in: `failed to resolve reference "registry.example.com/app:1.0": failed to do request: Head "https://registry.example.com/v2/app/manifests/1.0": context deadline exceeded`,
		code: "server-not-responding", registry: "registry.example.com"},

	// plain-http-registry
	{name: "podman old plain http (seed)", in: `Error: error pulling image "mirror.docker.com/library/myredis": unable to pull mirror.docker.com/library/myredis: unable to pull image: Error initializing source docker://mirror.docker.com/library/myredis:1.0.0: error pinging docker registry mirror.docker.com: Get https://mirror.docker.com/v2/: http: server gave HTTP response to HTTPS client`,
		code: "plain-http-registry", registry: "mirror.docker.com", target: "mirror.docker.com/library/myredis:1.0.0", client: clientContainersImage},
	{name: "podman plain http", in: `Error: initializing source docker://mirror.docker.com/library/myredis:1.0.0: pinging container registry mirror.docker.com: Get "https://mirror.docker.com/v2/": http: server gave HTTP response to HTTPS client`,
		code: "plain-http-registry", registry: "mirror.docker.com", target: "mirror.docker.com/library/myredis:1.0.0", client: clientContainersImage},
	{name: "nginx plain http to https port (bare)", in: `400 The plain HTTP request was sent to HTTPS port`,
		code: "plain-http-registry", check: "regdoctor check REGISTRY/REPOSITORY:TAG"},
	{name: "podman plain http to https port", in: `Error: initializing source docker://registry.example.com:443/app:1.0: reading manifest 1.0 in registry.example.com:443/app: StatusCode: 400, "<html>\r\n<head><title>400 The plain HTTP request wa..."`,
		code: "plain-http-registry", registry: "registry.example.com:443"},
	{name: "tls first record", in: `Error response from daemon: Get "https://registry.example.com:5000/v2/": tls: first record does not look like a TLS handshake`,
		code: "plain-http-registry", registry: "registry.example.com:5000"},

	// tls-unknown-authority
	{name: "podman old unknown CA", in: `Error: initializing source docker://registry.example.com/app:1.0: error pinging docker registry registry.example.com: Get https://registry.example.com/v2/: x509: certificate signed by unknown authority`,
		code: "tls-unknown-authority", registry: "registry.example.com"},
	{name: "docker unknown CA", in: `Error response from daemon: Get "https://registry.example.com/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
		code: "tls-unknown-authority", registry: "registry.example.com", client: clientDocker},
	{name: "macOS not trusted", in: `Get "https://registry.example.com/v2/": tls: failed to verify certificate: x509: “registry.example.com” certificate is not trusted`,
		code: "tls-unknown-authority", registry: "registry.example.com"},

	// tls-protocol-mismatch
	{name: "podman against a TLS 1.1 appliance", in: `Error: initializing source docker://registry.example.com/team/app:1.0: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": remote error: tls: protocol version not supported`,
		code: "tls-protocol-mismatch", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},
	{name: "docker, server chose TLS 1.0", in: `Error response from daemon: Get "https://10.0.0.5/v2/": tls: server selected unsupported protocol version 301`,
		code: "tls-protocol-mismatch", registry: "10.0.0.5", client: clientDocker},
	{name: "crane, no common cipher suite", in: `Error: Get "https://registry.example.com/v2/": remote error: tls: handshake failure`,
		code: "tls-protocol-mismatch", registry: "registry.example.com"},

	// not-an-image
	{name: "podman run of a Helm chart", in: `Error: parsing image configuration: unsupported image-specific operation on artifact with type "application/vnd.cncf.helm.config.v1+json"`,
		code: "not-an-image"},
	{name: "docker pull of a Helm chart", in: `Error response from daemon: Encountered remote "application/vnd.cncf.helm.config.v1+json"(unknown) when fetching`,
		code: "not-an-image", client: clientDocker},

	// manifest-schema1
	{name: "docker 26 and a schema 1 image", in: `Error response from daemon: [DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of registry.cn-hangzhou.aliyuncs.com/xdl/xdl:ubuntu-cpu-tf1.12 to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`,
		code: "manifest-schema1", client: clientDocker},

	// blob-storage-unreachable
	{name: "podman, S3 blocked", in: `Error: copying system image from manifest list: parsing image configuration: Get "https://my-bucket.s3.eu-west-1.amazonaws.com/docker/registry/v2/blobs/sha256/af/af39/data?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc": dial tcp 52.218.0.10:443: i/o timeout`,
		code: "blob-storage-unreachable"},
	{name: "podman, Docker Hub CDN not resolving", in: `Error: reading blob sha256:af397e33c43a: fetching blob: Get "https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/af/af39/data?verify=1700000000-abc": dial tcp: lookup production.cloudflare.docker.com: no such host`,
		code: "blob-storage-unreachable"},
	{name: "docker, CDN timing out", in: `error pulling image configuration: download failed after attempts=6: dial tcp 104.16.100.207:443: i/o timeout`,
		code: "blob-storage-unreachable", client: clientDocker},

	// not-a-registry: the ping answered 404
	{name: "podman on Nexus's web UI port", in: `Error: initializing source docker://nexus.example.com:8081/team/app:1: pinging container registry nexus.example.com:8081: invalid status code from registry 404 (Not Found)`,
		code: "not-a-registry", registry: "nexus.example.com:8081"},

	// blob-unknown
	{name: "podman 4.3, a layer missing", in: `Error: copying system image from manifest list: reading blob sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7: Error fetching blob: invalid status code from registry 404 (Not Found)`,
		code: "blob-unknown"},
	{name: "crane, a blob missing", in: `Error: pulling image: GET https://nexus.example.com:8443/v2/team/app/blobs/sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7: BLOB_UNKNOWN: blob unknown to registry; sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7`,
		code: "blob-unknown", client: clientCrane, registry: "nexus.example.com:8443"},
	{name: "containerd, content missing", in: `ctr: failed to copy: could not fetch content descriptor sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7 (application/vnd.docker.image.rootfs.diff.tar.gzip) from remote: not found`,
		code: "blob-unknown", client: clientContainerd},
	{name: "docker, a blob missing", in: `Error response from daemon: unknown blob`,
		code: "blob-unknown", client: clientDocker},

	// blob-corrupt
	{name: "podman, a corrupt layer", in: `Error: writing blob: storing blob to file "/var/tmp/storage123/1": happened during read: Digest did not match, expected sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7, got sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0`,
		code: "blob-corrupt"},
	{name: "crane, a corrupt layer", in: `Error: error verifying sha256 checksum after reading 3038 bytes; got "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", want "sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7"`,
		code: "blob-corrupt", client: clientCrane},
	{name: "docker, a corrupt layer", in: `filesystem layer verification failed for digest sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7`,
		code: "blob-corrupt", client: clientDocker},
	// The real regctl v0.11.7 (integration/testdata/client-errors.json).
	{name: "regctl, a blob missing", in: `failed to get blob, digest sha256:af397e33c43afb5ff3bb7b4b53e64e547c2485a7d8a4967fb86863855babe242, ref registry.example.com/library/redis:latest@sha256:511f9b70436fa43faf04750b44f4e6bad314f3132f85a07e5f0198bf961d2500: request failed: not found [http 404]: {"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}`,
		code: "blob-unknown"},
	{name: "regctl, a corrupt blob", in: `digest mismatch [expected sha256:af397e33c43afb5ff3bb7b4b53e64e547c2485a7d8a4967fb86863855babe242, calculated sha256:52aafed36d5dfb7cb731cd1efa9100136ccd49310c67c73decae4c422929c4f9]: EOF`,
		code: "blob-corrupt"},
	{name: "regctl, a manifest digest mismatch", in: `manifest digest mismatch, expected sha256:511f9b70436fa43faf04750b44f4e6bad314f3132f85a07e5f0198bf961d2500, computed sha256:96fff6c7d4b1c332a37426eee1a1278e97f359f377b714c4b06ed4f2a1b3b6f0`,
		code: "manifest-invalid"},
	{name: "regctl, a Content-Type of another type", in: `manifest contains an unexpected media type: expected application/vnd.oci.image.manifest.v1+json, received application/vnd.docker.distribution.manifest.v2+json`,
		code: "manifest-invalid"},
	{name: "regctl, a text/plain manifest", in: `unsupported media type: "text/plain"`,
		code: "manifest-invalid"},
	{name: "regctl, a bad issued_at", in: `failed to get manifest registry.example.com/library/redis:latest: failed to request auth token (get): parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`,
		code: "registry-misbehaving"},
	{name: "regctl, no such platform", in: `platform not found: linux/amd64`,
		code: "platform-not-available"},
	// The real docker 20.10 (integration/testdata/client-errors.json).
	{name: "docker, a corrupt image config", in: `error pulling image configuration: image config verification failed for digest sha256:af397e33c43afb5ff3bb7b4b53e64e547c2485a7d8a4967fb86863855babe242`,
		code: "blob-corrupt", client: clientDocker},
	{name: "docker, an HTML manifest", in: `Error response from daemon: error unmarshalling content: invalid character '<' looking for beginning of value`,
		code: "manifest-invalid", client: clientDocker},
	{name: "docker, a manifest without Content-Type", in: `Error response from daemon: missing or empty Content-Type header`,
		code: "manifest-invalid", client: clientDocker},
	{name: "docker, an undecodable token answer", in: `Error response from daemon: Head "https://registry.example.com/v2/library/redis/manifests/latest": unable to decode token response: parsing time "\"yesterday\"" as "\"2006-01-02T15:04:05Z07:00\"": cannot parse "yesterday\"" as "2006"`,
		registry: "registry.example.com", code: "registry-misbehaving", client: clientDocker},
	{name: "docker, a token answer without a token", in: `Error response from daemon: Head "https://registry.example.com/v2/library/redis/manifests/latest": authorization server did not include a token in the response`,
		registry: "registry.example.com", code: "registry-misbehaving", client: clientDocker},
	{name: "a body labelled gzip that is not", in: `Error: initializing source docker://registry.example.com/library/redis:latest: gzip: invalid header`,
		registry: "registry.example.com", code: "registry-misbehaving"},
	{name: "docker, an HTML 410 page", in: `Error response from daemon: error parsing HTTP 410 response body: invalid character '<' looking for beginning of value: "<html>\r\n<head><title>410 Gone</title></head>"`,
		code: "registry-misbehaving"},
	{name: "docker, the realm refuses an anonymous client", in: `Error response from daemon: Head "https://registry.example.com/v2/library/redis/manifests/latest": denied: anonymous access is not allowed`,
		registry: "registry.example.com", code: "not-logged-in", client: clientDocker},
	{name: "docker, a blob forbidden", in: `error pulling image configuration: download failed after attempts=6: denied`,
		code: "access-denied", client: clientDocker},
	{name: "containerd, a digest that does not match", in: `ctr: failed to copy: httpReadSeeker: failed open: unexpected commit digest sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0, expected sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7: failed precondition`,
		code: "blob-corrupt", client: clientContainerd},

	// manifest-invalid
	{name: "podman, a manifest with a generic Content-Type", in: `Error: initializing source docker://registry.example.com/team/app:1.0: unsupported schema version 2`,
		code: "manifest-invalid", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},
	{name: "podman by digest, a manifest that does not match", in: `Error: reading manifest sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7 in registry.example.com/team/app: Manifest does not match provided manifest digest sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7`,
		code: "manifest-invalid", registry: "registry.example.com"},
	{name: "podman, mediaType contradicts the Content-Type", in: `Error: parsing manifest: unsupported docker v2s2 media type: "application/vnd.oci.image.manifest.v1+json"`,
		code: "manifest-invalid"},
	{name: "crane by digest, a manifest that does not match", in: `Error: manifest digest: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0" does not match requested digest: "sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7" for "registry.example.com/team/app@sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7"`,
		code: "manifest-invalid", client: clientCrane},
	{name: "docker, a manifest that does not verify", in: `Error response from daemon: manifest verification failed for digest sha256:5b0d3b1a8e0c7f9a6d4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7`,
		code: "manifest-invalid", client: clientDocker},
	{name: "containerd, an index served as a manifest", in: `ctr: media-type: expected manifest but found index`,
		code: "manifest-invalid", client: clientContainerd},

	// tls-client-cert-required
	{name: "podman mTLS, TLS 1.3", in: `Error: initializing source docker://registry.example.com/team/app:1.0: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": remote error: tls: certificate required`,
		code: "tls-client-cert-required", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},
	{name: "docker mTLS, TLS 1.2", in: `Error response from daemon: Get "https://registry.example.com:5000/v2/": remote error: tls: bad certificate`,
		code: "tls-client-cert-required", registry: "registry.example.com:5000", client: clientDocker},
	{name: "crane mTLS, read loop", in: `Error: Get "https://10.1.2.3/v2/": readLoopPeekFailLocked: remote error: tls: certificate required`,
		code: "tls-client-cert-required", registry: "10.1.2.3"},
	{name: "podman behind nginx ssl_verify_client", in: `Error: initializing source docker://registry.example.com/team/app:1.0: pinging container registry registry.example.com: StatusCode: 400, "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<cente..."`,
		code: "tls-client-cert-required", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},
	{name: "skopeo 1.9 behind nginx ssl_verify_client", in: `time="2026-11-27T15:20:18Z" level=fatal msg="Error parsing image name \"docker://127.0.0.1:38601/team/app:1.0.0\": pinging container registry 127.0.0.1:38601: invalid status code from registry 400 (Bad Request)"`,
		code: "tls-client-cert-required", registry: "127.0.0.1:38601", target: "127.0.0.1:38601/team/app:1.0.0"},
	{name: "distribution 2.8 (Go 1.19) mTLS over TLS 1.3", in: `time="2026-11-27T15:21:06Z" level=fatal msg="Error parsing image name \"docker://127.0.0.1:42287/team/app:1.0.0\": pinging container registry 127.0.0.1:42287: Get \"https://127.0.0.1:42287/v2/\": remote error: tls: bad certificate"`,
		code: "tls-client-cert-required", registry: "127.0.0.1:42287", target: "127.0.0.1:42287/team/app:1.0.0"},
	{name: "docker behind nginx, wrong certificate", in: `Error response from daemon: error parsing HTTP 400 response body: invalid character '<' looking for beginning of value: "<html>\r\n<head><title>400 The SSL certificate error</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The SSL certificate error</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"`,
		code: "tls-client-cert-required", client: clientDocker},

	// tls-cert-expired
	{name: "expired", in: `Get "https://registry.example.com/v2/": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2025-03-02T02:14:07Z is after 2025-03-01T12:00:00Z`,
		code: "tls-cert-expired", registry: "registry.example.com"},

	// tls-hostname-mismatch
	{name: "podman wrong name", in: `Error: initializing source docker://registry.example.com/team/app:1.0: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": tls: failed to verify certificate: x509: certificate is valid for nexus.example.com, *.apps.example.com, not registry.example.com`,
		code: "tls-hostname-mismatch", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},
	{name: "docker no IP SANs", in: `Error response from daemon: Get "https://10.0.0.5:8443/v2/": tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs`,
		code: "tls-hostname-mismatch", registry: "10.0.0.5:8443"},
	{name: "crane legacy CN", in: `Error: Get "https://registry.example.com/v2/": tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs instead`,
		code: "tls-hostname-mismatch", registry: "registry.example.com"},
	{name: "no names, host from message", in: `x509: certificate is not valid for any names, but wanted to match registry.example.com`,
		code: "tls-hostname-mismatch", registry: "registry.example.com"},
	{name: "N names none matched", in: `x509: certificate is valid for 3 names, but none matched registry.example.com`,
		code: "tls-hostname-mismatch", registry: "registry.example.com"},

	// not-a-registry
	{name: "podman old html 404", in: `Error: initializing source docker://nexus.example.com:8081/app:1.0: error pinging docker registry nexus.example.com:8081: error parsing HTTP 404 response body: invalid character '<' looking for beginning of value: "<!DOCTYPE html>\n<html lang=\"en\">..."`,
		code: "not-a-registry", registry: "nexus.example.com:8081", target: "nexus.example.com:8081/app:1.0"},
	{name: "podman html 404", in: `Error: initializing source docker://nexus.example.com:8081/app:1.0: pinging container registry nexus.example.com:8081: StatusCode: 404, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <title>..."`,
		code: "not-a-registry", registry: "nexus.example.com:8081"},
	{name: "docker login 404", in: `Error response from daemon: login attempt to https://nexus.example.com:8081/v2/ failed with status: 404 Not Found`,
		code: "not-a-registry", registry: "nexus.example.com:8081", client: clientDocker},
	{name: "crane 404 on /v2/", in: `Error: GET https://nexus.example.com:8081/v2/: unexpected status code 404 Not Found: <!DOCTYPE html>...`,
		code: "not-a-registry", registry: "nexus.example.com:8081", client: clientCrane},
	{name: "podman v1", in: `Error: initializing source docker://nexus.example.com:8081/app:1.0: can't talk to a V1 container registry`,
		code: "not-a-registry", registry: "nexus.example.com:8081"},

	// registry-misbehaving
	{name: "podman 502", in: `Error: initializing source docker://registry.example.com/team/app:1.0: reading manifest 1.0 in registry.example.com/team/app: received unexpected HTTP status: 502 Bad Gateway`,
		code: "registry-misbehaving", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},
	{name: "containerd 503", in: `failed to resolve reference "registry.example.com/app:1.0": unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/1.0: 503 Service Unavailable`,
		code: "registry-misbehaving", registry: "registry.example.com", client: clientContainerd},
	{name: "podman token not json", in: `Error: initializing source docker://registry.example.com/app:1.0: decoding bearer token (last URL "https://registry.example.com/v2/token?scope=repository%3Aapp%3Apull", body start "<html><head><title>Error</title></head><body>..."): invalid character '<' looking for beginning of value`,
		code: "registry-misbehaving", registry: "registry.example.com"},
	{name: "missing realm", in: `Error: initializing source docker://registry.example.com/app:1.0: missing realm in bearer auth challenge`,
		code: "registry-misbehaving", registry: "registry.example.com"},
	{name: "redirect loop", in: `Get "https://registry.example.com/v2/": stopped after 10 redirects`,
		code: "registry-misbehaving", registry: "registry.example.com"},
	{name: "crane no token", in: "no token in bearer response:\n{\"message\":\"ok\"}",
		code: "registry-misbehaving"},
	{name: "containerd huge manifest", in: `rejecting 4194305 byte manifest for registry.example.com/app:1.0: not found`,
		code: "registry-misbehaving", registry: "registry.example.com"},
	{name: "connection reset", in: `Get "https://registry.example.com/v2/": read tcp 10.0.0.9:51234->10.0.0.5:443: read: connection reset by peer`,
		code: "registry-misbehaving", registry: "registry.example.com"},

	// rate-limited
	{name: "docker hub rate limit", in: `Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`,
		code: "rate-limited", client: clientDocker},
	{name: "podman docker hub rate limit", in: `Error: initializing source docker://docker.io/library/alpine:latest: reading manifest latest in docker.io/library/alpine: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`,
		code: "rate-limited", registry: "docker.io", target: "docker.io/library/alpine:latest", client: clientContainersImage},
	{name: "podman too many requests", in: `Error: initializing source docker://registry.example.com/app:1.0: too many requests to registry`,
		code: "rate-limited", registry: "registry.example.com"},
	{name: "containerd 429", in: `failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://registry-1.docker.io/v2/library/alpine/manifests/` + digest + `: 429 Too Many Requests`,
		code: "rate-limited", registry: "registry-1.docker.io", target: "registry-1.docker.io/library/alpine@" + digest},

	// token-realm-misconfigured
	{name: "crane private realm", in: `Error: GET https://registry.example.com/v2/: invalid realm in www-authenticate: realm host "10.0.0.7" is a private or link-local address`,
		code: "token-realm-misconfigured", registry: "registry.example.com", client: clientCrane},
	{name: "crane http realm", in: `refusing token-server redirect to "http://auth.example.com/token": realm scheme "http" not allowed for a secure registry; use https`,
		code: "token-realm-misconfigured"},
	{name: "crane unparsable realm", in: `refusing token-server redirect to "https://auth.example.com/%zz": parsing realm "https://auth.example.com/%zz": invalid URL escape "%zz"`,
		code: "token-realm-misconfigured"},
	{name: "nexus null realm", in: `Error: initializing source docker://nexus.example.com/app:1.0: Get "null://nexus.example.com/v2/token?scope=repository%3Aapp%3Apull": unsupported protocol scheme "null"`,
		code: "token-realm-misconfigured", registry: "nexus.example.com"},

	// token-realm-unreachable
	{name: "containerd realm dns", in: `failed to resolve reference "registry.example.com/team/app:1.0": failed to authorize: failed to fetch anonymous token: Get "https://auth.example.com/token?scope=repository%3Ateam%2Fapp%3Apull&service=registry.example.com": dial tcp: lookup auth.example.com on 10.0.0.2:53: no such host`,
		code: "token-realm-unreachable", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},
	{name: "podman realm unknown CA", in: `Error: initializing source docker://registry.example.com/team/app:1.0: Get "https://auth.example.com/token?account=ci&scope=repository%3Ateam%2Fapp%3Apull&service=registry.example.com": x509: certificate signed by unknown authority`,
		code: "token-realm-unreachable", registry: "registry.example.com"},

	// not-logged-in
	{name: "podman bear token (old)", in: `Error: initializing source docker://redis:latest: Requesting bear token: invalid status code from registry 403 (Forbidden)`,
		code: "not-logged-in", registry: "docker.io", target: "docker.io/redis:latest", client: clientContainersImage},
	{name: "podman bearer token", in: `Error: initializing source docker://mirror.docker.com/library/redis:latest: Requesting bearer token: invalid status code from registry 403 (Forbidden)`,
		code: "not-logged-in", registry: "mirror.docker.com", target: "mirror.docker.com/library/redis:latest"},
	{name: "podman bearer token (recent)", in: `Error: initializing source docker://mirror.docker.com/library/redis:latest: Requesting bearer token: received unexpected HTTP status: 403 Forbidden`,
		code: "not-logged-in", registry: "mirror.docker.com"},
	{name: "podman authentication required", in: `Error: initializing source docker://registry.example.com/app:1.0: reading manifest 1.0 in registry.example.com/app: authentication required`,
		code: "not-logged-in", registry: "registry.example.com"},
	{name: "docker no basic auth", in: `Error response from daemon: Head "https://registry.example.com/v2/app/manifests/1.0": no basic auth credentials`,
		code: "not-logged-in", registry: "registry.example.com", target: "registry.example.com/app:1.0", client: clientDocker},
	{name: "docker unauthorized", in: `Error response from daemon: Head "https://registry.example.com/v2/app/manifests/1.0": unauthorized: authentication required`,
		code: "not-logged-in", registry: "registry.example.com"},
	{name: "containerd 2 anonymous token 403", in: `failed to resolve reference "registry.example.com/team/app:1.0": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://registry.example.com/v2/token?scope=repository%3Ateam%2Fapp%3Apull&service=registry.example.com: 403 Forbidden`,
		code: "not-logged-in", registry: "registry.example.com", target: "registry.example.com/team/app:1.0", client: clientContainerd},
	{name: "containerd 1 anonymous token 403", in: `failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden`,
		code: "not-logged-in", check: "regdoctor check REGISTRY/REPOSITORY:TAG"},
	{name: "containerd HEAD 401", in: `failed to resolve reference "registry.example.com/app:1.0": unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/1.0: 401 Unauthorized`,
		code: "not-logged-in", registry: "registry.example.com"},
	{name: "crane token 401", in: `GET https://auth.docker.io/token?scope=repository%3Alibrary%2Fprivate%3Apull&service=registry.docker.io: unexpected status code 401 Unauthorized: {"details":"incorrect username or password"}`,
		code: "not-logged-in", client: clientCrane},
	{name: "podman 401 status", in: `Error: initializing source docker://registry.example.com/app:1.0: reading manifest 1.0 in registry.example.com/app: received unexpected HTTP status: 401 Unauthorized`,
		code: "not-logged-in", registry: "registry.example.com"},
	{name: "harbor not authorized", in: `Error response from daemon: unauthorized: access to the requested resource is not authorized`,
		code: "not-logged-in"},

	// bad-credentials
	{name: "podman invalid username/password", in: `Error: initializing source docker://registry.example.com/app:1.0: unable to retrieve auth token: invalid username/password: unauthorized: authentication required`,
		code: "bad-credentials", registry: "registry.example.com"},
	{name: "docker hub login", in: `Error response from daemon: Get "https://registry-1.docker.io/v2/": unauthorized: incorrect username or password`,
		code: "bad-credentials", registry: "registry-1.docker.io"},
	{name: "docker login 401", in: `Error response from daemon: login attempt to https://registry.example.com/v2/ failed with status: 401 Unauthorized`,
		code: "bad-credentials", registry: "registry.example.com"},
	{name: "podman login", in: `Error: logging into "quay.io": invalid username/password`,
		code: "bad-credentials", registry: "quay.io", client: clientContainersImage},
	{name: "containerd oauth 401", in: `failed to resolve reference "registry.example.com/app:1.0": failed to authorize: failed to fetch oauth token: unexpected status from POST request to https://registry.example.com/service/token: 401 Unauthorized`,
		code: "bad-credentials", registry: "registry.example.com"},

	// access-denied
	{name: "podman push denied (log)", in: "+ podman push registry.example.com/team/app:1.0\nGetting image source signatures\nCopying blob 5f70bf18a086 done\nError: writing blob: initiating layer upload to /v2/team/app/blobs/uploads/ in registry.example.com: denied: requested access to the resource is denied",
		code: "access-denied", registry: "registry.example.com", check: "regdoctor check --push-check registry.example.com/team/app:1.0"},
	{name: "insufficient scope", in: `Error response from daemon: Head "https://registry.example.com/v2/app/manifests/1.0": insufficient_scope: authorization failed`,
		code: "access-denied", registry: "registry.example.com"},
	{name: "containerd 403", in: `failed to resolve reference "registry.example.com/app:1.0": unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/1.0: 403 Forbidden`,
		code: "access-denied", registry: "registry.example.com"},
	{name: "crane 403", in: `GET https://registry.example.com/v2/app/manifests/1.0: unexpected status code 403 Forbidden`,
		code: "access-denied", registry: "registry.example.com"},
	{name: "ghcr DENIED on push", in: `PUT https://ghcr.io/v2/org/app/manifests/1.0: DENIED: permission_denied: write_package`,
		code: "access-denied", registry: "ghcr.io", check: "regdoctor check --push-check ghcr.io/org/app:1.0"},
	{name: "artifact registry", in: `Error response from daemon: Head "https://europe-docker.pkg.dev/v2/p/r/app/manifests/1.0": denied: Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/p/locations/europe/repositories/r" (or it may not exist)`,
		code: "access-denied", registry: "europe-docker.pkg.dev"},

	// repository-not-found
	{name: "docker pull access denied", in: `Error response from daemon: pull access denied for myorg/privateapp, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`,
		code: "repository-not-found", registry: "docker.io", target: "docker.io/myorg/privateapp", client: clientDocker},
	{name: "podman name unknown", in: `Error: initializing source docker://registry.example.com/redis:7: reading manifest 7 in registry.example.com/redis: name unknown: repository name not known to registry`,
		code: "repository-not-found", registry: "registry.example.com", target: "registry.example.com/redis:7"},
	{name: "crane NAME_UNKNOWN", in: `GET https://registry.example.com/v2/redis/manifests/7: NAME_UNKNOWN: repository name not known to registry`,
		code: "repository-not-found", registry: "registry.example.com", target: "registry.example.com/redis:7", client: clientCrane},

	// platform-not-available
	{name: "podman image index", in: `Error: choosing an image from manifest list docker://registry.example.com/app:1.0: no image found in image index for architecture "arm64", variant "v8", OS "linux"`,
		code: "platform-not-available", registry: "registry.example.com", check: "regdoctor check --platform linux/arm64/v8 registry.example.com/app:1.0"},
	{name: "podman image index unquoted", in: `no image found in image index for architecture arm64, variant "", OS linux`,
		code: "platform-not-available", check: "regdoctor check --platform linux/arm64 REGISTRY/REPOSITORY:TAG"},
	{name: "podman manifest list (old)", in: `Error choosing an image from manifest list docker://registry.example.com/app:1.0: no image found in manifest list for architecture arm64, variant "v8", OS linux`,
		code: "platform-not-available", registry: "registry.example.com"},
	{name: "docker no matching manifest", in: `Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries`,
		code: "platform-not-available", client: clientDocker},
	{name: "docker containerd store platform", in: `no matching manifest for linux/arm64/v8 in the manifest list entries: no match for platform in manifest: not found`,
		code: "platform-not-available"},
	{name: "containerd platform", in: `failed to pull and unpack image "registry.example.com/app:1.0": no match for platform in manifest: not found`,
		code: "platform-not-available", registry: "registry.example.com", client: clientContainerd},
	{name: "crane platform", in: `no child with platform linux/arm64 in index registry.example.com/app:1.0`,
		code: "platform-not-available", registry: "registry.example.com", check: "regdoctor check --platform linux/arm64 registry.example.com/app:1.0"},

	// tag-not-found
	{name: "podman manifest unknown (seed)", in: `Error: initializing source docker://myredis:v1.0.0: reading manifest v1.0.0 in mirror.docker.com/library/myredis: manifest unknown: manifest unknown`,
		code: "tag-not-found", registry: "mirror.docker.com", target: "mirror.docker.com/library/myredis:v1.0.0"},
	{name: "docker manifest unknown", in: `Error response from daemon: manifest for mirror.docker.com/library/myredis:v1.0.0 not found: manifest unknown: manifest unknown`,
		code: "tag-not-found", registry: "mirror.docker.com", target: "mirror.docker.com/library/myredis:v1.0.0", client: clientDocker},
	{name: "containerd not found", in: `failed to resolve reference "mirror.docker.com/library/myredis:v1.0.0": mirror.docker.com/library/myredis:v1.0.0: not found`,
		code: "tag-not-found", registry: "mirror.docker.com", client: clientContainerd},
	{name: "crane MANIFEST_UNKNOWN", in: `GET https://mirror.docker.com/v2/library/myredis/manifests/v1.0.0: MANIFEST_UNKNOWN: manifest unknown; map[Tag:v1.0.0]`,
		code: "tag-not-found", registry: "mirror.docker.com", target: "mirror.docker.com/library/myredis:v1.0.0", client: clientCrane},
	{name: "crane HEAD 404", in: `HEAD https://mirror.docker.com/v2/library/myredis/manifests/v1.0.0: unexpected status code 404 Not Found (HEAD responses have no body, use GET for details)`,
		code: "tag-not-found", registry: "mirror.docker.com"},
	{name: "ecr manifest unknown", in: `Error response from daemon: manifest unknown: Requested image not found`,
		code: "tag-not-found"},

	// head-get-mismatch
	{name: "crane HEAD fallback", in: `HEAD request failed, falling back on GET: HEAD https://mirror.docker.com/v2/library/redis/manifests/latest: unexpected status code 404 Not Found (HEAD responses have no body, use GET for details)`,
		code: "head-get-mismatch", registry: "mirror.docker.com", target: "mirror.docker.com/library/redis:latest"},
	{name: "containerd HEAD 405", in: `failed to resolve reference "mirror.docker.com/library/redis:latest": unexpected status from HEAD request to https://mirror.docker.com/v2/library/redis/manifests/latest: 405 Method Not Allowed`,
		code: "head-get-mismatch", registry: "mirror.docker.com"},

	// upload-too-large
	{name: "docker push 413", in: `error parsing HTTP 413 response body: invalid character '<' looking for beginning of value: "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"`,
		code: "upload-too-large", check: "regdoctor check --push-check REGISTRY/REPOSITORY:TAG"},

	{name: "413 (bare)", in: `413 Request Entity Too Large`, code: "upload-too-large"},

	// upload-refused
	// upload-refused
	{name: "containerd 411", in: `failed commit on ref "layer-sha256:abc": unexpected status from PUT request to https://registry.example.com/v2/team/app/blobs/uploads/5e1c?digest=sha256%3Aabc: 411 Length Required`,
		code: "upload-refused", registry: "registry.example.com"},
	{name: "docker 405", in: `error parsing HTTP 405 response body: unexpected end of JSON input: ""`,
		code: "upload-refused"},
	{name: "nexus group push", in: `Error: writing blob: initiating layer upload to /v2/app/blobs/uploads/ in nexus.example.com:8082: unknown: Deploying to groups is a PRO-licensed feature. See https://links.sonatype.com/product-nexus-repository`,
		code: "upload-refused"},
	{name: "blob upload invalid", in: `Error: writing blob: uploading layer chunked: blob upload invalid`,
		code: "upload-refused"},
	{name: "unsupported", in: `DELETE https://registry.example.com/v2/app/manifests/` + digest + `: UNSUPPORTED: The operation is unsupported.`,
		code: "upload-refused", registry: "registry.example.com"},

	// wrappers: timestamps, logfmt with escaped quotes, JSON, colour
	{name: "skopeo logfmt", in: `time="2024-05-01T10:00:03Z" level=fatal msg="initializing source docker://registry.example.com/app:1.0: pinging container registry registry.example.com: Get \"https://registry.example.com/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority"`,
		code: "tls-unknown-authority", registry: "registry.example.com", target: "registry.example.com/app:1.0", client: clientContainersImage},
	{name: "kubelet event JSON", in: `{"type":"Warning","reason":"Failed","message":"Failed to pull image \"registry.example.com/app:1.0\": rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example.com/app:1.0\": failed to resolve reference \"registry.example.com/app:1.0\": registry.example.com/app:1.0: not found"}`,
		code: "tag-not-found", registry: "registry.example.com", client: "containerd via kubelet (CRI)"},
	{name: "ansi colour and timestamp", in: "2024-05-01T10:00:02.1234567Z \x1b[31mError response from daemon: Get \"https://registry.example.com/v2/\": http: server gave HTTP response to HTTPS client\x1b[0m",
		code: "plain-http-registry", registry: "registry.example.com", client: clientDocker},
	{name: "docker containerd store", in: `Error response from daemon: failed to resolve reference "docker.io/library/redis:7.9": docker.io/library/redis:7.9: not found`,
		code: "tag-not-found", registry: "docker.io", target: "docker.io/library/redis:7.9", client: clientDockerContainerd},
	{name: "bare error after the pull that printed it", in: "Trying to pull registry.example.com/team/app:1.0...\nGet \"https://registry.example.com/v2/\": x509: certificate signed by unknown authority",
		code: "tls-unknown-authority", registry: "registry.example.com", target: "registry.example.com/team/app:1.0"},

	// several failures: the root one (catalogue order) first
	{name: "CI log with two failures",
		in: "2024-05-01T10:00:00Z + podman pull registry.example.com/team/app:1.0\n" +
			"2024-05-01T10:00:01Z Trying to pull registry.example.com/team/app:1.0...\n" +
			"2024-05-01T10:00:02Z Error: initializing source docker://registry.example.com/team/app:1.0: reading manifest 1.0 in registry.example.com/team/app: manifest unknown\n" +
			"2024-05-01T10:05:00Z Error: initializing source docker://registry.example.com/team/app:1.0: pinging container registry registry.example.com: Get \"https://registry.example.com/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority\n",
		code: "tls-unknown-authority", registry: "registry.example.com", also: []string{"tag-not-found"}},
	{name: "proxy and dns on different registries",
		in: "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": proxyconnect tcp: dial tcp 10.0.0.1:3128: i/o timeout\n" +
			"Error: initializing source docker://nexus.internal/app:1.0: pinging container registry nexus.internal: Get \"https://nexus.internal/v2/\": dial tcp: lookup nexus.internal: no such host\n",
		code: "dns-lookup-failed", registry: "nexus.internal", also: []string{"proxy-misconfigured"}},
}

func TestExplainTable(t *testing.T) {
	hit := map[int]bool{}
	codes := map[Code]bool{}
	for _, c := range explainCases {
		t.Run(c.name, func(t *testing.T) {
			e := Explain(c.in)
			var got []string
			for _, m := range e.Matches {
				got = append(got, string(m.Diagnosis.Code))
				hit[m.pattern] = true
			}
			want := append([]string{c.code}, c.also...)
			if !slices.Equal(got, want) {
				t.Fatalf("codes = %v, want %v\n%s", got, want, dump(e))
			}
			codes[Code(c.code)] = true
			m := e.Matches[0]
			if m.Registry != c.registry {
				t.Errorf("registry = %q, want %q\n%s", m.Registry, c.registry, dump(e))
			}
			if c.target != "" && m.Target != c.target {
				t.Errorf("target = %q, want %q", m.Target, c.target)
			}
			if c.client != "" && m.Client != c.client {
				t.Errorf("client = %q, want %q", m.Client, c.client)
			}
			if c.check != "" && m.CheckCommand != c.check {
				t.Errorf("check command = %q, want %q", m.CheckCommand, c.check)
			}
			checkMatch(t, m)
		})
	}
	if t.Failed() {
		return
	}
	for i, cm := range clientMessages {
		if !hit[i] {
			t.Errorf("clientMessages[%d] (%s, %q) is matched by no case in explainCases", i, cm.code, cm.re)
		}
	}
	for _, c := range catalogue {
		if len(c.messages) > 0 && !codes[c.Code] {
			t.Errorf("code %s has client messages but no case in explainCases", c.Code)
		}
	}
}

// checkMatch holds for every match of any input.
func checkMatch(t *testing.T, m ExplainMatch) {
	t.Helper()
	c, ok := Lookup(m.Diagnosis.Code)
	if !ok {
		t.Fatalf("match code %q not in catalogue", m.Diagnosis.Code)
	}
	if m.Diagnosis.Title != c.Title || m.Layer != c.Layer || m.Diagnosis.Docs != c.Docs() || len(m.Diagnosis.Remediation) == 0 {
		t.Errorf("diagnosis not filled from the catalogue: %+v", m.Diagnosis)
	}
	if m.Evidence == "" || m.Client == "" || m.Count < 1 || m.Line < 1 {
		t.Errorf("incomplete match: %+v", m)
	}
	if !strings.HasPrefix(m.CheckCommand, "regdoctor check ") {
		t.Errorf("check command %q", m.CheckCommand)
	}
	if m.Target != "" {
		if !strings.HasSuffix(m.CheckCommand, " "+m.Target) {
			t.Errorf("check command %q does not end in target %q", m.CheckCommand, m.Target)
		}
		tg, err := target.Parse(m.Target)
		if err != nil {
			t.Errorf("target %q does not parse: %v", m.Target, err)
		} else if m.Diagnosis.Code == "short-name-unresolved" {
			if m.Registry != "" || tg.ShortInput != m.Repository {
				t.Errorf("short name %q: registry %q, repository %q", m.Target, m.Registry, m.Repository)
			}
		} else if tg.ShortInput != "" {
			t.Errorf("target %q is a short name", m.Target)
		} else if tg.Registry != m.Registry || tg.Repository != m.Repository || tg.Reference != m.Reference {
			t.Errorf("target %q parses to %+v, match says %q %q %q", m.Target, tg, m.Registry, m.Repository, m.Reference)
		}
		if !safeArg.MatchString(m.Target) {
			t.Errorf("target %q is not shell-safe", m.Target)
		}
	} else if m.Registry != "" {
		t.Errorf("registry %q without a target", m.Registry)
	}
	for _, a := range m.Alternatives {
		if _, ok := Lookup(a); !ok || a == m.Diagnosis.Code {
			t.Errorf("alternative %q", a)
		}
	}
}

func dump(e Explanation) string {
	b, _ := json.MarshalIndent(e, "", "  ")
	return string(b)
}

// Each message lives in its code's entry and names only catalogue codes.
func TestClientMessagesMatchCatalogue(t *testing.T) {
	for _, e := range catalogue {
		for i, cm := range e.messages {
			if cm.code != e.Code {
				t.Errorf("%s.messages[%d] means %s: it belongs in that entry", e.Code, i, cm.code)
			}
			for _, c := range append(slices.Clone(cm.maybe), cm.over...) {
				if _, ok := Lookup(c); !ok {
					t.Errorf("%s.messages[%d]: names code %q, not in the catalogue", e.Code, i, c)
				}
			}
			if len(cm.keys) == 0 {
				t.Errorf("%s.messages[%d]: no keys", e.Code, i)
			}
			if cm.client != clientAnyGo && !slices.Contains([]string{clientContainersImage, clientDocker, clientContainerd, clientCrane}, cm.client) {
				t.Errorf("%s.messages[%d]: client %q", e.Code, i, cm.client)
			}
		}
	}
}

func TestExplainNothing(t *testing.T) {
	e := Explain("Step 3/7 : RUN make\nmake: *** [Makefile:12: all] Error 2\nTrying to pull registry.example.com/team/app:1.0...\nStoring signatures\n")
	if len(e.Matches) != 0 {
		t.Fatalf("matched %s", dump(e))
	}
	if e.Target != "registry.example.com/team/app:1.0" || e.CheckCommand != "regdoctor check registry.example.com/team/app:1.0" {
		t.Errorf("target %q, check %q", e.Target, e.CheckCommand)
	}
	if e.Lines != 4 {
		t.Errorf("lines = %d", e.Lines)
	}
	e = Explain("")
	if len(e.Matches) != 0 || e.Target != "" || e.CheckCommand != "" || e.Matches == nil {
		t.Errorf("empty input: %s", dump(e))
	}
}

func TestExplainCountsRepeats(t *testing.T) {
	line := `Error response from daemon: Get "https://registry.example.com/v2/": dial tcp 10.0.0.5:443: i/o timeout`
	e := Explain(strings.Repeat(line+"\n", 5))
	if len(e.Matches) != 1 || e.Matches[0].Count != 5 || e.Matches[0].Line != 1 {
		t.Fatalf("%s", dump(e))
	}
}

// Each message on a line takes the target named closest before it: here the
// mirror's error names the mirror, the rest the registry.
func TestExplainTargetPerMessage(t *testing.T) {
	e := Explain(`initializing source docker://quay.io/org/app:1: (Mirrors also failed: [mirror.example.com/org/app:1: reading manifest 1 in mirror.example.com/org/app: manifest unknown]): quay.io/org/app:1: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp 1.2.3.4:443: i/o timeout`)
	got := map[string]string{}
	for _, m := range e.Matches {
		got[string(m.Diagnosis.Code)] = m.Target
	}
	want := map[string]string{"mirror-failing": "quay.io/org/app:1", "connection-timeout": "quay.io/org/app:1", "tag-not-found": "mirror.example.com/org/app:1"}
	if !maps.Equal(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
}

func TestExplainAlternativesAndRemediation(t *testing.T) {
	e := Explain(`Error response from daemon: Get "https://mirror.docker.com/v2/": http: server gave HTTP response to HTTPS client`)
	rem := strings.Join(e.Matches[0].Diagnosis.Remediation, "\n")
	for _, want := range []string{"location = \"mirror.docker.com\"", "\"insecure-registries\": [\"mirror.docker.com\"]", "/etc/containerd/certs.d/mirror.docker.com/hosts.toml"} {
		if !strings.Contains(rem, want) {
			t.Errorf("remediation lacks %q:\n%s", want, rem)
		}
	}
	e = Explain(`Error response from daemon: pull access denied for myorg/privateapp, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`)
	if got := e.Matches[0].Alternatives; !slices.Equal(got, []Code{NotLoggedIn, AccessDenied}) {
		t.Errorf("alternatives = %v", got)
	}
	e = Explain(`failed to resolve reference "registry.example.com/team/app:1.0": failed to authorize: failed to fetch anonymous token: Get "https://auth.example.com/token?scope=x": dial tcp: lookup auth.example.com: no such host`)
	if rem := strings.Join(e.Matches[0].Diagnosis.Remediation, "\n"); !strings.Contains(rem, "regdoctor check auth.example.com") {
		t.Errorf("realm remediation: %s", rem)
	}
}

func TestExplainJSON(t *testing.T) {
	e := Explain(`Error: initializing source docker://mirror.docker.com/library/redis:latest: Requesting bearer token: invalid status code from registry 403 (Forbidden)`)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Matches []map[string]any `json:"matches"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Matches[0]
	for _, k := range []string{"diagnosis", "client", "layer", "target", "registry", "repository", "reference", "check_command", "evidence", "line", "count"} {
		if _, ok := m[k]; !ok {
			t.Errorf("match lacks %q: %s", k, b)
		}
	}
	d := m["diagnosis"].(map[string]any)
	for _, k := range []string{"code", "severity", "title", "detail", "remediation", "docs", "layer"} {
		if _, ok := d[k]; !ok {
			t.Errorf("diagnosis lacks %q", k)
		}
	}
	if m["registry"] != "mirror.docker.com" || m["repository"] != "library/redis" || m["reference"] != "latest" || m["client"] != clientContainersImage {
		t.Errorf("%s", b)
	}
}

// slowInputs are worst cases of about 2 MiB each (8 MiB, the most Explain
// reads, takes about four times as long: the work is linear).
var slowInputs = map[string]string{
	"long line of near misses": strings.Repeat("x509: certificate is valid for a, b, c, ", 50000),
	"many short lines":         strings.Repeat("lookup a on b: failed to resolve reference \"x\": manifest for y\n", 33000),
	"one huge token":           strings.Repeat("a", MaxExplainInput+100),
	"many targets":             strings.Repeat("Trying to pull r.example.com/a/b:1...\nmanifest unknown\n", 40000),
}

// No input runs long: Explain is linear, with bounded work per line.
func TestExplainBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	for name, in := range slowInputs {
		start := time.Now()
		e := Explain(in)
		d := time.Since(start)
		t.Logf("%s: %d bytes in %s", name, len(in), d)
		if d > 20*time.Second {
			t.Errorf("%s: %s", name, d)
		}
		if len(e.Matches) > maxExplainMatches {
			t.Errorf("%s: %d matches", name, len(e.Matches))
		}
	}
	if e := Explain(slowInputs["one huge token"]); !e.Truncated {
		t.Error("input over MaxExplainInput not marked truncated")
	}
}

// A message cut by a window edge of a very long line is still found.
func TestExplainLongLine(t *testing.T) {
	pad := strings.Repeat("y", maxExplainLine-20)
	e := Explain(pad + ` x509: certificate signed by unknown authority ` + pad)
	if len(e.Matches) != 1 || e.Matches[0].Diagnosis.Code != "tls-unknown-authority" {
		t.Fatalf("%d matches", len(e.Matches))
	}
}

var ansiFree = regexp.MustCompile("\x1b")

func TestNormalizeLine(t *testing.T) {
	got := normalizeLine("\x1b[1;31mmsg=\"Get \\\"https://h/v2/\\\": x\\u003c\"\r")
	if ansiFree.MatchString(got) || got != `msg="Get "https://h/v2/": x<"` {
		t.Errorf("%q", got)
	}
}

// Whatever secrets a pasted text holds, explain does not echo them.
func TestExplainRedactsThePaste(t *testing.T) {
	in := strings.Join([]string{
		`Error: parsing image configuration: Get "https://bucket.s3.amazonaws.com/x/data?X-Amz-Credential=AKIAEXAMPLEKEY&X-Amz-Signature=f00dfeedcafe1234&X-Amz-Security-Token=SessionTok3n": dial tcp 52.0.0.1:443: i/o timeout`,
		`Error: initializing source docker://registry.example.com/team/app:1.0: pinging container registry registry.example.com: Get "https://alice:Pa55w0rd-leak@registry.example.com/v2/": x509: certificate signed by unknown authority`,
		`Error response from daemon: Head "https://registry.example.com/v2/team/app/manifests/1.0": unauthorized: authentication required; Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA`,
	}, "\n")
	e := Explain(in)
	if len(e.Matches) == 0 {
		t.Fatal("nothing matched")
	}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"AKIAEXAMPLEKEY", "f00dfeedcafe1234", "SessionTok3n", "Pa55w0rd-leak", "c2lnbmF0dXJlLXNlY3JldA", "eyJzdWIiOiJhbGljZSJ9"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("explain echoed %q", secret)
		}
	}
}
