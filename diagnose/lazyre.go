package diagnose

import (
	"regexp"

	"github.com/regdoctor/regdoctor/internal/lazyre"
)

// lazyRE is a regular expression compiled on first use. explain's tables
// hold some 300 of them; compiled at init they cost every process about
// 1.5 ms and 1.4 MB (GODEBUG=inittrace=1), although only `regdoctor
// explain` matches against them, never `check`, `serve` or `version`.
type lazyRE struct {
	pattern string
	get     func() *regexp.Regexp
}

// lazy checks nothing at init: TestExplainPatternsCompile compiles every
// pattern, so a bad one fails the tests rather than a user's explain.
func lazy(pattern string) *lazyRE { return &lazyRE{pattern: pattern, get: lazyre.New(pattern)} }

func (l *lazyRE) String() string                       { return l.pattern }
func (l *lazyRE) MatchString(s string) bool            { return l.get().MatchString(s) }
func (l *lazyRE) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }
func (l *lazyRE) SubexpNames() []string                { return l.get().SubexpNames() }
func (l *lazyRE) ReplaceAllString(s, repl string) string {
	return l.get().ReplaceAllString(s, repl)
}
func (l *lazyRE) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return l.get().FindAllStringSubmatchIndex(s, n)
}
