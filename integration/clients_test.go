//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsOpts are the transport flags both clients get, spelled the same way by
// skopeo and regdoctor.
type tlsOpts struct {
	certDir   string // --cert-dir DIR when set
	verifyOff bool   // --tls-verify=false
}

func (o tlsOpts) flags(prefix string) []string {
	var f []string
	if o.certDir != "" {
		f = append(f, "--"+prefix+"cert-dir", o.certDir)
	}
	if o.verifyOff {
		f = append(f, "--"+prefix+"tls-verify=false")
	}
	return f
}

// skopeo's own timeout; the process is also killed a little later in case
// it ignores the flag (it waits minutes on dead hosts otherwise).
const (
	skopeoCommandTimeout = 20 * time.Second
	skopeoKillTimeout    = 40 * time.Second
)

// skopeo runs `skopeo --command-timeout 20s GLOBAL... SUBCOMMAND...` in the isolated env.
// skopeo 1.9.3 ignores $CONTAINERS_REGISTRIES_CONF (podman and buildah read
// it), so it gets the same file through its hidden global --registries-conf.
func (e *clientEnv) skopeo(global []string, sub ...string) cmdResult {
	argv := append([]string{"skopeo", "--command-timeout", skopeoCommandTimeout.String(), "--policy", e.policy,
		"--registries-conf", e.regConf}, global...)
	return e.run(skopeoKillTimeout, append(argv, sub...)...)
}

// skopeoInspect is the reference pull-side probe: `skopeo inspect --no-tags
// docker://TARGET` reads the manifest by GET (and, for an index, the image
// for the chosen platform plus its config) with the planted credentials.
func (e *clientEnv) skopeoInspect(target string, tls tlsOpts, global ...string) cmdResult {
	sub := append([]string{"inspect", "--no-tags", "--authfile", e.authFile}, tls.flags("")...)
	return e.skopeo(global, append(sub, "docker://"+target)...)
}

// login plants credentials for every client family: podmanLogin, then the
// same file as $DOCKER_CONFIG/config.json, which is what `docker login`
// writes (same "auths" format). docker and containerd read only that file,
// so after a podman login alone they are not logged in.
func (e *clientEnv) login(t testing.TB, host, user, password string, tls tlsOpts) {
	t.Helper()
	e.podmanLogin(t, host, user, password, tls)
	b, err := os.ReadFile(e.authFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(e.docker, "config.json"), string(b))
}

// podmanLogin plants credentials the way podman does: `skopeo login
// --authfile` verifies them against the registry and writes auth.json.
func (e *clientEnv) podmanLogin(t testing.TB, host, user, password string, tls tlsOpts) {
	t.Helper()
	sub := append([]string{"login", "--authfile", e.authFile}, tls.flags("")...)
	res := e.skopeo(nil, append(sub, "-u", user, "-p", password, host)...)
	if res.err != nil || res.exitCode != 0 {
		t.Fatalf("planting credentials failed:\n%s", res)
	}
	if _, err := os.Stat(e.authFile); err != nil {
		t.Fatalf("skopeo login did not write %s: %v", e.authFile, err)
	}
}

// ---- regdoctor ----

var (
	regdoctorBin      string
	regdoctorBuildErr error
)

// buildRegdoctor compiles ./cmd/regdoctor from the module root into dir.
func buildRegdoctor(dir string) (string, error) {
	bin := filepath.Join(dir, "regdoctor")
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go toolchain not on PATH: %w", err)
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/regdoctor")
	cmd.Dir = ".." // module root, tests run in integration/
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/regdoctor: %v\n%s", err, out)
	}
	return bin, nil
}

func requireRegdoctor(t testing.TB) string {
	t.Helper()
	if regdoctorBuildErr != nil {
		t.Fatalf("regdoctor binary unavailable: %v", regdoctorBuildErr)
	}
	return regdoctorBin
}

// report mirrors regdoctor's `check -o json` output.
type report struct {
	Target     string          `json:"target"`
	Registry   string          `json:"registry"`
	Repository string          `json:"repository"`
	Reference  string          `json:"reference"`
	Healthy    bool            `json:"healthy"`
	Checks     []checkRes      `json:"checks"`
	Diagnoses  []diagnosis     `json:"diagnoses"`
	Clients    []clientVerdict `json:"clients"`
	Version    string          `json:"version"`
}

// clientVerdict is regdoctor's verdict for one client.
type clientVerdict struct {
	Name        string `json:"name"`
	Verdict     string `json:"verdict"`
	Reason      string `json:"reason"`
	Credentials string `json:"credentials"`
}

type checkRes struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Summary    string          `json:"summary"`
	DurationMS float64         `json:"duration_ms"`
	Evidence   json.RawMessage `json:"evidence"`
}

type diagnosis struct {
	Code        string   `json:"code"`
	Severity    string   `json:"severity"`
	Title       string   `json:"title"`
	Detail      string   `json:"detail"`
	Remediation []string `json:"remediation"`
	Docs        string   `json:"docs"`
}

func (r *report) find(code string) *diagnosis {
	for i := range r.Diagnoses {
		if r.Diagnoses[i].Code == code {
			return &r.Diagnoses[i]
		}
	}
	return nil
}

// ofSeverity lists the codes of diagnoses with one of the given severities.
func (r *report) ofSeverity(sev ...string) []string {
	var codes []string
	for _, d := range r.Diagnoses {
		for _, s := range sev {
			if d.Severity == s {
				codes = append(codes, d.Code+"("+d.Severity+")")
			}
		}
	}
	return codes
}

// regdoctorTimeout is the process kill timeout; regdoctor's own --timeout is per request.
const regdoctorTimeout = 90 * time.Second

// regdoctorCheck runs `regdoctor check ARGS... TARGET` in the isolated env.
func (e *clientEnv) regdoctorCheck(t testing.TB, target string, args ...string) cmdResult {
	t.Helper()
	bin := requireRegdoctor(t)
	argv := append(append([]string{bin, "check"}, args...), target)
	return e.run(regdoctorTimeout, argv...)
}

// regdoctorJSON runs `regdoctor check -o json` and decodes stdout, failing
// the test on a crash, a timeout, an exit code outside {0,1} or bad JSON.
func (e *clientEnv) regdoctorJSON(t testing.TB, target string, args ...string) (*report, cmdResult) {
	t.Helper()
	res := e.regdoctorCheck(t, target, append([]string{"-o", "json"}, args...)...)
	if res.err != nil {
		t.Fatalf("regdoctor did not finish:\n%s", res)
	}
	if res.exitCode != 0 && res.exitCode != 1 {
		t.Fatalf("regdoctor exit code %d, want 0 or 1:\n%s", res.exitCode, res)
	}
	var rep report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("regdoctor stdout is not the JSON report: %v\n%s", err, res)
	}
	if strings.TrimSpace(rep.Target) == "" || rep.Version == "" {
		t.Errorf("report lacks target/version:\n%s", res.stdout)
	}
	return &rep, res
}
