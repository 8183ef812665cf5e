package diagnose

import "github.com/regdoctor/regdoctor/checks"

// The codes of the image's content: repositories, tags, manifests, blobs, platforms.
// Each entry holds what the code is, the generic fix, the check that
// confirms it and how the clients word it; the rules that find it in a
// run are in rules_api.go.

const (
	RepositoryNotFound     Code = "repository-not-found"
	TagNotFound            Code = "tag-not-found"
	NotAnImage             Code = "not-an-image"
	ManifestSchema1        Code = "manifest-schema1"
	ManifestInvalid        Code = "manifest-invalid"
	BlobUnknown            Code = "blob-unknown"
	BlobCorrupt            Code = "blob-corrupt"
	BlobStorageUnreachable Code = "blob-storage-unreachable"
	HeadGetMismatch        Code = "head-get-mismatch"
	PlatformNotAvailable   Code = "platform-not-available"
	PullStepFailed         Code = "pull-step-failed"
)

var contentCodes = []Entry{
	{Code: RepositoryNotFound, Severity: Error, Layer: LayerAPI,
		Title: "The repository does not exist",
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			return []string{
				"Check the repository path in the reference; on Docker Hub–style registries official images live under library/.",
				"List what exists: `crane catalog " + hp + "` (where the registry allows it), or look in the registry's UI; a private repository you cannot read looks the same on Docker Hub: `docker login` first.",
			}
		},
		messages: []clientMessage{
			msg(RepositoryNotFound, clientDocker, `pull access denied for (?P<repo>[^\s,]+), repository does not exist or may require 'docker login'`, "pull access denied for").
				or(NotLoggedIn, AccessDenied).overrides(AccessDenied).
				means("Docker Hub (and registries like it) answers the same for a missing repository and for one you may not read."),
			msg(RepositoryNotFound, clientAnyGo, `(?:name unknown|NAME_UNKNOWN)(?:: [^\n;"]*)?|repository name not known to registry`, "name unknown", "NAME_UNKNOWN", "repository name not known"),
		},
	},
	{Code: TagNotFound, Severity: Error, Layer: LayerAPI,
		Title: "The repository exists but the tag does not",
		fix: func(a fixArgs) []string {
			t := a.t
			hp := a.t.Registry
			return []string{
				"List the tags with `skopeo list-tags docker://" + hp + "/" + t.Repository + "` (or `crane ls " + hp + "/" + t.Repository + "`) and pick an existing one; `regdoctor check` suggests the closest.",
				"If the tag should exist, push it (to the hosted repository, not to a group).",
			}
		},
		messages: []clientMessage{
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
		},
	},
	{Code: NotAnImage, Severity: Error, Layer: LayerAPI,
		Title: "The reference names an OCI artifact, not a container image",
		fix: func(a fixArgs) []string {
			return []string{
				"Use the tool the artifact is for: `helm pull oci://REGISTRY/REPOSITORY --version TAG` for a Helm chart (application/vnd.cncf.helm.config.v1+json), `oras pull` for others, `cosign` for signatures.",
				"If an image was meant, the tag points at the wrong thing: `skopeo inspect --raw docker://REF` shows the manifest and its config media type.",
			}
		},
		messages: []clientMessage{
			msg(NotAnImage, clientContainersImage, `unsupported image-specific operation on artifact with type "(?P<mediatype>[^"]+)"`, "unsupported image-specific operation on artifact").
				means("The reference names an OCI artifact (a Helm chart, a signature, an SBOM), not a container image."),
			msg(NotAnImage, clientDocker, `Encountered remote "(?P<mediatype>[^"]+)"\([a-z]+\) when fetching`, "Encountered remote").
				means("The reference names an OCI artifact (a Helm chart, a signature, an SBOM), not a container image."),
		},
	},
	{Code: ManifestSchema1, Severity: Error, Layer: LayerAPI,
		Title:   "The image is stored as a Docker schema 1 manifest, which current clients refuse",
		lowered: "info when no judged client refuses schema 1",
		decides: schema1Decides,
		fix: func(a fixArgs) []string {
			ref := imageRef(a.t)
			return []string{
				"Convert it to a current manifest once, with a client that still reads schema 1: `skopeo copy --format v2s2 docker://" + ref + " docker://" + ref + "` (or `--format oci`), then pull again.",
				"Until then, dockerd and containerd read it again with DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 / CONTAINERD_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 in their environment, while the releases that still have the code last.",
				"Find the others: images pushed by docker before 1.10 (2016) or by tools that still write schema 1; `skopeo inspect --raw` shows \"schemaVersion\": 1.",
			}
		},
		messages: []clientMessage{
			msg(ManifestSchema1, clientDocker, `Docker Image manifest version 2, schema 1 support (?:is disabled by default|will be removed|has been removed)`, "schema 1 support").
				means("The image is stored as a Docker schema 1 manifest, which docker 26 and containerd 2.0 refuse by default."),
		},
	},
	{Code: ManifestInvalid, Severity: Error, Layer: LayerAPI,
		Title:   "The manifest the registry serves is not one clients accept",
		lowered: "only containerd and regctl for a wrong `Docker-Content-Digest` alone",
		decides: manifestPerClient,
		fix: func(a fixArgs) []string {
			url := a.g["url"]
			if url == "" {
				url = "https://" + a.t.Registry + "/v2/REPOSITORY/manifests/TAG"
			}
			return []string{
				"Look at what the registry serves: `curl -sS -D- -H 'Accept: " + checks.ManifestAccept + "' " + url + "` (add the token or -u user).",
				"An HTML page or an empty document comes from a proxy or web server answering in the registry's place (a catch-all location, an error page with status 200): route /v2/ to the registry unchanged.",
				"A Content-Type that contradicts the body, or a digest that is not the body's, comes from a proxy that rewrites manifests or their headers, or a registry bug: push the image again, and compare with `skopeo inspect --raw`.",
			}
		},
		messages: []clientMessage{
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
		},
	},
	{Code: BlobUnknown, Severity: Error, Layer: LayerAPI,
		Title: "Content the manifest names is missing from the registry",
		fix: func(a fixArgs) []string {
			rem := []string{
				"The registry lost content an image still points at. Push the image again (`skopeo copy` from where it was built, or `podman push`), which uploads what is missing.",
				"A pull-through cache (Nexus proxy, Harbor proxy cache, distribution `proxy`) that stored the manifest but not everything it names: purge the cached image so it is fetched again, and check the cache's upstream.",
				"Nexus: a \"Docker - Delete unused manifests and images\" or blob store compact task run while the image was in use, or a blob store restored from an older backup than the database; run Repair - Reconcile component database from blob store.",
				"distribution: run `registry garbage-collect` only with the registry read-only or stopped; a bucket lifecycle rule that expires objects deletes layers too.",
			}
			if a.g["product"] == "Nexus" {
				rem[0], rem[2] = rem[2], rem[0]
			}
			return rem
		},
		messages: []clientMessage{
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
		},
	},
	{Code: BlobCorrupt, Severity: Error, Layer: LayerAPI,
		Title: "A blob's content does not match its digest",
		fix: func(a fixArgs) []string {
			return []string{
				"Corrupt storage, or a proxy or cache that alters content: compare `curl -sL` of the blob with its digest (`sha256sum`), and check that the proxy neither compresses nor rewrites /v2/ bodies (nginx `gzip off;` for them).",
				"If the stored copy is corrupt, push the image again; on a pull-through cache, purge the cached blob so it is fetched again.",
			}
		},
		messages: []clientMessage{
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
		},
	},
	{Code: BlobStorageUnreachable, Severity: Error, Layer: LayerAPI,
		Title: "The registry sends blob downloads to storage the client cannot use",
		fix: func(a fixArgs) []string {
			storage := a.g["storage"]
			if storage == "" {
				storage = "the storage host in the message"
			}
			return []string{
				"Let clients reach " + storage + ": a firewall or proxy allow-list that names the registry must name its storage host too, and NO_PROXY must not send one through a proxy that cannot reach it.",
				"Or have the registry serve blobs itself: distribution `storage: redirect: disable: true`, Harbor `storage_service: redirect: disable: true` (Helm `persistence.imageChartStorage.disableredirect`), Nexus and Artifactory proxying blob downloads instead of redirecting.",
				"A 403 from storage: an expired or skewed pre-signed URL (check clocks), or a proxy that rewrites the query string.",
			}
		},
		messages: []clientMessage{
			// blob-storage-unreachable: the blob download, redirected to storage.
			msg(BlobStorageUnreachable, clientContainersImage, `(?:parsing image configuration|fetching blob|reading blob \S+): (?:Get|GET) "https://(?P<storage>[^/"]+)/[^"]*(?:X-Amz-|X-Goog-|verify=|[?&]sig=)[^"]*": \S[^\n]*`, "parsing image configuration", "fetching blob").
				overrides(transportCodes...).namesNoRegistry().
				means("The manifest resolved; the download of a blob, redirected to object storage or a CDN, failed there."),
			msg(BlobStorageUnreachable, clientDocker, `error pulling image configuration: (?:download failed after attempts=\d+: )?(?:dial tcp|received unexpected HTTP status: 403)[^\n]*`, "error pulling image configuration").
				overrides(transportCodes...).namesNoRegistry().
				means("docker resolved the manifest; fetching the image configuration, usually from the registry's storage or CDN, failed."),
		},
	},
	{Code: HeadGetMismatch, Severity: Error, Layer: LayerAPI,
		Title:      "HEAD on the manifest fails while GET succeeds",
		lowered:    "a warning when no judged client sends HEAD: the pull works here, a containerd node would fail",
		decides:    headDecides,
		serverSide: true,
		fix: func(a fixArgs) []string {
			t := a.t
			manifest := a.g["url"]
			if manifest == "" {
				manifest = "https://" + t.Registry + "/v2/" + t.Repository + "/manifests/" + t.Reference
			}
			return []string{
				"A reverse proxy routes HEAD elsewhere. In the nginx split from the usual Nexus guide, route HEAD with GET:\nif ($request_method ~* '^(GET|HEAD)$') { set $upstream \"nexus_docker_group\"; }",
				"Verify with `curl -I -H 'Accept: " + checks.ManifestAccept + "' " + manifest + "` (add the token or -u user).",
			}
		},
		messages: []clientMessage{
			msg(HeadGetMismatch, clientCrane, `HEAD request failed, falling back on GET: HEAD \S+: unexpected status code \d+`, "falling back on GET").
				overrides(TagNotFound).
				means("HEAD on the manifest failed; crane retried with GET. docker and containerd resolve with HEAD only."),
			msg(HeadGetMismatch, clientContainerd, `unexpected status from HEAD request to \S+: 405 Method Not Allowed`, "HEAD request to").
				overrides(UploadRefused).
				means("The registry (or its proxy) refuses HEAD on the manifest; containerd resolves tags with HEAD."),
		},
	},
	{Code: PlatformNotAvailable, Severity: Error, Layer: LayerAPI,
		Title:   "The image index has no manifest for the requested platform",
		lowered: "warning for a single-platform image for another platform: it pulls, but does not run",
		fix: func(a fixArgs) []string {
			t := a.t
			g := a.g
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
		},
		checkFlags: platformFlags,
		messages: []clientMessage{
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
		},
	},
}

var lastResort = []Entry{
	{Code: PullStepFailed, Severity: Error, Layer: LayerAPI,
		Title:   "A step of the pull failed in a way regdoctor has no specific diagnosis for",
		decides: ownFailureDecides,
		fix: func(a fixArgs) []string {
			return []string{"Run `regdoctor check -o json --trace REF` and hand its output (secrets redacted) to the registry's operators."}
		},
		noMessages: "it is regdoctor's own last resort for a failed step no rule names; a client's words for the failure are those of the step, which explain maps to that step's code",
	},
}
