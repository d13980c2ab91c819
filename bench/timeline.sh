#!/usr/bin/env bash
# The HTML report's trace timeline on a large execution trace (>= 100 MB,
# bench/trace/gen's, as bench/trace.sh makes it): `goescape html --trace`
# end to end (open, the two C walks of t:timeline, model, SVG, page), its
# time, peak RSS and page size.
# Usage: bench/timeline.sh [CORPUS_DIR] [MEGABYTES]   (the trace: CORPUS_DIR/bench.trace)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:-build/corpus}
mb=${2:-100}
trace=$(bench_trace "$corpus" "$mb")
lua=${GOESCAPE_LUA:-luajit}
out=$(mktemp --suffix=.html); trap 'rm -f "$out"' EXIT
cmd=(env "LUA_PATH=lua/?.lua;lua/?/init.lua;;" "LUA_CPATH=build/$lua/?.so;;" "$lua" bin/goescape html --trace "$trace" -o "$out")
t=$(best_of 3 "${cmd[@]}"); r=$(rss "${cmd[@]}")
awk -v size="$(stat -c %s "$trace")" -v t="$t" -v r="$r" -v page="$(stat -c %s "$out")" 'BEGIN {
  printf "trace %.1f MB: goescape html --trace %.2f s, peak RSS %.1f MB, page %.0f KB\n", size / 1048576, t, r / 1024, page / 1024
}'
