-- The HTML report from a recipe: hotspots of a profile joined with the
-- build's -m=2 log, written as one self-contained page, plus a standalone
-- SVG flame graph next to it.
--   goescape run examples/html-report.lua build.log allocs.pb.gz [report.html]
--   (or: luajit examples/html-report.lua ..., with LUA_PATH/LUA_CPATH set)
local ge = require "goescape"

local args = arg or {}
local log_path, prof_path, out = args[1], args[2], args[3] or "goescape-report.html"
if not log_path or not prof_path then
  io.stderr:write("usage: html-report.lua BUILD.LOG PROFILE [OUT.html]\n")
  os.exit(2)
end

local log = assert(ge.escape.open(log_path))
local prof = assert(ge.profile.open(prof_path))

-- The top 20 lines with reasons, as the hotspots command computes them.
local hot = assert(ge.analysis.hotspots { escape = log, profile = prof, n = 20 })

-- Passing the log and the profile too adds the summary, annotated source
-- and the flame graph (frames under 0.5% of the total left out).
local data = assert(ge.report.html(out, {
  hotspots = hot, escape = log, profile = prof, min = 0.005,
  names = { escape = log_path, profile = prof_path },
}))
print(("wrote %s: %d hotspot rows, %d flame frames, %d annotated files"):format(
  out, #data.rows, data.flame.nodes, #data.sources))

-- A standalone flame graph of the same profile.
local svg_path = out:gsub("%.html$", "") .. ".flame.svg"
assert(ge.report.flame.write(prof, svg_path, { min = 0.005, unit = "bytes", title = prof_path }))
print("wrote " .. svg_path)
