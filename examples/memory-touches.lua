-- memory-touches.lua: which lines touch heap memory, and which goroutine
-- stacks? Page faults (any machine) or memory loads/stores (a PMU) recorded
-- by perf with their data addresses, split by what each address was at
-- that time: a heap object, a goroutine stack, or neither. Stack lines are
-- where goroutines grow (deep recursion, large frames: the runtime copies
-- the stack into one twice the size). A touch inside the runtime (zeroing
-- a new object, copying a stack) is charged to the line that called into
-- the runtime, as pprof's hide does.
--
--   goescape run examples/memory-touches.lua SCRIPT TRACE [BIN [N]]
--
-- SCRIPT: `perf script` of `perf record -k mono -g -e page-faults -d`
-- (or mem-loads/mem-stores); TRACE: the execution trace of the same run,
-- recorded with GODEBUG=traceallocfree=1 (Go 1.23+); BIN: the program (Go
-- lines for stripped binaries and inlined frames); N: rows per part
-- (default 10). `goescape perf SCRIPT --data --trace TRACE --escape LOG`
-- joins the heap lines with the compiler's reasons. See doc/perf.md.
local ge = ge or require "goescape"

local script, trace, bin = arg[1], arg[2], arg[3]
local n = tonumber(arg[4] or "10")
if not (script and trace) then
  io.stderr:write("usage: memory-touches.lua SCRIPT TRACE [BIN [N]]\n")
  os.exit(2)
end

local p = assert(ge.perf.open(script, { trace = trace, aggregate = true }))
if bin then assert(p:symbolize(bin)) end
local d = assert(p:data())
local total = 0
for _, c in pairs(d.classes) do total = total + c.period end
if total == 0 then
  io.stderr:write(script .. ": no sample has a data address (record with perf record -d)\n")
  os.exit(1)
end
for _, k in ipairs { "heap", "goroutine_stack", "off_heap", "global", "stack", "other" } do
  local c = d.classes[k]
  if c then print(("%5.1f%%  %s"):format(100 * c.period / total, k)) end
end
if d.heap_map and d.heap_map.outside * 2 > d.heap_map.samples then
  print(("(most samples fall outside %s's time: not the same run, or perf was not recorded with -k mono)")
    :format(trace))
end

local RUNTIME = "^(runtime|internal/runtime)[./]"

local function show(title, class)
  print("\n" .. title)
  local prof = p:pprof { data = class }
  if not prof then return end
  local rows = assert(prof:top { by = bin and "line" or "function", hide = RUNTIME })
  local shown, charged = 0, 0
  for _, r in ipairs(rows) do
    charged = charged + r.flat
    if r.flat > 0 and shown < n then
      shown = shown + 1
      local where = r.file and ("%s:%d "):format(r.file:match("[^/]*$"), r.line or 0) or ""
      print(("%10d  %s%s"):format(r.flat, where, r.func or r.name or ""))
    end
  end
  local rest = d.classes[class].period - charged
  if rest > 0 then
    print(("%10d  in the runtime alone (the GC, stack copies on the system stack)"):format(rest))
  end
end

show("lines that touch the heap:", "heap")
show("lines that touch goroutine stacks (stack growth: recursion, large frames):", "goroutine_stack")
