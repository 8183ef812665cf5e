package main

import "io"

// runCLI is the one place tests call run, so its signature can change.
func runCLI(args []string, stdout, stderr io.Writer) int { return run(args, nil, stdout, stderr) }
