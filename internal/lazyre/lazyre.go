// Package lazyre compiles regular expressions on first use. Every
// regdoctor command links every package, and a pattern compiled in a
// package variable costs every process its compile at init, also when the
// command never matches against it (GODEBUG=inittrace=1).
package lazyre

import (
	"regexp"
	"sync"
)

// New returns pattern's regexp, compiled on the first call and shared by
// all calls. A bad pattern panics there, as regexp.MustCompile would at
// init: the package's tests must call it.
func New(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
