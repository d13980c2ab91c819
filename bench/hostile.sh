#!/usr/bin/env bash
# Inputs shaped to cost (bench/shapes.lua): for each, the time and peak
# memory goescape takes to answer or refuse it, against the bound it must
# stay under. Exit 1 when a shape passes its bound or answers wrongly.
# Usage: bench/hostile.sh [CORPUS_DIR (unused: the shapes are made here)]
set -euo pipefail
cd "$(dirname "$0")/.."
LUA=${LUA:-luajit}
build=${GOESCAPE_BUILD:-$PWD/build/$LUA}
export GOESCAPE_BUILD=$build
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$LUA - "$tmp" "$LUA $PWD/bin/goescape" <<'LUA'
package.path = "bench/?.lua;" .. package.path
local shapes = require "shapes"
local dir, cli = arg[1], arg[2]
local bad = 0
print(("%-22s %8s %9s %8s %8s  %s"):format("shape", "seconds", "bound", "peak MB", "bound", "result"))
for _, s in ipairs(shapes.list) do
  local r, why = shapes.run(s, dir .. "/" .. s.name, cli)
  if not r then
    print(("%-22s %s"):format(s.name, "skipped: " .. why))
  else
    local want = s.expect == "refused" and 1 or 0
    local ok = r.exit == want and r.seconds <= s.seconds and r.mb <= s.mb
    if not ok then bad = bad + 1 end
    print(("%-22s %8.2f %9s %8.1f %8s  %s"):format(s.name, r.seconds, "<= " .. s.seconds, r.mb,
      "<= " .. s.mb, (ok and "ok" or "OVER") .. (r.exit == want and "" or (" (exit " .. r.exit .. ")"))
      .. "  " .. s.what))
  end
end
os.exit(bad == 0 and 0 or 1)
LUA
