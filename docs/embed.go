// Package docs carries the diagnosis codes' pages inside the binary, so
// that `regdoctor docs CODE` works wherever the binary was copied to,
// and names where the same pages are published.
package docs

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The pages live beside this file because go:embed reads only files under
// the embedding package's directory.
//
//go:embed codes/*.md
var pages embed.FS

// BaseURL is where the pages are published, ending in a slash; a build
// for another home sets it with
// -ldflags "-X github.com/regdoctor/regdoctor/docs.BaseURL=https://…/".
var BaseURL = "https://github.com/regdoctor/regdoctor/blob/main/docs/codes/"

// URL is the published page of code.
func URL(code string) string {
	base := BaseURL
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + code + ".md"
}

// Codes are the codes that have a page, sorted.
func Codes() []string {
	entries, _ := fs.ReadDir(pages, "codes")
	var codes []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".md")
		if ok && name != "README" {
			codes = append(codes, name)
		}
	}
	slices.Sort(codes)
	return codes
}

// Page is the Markdown page of code; ok is false when there is none.
func Page(code string) (page string, ok bool) {
	if code == "" || code == "README" || strings.ContainsAny(code, `/\.`) {
		return "", false
	}
	b, err := pages.ReadFile(path.Join("codes", code+".md"))
	if err != nil {
		return "", false
	}
	return string(b), true
}
