package diagnose

import (
	"fmt"
	"strings"
)

// maxListed bounds how many server-supplied names (an index's platforms)
// a diagnosis spells out: a 4 MiB index lists tens of thousands.
const maxListed = 20

// listSome joins the distinct items, at most maxListed of them, and says
// how many distinct ones it left out.
func listSome(items []string) string {
	seen := map[string]bool{}
	var shown []string
	more := 0
	for _, it := range items {
		if seen[it] {
			continue
		}
		seen[it] = true
		if len(shown) < maxListed {
			shown = append(shown, it)
		} else {
			more++
		}
	}
	s := strings.Join(shown, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}
