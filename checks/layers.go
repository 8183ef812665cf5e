package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
)

// LayersEvidence is the check of every layer the chosen manifest names:
// the blobs a pull downloads after the configuration.
type LayersEvidence struct {
	Count int   `json:"count"`
	Bytes int64 `json:"bytes"` // their sizes as the manifest gives them
	// Downloaded: with --pull every layer was read whole and verified;
	// otherwise each was asked for its first byte only.
	Downloaded bool          `json:"downloaded,omitempty"`
	Layers     []*LayerProbe `json:"layers"`
	// Foreign are layers clients fetch from URLs the manifest names
	// (Windows base layers), not from the registry; they are not asked for.
	Foreign int `json:"foreign,omitempty"`
}

// LayerProbe is the answer for one layer.
type LayerProbe struct {
	Digest   string    `json:"digest"`
	Size     int64     `json:"size,omitempty"`
	Get      *Exchange `json:"get"`
	Storage  string    `json:"storage,omitempty"` // the origin a redirect sent the download to
	Mismatch bool      `json:"digest_mismatch,omitempty"`
}

// Failed reports whether the layer cannot be downloaded as clients do.
func (l *LayerProbe) Failed() bool {
	return l.Get == nil || l.Get.Error != "" || (l.Get.Status != http.StatusOK && l.Get.Status != http.StatusPartialContent) || l.Mismatch
}

// layerParallel bounds concurrent layer requests; podman and skopeo
// download up to six blobs at a time.
const layerParallel = 6

// Layers asks for every layer of the pulled manifest, at the same time as
// the blob check downloads the configuration, so it adds no round trip.
// A ranged GET of the first byte is what a pull's first request for the
// layer looks like to the registry and to storage, which a HEAD is not:
// pre-signed storage URLs are signed for GET only. With --pull each layer
// is downloaded whole and hashed as it streams, so a corrupt layer shows.
func Layers() Check {
	return Check{
		ID:    IDLayers,
		Title: "layers",
		Needs: []string{IDManifest},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			md, mev := followManifest(deps)
			if md == nil {
				return skipped("no manifest to follow")
			}
			im := md.pulled(ctx, env)
			if im.problem != "" {
				return skipped("no image manifest (see " + IDBlob + ")")
			}
			ev := &LayersEvidence{Downloaded: env.Opts.Pull}
			var todo []*LayerProbe
			for _, d := range im.doc.layers() {
				if len(d.URLs) > 0 && strings.Contains(d.MediaType, "foreign") {
					ev.Foreign++
					continue
				}
				ev.Count++
				ev.Bytes += d.Size
				todo = append(todo, &LayerProbe{Digest: d.Digest, Size: d.Size})
			}
			ev.Layers = todo
			if len(todo) == 0 {
				return Result{Status: Skip, Evidence: ev, Summary: "the manifest names no layers"}
			}
			probeLayers(ctx, env, md, mev.URL, todo)
			for _, l := range todo {
				if l.Failed() {
					return Result{Status: Fail, Evidence: ev, Summary: layerFailure(l, len(todo))}
				}
			}
			how := "available"
			if ev.Downloaded {
				how = "downloaded and verified"
			}
			return Result{Status: Pass, Evidence: ev, Summary: fmt.Sprintf("%s (%s) %s", plural(ev.Count, "layer"), sizeText(ev.Bytes), how)}
		},
	}
}

// probeLayers asks for each layer, layerParallel at a time.
func probeLayers(ctx context.Context, env *Env, md *manifestData, base string, layers []*LayerProbe) {
	sem := make(chan struct{}, layerParallel)
	var fs []func()
	for _, l := range layers {
		fs = append(fs, func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := request{Method: http.MethodGet, URL: md.repoURL + "/blobs/" + l.Digest, Auth: md.auth}
			var h hash.Hash
			if env.Opts.Pull {
				h = sha256.New()
				r.Sink = h
			} else {
				r.Header, r.Sample = http.Header{"Range": {"bytes=0-0"}}, 1
			}
			l.Get, _ = env.Do(ctx, r)
			l.Storage = storageOf(l.Get, base)
			if h != nil && !l.Failed() && strings.HasPrefix(l.Digest, "sha256:") {
				l.Mismatch = "sha256:"+hex.EncodeToString(h.Sum(nil)) != l.Digest
			}
		})
	}
	parallel(fs...)
}

// layerFailure words the first failed layer for the table.
func layerFailure(l *LayerProbe, n int) string {
	via := ""
	if l.Storage != "" {
		via = " from " + l.Storage
	}
	what := fmt.Sprintf("layer %s%s", short(l.Digest), via)
	if l.Mismatch {
		return fmt.Sprintf("%s: the %d bytes served do not hash to the digest", what, l.Get.Bytes)
	}
	return fmt.Sprintf("%s: %s (of %s)", what, statusOrError(l.Get), plural(n, "layer"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sizeText(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", b)
}
