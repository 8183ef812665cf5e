package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/internal/lazyre"
)

// TagsEvidence is the repository's tag list, gathered only when the
// manifest is unknown: it separates a wrong tag from a missing repository.
type TagsEvidence struct {
	URL          string      `json:"url"`
	Pages        []*Exchange `json:"pages"`
	Count        int         `json:"count"`
	Tags         []string    `json:"tags,omitempty"` // the first 50
	RepoMissing  bool        `json:"repository_missing,omitempty"`
	Catalog      *Exchange   `json:"catalog,omitempty"`
	Repositories []string    `json:"repositories,omitempty"` // the first 200 catalog entries
	// All is every tag and catalog entry, for the rules' suggestions;
	// the JSON shows only the first of them, above.
	All *TagList `json:"-"`
}

// TagList is every tag (and catalog entry) the registry listed.
type TagList struct {
	Tags         []string
	Repositories []string
}

const (
	maxTagPages = 20
	maxTags     = 20000
)

// Tags lists the repository's tags, following Link pagination.
func Tags() Check {
	return Check{
		ID:    IDTags,
		Title: "tags",
		Needs: []string{IDAuthChallenge},
		Uses:  []string{IDAuthChallenge, IDToken, IDManifest},
		Run: func(ctx context.Context, env *Env, deps Deps) Result {
			if env.Target.Repository == "" {
				return skipped("no repository given")
			}
			m := deps.Get(IDManifest)
			mev, _ := m.Evidence.(*ManifestEvidence)
			if mev == nil || mev.Get == nil || mev.Get.Status != http.StatusNotFound {
				return skipped("not needed: the manifest was not reported unknown")
			}
			auth, why := Authorization(env, deps)
			if why != "" {
				return skipped(why)
			}
			if mev.Token != nil && mev.Token.ClientAttempt().Obtained {
				auth = "Bearer " + mev.Token.ClientAttempt().token
			}
			c := deps.Get(IDAuthChallenge).Data.(*Challenge)
			ev := &TagsEvidence{URL: c.Endpoint + "/v2/" + env.Target.Repository + "/tags/list?n=1000"}
			list := &TagList{}
			next := ev.URL
			for page := 0; next != "" && page < maxTagPages && len(list.Tags) < maxTags; page++ {
				x, body := env.Do(ctx, request{Method: http.MethodGet, URL: next, Auth: auth, Header: http.Header{"Accept": {"application/json"}}, Limit: 2 << 20})
				ev.Pages = append(ev.Pages, x)
				if x.Status != http.StatusOK {
					break
				}
				var tl struct {
					Tags []string `json:"tags"`
				}
				if err := json.Unmarshal(body, &tl); err != nil {
					x.Malformed = true
					break
				}
				list.Tags = append(list.Tags, validTags(tl.Tags)...)
				next = nextLink(next, x.Header("Link"))
			}
			last := ev.Pages[len(ev.Pages)-1]
			ev.Count = len(list.Tags)
			ev.Tags = head(list.Tags, 50)
			ev.All = list
			res := Result{Evidence: ev}
			switch {
			case last.Status == http.StatusOK || len(list.Tags) > 0:
				noun := "tags"
				if ev.Count == 1 {
					noun = "tag"
				}
				res.Status, res.Summary = Pass, fmt.Sprintf("%d %s in %s: %s", ev.Count, noun, env.Target.Repository, strings.Join(head(list.Tags, 8), ", "))
				if ev.Count == 0 {
					res.Summary = env.Target.Repository + " exists but has no tags"
				}
			case last.Status == http.StatusNotFound || last.HasCode(ErrCodeNameUnknown):
				ev.RepoMissing = true
				res.Status, res.Summary = Fail, "repository "+env.Target.Repository+" is unknown (NAME_UNKNOWN)"
				list.Repositories = catalog(ctx, env, c, ev)
			default:
				res.Status, res.Summary = Fail, "tags list: "+exchangeOutcome(last)
			}
			return res
		},
	}
}

// catalog lists repositories for name suggestions. Under token auth it
// needs its own scope; many registries refuse it, which is fine.
func catalog(ctx context.Context, env *Env, c *Challenge, ev *TagsEvidence) []string {
	auth := ""
	if c.Scheme == SchemeBearer {
		t := FetchTokens(ctx, env, c, "registry:catalog:*").ClientAttempt()
		if !t.Obtained {
			return nil
		}
		auth = "Bearer " + t.token
	} else if a, _ := Authorization(env, Deps{IDAuthChallenge: &Result{Data: c}}); a != "" {
		auth = a
	}
	x, body := env.Do(ctx, request{Method: http.MethodGet, URL: c.Endpoint + "/v2/_catalog?n=1000", Auth: auth, Limit: 2 << 20})
	ev.Catalog = x
	var cat struct {
		Repositories []string `json:"repositories"`
	}
	if x.Status != http.StatusOK || json.Unmarshal(body, &cat) != nil {
		return nil
	}
	ev.Repositories = head(cat.Repositories, 200)
	return cat.Repositories
}

var linkNext = lazyre.New(`<([^>]+)>\s*;\s*rel="?next"?`)

// nextLink resolves an RFC 5988 Link header against the current URL.
func nextLink(cur, link string) string {
	m := linkNext().FindStringSubmatch(link)
	if m == nil {
		return ""
	}
	base, err := url.Parse(cur)
	if err != nil {
		return ""
	}
	u, err := base.Parse(m[1])
	if err != nil || u.Host != base.Host {
		return "" // never follow pagination to another host with our token
	}
	return u.String()
}

// validTags drops names no registry accepts as tags (at most 128
// characters), which bounds what a hostile tags list can make regdoctor
// keep: maxTags of them.
func validTags(tags []string) []string {
	return slices.DeleteFunc(tags, func(t string) bool { return t == "" || len(t) > 128 })
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
