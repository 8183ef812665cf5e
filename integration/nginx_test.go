//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nginx is a running reverse proxy in front of one or two registries.
type nginx struct {
	host string
	url  string // scheme://host
	proc *process
}

// nginxSite is the part of the config that differs between fixtures: the
// upstream blocks, directives of the http block (limit_req_zone) and the
// body of the server block, in the style of the Nexus + nginx setup in
// shared/seed/nexus3-podman-private-registry.md. With tls set, nginx
// terminates HTTPS with that certificate and key.
type nginxSite struct {
	upstreams map[string]string // name -> 127.0.0.1:PORT
	http      string
	server    string
	tls       *keyPair
}

// proxyHeaders are the seed's proxy directives (buffering off, Host kept so
// the registry builds upload URLs that point back at the proxy).
const proxyHeaders = `
        proxy_set_header Host $http_host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 10s;
        proxy_send_timeout 60s;
        proxy_read_timeout 60s;
        proxy_buffering off;
        proxy_request_buffering off;`

// proxyTo is a location body that passes the request to upstream "registry".
const proxyTo = `
        proxy_pass http://registry;` + proxyHeaders

// proxySite proxies everything to one upstream at addr (127.0.0.1:PORT).
// extra is inserted into the server block before the catch-all location.
func proxySite(addr, extra string) nginxSite {
	return nginxSite{
		upstreams: map[string]string{"registry": addr},
		server: `
    chunked_transfer_encoding on;` + extra + `
    location / {` + proxyTo + `
    }`,
	}
}

// bodyLimitSite proxies everything to upstream but, unlike the seed, does not
// set client_max_body_size: nginx's default of 1m applies, so any blob upload
// request body above 1 MiB is answered 413 Request Entity Too Large.
func bodyLimitSite(upstream *registry) nginxSite { return proxySite(upstream.host, "") }

// deadUpstreamSite is the seed's proxy with its upstream down (addr is a
// closed port): nginx answers every request, /v2/ included, with its own
// 502 Bad Gateway HTML page.
func deadUpstreamSite(addr string) nginxSite { return proxySite(addr, "") }

// pullOnlySite is a proxy that allows only pulls: every method but GET and
// HEAD gets 405 Not Allowed from nginx itself, so a push dies on its first
// request (POST /v2/REPO/blobs/uploads/).
func pullOnlySite(upstream *registry) nginxSite {
	return proxySite(upstream.host, `
    client_max_body_size 0;
    if ($request_method !~ ^(GET|HEAD)$) {
        return 405;
    }`)
}

// rateLimitSite limits manifest requests per client address to one a minute
// (burst 0), like a registry's pull quota: /v2/, blobs and tags pass, the
// second manifest request within a minute gets 429 with a Docker Hub-style
// TOOMANYREQUESTS body and RateLimit headers. Retry-After says 1 so that
// skopeo's retry loop (containers/image retries a 429 five times, sleeping
// Retry-After between tries) gives up after about 4 s instead of minutes;
// the zone refills only after a minute, so every retry is refused.
func rateLimitSite(upstream *registry) nginxSite {
	site := proxySite(upstream.host, `
    client_max_body_size 0;
    location ~ ^/v2/.+/manifests/ {
        limit_req zone=pulls;
        limit_req_status 429;
        error_page 429 = @pull_limit;`+proxyTo+`
    }
    location @pull_limit {
        default_type application/json;
        add_header RateLimit-Limit "1;w=60" always;
        add_header RateLimit-Remaining "0;w=60" always;
        add_header Retry-After 1 always;
        return 429 '{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}\n';
    }`)
	site.http = "    limit_req_zone $binary_remote_addr zone=pulls:1m rate=1r/m;\n"
	return site
}

// clientVerifySite proxies to upstream and does mutual TLS as nginx is
// usually set up for it: clients must present a certificate from caFile.
// nginx finishes the handshake whatever they send and answers 400 itself.
func clientVerifySite(upstream *registry, caFile string) nginxSite {
	return proxySite(upstream.host, `
    client_max_body_size 0;
    ssl_client_certificate `+caFile+`;
    ssl_verify_client on;`)
}

