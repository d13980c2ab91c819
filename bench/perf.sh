#!/usr/bin/env bash
# goescape perf against perf itself: `perf record -g -c PERIOD` of
# spec/fixtures/perf/prog, large enough that `perf script` prints at least
# MB megabytes (default 200), then, on that perf.data: `perf script` (the
# text), `perf report --stdio --no-children --sort sym` (perf's own
# reading), and goescape reading the text, symbolizing it through the
# binary and building the profile (ge.perf.open{aggregate} + p:symbolize
# + p:pprof, what `goescape perf` does),
# best of RUNS. Prints seconds, peak RSS, and goescape's time as a share of
# perf script's (the target: <= 1/10, so that `perf script | goescape perf`
# is never slowed by goescape).
# Usage: bench/perf.sh [CORPUS_DIR]   (MB=200 RUNS=3; files kept in CORPUS_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:-build/corpus}
runs=${RUNS:-3}
mb=${MB:-200}
mkdir -p "$corpus"
perf record -q -g -e cpu-clock -o /dev/null -- true 2> /dev/null \
  || { echo "bench perf: perf record cannot run here (perf_event_paranoid, container)" >&2; exit 0; }
dir="$corpus/perf"; mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
(cd spec/fixtures/perf/prog && env -u LD_PRELOAD GOTOOLCHAIN=local go build -o "$dir/prog" .)
# one perf.data of K runs of the program (its memory stays small; a run at a
# 40 us period prints about 3 MB of text)
k=$(( mb / 3 + 1 ))
if [ ! -f "$dir/perf.txt" ] || [ "$(stat -c %s "$dir/perf.txt")" -lt $(( mb * 1000000 )) ]; then
  (cd "$dir" && perf record -q -g -e cpu-clock -c 40000 -o perf.data -- \
    sh -c "for i in \$(seq $k); do ./prog 300000; done" > /dev/null)
  perf script -i "$dir/perf.data" > "$dir/perf.txt" 2> /dev/null
fi
size=$(stat -c %s "$dir/perf.txt")
lua=${GOESCAPE_LUA:-luajit}
env=("LUA_PATH=lua/?.lua;lua/?/init.lua;;" "LUA_CPATH=build/$lua/?.so;;")
ours=(env "${env[@]}" "$lua" -e "local ge = require('goescape')
  local p = assert(ge.perf.open('$dir/perf.txt', {aggregate = true})); assert(p:symbolize('$dir/prog')); assert(p:pprof())")
script=(perf script -i "$dir/perf.data")
report=(perf report -i "$dir/perf.data" --stdio --no-children --sort sym)
t_o=$(best_of "$runs" "${ours[@]}"); r_o=$(rss "${ours[@]}")
t_s=$(best_of "$runs" "${script[@]}"); r_s=$(rss "${script[@]}")
t_r=$(best_of "$runs" "${report[@]}"); r_r=$(rss "${report[@]}")
awk -v sz="$size" -v to="$t_o" -v ro="$r_o" -v ts="$t_s" -v rs="$r_s" -v tr="$t_r" -v rr="$r_r" 'BEGIN {
  printf "perf: %.0f MB of perf script text\n", sz / 1e6
  printf "%-44s %9s %10s\n", "", "seconds", "peak RSS"
  printf "%-44s %9.3f %8.1f MB\n", "goescape: read + symbolize + pprof", to, ro / 1024
  printf "%-44s %9.3f %8.1f MB\n", "perf script (makes the text)", ts, rs / 1024
  printf "%-44s %9.3f %8.1f MB\n", "perf report --stdio --sort sym", tr, rr / 1024
  printf "goescape / perf script: %.3f (target <= 0.1)\n", to / ts
}'
