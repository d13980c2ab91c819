#!/usr/bin/env bash
# bench/html.sh [CORPUS]: the HTML report for the standard library's -m=2 log
# plus the app's log and its 300k-sample allocs profile: time to generate it
# with `goescape html`, its size, and the time headless Chromium needs to
# load it to the page's ready marker (--dump-dom), against a blank page.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
corpus=${1:-${CORPUS:-/work/corpus}}
LUA=${LUA:-luajit}
out=$root/build/bench
mkdir -p "$out"
for f in std.m2.log app.m2.log app.allocs.pb.gz; do
  [ -e "$corpus/$f" ] || { echo "html bench: $corpus/$f missing (make corpus)" >&2; exit 1; }
done
command -v chromium > /dev/null || { echo "html bench: chromium missing (apt-get install chromium)" >&2; exit 1; }
export LUA_PATH="$root/lua/?.lua;$root/lua/?/init.lua;;" LUA_CPATH="$root/build/$LUA/?.so;;"
report=$out/report.html
gen() {
  "$LUA" "$root/bin/goescape" html --escape "$corpus/std.m2.log" --escape "$corpus/app.m2.log" \
    --profile "$corpus/app.allocs.pb.gz" -o "$report"
}
gen 2> /dev/null   # warm the page cache
t_gen=$(best_of 3 gen)
size=$(stat -c %s "$report")
blank=$out/blank.html
printf '<!DOCTYPE html><html><body><div id="ge-ready"></div></body></html>\n' > "$blank"
load() {
  local ud; ud=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$ud" \
    --dump-dom "file://$1" > "$out/dom.html" 2> /dev/null
  rm -rf "$ud"
  grep -q 'id="ge-ready"' "$out/dom.html"
}
t_blank=$(best_of 3 load "$blank")
t_load=$(best_of 3 load "$report")
t_open=$(awk -v a="$t_load" -v b="$t_blank" 'BEGIN { d = a - b; if (d < 0) d = 0; printf "%.4f", d }')
echo "html report: std.m2.log ($(( $(stat -c %s "$corpus/std.m2.log") / 1048576 )) MiB) + app.m2.log + app.allocs.pb.gz"
echo "  generate (goescape html, $LUA):  ${t_gen} s   (target < 2 s)"
echo "  page size:                       $(( size / 1024 )) KiB"
echo "  chromium load to ready marker:   ${t_load} s  (blank page ${t_blank} s; report costs ${t_open} s; target < 2 s)"
