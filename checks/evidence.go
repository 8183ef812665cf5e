package checks

import (
	"net/http"
	"strings"
)

// Exchanger is evidence that holds HTTP exchanges. Exchanges lists those
// every client's pull makes too, so that what they got (a rate limit, a
// malformed answer) speaks for the registry whatever the client: the
// rules for registry-misbehaving and rate-limited look across all of
// them. It leaves out what only some clients send (HEAD), what regdoctor
// alone asks (the plain-HTTP ping, containerd's own token request, the
// mirrors, the upload's cancel) and what is storage's, not the registry's.
// Every evidence type that holds an *Exchange implements it
// (TestEveryEvidenceWithExchangesIsAnExchanger), so a new check cannot
// silently escape.
type Exchanger interface {
	Exchanges() []*Exchange
}

// Exchanges is every exchange of results that a pull makes, in results'
// order.
func Exchanges(results []*Result) []*Exchange {
	var xs []*Exchange
	for _, r := range results {
		if e, ok := r.Evidence.(Exchanger); ok {
			for _, x := range e.Exchanges() {
				if x != nil {
					xs = append(xs, x)
				}
			}
		}
	}
	return xs
}

// Exchanges: the HTTPS ping is every client's first request; the
// plain-HTTP one is regdoctor's probe of the port.
func (p *PingEvidence) Exchanges() []*Exchange {
	if p.Exchange == nil || strings.HasPrefix(p.URL, "http:") {
		return nil
	}
	return []*Exchange{p.Exchange}
}

// Exchanges: both token requests.
func (t *TokenEvidence) Exchanges() []*Exchange {
	var xs []*Exchange
	for _, a := range []*TokenAttempt{t.Anonymous, t.Credentials} {
		if a != nil {
			xs = append(xs, a.Exchange)
		}
	}
	return xs
}

// Exchanges: the token requests, when the repository alone challenged
// and the manifest check fetched the token, then the GET. Not HEAD:
// podman, skopeo and crane never send it, so what HEAD alone got is
// head-get-mismatch's, judged per client.
func (m *ManifestEvidence) Exchanges() []*Exchange {
	var xs []*Exchange
	if m.Token != nil {
		xs = m.Token.Exchanges()
	}
	return append(xs, m.Get)
}

// Exchanges: the platform manifest, and the download unless storage
// refused it (that is blob-storage-unreachable's).
func (b *BlobEvidence) Exchanges() []*Exchange {
	if StorageFailed(b.Get, b.Storage) {
		return []*Exchange{b.Manifest}
	}
	return []*Exchange{b.Manifest, b.Get}
}

// StorageFailed: download x was redirected to storage (the origin it
// left for), and storage failed it.
func StorageFailed(x *Exchange, storage string) bool {
	return x != nil && storage != "" && (x.Error != "" || (x.Status != http.StatusOK && x.Status != http.StatusPartialContent))
}

// Exchanges: the layers the registry served itself.
func (l *LayersEvidence) Exchanges() []*Exchange {
	var xs []*Exchange
	for _, p := range l.Layers {
		if p.Storage == "" {
			xs = append(xs, p.Get)
		}
	}
	return xs
}

// Exchanges: the tag list's pages; the catalog is regdoctor's own ask.
func (t *TagsEvidence) Exchanges() []*Exchange { return t.Pages }

// Exchanges: the upload's start and body; the cancel is regdoctor's
// clean-up.
func (p *PushEvidence) Exchanges() []*Exchange { return []*Exchange{p.Start, p.Patch} }

// Exchanges: none. A mirror's answers are mirror-failing's: they say
// nothing of the registry.
func (*MirrorsEvidence) Exchanges() []*Exchange { return nil }

// Exchanges: none. containerd's own token request is judged for
// containerd alone.
func (*ContainerdAuthEvidence) Exchanges() []*Exchange { return nil }
