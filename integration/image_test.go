//go:build integration

package integration

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestImage builds the image as `make image` does (a static binary, then
// scripts/image writing an OCI layout), twice, and holds it to what the
// Makefile promises: the same inputs give the same digest. It pushes the
// image to a real docker-registry with skopeo, pulls it back with a real
// client and runs the binary from it: `podman run` where this machine
// lets podman start a container, else the binary extracted from the pulled
// layer. The binary from the image then checks the very registry it came
// from, and finds it healthy.
func TestImage(t *testing.T) {
	requireBinaries(t, "skopeo", "go")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	bin := filepath.Join(work, "regdoctor")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-buildid= -X github.com/regdoctor/regdoctor/checks.Version=image-test", "-o", bin, "./cmd/regdoctor")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, out)
	}
	layout := func(name string) (string, string) {
		out := filepath.Join(work, name)
		cmd := exec.Command("go", "run", "./scripts/image", "-binary", bin, "-ca-bundle", "/etc/ssl/certs/ca-certificates.crt",
			"-out", out, "-version", "image-test", "-revision", "0000000", "-tag", "image-test", "-created", "1700000000", "-arch", runtime.GOARCH)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/image: %v\n%s", err, b)
		}
		var index struct {
			Manifests []struct {
				Digest string `json:"digest"`
			} `json:"manifests"`
		}
		data, err := os.ReadFile(filepath.Join(out, "index.json"))
		if err != nil || json.Unmarshal(data, &index) != nil || len(index.Manifests) != 1 {
			t.Fatalf("index.json of %s: %v\n%s", out, err, data)
		}
		return out, index.Manifests[0].Digest
	}
	oci, digest := layout("oci")
	if _, again := layout("oci-again"); again != digest {
		t.Errorf("two builds of one binary gave %s and %s: the image is not reproducible", digest, again)
	}

	reg := startRegistry(t, registryOpts{}) // plain HTTP on loopback: every client allows it with --tls-verify=false
	ref := reg.host + "/tools/regdoctor:image-test"
	env := newClientEnv(t)
	if res := env.run(time.Minute, "skopeo", "copy", "--dest-tls-verify=false", "oci:"+oci+":image-test", "docker://"+ref); res.exitCode != 0 || res.err != nil {
		t.Fatalf("push:\n%s", res)
	}

	run := env.podmanWithin(t, 2*time.Minute, "run", "--rm", "--tls-verify=false", "--network", "host", ref, "version")
	fromImage := ""
	switch {
	case run.exitCode == 0 && run.err == nil:
		if !strings.Contains(run.stdout, "image-test") {
			t.Errorf("podman run IMAGE version printed %q, want the version the image was built with", run.stdout)
		}
	default:
		// podman pulled it (or not): pull with skopeo and run the binary
		// from the layer, as a machine that cannot run containers would.
		t.Logf("podman run is not possible here, running the binary extracted from the pulled image instead:\n%s", run)
		dir := filepath.Join(work, "pulled")
		if res := env.run(time.Minute, "skopeo", "copy", "--src-tls-verify=false", "docker://"+ref, "dir:"+dir); res.exitCode != 0 || res.err != nil {
			t.Fatalf("pull:\n%s", res)
		}
		fromImage = extractBinary(t, dir, filepath.Join(work, "extracted"))
		v := env.run(time.Minute, fromImage, "version")
		if v.exitCode != 0 || !strings.Contains(v.stdout, "image-test") {
			t.Fatalf("the extracted binary's version:\n%s", v)
		}
	}
	if fromImage != "" {
		// The image's binary, against the registry that serves it.
		rd := env.run(time.Minute, fromImage, "check", "--client", "skopeo", "--tls-verify=false", "--timeout", "10s", ref)
		if rd.exitCode != 0 {
			t.Errorf("the image's regdoctor finds the registry it came from unhealthy:\n%s", rd)
		}
	}
}

// extractBinary finds usr/local/bin/regdoctor in the layers of an image
// copied with `skopeo copy … dir:` and writes it to dest.
func extractBinary(t *testing.T, dir, dest string) string {
	t.Helper()
	var manifest struct {
		Layers []struct {
			Digest string `json:"digest"`
		} `json:"layers"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil || json.Unmarshal(data, &manifest) != nil {
		t.Fatalf("pulled manifest: %v\n%s", err, data)
	}
	for _, l := range manifest.Layers {
		f, err := os.Open(filepath.Join(dir, strings.TrimPrefix(l.Digest, "sha256:")))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
			if strings.TrimPrefix(h.Name, "./") != "usr/local/bin/regdoctor" {
				continue
			}
			out, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(out, tr); err != nil {
				t.Fatal(err)
			}
			if err := out.Close(); err != nil {
				t.Fatal(err)
			}
			return dest
		}
	}
	t.Fatalf("no usr/local/bin/regdoctor in the pulled image's layers")
	return ""
}
