--- goescape memory SNAP1 SNAP2 ... [--profile OLD --profile NEW] [--escape LOG] [--json]
-- Why RSS grows: MemStats snapshots of one process (heap?debug=1 answers,
-- /debug/vars JSON, runtime/metrics dumps), oldest first, broken down into
-- live heap, fragmentation, memory held but not returned, stacks and the
-- runtime's own; with two heap profiles, the lines that grew and why they
-- are on the heap.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "Why RSS grows: MemStats snapshots broken down, with heap growth and escape reasons" }

function M.setup(c)
  c:argument("snapshots", "Two or more snapshots, oldest first: /debug/pprof/heap?debug=1 text, "
    .. "/debug/vars JSON or runtime/metrics 'NAME VALUE' lines"):args("2+")
  c:option("--profile", "A heap profile: give two (older, newer) for the lines that grew"):count("*"):args(1)
  c:option("--escape", "Escape log(s) from go build -gcflags=-m=2"):count("*"):args(1)
  c:option("-n", "Growth lines to show", "10"):convert(cli.count)
  c:flag("--json", "One JSON object: parts, resident, verdict, growth rows")
end

local MiB = 1048576
local function mib(v) return ("%.1f"):format(v / MiB) end

local function flat(list)
  local t = {}
  for _, e in ipairs(list or {}) do t[#t + 1] = type(e) == "table" and e[1] or e end
  return t
end

function M.run(args)
  local profiles = flat(args.profile)
  if #profiles ~= 0 and #profiles ~= 2 then
    cli.usage("--profile is given twice (the older heap profile, then the newer) or not at all")
  end
  local escapes = flat(args.escape)
  local snaps = {}
  for i, p in ipairs(args.snapshots) do snaps[i] = cli.check(ge.memory.memstats_open(p)) end
  local opts = { snapshots = snaps, n = args.n }
  if #profiles == 2 then
    opts.before = cli.open_profile(profiles[1])
    opts.after = cli.open_profile(profiles[2])
    if #escapes > 0 then opts.escape = cli.check(ge.escape.open(escapes)) end
    opts.progress = require("goescape.progress").reporter()
  end
  local r = cli.check(ge.analysis.rss(opts))
  if args.json then
    local json = require "goescape.report.json"
    if r.growth then r.growth = r.growth.rows end
    io.stdout:write(json.encode(r, { "verdict", "resident", "parts", "key", "title", "values", "delta",
      "share", "meaning", "todo", "growth", "snapshots" }), "\n")
    return
  end
  local out = io.stdout
  local head = { ("%-46s"):format("MiB") }
  for i in ipairs(r.snapshots) do head[#head + 1] = ("%9s"):format("#" .. i) end
  head[#head + 1] = ("%9s"):format("delta")
  out:write(table.concat(head, " "), "\n")
  local function row(title, values, delta)
    local cells = { ("%-46s"):format(title) }
    for _, v in ipairs(values) do cells[#cells + 1] = ("%9s"):format(mib(v)) end
    cells[#cells + 1] = ("%9s"):format((delta >= 0 and "+" or "") .. mib(delta))
    out:write(table.concat(cells, " "), "\n")
  end
  row("resident estimate (Sys - HeapReleased)", r.resident.values, r.resident.delta)
  for _, p in ipairs(r.parts) do row("  " .. p.title, p.values, p.delta) end
  local maxrss = {}
  for i, s in ipairs(r.snapshots) do maxrss[i] = s.MaxRSS end
  if #maxrss == #r.snapshots then row("peak RSS (MaxRSS, getrusage)", maxrss, maxrss[#maxrss] - maxrss[1]) end
  out:write("\n", r.verdict.text, "\n")
  for _, p in ipairs(r.parts) do
    if p.delta >= MiB and p.key ~= "released" then
      out:write(("\n%s %+.1f MiB: %s.\n  what to do: %s.\n"):format(p.title, p.delta / MiB, p.meaning, p.todo))
    end
  end
  if r.growth then
    local units = require "goescape.report.units"
    local g = r.growth
    out:write(("\nheap profile growth (%s): %s -> %s\n"):format(g.sample.type,
      units.human(g.before_total, g.sample.unit), units.human(g.after_total, g.sample.unit)))
    for _, x in ipairs(g.rows) do
      out:write(("%11s  %s:%d %s\n"):format(units.signed(x.delta, g.sample.unit), x.file or "?", x.line or 0,
        x.func or ""))
      for _, d in ipairs(x.diagnostics) do
        if ge.core.kind_family(d.kind) == "escape" then
          out:write(("%13s%s: %s\n"):format("", d.kind, d.message))
        end
      end
      if x.advice then out:write(("%13sfix: %s\n"):format("", x.advice.fix)) end
    end
  end
end

return M
