package checks

import (
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	const (
		ociManifest = "application/vnd.oci.image.manifest.v1+json"
		ociIndex    = "application/vnd.oci.image.index.v1+json"
		v2s2        = "application/vnd.docker.distribution.manifest.v2+json"
		image       = `{"schemaVersion":2,"mediaType":"` + v2s2 + `","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:aa","size":2},"layers":[{"digest":"sha256:bb","size":3}]}`
		index       = `{"schemaVersion":2,"mediaType":"` + ociIndex + `","manifests":[{"digest":"sha256:cc","platform":{"os":"linux","architecture":"amd64"}}]}`
	)
	for _, c := range []struct {
		name, contentType, body string
		problem                 string // a word of the problem, "" for none
		typeProblem             string // a word of the Content-Type problem
	}{
		{"image manifest", v2s2, image, "", ""},
		{"index", ociIndex, index, "", ""},
		{"generic content type", "application/json", image, "", "no manifest type"},
		{"no content type", "", index, "", "no manifest type"},
		{"schema 1 as json", "application/json", `{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:dd"}]}`, "", ""},
		{"content type with parameters", v2s2 + "; charset=utf-8", image, "", ""},
		{"schema 1", "application/vnd.docker.distribution.manifest.v1+prettyjws", `{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:dd"}]}`, "", ""},
		{"html page", "text/html", "<!DOCTYPE html><html><body>Nexus</body></html>", "HTML", ""},
		{"html as json", "application/json", "<html><body>error</body></html>", "HTML", ""},
		{"empty", v2s2, "  ", "empty", ""},
		{"not json", v2s2, "garbage", "not JSON", ""},
		{"truncated", v2s2, image[:40], "does not parse", ""},
		{"empty object", v2s2, "{}", "no manifest at all", ""},
		{"no config", ociManifest, `{"schemaVersion":2,"mediaType":"` + ociManifest + `","layers":[{"digest":"sha256:bb"}]}`, "names no config", ""},
		{"content type contradicts mediaType", ociManifest, image, "", "contradicts"},
		{"index served as image manifest", v2s2, `{"schemaVersion":2,"manifests":[{"digest":"sha256:cc"}]}`, "", "does not fit"},
		{"unknown mediaType", v2s2, strings.Replace(image, v2s2, "application/vnd.example.manifest.v9+json", 1), "", "no manifest type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, problem, typeProblem := parseManifest(c.contentType, []byte(c.body))
			for _, p := range []struct{ got, want string }{{problem, c.problem}, {typeProblem, c.typeProblem}} {
				switch {
				case p.want == "" && p.got != "":
					t.Errorf("problem %q, want none", p.got)
				case p.want != "" && !strings.Contains(p.got, p.want):
					t.Errorf("problem %q, want one about %q", p.got, p.want)
				}
			}
		})
	}
}

func TestManifestDocLayersAndPlatform(t *testing.T) {
	d, _, _ := parseManifest("", []byte(`{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:top"},{"blobSum":"sha256:empty"},{"blobSum":"sha256:empty"},{"blobSum":"sha256:base"}]}`))
	var got []string
	for _, l := range d.layers() {
		got = append(got, l.Digest)
	}
	if strings.Join(got, " ") != "sha256:base sha256:empty sha256:top" {
		t.Errorf("schema 1 layers = %v, want base first and each once", got)
	}
	idx, _, _ := parseManifest("", []byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:att","platform":{"os":"unknown","architecture":"unknown"}},{"digest":"sha256:arm","platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}`))
	if m, ok := idx.choose("linux/arm64"); !ok || m.Digest != "sha256:arm" {
		t.Errorf("choose linux/arm64 = %v, %v", m.Digest, ok)
	}
	if _, ok := idx.choose("linux/amd64"); ok {
		t.Errorf("an arm64-only index offers linux/amd64")
	}
	if (Options{}).WantPlatform() != HostPlatform() || (Options{Platform: "linux/s390x"}).WantPlatform() != "linux/s390x" {
		t.Errorf("WantPlatform: --platform, else the host's")
	}
}
