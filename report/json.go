// Package report renders a diagnose.Report for people (a table), for
// tickets (JSON) and for machines that probe (exit codes).
package report

import (
	"encoding/json"
	"io"
	"runtime"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/diagnose"
)

// JSONCheck is one check in the JSON output. Field names are a contract.
type JSONCheck struct {
	ID         string        `json:"id"`
	Status     checks.Status `json:"status"`
	Summary    string        `json:"summary"`
	DurationMS int64         `json:"duration_ms"`
	Evidence   any           `json:"evidence,omitempty"`
}

// JSONReport is the JSON document for one target. Field names are a
// contract: add fields freely, never rename or remove one.
type JSONReport struct {
	Target     string                   `json:"target"`
	Registry   string                   `json:"registry"`
	Repository string                   `json:"repository"`
	Reference  string                   `json:"reference"`
	Product    string                   `json:"product,omitempty"`
	Healthy    bool                     `json:"healthy"`
	Checks     []JSONCheck              `json:"checks"`
	Diagnoses  []diagnose.Diagnosis     `json:"diagnoses"`
	Clients    []diagnose.ClientVerdict `json:"clients"`
	// ClientsSkipped are the known clients not judged by default, each
	// with the reason (no binary, no daemon answering); absent when
	// --client chose the clients.
	ClientsSkipped []clientconf.Skipped `json:"clients_skipped,omitempty"`
	// Pull is the pull step by step; healthy is true only when every
	// step passed.
	Pull       []diagnose.PullStep `json:"pull"`
	ShortName  any                 `json:"short_name,omitempty"`
	DurationMS int64               `json:"duration_ms"`
	Version    string              `json:"version"`

	// What a ticket needs besides the findings. CheckedAt is when the
	// run started, RFC 3339 in UTC (absent for a target never checked);
	// RegdoctorVersion repeats version under a name that says whose;
	// ConfigFilesRead are paths only, never contents.
	CheckedAt        string   `json:"checked_at,omitempty"`
	RegdoctorVersion string   `json:"regdoctor_version"`
	Host             JSONHost `json:"host"`
	ConfigFilesRead  []string `json:"config_files_read"`
}

// JSONHost is the machine regdoctor ran on, as Go names it.
type JSONHost struct {
	OS   string `json:"os"`
	Arch string `json:"arch"`
}

// Host is this machine; tests set it so that goldens are the same on every
// machine.
var Host = JSONHost{OS: runtime.GOOS, Arch: runtime.GOARCH}

// ToJSON converts a report to its JSON document.
func ToJSON(rep *diagnose.Report) JSONReport {
	j := JSONReport{
		Target:     rep.Target.Input,
		Registry:   rep.Target.Registry,
		Repository: rep.Target.Repository,
		Reference:  rep.Target.Reference,
		Product:    rep.Product.Name,
		Healthy:    rep.Healthy(),
		Checks:     []JSONCheck{},
		Diagnoses:  rep.Diagnoses,
		Clients:    rep.Clients,
		DurationMS: rep.Duration.Milliseconds(),
		Version:    checks.Version,

		RegdoctorVersion: checks.Version,
		Host:             Host,
		ConfigFilesRead:  rep.Config.FilesRead(),
	}
	if !rep.Started.IsZero() {
		j.CheckedAt = rep.Started.UTC().Format(time.RFC3339)
	}
	if rep.Target.Short != nil {
		j.ShortName = rep.Target.Short
	}
	if rep.Config != nil {
		j.ClientsSkipped = rep.Config.ClientsSkipped
	}
	if j.Pull = rep.Pull; j.Pull == nil {
		j.Pull = []diagnose.PullStep{}
	}
	if j.Clients == nil {
		j.Clients = []diagnose.ClientVerdict{}
	}
	if j.Diagnoses == nil {
		j.Diagnoses = []diagnose.Diagnosis{}
	}
	for _, r := range rep.Results {
		j.Checks = append(j.Checks, JSONCheck{ID: r.ID, Status: r.Status, Summary: r.Summary, DurationMS: r.Duration.Milliseconds(), Evidence: r.Evidence})
	}
	return j
}

// WriteJSON writes one report as an indented JSON object.
func WriteJSON(w io.Writer, rep *diagnose.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ToJSON(rep))
}

// Exit codes. Part of the contract.
const (
	ExitOK    = 0 // no diagnosis of severity error
	ExitError = 1 // at least one error-severity diagnosis
	ExitUsage = 2 // bad usage: unknown flag, unparseable reference
)
