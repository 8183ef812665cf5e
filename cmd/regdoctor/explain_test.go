package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The CLI contract of explain: text as arguments or on stdin, the same
// diagnosis objects as check in JSON, and exit codes 0 / 1 / 2.

func explainCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"explain", "--no-color"}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestExplainFromArgumentsAndStdin(t *testing.T) {
	seed := `Error: initializing source docker://mirror.docker.com/library/myredis:v1.0.0: reading manifest v1.0.0 in mirror.docker.com/library/myredis: manifest unknown: manifest unknown`
	fromArgs, _, code := explainCLI(t, "", seed)
	if code != 0 || !strings.Contains(fromArgs, "tag-not-found") || !strings.Contains(fromArgs, "regdoctor check mirror.docker.com/library/myredis:v1.0.0") {
		t.Fatalf("exit %d, output:\n%s", code, fromArgs)
	}
	log := "2026-11-27T10:00:00Z step 3/7\n" + `time="2026-11-27T10:00:01Z" level=fatal msg="` + strings.ReplaceAll(seed, `"`, `\"`) + `"` + "\n"
	fromStdin, _, code := explainCLI(t, log)
	if code != 0 || !strings.Contains(fromStdin, "tag-not-found") {
		t.Fatalf("stdin: exit %d, output:\n%s", code, fromStdin)
	}
}

func TestExplainJSONUsesCheckDiagnoses(t *testing.T) {
	text := "Error: initializing source docker://redis:latest: Requesting bear token: invalid status code from registry 403 (Forbidden)\n" +
		`Get "https://mirror.docker.com/v2/": http: server gave HTTP response to HTTPS client`
	out, _, code := explainCLI(t, "", "-o", "json", text)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var doc struct {
		Matches []struct {
			Diagnosis struct {
				Code, Severity, Title, Docs string
				Remediation                 []string
			} `json:"diagnosis"`
			Client       string `json:"client"`
			Registry     string `json:"registry"`
			CheckCommand string `json:"check_command"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, m := range doc.Matches {
		if m.Diagnosis.Title == "" || len(m.Diagnosis.Remediation) == 0 || !strings.HasPrefix(m.Diagnosis.Docs, "docs/codes/") {
			t.Errorf("incomplete diagnosis object: %+v", m.Diagnosis)
		}
		got[m.Diagnosis.Code] = m.Registry
	}
	if got["plain-http-registry"] != "mirror.docker.com" {
		t.Errorf("plain-http-registry with registry mirror.docker.com missing: %v", got)
	}
	if _, ok := got["not-logged-in"]; !ok {
		t.Errorf("not-logged-in missing: %v", got)
	}
	// Root cause first: the catalogue puts the TLS layer before auth.
	if len(doc.Matches) < 2 || doc.Matches[0].Diagnosis.Code != "plain-http-registry" {
		t.Errorf("want plain-http-registry listed first, got %+v", doc.Matches)
	}
}

func TestExplainExitCodes(t *testing.T) {
	out, _, code := explainCLI(t, "", "the build finished in 3 minutes, then the coffee machine broke")
	if code != 1 || !strings.Contains(out, "regdoctor check") {
		t.Errorf("no match: want exit 1 and a check suggestion, got %d\n%s", code, out)
	}
	if _, errOut, code := explainCLI(t, "", "-o", "yaml", "x"); code != 2 || errOut == "" {
		t.Errorf("bad output format: want exit 2 with a message, got %d %q", code, errOut)
	}
	if _, _, code := explainCLI(t, ""); code != 2 {
		t.Errorf("no text at all: want exit 2, got %d", code)
	}
}

// TestExplainPromptOnlyOnTTY: /dev/null is a character device, not a
// terminal; reading it must not ask anyone to paste anything.
func TestExplainPromptOnlyOnTTY(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var stdout, stderr bytes.Buffer
	run([]string{"explain"}, null, &stdout, &stderr)
	if strings.Contains(stderr.String(), "paste") {
		t.Errorf("prompted with stdin %s: %q", os.DevNull, stderr.String())
	}
}
