#!/usr/bin/env bash
# Decode + top of the 300k-sample allocs profile (CORPUS/app.allocs.pb.gz)
# through bin/goescape top, against `go tool pprof -top` and `gzip -dc`, in one
# run. Prints the ratios (targets: >= 50x faster than pprof; within 3x of gzip).
# Usage: bench/profile.sh CORPUS_DIR [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:?usage: bench/profile.sh CORPUS_DIR}
runs=${2:-5}
prof="$corpus/app.allocs.pb.gz"
[ -f "$prof" ] || { echo "bench: no $prof (run: make corpus)" >&2; exit 1; }
ours="luajit bin/goescape top --by line -n 20 $prof"
byfn="luajit bin/goescape top -n 20 $prof"
pprof="env PPROF_BINARY_PATH=/nonexistent go tool pprof -top -lines -nodecount=20 $prof"
gz="gzip -dc $prof"

# mean wall seconds of a command over N runs
measure() {
  local n=$1; shift
  if command -v hyperfine > /dev/null; then
    hyperfine -N -w 1 -r "$n" --export-json /tmp/ge-bench.$$.json "$*" > /dev/null 2>&1
    python3 -c "import json;print(json.load(open('/tmp/ge-bench.$$.json'))['results'][0]['mean'])"
    rm -f /tmp/ge-bench.$$.json
    return
  fi
  "$@" > /dev/null 2>&1 || true # warm-up
  local t0 t1
  stamp t0
  for _ in $(seq "$n"); do "$@" > /dev/null 2>&1; done
  stamp t1
  awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.6f\n", (b - a) / n / 1e9 }'
}

t_ours=$(measure "$runs" $ours)
t_fn=$(measure "$runs" $byfn)
t_gz=$(measure "$runs" $gz)
t_pp=$(measure 1 $pprof)
awk -v o="$t_ours" -v f="$t_fn" -v g="$t_gz" -v p="$t_pp" 'BEGIN {
  printf "goescape top --by line   %8.3f s\n", o
  printf "goescape top (function)  %8.3f s\n", f
  printf "gzip -dc                 %8.3f s\n", g
  printf "go tool pprof -top       %8.3f s\n", p
  printf "speedup vs pprof -top:   %8.1fx (target >= 50x)\n", p / o
  printf "decode+top / gzip -dc:   %8.2fx (target <= 3x)\n", o / g
}'

# In process after the decode: the flame-graph tree (min 0.001, p:flame)
# and the folded text (p:folded) it replaces for flame graphs. Best of RUNS.
luajit - "$prof" "$runs" <<'LUA'
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/luajit/?.so;" .. package.cpath
local ge, flame = require "goescape", require "goescape.report.flame"
local p = assert(ge.profile.open(arg[1]))
local function best(f)
  local b = math.huge
  for _ = 1, tonumber(arg[2]) do
    local t0 = os.clock(); f(); b = math.min(b, os.clock() - t0)
  end
  return b
end
local text = best(function() assert(p:folded {}) end)
local c = best(function() assert(flame.tree(p, { min = 0.001 })) end)
print(("folded text (p:folded)    %8.3f s"):format(text))
print(("flame tree (p:flame)      %8.3f s"):format(c))
LUA
