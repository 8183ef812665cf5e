package checks

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
func (cc *ClientConfig) loadTrust(t Target, o Options) {
	cc.Trust = newTrust()
	if o.CertDir != "" {
		cc.loadCertDir(o.CertDir, nil) // the flag replaces the search
		return
	}
	roots := o.CertsDirs
	if roots == nil {
		roots = DefaultCertsDirs(o)
	}
	dockerRoot := o.Sys().Path("/etc/docker/certs.d")
	first := ""
	for _, r := range roots {
		dir := filepath.Join(r, t.Registry)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		var readBy []string
		if first == "" {
			first = dir
			readBy = append(readBy, podmanFamily)
		}
		if r == dockerRoot {
			readBy = append(readBy, "docker")
		}
		if len(readBy) == 0 || (first != dir && !slices.Contains(cc.Clients, "docker")) {
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
func altRegistryNames(t Target) []string {
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
			data, err := readBounded(full)
			if err != nil || !cc.Trust.AddPEM(data) {
				cc.problem("certs-dir-invalid", full, 0, "%s holds no PEM certificate", full)
				continue
			}
			cd.CAs = append(cd.CAs, name)
		case ".cert":
			key := strings.TrimSuffix(full, ".cert") + ".key"
			if _, err := os.Stat(key); err != nil {
				cc.problem("certs-dir-invalid", full, 0, "missing key %s for client certificate %s in %s", filepath.Base(key), name, dir)
				continue
			}
			pair, err := tls.LoadX509KeyPair(full, key)
			if err != nil {
				cc.problem("certs-dir-invalid", full, 0, "client certificate %s: %v", name, err)
				continue
			}
			cc.ClientCerts = append(cc.ClientCerts, pair)
			cd.ClientCerts = append(cd.ClientCerts, name)
		case ".key":
			cert := strings.TrimSuffix(full, ".key") + ".cert"
			if _, err := os.Stat(cert); err != nil {
				cc.problem("certs-dir-invalid", full, 0, "missing client certificate %s for key %s in %s", filepath.Base(cert), name, dir)
			}
		case ".pem", ".cer":
			cc.ignoreFile(full, "only files ending in .crt are read as CA certificates")
		}
	}
	cc.CertDirs = append(cc.CertDirs, cd)
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
	data, err := readBounded(path)
	if err != nil {
		return
	}
	var certs []*x509.Certificate
	for len(data) > 0 {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil && block.Type == "CERTIFICATE" {
			certs = append(certs, c)
		}
	}
	if len(certs) > 0 {
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
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	for i := range cc.IgnoredCAs {
		roots := x509.NewCertPool()
		for _, c := range cc.IgnoredCAs[i].certs {
			roots.AddCert(c)
		}
		// Dates and names are other checks' business: only the authority counts.
		at := chain[0].NotBefore.Add(chain[0].NotAfter.Sub(chain[0].NotBefore) / 2)
		if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at}); err == nil {
			return &cc.IgnoredCAs[i]
		}
	}
	return nil
}
