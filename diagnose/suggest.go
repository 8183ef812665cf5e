package diagnose

import (
	"fmt"
	"net/http"
	"slices"
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
			// Repositories only: the catalog says they exist, but not
			// which tags they hold, and a suggestion must exist.
			var refs []string
			for _, s := range sugg {
				refs = append(refs, f.t.Registry+"/"+s)
			}
			detail += " Close existing repositories: " + strings.Join(sugg, ", ") + "."
			rem = append([]string{"Did you mean the repository " + strings.Join(refs, " or ") + "? `skopeo list-tags docker://" + refs[0] + "` lists the tags it has."}, rem...)
		}
		if f.rep.Product.Name == "Nexus" {
			rem = append(rem, "Nexus: a proxy repository fetches on demand; a hosted one only has what was pushed to it. Pull through the group or proxy repository's port.")
		}
		return one(newDiagnosis(RepositoryNotFound, detail, rem...))
	}
	want := f.t.Reference
	if f.t.IsDigest {
		return one(newDiagnosis(TagNotFound,
			fmt.Sprintf("%s answered %s: no manifest with digest %s in %s.", m.URL, codesOf(m.Get), want, f.t.Repository),
			"Digests change when an image is rebuilt or re-pushed; look up the current digest with `skopeo inspect docker://"+f.t.Registry+"/"+f.t.Repository+":TAG`."))
	}
	if list == nil || f.res(checks.IDTags).Status != checks.Pass {
		return one(newDiagnosis(TagNotFound,
			fmt.Sprintf("%s answered %s. The tags list could not be read, so a missing repository cannot be ruled out.", m.URL, codesOf(m.Get)),
			"List the tags with `skopeo list-tags docker://"+f.t.Registry+"/"+f.t.Repository+"` and pick an existing one."))
	}
	if slices.Contains(list.Tags, want) {
		if m.Get.Malformed {
			return nil // the broken error body is the fault registry-misbehaving names
		}
		// Listed but not served: the tag's manifest is gone while the
		// tag is not, which is the registry's inconsistency, not a typo.
		return one(newDiagnosis(RegistryMisbehaving,
			fmt.Sprintf("The tags list of %s names %q, but its manifest answers %s (%s): the registry lost the manifest the tag points at.", f.t.Repository, want, codesOf(m.Get), m.URL),
			"Push the image again to restore the manifest.",
			"Nexus: a cleanup policy or \"Docker - Delete unused manifests and images\" task removed it, or the blob store was restored from an older backup than the database: run Repair - Rebuild repository browse and Reconcile component database from blob store. A proxy repository: invalidate its cache so the tag is fetched again.",
			"distribution: a `registry garbage-collect --delete-untagged` or a storage lifecycle rule deleted the manifest's revision while its tag link stayed."))
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
	return one(newDiagnosis(TagNotFound, detail, rem...))
}

func codesOf(x *checks.Exchange) string {
	s := fmt.Sprintf("%d", x.Status)
	for _, e := range x.Errors {
		s += " " + string(e.Code)
	}
	return s
}

// maxEditCells bounds the edit-distance work of one suggestion, in cells
// of the distance table (a few nanoseconds each: some 30 ms in all). The
// tags list is the server's: up to 20,000 tags of 128 characters (and the
// catalog's repositories) cost seconds unbounded, after --timeout has run
// out. Lists of ordinary tags fit within it whole (50,000 of release-NNNNN);
// past it, the candidates not yet reached are still matched up to case, a
// "v" or a namespace, which is cheap, but not by edit distance.
const maxEditCells = 1 << 22

// Closest returns up to n candidates nearest to want: same tag up to case
// or a "v" prefix first, then by edit distance. Far-off candidates are
// dropped rather than suggested. Its cost is linear in the candidates'
// total length, plus at most maxEditCells of edit-distance work.
func Closest(want string, candidates []string, n int) []string {
	res, _ := closest(want, candidates, n, maxEditCells)
	return res
}