// storageRedirectSite proxies to upstream but answers blob downloads with a
// 307 to pre-signed "storage" URLs on storageOrigin, as registries on S3
// do. /storage/ on this same nginx serves them from upstream, so with
// storageOrigin https://localhost:PORT (another origin than 127.0.0.1)
// the redirect works, and with a closed port it does not.
func storageRedirectSite(upstream *registry, storageOrigin string) nginxSite {
	return proxySite(upstream.host, `
    location ~ ^/v2/(?<blobpath>.+/blobs/sha256:[0-9a-f]+)$ {
        return 307 `+storageOrigin+`/storage/$blobpath?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=4f0c0ffee;
    }
    location /storage/ {
        rewrite ^/storage/(.*)$ /v2/$1 break;`+proxyTo+`
    }`)
}

// nexusUISite is what the web UI port of a repository manager (Nexus on
// 8081) answers: an HTML page with 200 for every path, /v2/ included.
func nexusUISite() nginxSite {
	return nginxSite{server: `
    location / {
        default_type text/html;
        return 200 '<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sonatype Nexus Repository</title></head>
<body><div id="nexus-app">Loading Sonatype Nexus Repository Manager...</div></body>
</html>
';
    }`}
}

// methodSplitSite is the seed's trick for one pull/push address: GET goes to
// the group (proxy) repository, every other method, HEAD included, goes to
// the hosted one. When hosted lacks the manifest, HEAD is 404 while GET is 200.
func methodSplitSite(hosted, group *registry) nginxSite {
	return nginxSite{
		upstreams: map[string]string{"hosted": hosted.host, "group": group.host},
		server: `
    client_max_body_size 0;
    chunked_transfer_encoding on;
    set $upstream "hosted";
    if ( $request_method ~* 'GET') {
        set $upstream "group";
    }
    if ($request_uri ~ '/search') {
        set $upstream "group";
    }
    location / {
        proxy_pass http://$upstream;` + proxyHeaders + `
    }`,
	}
}

// startNginx runs `nginx -p DIR -c nginx.conf -g 'daemon off;'` with every
// writable path inside DIR and waits until it proxies /v2/.
func startNginx(t testing.TB, site nginxSite) *nginx {
	t.Helper()
	requireBinaries(t, "nginx")
	dir := t.TempDir()
	n := &nginx{}
	scheme := "http"
	if site.tls != nil {
		scheme = "https"
	}
	n.proc, n.host = launch(t, "nginx", dir, func(host string) ([]string, string) {
		confPath := filepath.Join(dir, "nginx.conf")
		writeFile(t, confPath, nginxConfig(dir, host, site))
		return []string{"nginx", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath, "-g", "daemon off;"},
			scheme + "://" + host + "/v2/"
	})
	n.url = scheme + "://" + n.host
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- nginx %s error.log ----\n%s\n---- access.log ----\n%s", n.host,
				tail(filepath.Join(dir, "error.log"), 8<<10), tail(filepath.Join(dir, "access.log"), 8<<10))
		}
	})
	return n
}

// nginxConfig renders nginx.conf with every writable path inside dir.
func nginxConfig(dir, host string, site nginxSite) string {
	var conf strings.Builder
	if os.Geteuid() == 0 {
		// Workers would otherwise run as nobody and could not use the 0700 temp dir.
		conf.WriteString("user root;\n")
	}
	fmt.Fprintf(&conf, `worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 128; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
`, dir)
	for name, addr := range site.upstreams {
		fmt.Fprintf(&conf, "    upstream %s { server %s; }\n", name, addr)
	}
	conf.WriteString(site.http)
	listen := host
	if site.tls != nil {
		listen += " ssl;\n    ssl_certificate " + site.tls.certFile + ";\n    ssl_certificate_key " + site.tls.keyFile
	}
	fmt.Fprintf(&conf, "    server {\n    listen %s;\n    server_name _;\n%s\n    }\n}\n", listen, site.server)
	return conf.String()
}
