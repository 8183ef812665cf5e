// Command regdoctor diagnoses why a container registry pull or push fails.
// This file holds flags and wiring only; the work happens in checks,
// diagnose and report.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	flag "github.com/spf13/pflag"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/diagnose"
	"github.com/regdoctor/regdoctor/probe"
	"github.com/regdoctor/regdoctor/report"
	"github.com/regdoctor/regdoctor/target"
)

const usage = `regdoctor: find out why a container registry pull or push fails.

Usage:
  regdoctor check [flags] REGISTRY[/REPOSITORY[:TAG|@DIGEST]]...
  regdoctor check [flags] --targets FILE [--watch INTERVAL]
  regdoctor serve [flags] [--targets FILE]  serve Prometheus metrics (/metrics, /probe)
  regdoctor explain [flags] [TEXT...]   explain a client error message, offline (TEXT or stdin)
  regdoctor demo [flags] [SCENARIO...]  run against built-in fixture registries (a line each; NAME: its report)
  regdoctor docs [CODE]                 the diagnosis codes, or a code's page
  regdoctor version

Run 'regdoctor check --help' for the flags.
`

func main() {
	checks.Version = moduleVersion(checks.Version)
	ownProcess = true
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// ownProcess is set by main: the process is this command line's alone,
// not a test binary that calls run, so its GC may be tuned for it.
var ownProcess bool

// Short-lived runs (check without --watch) collect garbage less often:
// GOGC 400, so one target's few MiB are never collected (one GC cycle in
// every single-target check at GOGC 100, about a fifth of its CPU), and
// a soft memory limit, so that many targets still stay small. Either
// setting the user gave in the environment wins.
const (
	shortRunGCPercent   = 400
	shortRunMemoryLimit = 48 << 20
)

func tuneGCForShortRun(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(shortRunGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(shortRunMemoryLimit)
	}
}

// moduleVersion is the version to report: make's -ldflags set it, but
// `go install github.com/regdoctor/regdoctor/cmd/regdoctor@v1.2.3` passes
// none, and then the module version in the build info is the one to say.
func moduleVersion(linked string) string {
	info, ok := debug.ReadBuildInfo()
	if linked != defaultVersion || !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return linked
	}
	return info.Main.Version
}

// defaultVersion is checks.Version when no -ldflags set it.
const defaultVersion = "0.1.0-dev"

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return report.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "check":
		return cmdCheck(ctx, args[1:], stdout, stderr)
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "explain":
		return cmdExplain(ctx, args[1:], stdin, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "docs":
		return cmdDocs(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "regdoctor", checks.Version)
		return report.ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return report.ExitOK
	}
	fmt.Fprintf(stderr, "regdoctor: unknown command %q\n%s", args[0], usage)
	return report.ExitUsage
}

// checkFlags are the flags of check, also applied to demo scenarios.
type checkFlags struct {
	fs      *flag.FlagSet
	opts    checks.Options
	output  string
	formats []string // what -o accepts
	noColor bool
	wide    bool
	trace   bool
}

func newCheckFlags(name string) *checkFlags {
	f := &checkFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), formats: []string{"table", "json"}}
	f.fs.SetOutput(io.Discard)
	f.fs.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	f.fs.DurationVar(&f.opts.Timeout, "timeout", 10*time.Second, "bound on the whole run; each network step also times out within it")
	f.fs.BoolVar(&f.opts.TLSVerify, "tls-verify", true, "verify TLS and require HTTPS (false: as skopeo --tls-verify=false)")
	f.fs.StringVar(&f.opts.CertDir, "cert-dir", "", "use certificates (*.crt CAs, *.cert/*.key client pairs) in DIR instead of certs.d, as skopeo --cert-dir")
	f.fs.StringVar(&f.opts.AuthFile, "authfile", "", "auth file to read instead of $REGISTRY_AUTH_FILE / the podman default, as skopeo --authfile")
	f.fs.StringVar(&f.opts.Platform, "platform", "", "the platform to pull, os/arch[/variant]; default: the host's ("+checks.HostPlatform()+")")
	f.fs.BoolVar(&f.opts.PushCheck, "push-check", false, "also probe a blob upload (started, a few MiB sent, then cancelled)")
	f.fs.BoolVar(&f.opts.Pull, "pull", false, "download every layer and verify its digest (the data is discarded); by default each layer is asked for its first byte")
	f.fs.StringSliceVar(&f.opts.Clients, "client", nil, "judge for these clients: "+strings.Join(clientconf.Known, ", ")+" (default: those that can pull here: docker with a daemon, containerd with its socket, the others installed; else podman)")
	f.fs.StringVar(&f.opts.SysRoot, "sysroot", "", "read /etc/containers, /etc/docker and /etc/containerd under DIR (a mounted image or host)")
	f.fs.BoolVar(&f.trace, "trace", false, "write every HTTP exchange to stderr, with secrets redacted")
	f.fs.BoolVar(&f.wide, "wide", false, "print the table's full text, however wide (default: fit COLUMNS or the terminal, 80 at the least)")
	f.fs.BoolVar(&f.noColor, "no-color", false, "disable colour (also: NO_COLOR=1)")
	return f
}

