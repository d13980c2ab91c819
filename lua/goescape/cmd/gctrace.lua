--- goescape gctrace LOG... [--json]
-- The timeline of a GODEBUG=gctrace=1,scavtrace=1 log: one row per GC
-- cycle (heap before -> after -> live, goal, pause, GC CPU share, forced),
-- the scavenger's lines between them, and the summary.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "Timeline and summary of a GODEBUG=gctrace=1 (and scavtrace=1) log" }

function M.setup(c)
  c:argument("log", "The program's stderr with gctrace (and scavtrace) lines ('-': stdin)"):args("+")
  c:flag("--strict", "A malformed gctrace line is an error, not a warning")
  c:flag("--json", "One JSON object per line: each cycle, each scavenger line, then the summary")
end

local MiB = 1048576

local function mb(v) return v and ("%.0f"):format(math.floor(v / MiB)) or "-" end
local function ms(v) return v and ("%.3f"):format(v / 1e6) or "-" end

local ORDER = { "type", "n", "run", "t", "heap_before", "heap_after", "heap_live", "goal", "stacks",
  "globals", "procs", "pause", "cpu_percent", "forced", "leak_check", "clock", "cpu", "line" }

local function write_json(t)
  local json = require "goescape.report.json"
  local rows = {}
  -- cycles and scavenger lines in the log's order
  local i, j = 1, 1
  while i <= #t.cycles or j <= #t.scav do
    local c, s = t.cycles[i], t.scav[j]
    if c and (not s or c.input < s.input or (c.input == s.input and c.line < s.line)) then
      c.type = "gc"; rows[#rows + 1] = c; i = i + 1
    else
      s.type = "scav"; rows[#rows + 1] = s; j = j + 1
    end
  end
  local sum = t.summary
  sum.type = "summary"
  sum.lines, sum.skipped, sum.malformed = t.lines, t.skipped, t.malformed
  rows[#rows + 1] = sum
  json.write_lines(rows, ORDER)
end

local function write_text(t)
  local out = io.stdout
  out:write(("%6s %4s %9s %17s %6s %9s %5s %s\n"):format("gc", "run", "time s", "heap MiB b->a->live",
    "goal", "pause ms", "cpu%", ""))
  local i, j = 1, 1
  while i <= #t.cycles or j <= #t.scav do
    local c, s = t.cycles[i], t.scav[j]
    if c and (not s or c.input < s.input or (c.input == s.input and c.line < s.line)) then
      local heap = mb(c.heap_before) .. "->" .. mb(c.heap_after) .. "->" .. mb(c.heap_live)
      out:write(("%6s %4d %9s %17s %6s %9s %5s %s\n"):format(("%.0f"):format(c.n), c.run,
        c.t and ("%.3f"):format(c.t / 1e9) or "-", heap, mb(c.goal), ms(c.pause),
        c.cpu_percent or "-", (c.forced and "forced " or "") .. (c.leak_check and "leak-check" or "")))
      i = i + 1
    else
      local what = s.kind == "scvg" and "scvg" or "scav"
      out:write(("%6s %4d  released %s KiB, now released %s KiB%s%s\n"):format(what, s.run,
        s.freed and ("%.0f"):format(s.freed / 1024) or "-",
        s.released and ("%.0f"):format(s.released / 1024) or "-",
        s.util and (", " .. s.util .. "% util") or "", s.forced and " (forced)" or ""))
      j = j + 1
    end
  end
  local sum = t.summary
  out:write("\n")
  out:write(("GC cycles: %d (%d forced)%s\n"):format(sum.gc_count, sum.forced,
    t.runs > 1 and (" in the last of %d runs"):format(t.runs) or ""))
  if sum.gc_cpu then out:write(("GC CPU: %d%% of the CPU since start\n"):format(math.floor(sum.gc_cpu * 100 + 0.5))) end
  if sum.pause then
    out:write(("pauses (STW): total %s ms, p50 %s ms, p90 %s ms, p99 %s ms, max %s ms\n"):format(
      ms(sum.pause.total), ms(sum.pause.p50), ms(sum.pause.p90), ms(sum.pause.p99), ms(sum.pause.max)))
  end
  local h = sum.heap_live
  if h then
    out:write(("live heap: %s -> %s MiB (min %s, max %s)%s\n"):format(mb(h.first), mb(h.last),
      mb(h.min), mb(h.max),
      h.per_second and (", %+.2f MiB/s"):format(h.per_second / MiB) or ""))
  end
  local hf = sum.heap_live_forced
  if hf and hf.cycles > 1 then
    out:write(("live heap after forced GCs: %s -> %s MiB over %d\n"):format(mb(hf.first), mb(hf.last), hf.cycles))
  end
  if sum.scav.lines > 0 then
    out:write(("scavenger: %s KiB returned to the OS over %d lines%s\n"):format(
      ("%.0f"):format(sum.scav.freed / 1024), sum.scav.lines,
      sum.scav.released and (", %.0f KiB released now"):format(sum.scav.released / 1024) or ""))
  end
  if sum.gc_count == 0 and sum.scav.lines == 0 then
    out:write("no gctrace or scavtrace lines (run the program with GODEBUG=gctrace=1,scavtrace=1)\n")
  end
end

function M.run(args)
  local paths = args.log
  local t = cli.check(ge.memory.gctrace_open(#paths == 1 and paths[1] or paths, { strict = args.strict }))
  for _, w in ipairs(t.warnings) do io.stderr:write("goescape: warning: ", cli.escape_controls(w), "\n") end
  if args.json then write_json(t) else write_text(t) end
end

return M
