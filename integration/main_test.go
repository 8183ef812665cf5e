//go:build integration

// Package integration drives the regdoctor binary and skopeo against real
// registries (docker-registry, nginx, a Go token server) bound to 127.0.0.1
// and asserts that regdoctor's diagnosis agrees with what skopeo experiences.
// Run with: go test -tags integration ./integration/
package integration

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// binEnv names a prebuilt regdoctor to test instead of building ./cmd/regdoctor.
const binEnv = "REGDOCTOR_INTEGRATION_BIN"

// suiteDir holds what the whole run shares: the regdoctor binary and the PKI.
var suiteDir string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	dir, err := os.MkdirTemp("", "regdoctor-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer stopSharedContainerd() // started by the first ctr runner, if any
	defer stopSharedDockerd()    // started by the first docker runner, if any
	suiteDir = dir

	// Built once. A build failure is reported by every test that needs the
	// binary, while the skopeo half of each scenario still runs.
	// REGDOCTOR_INTEGRATION_BIN=/path/to/regdoctor tests a prebuilt binary instead.
	if bin := os.Getenv(binEnv); bin != "" {
		regdoctorBin = bin
	} else {
		regdoctorBin, regdoctorBuildErr = buildRegdoctor(dir)
	}
	if regdoctorBuildErr != nil {
		fmt.Fprintln(os.Stderr, "integration: WARNING:", regdoctorBuildErr)
	}
	return m.Run()
}
