package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/internal/golden"
	"github.com/regdoctor/regdoctor/target"
)

// tableReports are a failing and a healthy run, with the long summaries
// real runs have (a certificate chain, a CA path, a 404 body).
func tableReports() map[string]*diagnose.Report {
	tg := target.Target{Input: "registry.example.com:5000/library/myredis:v1.0.0", Registry: "registry.example.com:5000", Host: "registry.example.com:5000", Repository: "library/myredis", Reference: "v1.0.0"}
	res := func(id string, st checks.Status, ms int, summary string) *checks.Result {
		return &checks.Result{ID: id, Status: st, Summary: summary, Duration: time.Duration(ms) * time.Millisecond}
	}
	common := []*checks.Result{
		res("client-config", checks.Pass, 0, "no stored credentials for registry.example.com:5000; CA from /etc/containers/certs.d/registry.example.com:5000/ca.crt"),
		res("dns", checks.Pass, 3, "registry.example.com resolves to 192.0.2.10"),
		res("tcp", checks.Pass, 1, "connected to 192.0.2.10:5000"),
		res("tls", checks.Pass, 17, "TLS 1.3, certificate for registry.example.com issued by CN=Example Corp Issuing CA 2, O=Example Corp, valid until 2027-01-02"),
		res("ping-https", checks.Pass, 9, "registry/2.0 answers (401, Bearer challenge)"),
		{ID: "ping-http", Status: checks.Pass, Summary: "no registry on plain HTTP (connection refused)", Duration: 1052 * time.Millisecond, Neutral: true},
		res("containerd-token", checks.Skip, 0, "not needed: containerd is not judged"),
	}
	fail := &diagnose.Report{
		Target: tg, Product: diagnose.Product{Name: "distribution"}, Duration: 1234 * time.Millisecond,
		Results: append(append([]*checks.Result{}, common...),
			res("manifest", checks.Fail, 12, "GET v1.0.0: 404 Not Found, MANIFEST_UNKNOWN: manifest unknown to the registry: the repository library/myredis has no tag v1.0.0"),
			res("blob", checks.Skip, 0, "skipped: manifest did not pass"),
			res("tags", checks.Pass, 4, "3 tags in library/myredis: 1.0.0, 1.0.1, latest")),
		Diagnoses: []diagnose.Diagnosis{{
			Code: "tag-not-found", Severity: diagnose.Error, Title: "The repository exists but the tag does not",
			Detail:      `library/myredis has 3 tags, but not "v1.0.0" (https://registry.example.com:5000/v2/library/myredis/manifests/v1.0.0 answered 404 MANIFEST_UNKNOWN). Closest: 1.0.0, 1.0.1.`,
			Remediation: []string{"Use registry.example.com:5000/library/myredis:1.0.0 (e.g. `podman pull registry.example.com:5000/library/myredis:1.0.0`).", "Or in /etc/containers/registries.conf:\n[[registry]]\nlocation = \"registry.example.com:5000\""},
			Docs:        "tag-not-found",
		}},
		Clients: []diagnose.ClientVerdict{{Name: "podman", Verdict: "fails", Reason: "tag-not-found: The repository exists but the tag does not, and no client pulls a tag that is not there"}},
		Config:  &checks.ClientConfig{ClientsSkipped: []clientconf.Skipped{{Name: "docker", Why: "no daemon answers at /var/run/docker.sock"}}},
	}
	healthy := &diagnose.Report{
		Target: tg, Duration: 87 * time.Millisecond,
		Results: append(append([]*checks.Result{}, common...),
			res("manifest", checks.Pass, 12, "GET v1.0.0: application/vnd.oci.image.index.v1+json, 2 platforms, linux/amd64 chosen"),
			res("tags", checks.Pass, 4, "1 tag in library/myredis: v1.0.0")),
		Clients: []diagnose.ClientVerdict{{Name: "podman", Verdict: "ok", Reason: "pulls: every step passed"}},
	}
	return map[string]*diagnose.Report{"failing": fail, "healthy": healthy}
}

// TestTableGolden pins the table at 80, 100 and 160 columns and without a
// limit (--wide). Run `go test ./report -run TestTableGolden -update`
// after an intended change, and read the diff.
func TestTableGolden(t *testing.T) {
	for name, rep := range tableReports() {
		for _, width := range []int{80, 100, 160, 0} {
			t.Run(fmt.Sprintf("%s-%d", name, width), func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteTable(&buf, rep, NewPalette(false).WithWidth(width)); err != nil {
					t.Fatal(err)
				}
				golden.Compare(t, filepath.Join("testdata", fmt.Sprintf("table-%s-%d.golden", name, width)), buf.Bytes())
			})
		}
	}
}

