--- The annotation subcommands of `goescape trace` (lua/goescape/cmd/trace.lua
-- declares them and calls here):
--   tasks    TRACE [--json]   user tasks: name, goroutines, start, duration
--   regions  TRACE [--json]   user regions per goroutine, with the heap growth
--                             charged to each
--   logs     TRACE [--json]   user logs: time, goroutine, task, key, value
--   growth   TRACE [--by goroutine|region|task] [--escape LOG...]
--            [--profile PROF [--sample S]] [-n N] [--lines N] [--json]
--                             who grows the heap: the growth charged to
--                             goroutines, regions or tasks, ranked (the rule
--                             is in doc/trace.md), each with the lines that
--                             allocated while it ran, their reasons from the
--                             escape log and bytes from a heap profile of the
--                             same run (ge.analysis.heapgrowth)
-- --json prints one object per line (the rows of t:tasks(), t:regions(),
-- t:logs(), ge.analysis.heapgrowth's rows with their lines), frames
-- included.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"
local units = require "goescape.report.units"

local M = {}

M.COMMANDS = {
  { "tasks", "User tasks (runtime/trace.NewTask): name, parent, goroutines, start, duration" },
  { "regions", "User regions per goroutine: task, name, nesting, duration, heap growth charged" },
  { "logs", "User logs (runtime/trace.Log): time, goroutine, task, key, value" },
  { "growth", "Heap growth (HeapAlloc increments) charged to goroutines, regions or tasks" },
}

function M.setup(c)
  for _, d in ipairs(M.COMMANDS) do
    local sc = c:command(d[1], d[2])
    sc:argument("trace", "Trace file, or -")
    sc:flag("--json", "Print one JSON object per line")
    if d[1] == "growth" then
      sc:option("--by", "Group by goroutine, region or task", "goroutine")
        :choices { "goroutine", "region", "task" }
      sc:option("--escape", "Escape log(s) of the same build: the compiler's reason for each line")
        :count("*"):args(1)
      sc:option("--profile", "A heap profile of the same run: each line's bytes")
      sc:option("--sample", "The profile's sample type (default: its default)")
      sc:option("-n", "Rows shown (0: all)", "0"):convert(cli.count)
      sc:option("--lines", "Allocating lines shown per row", "5"):convert(cli.count)
    end
  end
end

local ORDER = { "id", "name", "parent", "region", "task", "task_name", "g", "end_g", "time", "start",
  "end", "duration", "depth", "exited", "key", "value", "growth", "freed", "samples", "first", "last",
  "unattributed", "share", "lines", "allocator", "assists", "cpu", "bytes", "advice", "reason",
  "title", "why", "fix", "diagnostics", "via", "n", "stack", "func", "file", "line", "pc" }

local function lines(rows) json.write_lines(rows, ORDER) end

local function ms(ns, start) return ns and ("%.3f"):format((ns - start) / 1e6) or "-" end
local function dur(ns) return ns and ("%.3f"):format(ns / 1e6) or "-" end
local function bytes(n) return n > 0 and units.bytes(n) or "0" end
local function text(s) return cli.escape_controls(s or "") end

local function task_label(id, name)
  if id == 0 then return "background" end
  return name and ("%d %s"):format(id, text(name)) or tostring(id)
end

local function tasks(t, rows)
  io.stdout:write(("%6s  %-24s  %6s  %6s  %6s  %12s  %12s\n"):format("task", "name", "parent", "g",
    "end g", "start ms", "duration ms"))
  for _, r in ipairs(rows) do
    io.stdout:write(("%6d  %-24s  %6s  %6s  %6s  %12s  %12s\n"):format(r.id, text(r.name or "?"),
      r.parent or "-", r.g or "-", r.end_g or "-", ms(r.start, t.start), dur(r.duration)))
  end
end

local function regions(t, rows)
  local names = {}
  for _, k in ipairs(t:tasks()) do names[k.id] = names[k.id] or k.name end
  io.stdout:write(("%6s  %-28s  %-18s  %12s  %12s  %10s  %7s\n"):format("g", "region", "task", "start ms",
    "duration ms", "growth", "samples"))
  for _, r in ipairs(rows) do
    local name = string.rep("  ", r.depth) .. text(r.name)
    io.stdout:write(("%6s  %-28s  %-18s  %12s  %12s  %10s  %7d%s\n"):format(r.g or "-", name,
      task_label(r.task, names[r.task]), ms(r.start, t.start), dur(r.duration), bytes(r.growth), r.samples,
      r.exited and "  (ended by its goroutine's end)" or not r.start and "  (begun before the trace)" or
      not r["end"] and "  (open at the trace's end)" or ""))
  end
end

local function logs(t, rows)
  local names = {}
  for _, k in ipairs(t:tasks()) do names[k.id] = names[k.id] or k.name end
  io.stdout:write(("%12s  %6s  %-18s  %-20s  %s\n"):format("ms", "g", "task", "key", "value"))
  for _, r in ipairs(rows) do
    io.stdout:write(("%12s  %6s  %-18s  %-20s  %s\n"):format(ms(r.time, t.start), r.g or "-",
      task_label(r.task, names[r.task]), text(r.key), text(r.value)))
  end
end

-- The allocating lines under a growth row (ge.analysis.heapgrowth's).
local function row_lines(r, unit)
  for _, l in ipairs(r.lines or {}) do
    local ev = {}
    if l.assists > 0 then ev[#ev + 1] = ("%d assist%s"):format(l.assists, l.assists == 1 and "" or "s") end
    if l.cpu > 0 then ev[#ev + 1] = ("%d cpu sample%s"):format(l.cpu, l.cpu == 1 and "" or "s") end
    io.stdout:write(("    %s:%d %s%s: %s%s\n"):format(text(l.file), l.line, text(l.func or "?"),
      l.allocator and (" (" .. l.allocator .. ")") or "", table.concat(ev, ", "),
      l.bytes and ("; %s in the profile"):format(units.human(l.bytes, unit)) or ""))
    for _, v in ipairs(l.via or {}) do
      io.stdout:write(("        via %s:%d %s%s\n"):format(text(v.file), v.line, text(v.func or "?"),
        v.allocator and (" (" .. v.allocator .. ")") or ""))
    end
    for _, d in ipairs(l.diagnostics or {}) do
      if ge.core.kind_family(d.kind) == "escape" then
        io.stdout:write(("        %s%s\n"):format(text(d.message), d.count and (" (x%d)"):format(d.count) or ""))
      end
    end
    if l.advice and l.diagnostics then
      io.stdout:write(("        reason: %s\n        fix: %s\n"):format(l.advice.title, l.advice.fix))
    end
  end
end

local function growth(_, hg, by)
  local rows = hg.rows
  io.stdout:write(("heap growth %s in HeapAlloc increments, %s given back (GC, mcache flushes); by %s:\n\n")
    :format(bytes(hg.total), bytes(hg.freed), by))
  local head = by == "goroutine" and "g" or by == "region" and "region (task)" or "task"
  io.stdout:write(("%-36s  %10s  %6s  %8s  %10s\n"):format(head, "growth", "%", "samples", "freed"))
  local unit = hg.sample and hg.sample.unit
  for _, r in ipairs(rows) do
    local key
    if r.unattributed then
      key = by == "goroutine" and "(no goroutine)" or "(outside any region)"
    elseif by == "goroutine" then
      key = ("%d %s"):format(r.g, text(r.func or ""))
    elseif by == "region" then
      key = ("%s (%s)"):format(text(r.region), task_label(r.task, r.task_name))
    else
      key = task_label(r.task, r.name)
    end
    io.stdout:write(("%-36s  %10s  %6.1f  %8d  %10s\n"):format(key, bytes(r.growth),
      100 * r.share, r.samples, bytes(r.freed)))
    local creator = r.stack and r.stack[1]
    if creator then
      io.stdout:write(("    created at %s:%d %s\n"):format(text(creator.file), creator.line, text(creator.func)))
    end
    row_lines(r, unit)
  end
  if hg.evidence.assists + hg.evidence.cpu == 0 then
    io.stdout:write("\n(no allocation in the trace has a stack: no mark assist, no CPU sample in mallocgc)\n")
  end
end

local SHOW = { tasks = tasks, regions = regions, logs = logs, growth = growth }

--- Runs the subcommand `name` with argparse's args.
function M.run(name, args)
  local t = cli.check(ge.trace.open(args.trace))
  if t.warning then io.stderr:write("goescape: warning: ", cli.escape_controls(t.warning), "\n") end
  if name == "growth" then
    local paths
    for _, e in ipairs(args.escape or {}) do
      paths = paths or {}
      paths[#paths + 1] = type(e) == "table" and e[1] or e
    end
    local hg = cli.check(ge.analysis.heapgrowth { trace = t, escape = paths, profile = args.profile,
      by = args.by, n = args.n > 0 and args.n or math.huge, lines = args.lines, sample = args.sample })
    if args.json then
      for _, r in ipairs(hg.rows) do
        for _, l in ipairs(r.lines) do
          if l.advice then l.advice = { reason = l.advice.reason, title = l.advice.title, fix = l.advice.fix } end
        end
      end
      lines(hg.rows)
    else
      growth(t, hg, args.by)
    end
  else
    local rows = t[name](t)
    if args.json then lines(rows) else SHOW[name](t, rows, args.by) end
  end
  t:close()
end

return M
