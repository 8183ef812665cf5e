package diagnose

// The codes of the registry API itself: an address that is not a registry, one that breaks the API, rate limits.
// Each entry holds what the code is, the generic fix, the check that
// confirms it and how the clients word it; the rules that find it in a
// run are in rules_api.go.

const (
	NotARegistry        Code = "not-a-registry"
	RegistryMisbehaving Code = "registry-misbehaving"
	RateLimited         Code = "rate-limited"
)

var apiCodes = []Entry{
	{Code: NotARegistry, Severity: Error, Layer: LayerAPI,
		Title: "The address answers HTTP but is not a registry API",
		fix: func(a fixArgs) []string {
			hp := a.t.Registry
			return []string{
				"Use the address and port of the registry API, not of a web page: `curl -i https://" + hp + "/v2/` must answer 200 or 401 with `Docker-Distribution-API-Version: registry/2.0`.",
				"Nexus: port 8081 is the web UI. Give the docker repository an HTTP or HTTPS connector port (Repository → your docker repo → Repository Connectors), or route /v2/ to it in the reverse proxy, and use that port.",
			}
		},
		messages: []clientMessage{
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
		},
	},
	{Code: RegistryMisbehaving, Severity: Error, Layer: LayerAPI,
		Title:   "The registry answers, but not as the registry API specifies",
		lowered: "info when crane alone is judged and the only fault is a token answer crane decodes",
		decides: misbehavingDecides,
		fix: func(a fixArgs) []string {
			return []string{
				"Check the registry's (and any proxy's) logs at the time of the failure; `regdoctor check --trace` shows every exchange.",
				"If a reverse proxy sits in front, check that it passes /v2/ through unchanged (no rewrites, no HTML error pages, proxy_buffering settings).",
			}
		},
		messages: []clientMessage{
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
		},
	},
	{Code: RateLimited, Severity: Error, Layer: LayerAPI,
		Title: "The registry is rate-limiting requests",
		fix: func(a fixArgs) []string {
			t := a.t
			rem := []string{"Wait for the window to reset (Retry-After / RateLimit headers), and log in: authenticated pulls get a higher limit."}
			if isDockerHub(t) {
				return append(rem, "Docker Hub: pull through a mirror or a proxy repository (Nexus docker proxy, Harbor proxy cache) and point clients at it: registries.conf [[registry.mirror]] or daemon.json \"registry-mirrors\".")
			}
			return append(rem, "Spread pulls over time, or cache images in a proxy repository closer to the clients.")
		},
		messages: []clientMessage{
			msg(RateLimited, clientAnyGo, `(?:toomanyrequests|TOOMANYREQUESTS): [^\n"]*|You have reached your (?:unauthenticated )?pull rate limit`, "toomanyrequests", "TOOMANYREQUESTS", "rate limit"),
			msg(RateLimited, clientContainersImage, `too many requests to registry`, "too many requests to registry"),
			msg(RateLimited, clientAnyGo, `429 Too Many Requests|(?:StatusCode:|status code|status:) 429\b`, "429"),
		},
	},
}
