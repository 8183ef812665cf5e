package diagnose

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
	"github.com/regdoctor/regdoctor/target"
)

// BenchmarkPipeline runs the whole pipeline in-process, as `regdoctor
// check` does per target (client configuration, a fresh transport, every
// check, the diagnosis), against the healthy fixture on loopback; the
// fixture server runs in the same process. It is the workload behind the
// CPU profile in BENCHMARKS.md:
//
//	go test -run '^$' -bench 'BenchmarkPipeline/healthy$' -cpuprofile cpu.out ./diagnose/
//	go tool pprof -top cpu.out
//
// The machine's /etc/containers is read, as the command reads it; no auth
// file, certs.d or environment variable is.
func BenchmarkPipeline(b *testing.B) {
	for _, name := range []string{"healthy", "not-logged-in", "tag-mismatch"} {
		b.Run(name, func(b *testing.B) {
			reg := fixturetest.Start(b, name)
			o := pipelineBenchOptions(reg)
			b.ReportAllocs()
			for b.Loop() {
				runPipelineOnce(b, reg.Target, o)
			}
		})
	}
	// Many targets at once, as `check --parallel 16` runs them.
	b.Run("healthy-x100-parallel16", func(b *testing.B) {
		regs := make([]*fixtures.Registry, 100)
		for i := range regs {
			reg := fixturetest.Start(b, "healthy")
			regs[i] = reg
		}
		b.ReportAllocs()
		for b.Loop() {
			slots := make(chan struct{}, 16)
			var wg sync.WaitGroup
			for _, reg := range regs {
				wg.Go(func() {
					slots <- struct{}{}
					defer func() { <-slots }()
					runPipelineOnce(b, reg.Target, pipelineBenchOptions(reg))
				})
			}
			wg.Wait()
		}
	})
}

func pipelineBenchOptions(reg *fixtures.Registry) checks.Options {
	return checks.Options{Timeout: 10 * time.Second, TLSVerify: true, CertDir: reg.CertDir, AuthFile: reg.AuthFile,
		Env: func(string) string { return "" }}
}

func runPipelineOnce(b *testing.B, ref string, o checks.Options) {
	t, err := target.Parse(ref)
	if err != nil {
		b.Fatal(err)
	}
	rep := Check(context.Background(), t, o, Hooks{})
	if len(rep.Results) == 0 {
		b.Fatal("no results")
	}
}
