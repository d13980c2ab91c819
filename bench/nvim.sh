#!/usr/bin/env bash
# The Neovim plugin on the standard library's -m=2 log and the 300k-sample
# allocs profile (make-corpus.sh), in headless Neovim (Debian's, LuaJIT):
# how long `load` takes to return, to show every row and to explain every
# line in full; the longest the editor's loop is kept from a 5 ms timer
# meanwhile (the plugin reads and joins in a work thread and decodes its
# rows one part per timer tick); then the diagnostics of a few big standard
# library files. The peer: `go tool pprof -top -lines` on the same profile
# (what a user would otherwise run beside the editor). Targets: no stall
# the user feels (under 50 ms), a buffer's diagnostics under 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:?usage: bench/nvim.sh CORPUS_DIR}
log=$corpus/std.m2.log prof=$corpus/app.allocs.pb.gz
for f in "$log" "$prof"; do [ -s "$f" ] || { echo "bench: $f missing (make corpus)" >&2; exit 1; }; done
command -v nvim > /dev/null || { echo "bench nvim: no nvim (apt-get install neovim)" >&2; exit 0; }
make -s LUA=luajit module
root=$(go env GOROOT)/src
files="$root/net/http/server.go:$root/fmt/print.go:$root/encoding/json/encode.go"
out=$(mktemp); trap 'rm -f "$out"' EXIT
cat "$log" "$prof" > /dev/null
GE_LOG=$log GE_PROF=$prof GE_FILES=$files GE_OUT=$out \
  nvim --headless --clean -u NONE \
    --cmd "set rtp^=$PWD" \
    --cmd "lua package.path='$PWD/lua/?.lua;$PWD/lua/?/init.lua;'..package.path; package.cpath='$PWD/build/luajit/?.so;'..package.cpath" \
    -c "luafile bench/nvim/probe.lua" > /dev/null 2>&1 || true
[ -s "$out" ] || { echo "bench nvim: Neovim wrote nothing" >&2; exit 1; }
t_pprof=$(best_of 1 go tool pprof -top -lines -nodecount=20 -sample_index=alloc_space "$prof")
awk -v tp="$t_pprof" '
  /^load_returns_ms/ { printf "%-52s %9.1f ms\n", ":GoEscape load returns", $2 }
  /^rows_shown_ms/ { printf "%-52s %9.1f ms\n", "every row shown (log + profile read, joined)", $2; shown = $2 }
  /^complete_ms/ { printf "%-52s %9.1f ms\n", "every line explained in full", $2 }
  /^worst_loop_stall_ms/ { printf "%-52s %9.1f ms (target < 50)\n", "longest the editor loop waited meanwhile", $2 }
  /^rows / { printf "%-52s %9d\n", "rows", $2 }
  /^buffer / { $1 = ""; printf "  %s\n", $0 }
  /^slowest_buffer_ms/ { printf "%-52s %9.1f ms (target < 50)\n", "slowest buffer diagnostics", $2 }
  /^error/ { print }
  END { printf "%-52s %9.1f ms\n", "go tool pprof -top -lines (profile only, peer)", tp * 1000
        if (shown > 0) printf "rows shown vs pprof top alone: %.2fx\n", tp * 1000 / shown }' "$out"
