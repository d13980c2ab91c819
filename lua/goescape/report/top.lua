--- Top rows of a profile as text, the way `go tool pprof -top` prints them
-- (its unit scaling and rounding), or as JSON lines.
local json = require "goescape.report.json"

local M = {}

local function numstr(v)
  if math.type and math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and v > -2^63 and v < 2^63 then return ("%.0f"):format(v) end
  return ("%.17g"):format(v)
end
M.numstr = numstr

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

function M.formatter(rows, total, unit)
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

function M.pct(v, total)
  local r = total ~= 0 and math.abs(v / total) * 100 or 0
  if r >= 99.95 and r <= 100.05 then return "  100%" end
  if r >= 1 then return ("%5.2f%%"):format(r) end
  return ("%5.2g%%"):format(r)
end

--- Prints rows as `go tool pprof -top` does, or as JSON lines (opts.json);
-- `total` is the report total (profile:top's third value), as pprof's
-- percentages use. opts: sample, json, dropped and cutoff (the "Dropped"
-- line of --nodefraction).
function M.print(prof, rows, total, opts, nshown)
  local args = opts
  local _, st = prof:sample_type(args.sample)
  st = st or { type = "?", unit = "" }
  if args.json then
    for _, r in ipairs(rows) do
      io.stdout:write(json.encode({
        name = r.name, func = r.func, file = r.file, line = r.line,
        flat = r.flat, cum = r.cum, unit = st.unit, inline = r.inline,
      }, { "name", "func", "file", "line", "flat", "cum", "unit", "inline" }), "\n")
    end
    return
  end
  local fmt = M.formatter(rows, math.abs(total), st.unit)
  io.stdout:write(("Type: %s\n"):format(st.type))
  local shown = 0
  for i = 1, nshown do shown = shown + rows[i].flat end
  io.stdout:write(("Showing nodes accounting for %s, %s of %s total\n")
    :format(fmt(shown), M.pct(shown, total):gsub("^%s+", ""), fmt(total)))
  if args.dropped and args.dropped > 0 then
    io.stdout:write(("Dropped %d nodes (cum <= %s)\n"):format(args.dropped, fmt(args.cutoff)))
  end
  io.stdout:write(("%10s %5s%% %5s%% %10s %5s%%\n"):format("flat", "flat", "sum", "cum", "cum"))
  local sum = 0
  for i = 1, nshown do
    local r = rows[i]
    sum = sum + r.flat
    io.stdout:write(("%10s %s %s %10s %s  %s%s\n"):format(fmt(r.flat), M.pct(r.flat, total),
      M.pct(sum, total), fmt(r.cum), M.pct(r.cum, total), r.name,
      r.inline and (" (" .. r.inline .. ")") or ""))
  end
end

return M
