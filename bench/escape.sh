#!/usr/bin/env bash
# Escape-log parsing against wc -l and a one-pattern awk, in one run, on the
# standard library's -m=2 log from make-corpus.sh (std.m2.log, ~150-200 MB).
# Target: >= 1 GB/s including flow chains (faster than the awk one-liner);
# memory <= 1.5x the log's size; constant memory when streaming.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
corpus=${1:?usage: bench/escape.sh CORPUS_DIR}
log=$corpus/std.m2.log
[ -s "$log" ] || { echo "bench: $log missing (make corpus)" >&2; exit 1; }
cat "$log" > /dev/null # warm the page cache for every contender alike
size=$(stat -c %s "$log")
mb=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }')
ge=(luajit bin/goescape summary "$log")
t_ge=$(best_of 5 "${ge[@]}")
t_wc=$(best_of 5 wc -l "$log")
# Both common awks when present: mawk is the fast one, gawk the usual one.
t_mawk= t_gawk=
command -v mawk > /dev/null && t_mawk=$(best_of 3 mawk '/moved to heap/ { n++ } END { print n }' "$log")
command -v gawk > /dev/null && t_gawk=$(best_of 3 gawk '/moved to heap/ { n++ } END { print n }' "$log")
t_stream=$(best_of 3 sh -c "luajit bin/goescape escapes --kind moved_to_heap - < '$log'")
rss_ge=$(rss "${ge[@]}")
rss_stream=$(rss sh -c "luajit bin/goescape escapes --kind moved_to_heap - < '$log'")
echo "input: $log ($mb MB)"
printf '%-44s %8ss %8.0f MB/s\n' "goescape summary (full parse + flows)" "$t_ge" "$(awk -v s="$size" -v t="$t_ge" 'BEGIN{print s/1e6/t}')"
printf '%-44s %8ss %8.0f MB/s\n' "goescape escapes --kind (streaming, stdin)" "$t_stream" "$(awk -v s="$size" -v t="$t_stream" 'BEGIN{print s/1e6/t}')"
printf '%-44s %8ss %8.0f MB/s\n' "wc -l" "$t_wc" "$(awk -v s="$size" -v t="$t_wc" 'BEGIN{print s/1e6/t}')"
for a in mawk gawk; do
  t=$(eval echo "\$t_$a"); [ -n "$t" ] || continue
  printf '%-44s %8ss %8.0f MB/s\n' "$a '/moved to heap/'" "$t" "$(awk -v s="$size" -v t="$t" 'BEGIN{print s/1e6/t}')"
done
for a in mawk gawk; do
  t=$(eval echo "\$t_$a"); [ -n "$t" ] || continue
  echo "ratio goescape summary / $a one-pattern: $(ratio "$t" "$t_ge")x faster"
done
echo "ratio goescape summary / wc -l:            $(ratio "$t_wc" "$t_ge")x faster"
echo "peak RSS full parse: $((rss_ge / 1024)) MB = $(ratio "$((rss_ge * 1024))" "$size")x the log (target <= 1.5)"
echo "peak RSS streaming:  $((rss_stream / 1024)) MB"
