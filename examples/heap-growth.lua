-- heap-growth.lua: which part of a program grows the heap? The regions
-- (or tasks, or goroutines) of an execution trace ranked by the heap growth
-- charged to them, each with the lines that allocated while it ran and,
-- given the escape log of the same build, why each line allocates.
--
--   goescape run examples/heap-growth.lua TRACE [LOG [PROFILE [BY]]]
--
-- TRACE: runtime/trace output with regions (trace.WithRegion /
-- StartRegion); LOG: go build -gcflags=-m=2 of the same build; PROFILE: a
-- heap/allocs profile of the same run (each line's bytes); BY: region
-- (default), task or goroutine. An empty argument ('') skips it.
local ge = ge or require "goescape"
local human = ge.analysis.advice.human_bytes

local function given(v) return v ~= "" and v or nil end -- "" skips an argument
local trace, log, profile, by = arg[1], given(arg[2]), given(arg[3]), given(arg[4])
if not trace then
  io.stderr:write("usage: heap-growth.lua TRACE [LOG [PROFILE [BY]]]\n")
  os.exit(2)
end

local hg = assert(ge.analysis.heapgrowth { trace = trace, escape = log, profile = profile,
  by = by or "region", n = 10, lines = 3 })
print(("heap growth by %s: %s"):format(hg.by, human(hg.total)))
for _, r in ipairs(hg.rows) do
  local name
  if r.unattributed then name = hg.by == "goroutine" and "(no goroutine)" or "(outside any region)"
  elseif hg.by == "goroutine" then name = "goroutine " .. r.g
  elseif hg.by == "task" then name = "task " .. (r.name or r.task)
  else name = ("%s (task %s)"):format(r.region, r.task_name or r.task) end
  print(("%5.1f%%  %10s  %s"):format(100 * r.share, human(r.growth), name))
  for _, l in ipairs(r.lines) do
    local where = ("%s:%d %s"):format(l.file:match("[^/]*$"), l.line, l.func or "?")
    local cost = l.bytes and (" (%s in the profile)"):format(human(l.bytes)) or ""
    if l.advice then
      print(("%19s %s%s: %s"):format("", where, cost, l.advice.title))
      print(("%19s   fix: %s"):format("", l.advice.fix))
    else
      print(("%19s %s%s%s"):format("", where, cost, l.allocator and (" via " .. l.allocator) or ""))
    end
  end
end
if hg.evidence.assists + hg.evidence.cpu == 0 then
  print("(no allocation in the trace has a stack: no GC mark assist, no CPU sample in mallocgc;"
    .. " run pprof.StartCPUProfile while tracing for samples)")
end
