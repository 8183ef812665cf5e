package diagnose

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/target"
)

// BenchmarkClosest suggests tags from a large repository, the worst case
// of tag-not-found.
func BenchmarkClosest(b *testing.B) {
	tags := make([]string, 5000)
	for i := range tags {
		tags[i] = fmt.Sprintf("%d.%d.%d-alpine", i/100, i/10%10, i%10)
	}
	b.ReportAllocs()
	for b.Loop() {
		Closest("v1.0.0", tags, 3)
	}
}

// BenchmarkDiagnose applies every rule to the evidence of real runs
// against fixtures (the network part is done once, outside the loop).
func BenchmarkDiagnose(b *testing.B) {
	for _, name := range []string{"healthy", "tag-mismatch", "not-logged-in", "plain-http"} {
		reg, err := fixtures.Start(name)
		if err != nil {
			b.Fatal(err)
		}
		t, err := target.Parse(reg.Target)
		if err != nil {
			b.Fatal(err)
		}
		o := checks.Options{Timeout: 5 * time.Second, TLSVerify: true, CertDir: reg.CertDir, AuthFile: reg.AuthFile,
			CertsDirs: []string{}, Clients: []string{"podman"}, SysRoot: b.TempDir(), Env: func(string) string { return "" }}
		rep := Check(context.Background(), t, o, Hooks{})
		reg.Close()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Diagnose(rep)
			}
		})
	}
}
