# Shared benchmark helpers (sourced). best_of N CMD...: the best wall time of N
# runs in seconds; rss CMD...: peak resident set in KiB (GNU time).

# stamp VAR: VAR = wall clock in ns, from bash's EPOCHREALTIME (bash 5,
# microseconds) without starting a process: `t=$(date +%s%N)` put a fork and
# an exec inside every timed interval (1-3 ms here), which weighed most on
# the fastest tool's ratio.
stamp() {
  if [ -n "${EPOCHREALTIME:-}" ]; then printf -v "$1" '%s' "$(( ${EPOCHREALTIME/[.,]/} * 1000 ))"
  else printf -v "$1" '%s' "$(date +%s%N)"; fi
}

best_of() {
  local n=$1; shift
  local best=
  for _ in $(seq "$n"); do
    local t0 t1
    stamp t0; "$@" > /dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }; stamp t1
    local dt=$(( t1 - t0 ))
    if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
  done
  awk -v ns="$best" 'BEGIN { printf "%.4f", ns / 1e9 }'
}
rss() {
  command -v /usr/bin/time > /dev/null || { echo 0; return; }
  /usr/bin/time -f '%M' "$@" 2>&1 > /dev/null | tail -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# bench_trace CORPUS_DIR MEGABYTES: the path of the large execution trace
# that bench/trace/gen writes (CORPUS_DIR/bench.trace), made once.
bench_trace() {
  local corpus=$1 mb=$2
  mkdir -p "$corpus"
  local trace="$corpus/bench.trace"
  if [ ! -f "$trace" ]; then
    echo "bench: writing a ${mb} MB trace to $trace" >&2
    (cd bench/trace/gen && env -u LD_PRELOAD GOTOOLCHAIN=local go build -o "$OLDPWD/build/trace-gen" main.go) >&2
    build/trace-gen "$trace" "$mb" >&2
  fi
  printf '%s\n' "$trace"
}
