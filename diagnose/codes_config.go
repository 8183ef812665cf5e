package diagnose

import "strings"

// The codes of the client machine's configuration: files that do not parse, credential helpers, certs.d, registries.conf, mirrors.
// Each entry holds what the code is, the generic fix, the check that
// confirms it and how the clients word it; the rules that find it in a
// run are in rules_config.go.

const (
	ConfigInvalid           Code = "config-invalid"
	CredentialHelperFailed  Code = "credential-helper-failed"
	CertsDirInvalid         Code = "certs-dir-invalid"
	ShortNameUnresolved     Code = "short-name-unresolved"
	RegistryBlocked         Code = "registry-blocked"
	CredentialsForOtherHost Code = "credentials-for-other-host"
	MirrorFailing           Code = "mirror-failing"
)

var configCodes = []Entry{
	{Code: ConfigInvalid, Severity: Error, Layer: LayerConfig,
		Title:   "A client configuration file does not parse",
		decides: problemDecides(ConfigInvalid),
		fix: func(a fixArgs) []string {
			file := a.g["file"]
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
				"Fix or remove " + file + a.g["line"] + "; `podman login` rewrites a valid file, and `jq . " + file + "` shows where a JSON file breaks.",
				"Until then podman, skopeo and docker fail before they contact any registry.",
			}
		},
		messages: []clientMessage{
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
		},
	},
	{Code: CredentialHelperFailed, Severity: Error, Layer: LayerConfig,
		Title:   "The credential helper hangs, floods its output, or leaves it open",
		decides: problemDecides(CredentialHelperFailed),
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			config, from := "~/.docker/config.json", ""
			if f := a.g["file"]; f != "" {
				config, from = f, " from "+f
			}
			return []string{
				"Run the helper as the clients do: `echo " + hp + " | docker-credential-NAME get` (NAME as credsStore / credHelpers in " + config + " give it) must print one small JSON object and exit at once.",
				"Fix or reinstall the helper (a locked keychain or a stuck agent is the usual cause), or remove the credsStore / credHelpers entry" + from + " and log in again, so the credentials are stored in the file.",
			}
		},
		noMessages: "a helper that hangs, or whose background process holds its output open, makes the client hang without a word; one that floods ends in a bare JSON decode error that names no helper; only `regdoctor check` runs the helper with a limit",
	},
	{Code: CertsDirInvalid, Severity: Error, Layer: LayerConfig,
		Title:   "A certs.d directory holds a client key without its certificate",
		decides: onlyContainersImage,
		fix: func(a fixArgs) []string {
			dir := a.g["dir"]
			if dir == "" {
				dir = "/etc/containers/certs.d/" + a.t.Registry
			}
			return []string{"Give every client key X.key its certificate X.cert in the same directory, or remove the key: podman refuses the whole directory (" + dir + "); CA certificates must be named *.crt."}
		},
		messages: []clientMessage{
			msg(CertsDirInvalid, clientContainersImage, `missing client certificate (?P<file>\S+) for key \S+`, "missing client certificate"),
			msg(CertsDirInvalid, clientContainersImage, `missing key (?P<file>\S+) for client certificate \S+`, "missing key").
				means("A certs.d directory holds a client certificate (.cert) without its key; CA certificates must end in .crt."),
		},
	},
	{Code: ShortNameUnresolved, Severity: Error, Layer: LayerConfig,
		Title:   "A short image name resolves to no registry",
		decides: shortNameDecides,
		fix: func(a fixArgs) []string {
			t := a.t
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
		},
		checkFlags: flags("--client podman"),
		messages: []clientMessage{
			msg(ShortNameUnresolved, clientContainersImage, `short-name "(?P<short>[^"]+)" did not resolve to an alias and no [^\n"]*`, "did not resolve to an alias"),
			msg(ShortNameUnresolved, clientContainersImage, `short-name resolution enforced but cannot prompt without a TTY`, "cannot prompt without a TTY").
				means("Several search registries could serve the name and short-name-mode is enforcing, so podman wants to ask, but there is no terminal."),
		},
	},
	{Code: RegistryBlocked, Severity: Error, Layer: LayerConfig,
		Title:   "registries.conf blocks this registry",
		decides: blockedDecides,
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			file := a.g["file"]
			if file == "" {
				file = "registries.conf (or a drop-in in registries.conf.d)"
			}
			return []string{
				"Remove `blocked = true` from the [[registry]] entry for " + hp + " in " + file + ", if the block is not intended.",
				"If it is intended, pull through the registry or mirror your platform team provides.",
			}
		},
		checkFlags: flags("--client podman"),
		messages: []clientMessage{
			msg(RegistryBlocked, clientContainersImage, `registry (?P<host>`+pHost+`) is blocked in (?P<file>[^\s"]+)`, "is blocked in"),
		},
	},
	{Code: CredentialsForOtherHost, Severity: Warning, Layer: LayerConfig,
		Title: "Credentials are stored under a key the client does not look up",
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			return []string{"Log in again with the exact registry name the image reference uses: `podman login " + hp + "` / `docker login " + hp + "`; that stores the entry under the right key."}
		},
		noMessages: "clients print nothing about the credentials: they behave as if never logged in, which explain reports as not-logged-in; only `regdoctor check` reads the auth files",
	},
	{Code: MirrorFailing, Severity: Warning, Layer: LayerConfig,
		Title: "A configured mirror fails while the registry works, or the other way round",
		fix: func(a fixArgs) []string {
			g := a.g
			mirror := "the mirror"
			if m := parseFound(g["mirror"], true); m.ok {
				mirror = m.t.Registry
			}
			return []string{
				"Fix " + mirror + ", or remove its [[registry.mirror]] entry from /etc/containers/registries.conf or the drop-in under registries.conf.d that adds it (docker: \"registry-mirrors\" in daemon.json).",
				"When the registry is what fails, fix the registry: the mirror only serves pulls of content it already has, and only for clients configured with it.",
			}
		},
		messages: []clientMessage{
			// mirror-failing: containers/image tried the mirrors, then the
			// registry; the bracketed errors are the mirrors'.
			msg(MirrorFailing, clientContainersImage, `\(Mirrors also failed: \[(?P<mirror>`+pRef+`): [^\n]*?\]\)`, "Mirrors also failed").
				means("Every configured mirror failed, and so did the registry itself: the errors in brackets are the mirrors', the rest of the line is the registry's."),
		},
	},
}
