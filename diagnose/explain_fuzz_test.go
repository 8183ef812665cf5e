package diagnose

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzExplain: no input panics, runs long, or yields a malformed match.
// With seeds only it runs as a normal test.
func FuzzExplain(f *testing.F) {
	for _, c := range explainCases {
		f.Add(c.in)
	}
	f.Add("")
	f.Add("\n\n\r\n")
	f.Add("\x1b[31m\\\"\\\\\"\\u003c&quot;\x00\xff\xfe")
	f.Add(strings.Repeat("manifest unknown ", 2000))
	f.Add(strings.Repeat("x509: certificate is valid for a, ", 2000))
	f.Add(strings.Repeat("Trying to pull r.example.com/a:1...\n", 500))
	f.Add(`failed to fetch anonymous token: Get "https://[::1]:0/token?scope=%zz": dial tcp`)
	f.Add(`short-name "" did not resolve to an alias and no x`)
	f.Add(`no image found in image index for architecture "", variant "", OS ""`)
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		e := Explain(s)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Explain took %s on %d bytes", d, len(s))
		}
		if len(e.Matches) > maxExplainMatches {
			t.Fatalf("%d matches", len(e.Matches))
		}
		if want := strings.Count(s, "\n") + 1; s != "" && !strings.HasSuffix(s, "\n") && e.Lines != want {
			t.Errorf("lines = %d, want %d", e.Lines, want)
		}
		for i, m := range e.Matches {
			checkMatch(t, m)
			if i > 0 && order(e.Matches[i-1].Diagnosis.Code) > order(m.Diagnosis.Code) {
				t.Errorf("matches not in catalogue order: %s before %s", e.Matches[i-1].Diagnosis.Code, m.Diagnosis.Code)
			}
			if len(m.Evidence) > maxEvidence+len("…") {
				t.Errorf("evidence of %d bytes", len(m.Evidence))
			}
		}
		if len(e.Matches) == 0 && e.Target != "" && e.CheckCommand != "regdoctor check "+e.Target {
			t.Errorf("no match: target %q, check %q", e.Target, e.CheckCommand)
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatal(err)
		}
		// The keys prefilter never hides a match of its regexp.
		if len(s) < 1<<16 {
			for _, line := range strings.Split(s, "\n") {
				line = normalizeLine(line)
				for i, cm := range clientMessages {
					if containsAny(line, cm.keys) {
						continue
					}
					for _, loc := range cm.re.FindAllStringSubmatchIndex(line, 4) {
						if cm.accept == nil || cm.accept(submatches(cm.re, line, loc)) {
							t.Errorf("clientMessages[%d] (%s) matches %q, which has none of its keys %q", i, cm.code, line, cm.keys)
							break
						}
					}
				}
			}
		}
	})
}
