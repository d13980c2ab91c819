#!/usr/bin/env bash
# Hotspots on the standard library's -m=2 log plus the 300k-sample allocs
# profile (make-corpus.sh), against `go tool pprof -top -lines` alone on the
# same profile, in one run. Target: hotspots (parse both, join, advice) < 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:?usage: bench/hotspots.sh CORPUS_DIR}
log=$corpus/std.m2.log prof=$corpus/app.allocs.pb.gz
for f in "$log" "$prof"; do [ -s "$f" ] || { echo "bench: $f missing (make corpus)" >&2; exit 1; }; done
cat "$log" "$prof" > /dev/null
t_ge=$(best_of 3 luajit bin/goescape hotspots --escape "$log" --profile "$prof" -n 20 --uncosted)
t_json=$(best_of 3 luajit bin/goescape hotspots --escape "$log" --escape "$corpus/app.m2.log" --profile "$prof" -n 0 --json)
t_pprof=$(best_of 1 go tool pprof -top -lines -nodecount=20 -sample_index=alloc_space "$prof")
printf '%-58s %8ss\n' "goescape hotspots (std log + 300k profile, top 20)" "$t_ge"
printf '%-58s %8ss\n' "goescape hotspots --json -n 0 (std + app logs, every line)" "$t_json"
printf '%-58s %8ss\n' "go tool pprof -top -lines (profile only)" "$t_pprof"
echo "ratio: hotspots is $(ratio "$t_pprof" "$t_ge")x faster than pprof's top alone (target: hotspots < 1 s)"
