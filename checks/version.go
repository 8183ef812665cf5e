package checks

// Version is set at build time with -ldflags "-X github.com/regdoctor/regdoctor/checks.Version=...".
var Version = "0.1.0-dev"
