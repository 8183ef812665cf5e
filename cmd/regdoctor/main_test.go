package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
	"github.com/regdoctor/regdoctor/internal/golden"
	"github.com/regdoctor/regdoctor/report"
)

// cliTimeout keeps server-not-responding short; the fixtures are local.
const cliTimeout = "2s"

// isolate points every location run() reads (it uses the real environment)
// at empty temp dirs, and REGISTRY_AUTH_FILE at authFile. It returns the
// directories, for --sysroot and for normalising paths in output.
func isolate(t *testing.T, authFile string) map[string]string {
	t.Helper()
	dirs := map[string]string{"SYSROOT": t.TempDir()}
	for _, k := range []string{"HOME", "XDG_RUNTIME_DIR", "DOCKER_CONFIG"} {
		dirs[k] = t.TempDir()
		t.Setenv(k, dirs[k])
	}
	// podman's default --authfile is $DOCKER_CONFIG/config.json when
	// REGISTRY_AUTH_FILE is unset, and it must exist: docker login's.
	if err := os.WriteFile(filepath.Join(dirs["DOCKER_CONFIG"], "config.json"), []byte(`{"auths":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REGISTRY_AUTH_FILE", authFile)
	// COLUMNS too: a terminal's would cut the table the tests read.
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "CONTAINERS_REGISTRIES_CONF", "COLUMNS"} {
		t.Setenv(k, "")
	}
	return dirs
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func cli(args ...string) cliResult {
	var stdout, stderr bytes.Buffer
	code := run(args, nil, &stdout, &stderr)
	return cliResult{code, stdout.String(), stderr.String()}
}

// checkArgs is `regdoctor check` against reg with the scenario's flags,
// judged for podman alone and blind to the machine's /etc, so that every
// machine gets the same verdicts.
func checkArgs(reg *fixtures.Registry, dirs map[string]string, extra ...string) []string {
	args := []string{"check", "--timeout", cliTimeout, "--sysroot", dirs["SYSROOT"], "--client", "podman"}
	if reg.CertDir != "" {
		args = append(args, "--cert-dir", reg.CertDir)
	}
	args = append(args, reg.Scenario.Args...)
	args = append(args, extra...)
	return append(args, reg.Target)
}

func TestExitCodesUsage(t *testing.T) {
	isolate(t, "")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // substring; "" means stdout must be empty
	}{
		{name: "no args", args: nil, code: 2},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2},
		{name: "version", args: []string{"version"}, code: 0, stdout: "regdoctor " + checks.Version + "\n"},
		{name: "--version", args: []string{"--version"}, code: 0, stdout: checks.Version},
		{name: "help", args: []string{"help"}, code: 0, stdout: "Usage:"},
		{name: "check --help", args: []string{"check", "--help"}, code: 0, stdout: "--platform"},
		{name: "unknown flag", args: []string{"check", "--bogus", "registry.example.com"}, code: 2},
		{name: "bad reference", args: []string{"check", "UPPER/Case::bad"}, code: 2},
		{name: "no target", args: []string{"check"}, code: 2},
		{name: "same target twice", args: []string{"check", "a.example.com", "a.example.com"}, code: 2},
		{name: "platform without arch", args: []string{"check", "--platform", "linux", "registry.example.com/app"}, code: 2},
		{name: "platform too long", args: []string{"check", "--platform", "linux/arm64/v8/x", "registry.example.com/app"}, code: 2},
		{name: "platform empty part", args: []string{"check", "--platform", "linux//arm", "registry.example.com/app"}, code: 2},
		{name: "unknown output", args: []string{"check", "-o", "yaml", "registry.example.com"}, code: 2},
		{name: "zero timeout", args: []string{"check", "--timeout", "0s", "registry.example.com"}, code: 2},
		{name: "demo unknown scenario", args: []string{"demo", "no-such-scenario"}, code: 2},
	} {
		r := cli(tc.args...)
		if r.code != tc.code {
			t.Errorf("%s: run(%q) = %d, want %d; stderr %q", tc.name, tc.args, r.code, tc.code, r.stderr)
		}
		if tc.stdout == "" && r.stdout != "" || !strings.Contains(r.stdout, tc.stdout) {
			t.Errorf("%s: stdout %q, want %q", tc.name, r.stdout, tc.stdout)
		}
		if (tc.code == 2) != (r.stderr != "") {
			t.Errorf("%s: stderr %q; usage errors, and only they, explain themselves there", tc.name, r.stderr)
		}
	}
}

func TestExitCodesDiagnosis(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		code     int
	}{
		{"healthy", 0},
		{"logged-in", 0},
		{"tag-mismatch", 1},
		{"connection-refused", 1},
		{"clock-skew", 0}, // a warning, not an error
		{"platform-not-available", 1},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			reg := fixturetest.Start(t, tc.scenario)
			dirs := isolate(t, reg.AuthFile)
			for _, output := range []string{"table", "json"} {
				if r := cli(checkArgs(reg, dirs, "-o", output)...); r.code != tc.code {
					t.Errorf("-o %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", output, r.code, tc.code, r.stdout, r.stderr)
				}
			}
		})
	}
}

// plantCredentials gives a scenario without stored credentials an auth
// file for its registry anyway, so every run has a secret that could leak:
// a password and an identity token.
func plantCredentials(t *testing.T, reg *fixtures.Registry) (authFile, user string, secrets []string) {
	t.Helper()
	if reg.AuthFile != "" {
		return reg.AuthFile, reg.Username, []string{reg.Password, base64.StdEncoding.EncodeToString([]byte(reg.Username + ":" + reg.Password))}
	}
	const pass, idToken = "planted-Pa55word-7f3e", "planted-identity-token-91ab"
	user = "planted-user"
	userPass := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	data, err := json.Marshal(map[string]any{"auths": map[string]any{
		reg.Host: map[string]string{"auth": userPass, "identitytoken": idToken},
	}})
	if err != nil {
		t.Fatal(err)
	}
	authFile = filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(authFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return authFile, user, []string{pass, userPass, idToken}
}

// TestNoSecretsInOutput runs every scenario in every output mode and looks
// for the stored secrets and for any token ("eyJ" starts every JWT the
// fixtures issue) in what a user would paste into a ticket.
func TestNoSecretsInOutput(t *testing.T) {
	modes := map[string][]string{
		"json":  {"-o", "json"},
		"table": {"--no-color"},
		"trace": {"--trace", "--no-color"},
	}
	for _, sc := range fixtures.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			reg := fixturetest.Start(t, sc.Name)
			authFile, user, secrets := plantCredentials(t, reg)
			dirs := isolate(t, authFile)
			for _, mode := range slices.Sorted(maps.Keys(modes)) {
				r := cli(checkArgs(reg, dirs, modes[mode]...)...)
				for stream, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
					// Every form of the planted secrets and of what the
					// fixture issued during the run (tokens, signatures).
					leaks := secretForms(slices.Concat(secrets, []string{user + ":" + secrets[0]}, reg.Secrets())...)
					for _, s := range append(leaks, "eyJ") {
						if i := strings.Index(out, s); i >= 0 {
							t.Errorf("%s: %s holds %q: …%s…", mode, stream, s, out[max(0, i-80):min(len(out), i+80)])
						}
					}
				}
				// The credentials were loaded, so there was something to leak.
				if mode == "json" && !strings.Contains(r.stdout, `"username": "`+user+`"`) {
					t.Errorf("json: the stored credentials of %s were not loaded:\n%s", user, r.stdout)
				}
				if mode == "trace" && !strings.Contains(r.stderr, "> GET ") {
					t.Errorf("trace: stderr holds no exchange:\n%s", r.stderr)
				}
			}
		})
	}
}

var (
	rfc3339    = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	httpDate   = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT`)
	day        = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	durationMS = regexp.MustCompile(`"duration_ms": \d+`)
	// Fixture layers are gzip-compressed at start-up, and compress/gzip's
	// output (so every digest) may change between Go releases.
	digest = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	length = regexp.MustCompile(`"Content-Length": "\d+"`)
)

// systemRoots is the machine's CA bundle, which differs between distributions.
var systemRoots = regexp.MustCompile(`"system_roots": "[^"]*"`)

// normalise replaces what changes from run to run: ports, temp paths,
// times and durations, and the build's version. It edits the text, so the
// golden file keeps the document's field order.
func normalise(t *testing.T, out string, reg *fixtures.Registry, dirs map[string]string) []byte {
	t.Helper()
	replacements := []string{filepath.Dir(filepath.Dir(reg.CertDir)), "$FIXTURE_DIR", `"version": "` + checks.Version + `"`, `"version": "VERSION"`,
		`"regdoctor_version": "` + checks.Version + `"`, `"regdoctor_version": "VERSION"`}
	for k, d := range dirs {
		replacements = append(replacements, d, "$"+k)
	}
	out = strings.NewReplacer(replacements...).Replace(out)
	_, port, _ := strings.Cut(reg.Host, ":")
	for _, r := range []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`\b` + port + `\b`), "PORT"},
		{durationMS, `"duration_ms": 0`},
		{digest, "sha256:DIGEST"},
		{length, `"Content-Length": "N"`},
		{rfc3339, "TIME"},
		{httpDate, "HTTP-DATE"},
		{day, "DATE"},
		{systemRoots, `"system_roots": "SYSTEM_ROOTS"`},
	} {
		out = r.re.ReplaceAllString(out, r.with)
	}
	if !json.Valid([]byte(out)) {
		t.Fatalf("normalised output is not JSON:\n%s", out)
	}
	return []byte(out)
}

