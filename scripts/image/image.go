package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Paths inside the image. The CA bundle is where Go's crypto/x509 looks
// first on Linux, so the binary trusts it without SSL_CERT_FILE.
const (
	binaryPath = "usr/local/bin/regdoctor"
	caPath     = "etc/ssl/certs/ca-certificates.crt"
)

// spec is what goes into the image. Everything that could differ between
// two builds of one commit is an input here (the binary, the CA bundle,
// the time), so that equal inputs give an equal digest.
type spec struct {
	Binary, CABundle string    // files on this machine
	Created          time.Time // every timestamp in the image
	Version          string    // the org.opencontainers.image.version label
	Revision         string    // the commit, org.opencontainers.image.revision
	Arch             string    // GOARCH the binary was built for
	Tag              string    // the ref.name in index.json
}

// build writes an OCI image layout to dir holding one image: a single
// layer with the binary and the CA bundle, run as nobody.
func build(s spec, dir string) (v1.Hash, error) {
	layer, err := filesLayer(s)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := mutate.Append(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1),
		mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: v1.History{
			Created: v1.Time{Time: s.Created}, CreatedBy: "scripts/image: regdoctor binary and CA bundle",
		}})
	if err != nil {
		return v1.Hash{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", s.Arch
	cf.Created = v1.Time{Time: s.Created}
	cf.Config.Entrypoint = []string{"/" + binaryPath}
	cf.Config.Cmd = []string{"--help"}
	// 65534 is nobody: regdoctor needs no privilege, and numeric IDs need
	// no /etc/passwd.
	cf.Config.User = "65534:65534"
	cf.Config.Env = []string{"PATH=/usr/local/bin", "SSL_CERT_FILE=/" + caPath}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":    "regdoctor",
		"org.opencontainers.image.source":   "https://github.com/regdoctor/regdoctor",
		"org.opencontainers.image.version":  s.Version,
		"org.opencontainers.image.revision": s.Revision,
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return v1.Hash{}, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	var opts []layout.Option
	if s.Tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": s.Tag}))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

// filesLayer is the layer's tar: directories first, in order, every
// entry owned by root with the spec's time, so that its bytes depend on
// the files' contents alone.
func filesLayer(s spec) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "tmp/", "usr/", "usr/local/", "usr/local/bin/"} {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777 // the clients' and Go's temp files
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, ModTime: s.Created, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		src, dst string
		mode     int64
	}{{s.CABundle, caPath, 0o644}, {s.Binary, binaryPath, 0o755}} {
		data, err := os.ReadFile(f.src)
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			return nil, fmt.Errorf("%s is empty", f.src)
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.dst, Mode: f.mode, Size: int64(len(data)), ModTime: s.Created, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithMediaType(types.OCILayer))
}