// closest is Closest with an edit-distance budget; it also returns how
// many candidates it measured by edit distance, for the tests.
func closest(want string, candidates []string, n, budget int) ([]string, int) {
	if n <= 0 {
		return nil, 0
	}
	norm := func(s string) string { return strings.TrimPrefix(strings.ToLower(s), "v") }
	base := func(s string) string { // "library/redis" -> "redis"
		if i := strings.LastIndex(s, "/"); i >= 0 {
			return s[i+1:]
		}
		return s
	}
	best := topN{n: n}
	wantNorm := norm(want)
	limit := max(2, len(want)/3)
	// First the cheap matches, over every candidate: they outrank any
	// edit distance, so they also tighten the cutoff of the costly pass.
	var rest []int // candidates left for edit distance
	for i, c := range candidates {
		if c == want || len(c) > 256 {
			continue
		}
		cNorm := norm(c)
		switch {
		case strings.EqualFold(c, want):
			best.add(c, 0.1)
		case cNorm == wantNorm:
			best.add(c, 0.2)
		case base(c) == base(want) && strings.Contains(c, "/") != strings.Contains(want, "/") || base(c) == want || base(want) == c:
			best.add(c, 0.3) // a missing or extra namespace such as library/
		default:
			if diff := len(cNorm) - len(wantNorm); diff <= limit && -diff <= limit {
				rest = append(rest, i) // else the distance is at least the length difference
			}
		}
	}
	var rows [2][]int
	measured, cells := 0, 0
	for _, i := range rest {
		k := limit
		if w, full := best.worst(); full {
			if w < 1 {
				break // n cheap matches: no distance can displace them
			}
			k = min(k, int(w)) // a tie may still win on the name
		}
		if cells >= budget {
			break
		}
		c := candidates[i]
		d, used := boundedLevenshtein(norm(c), wantNorm, k, &rows)
		cells += used
		measured++
		if d <= k {
			best.add(c, float64(d))
		}
	}
	return best.names(), measured
}

// topN keeps the n best-scored names, lowest score first, ties by name.
type topN struct {
	n    int
	list []scored
}

type scored struct {
	s     string
	score float64
}

func (t *topN) add(s string, score float64) {
	at := sort.Search(len(t.list), func(i int) bool {
		o := t.list[i]
		return o.score > score || o.score == score && o.s > s
	})
	if at >= t.n {
		return
	}
	if len(t.list) < t.n {
		t.list = append(t.list, scored{})
	}
	copy(t.list[at+1:], t.list[at:])
	t.list[at] = scored{s, score}
}

// worst is the score a newcomer must at most have, once the list is full.
func (t *topN) worst() (float64, bool) {
	if len(t.list) < t.n {
		return 0, false
	}
	return t.list[len(t.list)-1].score, true
}

func (t *topN) names() []string {
	var res []string
	for _, e := range t.list {
		res = append(res, e.s)
	}
	return res
}

// boundedLevenshtein is the edit distance of a and b when it is at most k,
// else k+1, computed in the band |i-j| <= k of the two-row table and given
// up as soon as a whole row exceeds k. It also returns the cells it
// computed. rows is scratch space reused across calls.
func boundedLevenshtein(a, b string, k int, rows *[2][]int) (d, cells int) {
	if a == b {
		return 0, 0
	}
	inf := k + 1
	if len(a)-len(b) > k || len(b)-len(a) > k {
		return inf, 0
	}
	for i := range rows {
		if cap(rows[i]) < len(b)+1 {
			rows[i] = make([]int, len(b)+1)
		}
		rows[i] = rows[i][:len(b)+1]
	}
	prev, cur := rows[0], rows[1]
	for j := range prev {
		prev[j] = min(j, inf) // outside the band counts as "more than k"
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-k), min(len(b), i+k)
		cur[lo-1] = inf
		if lo == 1 {
			cur[0] = min(i, inf)
		}
		rowMin := cur[lo-1]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, inf)
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if hi < len(b) {
			cur[hi+1] = inf // the next row reads it as its upper neighbour
		}
		cells += hi - lo + 1
		if rowMin > k {
			return inf, cells // distances never fall from one row to the next
		}
		prev, cur = cur, prev
	}
	return prev[len(b)], cells
}
