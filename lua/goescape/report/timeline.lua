--- The timeline of an execution trace, for the HTML report: heap and goal
-- over time, GC cycles, stop-the-world pauses, goroutines running and
-- runnable, user regions and logs.
--
--   local timeline = require "goescape.report.timeline"
--   local m = timeline.model(t, {buckets = 1000})   -- t: a ge.trace
--   local text = timeline.svg(m)                    -- a standalone SVG
--   ge.report.html("report.html", {trace = t})      -- the report's section
--
-- The model is bounded whatever the trace's size: the series are per
-- bucket (t:timeline, in C: least, most, first and last value of each, so
-- a peak survives), and what is drawn as a band or marker (a GC cycle, a
-- pause, a region, a log) is a span; spans of one lane closer than a
-- bucket are one span (n: how many). It is plain data, ready for JSON: the
-- HTML report embeds it as it is, and its script shows a span's fields on
-- hover, with the span's `rows` (a list of lists of cells, from opts.rows)
-- under them.
local json = require "goescape.report.json"
local options = require "goescape.options"

local M = {}

local function arr(t) return setmetatable(t or {}, json.array_mt) end

local OPTS = { buckets = true, from = true, to = true, lanes = true, rows = true }

-- The buckets that have samples, as columns: i (the bucket) and C's fields.
local function level_columns(rows)
  local c = { i = arr(), first = arr(), min = arr(), max = arr(), last = arr(), n = arr() }
  for k, r in ipairs(rows) do
    c.i[k], c.first[k], c.min[k], c.max[k], c.last[k], c.n[k] = r.i, r.first, r.min, r.max, r.last, r.n
  end
  return c
end

