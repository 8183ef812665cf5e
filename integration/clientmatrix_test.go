//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// TestClientMatrix runs every real client against every pull fault
// (fixtures.PullFaults) and holds regdoctor's per-client verdict to what
// each client did: `regdoctor check --client NAME` says ok exactly when
// NAME pulled. It logs a scenario × client agreement table; a client that
// cannot run here is listed as such (and fails the test in strict mode).
// With REGDOCTOR_WRITE_CLIENT_ERRORS=1 (make integration-testdata) it
// rewrites testdata/client-errors.json, the clients' exact error texts
// with the root code regdoctor check gave, which TestExplainClientErrors
// (cmd/regdoctor) feeds to `regdoctor explain`.

// matrixClients are the clients run, in table order.
var matrixClients = []string{"podman", "buildah", "skopeo", "docker", "containerd", "crane", "regctl"}

// judged are the clients regdoctor gives a verdict for here: all of them.
var judged = matrixClients

// legacyEnv, set to 1 with REGDOCTOR_INTEGRATION_BIN pointing at an older
// regdoctor that judged podman, buildah and skopeo as one client "podman",
// gives buildah and skopeo podman's verdict: the "before" column of the
// agreement table.
const legacyEnv = "REGDOCTOR_MATRIX_LEGACY"

// judgedArg is --client's value for the binary under test.
func judgedArg() string {
	if os.Getenv(legacyEnv) == "1" {
		return "podman,containerd,crane"
	}
	return strings.Join(judged, ",")
}

// verdictsOf indexes a report's verdicts by client.
func verdictsOf(rep *report) map[string]clientVerdict {
	out := map[string]clientVerdict{}
	for _, v := range rep.Clients {
		out[v.Name] = v
	}
	if p, ok := out["podman"]; ok && os.Getenv(legacyEnv) == "1" {
		out["buildah"], out["skopeo"] = p, p
	}
	return out
}

// knownDisagreement explains rows where regdoctor's verdict and the
// client's outcome still differ, "scenario/client" (or "scenario/*" for
// every client) → why. They are logged, not failed; TestPullCorpus fails
// on the ones that hit podman. One that agrees again is logged too.
var knownDisagreement = map[string]string{}

func knownFor(scenario, client string) (string, bool) {
	if why, ok := knownDisagreement[scenario+"/"+client]; ok {
		return why, true
	}
	why, ok := knownDisagreement[scenario+"/*"]
	return why, ok
}

const writeErrorsEnv = "REGDOCTOR_WRITE_CLIENT_ERRORS"

// matrixCell is one client's outcome on one scenario.
type matrixCell struct {
	Scenario  string `json:"scenario"`
	Client    string `json:"client"`
	Pulled    bool   `json:"pulled"`
	Error     string `json:"error,omitempty"`      // the client's last error, ports written PORT
	Verdict   string `json:"verdict,omitempty"`    // regdoctor's, "" when it has none
	CheckCode string `json:"check_code,omitempty"` // the code regdoctor's verdict names when it fails
	NotRun    string `json:"not_run,omitempty"`    // why the client could not run
}

func TestClientMatrix(t *testing.T) {
	requireRegdoctor(t)
	var notRunnable []string
	for _, c := range matrixClients {
		if why := requireClient(c); why != "" {
			notRunnable = append(notRunnable, c+": "+why)
		}
	}
	if len(notRunnable) > 0 && os.Getenv(strictEnv) == "1" {
		t.Fatalf("clients that cannot run here: %s; %s=1 forbids skipping them", strings.Join(notRunnable, "; "), strictEnv)
	}
	var mu sync.Mutex
	var cells []matrixCell
	t.Cleanup(func() {
		logMatrix(t, cells, notRunnable)
		if os.Getenv(writeErrorsEnv) == "1" {
			writeClientErrors(t, clientErrorsFile, cells)
		}
	})
	for _, sc := range fixtures.PullFaults() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			row := runMatrixRow(t, sc)
			mu.Lock()
			cells = append(cells, row...)
			mu.Unlock()
		})
	}
}

