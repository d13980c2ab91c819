--- The annotation subcommands of `goescape trace` (lua/goescape/cmd/trace.lua
-- declares them and calls here):
--   tasks    TRACE [--json]   user tasks: name, goroutines, start, duration
--   regions  TRACE [--json]   user regions per goroutine, with the heap growth
--                             charged to each
--   logs     TRACE [--json]   user logs: time, goroutine, task, key, value
--   growth   TRACE [--by goroutine|region|task] [--json]
--                             heap growth charged to goroutines, regions or
--                             tasks, ranked (doc/trace.md says the rule)
-- --json prints one object per line (the rows of t:tasks(), t:regions(),
-- t:logs(), t:growth{by = ...}), frames included.
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
    end
  end
end

local ORDER = { "id", "name", "parent", "region", "task", "task_name", "g", "end_g", "time", "start",
  "end", "duration", "depth", "exited", "key", "value", "growth", "freed", "samples", "first", "last",
  "unattributed", "stack", "func", "file", "line", "pc" }

local function lines(rows)
  local out = {}
  for i, r in ipairs(rows) do
    out[#out + 1] = json.encode(r, ORDER)
    if i % 4096 == 0 then io.stdout:write(table.concat(out, "\n"), "\n"); out = {} end
  end
  if #out > 0 then io.stdout:write(table.concat(out, "\n"), "\n") end
end

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

local function growth(_, rows, by)
  local total, freed = 0, 0
  for _, r in ipairs(rows) do total, freed = total + r.growth, freed + r.freed end
  io.stdout:write(("heap growth %s in HeapAlloc increments, %s given back (GC, mcache flushes); by %s:\n\n")
    :format(bytes(total), bytes(freed), by))
  local head = by == "goroutine" and "g" or by == "region" and "region (task)" or "task"
  io.stdout:write(("%-36s  %10s  %6s  %8s  %10s\n"):format(head, "growth", "%", "samples", "freed"))
  for _, r in ipairs(rows) do
    local key
    if r.unattributed then
      key = by == "goroutine" and "(no goroutine)" or "(outside any region)"
    elseif by == "goroutine" then
      key = tostring(r.g)
    elseif by == "region" then
      key = ("%s (%s)"):format(text(r.region), task_label(r.task, r.task_name))
    else
      key = task_label(r.task, r.name)
    end
    io.stdout:write(("%-36s  %10s  %6.1f  %8d  %10s\n"):format(key, bytes(r.growth),
      total > 0 and 100 * r.growth / total or 0, r.samples, bytes(r.freed)))
  end
end

local SHOW = { tasks = tasks, regions = regions, logs = logs, growth = growth }

--- Runs the subcommand `name` with argparse's args.
function M.run(name, args)
  local t = cli.check(ge.trace.open(args.trace))
  if t.warning then io.stderr:write("goescape: warning: ", cli.escape_controls(t.warning), "\n") end
  local rows
  if name == "growth" then rows = t:growth { by = args.by } else rows = t[name](t) end
  if args.json then lines(rows) else SHOW[name](t, rows, args.by) end
  t:close()
end

return M
