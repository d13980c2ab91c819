#!/usr/bin/env bash
# Symbolization benchmark on the go command binary (CORPUS/gocmd) and 200k
# random PCs in its .text (CORPUS/pcs.200k.txt), in one run against
# go tool addr2line (physical function + innermost line only) and
# llvm-symbolizer --inlining (on a 5k slice: it is far slower; rates scaled).
# goescape expands inlined frames. Also: time to open a ~15 MB binary.
# Usage: bench/binary.sh CORPUS_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: bench/binary.sh CORPUS_DIR}
bin=$corpus/gocmd; pcs=$corpus/pcs.200k.txt
[ -f "$bin" ] && [ -f "$pcs" ] || { echo "bench/binary: needs $bin and $pcs" >&2; exit 1; }
LUA=${LUA:-luajit}
build=${GOESCAPE_BUILD:-$PWD/build/$LUA}
export GOESCAPE_BUILD=$build
n=$(wc -l < "$pcs")
now() { date +%s.%N; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -5000 "$pcs" > "$tmp/pcs5k"
go version > /dev/null  # warm the go command
go tool addr2line "$bin" < "$tmp/pcs5k" > /dev/null

t0=$(now); $LUA bin/goescape symbolize "$bin" < "$pcs" > "$tmp/ours"; t1=$(now)
go tool addr2line "$bin" < "$pcs" > "$tmp/a2l"; t2=$(now)
llvm-symbolizer --inlining --obj="$bin" < "$tmp/pcs5k" > /dev/null; t3=$(now)
inl=$(grep -c '(inlined)' "$tmp/ours" || true)

# Open time: the stripped go command (~14 MB) or gocmd, many opens in one process.
small=$corpus/gocmd.stripped; [ -f "$small" ] || small=$bin
cat > "$tmp/open.lua" <<'LUA'

  local core = require "goescape.core"
  local path, n = arg[1], 200
  local t = os.time(); local c = os.clock()
  local best = math.huge
  for i = 1, n do
    local c0 = os.clock()
    local b = assert(core.binary_open(path)); b:lookup(0x401000); b:close()
    local d = os.clock() - c0
    if d < best then best = d end
  end
  io.write(("%.3f %.3f"):format((os.clock() - c) / n * 1000, best * 1000))
LUA
open_ms=$(LUA_CPATH="$build/?.so;;" $LUA "$tmp/open.lua" "$small")

awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v inl="$inl" \
    -v om="${open_ms% *}" -v ob="${open_ms#* }" -v sz="$(stat -c %s "$small")" 'BEGIN {
  ours = b - a; a2l = c - b; llvm = (d - c) * n / 5000
  printf "symbolize %d PCs: goescape %.3fs (%.0f PCs/s, %d with inlined frames)\n", n, ours, n / ours, inl
  printf "  go tool addr2line     %.3fs  ratio %.1fx (target >= 10x)\n", a2l, a2l / ours
  printf "  llvm-symbolizer -i    %.3fs (scaled from 5000 PCs)  ratio %.1fx (target >= 100x)\n", llvm, llvm / ours
  printf "open %.1f MB binary: %.2f ms mean, %.2f ms best (target < 5 ms)\n", sz / 1e6, om, ob
}'
