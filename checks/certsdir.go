package checks

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

// DefaultCertsDirs are the certs.d roots in the order containers/image
// searches them: the user's, the system's, then docker's. The /etc ones are
// read under --sysroot, like the other system files.
func DefaultCertsDirs(o Options) []string {
	sys := o.Sys()
	var dirs []string
	if home := o.getenv("HOME"); home != "" {
		dirs = append(dirs, filepath.Join(home, ".config", "containers", "certs.d"))
	}
	return append(dirs, sys.Path("/etc/containers/certs.d"), sys.Path("/etc/docker/certs.d"))
}

// certsRoots are the certs.d roots searched when --cert-dir is not given.
func certsRoots(o Options) []string {
	if o.CertsDirs != nil {
		return o.CertsDirs
	}
	return DefaultCertsDirs(o)
}

// registryCertsDir is root's directory for the registry, if it has one.
func registryCertsDir(root string, t target.Target) (string, bool) {
	dir := filepath.Join(root, t.Registry)
	fi, err := os.Stat(dir)
	return dir, err == nil && fi.IsDir()
}

// hasCertsDir reports whether a certs.d root has a directory for the
// registry, which may give it a CA of its own: then the system bundle is
// read only if the chain needs it.
func hasCertsDir(t target.Target, o Options) bool {
	return slices.ContainsFunc(certsRoots(o), func(r string) bool {
		_, ok := registryCertsDir(r, t)
		return ok
	})
}

// IgnoredCA is a certificate file that looks meant for this registry but
// that no client reads for it.
type IgnoredCA struct {
	Path  string `json:"path"`
	Why   string `json:"why"`
	certs []*x509.Certificate
}

// podmanFamily names the containers/image clients in messages.
const podmanFamily = "podman, skopeo and buildah"

// loadTrust reads the certs.d directories the judged clients read for the
// registry. containers/image reads only the first of its roots that has a
// directory for the registry; docker reads only its own. Directories and
// files that look meant for the registry but are not read are kept as
// IgnoredCAs, to explain an unknown authority.
func (cc *ClientConfig) loadTrust(t target.Target, o Options) {
	cc.Trust = newTrust()
	cc.SystemRoots = systemRootsSource(o.getenv)
	if o.CertDir != "" {
		cc.certDirFlag = true
		cc.loadCertDir(o.CertDir, nil) // the flag replaces the search
		return
	}
	if slices.Contains(cc.Clients, "containerd") && cc.Containerd != nil {
		for _, f := range cc.Containerd.CA {
			if data, err := clientconf.ReadBounded(f); err == nil {
				cc.containerdCAs = append(cc.containerdCAs, parsePEMCerts(data)...)
			}
		}
		cc.Trust.add(cc.containerdCAs)
	}
	roots := certsRoots(o)
	dockerRoot := o.Sys().Path("/etc/docker/certs.d")
	first := ""
	for _, r := range roots {
		dir, ok := registryCertsDir(r, t)
		if !ok {
			continue
		}
		var readBy []string
		if first == "" {
			first = dir
			readBy = append(readBy, podmanFamily)
		}
		if r == dockerRoot {
			readBy = append(readBy, "docker")
			if slices.Contains(cc.Clients, "regctl") {
				// regclient's DockerCertDir, *.crt only (reghttp makeRootPool).
				readBy = append(readBy, "regctl")
			}
		}
		if len(readBy) == 0 || (first != dir && !slices.Contains(cc.Clients, "docker") && !slices.Contains(cc.Clients, "regctl")) {
			why := fmt.Sprintf("%s read only the first certs.d directory that exists for %s, which is %s", podmanFamily, t.Registry, first)
			if r == dockerRoot {
				why += "; docker reads this one"
			}
			cc.ignoreDir(dir, why)
			continue
		}
		cc.loadCertDir(dir, readBy)
	}
	for _, r := range roots {
		for _, alt := range altRegistryNames(t) {
			cc.ignoreDir(filepath.Join(r, alt), fmt.Sprintf("the directory is named %s, but clients look for %s, the registry exactly as the image reference writes it", alt, t.Registry))
		}
		cc.ignoreFiles(r, func(string) string {
			return fmt.Sprintf("certificates directly in %s are not read; they belong in a directory named after the registry, %s", r, filepath.Join(r, t.Registry))
		})
	}
}

