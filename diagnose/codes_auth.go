package diagnose

// The codes of authentication: the token realm, credentials, access rights, clocks.
// Each entry holds what the code is, the generic fix, the check that
// confirms it and how the clients word it; the rules that find it in a
// run are in rules_auth.go.

const (
	TokenRealmMisconfigured Code = "token-realm-misconfigured"
	TokenRealmUnreachable   Code = "token-realm-unreachable"
	NotLoggedIn             Code = "not-logged-in"
	BadCredentials          Code = "bad-credentials"
	AccessDenied            Code = "access-denied"
	ClockSkew               Code = "clock-skew"
)

var authCodes = []Entry{
	{Code: TokenRealmMisconfigured, Severity: Error, Layer: LayerAuth,
		Title:   "The token realm URL in the challenge is malformed",
		lowered: "warning for an http realm, info for crane-only problems",
		decides: realmDecides,
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			return []string{
				"The realm comes from the registry's configuration: distribution `auth.token.realm`, Harbor `external_url`, Nexus the Base URL capability (System → Capabilities → Base URL) and the X-Forwarded-* headers your reverse proxy sets.",
				"See the realm the registry sends: `curl -si https://" + hp + "/v2/ | grep -i www-authenticate`.",
				"Nexus 3.77 can send a realm with a \"null\" scheme: set the Base URL capability to the external https URL, or upgrade.",
			}
		},
		messages: []clientMessage{
			msg(TokenRealmMisconfigured, clientCrane, `invalid realm in www-authenticate: [^\n"]*`, "invalid realm in www-authenticate"),
			msg(TokenRealmMisconfigured, clientCrane, `realm scheme "[^"]*" not allowed[^\n"]*`, "realm scheme"),
			msg(TokenRealmMisconfigured, clientCrane, `parsing realm "[^"]*"`, "parsing realm"),
			msg(TokenRealmMisconfigured, clientAnyGo, `unsupported protocol scheme "[^"]*"`, "unsupported protocol scheme").
				means("A URL the registry sent (the token realm, or a redirect) has no usable scheme; Nexus can send a \"null\" scheme when its Base URL is unset."),
		},
	},
	{Code: TokenRealmUnreachable, Severity: Error, Layer: LayerAuth,
		Title: "The token realm named by the registry cannot be reached",
		fix: func(a fixArgs) []string {
			g := a.g
			realm := "the realm host"
			if r := g["realm"]; r != "" {
				realm = realmHost(r)
			}
			return []string{
				"Check the realm as a target of its own: `regdoctor check " + realm + "`.",
				"A realm often names an internal host name or a wrong external URL: fix the registry's token realm setting (distribution `auth.token.realm`, Nexus Base URL, Harbor `external_url`) to an address clients can reach.",
			}
		},
		messages: []clientMessage{
			// token-realm-unreachable: a transport error on the token request.
			// Listed before the transport codes it overrides.
			msg(TokenRealmUnreachable, clientContainerd, `failed to fetch (?:anonymous|oauth) token: (?:Get|Post|GET|POST) "(?P<realm>[^"]+)": \S[^\n]*`, "failed to fetch").
				overrides(transportCodes...),
			msg(TokenRealmUnreachable, clientAnyGo, `(?:Get|Post|GET|POST) "?(?P<realm>https?://[^\s"]+?)"?: (?:dial tcp|proxyconnect|x509:|tls:|net/http: TLS handshake timeout|remote error|read tcp)[^\n"]*`, "token", "auth", "service=", "scope=").
				when(func(g groups) bool { return isRealmURL(g["realm"]) }).overrides(transportCodes...),
		},
	},
	{Code: NotLoggedIn, Severity: Error, Layer: LayerAuth,
		Title:   "The registry refuses anonymous access, and the client has no credentials for it",
		decides: notLoggedInDecides,
		fix: func(a fixArgs) []string {
			f := a.facts()
			return loginRemedies(f)
		},
		messages: []clientMessage{
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
		},
	},
	{Code: BadCredentials, Severity: Error, Layer: LayerAuth,
		Title: "The stored credentials are refused",
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			entry := "the stored entry"
			if f := a.g["file"]; f != "" {
				entry = "the entry in " + f
			}
			return []string{
				"Log in again: `podman login " + hp + "` (or `docker login " + hp + "`), which replaces " + entry + ".",
				"If the password was changed or the account locked, ask the registry administrator; for Nexus, check the user is active and that \"Docker Bearer Token Realm\" is active under Security → Realms.",
			}
		},
		messages: []clientMessage{
			// bad-credentials (before not-logged-in, which it overrides)
			msg(BadCredentials, clientContainersImage, `unable to retrieve auth token: invalid username/password`, "invalid username/password").
				or(NotLoggedIn).overrides(NotLoggedIn).
				means("The token realm answered 401. podman prints this even when no credentials were sent."),
			msg(BadCredentials, clientDocker, `unauthorized: incorrect username or password`, "incorrect username or password"),
			msg(BadCredentials, clientDocker, `login attempt to \S+ failed with status: 401 Unauthorized`, "login attempt to"),
			msg(BadCredentials, clientContainersImage, `logging into "[^"]+": invalid username/password`, "logging into"),
			msg(BadCredentials, clientContainerd, `failed to fetch oauth token: unexpected status(?: from POST request to \S+)?: 401\b`, "failed to fetch oauth token").
				overrides(NotLoggedIn),
		},
	},
	{Code: AccessDenied, Severity: Error, Layer: LayerAuth,
		Title: "The credentials are valid but grant no access to this repository",
		fix: func(a fixArgs) []string {
			t := a.t
			push := a.push
			if push {
				return []string{"Log in with an account that may push to " + t.Repository + ", or ask for the push (write) right."}
			}
			user := "your user"
			if u := a.g["user"]; u != "" {
				user = "user " + u
			}
			return []string{
				"Ask the registry administrator to grant " + user + " read (pull) on " + t.Repository + ": Nexus: a role with nx-repository-view-docker-REPO-read/browse; Harbor: project member; distribution token server: the account's ACL.",
				"Check the repository path: a typo in it also looks like a denial on registries that hide unknown repositories.",
			}
		},
		checkFlags: pushFlags,
		messages: []clientMessage{
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
		},
	},
	{Code: ClockSkew, Severity: Warning, Layer: LayerAuth,
		Title: "The token's validity window disagrees with the local clock",
		fix: func(a fixArgs) []string {
			return []string{
				"Synchronise clocks with NTP on this machine, the registry and its token server: `timedatectl set-ntp true`, `chronyc tracking`.",
				"Registries reject tokens outside nbf/exp; a few minutes of skew is enough to fail.",
			}
		},
		noMessages: "registries answer a token outside its validity window with a plain 401, which clients print as not-logged-in or bad-credentials; only `regdoctor check` sees the token's dates",
	},
}
