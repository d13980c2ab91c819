-- hotspots.lua: the N lines that allocate the most, each with the compiler's
-- reason for putting it on the heap and the usual fix.
--
--   goescape run examples/hotspots.lua LOG PROFILE [N [SAMPLE]]
local ge = ge or require "goescape"
local human = ge.analysis.advice.human_bytes

local log_path, prof_path = arg[1], arg[2]
local n, sample = tonumber(arg[3] or "10"), arg[4]
if not (log_path and prof_path) then
  io.stderr:write("usage: hotspots.lua LOG PROFILE [N [SAMPLE]]\n")
  os.exit(2)
end

local log = assert(ge.escape.open(log_path))
local prof = assert(ge.profile.open(prof_path))
local hot = assert(ge.analysis.hotspots { escape = log, profile = prof, sample = sample, n = n })
local bytes = hot.sample and hot.sample.unit == "bytes"

print(("%s, total %s"):format(hot.sample and hot.sample.type or "sample",
  bytes and human(hot.total) or hot.total))
for i, row in ipairs(hot.rows) do
  local share = hot.total > 0 and row.flat * 100 / hot.total or 0
  print(("%2d. %10s %5.1f%%  %s:%d  %s"):format(i, bytes and human(row.flat) or row.flat, share,
    row.file:match("[^/]*$"), row.line, row.func or "?"))
  for _, d in ipairs(row.diagnostics) do
    if d.kind == "moved_to_heap" or d.kind == "escapes_to_heap" then
      print(("      %s%s"):format(d.message, d.advice and ("  [" .. d.advice.title .. "]") or ""))
    end
  end
  if row.advice then
    print("      fix: " .. row.advice.fix)
  elseif #row.diagnostics == 0 then
    print("      (no diagnostic: a runtime or library allocation, or a log of another build)")
  end
end
