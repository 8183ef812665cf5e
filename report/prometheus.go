package report

import (
	"io"

	"github.com/prometheus/common/expfmt"

	"github.com/regdoctor/regdoctor/probe"
)

// WritePrometheus writes the outcomes' metrics in the Prometheus text
// exposition format, as node_exporter's textfile collector reads it.
// Targets that did not finish have no series.
func WritePrometheus(w io.Writer, outs []probe.Outcome) error {
	families, err := probe.Registry(outs).Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
