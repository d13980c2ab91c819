--- goescape trace summary|heap|gc|goroutines [--json] TRACE
-- Decodes a Go execution trace ("-" is stdin) and prints what it holds:
--   summary     Go version, generations, goroutines, GC cycles, and the count
--               of each event type by the name `go tool trace -d=wire` prints
--   heap        the heap timeline (HeapAlloc, HeapGoal) with the goroutine of
--               each sample (--json: one object per line)
--   gc          GC cycles, stop-the-world pauses, totals (--json: one object)
--   goroutines  each goroutine's creation, end and time in each state
--               (--json: one object per line)
--   tasks, regions, logs, growth [--by goroutine|region|task]: the user
--               annotations and the heap growth charged to them
--               (lua/goescape/cmd/trace_annot.lua)
--   lifetimes   heap objects by type, short- vs long-lived (a trace recorded
--               with GODEBUG=traceallocfree=1; cmd/trace_lifetimes.lua)
--   export      --pprof=sched|sync|net|syscall|cpu -o OUT: a pprof profile
--               (gzipped profile.proto; -o - for stdout), as
--               `go tool trace -pprof=TYPE` (cpu: the trace's CPU samples)
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"
local lifetimes = require "goescape.cmd.trace_lifetimes"

local M = { help = "Read a Go execution trace (summary, heap, gc, goroutines)" }

function M.setup(c)
  c:command_target("trace_command")
  c:require_command(true)
  local s = c:command("summary", "Go version, generations, goroutines, GC cycles, events by type")
  s:argument("trace", "Trace file (runtime/trace, go test -trace, /debug/pprof/trace), or -")
  s:flag("--json", "Print one JSON object")
  for _, d in ipairs({
    { "heap", "Heap timeline: HeapAlloc and HeapGoal over time, on which goroutine", "one JSON object per sample" },
    { "gc", "GC cycles and stop-the-world pauses, with totals", "one JSON object" },
    { "goroutines", "Goroutines: creation, end, time running, runnable, in syscalls, blocked by reason",
      "one JSON object per goroutine" },
  }) do
    local sc = c:command(d[1], d[2])
    sc:argument("trace", "Trace file, or -")
    sc:flag("--json", "Print " .. d[3])
  end
  require("goescape.cmd.trace_annot").setup(c)
  lifetimes.setup(c)
  local e = c:command("export", "Write a pprof profile of the trace, as go tool trace -pprof=TYPE")
  e:argument("trace", "Trace file, or -")
  e:option("--pprof", "Profile: sched (runnable time), sync (blocked on channels, select, sync), "
    .. "net (blocked on the network), syscall (in syscalls), cpu (the trace's CPU samples)")
    :choices({ "sched", "sync", "net", "syscall", "cpu" }):count(1)
  e:option("-o --output", "Write the gzipped profile.proto here (- for stdout)"):count(1)
  e:option("--period", "cpu: ns per CPU sample (the trace does not record the rate)", "10000000")
    :convert(cli.count)
end

local ORDER = { "go_version", "generations", "goroutines", "gc_cycles", "events", "tables", "total",
  "bytes", "start", "end", "duration", "max_generation_bytes", "warning", "lost_bytes" }

local function sorted_rows(counts)
  local rows = {}
  for name, n in pairs(counts) do rows[#rows + 1] = { name = name, n = n } end
  table.sort(rows, function(a, b)
    if a.n ~= b.n then return a.n > b.n end
    return a.name < b.name
  end)
  return rows
end

local function summary(args)
  local t = cli.check(ge.trace.open(args.trace))
  local s = t:summary()
  t:close()
  if s.warning then io.stderr:write("goescape: warning: ", cli.escape_controls(s.warning), "\n") end
  if args.json then
    io.stdout:write(json.encode(s, ORDER), "\n")
    return
  end
  io.stdout:write(("go %s trace: %d generation(s), %d goroutines, %d GC cycles, %d events over %.3f s\n")
    :format(s.go_version, s.generations, s.goroutines, s.gc_cycles, s.total, s.duration / 1e9))
  io.stdout:write("\nevents:\n")
  for _, r in ipairs(sorted_rows(s.events)) do
    io.stdout:write(("  %-24s %12d\n"):format(r.name, r.n))
  end
  io.stdout:write("\nbatches and tables:\n")
  for _, r in ipairs(sorted_rows(s.tables)) do
    io.stdout:write(("  %-24s %12d\n"):format(r.name, r.n))
  end
end

local function open(args)
  local t = cli.check(ge.trace.open(args.trace))
  if t.warning then io.stderr:write("goescape: warning: ", cli.escape_controls(t.warning), "\n") end
  return t
end

local function ms(ns, start) return ns and ("%.3f"):format((ns - start) / 1e6) or "-" end

local function list(t)
  if #t == 0 then return setmetatable({}, json.array_mt) end
  return t
end

local HEAP_ORDER = { "time", "type", "heap_alloc", "heap_goal", "g" }

local function heap(args)
  local t = open(args)
  local rows, start = t:heap(), t.start
  t:close()
  if args.json then
    json.write_lines(rows, HEAP_ORDER)
    return
  end
  io.stdout:write(("%12s  %-9s  %14s  %14s  %8s\n"):format("ms", "event", "heap_alloc", "heap_goal", "g"))
  for _, r in ipairs(rows) do
    io.stdout:write(("%12s  %-9s  %14s  %14s  %8s\n"):format(ms(r.time, start), r.type,
      r.heap_alloc or "-", r.heap_goal or "-", r.g or "-"))
  end
end

local GC_ORDER = { "cycles", "stw", "totals", "seq", "kind", "start", "end", "duration", "g",
  "gc_ns", "stw_ns", "stw_max_ns" }

local function gc(args)
  local t = open(args)
  local g, start = t:gc(), t.start
  t:close()
  if args.json then
    g.cycles, g.stw = list(g.cycles), list(g.stw)
    io.stdout:write(json.encode(g, GC_ORDER), "\n")
    return
  end
  local tot = g.totals
  io.stdout:write(("%d GC cycles, %.3f ms in mark phases; %d stop-the-world pauses, %.3f ms (longest %.3f ms)\n")
    :format(tot.cycles, tot.gc_ns / 1e6, tot.stw, tot.stw_ns / 1e6, tot.stw_max_ns / 1e6))
  io.stdout:write(("\n%8s  %12s  %12s  %12s\n"):format("cycle", "start ms", "end ms", "mark ms"))
  for _, c in ipairs(g.cycles) do
    io.stdout:write(("%8d  %12s  %12s  %12s\n"):format(c.seq, ms(c.start, start), ms(c["end"], start),
      c.duration and ("%.3f"):format(c.duration / 1e6) or "-"))
  end
  io.stdout:write(("\n%12s  %12s  %8s  %s\n"):format("start ms", "pause ms", "g", "kind"))
  for _, s in ipairs(g.stw) do
    io.stdout:write(("%12s  %12s  %8s  %s\n"):format(ms(s.start, start),
      s.duration and ("%.3f"):format(s.duration / 1e6) or "-", s.g or "-", s.kind))
  end
end

local G_ORDER = { "id", "func", "creator", "created", "ended", "first", "state", "running", "runnable",
  "syscall", "waiting", "blocked", "blocked_by", "stack", "file", "line", "pc" }

local function goroutines(args)
  local t = open(args)
  local start = t.start
  if args.json then
    for g in t:each_goroutine() do io.stdout:write(json.encode(g, G_ORDER), "\n") end
    t:close()
    return
  end
  io.stdout:write(("%8s  %-8s  %10s  %10s  %10s  %10s  %10s  %10s  %10s  %s\n"):format("g", "state",
    "created ms", "ended ms", "running", "runnable", "syscall", "waiting", "blocked", "func (top block reason)"))
  for g in t:each_goroutine() do
    local why, most = nil, 0
    for r, n in pairs(g.blocked_by) do
      if n > most or (n == most and why and r < why) then why, most = r, n end
    end
    io.stdout:write(("%8d  %-8s  %10s  %10s  %10.3f  %10.3f  %10.3f  %10.3f  %10.3f  %s%s\n"):format(g.id,
      g.state, ms(g.created, start), ms(g.ended, start), g.running / 1e6, g.runnable / 1e6, g.syscall / 1e6,
      g.waiting / 1e6, g.blocked / 1e6, g.func or "-", why and (" (" .. why .. ")") or ""))
  end
  t:close()
end

local function export(args)
  local t = open(args)
  local prof = cli.check(t:pprof(args.pprof, { period = args.period }))
  t:close()
  if args.output == "-" then
    local bytes = cli.check(prof:encode(true))
    if cli.write_bytes then cli.write_bytes(bytes) else io.stdout:write(bytes) end
  else
    cli.check(prof:write(args.output))
  end
end

function M.run(args)
  if args.export then return export(args) end
  if args.summary then return summary(args) end
  if args.heap then return heap(args) end
  if args.gc then return gc(args) end
  if args.goroutines then return goroutines(args) end
  for _, d in ipairs(require("goescape.cmd.trace_annot").COMMANDS) do
    if args[d[1]] then return require("goescape.cmd.trace_annot").run(d[1], args) end
  end
  if args.lifetimes then return lifetimes.run(args) end
end

return M
