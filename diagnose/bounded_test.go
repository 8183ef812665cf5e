package diagnose

import (
	"fmt"
	"strings"
	"testing"
)

// TestListSome: a diagnosis names at most maxListed distinct items.
func TestListSome(t *testing.T) {
	if got := listSome([]string{"linux/amd64", "linux/arm64", "linux/amd64"}); got != "linux/amd64, linux/arm64" {
		t.Errorf("listSome = %q", got)
	}
	many := make([]string, 40000)
	for i := range many {
		many[i] = fmt.Sprintf("linux/arch%d", i%100)
	}
	got := listSome(many)
	if n := strings.Count(got, ", ") + 1; n != maxListed || !strings.HasSuffix(got, " and 80 more") {
		t.Errorf("listSome of 40000 (100 distinct) = %q: %d shown", got, n)
	}
}
