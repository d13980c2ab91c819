--- What the editor shows, computed from an escape log, a profile, or both:
-- one row per source line with its cost, its heap diagnostics and its
-- explanation, in plain tables of strings and numbers (JSON-encodable), so
-- that a worker thread can build it and hand it to the editor's main loop.
-- Needs no Neovim: `goescape.nvim` calls M.encode in a vim.loop work thread.
--
--   local m = model.build{escape = LOG?, profile = PROF?, binary = BIN?, sample = S?, quick = bool,
--                         limits = {...}?}   (limits: goescape's, for opening the inputs)
--   m.rows   {file=, line=, func=, flat=, cum=, share=, diags={...}, advice=, others=}
--            costed lines first (by flat cost, as `goescape hotspots`), then the
--            log's heap diagnostics on lines without cost
--   m.total, m.unit, m.sample, m.warnings, m.has_log, m.has_profile
--   (quick: lines without cost explained without following calls into
--   callees; m.quick says so)
--
-- With both inputs the join is ge.analysis.hotspots itself; with a log alone
-- each heap line is explained by the same explainer; with a profile alone
-- the rows are the profile's lines (`top -lines`).
local ge = require "goescape"
local advice = require "goescape.analysis.advice"
local lines = require "goescape.analysis.lines"
local logctx = require "goescape.analysis.logctx"
local units = require "goescape.report.units"

local M = {}

local HEAP = ge.escape.HEAP

local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end

local exists = require("goescape.nvim.paths").exists

-- The compiler's path of a log record made absolute when the log sits in
-- the directory the build ran in ("./main.go" next to the log), else as is.
local function resolver(log_paths)
  local cache = {}
  return function(file)
    if not file or file:sub(1, 1) == "/" then return file end
    local v = cache[file]
    if v == nil then
      v = file
      for _, lp in ipairs(log_paths) do
        local cand = dirname(lp) .. "/" .. file:gsub("^%./", "")
        if exists(cand) then v = cand break end
      end
      cache[file] = v
    end
    return v
  end
end

local function flow_text(flow)
  local parts = {}
  for _, s in ipairs(flow or {}) do
    if s.type == "from" and s.reason then
      parts[#parts + 1] = (s.expr and (s.expr .. " ") or "") .. "(" .. s.reason .. ")"
    end
  end
  return #parts > 0 and table.concat(parts, " -> ") or nil
end

local function chain_lines(chain)
  if not chain then return nil end
  local out = {}
  for _, c in ipairs(chain) do
    out[#out + 1] = ("%s (%s:%d)"):format(c.text or "?", c.file or "?", c.line or 0)
  end
  return out
end

local function advice_view(a)
  if not a then return nil end
  return { reason = a.reason, title = a.title, why = a.why, fix = a.fix, callee = a.callee,
    chain = chain_lines(a.chain), inferred = a.inferred or nil, not_in_log = a.not_in_log or nil }
end

-- The escape-family diagnostics of a line, heap moves marked.
local function diag_views(diags)
  local out = {}
  for _, d in ipairs(diags or {}) do
    if ge.core.kind_family(d.kind) == "escape" then
      out[#out + 1] = { kind = d.kind, message = d.message, subject = d.subject, col = d.col,
        count = d.count, heap = HEAP[d.kind] or nil, flow = flow_text(d.flow),
        title = d.advice and d.advice.title or nil }
    end
  end
  return out
end

local function others_view(others)
  if not others then return nil end
  local t = {}
  for _, o in ipairs(others) do t[#t + 1] = o.title end
  return t
end

-- The sample type the editor shows: allocated bytes when the profile has
-- them (what escapes cost), else the profile's default.
local function pick_sample(prof, want)
  if want then return want end
  for _, st in ipairs(prof.sample_types or {}) do
    if st.type == "alloc_space" then return "alloc_space" end
  end
  return nil
end

-- The log's heap lines that no costed row explains (`covered`: keys of
-- package, log path and line), explained by advice.line from their heap
-- records, following calls into callees: the records are grouped in one
-- pass, not looked up line by line (a std log has ~20k such lines, each
-- with dozens of other records). quick: without following calls (what the
-- editor shows first: following them takes seconds on a std log).
local function log_rows(log, covered, resolve, quick)
  local read = lines.source_reader()
  local env = { ctx = not quick and logctx.new(log) or nil }
  local at, order = {}, {}
  for kind in pairs(HEAP) do
    for d in log:each { kind = kind } do
      local key = (d.package or "") .. "\0" .. (d.file or "") .. "\0" .. (d.line or 0)
      if d.file and d.line and not covered[key] then
        local recs = at[key]
        if not recs then recs = {}; at[key] = recs; order[#order + 1] = key end
        recs[#recs + 1] = d
      end
    end
  end
  local rows = {}
  for _, key in ipairs(order) do
    local recs = at[key]
    local d = recs[1]
    local file = resolve(d.file)
    local fn = d.package and d.func and (d.package .. "." .. d.func) or nil
    -- source lines at the path the file has on disk (the log's may be relative)
    env.source = function(f, line) return read(f == d.file and file or f, line) end
    local l = advice.line(recs, env)
    local diags = {}
    for _, v in ipairs(l.folded) do
      local r = v.rec
      diags[#diags + 1] = { kind = r.kind, message = r.message, subject = r.subject, col = r.col, flow = r.flow,
        count = v.count > 1 and v.count or nil, advice = v.advice }
    end
    rows[#rows + 1] = { file = file, line = d.line, func = fn, flat = 0, cum = 0, share = 0,
      diags = diag_views(diags), advice = advice_view(l.best), others = others_view(#l.others > 0 and l.others or nil) }
  end
  -- (the log's order differs across compilers)
  table.sort(rows, function(a, b)
    if a.file ~= b.file then return a.file < b.file end
    return a.line < b.line
  end)
  return rows
end

--- The rows of opts (see the top of this file), or nil, err.
function M.build(opts)
  local log_paths = opts.escape and (type(opts.escape) == "table" and opts.escape or { opts.escape }) or {}
  local log, prof, bin, err
  local o = opts.limits and { limits = opts.limits } or nil
  if #log_paths > 0 then
    log, err = ge.escape.open(#log_paths == 1 and log_paths[1] or log_paths, o)
    if not log then return nil, err end
  end
  if opts.profile then
    prof, err = ge.profile.open(opts.profile, o)
    if not prof then return nil, err end
  end
  if opts.binary then
    bin, err = ge.binary.open(opts.binary, o)
    if not bin then return nil, err end
  end
  if not log and not prof then return nil, "give an escape log, a profile, or both" end
  local out = { rows = {}, warnings = {}, has_log = log ~= nil, has_profile = prof ~= nil, total = 0 }
  local resolve = resolver(log_paths)
  local covered = {}
  if prof then
    local sample = pick_sample(prof, opts.sample)
    local hrows
    if log then
      local hot
      hot, err = ge.analysis.hotspots { escape = log, profile = prof, binary = bin, sample = sample, n = 0 }
      if not hot then return nil, err end
      hrows, out.total = hot.rows, hot.total
      out.unit, out.sample = hot.sample and hot.sample.unit, hot.sample and hot.sample.type
      out.warnings = hot.warnings or {}
    else
      if bin and type(prof.symbolize) == "function" then
        prof, err = prof:symbolize(bin)
        if not prof then return nil, err end
      end
      local total
      hrows, err, total = prof:top { by = "line", n = 0, sample = sample }
      if not hrows then return nil, err end
      out.total = total or 0
      local _, st = prof:sample_type(sample)
      if type(st) == "table" then out.unit, out.sample = st.unit, st.type end
    end
    for _, r in ipairs(hrows) do
      if r.flat ~= 0 and r.file and r.line and r.line > 0 then
        out.rows[#out.rows + 1] = { file = r.file, line = r.line, func = r.func, flat = r.flat, cum = r.cum,
          share = out.total ~= 0 and r.flat / out.total or 0, diags = diag_views(r.diagnostics),
          advice = advice_view(r.advice), others = others_view(r.others) }
        for _, d in ipairs(log and r.diagnostics or {}) do
          local rec = d.index and log:get(d.index)
          if rec then covered[(rec.package or "") .. "\0" .. (rec.file or "") .. "\0" .. (rec.line or 0)] = true end
        end
      end
    end
  end
  if log then
    for _, r in ipairs(log_rows(log, covered, resolve, opts.quick)) do out.rows[#out.rows + 1] = r end
    out.quick = opts.quick or nil
  end
  for _, r in ipairs(out.rows) do
    r.cost = r.flat ~= 0 and ("%s %d%%"):format(units.human(r.flat, out.unit), math.floor(r.share * 100 + 0.5)) or nil
  end
  if log then log:close() end
  if prof then prof:close() end
  if bin then bin:close() end
  return out
end

M.CHUNK = 500

--- M.build's result as JSON lines (what a worker thread returns): the
-- model without its rows, then the rows in arrays of M.CHUNK; or nil, err.
-- Explanations repeat (most are a reason's fixed words): each distinct one
-- is written once in m.advices and rows name it by number (goescape.nvim
-- puts them back).
function M.encode(opts)
  local m, err = M.build(opts)
  if not m then return nil, err end
  local json = require "goescape.report.json"
  local advices, index = {}, {}
  for _, r in ipairs(m.rows) do
    if r.advice then
      local key = json.encode(r.advice)
      local i = index[key]
      if not i then i = #advices + 1; advices[i] = r.advice; index[key] = i end
      r.advice = i
    end
  end
  m.advices = advices
  -- The rows in parts of CHUNK, one JSON text a line (JSON escapes the
  -- newlines of strings): the editor decodes one part per turn of its loop.
  local rows = m.rows
  m.rows = nil
  local parts = { json.encode(m) }
  for i = 1, #rows, M.CHUNK do
    local part = {}
    for j = i, math.min(i + M.CHUNK - 1, #rows) do part[#part + 1] = rows[j] end
    parts[#parts + 1] = json.encode(part)
  end
  return table.concat(parts, "\n")
end

return M
