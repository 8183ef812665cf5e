package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func testSpec(t *testing.T, binary string) spec {
	t.Helper()
	dir := t.TempDir()
	bin, ca := filepath.Join(dir, "regdoctor"), filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(bin, []byte(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nnot a real one\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec{Binary: bin, CABundle: ca, Created: time.Unix(1764750000, 0).UTC(), Version: "v0.1.0", Revision: "abc123", Arch: "amd64", Tag: "0.1.0"}
}

// TestReproducible: two builds from the same inputs, at different times
// and into different directories, give the same digest and the same
// index.json; a different binary gives another digest.
func TestReproducible(t *testing.T) {
	s := testSpec(t, "#!binary one")
	a, b := filepath.Join(t.TempDir(), "oci"), filepath.Join(t.TempDir(), "oci")
	da, err := build(s, a)
	if err != nil {
		t.Fatal(err)
	}
	// The input files' own times must not matter.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(s.Binary, future, future); err != nil {
		t.Fatal(err)
	}
	db, err := build(s, b)
	if err != nil {
		t.Fatal(err)
	}
	if da != db {
		t.Errorf("same inputs, digests %s and %s", da, db)
	}
	ia, _ := os.ReadFile(filepath.Join(a, "index.json"))
	ib, _ := os.ReadFile(filepath.Join(b, "index.json"))
	if string(ia) != string(ib) || len(ia) == 0 {
		t.Errorf("index.json differs:\n%s\n%s", ia, ib)
	}
	other, err := build(testSpec(t, "#!binary two"), filepath.Join(t.TempDir(), "oci"))
	if err != nil {
		t.Fatal(err)
	}
	if other == da {
		t.Error("another binary, the same digest")
	}
}

// TestImageContents: the layout holds one image for linux, run as nobody,
// whose layer has the binary (executable) and the CA bundle with the
// spec's time.
func TestImageContents(t *testing.T) {
	s := testSpec(t, "#!binary")
	dir := filepath.Join(t.TempDir(), "oci")
	d, err := build(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil || len(im.Manifests) != 1 || im.Manifests[0].Digest != d || im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "0.1.0" {
		t.Fatalf("index %+v, %v", im, err)
	}
	img, err := p.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || cf.Config.User != "65534:65534" || cf.Config.Entrypoint[0] != "/"+binaryPath || !cf.Created.Time.Equal(s.Created) {
		t.Errorf("config %+v", cf)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	found := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(s.Created) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: time %s, owner %d:%d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		found[h.Name] = h.Mode
	}
	if found[binaryPath] != 0o755 || found[caPath] != 0o644 {
		t.Errorf("layer holds %v", found)
	}
}