-- Merges a lane's items ({start, end[, n, busy]} in ns, start order) into
-- spans: items closer than `gap` (a bucket) are one span, its n the number
-- of items and its busy the sum of their durations. label(first, n, last)
-- names a span; one(span, item) adds the fields of a span of one item.
local function merge(items, gap, kind, label, one)
  local out, cur = {}, nil
  for _, it in ipairs(items) do
    local n, busy = it.n or 1, it.busy or (it["end"] - it.start)
    if cur and it.start <= cur["end"] + gap then
      if it["end"] > cur["end"] then cur["end"] = it["end"] end
      cur.n, cur.busy, cur.last_item = cur.n + n, cur.busy + busy, it
    else
      cur = { kind = kind, start = it.start, ["end"] = it["end"], n = n, busy = busy,
        first_item = it, last_item = it }
      out[#out + 1] = cur
    end
  end
  for _, s in ipairs(out) do
    s.label = label(s.first_item, s.n, s.last_item)
    if s.n == 1 then one(s, s.first_item) end
    s.first_item, s.last_item = nil, nil
  end
  return out
end

local function by_start(a, b)
  if a.start ~= b.start then return a.start < b.start end
  return a["end"] < b["end"]
end

-- GC cycles or pauses within from..to, clipped to it (open_start: begun
-- before the trace, open_end: still running at its end).
local function clip(items, from, to)
  local out = {}
  for _, it in ipairs(items) do
    local s, e = it.start or from, it["end"] or to
    if e >= from and s <= to then
      local c = {}
      for k, v in pairs(it) do c[k] = v end
      c.start, c["end"] = math.max(s, from), math.min(e, to)
      c.open_start, c.open_end = it.start == nil or nil, it["end"] == nil or nil
      out[#out + 1] = c
    end
  end
  table.sort(out, by_start)
  return out
end

local function trim(s, max)
  s = tostring(s or "")
  if #s > max then s = s:sub(1, max) .. "..." end
  return s
end

local function copy_one(s, r)
  s.g, s.task, s.open_start, s.open_end = r.g, r.task, r.open_start, r.open_end
end

-- The lanes and their spans: GC, STW, the regions (the `nlanes` names with
-- the most time in them, each its own lane, the others together), logs.
local function lanes_and_spans(m, tl, nlanes)
  local gap = math.floor((m.to - m.from) / m.buckets)
  local lanes, spans = arr(), arr()
  local function add(kind, name, list)
    lanes[#lanes + 1] = { kind = kind, name = name }
    for _, s in ipairs(list) do
      s.lane = #lanes
      spans[#spans + 1] = s
    end
  end
  local cycles = clip(tl.gc.cycles, m.from, m.to)
  for i, c in ipairs(cycles) do c.ordinal = i end
  add("gc", "GC", merge(cycles, gap, "gc",
    function(a, n, b) return n == 1 and ("GC cycle %d"):format(a.ordinal)
      or ("GC cycles %d-%d"):format(a.ordinal, b.ordinal) end,
    function(s, c) s.seq, s.open_start, s.open_end = c.seq, c.open_start, c.open_end end))
  add("stw", "STW", merge(clip(tl.gc.stw, m.from, m.to), gap, "stw",
    function(a, n) return n == 1 and ("stop-the-world: " .. a.kind) or ("%d stop-the-world pauses"):format(n) end,
    copy_one))
  -- regions by name (merged in C), most time first
  local names = {}
  for _, r in ipairs(tl.regions) do
    if #r.spans > 0 then names[#names + 1] = r end
  end
  table.sort(names, function(a, b)
    if a.busy ~= b.busy then return a.busy > b.busy end
    return a.name < b.name
  end)
  local rest = {}
  for i, r in ipairs(names) do
    if i <= nlanes then
      local list = {}
      for k, sp in ipairs(r.spans) do
        local c = { kind = "region", start = sp.start, ["end"] = sp["end"], n = sp.n, busy = sp.busy,
          label = sp.n == 1 and ("region " .. trim(r.name, 200)) or ("%d regions %s"):format(sp.n, trim(r.name, 200)) }
        if sp.n == 1 then copy_one(c, sp) end
        list[k] = c
      end
      add("region", r.name, list)
    else
      for _, sp in ipairs(r.spans) do
        rest[#rest + 1] = { start = sp.start, ["end"] = sp["end"], n = sp.n, busy = sp.busy, name = r.name,
          g = sp.g, task = sp.task, open_start = sp.open_start, open_end = sp.open_end }
      end
    end
  end
  if #rest > 0 then
    table.sort(rest, by_start)
    add("region", ("%d other region names"):format(#names - nlanes), merge(rest, gap, "region",
      function(a, n) return n == 1 and ("region " .. trim(a.name, 200)) or ("%d regions"):format(n) end,
      copy_one))
  end
  if #tl.logs > 0 then
    local list = {}
    for k, l in ipairs(tl.logs) do
      local text = trim(l.key, 100) .. ": " .. trim(l.value, 200)
      list[k] = { kind = "log", start = l.time, ["end"] = l["end"], n = l.n,
        label = l.n == 1 and text or ("%d logs, the first %s"):format(l.n, text), g = l.g, task = l.task }
    end
    add("log", "logs", list)
  end
  return lanes, spans
end

--- The timeline of trace t. opts: buckets (across the picture, default
-- 1000, at most 4000), from, to (ns, default the trace's start and end),
-- lanes (region names with a lane of their own, default 8), rows (a
-- function(span, lane) -> list of rows, each a list of cells, shown under
-- the span on hover). Returns the model: {from, to, buckets, edges (buckets + 1
-- times: bucket i is edges[i] .. edges[i + 1]), heap and goal ({i, first,
-- min, max, last, n}: columns over the buckets with samples), goroutines
-- ({running, runnable (ns summed over goroutines), running_max,
-- runnable_max}: columns over every bucket), lanes ({kind, name}), spans
-- ({kind, lane, start, end, n, label, busy, g, task, seq, rows}), totals}.
function M.model(t, opts)
  if not require("goescape.trace").is_trace(t) then error("timeline.model: a trace expected", 2) end
  opts = options(opts, OPTS, "timeline.model")
  local buckets = opts.buckets or 1000
  if type(buckets) ~= "number" or buckets < 1 or buckets > 4000 or buckets % 1 ~= 0 then
    error("timeline.model: buckets: a whole number from 1 to 4000", 2)
  end
  local nlanes = opts.lanes or 8
  if type(nlanes) ~= "number" or nlanes < 0 then error("timeline.model: lanes: a number >= 0", 2) end
  if opts.rows ~= nil and type(opts.rows) ~= "function" then error("timeline.model: rows: a function", 2) end
  local tl = t:timeline { buckets = buckets, from = opts.from, to = opts.to }
  local m = { version = 1, from = tl.from, to = tl.to, buckets = tl.buckets, go_version = t.go_version }
  local edges = arr()
  for i, g in ipairs(tl.goroutines) do edges[i] = g.time end
  edges[#tl.goroutines + 1] = tl.to
  m.edges = edges
  m.heap = level_columns(tl.heap)
  m.goal = level_columns(tl.goal)
  local gs = { running = arr(), runnable = arr(), running_max = arr(), runnable_max = arr() }
  for i, g in ipairs(tl.goroutines) do
    gs.running[i], gs.runnable[i] = g.running, g.runnable
    gs.running_max[i], gs.runnable_max[i] = g.running_max, g.runnable_max
  end
  m.goroutines = gs
  m.lanes, m.spans = lanes_and_spans(m, tl, nlanes)
  local heap_n, peak, peak_i = 0, nil, nil
  for k, n in ipairs(m.heap.n) do
    heap_n = heap_n + n
    if not peak or m.heap.max[k] > peak then peak, peak_i = m.heap.max[k], m.heap.i[k] end
  end
  local within = { gc = 0, stw = 0 }
  for _, s in ipairs(m.spans) do
    if within[s.kind] then within[s.kind] = within[s.kind] + s.n end
  end
  -- what lies within from..to
  m.totals = { gc_cycles = within.gc, stw = within.stw, regions = tl.counts.regions, logs = tl.counts.logs,
    heap_samples = heap_n, peak_heap = peak, peak_bucket = peak_i, goroutines = t.goroutines }
  if opts.rows then
    for _, s in ipairs(m.spans) do
      local rows = opts.rows(s, m.lanes[s.lane])
      if rows ~= nil and type(rows) ~= "table" then error("timeline.model: rows: a list of rows expected", 2) end
      if rows and #rows > 0 then s.rows = rows end
    end
  end
  return m
end

--- The model drawn as SVG (goescape.report.timeline_svg): opts.text = false
-- leaves lane names out (the HTML page sets them from its data), width.
function M.svg(m, opts) return require("goescape.report.timeline_svg").render(m, opts) end

return M
