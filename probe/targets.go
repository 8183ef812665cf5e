// Package probe runs regdoctor unattended: many targets at once, bounded in
// parallel, once or on a schedule, and exposes the outcomes as Prometheus
// metrics. It owns no output format; report renders what it produces.
package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/internal/lazyre"

	"go.yaml.in/yaml/v3"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/clientconf"
	"github.com/regdoctor/regdoctor/target"
)

// Target is one registry or image to check, with its own settings. Zero
// settings fall back to the command-line flags.
type Target struct {
	Ref       string        `yaml:"target"`
	Platform  string        `yaml:"platform,omitempty"`
	PushCheck *bool         `yaml:"push-check,omitempty"` // nil: the --push-check flag decides
	Timeout   time.Duration `yaml:"timeout,omitempty"`
	// Client is the client to judge for (podman, docker, containerd,
	// crane), as --client with one value; "" leaves --client to decide.
	Client string `yaml:"client,omitempty"`
	// Labels are added to every metric of this target.
	Labels map[string]string `yaml:"labels,omitempty"`

	// Parsed is Ref as the checks see it, set by Validate.
	Parsed target.Target `yaml:"-"`
	// refuseAddr guards every connection of the run (/probe's guard
	// against link-local and metadata addresses, redirects included).
	refuseAddr func(netip.Addr) bool
}

// Options applies the target's own settings over base.
func (t Target) Options(base checks.Options) checks.Options {
	o := base
	if t.Platform != "" {
		o.Platform = t.Platform
	}
	if t.PushCheck != nil {
		o.PushCheck = *t.PushCheck
	}
	if t.Timeout > 0 {
		o.Timeout = t.Timeout
	}
	if t.Client != "" {
		o.Clients = []string{t.Client}
	}
	if t.refuseAddr != nil {
		o.RefuseAddr = t.refuseAddr
	}
	return o
}

// targetKeys are the settings a targets file entry may have.
var targetKeys = func() []string {
	var keys []string
	for f := range reflect.TypeFor[Target]().Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}()

// UnmarshalYAML accepts an entry written as a bare string as well as a map,
// so a plain list of references is a valid targets file. Unknown settings
// are errors, so a misspelt one is never silently ignored.
func (t *Target) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&t.Ref)
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; !slices.Contains(targetKeys, k.Value) {
				return fmt.Errorf("line %d: unknown setting %q (want %s)", k.Line, k.Value, strings.Join(targetKeys, ", "))
			}
		}
	}
	type plain Target // without this method, so Decode does not recurse
	return n.Decode((*plain)(t))
}

// Validate parses the reference and checks the settings.
func (t *Target) Validate() error {
	p, err := target.Parse(t.Ref)
	if err != nil {
		return err
	}
	t.Parsed = p
	if err := ValidatePlatform(t.Platform); err != nil {
		return err
	}
	if t.Timeout < 0 {
		return fmt.Errorf("timeout %s: must be positive", t.Timeout)
	}
	if t.Client != "" && !slices.Contains(clientconf.Known, t.Client) {
		return fmt.Errorf("unknown client %q (want one of %s)", t.Client, strings.Join(clientconf.Known, ", "))
	}
	for name := range t.Labels {
		if err := validLabelName(name); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePlatform accepts "" or os/arch[/variant].
func ValidatePlatform(p string) error {
	if p == "" {
		return nil
	}
	if n := strings.Count(p, "/"); n < 1 || n > 2 || strings.Contains(p, "//") {
		return fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/arm64", p)
	}
	return nil
}

var labelNameRE = lazyre.New(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// reservedLabels are set by regdoctor itself or by Prometheus on scrape.
var reservedLabels = []string{"target", "check", "status", "code", "severity", "job", "instance"}

func validLabelName(name string) error {
	switch {
	case !labelNameRE().MatchString(name):
		return fmt.Errorf("label %q: want a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)", name)
	case strings.HasPrefix(name, "__"):
		return fmt.Errorf("label %q: names starting with __ are reserved by Prometheus", name)
	case slices.Contains(reservedLabels, name):
		return fmt.Errorf("label %q: reserved, regdoctor or Prometheus sets it", name)
	}
	return nil
}

// LoadTargets reads a targets file: a YAML list whose entries are a
// reference or a map with "target" and optional settings.
func LoadTargets(path string) ([]Target, error) {
	// Bounded, and never blocking on a FIFO: a file over the limit is an
	// error, not its first part.
	data, err := clientconf.ReadBounded(path)
	if err != nil {
		return nil, err
	}
	ts, err := ParseTargets(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, nil
}

// ParseTargets decodes and validates a targets document.
func ParseTargets(r io.Reader) ([]Target, error) {
	var ts []Target
	if err := yaml.NewDecoder(r).Decode(&ts); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, errors.New("no targets: want a YAML list of targets")
	}
	for i := range ts {
		if err := ts[i].Validate(); err != nil {
			if ts[i].Parsed.Registry == "" {
				// A reference that did not parse is described by
				// ParseTarget's error, which never echoes a password
				// (user:pass@host); echoing Ref here would.
				return nil, fmt.Errorf("target %d: %w", i+1, err)
			}
			return nil, fmt.Errorf("target %d (%q): %w", i+1, ts[i].Ref, err)
		}
	}
	return ts, Unique(ts)
}

// Unique rejects two targets with the same reference: their metrics would
// carry the same target label.
func Unique(ts []Target) error {
	seen := map[string]bool{}
	for _, t := range ts {
		if seen[t.Ref] {
			return fmt.Errorf("target %q is listed twice", t.Ref)
		}
		seen[t.Ref] = true
	}
	return nil
}

// LabelNames is the sorted union of the targets' label names.
func LabelNames(ts []Target) []string {
	var names []string
	for _, t := range ts {
		for n := range t.Labels {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}
