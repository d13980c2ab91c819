--- goescape top [--by function|line|file|stack] [--sample S] [-n N] [--nodefraction F] [--json] PROFILE
-- Like `go tool pprof -top -nodefraction=0`: flat and cum per function, line
-- or file, sorted by flat. Prints 10 rows by default (pprof's interactive
-- `top`); -n 0 prints every row; -n 0 --nodefraction 0.005 is `go tool pprof -top`. --json prints one JSON
-- object per line: name, function (or file/line), flat, cum in the sample's unit.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"

local M = { help = "Top functions, lines or files of a pprof profile (like go tool pprof -top)" }

-- Shared by the profile commands (folded, diff, merge).
local U = {}
M.util = U

function U.filters(c)
  c:option("--sample", "Sample type (alloc_space, inuse_objects, cpu, delay, ...)"):convert(cli.sample)
  c:option("--focus", "Keep samples with a frame matching this regexp")
  c:option("--ignore", "Drop samples with a frame matching this regexp")
  c:option("--hide", "Remove frames matching this regexp")
  c:option("--show", "Keep only frames matching this regexp")
  c:option("--tagfocus", "Keep samples with a label [key=]regexp or [key=]range (1kb:, :512b, 2ms:1s)")
  c:option("--tagignore", "Drop samples with a label [key=]regexp or [key=]range")
end

function U.query(args, extra)
  local q = {
    sample = args.sample, focus = args.focus, ignore = args.ignore, hide = args.hide,
    show = args.show, tagfocus = args.tagfocus, tagignore = args.tagignore,
  }
  for k, v in pairs(extra or {}) do q[k] = v end
  return q
end

function U.open(path)
  return cli.check(ge.profile.open(path))
end

local function numstr(v)
  if math.type and math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and v > -2^63 and v < 2^63 then return ("%.0f"):format(v) end
  return ("%.17g"):format(v)
end
U.numstr = numstr

-- pprof's measurement scaling (internal/measurement): one output unit per
-- report, chosen from the smallest and largest values.
local scales = {
  bytes = { { "B", 1 }, { "kB", 1024 }, { "MB", 1024 ^ 2 }, { "GB", 1024 ^ 3 }, { "TB", 1024 ^ 4 },
    { "PB", 1024 ^ 5 } },
  nanoseconds = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "hrs", 3.6e12 } },
}
scales.byte = scales.bytes
scales.ns = scales.nanoseconds

local function pick(v, unit)
  local sc = scales[unit]
  if not sc then return { unit == "count" and "" or (unit or ""), 1 } end
  local best = sc[1]
  for _, u in ipairs(sc) do if math.abs(v) >= u[2] then best = u end end
  return best
end

function U.formatter(rows, total, unit)
  local min = 0
  for _, r in ipairs(rows) do
    local m = math.abs(r.flat)
    if m == 0 then m = math.abs(r.cum) end
    if m > 0 and (min == 0 or m < min) then min = m end
  end
  local max = total
  if min == 0 then min = max end
  local u = pick(min, unit)
  if u ~= pick(max, unit) and min * 100 < max then u = pick(100 * min, unit) end
  return function(v)
    if u[2] == 1 and u[1] == "" then return numstr(v) end
    -- pprof prints a zero without a unit, and Go's %.2f rounds an exact
    -- half to even (LuaJIT's own formatter would round it up).
    if v == 0 then return "0" end
    local x = math.abs(v / u[2]) * 100
    local f = math.floor(x)
    local rem = x - f
    if rem > 0.5 or (rem == 0.5 and f % 2 == 1) then f = f + 1 end
    local s = ("%s%d.%02d"):format(v < 0 and "-" or "", math.floor(f / 100), f % 100):gsub("%.00$", "")
    return s .. u[1]
  end
end

function U.pct(v, total)
  local r = total ~= 0 and math.abs(v / total) * 100 or 0
  if r >= 99.95 and r <= 100.05 then return "  100%" end
  if r >= 1 then return ("%5.2f%%"):format(r) end
  return ("%5.2g%%"):format(r)
end

--- Prints rows as `go tool pprof -top` does, or as JSON lines; `total` is
-- the report total (profile:top's third value), as pprof's percentages use.
function U.print_top(prof, rows, total, args, nshown)
  local _, st = prof:sample_type(args.sample)
  st = st or { type = "?", unit = "" }
  if args.json then
    for _, r in ipairs(rows) do
      io.stdout:write(json.encode({
        name = r.name, ["function"] = r["function"], file = r.file, line = r.line,
        flat = r.flat, cum = r.cum, unit = st.unit, inline = r.inline,
      }, { "name", "function", "file", "line", "flat", "cum", "unit", "inline" }), "\n")
    end
    return
  end
  local fmt = U.formatter(rows, math.abs(total), st.unit)
  io.stdout:write(("Type: %s\n"):format(st.type))
  local shown = 0
  for i = 1, nshown do shown = shown + rows[i].flat end
  io.stdout:write(("Showing nodes accounting for %s, %s of %s total\n")
    :format(fmt(shown), U.pct(shown, total):gsub("^%s+", ""), fmt(total)))
  if args.dropped and args.dropped > 0 then
    io.stdout:write(("Dropped %d nodes (cum <= %s)\n"):format(args.dropped, fmt(args.cutoff)))
  end
  io.stdout:write(("%10s %5s%% %5s%% %10s %5s%%\n"):format("flat", "flat", "sum", "cum", "cum"))
  local sum = 0
  for i = 1, nshown do
    local r = rows[i]
    sum = sum + r.flat
    io.stdout:write(("%10s %s %s %10s %s  %s%s\n"):format(fmt(r.flat), U.pct(r.flat, total),
      U.pct(sum, total), fmt(r.cum), U.pct(r.cum, total), r.name,
      r.inline and (" (" .. r.inline .. ")") or ""))
  end
end

function M.setup(c)
  c:argument("profile", "pprof profile (profile.proto, gzipped or not, or legacy text), or -")
  c:option("--by", "Group by function, line, file or stack", "function")
    :choices { "function", "line", "file", "stack" }
  c:option("-n", "Rows to print (0: all)", "10"):convert(cli.count)
  c:option("--nodefraction", "Leave out rows with |cum| under this fraction of the total, "
    .. "as pprof does (-n 0 --nodefraction 0.005 prints what go tool pprof -top prints)", "0")
    :convert(cli.number)
  c:flag("--json", "One JSON object per row")
  U.filters(c)
end

function M.run(args)
  local prof = U.open(args.profile)
  local rows, selected, total = prof:top(U.query(args, { by = args.by }))
  if not rows then cli.fail(tostring(selected)) end
  local n = args.n
  if not n or n < 0 then cli.fail("-n: expected a number >= 0") end
  local frac = args.nodefraction
  if not frac or frac < 0 or frac > 1 then cli.fail("--nodefraction: expected a number in [0, 1]") end
  if frac > 0 then
    -- pprof's newTrimmedGraph: the cutoff is a fraction of the graph's own
    -- sum (the selected samples), not of the report total; kept if |cum| >= it
    local cutoff = math.floor(math.abs(selected) * frac)
    local kept = {}
    for _, r in ipairs(rows) do
      if math.abs(r.cum) >= cutoff then kept[#kept + 1] = r end
    end
    -- (the "Dropped" line shows the report total's fraction, as pprof's does)
    args.dropped, args.cutoff = #rows - #kept, math.floor(math.abs(total) * frac)
    rows = kept
  end
  if n == 0 or n > #rows then n = #rows end
  for i = #rows, n + 1, -1 do rows[i] = nil end
  U.print_top(prof, rows, total, args, n)
end

return M
