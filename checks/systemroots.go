package checks

import "os"

// systemCAFiles are where Go looks for the system's CA bundle on Linux, in
// its order (crypto/x509 root_linux.go); SSL_CERT_FILE replaces them.
var systemCAFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine
}

// systemCADirs are the directories Go reads besides; SSL_CERT_DIR replaces them.
var systemCADirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// systemRootsSource names the file or directory the system roots come
// from, without reading them (that costs milliseconds, see Trust): "" when
// this machine has none, as in minimal container images without the
// ca-certificates package.
func systemRootsSource(getenv func(string) string) string {
	files, dirs := systemCAFiles, systemCADirs
	if f := getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	if d := getenv("SSL_CERT_DIR"); d != "" {
		dirs = []string{d}
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > 0 {
			return f
		}
	}
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) > 0 {
			return d
		}
	}
	return ""
}
