package checks

import (
	"net/netip"
	"os"
	"time"

	"github.com/regdoctor/regdoctor/clientconf"
)

// Options are the user's choices for one run.
type Options struct {
	Timeout   time.Duration // bounds the whole run
	TLSVerify bool          // false: skip verification and accept plain HTTP, as skopeo --tls-verify=false
	CertDir   string        // replaces the certs.d lookup, as skopeo --cert-dir
	AuthFile  string        // overrides $REGISTRY_AUTH_FILE, as skopeo --authfile
	Platform  string        // os/arch[/variant]
	PushCheck bool
	// Pull downloads every layer whole and verifies its digest, instead of
	// asking for its first byte.
	Pull bool
	// RefuseAddr, when set, refuses every connection to an address it
	// names, whatever led there: the registry, its realm, a redirect to
	// storage. serve's /probe sets it so that no request it starts reaches
	// a link-local or cloud metadata address.
	RefuseAddr func(netip.Addr) bool
	// CertsDirs are the certs.d roots searched for HOST:PORT/ directories
	// when CertDir is empty. nil means the clients' defaults.
	CertsDirs []string
	// Env reads environment variables; nil means os.Getenv. Tests inject it.
	Env func(string) string
	// SysRoot prefixes system configuration paths (/etc/containers, /etc/docker,
	// /etc/containerd); "" means "/".
	SysRoot string
	// Clients are the clients to judge for (clientconf.Known); empty
	// means those that can pull on this machine (clientconf.Available),
	// or podman when none can.
	Clients []string
	// LookPath finds installed clients; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// DockerAnswers reports whether a docker daemon answers on a unix
	// socket; nil means asking it for /_ping. Tests inject it.
	DockerAnswers func(sock string) bool
	// TTY: the clients would run with a terminal on stdin and stdout, so
	// podman could prompt for a short name in enforcing mode.
	TTY bool
	// UID is the user the clients run as; nil means this process's.
	UID *int
}

// Sys is where the clients' configuration files are, for package clientconf.
func (o Options) Sys() clientconf.Sys { return clientconf.Sys{Root: o.SysRoot, Getenv: o.getenv} }

func (o Options) getenv(k string) string {
	if o.Env != nil {
		return o.Env(k)
	}
	return os.Getenv(k)
}

func (o Options) uid() int {
	if o.UID != nil {
		return *o.UID
	}
	return os.Getuid()
}
