//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// The documented examples these tests run.
const (
	examplesDir       = "../docs/examples"
	examplePrometheus = examplesDir + "/prometheus.yml"
	exampleAlerts     = examplesDir + "/regdoctor-alerts.yml"
)

// promWait bounds how long Prometheus may take to show what regdoctor serves.
const promWait = 60 * time.Second

// healthyAndFailing starts two in-process fixture registries: one healthy,
// one whose tag does not exist. Both trust the fixtures' CA, which the
// healthy one's CertDir holds.
func healthyAndFailing(t testing.TB) (healthy, failing *fixtures.Registry) {
	t.Helper()
	var regs [2]*fixtures.Registry
	for i, name := range []string{"healthy", "tag-mismatch"} {
		reg := fixturetest.Start(t, name)
		regs[i] = reg
	}
	return regs[0], regs[1]
}

// TestPrometheusScrapesServe runs `regdoctor serve` with a healthy and a
// failing registry, and a real Prometheus with the documented scrape
// configuration and alert rules, both on loopback. Prometheus must see the
// healthy target at 1 and the failing one at 0, through the scheduled runs
// (/metrics) and on demand (/probe), and the documented alerts must fire.
func TestPrometheusScrapesServe(t *testing.T) {
	requireBinaries(t, "prometheus", "promtool")
	bin := requireRegdoctor(t)
	healthy, failing := healthyAndFailing(t)

	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yml")
	writeFile(t, targets, fmt.Sprintf("- %s\n- target: %s\n  labels: {team: payments}\n", healthy.Target, failing.Target))
	_, serveHost := launch(t, "regdoctor-serve", dir, func(host string) ([]string, string) {
		return []string{bin, "serve", "--listen", host, "--targets", targets, "--interval", "1s",
			"--timeout", "5s", "--cert-dir", healthy.CertDir}, "http://" + host + "/healthz"
	})

	promDir := t.TempDir()
	_, promHost := launch(t, "prometheus", promDir, func(host string) ([]string, string) {
		cfg := filepath.Join(promDir, "prometheus.yml")
		writeFile(t, cfg, prometheusConfig(t, serveHost, healthy.Target, failing.Target))
		return []string{"prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(promDir, "data"),
			"--web.listen-address=" + host, "--log.level=warn"}, "http://" + host + "/-/ready"
	})

	want := map[string]string{healthy.Target: "1", failing.Target: "0"}
	for _, job := range []string{"regdoctor", "regdoctor-probe"} {
		waitQuery(t, promHost, fmt.Sprintf(`regdoctor_target_healthy{job=%q}`, job), func(got map[string]string) bool {
			return len(got) == 2 && got[healthy.Target] == want[healthy.Target] && got[failing.Target] == want[failing.Target]
		})
	}
	// The documented alerts: an error diagnosis fires at once; unhealthy
	// waits 5 minutes, so it is pending.
	waitQuery(t, promHost, `ALERTS{alertname="RegistryDiagnosisError",alertstate="firing",code="tag-not-found"}`, func(got map[string]string) bool {
		return got[failing.Target] == "1" && got[healthy.Target] == ""
	})
	waitQuery(t, promHost, `ALERTS{alertname="RegistryUnhealthy",alertstate="pending"}`, func(got map[string]string) bool {
		return got[failing.Target] == "1" && got[healthy.Target] == ""
	})
	// The targets file's labels reach Prometheus.
	waitQuery(t, promHost, `regdoctor_target_healthy{job="regdoctor",team="payments"}`, func(got map[string]string) bool {
		return len(got) == 1 && got[failing.Target] == "0"
	})
}

// TestPrometheusScrapesServeOverTLSWithBasicAuth runs `regdoctor serve`
// behind TLS and basic auth from a web config file (exporter-toolkit's
// --web.config.file), and a real Prometheus scraping it with the
// documented jobs over https with the CA and the password: Prometheus
// must see the targets through both jobs, and a job without the password
// must be refused (up 0).
func TestPrometheusScrapesServeOverTLSWithBasicAuth(t *testing.T) {
	requireBinaries(t, "prometheus", "promtool")
	bin := requireRegdoctor(t)
	pki := sharedPKI(t)
	healthy, failing := healthyAndFailing(t)

	dir := t.TempDir()
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	password := hex.EncodeToString(secret)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	writeFile(t, webConfig, fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n",
		pki.good.certFile, pki.good.keyFile, hash))
	targets := filepath.Join(dir, "targets.yml")
	writeFile(t, targets, fmt.Sprintf("- %s\n- %s\n", healthy.Target, failing.Target))
	serve, serveHost := launch(t, "regdoctor-serve-tls", dir, func(host string) ([]string, string) {
		return []string{bin, "serve", "--listen", host, "--targets", targets, "--interval", "1s",
			"--timeout", "5s", "--cert-dir", healthy.CertDir, "--web.config.file", webConfig}, "https://" + host + "/healthz"
	})

	promDir := t.TempDir()
	passwordFile := filepath.Join(promDir, "regdoctor.password")
	writeFile(t, passwordFile, password)
	_, promHost := launch(t, "prometheus", promDir, func(host string) ([]string, string) {
		cfg := filepath.Join(promDir, "prometheus.yml")
		writeFile(t, cfg, withTLSAndBasicAuth(t, prometheusConfig(t, serveHost, healthy.Target, failing.Target), serveHost, pki.caFile, passwordFile))
		return []string{"prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(promDir, "data"),
			"--web.listen-address=" + host, "--log.level=warn"}, "http://" + host + "/-/ready"
	})

	for _, job := range []string{"regdoctor", "regdoctor-probe"} {
		waitQuery(t, promHost, fmt.Sprintf(`regdoctor_target_healthy{job=%q}`, job), func(got map[string]string) bool {
			return len(got) == 2 && got[healthy.Target] == "1" && got[failing.Target] == "0"
		})
	}
	waitQuery(t, promHost, `up{job="regdoctor-no-password"}`, func(got map[string]string) bool { return got[""] == "0" })
	waitQuery(t, promHost, `up{job="regdoctor"}`, func(got map[string]string) bool { return got[""] == "1" })

	if log, err := os.ReadFile(serve.logPath); err != nil || strings.Contains(string(log), password) {
		t.Errorf("serve's log holds the password (or cannot be read: %v)", err)
	}
}

