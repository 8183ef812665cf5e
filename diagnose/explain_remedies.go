package diagnose

import (
	"net"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// What explain tells the user to do, and the check that confirms it.

func checkCommand(code Code, tg found, g groups, push bool) string {
	cmd := "regdoctor check"
	if code == ShortNameUnresolved || code == RegistryBlocked {
		cmd += " --client podman" // only containers/image reads registries.conf
	}
	if code == PlatformNotAvailable {
		if p := platformOf(g); p != "" {
			cmd += " --platform " + p
		}
	}
	if code == UploadTooLarge || code == UploadRefused || (code == AccessDenied && push) {
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
func explainRemediation(code Code, t checks.Target, g groups, push bool) []string {
	f := facts{rep: &Report{Target: t}, t: t}
	hp := t.Registry
	host := t.Hostname()
	if h := g["host"]; h != "" && code == DNSLookupFailed {
		host = strings.Trim(h, "[]")
		if hh, _, err := net.SplitHostPort(h); err == nil {
			host = hh
		}
	}
	file := g["file"]
	switch code {
	case ConfigInvalid:
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
	case CredentialHelperFailed:
		return []string{
			"Run the helper as the clients do: `echo " + hp + " | docker-credential-NAME get` (NAME as credsStore / credHelpers in ~/.docker/config.json give it) must print one small JSON object and exit at once.",
			"Fix or reinstall the helper (a locked keychain or a stuck agent is the usual cause), or remove the credsStore / credHelpers entry and log in again, so the credentials are stored in the file.",
		}
	case CertsDirInvalid:
		return []string{"Give every client key X.key its certificate X.cert in the same directory, or remove the key: podman refuses the whole directory (/etc/containers/certs.d/" + hp + "); CA certificates must be named *.crt."}
	case ShortNameUnresolved:
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
	case RegistryBlocked:
		if file == "" {
			file = "registries.conf (or a drop-in in registries.conf.d)"
		}
		return []string{
			"Remove `blocked = true` from the [[registry]] entry for " + hp + " in " + file + ", if the block is not intended.",
			"If it is intended, pull through the registry or mirror your platform team provides.",
		}
	case CredentialsForOtherHost:
		return []string{"Log in again with the exact registry name the image reference uses: `podman login " + hp + "` / `docker login " + hp + "`; that stores the entry under the right key."}
	case MirrorFailing:
		mirror := "the mirror"
		if m := parseFound(g["mirror"], true); m.ok {
			mirror = m.t.Registry
		}
		return []string{
			"Fix " + mirror + ", or remove its [[registry.mirror]] entry from /etc/containers/registries.conf or the drop-in under registries.conf.d that adds it (docker: \"registry-mirrors\" in daemon.json).",
			"When the registry is what fails, fix the registry: the mirror only serves pulls of content it already has, and only for clients configured with it.",
		}
	case DNSLookupFailed:
		return []string{
			"Check the spelling of " + host + " in the image reference and in registries.conf.",
			"For an internal registry, add it to the internal DNS zone, or map it in /etc/hosts: `echo 'IP " + host + "' | sudo tee -a /etc/hosts`.",
			"Test with `getent hosts " + host + "` (what the clients use) and `dig " + host + "`, on the machine that pulls (the docker daemon's host, the podman machine VM, the Kubernetes node).",
		}
	case ProxyMisconfigured:
		return []string{
			"If " + host + " is internal, add it to NO_PROXY (and no_proxy) for the client and its service: `NO_PROXY=" + host + ",$NO_PROXY`.",
			"Otherwise fix the proxy address in HTTPS_PROXY / HTTP_PROXY; for the docker daemon set it in /etc/systemd/system/docker.service.d/http-proxy.conf.",
		}
	case ConnectionRefused:
		port := t.Port()
		if port == "" {
			port = "443"
		}
		return []string{
			"Check that the registry is running and listening on port " + port + ": `ss -ltnp 'sport = :" + port + "'` on the registry host lists what listens there.",
			"Check the port in the reference. Usual ports: " + usualPorts + ".",
			"A reference without a port means 443; add `:PORT` when the registry listens elsewhere. A plain-HTTP registry with nothing on 443 also fails this way: see plain-http-registry.",
		}
	case ConnectionTimeout:
		return []string{
			"Check firewalls between this machine and " + t.HostPort("https") + " (iptables/nftables, cloud security groups).",
			"Compare with `nc -vz -w 5 " + host + " " + portOr443(t) + "` from another machine.",
		}
	case ServerNotResponding:
		return []string{
			"The process behind the port is hung or overloaded, or a load balancer accepts connections for a dead backend: check the registry's health and logs.",
			"If a proxy sits in front, check its upstream (nginx: `proxy_connect_timeout`, upstream address).",
		}
	case PlainHTTPRegistry:
		return []string{
			"podman, skopeo, buildah: add to /etc/containers/registries.conf (or ~/.config/containers/registries.conf):\n[[registry]]\nlocation = \"" + hp + "\"\ninsecure = true",
			"docker: add to /etc/docker/daemon.json, then `systemctl restart docker`:\n{ \"insecure-registries\": [\"" + hp + "\"] }",
			"containerd: /etc/containerd/certs.d/" + hp + "/hosts.toml:\nserver = \"http://" + hp + "\"\n[host.\"http://" + hp + "\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]",
			"skopeo and crane for a one-off: `--tls-verify=false` / `--insecure`.",
			"Better: serve TLS (a certificate from your CA, or terminate TLS in nginx in front of the registry), then none of the above is needed.",
		}
	case TLSUnknownAuthority:
		d, _ := tlsDiagnosis(f, checks.KindUnknownCA, "", nil)
		return d.Remediation
	case TLSCertExpired:
		d, _ := tlsDiagnosis(f, checks.KindCertExpired, "", nil)
		return append(d.Remediation, "See the dates: `echo | openssl s_client -connect "+t.HostPort("https")+" -servername "+host+" 2>/dev/null | openssl x509 -noout -dates`.")
	case TLSHostnameMismatch:
		d, _ := tlsDiagnosis(f, checks.KindHostname, "", nil)
		return d.Remediation
	case TLSClientCertRequired:
		return clientCertRemedies(t)
	case TLSProtocolMismatch:
		return legacyTLSRemedies()
	case NotAnImage:
		return []string{
			"Use the tool the artifact is for: `helm pull oci://REGISTRY/REPOSITORY --version TAG` for a Helm chart (application/vnd.cncf.helm.config.v1+json), `oras pull` for others, `cosign` for signatures.",
			"If an image was meant, the tag points at the wrong thing: `skopeo inspect --raw docker://REF` shows the manifest and its config media type.",
		}
	case ManifestSchema1:
		return []string{
			"Convert the image once with a client that still reads schema 1: `skopeo copy --format v2s2 docker://REF docker://REF`, then pull again.",
			"Until then: DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 in dockerd's environment (CONTAINERD_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 for containerd), while releases that still have the code last.",
		}
	case BlobStorageUnreachable:
		storage := "the storage host in the message"
		if h := g["storage"]; h != "" {
			storage = h
		}
		return []string{
			"Let clients reach " + storage + ": a firewall or proxy allow-list that names the registry must name its storage host too, and NO_PROXY must not send one through a proxy that cannot reach it.",
			"Or have the registry serve blobs itself: distribution `storage: redirect: disable: true`, Harbor `storage_service: redirect: disable: true`.",
			"A 403 from storage: an expired or skewed pre-signed URL (check clocks), or a proxy that rewrites the query string.",
		}
	case BlobUnknown:
		return []string{
			"The registry lost content an image still points at: push the image again, which uploads what is missing; on a pull-through cache (Nexus proxy, Harbor proxy cache), purge the cached image so it is fetched again.",
			"Nexus: a \"Docker - Delete unused manifests and images\" or compact task, or a blob store restored from an older backup: run Repair - Reconcile component database from blob store. distribution: run `registry garbage-collect` only with the registry read-only.",
		}
	case BlobCorrupt:
		return []string{
			"Compare what is served with the digest: `curl -sL` the blob (with the token or credentials) through `sha256sum`; `regdoctor check --pull REF` downloads and verifies every layer.",
			"A proxy that compresses or rewrites /v2/ bodies (nginx `gzip`, `sub_filter`) alters blobs: turn it off for /v2/. A corrupt stored copy: push the image again.",
		}
	case ManifestInvalid:
		return []string{
			"Look at what is served: `curl -sS -D- -H 'Accept: " + checks.ManifestAccept + "' https://" + hp + "/v2/REPOSITORY/manifests/TAG`; `regdoctor check REF` names what is wrong with it.",
			"An HTML page or a generic Content-Type comes from a proxy answering in the registry's place or rewriting headers: route /v2/ to the registry unchanged. A digest that does not match: push the image again.",
		}
	case PullStepFailed:
		return []string{"Run `regdoctor check -o json --trace REF` and hand its output (secrets redacted) to the registry's operators."}
	case NotARegistry:
		return []string{
			"Use the address and port of the registry API, not of a web page: `curl -i https://" + hp + "/v2/` must answer 200 or 401 with `Docker-Distribution-API-Version: registry/2.0`.",
			"Nexus: port 8081 is the web UI. Give the docker repository an HTTP or HTTPS connector port (Repository → your docker repo → Repository Connectors), or route /v2/ to it in the reverse proxy, and use that port.",
		}
	case RegistryMisbehaving:
		return []string{
			"Check the registry's (and any proxy's) logs at the time of the failure; `regdoctor check --trace` shows every exchange.",
			"If a reverse proxy sits in front, check that it passes /v2/ through unchanged (no rewrites, no HTML error pages, proxy_buffering settings).",
		}
	case RateLimited:
		rem := []string{"Wait for the window to reset (Retry-After / RateLimit headers), and log in: authenticated pulls get a higher limit."}
		if isDockerHub(t) {
			return append(rem, "Docker Hub: pull through a mirror or a proxy repository (Nexus docker proxy, Harbor proxy cache) and point clients at it: registries.conf [[registry.mirror]] or daemon.json \"registry-mirrors\".")
		}
		return append(rem, "Spread pulls over time, or cache images in a proxy repository closer to the clients.")
	case TokenRealmMisconfigured:
		return []string{
			"The realm comes from the registry's configuration: distribution `auth.token.realm`, Harbor `external_url`, Nexus the Base URL capability (System → Capabilities → Base URL) and the X-Forwarded-* headers your reverse proxy sets.",
			"See the realm the registry sends: `curl -si https://" + hp + "/v2/ | grep -i www-authenticate`.",
			"Nexus 3.77 can send a realm with a \"null\" scheme: set the Base URL capability to the external https URL, or upgrade.",
		}
	case TokenRealmUnreachable:
		realm := "the realm host"
		if r := g["realm"]; r != "" {
			realm = realmHost(r)
		}
		return []string{
			"Check the realm as a target of its own: `regdoctor check " + realm + "`.",
			"A realm often names an internal host name or a wrong external URL: fix the registry's token realm setting (distribution `auth.token.realm`, Nexus Base URL, Harbor `external_url`) to an address clients can reach.",
		}
	case NotLoggedIn:
		return loginRemedies(f)
	case BadCredentials:
		return []string{
			"Log in again: `podman login " + hp + "` (or `docker login " + hp + "`), which replaces the stored entry.",
			"If the password was changed or the account locked, ask the registry administrator; for Nexus, check the user is active and that \"Docker Bearer Token Realm\" is active under Security → Realms.",
		}
	case AccessDenied:
		if push {
			return []string{"Log in with an account that may push to " + t.Repository + ", or ask for the push (write) right."}
		}
		return []string{
			"Ask the registry administrator to grant your user read (pull) on " + t.Repository + ": Nexus: a role with nx-repository-view-docker-REPO-read/browse; Harbor: project member; distribution token server: the account's ACL.",
			"Check the repository path: a typo in it also looks like a denial on registries that hide unknown repositories.",
		}
	case ClockSkew:
		return []string{
			"Synchronise clocks with NTP on this machine, the registry and its token server: `timedatectl set-ntp true`, `chronyc tracking`.",
			"Registries reject tokens outside nbf/exp; a few minutes of skew is enough to fail.",
		}
	case RepositoryNotFound:
		return []string{
			"Check the repository path in the reference; on Docker Hub–style registries official images live under library/.",
			"List what exists: `crane catalog " + hp + "` (where the registry allows it), or look in the registry's UI; a private repository you cannot read looks the same on Docker Hub: `docker login` first.",
		}
	case TagNotFound:
		return []string{
			"List the tags with `skopeo list-tags docker://" + hp + "/" + t.Repository + "` (or `crane ls " + hp + "/" + t.Repository + "`) and pick an existing one; `regdoctor check` suggests the closest.",
			"If the tag should exist, push it (to the hosted repository, not to a group).",
		}
	case HeadGetMismatch:
		manifest := "https://" + hp + "/v2/" + t.Repository + "/manifests/" + t.Reference
		return []string{
			"A reverse proxy routes HEAD elsewhere. In the nginx split from the usual Nexus guide, route HEAD with GET:\nif ($request_method ~* '^(GET|HEAD)$') { set $upstream \"nexus_docker_group\"; }",
			"Verify with `curl -I -H 'Accept: " + checks.ManifestAccept + "' " + manifest + "` (add the token or -u user).",
		}
	case PlatformNotAvailable:
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
	case UploadTooLarge:
		return []string{
			"nginx: in the server block that proxies the registry set\nclient_max_body_size 0;\nchunked_transfer_encoding on;\n(nginx's default is 1m, far below a layer).",
			"Other proxies: raise the request body limit (HAProxy, ingress-nginx `nginx.ingress.kubernetes.io/proxy-body-size: \"0\"`).",
		}
	case UploadRefused:
		return []string{
			"Nexus group repositories cannot be pushed to (\"Deploying to groups is a PRO-licensed feature\"): push to the hosted repository's connector port, or route non-GET methods to it in the proxy as the usual nginx split does.",
			"nginx answering 411 Length Required: add `chunked_transfer_encoding on;`. 405 from a proxy: allow POST, PATCH, PUT and DELETE on /v2/.",
		}
	}
	return []string{"Read `regdoctor docs " + string(code) + "`."}
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
