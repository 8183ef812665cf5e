package diagnose

import (
	"regexp"
	"testing"
)

// TestExplainPatternsCompile: the patterns are compiled on first use, so
// this compiles every one of them, to fail here rather than in a user's
// explain.
func TestExplainPatternsCompile(t *testing.T) {
	all := []*lazyRE{apiPath, ansiEscape, pushHint, safeArg, apiURL, hintCrane, platformPart}
	for _, cm := range clientMessages {
		all = append(all, cm.re)
	}
	for _, x := range targetExtractors {
		all = append(all, x.re)
	}
	for _, l := range all {
		if _, err := regexp.Compile(l.pattern); err != nil {
			t.Errorf("pattern %q: %v", l.pattern, err)
		}
	}
	if len(all) < 100 {
		t.Errorf("only %d patterns found", len(all))
	}
}