// TestTableFitsWidth: no line is wider than the width asked for, the
// durations end in one column, and --wide keeps every summary whole.
func TestTableFitsWidth(t *testing.T) {
	for name, rep := range tableReports() {
		for _, width := range []int{80, 100, 160, 0, 40} {
			var buf bytes.Buffer
			if err := WriteTable(&buf, rep, NewPalette(false).WithWidth(width)); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			limit := max(width, MinWidth) // 40 is widened to the minimum
			durEnd := -1
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if w := runewidth.StringWidth(l); width != 0 && w > limit {
					t.Errorf("%s at %d: line of %d columns: %q", name, width, w, l)
				}
				if strings.HasSuffix(l, "ms") && strings.HasPrefix(l, " ") {
					if w := runewidth.StringWidth(l); durEnd == -1 {
						durEnd = w
					} else if w != durEnd {
						t.Errorf("%s at %d: durations not aligned: %q ends at %d, others at %d", name, width, l, w, durEnd)
					}
				}
			}
			if durEnd == -1 {
				t.Errorf("%s at %d: no check row found in:\n%s", name, width, out)
			}
			for _, r := range rep.Results {
				if width == 0 && !strings.Contains(out, r.Summary) {
					t.Errorf("%s without a limit: summary %q cut", name, r.Summary)
				}
				if width != 0 && r.Status == checks.Fail && !strings.Contains(words(out), r.Summary) {
					t.Errorf("%s at %d: a failed check's summary %q must be shown in full, wrapped", name, width, r.Summary)
				}
			}
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"a b c", 0, []string{"a b c"}},
		{"aaa bbb ccc", 7, []string{"aaa bbb", "ccc"}},
		{"aaaaaaaaaa b", 4, []string{"aaaa", "aaaa", "aa b"}},
		{"  indented line here", 12, []string{"  indented", "line here"}},
		{"", 10, []string{""}},
	} {
		if got := wrap(tc.in, tc.width); !slicesEqual(got, tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// words is out with its spacing and durations taken out, so that wrapped
// text reads as one line again.
func words(out string) string {
	var ws []string
	for _, w := range strings.Fields(out) {
		if strings.HasSuffix(w, "ms") && strings.Trim(w, "0123456789ms") == "" {
			continue
		}
		ws = append(ws, w)
	}
	return strings.Join(ws, " ")
}

// TestNeutralMark: a check that passed by finding nothing to judge (no
// registry on plain HTTP) is not shown as a success.
func TestNeutralMark(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, tableReports()["healthy"], NewPalette(false)); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "ping-http ") && !strings.HasPrefix(l, " ·  ping-http") {
			t.Errorf("ping-http row %q, want the neutral mark", l)
		}
		if strings.Contains(l, " dns ") && !strings.HasPrefix(l, " ✓  dns") {
			t.Errorf("dns row %q, want ✓", l)
		}
	}
}

// FuzzWrap: wrapping never loses or reorders text, and every line fits
// when the text's characters do (a character wider than the width cannot).
func FuzzWrap(f *testing.F) {
	for _, s := range []string{"", "a b c", "  indented snippet line", "https://registry.example.com/v2/library/myredis/manifests/v1.0.0 answered 404", "証明書 の 検証 に 失敗"} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		if width < 2 || width > 200 || !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\t") {
			return
		}
		lines := wrap(s, width)
		if got, want := strings.Join(strings.Fields(strings.Join(lines, " ")), ""), strings.Join(strings.Fields(s), ""); got != want {
			t.Fatalf("wrap(%q, %d) = %q: text changed", s, width, lines)
		}
		if !narrow(s) {
			return // combining marks and wide characters: the text is kept, the width is best effort
		}
		for _, l := range lines {
			if w := runewidth.StringWidth(l); w > width {
				t.Fatalf("wrap(%q, %d): line %q is %d wide", s, width, l, w)
			}
		}
	})
}

// narrow: s is printable ASCII, one column a character however measured
// (outside ASCII, go-runewidth's rune and string widths may disagree).
func narrow(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}
