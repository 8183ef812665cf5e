package diagnose

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

func ruleRepoAndTag(f facts) []Diagnosis {
	m := f.manifest()
	if m == nil || m.Get == nil || m.Get.Status != http.StatusNotFound || f.pagesOnly() {
		return nil // a web site's 404 page is not-a-registry's
	}
	tg, list := f.tags()
	if tg != nil && tg.RepoMissing {
		var repos []string
		if list != nil {
			repos = list.Repositories
		}
		sugg := Closest(f.t.Repository, repos, 3)
		detail := fmt.Sprintf("%s answered %s, and the tags list for %s answered NAME_UNKNOWN: the repository %s does not exist on %s.",
			m.URL, codesOf(m.Get), f.t.Repository, f.t.Repository, f.t.Registry)
		rem := []string{"Check the repository path in the reference; on Docker Hub–style registries official images live under library/."}
		if len(sugg) > 0 {
			var refs []string
			for _, s := range sugg {
				refs = append(refs, f.t.Registry+"/"+s+":"+f.t.Reference)
			}
			detail += " Close existing repositories: " + strings.Join(sugg, ", ") + "."
			rem = append([]string{"Did you mean " + strings.Join(refs, " or ") + "?"}, rem...)
		}
		if f.rep.Product.Name == "Nexus" {
			rem = append(rem, "Nexus: a proxy repository fetches on demand; a hosted one only has what was pushed to it. Pull through the group or proxy repository's port.")
		}
		return one(newDiagnosis("repository-not-found", detail, rem...))
	}
	want := f.t.Reference
	if f.t.IsDigest {
		return one(newDiagnosis("tag-not-found",
			fmt.Sprintf("%s answered %s: no manifest with digest %s in %s.", m.URL, codesOf(m.Get), want, f.t.Repository),
			"Digests change when an image is rebuilt or re-pushed; look up the current digest with `skopeo inspect docker://"+f.t.Registry+"/"+f.t.Repository+":TAG`."))
	}
	if list == nil || f.res(checks.IDTags).Status != checks.Pass {
		return one(newDiagnosis("tag-not-found",
			fmt.Sprintf("%s answered %s. The tags list could not be read, so a missing repository cannot be ruled out.", m.URL, codesOf(m.Get)),
			"List the tags with `skopeo list-tags docker://"+f.t.Registry+"/"+f.t.Repository+"` and pick an existing one."))
	}
	for _, t := range list.Tags {
		if t == want {
			return nil // listed but not served: not a tag problem; other rules cover the registry
		}
	}
	sugg := Closest(want, list.Tags, 3)
	detail := fmt.Sprintf("%s has %d tags, but not %q (%s answered %s).", f.t.Repository, len(list.Tags), want, m.URL, codesOf(m.Get))
	var rem []string
	if len(sugg) > 0 {
		detail += " Closest: " + strings.Join(sugg, ", ") + "."
		rem = append(rem, "Use "+f.t.WithReference(sugg[0])+" (e.g. `podman pull "+f.t.WithReference(sugg[0])+"`).")
	} else if len(list.Tags) == 0 {
		detail = fmt.Sprintf("%s exists but has no tags at all (%s answered %s).", f.t.Repository, m.URL, codesOf(m.Get))
		rem = append(rem, "Push the image first, or check you are pulling from the repository it was pushed to (Nexus: hosted vs group).")
	}
	rem = append(rem, "List the tags with `skopeo list-tags docker://"+f.t.Registry+"/"+f.t.Repository+"`.")
	return one(newDiagnosis("tag-not-found", detail, rem...))
}

func codesOf(x *checks.Exchange) string {
	s := fmt.Sprintf("%d", x.Status)
	for _, e := range x.Errors {
		s += " " + e.Code
	}
	return s
}

// Closest returns up to n candidates nearest to want: same tag up to case
// or a "v" prefix first, then by edit distance. Far-off candidates are
// dropped rather than suggested.
func Closest(want string, candidates []string, n int) []string {
	type scored struct {
		s     string
		score float64
	}
	norm := func(s string) string { return strings.TrimPrefix(strings.ToLower(s), "v") }
	base := func(s string) string { // "library/redis" -> "redis"
		if i := strings.LastIndex(s, "/"); i >= 0 {
			return s[i+1:]
		}
		return s
	}
	var out []scored
	wantNorm := norm(want)
	var rows [2][]int
	for _, c := range candidates {
		if c == want || len(c) > 256 {
			continue
		}
		cNorm := norm(c)
		var score float64
		switch {
		case strings.EqualFold(c, want):
			score = 0.1
		case cNorm == wantNorm:
			score = 0.2
		case base(c) == base(want) && strings.Contains(c, "/") != strings.Contains(want, "/") || base(c) == want || base(want) == c:
			score = 0.3 // a missing or extra namespace such as library/
		default:
			limit := max(2, len(want)/3)
			if diff := len(cNorm) - len(wantNorm); diff > limit || -diff > limit {
				continue // the distance is at least the length difference
			}
			d := levenshtein(cNorm, wantNorm, &rows)
			if d > limit {
				continue
			}
			score = float64(d)
		}
		out = append(out, scored{c, score})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score < out[j].score
		}
		return out[i].s < out[j].s
	})
	var res []string
	for i := 0; i < len(out) && i < n; i++ {
		res = append(res, out[i].s)
	}
	return res
}

// levenshtein is the classic two-row edit distance; rows is scratch space
// reused across calls.
func levenshtein(a, b string, rows *[2][]int) int {
	if a == b {
		return 0
	}
	for i := range rows {
		if cap(rows[i]) < len(b)+1 {
			rows[i] = make([]int, len(b)+1)
		}
		rows[i] = rows[i][:len(b)+1]
	}
	prev, cur := rows[0], rows[1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
