package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGCForShortRun: a short check raises GOGC and sets a soft memory
// limit, unless the environment sets either.
func TestTuneGCForShortRun(t *testing.T) {
	pct, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(limit) })

	tuneGCForShortRun(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != shortRunGCPercent {
		t.Errorf("GOGC %d, want %d", got, shortRunGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != shortRunMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, shortRunMemoryLimit)
	}

	tuneGCForShortRun(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC %d with GOGC set, want it left alone", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want it left alone", got)
	}
}
