--- The summary of a GC log's cycles (ge.memory.gctrace_*): how many
-- collections, their pauses, GC's share of CPU and where the live heap is
-- going. Every figure is computed from the parsed lines alone.
local M = {}

-- Nearest-rank percentile of a sorted list (p in [0, 1]).
local function pct(sorted, p)
  local n = #sorted
  if n == 0 then return nil end
  local k = math.ceil(p * n)
  if k < 1 then k = 1 end
  return sorted[k]
end
M.percentile = pct

--- Least-squares slope of ys over xs (per unit of x), nil with fewer than
-- two distinct xs.
function M.slope(xs, ys)
  local n = #xs
  if n < 2 then return nil end
  local sx, sy = 0, 0
  for i = 1, n do sx, sy = sx + xs[i], sy + ys[i] end
  local mx, my = sx / n, sy / n
  local num, den = 0, 0
  for i = 1, n do
    num = num + (xs[i] - mx) * (ys[i] - my)
    den = den + (xs[i] - mx) ^ 2
  end
  if den == 0 then return nil end
  return num / den
end

-- The trend of the live heap over cycles (those with a time and a live heap).
local function trend(cycles)
  local xs, ys = {}, {}
  for _, c in ipairs(cycles) do
    if c.t and c.heap_live then xs[#xs + 1], ys[#ys + 1] = c.t / 1e9, c.heap_live end
  end
  if #ys == 0 then return nil end
  local lo, hi = math.huge, -math.huge
  for _, y in ipairs(ys) do
    if y < lo then lo = y end
    if y > hi then hi = y end
  end
  return { first = ys[1], last = ys[#ys], min = lo, max = hi, cycles = #ys,
    per_second = M.slope(xs, ys) }
end

--- The summary of a parsed log: {gc_count, forced, leak_checks, runs,
-- gc_cpu (fraction, the last line's P% of the last run: GC's share of CPU
-- since that program started), duration (ns, the last cycle's @T),
-- pause = {total, p50, p90, p99, max} (ns), heap_live = {first, last, min,
-- max, per_second, cycles} (the live heap after each cycle), heap_live_forced
-- (the same over forced cycles only: the live heap after a full collection
-- the program asked for), goal (the last goal), scav = {lines, freed (bytes
-- released over all lines), released (the last "now"/"total")}}. Over the
-- last run when the log holds several (runs > 1): the others are other
-- programs.
function M.summarize(t)
  local last_run = 0
  for _, c in ipairs(t.cycles) do if c.run > last_run then last_run = c.run end end
  for _, s in ipairs(t.scav) do if s.run > last_run then last_run = s.run end end
  local cycles, forced_cycles, pauses = {}, {}, {}
  local forced, leak, total = 0, 0, 0
  for _, c in ipairs(t.cycles) do
    if c.run == last_run then
      cycles[#cycles + 1] = c
      pauses[#pauses + 1] = c.pause
      total = total + c.pause
      if c.forced then forced = forced + 1; forced_cycles[#forced_cycles + 1] = c end
      if c.leak_check then leak = leak + 1 end
    end
  end
  table.sort(pauses)
  local last = cycles[#cycles]
  local scav = { lines = 0, freed = 0 }
  for _, s in ipairs(t.scav) do
    if s.run == last_run then
      scav.lines = scav.lines + 1
      scav.freed = scav.freed + (s.freed or 0)
      scav.released = s.released or scav.released
    end
  end
  return {
    runs = t.runs,
    gc_count = #cycles,
    forced = forced,
    leak_checks = leak,
    gc_cpu = last and last.cpu_percent and last.cpu_percent / 100 or nil,
    duration = last and last.t or nil,
    pause = #pauses > 0 and { total = total, p50 = pct(pauses, 0.5), p90 = pct(pauses, 0.9),
      p99 = pct(pauses, 0.99), max = pauses[#pauses] } or nil,
    heap_live = trend(cycles),
    heap_live_forced = trend(forced_cycles),
    goal = last and last.goal or nil,
    scav = scav,
  }
end

return M
