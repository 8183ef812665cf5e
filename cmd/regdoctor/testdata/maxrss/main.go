// Command maxrss runs a command and writes its peak resident set size, in
// KiB, to the file $MAXRSS_OUT; it exits with the command's status.
//
// A test cannot measure a child's peak RSS itself: Linux counts the memory
// of the process that forked the child (here a large test binary, shared
// until exec) in the child's ru_maxrss. This launcher is small, so what it
// reports is the command's own peak.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: MAXRSS_OUT=FILE maxrss COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(2)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	if err := os.WriteFile(os.Getenv("MAXRSS_OUT"), fmt.Appendf(nil, "%d\n", rss), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(2)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
