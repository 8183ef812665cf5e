package diagnose

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// levenshteinExact is the plain two-row edit distance, the reference for
// boundedLevenshtein.
func levenshteinExact(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
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

func checkBounded(t *testing.T, a, b string, k int, rows *[2][]int) {
	t.Helper()
	exact := levenshteinExact(a, b)
	got, _ := boundedLevenshtein(a, b, k, rows)
	if want := min(exact, k+1); got != want {
		t.Fatalf("boundedLevenshtein(%q, %q, %d) = %d, want %d (exact %d)", a, b, k, got, want, exact)
	}
}

// TestBoundedLevenshtein: within k the distance is exact, beyond it k+1,
// with the scratch rows reused across lengths.
func TestBoundedLevenshtein(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = "abc"[r.IntN(3)]
		}
		return string(b)
	}
	var rows [2][]int
	for range 20000 {
		checkBounded(t, word(), word(), r.IntN(8), &rows)
	}
}

func FuzzBoundedLevenshtein(f *testing.F) {
	f.Add("kitten", "sitting", 3)
	f.Add("", "abc", 1)
	f.Add("1.0.0", "v1.0.0", 0)
	f.Fuzz(func(t *testing.T, a, b string, k int) {
		if len(a) > 64 || len(b) > 64 || k < 0 || k > 64 {
			t.Skip()
		}
		var rows [2][]int
		checkBounded(t, a, b, k, &rows)
	})
}

// TestClosestOverFiftyThousandTags: ordinary tags, 50,000 of them, fit in
// the edit-distance budget whole, so the close name is found even last.
func TestClosestOverFiftyThousandTags(t *testing.T) {
	tags := make([]string, 50000)
	for i := range tags {
		tags[i] = fmt.Sprintf("release-%05d", i)
	}
	got, measured := closest("relaese-49999", tags, 3, maxEditCells)
	if len(got) == 0 || got[0] != "release-49999" {
		t.Errorf("closest = %q, want release-49999 first", got)
	}
	if measured != len(tags) {
		t.Errorf("measured %d of %d ordinary tags; the budget should hold them all", measured, len(tags))
	}
	// The cheap matches need no budget at all, wherever they are.
	if got, _ := closest("Release-49999", tags, 1, 0); !slices.Equal(got, []string{"release-49999"}) {
		t.Errorf("with no budget, closest = %q, want the case-insensitive match", got)
	}
}

// TestClosestStopsAtTheBudget: 50,000 long tags alike enough to need the
// whole table each are measured only up to the budget; a close name within
// that window is still found.
func TestClosestStopsAtTheBudget(t *testing.T) {
	tags := make([]string, 50000)
	for i := range tags {
		tags[i] = fmt.Sprintf("%0128d", i*7919)
	}
	want := strings.Repeat("0", 120) + "12345678" // 12345678 is none of them
	tags[10] = strings.Repeat("0", 120) + "12345670"
	got, measured := closest(want, tags, 3, maxEditCells)
	if measured == 0 || measured >= len(tags) {
		t.Errorf("measured %d of %d long tags; the budget should stop it part-way", measured, len(tags))
	}
	if len(got) == 0 || got[0] != tags[10] {
		t.Errorf("closest = %q, want %q (one edit, within the window) first", got, tags[10])
	}
	if again, _ := closest(want, tags, 3, maxEditCells); !slices.Equal(got, again) {
		t.Errorf("not deterministic: %q then %q", got, again)
	}
}
