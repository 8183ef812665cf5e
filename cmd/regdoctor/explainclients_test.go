package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clientErrorCell is one row of integration/testdata/client-errors.json
// and client-config-errors.json, which `make integration-testdata` writes
// from real runs of podman, buildah, skopeo, ctr, crane and regctl: the
// client's last error line and the code regdoctor check's verdict for
// that client named.
type clientErrorCell struct {
	Scenario  string `json:"scenario"`
	Client    string `json:"client"`
	Error     string `json:"error"`
	CheckCode string `json:"check_code"`
}

// textAmbiguous are rows ("scenario/client", or "scenario/*") where the
// client's words alone name another cause than the one regdoctor check
// finds with the registry in front of it; explain cannot know better.
var textAmbiguous = map[string]string{
	"index-child-missing/*":                  "\"manifest unknown\" for the platform's digest reads as a missing tag; check saw the tag resolve to an index whose child is gone",
	"layer-storage-dead/*":                   "connection refused at the storage URL a blob redirected to reads as the registry being down",
	"manifest-redirect-dead-port/*":          "connection refused after the manifest's redirect reads as the registry being down",
	"layer-unauthorized/*":                   "a 401 on a blob after a token was granted reads as refused credentials",
	"manifest-listed-tag-404/*":              "a 404 for a tag that tags/list names reads as a missing tag",
	"manifest-content-type-mismatch/*":       "podman's \"artifact with type\" reads as an artifact pushed on purpose; check sees a Content-Type contradicting the body",
	"manifest-digest-mismatch/containerd":    "containerd's failed commit reads as corrupt content; check sees the manifest's digest",
	"manifest-html/containerd":               "ctr says the manifest descriptor was \"not found\"",
	"manifest-no-content-type/containerd":    "ctr says the manifest descriptor was \"not found\"",
	"manifest-unknown-media-type/containerd": "ctr says the manifest descriptor was \"not found\"",
	// crane's "DENIED: anonymous access …" from the realm: explain reads
	// DENIED as access-denied; check knows no credentials were stored.
	"crane-podman-auth-hidden-by-docker-config/crane":    "the realm's DENIED reads as access-denied although crane sent no credentials",
	"podman-login-as-root-without-XDG_RUNTIME_DIR/crane": "the realm's DENIED reads as access-denied although crane sent no credentials",
	// dockerd follows no Location-less 302 and reads its empty answer as
	// a manifest without a Content-Type.
	"manifest-redirect-no-location/docker": "dockerd words a 302 without Location as a manifest with no Content-Type",
	// The daemon, not the CLI, makes docker's requests, with its own
	// environment: the suite's dockerd has no proxy, so docker.io fails at
	// DNS, while regdoctor (and the other clients) meet the shell's proxy.
	"short-name-enforcing-without-tty/docker": "dockerd does not use the shell's HTTP(S)_PROXY, which regdoctor checks docker.io through",
}

func loadClientErrors(t *testing.T) []clientErrorCell {
	t.Helper()
	var all []clientErrorCell
	for _, f := range []string{"client-errors.json", "client-config-errors.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "integration", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		var cells []clientErrorCell
		if err := json.Unmarshal(data, &cells); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all = append(all, cells...)
	}
	if len(all) < 100 {
		t.Fatalf("only %d client error texts: run make integration-testdata", len(all))
	}
	return all
}

// TestExplainClientErrors feeds every captured client error to `regdoctor
// explain`: where the message is specific enough for explain to name a
// cause, it must be the root code regdoctor check gave for that client on
// the same registry, unless textAmbiguous says why the words mislead.
func TestExplainClientErrors(t *testing.T) {
	matched, silent := 0, 0
	for _, c := range loadClientErrors(t) {
		if c.CheckCode == "" || c.Error == "" {
			continue // regctl (no verdict), or a failure no code names
		}
		var out, errOut bytes.Buffer
		runCLI([]string{"explain", "-o", "json", c.Error}, &out, &errOut)
		var ex struct {
			Matches []struct {
				Diagnosis struct {
					Code string `json:"code"`
				} `json:"diagnosis"`
			} `json:"matches"`
		}
		if err := json.Unmarshal(out.Bytes(), &ex); err != nil {
			t.Fatalf("%s/%s: explain output: %v\n%s%s", c.Scenario, c.Client, err, out.String(), errOut.String())
		}
		if len(ex.Matches) == 0 {
			silent++
			continue
		}
		got := ex.Matches[0].Diagnosis.Code
		why, ambiguous := textAmbiguous[c.Scenario+"/"+c.Client]
		if !ambiguous {
			why, ambiguous = textAmbiguous[c.Scenario+"/*"]
		}
		switch {
		case got == c.CheckCode:
			matched++
		case ambiguous:
			t.Logf("%s/%s: explain %s, check %s (%s)", c.Scenario, c.Client, got, c.CheckCode, why)
		default:
			t.Errorf("%s/%s: explain says %s, check said %s, for %q", c.Scenario, c.Client, got, c.CheckCode, truncateText(c.Error, 300))
		}
	}
	t.Logf("explain gave check's code for %d client messages; %d were not specific enough to match", matched, silent)
	if matched < 50 {
		t.Errorf("explain agreed with check on only %d client messages", matched)
	}
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimSpace(s[:n]) + "…"
}
