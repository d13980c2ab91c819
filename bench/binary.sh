#!/usr/bin/env bash
# Symbolization benchmark on the go command binary (CORPUS/gocmd) and 200k
# random PCs in its .text (CORPUS/pcs.200k.txt), in one run against
# go tool addr2line (physical function + innermost line only) and
# llvm-symbolizer --inlining. goescape expands inlined frames. Also: time to
# open a ~15 MB binary.
#
# Every tool gets the same PCs, writes to /dev/null, runs once untimed first
# (warm page cache, built tool) and then RUNS times (best wall time kept).
# Times are end to end, startup included: `goescape symbolize` (LuaJIT start,
# module load, open) and `go tool addr2line` (the go command finding the tool,
# then the tool). llvm-symbolizer gets all the PCs too, best of at most 3
# runs (1.2-2 s each): its per-PC cost falls as a run goes on (it caches
# each compile unit's line table), so a slice's cost times N would overstate
# its time about twice.
# A second line gives each ratio with every tool's 1-PC startup subtracted.
# goescape also runs on one thread (GOESCAPE_LIMITS=max_threads=1), to show
# what the threads give on this machine (nproc CPUs). Agreement with
# addr2line (physical function, innermost file:line; its unknown line -1 is
# our 0) is checked on 5k PCs.
# Usage: bench/binary.sh CORPUS_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:?usage: bench/binary.sh CORPUS_DIR}
bin=$corpus/gocmd; pcs=$corpus/pcs.200k.txt
[ -f "$bin" ] && [ -f "$pcs" ] || { echo "bench/binary: needs $bin and $pcs" >&2; exit 1; }
LUA=${LUA:-luajit}
RUNS=${RUNS:-3}
build=${GOESCAPE_BUILD:-$PWD/build/$LUA}
export GOESCAPE_BUILD=$build
n=$(wc -l < "$pcs")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -1 "$pcs" > "$tmp/pcs1"
head -5000 "$pcs" > "$tmp/pcs5k"

ours() { $LUA bin/goescape symbolize "$bin"; }
ours1() { GOESCAPE_LIMITS=max_threads=1 $LUA bin/goescape symbolize "$bin"; }
a2l() { go tool addr2line "$bin"; }
llvm() { llvm-symbolizer --inlining --obj="$bin"; }

# best INPUT CMD: best wall time (s) of RUNS runs after one untimed run.
best() {
  local in=$1; shift
  "$@" < "$in" > /dev/null
  local b=
  for _ in $(seq "$RUNS"); do
    local t0 t1
    stamp t0; "$@" < "$in" > /dev/null; stamp t1
    if [ -z "$b" ] || [ $((t1 - t0)) -lt "$b" ]; then b=$((t1 - t0)); fi
  done
  awk -v ns="$b" 'BEGIN { printf "%.4f", ns / 1e9 }'
}

o1=$(best "$tmp/pcs1" ours); oN=$(best "$pcs" ours); oT1=$(best "$pcs" ours1)
a1=$(best "$tmp/pcs1" a2l); aN=$(best "$pcs" a2l)
l1=$(best "$tmp/pcs1" llvm); lN=$(RUNS=$((RUNS < 3 ? RUNS : 3)) best "$pcs" llvm)

# Untimed: inlined frames seen, and agreement with addr2line on 5k PCs.
ours < "$pcs" > "$tmp/ours"
inl=$(grep -c '(inlined)' "$tmp/ours" || true)
ours < "$tmp/pcs5k" | awk -F'\t' '{
  if (NF < 2 || $2 == "??") { print "?\t?:0"; next }
  f = $NF; sub(/ [^ ]*$/, "", f); p = $2; sub(/ \(inlined\)$/, "", p); sub(/^.* /, "", p)
  print f "\t" p }' > "$tmp/ours.a2l"
a2l < "$tmp/pcs5k" | paste - - | sed "s/:-1\$/:0/" > "$tmp/a2l"  # unknown line: -1 there, 0 here
agree=$(awk 'NR == FNR { a[FNR] = $0; next } { if (a[FNR] == $0) same++ }
  END { printf "%d/%d", same, FNR }' "$tmp/a2l" "$tmp/ours.a2l")

# Open time: the stripped go command (~14 MB) or gocmd, many opens in one process.
small=$corpus/gocmd.stripped; [ -f "$small" ] || small=$bin
cat > "$tmp/open.lua" <<'LUA'
  local core = require "goescape.core"
  local path, n = arg[1], 200
  local c = os.clock()
  local best = math.huge
  for _ = 1, n do
    local c0 = os.clock()
    local b = assert(core.binary_open(path)); b:lookup(0x401000); b:close()
    local d = os.clock() - c0
    if d < best then best = d end
  end
  io.write(("%.3f %.3f"):format((os.clock() - c) / n * 1000, best * 1000))
LUA
open_ms=$(LUA_CPATH="$build/?.so;;" $LUA "$tmp/open.lua" "$small")

awk -v n="$n" -v o1="$o1" -v oN="$oN" -v oT1="$oT1" -v cpus="$(nproc)" -v a1="$a1" -v aN="$aN" -v l1="$l1" -v lN="$lN" \
    -v inl="$inl" -v agree="$agree" -v runs="$RUNS" \
    -v om="${open_ms% *}" -v ob="${open_ms#* }" -v sz="$(stat -c %s "$small")" 'BEGIN {
  printf "symbolize %d PCs (best of %d, output to /dev/null, startup included):\n", n, runs
  printf "  goescape symbolize    %.3fs (%.0f PCs/s; %d PCs with inlined frames; startup %.3fs; %d CPUs)\n", oN, n / oN, inl, o1, cpus
  printf "    on one thread       %.3fs (GOESCAPE_LIMITS=max_threads=1; llvm-symbolizer ratio %.1fx)\n", oT1, lN / oT1
  printf "  go tool addr2line     %.3fs (startup %.3fs)  ratio %.1fx (target >= 10x)\n", aN, a1, aN / oN
  printf "  llvm-symbolizer -i    %.3fs (startup %.3fs)  ratio %.1fx (target >= 100x)\n", lN, l1, lN / oN
  printf "  startup subtracted:   addr2line %.1fx, llvm-symbolizer %.1fx\n", (aN - a1) / (oN - o1), (lN - l1) / (oN - o1)
  printf "  agreement with addr2line (function, innermost file:line), first 5000 PCs: %s\n", agree
  printf "open %.1f MB binary: %.2f ms mean, %.2f ms best (target < 5 ms)\n", sz / 1e6, om, ob
}'