func runMatrixRow(t *testing.T, sc fixtures.Scenario) []matrixCell {
	reg := fixturetest.Start(t, sc.Name)
	env := newClientEnv(t).withEnv(offlineProxy(t)...)
	authFile := reg.AuthFile
	if authFile == "" {
		authFile = filepath.Join(t.TempDir(), "auth.json")
		writeFile(t, authFile, `{"auths":{}}`)
	}
	auth, err := os.ReadFile(authFile)
	if err != nil {
		t.Fatal(err)
	}
	// docker login's file: what crane and nerdctl read (ctr gets --user).
	writeFile(t, filepath.Join(env.docker, "config.json"), string(auth))
	// containerd's hosts directory, read by ctr (--hosts-dir) and by
	// regdoctor (--sysroot): without it ctr speaks plain HTTP to loopback.
	sysroot := t.TempDir()
	hostsDir := filepath.Join(sysroot, "etc", "containerd", "certs.d")
	containerdHostsDir(t, hostsDir, reg.Host, reg.CertDir)
	spec := pullSpec{ref: reg.Target, host: reg.Host, certDir: reg.CertDir, authFile: authFile,
		user: reg.Username, password: reg.Password, hostsDir: hostsDir}

	results := map[string]cmdResult{}
	notRun := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range matrixClients {
		if why := requireClient(c); why != "" {
			notRun[c] = why
			continue
		}
		wg.Go(func() {
			var res cmdResult
			switch c {
			case "podman":
				res = env.podmanWithin(t, clientKill, "pull", "--cert-dir", reg.CertDir, "--authfile", authFile, reg.Target)
			case "skopeo":
				res = env.run(clientKill, "skopeo", "--command-timeout", corpusSkopeoTimeout.String(),
					"--policy", env.policy, "--registries-conf", env.regConf,
					"copy", "--src-cert-dir", reg.CertDir, "--src-authfile", authFile,
					"docker://"+reg.Target, "dir:"+filepath.Join(t.TempDir(), "image"))
			case "buildah":
				res = env.buildahPull(t, spec)
			case "docker":
				res = env.dockerPull(t, spec)
			case "containerd":
				res = env.ctrPull(t, spec)
			case "crane":
				res = env.cranePull(t, spec)
			case "regctl":
				res = env.regctlPull(t, spec)
			}
			mu.Lock()
			results[c] = res
			mu.Unlock()
		})
	}
	wg.Wait()

	bin := requireRegdoctor(t)
	args := []string{bin, "check", "--client", judgedArg(), "-o", "json", "--timeout", "5s",
		"--cert-dir", reg.CertDir, "--authfile", authFile, "--sysroot", sysroot}
	args = append(args, withoutClient(sc.Args)...)
	rd := env.run(regdoctorTimeout, append(args, reg.Target)...)
	var rep report
	if err := json.Unmarshal([]byte(rd.stdout), &rep); err != nil || rd.err != nil {
		t.Errorf("%s: regdoctor gave no report (exit %d, %v, %v)\n%s", sc.Name, rd.exitCode, rd.err, err, rd)
	}
	verdicts := verdictsOf(&rep)

	var row []matrixCell
	for _, c := range matrixClients {
		cell := matrixCell{Scenario: sc.Name, Client: c}
		if why, ok := notRun[c]; ok {
			cell.NotRun = why
			row = append(row, cell)
			continue
		}
		res := results[c]
		o := outcomeOf(res, reg.Host)
		if c != "podman" && c != "buildah" && c != "skopeo" {
			o = outcomeOfClient(res, reg.Host)
		}
		cell.Pulled, cell.Error = o.pulled, o.last
		t.Logf("%s:\n%s", c, res)
		if v, ok := verdicts[c]; ok {
			cell.Verdict = v.Verdict
			if v.Verdict == "fails" {
				cell.CheckCode = codeOf(v.Reason)
			}
			agree := (v.Verdict == "ok") == o.pulled
			why, known := knownFor(sc.Name, c)
			switch {
			case !agree && !known:
				t.Errorf("%s: regdoctor says %s %s (%s), but %s %s", sc.Name, c, v.Verdict, v.Reason, c, o)
			case !agree:
				t.Logf("%s: known disagreement for %s (%s): regdoctor says %s, %s %s", sc.Name, c, why, v.Verdict, c, o)
			case known && knownDisagreement[sc.Name+"/"+c] != "":
				t.Logf("%s: knownDisagreement %s/%s agrees now: remove it", sc.Name, sc.Name, c)
			}
		}
		row = append(row, cell)
	}
	return row
}

