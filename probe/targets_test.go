package probe

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// The documented example is the one the loader is tested with.
func TestLoadTargetsExample(t *testing.T) {
	ts, err := LoadTargets("../docs/examples/targets.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 4 {
		t.Fatalf("got %d targets, want 4: %+v", len(ts), ts)
	}
	bare, app, mirror, nexus := ts[0], ts[1], ts[2], ts[3]
	if bare.Ref != "registry.example.com" || bare.Parsed.Registry != "registry.example.com" || bare.Labels != nil {
		t.Errorf("bare entry: %+v", bare)
	}
	if app.Platform != "linux/arm64" || app.Labels["team"] != "payments" || app.Labels["env"] != "prod" || app.Parsed.Repository != "team/app" {
		t.Errorf("app entry: %+v", app)
	}
	if mirror.Timeout != 20*time.Second || mirror.Client != "docker" {
		t.Errorf("mirror entry: %+v", mirror)
	}
	if nexus.PushCheck == nil || !*nexus.PushCheck || nexus.Parsed.Host != "nexus.example.com:8443" {
		t.Errorf("nexus entry: %+v", nexus)
	}
	if got := LabelNames(ts); strings.Join(got, ",") != "env,team" {
		t.Errorf("LabelNames = %v, want [env team]", got)
	}
}

func TestParseTargetsRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", "", "no targets"},
		{"not a list", "target: a.example.com", "cannot unmarshal"},
		{"unknown key", "- target: a.example.com\n  platfrom: linux/amd64", `unknown setting "platfrom"`},
		{"bad reference", "- UPPER/Case::bad", "invalid reference"},
		{"bad platform", "- target: a.example.com\n  platform: linux", "want os/arch"},
		{"number as timeout", "- target: a.example.com\n  timeout: 30", "cannot unmarshal"},
		{"negative timeout", "- target: a.example.com\n  timeout: -1s", "must be positive"},
		{"unknown client", "- target: a.example.com\n  client: rkt", "unknown client"},
		{"bad label name", "- target: a.example.com\n  labels: {team-name: x}", "want a Prometheus label name"},
		{"reserved label", "- target: a.example.com\n  labels: {code: x}", "reserved"},
		{"dunder label", "- target: a.example.com\n  labels: {__name__: x}", "reserved by Prometheus"},
		{"duplicate", "- a.example.com\n- target: a.example.com", "listed twice"},
		{"credentials in the reference", "- a.example.com\n- target: bob:hunter2@b.example.com/team/app:1", "target 2: the target holds credentials (bob:…@)"},
	} {
		_, err := ParseTargets(strings.NewReader(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error echoes the password: %v", tc.name, err)
		}
	}
}

func TestTargetOptionsOverrideFlags(t *testing.T) {
	base := checks.Options{Timeout: 10 * time.Second, Platform: "linux/amd64", PushCheck: true, Clients: []string{"podman"}, TLSVerify: true}
	if got := (Target{}).Options(base); got.Timeout != base.Timeout || got.Platform != base.Platform || !got.PushCheck || got.Clients[0] != "podman" {
		t.Errorf("no settings changed the flags: %+v", got)
	}
	no := false
	got := Target{Timeout: time.Second, Platform: "linux/arm64", PushCheck: &no, Client: "docker"}.Options(base)
	if got.Timeout != time.Second || got.Platform != "linux/arm64" || got.PushCheck || len(got.Clients) != 1 || got.Clients[0] != "docker" || !got.TLSVerify {
		t.Errorf("settings not applied over the flags: %+v", got)
	}
}

// A targets file over the limit is an error, not its first part, and a
// FIFO is refused rather than waited on.
func TestLoadTargetsBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "targets.yaml")
	line := "- registry.example.com/team/app:1\n"
	if err := os.WriteFile(big, []byte(strings.Repeat(line, (5<<20)/len(line))), 0o600); err != nil {
		t.Fatal(err)
	}
	if ts, err := LoadTargets(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("5 MiB targets file: %d targets, %v; want an error", len(ts), err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTargets(fifo); err == nil || !strings.Contains(err.Error(), "pipe") {
		t.Errorf("FIFO targets file: %v, want refused", err)
	}
}
