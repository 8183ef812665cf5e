package diagnose

// The codes of the network between the client and the registry: DNS, proxies, connections.
// Each entry holds what the code is, the generic fix, the check that
// confirms it and how the clients word it; the rules that find it in a
// run are in rules_network.go.

const (
	DNSLookupFailed     Code = "dns-lookup-failed"
	ProxyMisconfigured  Code = "proxy-misconfigured"
	ConnectionRefused   Code = "connection-refused"
	ConnectionTimeout   Code = "connection-timeout"
	ServerNotResponding Code = "server-not-responding"
)

var networkCodes = []Entry{
	{Code: DNSLookupFailed, Severity: Error, Layer: LayerNetwork,
		Title: "The registry host name does not resolve",
		fix: func(a fixArgs) []string {
			host := a.dnsHost()
			return []string{
				"Check the spelling of " + host + " in the image reference and in registries.conf.",
				"For an internal registry, add it to the internal DNS zone, or map it in /etc/hosts: `echo 'IP " + host + "' | sudo tee -a /etc/hosts`.",
				"Test with `getent hosts " + host + "` (what the clients use) and `dig " + host + "`, on the machine that pulls (the docker daemon's host, the podman machine VM, the Kubernetes node).",
			}
		},
		messages: []clientMessage{
			msg(DNSLookupFailed, clientAnyGo, `\blookup (?P<host>`+pHost+`)(?: on \S+)?: (?:no such host|server misbehaving|Temporary failure in name resolution|Name or service not known|No address associated with hostname|no answer from DNS server|getaddrinfow: [^"\n]*|(?:read|write|dial) udp \S+: [^"\n]*|i/o timeout)`, "lookup ").
				overrides(ConnectionTimeout, ConnectionRefused),
		},
	},
	{Code: ProxyMisconfigured, Severity: Error, Layer: LayerNetwork,
		Title: "HTTP(S)_PROXY routes registry traffic through a proxy that fails",
		fix: func(a fixArgs) []string {
			host := a.t.Hostname()
			return []string{
				"If " + host + " is internal, add it to NO_PROXY (and no_proxy) for the client and its service: `NO_PROXY=" + host + ",$NO_PROXY`.",
				"Otherwise fix the proxy address in HTTPS_PROXY / HTTP_PROXY; for the docker daemon set it in /etc/systemd/system/docker.service.d/http-proxy.conf.",
			}
		},
		messages: []clientMessage{
			msg(ProxyMisconfigured, clientAnyGo, `proxyconnect tcp: [^"\n]*`, "proxyconnect tcp").
				overrides(DNSLookupFailed, ConnectionRefused, ConnectionTimeout, ServerNotResponding, PlainHTTPRegistry, TLSUnknownAuthority, TLSCertExpired, TLSHostnameMismatch),
			msg(ProxyMisconfigured, clientAnyGo, `(?:407 )?Proxy Authentication Required`, "Proxy Authentication Required").
				means("The proxy in HTTPS_PROXY / HTTP_PROXY wants credentials the client does not send."),
			msg(ProxyMisconfigured, clientAnyGo, `(?:Get|Head|Post|Put|Patch) "?https://[^\s"]+"?: (?:Forbidden|Bad Gateway|Service Unavailable|Gateway Timeout)(?:$|[\s"'])`, "Forbidden", "Bad Gateway", "Service Unavailable", "Gateway Timeout").
				means("The proxy refused the CONNECT to the registry: Go reports the proxy's status alone."),
		},
	},
	{Code: ConnectionRefused, Severity: Error, Layer: LayerNetwork,
		Title: "Nothing listens on the registry port",
		fix: func(a fixArgs) []string {
			port := a.g["port"]
			if port == "" {
				port = portOr443(a.t)
			}
			return []string{
				"Check that the registry is running and listening on port " + port + ": `ss -ltnp 'sport = :" + port + "'` on the registry host lists what listens there.",
				"Check the port in the reference. Usual ports: " + usualPorts + ".",
				"A reference without a port means 443; add `:PORT` when the registry listens elsewhere. A plain-HTTP registry with nothing on 443 also fails this way: see plain-http-registry.",
			}
		},
		messages: []clientMessage{
			msg(ConnectionRefused, clientAnyGo, `(?:dial tcp (?P<addr>`+pAddr+`): )?(?:connect: connection refused|connectex: No connection could be made because the target machine actively refused it)`, "connection refused", "actively refused"),
		},
	},
	{Code: ConnectionTimeout, Severity: Error, Layer: LayerNetwork,
		Title: "The connection attempt got no answer",
		fix: func(a fixArgs) []string {
			t := a.t
			dialled, port := a.g["dialled"], a.g["port"]
			if dialled == "" {
				dialled = t.HostPort("https")
			}
			if port == "" {
				port = portOr443(t)
			}
			return []string{
				"Check firewalls between this machine and " + dialled + " (iptables/nftables, cloud security groups).",
				"Compare with `nc -vz -w 5 " + t.Hostname() + " " + port + "` from another machine.",
			}
		},
		messages: []clientMessage{
			msg(ConnectionTimeout, clientAnyGo, `dial tcp (?P<addr>`+pAddr+`): (?:connect: )?(?:i/o timeout|connection timed out|no route to host|network is unreachable)`, "i/o timeout", "timed out", "no route to host", "network is unreachable"),
			msg(ConnectionTimeout, clientAnyGo, `connectex: A connection attempt failed because the connected party did not properly respond`, "connected party did not properly respond"),
			msg(ConnectionTimeout, clientAnyGo, `net/http: request canceled while waiting for connection`, "waiting for connection").
				or(ServerNotResponding),
		},
	},
	{Code: ServerNotResponding, Severity: Error, Layer: LayerNetwork,
		Title: "The server accepts connections but never answers",
		fix: func(a fixArgs) []string {
			return []string{
				"The process behind the port is hung or overloaded, or a load balancer accepts connections for a dead backend: check the registry's health and logs.",
				"If a proxy sits in front, check its upstream (nginx: `proxy_connect_timeout`, upstream address).",
			}
		},
		messages: []clientMessage{
			msg(ServerNotResponding, clientAnyGo, `net/http: TLS handshake timeout`, "TLS handshake timeout"),
			msg(ServerNotResponding, clientAnyGo, `(?:net/http: request canceled|context deadline exceeded) \(Client\.Timeout exceeded while awaiting headers\)|(?:net/http|http2): timeout awaiting response headers`, "awaiting headers", "awaiting response headers").
				or(ConnectionTimeout),
			msg(ServerNotResponding, clientContainerd, `failed to do request: `+pMethod+` "[^"]+": context deadline exceeded`, "context deadline exceeded").
				or(ConnectionTimeout),
		},
	},
}
