#!/usr/bin/env bash
# goescape benchstat against benchstat itself on a large comparison: two
# files of 100k result lines each (200k in all; 50 benchmarks x 2000 runs,
# ns/op, B/op and allocs/op, written once by an awk script with a fixed
# seed), end to end (startup, parse, statistics, text tables), best of RUNS.
# Also the parse alone (ge.bench.open of both files). Prints seconds, peak
# RSS and the ratio; checks that both print the same words.
# Usage: bench/benchstat.sh [CORPUS_DIR]   (files kept in CORPUS_DIR, default
# build/corpus; benchstat installed into build/benchstat-bin if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:-build/corpus}
runs=${RUNS:-3}
mkdir -p "$corpus"
GO="env -u LD_PRELOAD GOTOOLCHAIN=local go"
benchstat=build/benchstat-bin/benchstat
if [ ! -x "$benchstat" ]; then
  GOBIN="$PWD/build/benchstat-bin" $GO install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
fi
gen() { # gen FILE SEED SHIFT: 50 benchmarks x 2000 runs, new side SHIFT slower
  awk -v seed="$2" -v shift="$3" 'BEGIN {
    srand(seed)
    print "goos: linux"; print "goarch: amd64"; print "pkg: example.com/big"; print "cpu: bench"
    for (run = 0; run < 2000; run++)
      for (b = 0; b < 50; b++) {
        base = 100 * (b + 1)
        ns = base * (1 + shift * (b % 3)) * (0.9 + 0.2 * rand())
        printf "BenchmarkBig/case=%d-8\t%d\t%.1f ns/op\t%d B/op\t%d allocs/op\n", b, 100000, ns, 64 * (b % 5), b % 5 + (rand() < 0.01)
      }
    print "PASS"
  }' > "$1"
}
old="$corpus/bench-old.txt"; new="$corpus/bench-new.txt"
[ -f "$old" ] || gen "$old" 1 0
[ -f "$new" ] || gen "$new" 2 0.02

lua=${GOESCAPE_LUA:-luajit}
env=("LUA_PATH=lua/?.lua;lua/?/init.lua;;" "LUA_CPATH=build/$lua/?.so;;")
ours=(env "${env[@]}" "$lua" bin/goescape benchstat "$old" "$new")
parse=(env "${env[@]}" "$lua" -e "local b = require('goescape').bench
  local o, n = assert(b.open('$old')), assert(b.open('$new')) print(o.results + n.results)")
theirs=("$benchstat" "$old" "$new")

diff <("${ours[@]}" | tr -s ' \n' '\n\n') <("${theirs[@]}" 2>/dev/null | tr -s ' \n' '\n\n') > /dev/null \
  || { echo "bench: goescape benchstat and benchstat print different tables" >&2; exit 1; }
lines=$(( $(grep -c '^Benchmark' "$old") + $(grep -c '^Benchmark' "$new") ))
t_o=$(best_of "$runs" "${ours[@]}"); r_o=$(rss "${ours[@]}")
t_p=$(best_of "$runs" "${parse[@]}"); r_p=$(rss "${parse[@]}")
t_b=$(best_of "$runs" "${theirs[@]}"); r_b=$(rss "${theirs[@]}")
awk -v n="$lines" -v to="$t_o" -v ro="$r_o" -v tp="$t_p" -v rp="$r_p" -v tb="$t_b" -v rb="$r_b" 'BEGIN {
  printf "benchstat: %d result lines (2 files), identical tables\n", n
  printf "%-34s %9s %10s\n", "", "seconds", "peak RSS"
  printf "%-34s %9.3f %8.1f MB\n", "goescape benchstat", to, ro / 1024
  printf "%-34s %9.3f %8.1f MB\n", "goescape: ge.bench.open x2 only", tp, rp / 1024
  printf "%-34s %9.3f %8.1f MB\n", "benchstat", tb, rb / 1024
  printf "goescape benchstat vs benchstat: %.1fx faster\n", tb / to
}'
