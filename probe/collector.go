package probe

import (
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/regdoctor/regdoctor/checks"
)

// Statuses are the values of the status label, each exported as 0 or 1.
var Statuses = []checks.Status{checks.Pass, checks.Warn, checks.Fail, checks.Skip}

// Collector exports the latest outcome of each target as Prometheus
// metrics. Series are generated from the latest outcome on every scrape, so
// a diagnosis that disappeared leaves no stale series behind.
//
// Label values come only from target references, check ids, statuses,
// catalogue codes, severities and the targets file's labels: never from
// error text, so cardinality stays bounded by the targets file.
type Collector struct {
	extra []string // the targets files' label names, on every series

	healthy, status, checkDuration, diagnosis, lastRun, duration *prometheus.Desc

	mu     sync.RWMutex
	latest map[string]Outcome // by Target.Ref
}

// NewCollector returns an empty collector whose series carry the given
// extra label names (see LabelNames); a target without one of them exports
// it empty, which Prometheus treats as absent.
func NewCollector(extraLabels []string) *Collector {
	c := &Collector{extra: slices.Clone(extraLabels), latest: map[string]Outcome{}}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, slices.Concat([]string{"target"}, labels, c.extra), nil)
	}
	c.healthy = desc("regdoctor_target_healthy", "1 when the last run found no diagnosis of severity error or warning, else 0.")
	c.status = desc("regdoctor_check_status", "1 for the check's status in the last run, 0 for the other statuses.", "check", "status")
	c.checkDuration = desc("regdoctor_check_duration_seconds", "How long the check took in the last run.", "check")
	c.diagnosis = desc("regdoctor_diagnosis", "1 for each diagnosis of the last run; absent when not diagnosed.", "code", "severity")
	c.lastRun = desc("regdoctor_last_run_timestamp_seconds", "When the last run of the target ended, in seconds since the epoch.")
	c.duration = desc("regdoctor_probe_duration_seconds", "How long the last run of the target took.")
	return c
}

// Observe records an outcome, replacing the target's previous one. Runs
// that did not finish are ignored: the last complete run stays exported.
func (c *Collector) Observe(o Outcome) {
	if !o.Ran() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latest[o.Target.Ref] = o
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.healthy, c.status, c.checkDuration, c.diagnosis, c.lastRun, c.duration} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, o := range c.latest {
		c.collect(ch, o)
	}
}

func (c *Collector) collect(ch chan<- prometheus.Metric, o Outcome) {
	rep := o.Report
	extra := make([]string, len(c.extra))
	for i, n := range c.extra {
		extra[i] = o.Target.Labels[n]
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, slices.Concat([]string{o.Target.Ref}, labels, extra)...)
	}
	gauge(c.healthy, boolValue(rep.Healthy()))
	for _, r := range rep.Results {
		for _, s := range Statuses {
			gauge(c.status, boolValue(r.Status == s), r.ID, string(s))
		}
		gauge(c.checkDuration, r.Duration.Seconds(), r.ID)
	}
	seen := map[[2]string]bool{}
	for _, d := range rep.Diagnoses {
		key := [2]string{string(d.Code), string(d.Severity)}
		if !seen[key] {
			seen[key] = true
			gauge(c.diagnosis, 1, key[:]...)
		}
	}
	gauge(c.lastRun, float64(rep.Started.Add(rep.Duration).UnixMilli())/1e3)
	gauge(c.duration, rep.Duration.Seconds())
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Registry returns a private registry holding only the metrics of the given
// outcomes: for one-shot output and on-demand probes.
func Registry(outcomes []Outcome) *prometheus.Registry {
	ts := make([]Target, len(outcomes))
	for i, o := range outcomes {
		ts[i] = o.Target
	}
	c := NewCollector(LabelNames(ts))
	for _, o := range outcomes {
		c.Observe(o)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return reg
}