// altRegistryNames are the names a certs.d directory is often given for
// the registry that clients do not match: with or without the default port.
func altRegistryNames(t target.Target) []string {
	switch t.Port() {
	case "":
		return []string{net.JoinHostPort(t.Hostname(), "443")}
	case "443":
		return []string{t.Hostname()}
	}
	return nil
}

// loadCertDir follows containers/image's certs.d rules: *.crt are CAs, and
// each *.cert needs its *.key and the other way round.
func (cc *ClientConfig) loadCertDir(dir string, readBy []string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	cd := CertDir{Path: dir, ReadBy: readBy}
	for _, e := range entries {
		name := e.Name()
		full := filepath.Join(dir, name)
		switch filepath.Ext(name) {
		case ".crt":
			data, err := clientconf.ReadBounded(full)
			if err != nil {
				// A loop, a pipe or a device where a CA should be fails
				// podman, which reads every .crt (containers/image
				// tlsclientconfig.SetupCertificates); never skip it quietly.
				cc.problem(clientconf.CertsDirBroken, full, 0, "%s cannot be read: %v", full, err)
				continue
			}
			certs := cc.Trust.AddPEM(data)
			if len(certs) == 0 {
				cc.problem(clientconf.CertsDirBroken, full, 0, "%s holds no PEM certificate", full)
				continue
			}
			cd.CAs = append(cd.CAs, name)
			cd.certs = append(cd.certs, certs...)
		case ".cert":
			key := strings.TrimSuffix(full, ".cert") + ".key"
			if _, err := os.Stat(key); err != nil {
				cc.problem(clientconf.CertsDirBroken, full, 0, "missing key %s for client certificate %s in %s", filepath.Base(key), name, dir)
				continue
			}
			pair, err := loadKeyPair(full, key)
			if err != nil {
				cc.problem(clientconf.CertsDirBroken, full, 0, "client certificate %s: %v", name, err)
				continue
			}
			cc.ClientCerts = append(cc.ClientCerts, pair)
			cd.ClientCerts = append(cd.ClientCerts, name)
		case ".key":
			cert := strings.TrimSuffix(full, ".key") + ".cert"
			if _, err := os.Stat(cert); err != nil {
				cc.problem(clientconf.CertsDirBroken, full, 0, "missing client certificate %s for key %s in %s", filepath.Base(cert), name, dir)
			}
		case ".pem", ".cer":
			cc.ignoreFile(full, "only files ending in .crt are read as CA certificates")
		}
	}
	cc.CertDirs = append(cc.CertDirs, cd)
}

// loadKeyPair is tls.LoadX509KeyPair through the bounded reader: a
// client.cert that is /dev/zero or a FIFO must cost a bounded read, not
// all memory or a hang.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := clientconf.ReadBounded(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := clientconf.ReadBounded(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// ignoreDir keeps the certificates of a directory no client reads.
func (cc *ClientConfig) ignoreDir(dir, why string) {
	cc.ignoreFiles(dir, func(string) string { return why })
}

// ignoreFiles keeps the certificates among dir's files, each with why(file).
func (cc *ClientConfig) ignoreFiles(dir string, why func(string) string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".crt", ".pem", ".cer":
			if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
				full := filepath.Join(dir, e.Name())
				cc.ignoreFile(full, why(full))
			}
		}
	}
}

func (cc *ClientConfig) ignoreFile(path, why string) {
	if len(cc.IgnoredCAs) >= maxIgnoredCAs {
		return
	}
	data, err := clientconf.ReadBounded(path)
	if err != nil {
		return
	}
	if certs := parsePEMCerts(data); len(certs) > 0 {
		cc.IgnoredCAs = append(cc.IgnoredCAs, IgnoredCA{Path: path, Why: why, certs: certs})
	}
}

