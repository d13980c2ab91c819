--- The HTML report's data model: what the page shows, built from an escape
-- log, a profile (and binary), a hotspots result and bases to diff against.
-- Plain tables, ready to travel as JSON (goescape.report.html renders them).
--
--   local data = require("goescape.report.model").build(opts)   -- opts as html.write's
local json = require "goescape.report.json"
local flame = require "goescape.report.flame"
local advice = require "goescape.analysis.advice"
local logctx = require "goescape.analysis.logctx"
local hotspots = require "goescape.analysis.hotspots"
local lines = require "goescape.analysis.lines"
local profile_query = require("goescape.profile").query

local sources = require "goescape.report.sources"

local M = {}

local HEAP = require("goescape.escape").HEAP

local function arr(t) return setmetatable(t or {}, json.array_mt) end

local function objects_type(prof, st)
  if not st or st.unit ~= "bytes" then return nil end
  local pre = st.type:match("^(.*)_space$")
  if not pre then return nil end
  local i = prof:sample_type(pre .. "_objects")
  return i and (pre .. "_objects") or nil
end

local key = sources.key

local function compact_flow(flow, max)
  local out = arr()
  for i, s in ipairs(flow or {}) do
    if i > max then
      out[#out + 1] = { type = "note", expr = ("... %d more steps"):format(#flow - max) }
      break
    end
    out[#out + 1] = { type = s.type, dst = s.dst, src = s.src, expr = s.expr, reason = s.reason,
      file = s.file, line = s.line, col = s.col }
  end
  return out
end

local function compact_advice(a)
  if not a then return nil end
  return { reason = a.reason, title = a.title, why = a.why, fix = a.fix }
end

local function compact_diag(d)
  return { kind = d.kind, subject = d.subject, message = d.message, func = d.func,
    file = d.file, line = d.line, col = d.col, target = d.target, cost = d.cost,
    flow = compact_flow(d.flow, 80), advice = compact_advice(d.advice or advice.explain(d)) }
end

local function flame_data(tree)
  local names, index = arr(), {}
  local function enc(node)
    local ni = index[node.name]
    if not ni then
      names[#names + 1] = node.name
      ni = #names - 1
      index[node.name] = ni
    end
    local t = { ni, node.value }
    if node.children then
      local kids = {}
      for i, c in ipairs(node.children) do kids[i] = enc(c) end
      t[3] = kids
    end
    return t
  end
  local root = enc(tree)
  return { names = names, root = root, nodes = tree.nodes, dropped = tree.dropped, min = tree.min }
end

local function diff_escape(base, log, max)
  local d, err = require("goescape.analysis.diff").run { before = base, after = log }
  if not d then return nil, err end
  local function cut(list)
    local out = arr()
    for i = 1, math.min(#list, max) do
      local e = list[i]
      out[i] = { category = e.category, kind = e.kind, package = e.package, func = e.func,
        file = e.file, line = e.line, subject = e.subject, message = e.message,
        before = e.before and e.before.message or nil }
    end
    return out
  end
  return { summary = d.summary, added = cut(d.added), removed = cut(d.removed),
    changed = cut(d.changed), more = { added = #d.added, removed = #d.removed, changed = #d.changed } }
end

local function diff_profile(base, prof, sample, max)
  local dp, err = prof:diff(base)
  if not dp then return nil, err end
  local rows, total = dp:top { by = "line", sample = sample, n = max }
  if not rows then return nil, total end
  local _, btotal = base:top { by = "function", sample = sample, n = 1 }
  local out = arr()
  for i, r in ipairs(rows) do
    out[i] = { file = r.file, line = r.line, func = r.func, flat = r.flat, cum = r.cum }
  end
  return { rows = out, total = total, base_total = btotal }
end

--- The report's data model (what the page embeds as JSON). opts: escape,
-- profile, binary, hotspots (a ge.analysis.hotspots result, else computed),
-- sample, n (hotspot rows, default 100), min (flame graph fraction, 0.001),
-- uncosted (max listed, 300), base_escape, base_profile, source (false: no
-- annotated source), source_dirs (the roots sources are quoted from, with
-- the working directory, GOROOT and the module cache; files elsewhere are
-- listed in data.sources_left_out), source_files (8), source_lines (2500),
-- title, names = {escape=, profile=, binary=, base=, trace=} (shown in the
-- header), trace (a ge.trace or a path: the timeline section, with or
-- without the other inputs) and timeline (goescape.report.timeline.model's
-- options), heapdump (a ge.heapdump or a path, opened with opts.binary:
-- the retention section, goescape.report.retain_html).
-- Returns the table, or nil, err.
-- The log's summary: totals, kinds, the 30 packages with most heap moves.
local function log_summary(log)
  local s = log:summary()
  local kinds = arr()
  for _, r in ipairs(s.kinds) do
    kinds[#kinds + 1] = { kind = r.key, count = r.count, family = require("goescape.core").kind_family(r.key) }
  end
  local pk = {}
  for _, r in ipairs(s.packages) do pk[#pk + 1] = r end
  table.sort(pk, function(a, b)
    if a.heap ~= b.heap then return a.heap > b.heap end
    return a.count > b.count
  end)
  local pks = arr()
  for i = 1, math.min(#pk, 30) do pks[i] = { package = pk[i].key, count = pk[i].count, heap = pk[i].heap } end
  return { total = s.total, kinds = kinds, packages = pks, npackages = #s.packages,
    heap = (s.by_kind.moved_to_heap or 0) + (s.by_kind.escapes_to_heap or 0) }
end

local function diags_of(list)
  local diags, heap = arr(), false
  for _, d in ipairs(list or {}) do
    if #diags < 24 then diags[#diags + 1] = compact_diag(d) end
    heap = heap or HEAP[d.kind] or false
  end
  return diags, heap
end

-- A hotspots result alone: its rows, no flame graph or source.
local function hotspots_rows(data, hot, n)
  data.sample, data.total = hot.sample, hot.total
  local out = arr()
  for i = 1, math.min(#hot.rows, n) do
    local r = hot.rows[i]
    local diags, heap = diags_of(r.diagnostics)
    out[i] = { rank = i, file = r.file, line = r.line, func = r.func, flat = r.flat,
      cum = r.cum, reason = r.advice and r.advice.title or nil, heap = heap, diags = diags,
      advice = compact_advice(r.advice) }
  end
  data.rows, data.nrows = out, #hot.rows
end

-- Objects per line (and per line and function) from the profile's count
-- sample type, when it has one beside the sample shown.
local function objects_of(data, opts, prof, st)
  local objects, row_objects = {}, {}
  local ot = objects_type(prof, st)
  if not ot then return objects, row_objects end
  local orows, ototal = prof:top(profile_query(opts, { by = "line", sample = ot, n = 0 }))
  if orows then
    -- Rows of one line from several functions (init, closures, generic
    -- instantiations): the source view shows the line's sum, each
    -- hotspot row its own function's count.
    for _, r in ipairs(orows) do
      local k = key(r.file, r.line)
      objects[k] = (objects[k] or 0) + r.flat
      local kf = k .. "\0" .. (r.func or "")
      row_objects[kf] = (row_objects[kf] or 0) + r.flat
    end
    data.objects = { type = ot, total = ototal }
  end
  return objects, row_objects
end

local function sorted(t, max)
  local l = {}
  for _, e in pairs(t) do l[#l + 1] = e end
  table.sort(l, function(a, b)
    if a.flat ~= b.flat then return math.abs(a.flat) > math.abs(b.flat) end
    return a.key < b.key
  end)
  local o = arr()
  for i = 1, math.min(#l, max) do o[i] = l[i] end
  return o
end

-- The hotspot rows, and heap by reason and by package over every costed line.
local function costed_rows(data, hot, row_objects, n)
  local reasons, packages = {}, {}
  local function add(t, k, r, o)
    local e = t[k]
    if not e then e = { key = k, flat = 0, objects = 0, lines = 0 }; t[k] = e end
    e.flat, e.objects, e.lines = e.flat + r.flat, e.objects + (o or 0), e.lines + 1
  end
  local out = arr()
  for i, r in ipairs(hot.rows) do
    local o = row_objects[key(r.file, r.line) .. "\0" .. (r.func or "")]
    local reason
    if r.advice then reason = r.advice.title
    elseif #r.diagnostics > 0 then reason = "no heap diagnostic on the line"
    else reason = "not in the escape log" end
    add(reasons, reason, r, o)
    add(packages, lines.func_package(r.func) or "?", r, o)
    if i <= n then
      local diags, heap = diags_of(r.diagnostics)
      out[#out + 1] = { rank = i, file = r.file, line = r.line, func = r.func,
        flat = r.flat, cum = r.cum, objects = o, reason = reason, heap = heap,
        diags = diags, advice = compact_advice(r.advice) }
    end
  end
  data.rows, data.nrows = out, #hot.rows
  data.by_reason = sorted(reasons, 30)
  data.by_package = sorted(packages, 30)
end

-- The costed lines of each file, for the annotated source.
local function annotated(data, opts, log, rows, objects)
  local lines_by_file, file_cost = {}, {}
  for _, r in ipairs(rows) do
    if r.file and r.line and r.line > 0 and r.flat ~= 0 then
      local l = lines_by_file[r.file]
      if not l then l = {}; lines_by_file[r.file] = l; file_cost[r.file] = 0 end
      l[#l + 1] = { line = r.line, flat = r.flat, cum = r.cum,
        pkg = lines.func_package(r.func) }
      file_cost[r.file] = file_cost[r.file] + r.flat
    end
  end
  data.sources, data.sources_left_out = sources.annotate(opts, log, lines_by_file, file_cost, objects)
end

-- A profile (with a log, or alone): rows, breakdowns, source, flame graph.
local function profile_part(data, opts, prof, log, n)
  local si, st = prof:sample_type(opts.sample)
  if not si then return nil, st end
  data.sample = { type = st.type, unit = st.unit }
  local rows, total = prof:top(profile_query(opts, { by = "line", sample = si, n = 0 }))
  if not rows then return nil, total end
  data.total = total
  local objects, row_objects = objects_of(data, opts, prof, st)
  local hot = opts.hotspots
  if not hot and log then
    local err
    hot, err = hotspots.run(profile_query(opts,
      { escape = log, profile = prof, binary = opts.binary, sample = si, n = 0 }))
    if not hot then return nil, err end
  end
  if not hot then
    hot = { rows = {}, uncosted = {} }
    for _, r in ipairs(rows) do
      if r.flat ~= 0 and r.file and r.line and r.line > 0 then
        hot.rows[#hot.rows + 1] = { file = r.file, line = r.line, func = r.func,
          flat = r.flat, cum = r.cum, diagnostics = {} }
      end
    end
  end
  costed_rows(data, hot, row_objects, n)
  local unc = arr()
  for i = 1, math.min(#(hot.uncosted or {}), opts.uncosted or 300) do
    local d = hot.uncosted[i]
    unc[i] = { file = d.file, line = d.line, kind = d.kind, subject = d.subject,
      message = d.message, func = d.func, advice = d.advice and d.advice.title or nil }
  end
  data.uncosted, data.nuncosted = unc, #(hot.uncosted or {})
  if opts.source ~= false then annotated(data, opts, log, rows, objects) end
  local tree, err = flame.tree(prof, profile_query(opts, { sample = si, min = opts.min or 0.001 }))
  if not tree then return nil, err end
  data.flame = flame_data(tree)
  return true
end

-- No profile: the heap diagnostics, most frequent lines first.
local function log_rows(data, log, n)
  local env = { ctx = logctx.new(log) }
  local out = arr()
  local groups = log:group { by = "line", kind = "escape" }
  for i = 1, math.min(#groups, n) do
    local g = groups[i]
    local diags = arr()
    local recs = {}
    for _, idx in ipairs(log:at_line(g.file, g.line)) do
      local d = log:get(idx)
      recs[#recs + 1] = d
      if #diags < 24 then diags[#diags + 1] = compact_diag(d) end
    end
    local l = advice.line(recs, env)
    local best = l.heap and l.best or nil
    out[#out + 1] = { rank = i, file = g.file, line = g.line, count = g.count,
      reason = best and best.title or nil, heap = best ~= nil, diags = diags,
      advice = compact_advice(best) }
  end
  data.rows, data.nrows = out, #groups
end

-- The rows a timeline span shows on hover: the lines that allocated in it
-- (t:allocs(): mark assists and CPU samples inside mallocgc; a region
-- span's own region only), most first, with the log's reason when there is
-- a log, else the runtime function that allocated.
local function span_rows(t, log)
  local allocs = t:allocs()
  if #allocs == 0 then return nil end
  local explain = log and require("goescape.analysis.hotspots").explainer(log, {})
  local reasons = {}
  local function reason(l)
    if not explain then return l.allocator or "" end
    local k = l.file .. ":" .. l.line .. "\0" .. (l.func or "")
    if reasons[k] == nil then
      local e = explain(l, nil, { runtime_of = l.allocator and function() return l.allocator end })
      reasons[k] = e.advice and e.advice.title or ""
    end
    return reasons[k]
  end
  -- the first allocation at or after time x
  local function first_at(x)
    local lo, hi = 1, #allocs + 1
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if allocs[mid].time < x then lo = mid + 1 else hi = mid end
    end
    return lo
  end
  return function(s, lane)
    local region = lane and lane.kind == "region" and s.n and lane.name or nil
    local by, list = {}, {}
    for i = first_at(s.start), #allocs do
      local a = allocs[i]
      if a.time > (s["end"] or s.start) then break end
      if a.file and (not region or a.region == region) then
        local k = a.file .. ":" .. a.line .. "\0" .. (a.func or "")
        local l = by[k]
        if not l then
          l = { file = a.file, line = a.line, func = a.func, allocator = a.allocator, n = 0 }
          by[k] = l
          list[#list + 1] = l
        end
        l.n = l.n + 1
      end
    end
    table.sort(list, function(x, y)
      if x.n ~= y.n then return x.n > y.n end
      return x.file .. x.line < y.file .. y.line
    end)
    local rows = {}
    for i = 1, math.min(3, #list) do
      local l = list[i]
      rows[i] = { ("%s:%d"):format(l.file:match("[^/]*$"), l.line), l.func or "?",
        ("%d allocation%s seen"):format(l.n, l.n == 1 and "" or "s"), reason(l) }
    end
    return rows
  end
end

-- The timeline of a trace (a ge.trace, or a path opened here and closed);
-- its spans show their allocating lines unless topts.rows says otherwise.
local function timeline_part(trace, topts, log)
  local T = require "goescape.trace"
  local function model(t)
    local o = {}
    for k, v in pairs(topts or {}) do o[k] = v end
    if o.rows == nil then o.rows = span_rows(t, log) end
    return require("goescape.report.timeline").model(t, o)
  end
  if type(trace) == "string" then
    local t, err = T.open(trace)
    if not t then return nil, err end
    local ok, m = pcall(model, t)
    t:close()
    if not ok then error(m, 0) end
    return m
  end
  if not T.is_trace(trace) then error("html: opts.trace: a trace or a path expected", 3) end
  return model(trace)
end

--- The model for opts (html.write's options). Returns data, or nil, err.
function M.build(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'data' (options table expected)", 2) end
  local log, prof = opts.escape, opts.profile
  if not log and not prof and not opts.hotspots and not opts.trace and not opts.heapdump then
    error("html: an escape log, a profile, a hotspots result, a trace or a heap dump is needed", 2)
  end
  local n = opts.n or 100
  local data = { title = opts.title or "goescape report", version = 1, names = opts.names or {},
    generated = os.date("!%Y-%m-%d %H:%M UTC") }
  if log then data.log = log_summary(log) end
  if opts.trace then
    local tl, err = timeline_part(opts.trace, opts.timeline, log)
    if not tl then return nil, err end
    data.timeline = tl
  end
  if opts.heapdump then
    local rt, err = require("goescape.report.retain_html").model(opts.heapdump, { binary = opts.binary,
      escape = log, name = data.names.heapdump })
    if not rt then return nil, err end
    data.retain = rt
  end
  if not prof and opts.hotspots then
    hotspots_rows(data, opts.hotspots, n)
  elseif prof then
    if opts.binary then
      -- one symbolized copy serves every part of the page; the caller's
      -- profile stays as it was
      local err
      prof, err = prof:symbolize(opts.binary)
      if not prof then return nil, err end
    end
    local ok, err = profile_part(data, opts, prof, log, n)
    if not ok then return nil, err end
  elseif log then
    log_rows(data, log, n)
  end
  if opts.base_escape and log then
    local d, err = diff_escape(opts.base_escape, log, opts.diff_max or 300)
    if not d then return nil, err end
    data.diff = data.diff or {}
    data.diff.escape = d
  end
  if opts.base_profile and prof then
    local d, err = diff_profile(opts.base_profile, prof, data.sample.type, opts.diff_max or 300)
    if not d then return nil, err end
    data.diff = data.diff or {}
    data.diff.profile = d
  end
  return data
end

return M
