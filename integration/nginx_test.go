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
	proc *process
}

// nginxSite is the part of the config that differs between fixtures: the
// upstream blocks and the body of the server block, in the style of the
// Nexus + nginx setup in shared/seed/nexus3-podman-private-registry.md.
type nginxSite struct {
	upstreams map[string]*registry
	server    string
}

// proxyHeaders are the seed's proxy directives (buffering off, Host kept so
// the registry builds upload URLs that point back at the proxy).
const proxyHeaders = `
        proxy_set_header Host $http_host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto http;
        proxy_connect_timeout 10s;
        proxy_send_timeout 60s;
        proxy_read_timeout 60s;
        proxy_buffering off;
        proxy_request_buffering off;`

// bodyLimitSite proxies everything to upstream but, unlike the seed, does not
// set client_max_body_size: nginx's default of 1m applies, so any blob upload
// request body above 1 MiB is answered 413 Request Entity Too Large.
func bodyLimitSite(upstream *registry) nginxSite {
	return nginxSite{
		upstreams: map[string]*registry{"registry": upstream},
		server: `
    chunked_transfer_encoding on;
    location / {
        proxy_pass http://registry;` + proxyHeaders + `
    }`,
	}
}

// methodSplitSite is the seed's trick for one pull/push address: GET goes to
// the group (proxy) repository, every other method, HEAD included, goes to
// the hosted one. When hosted lacks the manifest, HEAD is 404 while GET is 200.
func methodSplitSite(hosted, group *registry) nginxSite {
	return nginxSite{
		upstreams: map[string]*registry{"hosted": hosted, "group": group},
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
	n.proc, n.host = launch(t, "nginx", dir, func(host string) ([]string, string) {
		confPath := filepath.Join(dir, "nginx.conf")
		writeFile(t, confPath, nginxConfig(dir, host, site))
		return []string{"nginx", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath, "-g", "daemon off;"},
			"http://" + host + "/v2/"
	})
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
	for name, r := range site.upstreams {
		fmt.Fprintf(&conf, "    upstream %s { server %s; }\n", name, r.host)
	}
	fmt.Fprintf(&conf, "    server {\n    listen %s;\n    server_name _;\n%s\n    }\n}\n", host, site.server)
	return conf.String()
}
