#!/usr/bin/env bash
# Loads a large Go heap dump (written by bench/heapdump/gen: about MEGABYTES
# of heap in millions of small objects: a long list, a binary tree, a map of
# records with byte slices, sub-slices pinning 1 MiB arrays) and prints the
# time and peak RSS of
#   - ge.heapdump.open (read, objects ordered, pointers resolved);
#   - open + dominators, retained sizes and shortest paths (d:reachable());
#   - open + all of that + the top 10 retainers with paths (goescape retain);
#   - open + the analyses + objects grouped by allocation site (d:sites()):
#     gen does not set MemProfileRate = 1, so few objects have a sample,
#     but the walk of the dominator tree is the whole tree's.
# Targets (issue #17): under 10 s, and peak memory below the dump's size.
# Usage: bench/heapdump.sh [CORPUS_DIR] [MEGABYTES]   (the dump is kept in
# CORPUS_DIR/bench.heapdump, default build/corpus, made once)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:-build/corpus}
mb=${2:-1024}
dump="$corpus/bench.heapdump"
mkdir -p "$corpus"
if [ ! -f "$dump" ]; then
  echo "bench: writing a heap dump of about ${mb} MB of heap to $dump" >&2
  (cd bench/heapdump/gen && env -u LD_PRELOAD GOTOOLCHAIN=local go build -o "$OLDPWD/build/heapdump-gen" .) >&2
  build/heapdump-gen "$dump" "$mb" >&2
fi
lua=${GOESCAPE_LUA:-luajit}
env=("LUA_PATH=lua/?.lua;lua/?/init.lua;;" "LUA_CPATH=build/$lua/?.so;;")
size=$(stat -L -c %s "$dump")
info=$(env "${env[@]}" "$lua" -e "local d = assert(require('goescape').heapdump.open('$dump'))
  local i = d:info() print(i.objects, i.pointers, i.roots)")
read -r objects pointers roots <<< "$info"
t_open=$(best_of 1 env "${env[@]}" "$lua" -e "assert(require('goescape').heapdump.open('$dump'))")
r_open=$(rss env "${env[@]}" "$lua" -e "assert(require('goescape').heapdump.open('$dump'))")
t_an=$(best_of 1 env "${env[@]}" "$lua" -e "assert(require('goescape').heapdump.open('$dump')):reachable()")
r_an=$(rss env "${env[@]}" "$lua" -e "assert(require('goescape').heapdump.open('$dump')):reachable()")
t_top=$(best_of 1 env "${env[@]}" "$lua" bin/goescape retain -n 10 "$dump")
r_top=$(rss env "${env[@]}" "$lua" bin/goescape retain -n 10 "$dump")
t_sites=$(best_of 1 env "${env[@]}" "$lua" -e "assert(assert(require('goescape').heapdump.open('$dump')):sites{n = 10})")
r_sites=$(rss env "${env[@]}" "$lua" -e "assert(assert(require('goescape').heapdump.open('$dump')):sites{n = 10})")
echo "heap dump: $((size / 1048576)) MiB, $objects objects, $pointers pointers, $roots roots"
echo "open:                      ${t_open} s, peak RSS $((r_open / 1024)) MiB ($(ratio "$r_open" "$((size / 1024))")x the dump)"
echo "open + dominators + paths: ${t_an} s, peak RSS $((r_an / 1024)) MiB ($(ratio "$r_an" "$((size / 1024))")x the dump)"
echo "goescape retain -n 10:     ${t_top} s, peak RSS $((r_top / 1024)) MiB ($(ratio "$r_top" "$((size / 1024))")x the dump)"
echo "open + analyses + d:sites(): ${t_sites} s, peak RSS $((r_sites / 1024)) MiB ($(ratio "$r_sites" "$((size / 1024))")x the dump)"