// TestJSONGolden pins the JSON document's shape and content. Run
// `go test ./cmd/regdoctor -run TestJSONGolden -update` after an intended change.
func TestJSONGolden(t *testing.T) {
	fixedTicketContext(t)
	for _, name := range []string{"healthy", "tag-mismatch"} {
		t.Run(name, func(t *testing.T) {
			reg := fixturetest.Start(t, name)
			dirs := isolate(t, reg.AuthFile)
			r := cli(checkArgs(reg, dirs, "-o", "json")...)
			if r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
			assertJSONShape(t, r.stdout)
			got := normalise(t, r.stdout, reg, dirs)
			golden.Compare(t, filepath.Join("testdata", name+".golden.json"), got)
		})
	}
}

// fixedTicketContext makes the host and the clients' versions the same on
// every machine, for the goldens.
func fixedTicketContext(t *testing.T) {
	t.Helper()
	host, versions := report.Host, clientVersions
	report.Host = report.JSONHost{OS: "linux", Arch: "amd64"}
	clientVersions = func(_ context.Context, clients []string, _ func(string) (string, error), _ time.Duration) map[string]string {
		v := map[string]string{}
		for _, c := range clients {
			v[c] = c + " version 0.0.0-test"
		}
		return v
	}
	t.Cleanup(func() { report.Host, clientVersions = host, versions })
}

