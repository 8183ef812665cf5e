package diagnose_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/diagnose"
)

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		name       string
		want       string
		candidates []string
		n          int
		expect     []string
	}{
		{"v prefix first", "v1.0.0", []string{"latest", "1.0.1", "1.0.0", "2.0.0"}, 3, []string{"1.0.0", "1.0.1", "2.0.0"}},
		{"v prefix added", "1.0.0", []string{"v1.0.0", "1.0.9"}, 3, []string{"v1.0.0", "1.0.9"}},
		{"case before edits", "Latest", []string{"last", "latest", "LATEST"}, 3, []string{"LATEST", "latest", "last"}},
		{"case and v", "V1.2", []string{"1.2", "1.3"}, 1, []string{"1.2"}},
		{"missing library/", "redis", []string{"library/nginx", "library/redis", "bitnami/redis-cluster"}, 3, []string{"library/redis"}},
		{"extra library/", "library/redis", []string{"redis", "nginx"}, 3, []string{"redis"}},
		{"namespace before edits", "redis", []string{"redi", "library/redis"}, 3, []string{"library/redis", "redi"}},
		{"far-off dropped", "1.0.0", []string{"latest", "stable", "main", "nightly-2024"}, 3, nil},
		{"short tags tolerate two edits", "7", []string{"72", "7.2", "alpine"}, 3, []string{"72", "7.2"}},
		{"exact match is no suggestion", "latest", []string{"latest"}, 3, nil},
		{"bounded by n, ties by name", "1.0", []string{"1.4", "1.3", "1.2", "1.1"}, 2, []string{"1.1", "1.2"}},
		{"n zero", "1.0", []string{"1.1"}, 0, nil},
		{"no candidates", "1.0", nil, 3, nil},
		{"huge candidates ignored", "1.0", []string{strings.Repeat("1", 300), "1.1"}, 3, []string{"1.1"}},
	} {
		if got := diagnose.Closest(tc.want, tc.candidates, tc.n); !slices.Equal(got, tc.expect) {
			t.Errorf("%s: Closest(%q, %q, %d) = %q, want %q", tc.name, tc.want, tc.candidates, tc.n, got, tc.expect)
		}
	}
}

// FuzzClosest takes the wanted tag and newline-separated candidates.
func FuzzClosest(f *testing.F) {
	f.Add("v1.0.0", "1.0.0\n1.0.1\nlatest", 3)
	f.Add("redis", "library/redis\nlibrary/nginx", 2)
	f.Add("Latest", "latest\nLATEST\nlast", 1)
	f.Add("", "\n\n", 5)
	f.Add("v", "V\nv\n", -1)
	f.Fuzz(func(t *testing.T, want, list string, n int) {
		if len(want) > 128 || len(list) > 4096 || n > 100 {
			t.Skip("bounded: Closest is quadratic per candidate")
		}
		var candidates []string
		for _, c := range strings.Split(list, "\n") {
			if !slices.Contains(candidates, c) {
				candidates = append(candidates, c)
			}
		}
		got := diagnose.Closest(want, candidates, n)
		if len(got) > max(n, 0) {
			t.Fatalf("%d results for n=%d", len(got), n)
		}
		for i, g := range got {
			if g == want || !slices.Contains(candidates, g) || slices.Contains(got[:i], g) {
				t.Errorf("result %q: the wanted tag, not a candidate, or repeated (%q)", g, got)
			}
		}
		if again := diagnose.Closest(want, candidates, n); !slices.Equal(got, again) {
			t.Errorf("not deterministic: %q then %q", got, again)
		}
		// A tag equal up to case is always the first suggestion.
		if n > 0 && slices.ContainsFunc(candidates, func(c string) bool { return c != want && strings.EqualFold(c, want) && len(c) <= 256 }) &&
			(len(got) == 0 || !strings.EqualFold(got[0], want)) {
			t.Errorf("Closest(%q) = %q does not start with the case-insensitive match", want, got)
		}
	})
}
