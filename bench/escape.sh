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
t_awk=$(best_of 3 awk '/moved to heap/ { n++ } END { print n }' "$log")
awk_name=$(basename "$(readlink -f "$(command -v awk)")")
t_gawk=
if command -v gawk > /dev/null; then t_gawk=$(best_of 3 gawk '/moved to heap/ { n++ } END { print n }' "$log"); fi
t_stream=$(best_of 3 sh -c "luajit bin/goescape escapes --kind moved_to_heap - < '$log'")
rss_ge=$(rss "${ge[@]}")
rss_stream=$(rss sh -c "luajit bin/goescape escapes --kind moved_to_heap - < '$log'")
echo "input: $log ($mb MB)"
printf '%-44s %8ss %8.0f MB/s\n' "goescape summary (full parse + flows)" "$t_ge" "$(awk -v s="$size" -v t="$t_ge" 'BEGIN{print s/1e6/t}')"
printf '%-44s %8ss %8.0f MB/s\n' "goescape escapes --kind (streaming, stdin)" "$t_stream" "$(awk -v s="$size" -v t="$t_stream" 'BEGIN{print s/1e6/t}')"
printf '%-44s %8ss %8.0f MB/s\n' "wc -l" "$t_wc" "$(awk -v s="$size" -v t="$t_wc" 'BEGIN{print s/1e6/t}')"
printf '%-44s %8ss %8.0f MB/s\n' "awk '/moved to heap/' ($awk_name)" "$t_awk" "$(awk -v s="$size" -v t="$t_awk" 'BEGIN{print s/1e6/t}')"
[ -n "$t_gawk" ] && printf '%-44s %8ss %8.0f MB/s\n' "gawk '/moved to heap/'" "$t_gawk" "$(awk -v s="$size" -v t="$t_gawk" 'BEGIN{print s/1e6/t}')"
echo "ratio goescape summary / awk one-pattern ($awk_name):  $(ratio "$t_awk" "$t_ge")x faster"
[ -n "$t_gawk" ] && echo "ratio goescape summary / gawk one-pattern:  $(ratio "$t_gawk" "$t_ge")x faster"
echo "ratio goescape summary / wc -l:            $(ratio "$t_wc" "$t_ge")x faster"
echo "peak RSS full parse: $((rss_ge / 1024)) MB = $(ratio "$((rss_ge * 1024))" "$size")x the log (target <= 1.5)"
echo "peak RSS streaming:  $((rss_stream / 1024)) MB"
