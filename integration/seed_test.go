//go:build integration

package integration

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Content every seeded registry holds.
const (
	appRepo   = "team/app"
	appTag    = "1.0.0"
	multiRepo = "team/multi" // OCI index: linux/amd64 + linux/arm64
)

// seedPlatforms are the platforms of the multi-arch index.
var seedPlatforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// seeder pushes content into one registry with go-containerregistry.
type seeder struct {
	reg  *registry
	auth authn.Authenticator
}

func (s seeder) options(t testing.TB) []remote.Option {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = s.reg.seedTLS
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	auth := s.auth
	if auth == nil {
		auth = authn.Anonymous
	}
	return []remote.Option{remote.WithTransport(tr), remote.WithAuth(auth), remote.WithContext(ctx)}
}

func (s seeder) ref(t testing.TB, repoTag string) name.Reference {
	t.Helper()
	var opts []name.Option
	if s.reg.seedTLS == nil {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s.reg.host+"/"+repoTag, opts...)
	if err != nil {
		t.Fatalf("parse %s: %v", repoTag, err)
	}
	return ref
}

// image pushes a random single-platform image with one layer of layerSize bytes.
func (s seeder) image(t testing.TB, repoTag string, layerSize int64) v1.Image {
	t.Helper()
	img := randomImage(t, layerSize, v1.Platform{OS: "linux", Architecture: "amd64"})
	if err := remote.Write(s.ref(t, repoTag), img, s.options(t)...); err != nil {
		t.Fatalf("seed %s/%s: %v", s.reg.host, repoTag, err)
	}
	return img
}

// index pushes an OCI image index with one small image per platform.
func (s seeder) index(t testing.TB, repoTag string, platforms []v1.Platform) {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for _, p := range platforms {
		p := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        randomImage(t, 512, p),
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	if err := remote.WriteIndex(s.ref(t, repoTag), idx, s.options(t)...); err != nil {
		t.Fatalf("seed index %s/%s: %v", s.reg.host, repoTag, err)
	}
}

// chart pushes what `helm push` stores: an OCI manifest whose config has
// Helm's media type. An artifact, not an image.
func (s seeder) chart(t testing.TB, repoTag string) {
	t.Helper()
	img := mutate.ConfigMediaType(randomImage(t, 512, v1.Platform{OS: "linux", Architecture: "amd64"}), "application/vnd.cncf.helm.config.v1+json")
	if err := remote.Write(s.ref(t, repoTag), img, s.options(t)...); err != nil {
		t.Fatalf("seed chart %s/%s: %v", s.reg.host, repoTag, err)
	}
}

// standard pushes what most scenarios expect: team/app:1.0.0 and the team/multi:1.0.0 index.
func (s seeder) standard(t testing.TB) {
	t.Helper()
	s.image(t, appRepo+":"+appTag, 1024)
	s.index(t, multiRepo+":"+appTag, seedPlatforms)
}

// randomImage is an OCI image with one random (incompressible) layer of
// layerSize bytes and a config that names the platform.
func randomImage(t testing.TB, layerSize int64, p v1.Platform) v1.Image {
	t.Helper()
	layer, err := random.Layer(layerSize, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// writeLayout stores img as tag in a fresh OCI layout directory, so that
// skopeo can copy it from `oci:DIR:TAG`.
func writeLayout(t testing.TB, img v1.Image, tag string) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		t.Fatal(err)
	}
	return dir
}
