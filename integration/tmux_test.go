//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTableFitsTerminal runs regdoctor in a real terminal, a tmux pane of
// 80, 100 and 160 columns with COLUMNS unset, so the width comes from the
// terminal itself, and captures what a person sees. Nothing may wrap: the
// pane's rows are exactly the lines regdoctor printed (tmux joins wrapped
// rows back with capture-pane -J). The
// failing report (tag-mismatch, the widest remedies) and the demo's
// one-screen summary are both held to it.
func TestTableFitsTerminal(t *testing.T) {
	requireBinaries(t, "tmux")
	bin := requireRegdoctor(t)
	for _, width := range []int{80, 100, 160} {
		for _, args := range [][]string{{"demo", "tag-mismatch"}, {"demo"}} {
			t.Run(fmt.Sprintf("%d/%s", width, strings.Join(args, "_")), func(t *testing.T) {
				t.Parallel()
				visual, joined := tmuxCapture(t, width, append([]string{bin}, args...))
				if len(visual) < 5 {
					t.Fatalf("captured only %d rows:\n%s", len(visual), strings.Join(visual, "\n"))
				}
				if len(visual) != len(joined) {
					t.Errorf("%d rows on screen for %d lines printed: some wrapped at %d columns:\n%s", len(visual), len(joined), width, strings.Join(visual, "\n"))
				}
			})
		}
	}
}

// tmuxCapture runs argv in a detached tmux session of the given width on
// a server of its own, waits for it to end, and returns the pane as seen
// (one string per screen row) and with wrapped rows joined.
func tmuxCapture(t *testing.T, width int, argv []string) (visual, joined []string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "tmux-") // a unix socket path must be short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	done := filepath.Join(dir, "done")
	tmux := func(args ...string) string {
		cmd := exec.Command("tmux", append([]string{"-S", sock, "-f", "/dev/null"}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm-256color", "TMUX_TMPDIR=" + dir}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	// COLUMNS unset and NO_COLOR: the width is the terminal's, and the
	// capture has no escapes to measure around. The shell stays after the
	// command, so the pane can be read.
	script := fmt.Sprintf("unset COLUMNS; NO_COLOR=1 %s; echo $? > %s; sleep 120", strings.Join(quoted, " "), done)
	tmux("new-session", "-d", "-s", "t", "-x", fmt.Sprint(width), "-y", "400", "sh", "-c", script)
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-S", sock, "kill-server").Run()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(done); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not finish in the tmux pane within 60s:\n%s", strings.Join(argv, " "), tmux("capture-pane", "-p", "-t", "t"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := strings.TrimSpace(tmux("display-message", "-p", "-t", "t", "#{pane_width}")); got != fmt.Sprint(width) {
		t.Fatalf("the pane is %s columns wide, want %d", got, width)
	}
	rows := func(s string) []string {
		lines := strings.Split(strings.TrimRight(s, "\n "), "\n")
		for i := range lines {
			lines[i] = strings.TrimRight(lines[i], " ")
		}
		return lines
	}
	return rows(tmux("capture-pane", "-p", "-t", "t")), rows(tmux("capture-pane", "-p", "-J", "-t", "t"))
}