// withTLSAndBasicAuth turns every job of a scrape configuration to https
// with the CA and the basic auth password file, and adds a job that
// scrapes /metrics without the password.
func withTLSAndBasicAuth(t *testing.T, config, serveHost, caFile, passwordFile string) string {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(config), &cfg); err != nil {
		t.Fatal(err)
	}
	jobs := cfg["scrape_configs"].([]any)
	for _, sc := range jobs {
		job := sc.(map[string]any)
		job["scheme"] = "https"
		job["tls_config"] = map[string]any{"ca_file": caFile}
		job["basic_auth"] = map[string]any{"username": "prometheus", "password_file": passwordFile}
	}
	cfg["scrape_configs"] = append(jobs, map[string]any{
		"job_name":        "regdoctor-no-password",
		"scheme":          "https",
		"tls_config":      map[string]any{"ca_file": caFile},
		"scrape_interval": "2s", "scrape_timeout": "2s",
		"static_configs": []any{map[string]any{"targets": []any{serveHost}}},
	})
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// prometheusConfig is docs/examples/prometheus.yml pointed at this test's
// regdoctor and registries, with second-scale intervals. It fails the test
// when the example no longer has the jobs the docs describe.
func prometheusConfig(t *testing.T, serveHost string, probeTargets ...string) string {
	t.Helper()
	data, err := os.ReadFile(examplePrometheus)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", examplePrometheus, err)
	}
	rules, err := filepath.Abs(exampleAlerts)
	if err != nil {
		t.Fatal(err)
	}
	cfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	cfg["rule_files"] = []any{rules}
	jobs := map[string]bool{}
	for _, sc := range cfg["scrape_configs"].([]any) {
		job := sc.(map[string]any)
		name := job["job_name"].(string)
		jobs[name] = true
		job["scrape_interval"], job["scrape_timeout"] = "2s", "2s"
		static := job["static_configs"].([]any)[0].(map[string]any)
		switch name {
		case "regdoctor":
			static["targets"] = []any{serveHost}
		case "regdoctor-probe":
			static["targets"] = probeTargets
			relabelled := false
			for _, rc := range job["relabel_configs"].([]any) {
				if r := rc.(map[string]any); r["target_label"] == "__address__" {
					r["replacement"], relabelled = serveHost, true
				}
			}
			if !relabelled {
				t.Fatalf("%s: job %s does not relabel __address__ to regdoctor", examplePrometheus, name)
			}
		}
	}
	if !jobs["regdoctor"] || !jobs["regdoctor-probe"] {
		t.Fatalf("%s: want jobs regdoctor and regdoctor-probe, have %v", examplePrometheus, jobs)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// waitQuery runs an instant query until ok accepts its result, given as
// the value of each series by its target label.
func waitQuery(t *testing.T, promHost, query string, ok func(map[string]string) bool) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	var got map[string]string
	var lastErr error
	for deadline := time.Now().Add(promWait); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		got, lastErr = instantQuery(client, promHost, query)
		if lastErr == nil && ok(got) {
			return
		}
	}
	t.Fatalf("Prometheus query %s: after %s got %v (error %v)", query, promWait, got, lastErr)
}

func instantQuery(client *http.Client, promHost, query string) (map[string]string, error) {
	resp, err := client.Get("http://" + promHost + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s: %s", body.Status, body.Error)
	}
	got := map[string]string{}
	for _, r := range body.Data.Result {
		got[r.Metric["target"]] = fmt.Sprint(r.Value[1])
	}
	return got, nil
}

// TestPromtoolAcceptsOutputAndExamples runs promtool over what regdoctor
// writes for the textfile collector and over the documented rules and
// configuration.
func TestPromtoolAcceptsOutputAndExamples(t *testing.T) {
	requireBinaries(t, "promtool")
	healthy, failing := healthyAndFailing(t)
	env := newClientEnv(t)
	res := env.regdoctorCheck(t, failing.Target, "-o", "prometheus", "--cert-dir", healthy.CertDir, healthy.Target)
	if res.err != nil || res.exitCode != 1 || !strings.Contains(res.stdout, "regdoctor_target_healthy{") {
		t.Fatalf("regdoctor -o prometheus, want metrics and exit 1:\n%s", res)
	}
	check := exec.Command("promtool", "check", "metrics")
	check.Stdin = strings.NewReader(res.stdout)
	if out, err := check.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("promtool check metrics: %v\n%s\ninput:\n%s", err, out, res.stdout)
	}
	for _, argv := range [][]string{
		{"promtool", "check", "rules", exampleAlerts},
		{"promtool", "check", "config", examplePrometheus},
		{"promtool", "test", "rules", "testdata/regdoctor-alerts.test.yml"},
	} {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
}
