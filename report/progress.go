package report

import (
	"fmt"
	"io"
	"sync"

	"github.com/regdoctor/regdoctor/checks"
)

// Progress shows a person which checks have finished, on one terminal line
// that is rewritten as results arrive, so a run waiting on a dead host does
// not look hung. It writes to stderr and clears itself before the table.
type Progress struct {
	w     io.Writer
	p     Palette
	mu    sync.Mutex
	total int
	done  map[string]int // finished checks per target
}

// NewProgress returns a progress line for runs of total checks each.
func NewProgress(w io.Writer, total int, p Palette) *Progress {
	return &Progress{w: w, p: p, total: total, done: map[string]int{}}
}

// Observer returns the observer for one target's run.
func (pr *Progress) Observer(target string) func(*checks.Result) {
	return func(r *checks.Result) {
		pr.mu.Lock()
		defer pr.mu.Unlock()
		pr.done[target]++
		fmt.Fprintf(pr.w, "\r\033[K%s %d/%d %s %s", pr.p.dim.Sprint(target), pr.done[target], pr.total, pr.p.mark(r.Status), r.ID)
	}
}

// Clear erases the progress line.
func (pr *Progress) Clear() {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	fmt.Fprint(pr.w, "\r\033[K")
}