func (f *checkFlags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if !slices.Contains(f.formats, f.output) {
		return fmt.Errorf("unknown output %q (want %s)", f.output, strings.Join(f.formats, ", "))
	}
	if f.opts.Timeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	for _, c := range f.opts.Clients {
		if !slices.Contains(clientconf.Known, c) {
			return fmt.Errorf("unknown --client %q (want one of %s)", c, strings.Join(clientconf.Known, ", "))
		}
	}
	if err := probe.ValidatePlatform(f.opts.Platform); err != nil {
		return fmt.Errorf("--%w", err)
	}
	// podman prompts for an ambiguous short name when stdin and stdout
	// are terminals. The person running regdoctor at a terminal would run
	// podman there too, even with regdoctor's own output redirected, so
	// stderr counts for stdout.
	f.opts.TTY = isatty.IsTerminal(os.Stdin.Fd()) && (isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsTerminal(os.Stderr.Fd()))
	return nil
}

func usageError(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "regdoctor %s: %v (see 'regdoctor %s --help')\n", cmd, err, cmd)
	return report.ExitUsage
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newCheckFlags("check")
	pf := addProbeFlags(f)
	if err := f.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: regdoctor check [flags] REGISTRY[/REPOSITORY[:TAG|@DIGEST]]... | --targets FILE\n\n%s", f.fs.FlagUsages())
			return report.ExitOK
		}
		return pf.usageExit(usageError(stderr, "check", err))
	}
	if ownProcess && pf.watch == 0 {
		tuneGCForShortRun(os.Getenv)
	}
	return checkTargets(ctx, f, pf, stdout, stderr)
}

func (f *checkFlags) traceTo(stderr io.Writer) io.Writer {
	if f.trace {
		return stderr
	}
	return nil
}

// clientVersions asks the judged clients' binaries for their versions;
// tests replace it so that goldens do not depend on what is installed.
var clientVersions = clientconf.Versions

func runCheck(ctx context.Context, t target.Target, o checks.Options, trace io.Writer, observe diagnose.Observer, askVersions bool) *diagnose.Report {
	h := diagnose.Hooks{Observe: observe, Trace: trace}
	if askVersions {
		h.Versions = clientVersions
	}
	return diagnose.Check(ctx, t, o, h)
}

// asksVersions says whether the output shows the clients' versions: only
// the JSON forms (the ticket's clients[].version) do. The table and the
// Prometheus exposition never print them, and asking costs a child
// process per judged client (podman, skopeo and buildah --version: 40-50
// ms of CPU together on the bench machine, beside a check that needs
// about 15), so for those outputs nobody is asked.
func (f *checkFlags) asksVersions() bool {
	return f.output == "json" || f.output == "jsonl"
}

// progress returns a progress line when a person watches the table on a
// terminal; nil otherwise (pipes, JSON, traces, watch mode).
func (f *checkFlags) progress(stderr io.Writer, watching bool) *report.Progress {
	file, ok := stderr.(*os.File)
	if !ok || f.output != "table" || f.trace || watching || !isatty.IsTerminal(file.Fd()) {
		return nil
	}
	return report.NewProgress(stderr, len(checks.All()), f.palette(stderr))
}

func (f *checkFlags) write(w io.Writer, rep *diagnose.Report) error {
	if f.output == "json" {
		return report.WriteJSON(w, rep)
	}
	return report.WriteTable(w, rep, f.palette(w))
}
