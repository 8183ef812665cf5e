package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/regdoctor/regdoctor/probe"
)

// exampleCommand is a regdoctor command line found in the docs.
type exampleCommand struct {
	where string
	args  []string
}

// commandLine finds `regdoctor check|serve ...` up to a shell operator.
var commandLine = regexp.MustCompile("\\bregdoctor ((?:check|serve)\\b[^>|;&'`#\\n]*)")

// TestDocumentedCommandsParse keeps the docs honest: every regdoctor
// command line in docs/probe.md and docs/examples/ uses flags that exist,
// with values that pass validation, and every targets file embedded in a
// Kubernetes manifest loads.
func TestDocumentedCommandsParse(t *testing.T) {
	cmds := append(markdownCommands(t, "../../docs/probe.md"), exampleFileCommands(t, "../../docs/examples")...)
	t.Logf("%d regdoctor command lines in the docs", len(cmds))
	seen := map[string]bool{}
	for _, c := range cmds {
		seen[filepath.Base(strings.SplitN(c.where, ":", 2)[0])] = true
		if err := parseOnly(c.args); err != nil {
			t.Errorf("%s: regdoctor %s: %v", c.where, strings.Join(c.args, " "), err)
		}
	}
	for _, f := range []string{"probe.md", "k8s-cronjob.yaml", "k8s-deployment.yaml", "regdoctor-textfile.service"} {
		if !seen[f] {
			t.Errorf("no regdoctor command found in %s", f)
		}
	}
}

// parseOnly parses a command line as the command would, without running it.
func parseOnly(args []string) error {
	switch args[0] {
	case "check":
		f := newCheckFlags("check")
		pf := addProbeFlags(f)
		if err := f.parse(args[1:]); err != nil {
			return err
		}
		return pf.validate(f.output)
	case "serve":
		return newServeFlags().parse(args[1:])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// markdownCommands are the command lines inside the fenced code blocks.
func markdownCommands(t *testing.T, path string) []exampleCommand {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []exampleCommand
	inCode := false
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			cmds = append(cmds, commandsIn(fmt.Sprintf("%s:%d", path, i+1), line)...)
		}
	}
	return cmds
}

func commandsIn(where, text string) []exampleCommand {
	var cmds []exampleCommand
	for _, m := range commandLine.FindAllStringSubmatch(text, -1) {
		cmds = append(cmds, exampleCommand{where, strings.Fields(strings.TrimSuffix(strings.TrimSpace(m[1]), "\\"))})
	}
	return cmds
}

// exampleFileCommands reads the container args of the Kubernetes manifests
// (and loads their embedded targets files) and the command lines of the
// other examples.
func exampleFileCommands(t *testing.T, dir string) []exampleCommand {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []exampleCommand
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(filepath.Base(p), "k8s-") {
			cmds = append(cmds, commandsIn(p, string(data))...)
			continue
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		for i := 0; ; i++ {
			var doc any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: document %d: %v", p, i+1, err)
			}
			walkManifest(t, fmt.Sprintf("%s: document %d", p, i+1), doc, &cmds)
		}
	}
	return cmds
}

// walkManifest collects the args of every container and loads every
// targets.yml found in a manifest.
func walkManifest(t *testing.T, where string, node any, cmds *[]exampleCommand) {
	switch n := node.(type) {
	case map[string]any:
		if s, ok := n["targets.yml"].(string); ok {
			if _, err := probe.ParseTargets(strings.NewReader(s)); err != nil {
				t.Errorf("%s: embedded targets.yml: %v", where, err)
			}
		}
		if args, ok := n["args"].([]any); ok && n["image"] != nil {
			c := exampleCommand{where: where}
			for _, a := range args {
				c.args = append(c.args, fmt.Sprint(a))
			}
			*cmds = append(*cmds, c)
		}
		for _, v := range n {
			walkManifest(t, where, v, cmds)
		}
	case []any:
		for _, v := range n {
			walkManifest(t, where, v, cmds)
		}
	}
}
