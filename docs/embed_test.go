package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbeddedPages: every page in docs/codes is in the binary, as it is
// on disk, and only pages are.
func TestEmbeddedPages(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("codes", "*.md"))
	if err != nil || len(files) < 2 {
		t.Fatalf("codes/*.md: %v, %v", files, err)
	}
	if got := len(Codes()); got != len(files)-1 { // README.md is the index
		t.Errorf("%d codes embedded, %d pages on disk", got, len(files)-1)
	}
	for _, code := range Codes() {
		page, ok := Page(code)
		disk, err := os.ReadFile(filepath.Join("codes", code+".md"))
		if !ok || err != nil || page != string(disk) {
			t.Errorf("%s: embedded page differs from the file (ok %v, err %v)", code, ok, err)
		}
		if !strings.HasPrefix(page, "# "+code+"\n") {
			t.Errorf("%s: page does not start with its code", code)
		}
	}
	for _, bad := range []string{"", "README", "../embed", "no-such-code"} {
		if _, ok := Page(bad); ok {
			t.Errorf("Page(%q) found a page", bad)
		}
	}
}

func TestURL(t *testing.T) {
	defer func(b string) { BaseURL = b }(BaseURL)
	BaseURL = "https://docs.example.com/codes"
	if got := URL("tag-not-found"); got != "https://docs.example.com/codes/tag-not-found.md" {
		t.Errorf("URL = %q", got)
	}
}
