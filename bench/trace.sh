#!/usr/bin/env bash
# Full decode of a large execution trace (>= 100 MB, written by
# bench/trace/gen: goroutines handing a token over channels, allocating,
# with regions and logs), in one run:
#   - goescape, C walk: ge.trace.open + t:count() (every event decoded, its
#     goroutine, P and M replayed, no Lua table per event);
#   - goescape, Lua walk: `for ev in t:each()` (a table per event, stacks);
#   - bench/trace/xread: every event through golang.org/x/exp/trace, its
#     kind, time, goroutine, P, M and stack frames touched;
#   - go tool trace -d=parsed > /dev/null.
# Prints seconds, peak RSS and ratios (target: >= 10x the Go reader; peak
# RSS below 4x the largest generation).
# Usage: bench/trace.sh [CORPUS_DIR] [MEGABYTES]   (the trace is kept in
# CORPUS_DIR/bench.trace, default build/corpus, made once)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:-build/corpus}
mb=${2:-100}
trace=$(bench_trace "$corpus" "$mb")
GO="env -u LD_PRELOAD GOTOOLCHAIN=local go"
xread=""
if (cd bench/trace/xread && $GO build -o "$OLDPWD/build/trace-xread" . 2> /dev/null); then
  xread=build/trace-xread
else
  echo "bench: golang.org/x/exp/trace is not in the module cache or proxy: no Go reader figure" >&2
fi

lua=${GOESCAPE_LUA:-luajit}
env=("LUA_PATH=lua/?.lua;lua/?/init.lua;;" "LUA_CPATH=build/$lua/?.so;;")
script=$(mktemp --suffix=.lua); trap 'rm -f "$script" "$script.l"' EXIT
echo 'local t = assert(require("goescape").trace.open(arg[1])) print(t:count())' > "$script"
echo 'local t = assert(require("goescape").trace.open(arg[1])) local n = 0 for ev in t:each() do n = n + 1 end print(n)' > "$script.l"
cwalk=(env "${env[@]}" "$lua" "$script" "$trace")
lwalk=(env "${env[@]}" "$lua" "$script.l" "$trace")

size=$(stat -c %s "$trace")
maxgen=$(env "${env[@]}" "$lua" -e "local t = assert(require('goescape').trace.open('$trace')) local m = 0
  for _, g in ipairs(t:gens()) do if g.size > m then m = g.size end end
  print(m, #t:gens(), t.events)")
read -r gen_bytes ngens nevents <<< "$maxgen"

t_c=$(best_of 3 "${cwalk[@]}"); r_c=$(rss "${cwalk[@]}")
t_l=$(best_of 1 "${lwalk[@]}"); r_l=$(rss "${lwalk[@]}")
t_x=0; r_x=0
if [ -n "$xread" ]; then t_x=$(best_of 1 $xread "$trace"); r_x=$(rss $xread "$trace"); fi
t_p=$(best_of 1 $GO tool trace -d=parsed "$trace"); r_p=$(rss $GO tool trace -d=parsed "$trace")

awk -v size="$size" -v gb="$gen_bytes" -v ng="$ngens" -v ne="$nevents" \
    -v tc="$t_c" -v rc="$r_c" -v tl="$t_l" -v rl="$r_l" -v tx="$t_x" -v rx="$r_x" \
    -v tp="$t_p" -v rp="$r_p" 'BEGIN {
  printf "trace: %.1f MB, %d generations (largest %.1f MB), %d events\n", size / 1048576, ng, gb / 1048576, ne
  printf "%-34s %9s %10s %12s\n", "", "seconds", "peak RSS", "MB/s"
  printf "%-34s %9.3f %8.1f MB %12.1f\n", "goescape C walk (t:count())", tc, rc / 1024, size / 1048576 / tc
  printf "%-34s %9.3f %8.1f MB %12.1f\n", "goescape Lua walk (t:each())", tl, rl / 1024, size / 1048576 / tl
  if (tx > 0) printf "%-34s %9.3f %8.1f MB %12.1f\n", "x/exp/trace reader (bench/trace)", tx, rx / 1024, size / 1048576 / tx
  printf "%-34s %9.3f %8.1f MB %12.1f\n", "go tool trace -d=parsed", tp, rp / 1024, size / 1048576 / tp
  if (tx > 0) printf "C walk vs x/exp/trace: %.1fx faster (target 10x); Lua walk: %.1fx\n", tx / tc, tx / tl
  printf "C walk vs go tool trace -d=parsed: %.1fx faster\n", tp / tc
  printf "peak RSS of the C walk / largest generation: %.2f (target < 4)\n", rc * 1024 / gb
}'

# Export of a profile: `goescape trace export --pprof=sched` (one C walk,
# the profile encoded and gzipped) against `go tool trace -pprof=sched`.
out=$(mktemp --suffix=.pb.gz)
export_cmd=(env "${env[@]}" "$lua" bin/goescape trace export --pprof=sched -o "$out" "$trace")
t_e=$(best_of 3 "${export_cmd[@]}"); r_e=$(rss "${export_cmd[@]}")
gopprof=(sh -c "$GO tool trace -pprof=sched '$trace' > '$out.go'")
t_g=$(best_of 1 "${gopprof[@]}"); r_g=$(rss $GO tool trace -pprof=sched "$trace")
rm -f "$out" "$out.go"
awk -v te="$t_e" -v re="$r_e" -v tg="$t_g" -v rg="$r_g" 'BEGIN {
  printf "%-34s %9.3f %8.1f MB\n", "goescape trace export --pprof=sched", te, re / 1024
  printf "%-34s %9.3f %8.1f MB\n", "go tool trace -pprof=sched", tg, rg / 1024
  printf "trace export vs go tool trace -pprof=sched: %.1fx faster\n", tg / te
}'

# The trace's models, each one C walk of the events and its tables, against
# the one Go tool that computes anything like them (`-d=parsed`, which
# derives every goroutine transition): the heap timeline, GC, goroutine
# states, annotations with heap growth and allocation sites (who grows the
# heap: `goescape trace growth --by region`).
model_time() {
  local code=$1
  local s; s=$(mktemp --suffix=.lua)
  printf 'local t = assert(require("goescape").trace.open(arg[1])) %s\n' "$code" > "$s"
  best_of 1 env "${env[@]}" "$lua" "$s" "$trace"
  rm -f "$s"
}
t_heap=$(model_time 't:heap()')
t_gc=$(model_time 't:gc()')
t_gor=$(model_time 'for _ in t:each_goroutine() do end')
t_growth=$(model_time 't:growth{by = "region"}')
t_hg=$(best_of 1 env "${env[@]}" "$lua" bin/goescape trace growth --by region "$trace")
awk -v a="$t_heap" -v b="$t_gc" -v c="$t_gor" -v d="$t_growth" -v e="$t_hg" -v tp="$t_p" 'BEGIN {
  printf "%-34s %9.3f  (%.1fx faster than -d=parsed)\n", "t:heap()", a, tp / a
  printf "%-34s %9.3f  (%.1fx)\n", "t:gc()", b, tp / b
  printf "%-34s %9.3f  (%.1fx)\n", "t:each_goroutine()", c, tp / c
  printf "%-34s %9.3f  (%.1fx)\n", "t:growth{by=\"region\"}", d, tp / d
  printf "%-34s %9.3f  (%.1fx)\n", "goescape trace growth --by region", e, tp / e
}'