// assertJSONShape checks the keys the JSON contract promises.
func assertJSONShape(t *testing.T, out string) {
	t.Helper()
	var doc struct {
		Target, Registry, Repository, Reference, Version *string
		Healthy                                          *bool
		Checks                                           []map[string]json.RawMessage
		Diagnoses                                        []map[string]json.RawMessage
		CheckedAt                                        *string `json:"checked_at"`
		RegdoctorVersion                                 *string `json:"regdoctor_version"`
		Host                                             *struct{ OS, Arch string }
		ConfigFilesRead                                  []string `json:"config_files_read"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.Target == nil || doc.Registry == nil || doc.Repository == nil || doc.Reference == nil || doc.Version == nil || doc.Healthy == nil ||
		doc.Checks == nil || doc.Diagnoses == nil {
		t.Errorf("missing top-level keys in:\n%s", out)
	}
	if doc.Version != nil && *doc.Version != checks.Version {
		t.Errorf("version %q, want %q", *doc.Version, checks.Version)
	}
	if doc.RegdoctorVersion == nil || *doc.RegdoctorVersion != checks.Version {
		t.Errorf("regdoctor_version %v, want %q", doc.RegdoctorVersion, checks.Version)
	}
	if doc.CheckedAt == nil {
		t.Error("no checked_at")
	} else if _, err := time.Parse(time.RFC3339, *doc.CheckedAt); err != nil {
		t.Errorf("checked_at is not RFC 3339: %v", err)
	}
	if doc.Host == nil || doc.Host.OS == "" || doc.Host.Arch == "" {
		t.Errorf("host %+v lacks os or arch", doc.Host)
	}
	if doc.ConfigFilesRead == nil {
		t.Error("no config_files_read")
	}
	if len(doc.Checks) != len(checks.All()) {
		t.Errorf("%d checks, want %d", len(doc.Checks), len(checks.All()))
	}
	for _, c := range doc.Checks {
		requireKeys(t, "check", c, "id", "status", "summary", "duration_ms")
		if string(c["status"]) != `"skip"` {
			requireKeys(t, "check "+string(c["id"]), c, "evidence")
		}
	}
	for _, d := range doc.Diagnoses {
		requireKeys(t, "diagnosis", d, "code", "severity", "title", "detail", "remediation", "docs", "docs_url")
	}
	problems := 0
	for _, d := range doc.Diagnoses {
		if s := string(d["severity"]); s == `"error"` || s == `"warning"` {
			problems++
		}
	}
	if doc.Healthy != nil && *doc.Healthy != (problems == 0) {
		t.Errorf("healthy %v with %d error or warning diagnoses", *doc.Healthy, problems)
	}
}

func requireKeys(t *testing.T, what string, m map[string]json.RawMessage, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q: %v", what, k, m)
		}
	}
}
