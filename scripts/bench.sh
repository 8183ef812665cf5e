#!/bin/sh
# scripts/bench.sh — what `make bench` runs: regdoctor against skopeo and
# crane on the integration suite's real servers, then the Go
# microbenchmarks and a CPU profile of the in-process pipeline. The
# results go into BENCHMARKS.md between its <!-- bench:* --> markers.
#
#   make bench                       # or: scripts/bench.sh
#   BENCH_RUNS=15                    # timed runs per command per case
#   BENCH_QUIET_LOAD=1.5             # wait for the 1-minute load average to drop below this...
#   BENCH_QUIET_WAIT=600             # ...for at most this many seconds, then run anyway
#   REGDOCTOR_BENCH_BASELINE=BIN     # an earlier regdoctor, timed beside this one ("(before)" rows)
#
# To time or trace a change by hand on case 1b's servers (the go test line
# below with -run '^TestBench$/^1b'): REGDOCTOR_BENCH_HOLD=FILE writes the
# case's commands to FILE as a shell script and keeps the servers up until
# FILE is removed.
#
# Needs what `make integration` needs (docker-registry, skopeo, htpasswd)
# plus GNU time (/usr/bin/time, Debian package "time") for peak RSS.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
RUNS=${BENCH_RUNS:-15}
QUIET_LOAD=${BENCH_QUIET_LOAD:-1.5}
QUIET_WAIT=${BENCH_QUIET_WAIT:-600}
MD=$(pwd)/BENCHMARKS.md
OUT=$(pwd)/bin/bench
mkdir -p "$OUT"

[ -x /usr/bin/time ] || { echo "bench: needs GNU time at /usr/bin/time (Debian package: time)" >&2; exit 1; }

# crane, at the go-containerregistry version go.mod requires.
CRANE_VERSION=$($GO list -m -f '{{.Version}}' github.com/google/go-containerregistry)
CRANE=$OUT/crane-$CRANE_VERSION/crane
if [ ! -x "$CRANE" ]; then
	echo "bench: installing crane $CRANE_VERSION into $(dirname "$CRANE")"
	GOBIN=$(dirname "$CRANE") $GO install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
fi

# splice NAME FILE: replace the <!-- NAME:start -->...<!-- NAME:end --> section of BENCHMARKS.md.
splice() {
	awk -v name="$1" -v file="$2" '
		$0 == "<!-- " name ":start -->" { print; while ((getline line < file) > 0) print line; skip = 1; next }
		$0 == "<!-- " name ":end -->" { skip = 0 }
		!skip { print }
	' "$MD" > "$MD.tmp" && mv "$MD.tmp" "$MD"
}

$GO vet -tags 'integration bench' ./integration/

# Other work on the machine skews every figure; wait a while for quiet.
waited=0
while :; do
	load=$(cut -d' ' -f1 /proc/loadavg)
	if awk -v l="$load" -v q="$QUIET_LOAD" 'BEGIN { exit !(l < q) }'; then
		echo "bench: load average $load"
		break
	fi
	if [ "$waited" -ge "$QUIET_WAIT" ]; then
		echo "bench: load average still $load after ${waited}s; measuring anyway (BENCHMARKS.md notes the load)"
		break
	fi
	echo "bench: load average $load >= $QUIET_LOAD; waiting (${waited}s of ${QUIET_WAIT}s)"
	sleep 10
	waited=$((waited + 10))
done

# 1. The comparison with the clients; the test writes its own section.
REGDOCTOR_BENCH_CRANE=$CRANE REGDOCTOR_BENCH_RUNS=$RUNS REGDOCTOR_BENCH_MD=$MD \
	$GO test -tags 'integration bench' -run '^TestBench$' -count=1 -v -timeout 60m ./integration/ 2>&1 |
	grep -v 'http: TLS handshake error' | tee "$OUT/bench.log"
grep -q '^--- PASS: TestBench' "$OUT/bench.log" || { echo "bench: TestBench failed; see $OUT/bench.log" >&2; exit 1; }

# 2. Microbenchmarks of parsers, suggestions and rules.
{
	echo '```'
	$GO test -run '^$' -bench . -benchmem -count 1 ./checks/ | grep -E '^(Benchmark|ok|cpu:)'
	$GO test -run '^$' -bench . -skip 'BenchmarkPipeline' -benchmem -count 1 ./diagnose/ | grep -E '^(Benchmark|ok)'
	echo '```'
} > "$OUT/micro.md"
cat "$OUT/micro.md"
splice bench:micro "$OUT/micro.md"

# 3. The whole pipeline in-process, and its CPU profile (healthy fixture).
{
	echo '```'
	$GO test -run '^$' -bench 'BenchmarkPipeline' -benchmem -count 1 ./diagnose/ | grep -E '^Benchmark'
	$GO test -run '^$' -bench 'BenchmarkPipeline/healthy$' -benchtime 3s -count 1 \
		-cpuprofile "$OUT/cpu.out" -o "$OUT/diagnose.test" ./diagnose/ > /dev/null
	echo
	echo "\$ go tool pprof -top -nodecount 20 diagnose.test cpu.out"
	$GO tool pprof -top -nodecount 20 "$OUT/diagnose.test" "$OUT/cpu.out" 2>/dev/null | sed -n '/^Showing nodes/,$p'
	echo
	echo "\$ go tool pprof -top -cum -nodecount 45 diagnose.test cpu.out   (runtime and testing frames left out)"
	$GO tool pprof -top -cum -nodecount 45 "$OUT/diagnose.test" "$OUT/cpu.out" 2>/dev/null | sed -n '/flat%/,$p' |
		grep -v -E ' (runtime|testing|sync)\.'
	echo '```'
} > "$OUT/profile.md"
cat "$OUT/profile.md"
splice bench:profile "$OUT/profile.md"
echo "bench: BENCHMARKS.md updated; profile in $OUT/cpu.out"