var codeShape = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)

// codeOf is the diagnosis code a failing verdict's reason starts with
// ("tag-not-found: …"), or "" when the failure is the client's own and no
// code names it.
func codeOf(reason string) string {
	code, _, _ := strings.Cut(reason, ":")
	if codeShape.MatchString(code) {
		return code
	}
	return ""
}

// outcomeOfClient is outcomeOf for clients that print "ctr: …" or a plain
// last line rather than podman's and skopeo's forms.
func outcomeOfClient(res cmdResult, host string) pullOutcome {
	if res.err == nil && res.exitCode == 0 {
		return pullOutcome{pulled: true}
	}
	last := lastClientError(res.stderr)
	if res.err != nil {
		last = fmt.Sprintf("%s %s (last output: %s)", hung, timing.FindString(res.err.Error()), last)
	}
	last = strings.ReplaceAll(last, host, "HOST")
	return pullOutcome{last: otherPort.ReplaceAllString(last, "$1:PORT")}
}

// logMatrix prints the agreement table: each cell is the client's outcome
// then regdoctor's verdict ("ok/ok", "fail/fails"), marked ✗ where they
// differ.
func logMatrix(t *testing.T, cells []matrixCell, notRunnable []string) {
	by := map[string]map[string]matrixCell{}
	var names []string
	for _, c := range cells {
		if by[c.Scenario] == nil {
			by[c.Scenario] = map[string]matrixCell{}
			names = append(names, c.Scenario)
		}
		by[c.Scenario][c.Client] = c
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-34s", "scenario")
	for _, c := range matrixClients {
		fmt.Fprintf(&b, " | %-12s", c)
	}
	b.WriteString("\n")
	agree, total := map[string]int{}, map[string]int{}
	for _, n := range names {
		fmt.Fprintf(&b, "%-34s", n)
		for _, c := range matrixClients {
			cell, ok := by[n][c]
			s := "-"
			switch {
			case !ok:
			case cell.NotRun != "":
				s = "cannot run"
			default:
				got := "fail"
				if cell.Pulled {
					got = "ok"
				}
				s = got
				if cell.Verdict != "" {
					mark := " "
					total[c]++
					if (cell.Verdict == "ok") == cell.Pulled {
						agree[c]++
					} else {
						mark = "✗"
					}
					s = got + "/" + cell.Verdict + mark
				}
			}
			fmt.Fprintf(&b, " | %-12s", s)
		}
		b.WriteString("\n")
	}
	sum, all := 0, 0
	fmt.Fprintf(&b, "%-34s", "agreement")
	for _, c := range matrixClients {
		s := "no verdict"
		if total[c] > 0 {
			s = fmt.Sprintf("%d/%d", agree[c], total[c])
			sum, all = sum+agree[c], all+total[c]
		}
		fmt.Fprintf(&b, " | %-12s", s)
	}
	fmt.Fprintf(&b, "\nregdoctor agreed with the real clients %d of %d times (client outcome/regdoctor verdict)\n", sum, all)
	for _, n := range notRunnable {
		fmt.Fprintf(&b, "cannot run here: %s\n", n)
	}
	t.Logf("client matrix:\n%s", b.String())
}

// clientErrorsFile and configErrorsFile hold what the clients printed
// when they failed, on the pull faults and on the configuration rows.
const (
	clientErrorsFile = "testdata/client-errors.json"
	configErrorsFile = "testdata/client-config-errors.json"
)

func writeClientErrors(t *testing.T, file string, cells []matrixCell) {
	var out []matrixCell
	for _, c := range cells {
		if c.NotRun == "" && !c.Pulled && !strings.HasPrefix(c.Error, hung) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b matrixCell) int {
		return strings.Compare(a.Scenario+"/"+a.Client, b.Scenario+"/"+b.Client)
	})
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d client error texts to %s", len(out), file)
}
