package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	flag "github.com/spf13/pflag"

	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/docs"
	"github.com/regdoctor/regdoctor/report"
)

// cmdDocs lists the diagnosis codes, or prints one code's page from the
// copy inside the binary: the pages must be readable where only the
// binary was installed.
func cmdDocs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := fs.Bool("markdown", false, "print the page's Markdown source as it is")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: regdoctor docs [CODE]\n\nWithout CODE, the diagnosis codes; with it, the code's page.\n\n%s", fs.FlagUsages())
			return report.ExitOK
		}
		return usageError(stderr, "docs", err)
	}
	switch fs.NArg() {
	case 0:
		for _, c := range diagnose.Catalogue() {
			fmt.Fprintf(stdout, "%-26s %-8s %s\n", c.Code, c.Severity, c.Title)
		}
		fmt.Fprintf(stdout, "\n`regdoctor docs CODE` prints a code's page, also at\n%s\n", docs.URL("CODE"))
		return report.ExitOK
	case 1:
	default:
		return usageError(stderr, "docs", errors.New("one code at a time"))
	}
	code := fs.Arg(0)
	page, ok := docs.Page(code)
	if !ok {
		return usageError(stderr, "docs", fmt.Errorf("no diagnosis code %q%s", code, didYouMean(code, docs.Codes())))
	}
	if *raw {
		fmt.Fprint(stdout, page)
	} else {
		fmt.Fprint(stdout, terminalPage(page))
	}
	fmt.Fprintf(stdout, "\n(%s)\n", docs.URL(code))
	return report.ExitOK
}

// terminalPage makes Markdown read as plain text: headings without their
// hashes and underlined, code blocks indented without their fences, bold
// markers dropped. Everything else is left as written, already wrapped
// in the source.
func terminalPage(md string) string {
	var b strings.Builder
	inCode := false
	for _, l := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimLeft(l, " "), "```"):
			inCode = !inCode
			continue
		case inCode:
			b.WriteString(strings.TrimRight("    "+l, " ") + "\n")
			continue
		case strings.HasPrefix(l, "#"):
			h := strings.TrimSpace(strings.TrimLeft(l, "#"))
			under := "-"
			if !strings.HasPrefix(l, "##") {
				under = "="
			}
			b.WriteString(h + "\n" + strings.Repeat(under, len([]rune(h))) + "\n")
			continue
		}
		b.WriteString(strings.ReplaceAll(l, "**", "") + "\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
