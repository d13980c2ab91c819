--- Heap growth: two heap (or allocs) profiles compared line by line, each
-- line that grew (or shrank) joined with the compiler's diagnostics about it
-- and the advice for its escape reason: what grew, and why it lives on the heap.
--
--   local g = ge.analysis.growth{escape = log, before = p1, after = p2
--                                [, sample = "inuse_space"] [, n = 20] [, all = false]
--                                [, focus = ..., the other profile filters]
--                                [, source = false]
--                                [, progress = function(done, total, label)]}
--   g.rows   { {file=, line=, func=, before=, after=, delta=,
--               diagnostics = {...}, advice = {reason=, title=, why=, fix=}} ... }
--            largest growth first; lines that shrank come last (all = true
--            keeps unchanged lines too)
--   g.total_delta, g.before_total, g.after_total, g.sample ({type=, unit=})
--
-- before/after are ge.profile objects or paths; escape is a log, a path or a
-- list of paths (or nil: rows without diagnostics). Values are the flat
-- values per line, as `go tool pprof -top -lines` shows them; the delta of a
-- line is what `go tool pprof -diff_base=BEFORE AFTER` reports for it.
local advice = require "goescape.analysis.advice"
local logctx = require "goescape.analysis.logctx"
local inputs = require "goescape.analysis.inputs"
local lines = require "goescape.analysis.lines"

local M = {}

local OPTIONS = inputs.keys({ escape = "escape?", before = "profile", after = "profile" },
  { "sample", "n", "all", "source", "progress" }, inputs.FILTERS)

-- Rows match by function and line, the path compared without a module
-- version (a dependency upgraded between the two profiles is the same file).
local function key(r)
  return (r.func or "") .. "\0" .. lines.unversioned(r.file or "") .. "\0" .. (r.line or 0)
end

-- The growth of opts (see the top of this file), or nil, err, code.
local function growth(inp, opts)
  local before, err, code = inp:open_profile("before")
  if not before then return nil, err, code end
  local after
  after, err, code = inp:open_profile("after")
  if not after then return nil, err, code end
  local log
  log, err, code = inp:open_escape("escape")
  if err then return nil, err, code end
  local sample = opts.sample or after.default_sample
  local _, st = after:sample_type(sample)
  if type(st) ~= "table" then return nil, "growth: after: " .. tostring(st) end
  local _, bst = before:sample_type(sample)
  if type(bst) ~= "table" then return nil, "growth: before: " .. tostring(bst) end
  local q = require("goescape.profile").query(opts, { by = "line", sample = sample, n = 0 })
  local brows, btotal, bcode = before:top(q)
  if not brows then return nil, "growth: before: " .. tostring(btotal), bcode end
  local arows, atotal, acode = after:top(q)
  if not arows then return nil, "growth: after: " .. tostring(atotal), acode end

  local rows, by_key = {}, {}
  local function row(r)
    local k = key(r)
    local x = by_key[k]
    if not x then
      x = { file = r.file, line = r.line, func = r.func, before = 0, after = 0 }
      by_key[k] = x
      rows[#rows + 1] = x
    end
    return x
  end
  for _, r in ipairs(brows) do local x = row(r); x.before = x.before + r.flat end
  for _, r in ipairs(arows) do local x = row(r); x.after = x.after + r.flat; x.file = r.file end

  local kept = {}
  for _, x in ipairs(rows) do
    x.delta = x.after - x.before
    if x.delta ~= 0 or opts.all then kept[#kept + 1] = x end
  end
  table.sort(kept, function(a, b)
    if a.delta ~= b.delta then return a.delta > b.delta end
    if a.after ~= b.after then return a.after > b.after end
    if a.file ~= b.file then return (a.file or "") < (b.file or "") end
    return (a.line or 0) < (b.line or 0)
  end)
  if opts.n and opts.n > 0 and #kept > opts.n then
    for i = #kept, opts.n + 1, -1 do kept[i] = nil end
  end

  local env = log and { ctx = logctx.new(log), source = lines.source_reader(opts) } or nil
  local report = opts.progress
  for i, x in ipairs(kept) do
    if report then report(i, #kept, "growth") end
    x.diagnostics = {}
    if log and x.file and x.line and x.line > 0 then
      local recs = {}
      for _, idx in ipairs(log:at_line(x.file, x.line, lines.func_package(x.func))) do
        recs[#recs + 1] = log:get(idx)
      end
      local l = advice.row(recs, env, x.file, x.line)
      for _, v in ipairs(l.folded) do
        local d = v.rec
        x.diagnostics[#x.diagnostics + 1] = {
          kind = d.kind, subject = d.subject, message = d.message, flow = d.flow, func = d.func,
          package = d.package, file = d.file, line = d.line, col = d.col, target = d.target,
          count = v.count > 1 and v.count or nil, advice = v.advice,
        }
      end
      x.advice = l.best
    end
  end
  return {
    rows = kept,
    total_delta = atotal - btotal,
    before_total = btotal,
    after_total = atotal,
    sample = { type = st.type, unit = st.unit },
  }
end

return inputs.analysis(M, "growth", OPTIONS, growth)