// maxIgnoredCAs bounds what a crowded certs.d root costs to scan.
const maxIgnoredCAs = 32

// MisplacedCA returns the ignored certificate file whose certificates would
// have verified chain, if there is one: the CA the user installed in the
// wrong place.
func (cc *ClientConfig) MisplacedCA(chain []*x509.Certificate) *IgnoredCA {
	if len(chain) == 0 {
		return nil
	}
	for i := range cc.IgnoredCAs {
		if verifiesWith(chain, cc.IgnoredCAs[i].certs) {
			return &cc.IgnoredCAs[i]
		}
	}
	return nil
}

// NotTrustedBy names the judged clients whose own trust would not verify a
// chain that regdoctor's does: regdoctor trusts what any judged client
// reads, so a CA in docker's certs.d verifies the chain for podman too. It
// is nil when every client would verify it, and under --cert-dir, which
// the user gives all clients alike.
func (cc *ClientConfig) NotTrustedBy(chain []*x509.Certificate, registry string) map[string]string {
	if len(chain) == 0 || cc.certDirFlag || !verifiesWith(chain, cc.Trust.local) {
		return nil // the system roots, which every client has, do it
	}
	out := map[string]string{}
	system := -1 // unknown: the system roots cost milliseconds, asked only when needed
	for _, c := range cc.Clients {
		var certs []*x509.Certificate
		var why string
		switch c {
		case "podman", "buildah", "skopeo":
			why = "no certs.d directory that podman, skopeo and buildah read for " + registry + " holds a CA that signs it"
			for _, d := range cc.CertDirs {
				if slices.Contains(d.ReadBy, podmanFamily) {
					certs = d.certs
					why = "the CA is not in " + d.Path + ", the only certs.d directory podman, skopeo and buildah read for " + registry
				}
			}
		case "docker":
			why = "the CA is not in /etc/docker/certs.d/" + registry + ", where docker looks"
			for _, d := range cc.CertDirs {
				if slices.Contains(d.ReadBy, "docker") {
					certs = d.certs
				}
			}
		case "containerd":
			certs = cc.containerdCAs
			why = "no ca in containerd's hosts.toml for " + registry + " signs it"
		case "crane":
			why = "crane reads no certs.d directory; it trusts the system roots (and SSL_CERT_FILE) only"
		case "regctl":
			// regclient reghttp makeRootPool: the system roots, then
			// /etc/docker/certs.d/HOST/*.crt, then the host's regcert
			// (`regctl registry set --cacert`, not read here).
			why = "the CA is not in /etc/docker/certs.d/" + registry + " or the system roots, which regctl reads"
			for _, d := range cc.CertDirs {
				if slices.Contains(d.ReadBy, "regctl") {
					certs = d.certs
				}
			}
		default:
			continue
		}
		if verifiesWith(chain, certs) {
			continue
		}
		if system < 0 {
			system = 0
			if verifiesSystem(chain, authorityOnly(chain)) {
				system = 1
			}
		}
		if system == 1 {
			return nil // a public CA the user also put in certs.d
		}
		out[c] = why
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func verifiesWith(chain []*x509.Certificate, roots []*x509.Certificate) bool {
	if len(roots) == 0 {
		return false
	}
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	return verifiesWithPool(chain, pool)
}

// verifiesWithPool checks the authority only: dates and names are other
// checks' business.
func verifiesWithPool(chain []*x509.Certificate, roots *x509.CertPool) bool {
	opts := authorityOnly(chain)
	opts.Roots = roots
	_, err := chain[0].Verify(opts)
	return err == nil
}

// authorityOnly are the options that check a chain's authority only: the
// served intermediates, at the middle of the leaf's validity.
func authorityOnly(chain []*x509.Certificate) x509.VerifyOptions {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	return x509.VerifyOptions{Intermediates: inter, CurrentTime: leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)}
}
