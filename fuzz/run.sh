#!/usr/bin/env bash
# Builds every libFuzzer harness fuzz/<name>.c against the C core (clang,
# ASan+UBSan) and runs each for SECONDS (default 60) on its seed corpus
# fuzz/corpus/<name>/. New inputs go to build/fuzz/<name>.corpus/ (libFuzzer
# writes to its first corpus directory), so the committed seeds stay small;
# merge the worthwhile ones back with
#   build/fuzz/NAME -merge=1 fuzz/corpus/NAME build/fuzz/NAME.corpus
# Usage: fuzz/run.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}; shift || true
out=build/fuzz; mkdir -p "$out"
src=$(ls src/core/*.c src/escape/*.c src/profile/*.c src/binary/*.c src/trace/*.c src/bench/*.c src/memory/*.c src/perf/*.c src/heapdump/*.c 2>/dev/null)
# GE_LOOKUP_MT_MIN=16: batch lookups of 16+ PCs take the threaded path.
flags="-g -O1 -std=c11 -D_DEFAULT_SOURCE -DGE_LOOKUP_MT_MIN=16 -Iinclude -Isrc -I/usr/include/libdwarf -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
# The core is compiled once (every run: a header change reaches every
# object) and linked into each harness: compiling it again per harness
# cost minutes of a CI run for seconds of fuzzing.
objs=$out/obj; rm -rf "$objs"; mkdir -p "$objs"
libflags=${flags/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}
export libflags objs
printf '%s\n' $src | xargs -P "$(nproc)" -I{} sh -c \
  'clang $libflags -c "$1" -o "$objs/$(printf %s "$1" | tr / _).o"' _ {}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in fuzz/*.c; do n=$(basename "$f" .c); names+=("$n"); done
fi
status=0
for n in "${names[@]}"; do
  [ -f "fuzz/$n.c" ] || { echo "fuzz: no harness fuzz/$n.c" >&2; exit 2; }
  clang $flags -o "$out/$n" "fuzz/$n.c" "$objs"/*.o -lelf -ldwarf -lz -ldeflate -lm -pthread
  mkdir -p "fuzz/corpus/$n" "$out/$n.crashes" "$out/$n.corpus"
  echo "== fuzz $n for ${secs}s" >&2
  if ! "$out/$n" -max_total_time="$secs" -max_len=1048576 -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$out/$n.crashes/" -print_final_stats=1 "$out/$n.corpus" "fuzz/corpus/$n" \
      > "$out/$n.log" 2>&1; then
    echo "fuzz: $n FAILED, see $out/$n.log and $out/$n.crashes/" >&2
    tail -40 "$out/$n.log" >&2
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/$n.log" | sed "s/^/$n: /" >&2 || true
done
exit $status
