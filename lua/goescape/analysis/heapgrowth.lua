--- Who grows the heap: the goroutines, regions or tasks of an execution
-- trace ranked by the heap growth charged to them (t:growth), each with the
-- lines that allocated while it ran, and, given the escape log of the same
-- build, the compiler's reason for each of those lines with advice.
--
--   local hg = ge.analysis.heapgrowth{trace = t [, escape = log]
--                                     [, profile = prof] [, by = "region"]
--                                     [, n = 10] [, lines = 5] [, sample = "alloc_space"]}
--   (trace, escape, profile: objects or paths; by: "goroutine", "region"
--   (default) or "task")
--   hg.rows     t:growth's rows (key fields, growth, freed, samples, first,
--               last; by goroutine also func, its entry function, and
--               stack, its creation stack) with share (of hg.total) and
--               lines = {{file=, line=,
--               func=, allocator=, assists=, cpu=, bytes=, diagnostics=,
--               advice=, others=, via=}...}: allocator is the runtime
--               function the line called (runtime.growslice...), via the
--               lines further in that allocated for it ({file=, line=,
--               func=, allocator=, n=}...), when those are outside the
--               log's files
--   hg.total    the heap growth of the whole trace, hg.freed what was given
--               back (both over every row, shown or not); hg.by; hg.evidence
--               ({assists=, cpu=}: the allocations the trace saw with a
--               stack); hg.sample ({type=, unit=} of the profile)
--
-- The lines behind a row are the allocations the trace saw with a stack
-- while the row ran (t:allocs(): mark assists, which the allocating
-- goroutine pays inside mallocgc, and CPU samples taken inside mallocgc),
-- ranked by how many there were. They are samples, biased to where the GC
-- was running or the CPU was sampled, not a measure of bytes: a heap
-- profile of the same run (profile) gives each line's bytes over the whole
-- run (its cum: what the line allocated itself and through its callees, so
-- that a line explained for its callee, below, has the callee's bytes). A
-- line outside the log's files (fmt.Sprintf's) is explained at the first
-- caller whose file the log has (`via` keeps the lines that allocated).
local inputs = require "goescape.analysis.inputs"
local lines = require "goescape.analysis.lines"

local M = {}

local OPTIONS = inputs.keys({ trace = "trace", escape = "escape?", profile = "profile?" },
  { "by", "n", "lines", "sample", "source" })

local BY = { goroutine = true, region = true, task = true }

-- The row key of an allocation or a growth row.
local function key_of(by, r)
  if by == "goroutine" then return r.g and tostring(r.g) or "-" end
  if by == "task" then return r.region and tostring(r.task) or "-" end
  return r.region and (tostring(r.task) .. "\0" .. r.region) or "-"
end

local function row_key(by, r)
  if r.unattributed then return "-" end
  if by == "goroutine" then return tostring(r.g) end
  if by == "task" then return tostring(r.task) end
  return tostring(r.task) .. "\0" .. r.region
end

-- The frame an allocation is explained at: its own, or the first caller
-- whose file the log has (nil: its own).
local advice = require "goescape.analysis.advice"
local POOL_GET = advice.POOL_GET

local function explained_frame(a, has_file)
  if not has_file or has_file(a.file, a.func) then return nil end
  local st = a.stack or {}
  local start
  for i, f in ipairs(st) do
    if f.file == a.file and f.line == a.line and f.func == a.func then start = i break end
  end
  for i = (start or #st) + 1, #st do
    local f = st[i]
    if f.file and f.file ~= "" and has_file(f.file, f.func) then return f end
  end
  return nil
end

local function heapgrowth(inp, opts)
  local by = opts.by or "region"
  if not BY[by] then
    error(("heapgrowth: by must be goroutine, region or task (got %s)"):format(tostring(by)), 3)
  end
  -- 0 is "all", as in every analysis's n
  local nrows, nlines = opts.n or 10, opts.lines or 5
  if nrows == 0 then nrows = math.huge end
  if nlines == 0 then nlines = math.huge end
  local t, err, code = inp:open_trace("trace")
  if not t then return nil, err, code end
  local log
  log, err, code = inp:open_escape("escape")
  if err then return nil, err, code end
  local prof
  prof, err, code = inp:open_profile("profile")
  if err then return nil, err, code end

  local rows, allocs = t:_growth_allocs(by) -- t:growth{by=} and t:allocs(), one walk
  local total, freed = 0, 0
  for _, r in ipairs(rows) do total, freed = total + r.growth, freed + r.freed end

  -- the profile's bytes per line, over the whole run
  local bytes, sample
  if prof then
    local top, e2 = prof:top { by = "line", sample = opts.sample, n = 0 }
    if not top then return nil, e2 end
    bytes = {}
    for _, r in ipairs(top) do
      if r.file and r.line then
        local k = lines.unversioned(r.file) .. ":" .. r.line
        bytes[k] = (bytes[k] or 0) + r.cum
      end
    end
    local _, st = prof:sample_type(opts.sample)
    if type(st) == "table" then sample = { type = st.type, unit = st.unit } end
  end

  local explain, has_file
  if log then
    local _
    explain, _, _, has_file = require("goescape.analysis.hotspots").explainer(log, opts)
  end

  -- allocations by row, then by line
  local per, evidence = {}, { assists = 0, cpu = 0 }
  for _, a in ipairs(allocs) do
    if a.file then
      local src = a.source == "cpu" and "cpu" or "assists"
      evidence[src] = evidence[src] + 1
      local f = explained_frame(a, has_file)
      local file, line, func = f and f.file or a.file, f and f.line or a.line, f and f.func or a.func
      local k = key_of(by, a)
      local set = per[k]
      if not set then set = { list = {}, index = {} }; per[k] = set end
      local lk = file .. ":" .. line .. "\0" .. (func or "")
      local l = set.index[lk]
      if not l then
        l = { file = file, line = line, func = func, assists = 0, cpu = 0, pooled = 0 }
        set.index[lk] = l
        set.list[#set.list + 1] = l
      end
      if f then
        -- allocated further in, by code the log does not cover
        l.via = l.via or {}
        local vk = a.file .. ":" .. a.line
        local v = l.via[vk]
        if not v then
          v = { file = a.file, line = a.line, func = a.func, allocator = a.allocator, n = 0 }
          l.via[vk] = v
          l.via[#l.via + 1] = v
        end
        v.n = v.n + 1
      else
        l.allocator = l.allocator or a.allocator
      end
      l[src] = l[src] + 1
      -- a sync.Pool's New, called by Get: the advice is the pool's
      for _, fr in ipairs(a.stack or {}) do
        if fr.func == POOL_GET then l.pooled = l.pooled + 1 break end
      end
    end
  end

  -- by goroutine: each one's entry function and creation stack
  local gor
  if by == "goroutine" then
    gor = {}
    for g in t:each_goroutine() do gor[g.id] = g end
  end

  local out = {}
  for i, r in ipairs(rows) do
    local g = gor and r.g and gor[r.g]
    if g then r.func, r.stack = g.func, g.stack end
    if i > nrows then break end
    r.share = total > 0 and r.growth / total or 0
    local set = per[row_key(by, r)]
    local ls = set and set.list or {}
    table.sort(ls, function(x, y)
      local cx, cy = x.assists + x.cpu, y.assists + y.cpu
      if cx ~= cy then return cx > cy end
      if x.file ~= y.file then return x.file < y.file end
      return x.line < y.line
    end)
    local kept = {}
    for j = 1, math.min(nlines, #ls) do
      local l = ls[j]
      if bytes then l.bytes = bytes[lines.unversioned(l.file) .. ":" .. l.line] end
      if l.via then
        table.sort(l.via, function(x, y) return x.n > y.n end)
        for _, v in ipairs(l.via) do l.via[v.file .. ":" .. v.line] = nil end
      end
      if explain then
        local e = explain(l, nil, { runtime_of = l.allocator and function() return l.allocator end,
          pool = l.pooled / math.max(1, l.assists + l.cpu) })
        l.diagnostics, l.advice, l.others = e.diagnostics, e.advice, e.others
        local v = l.via and l.via[1]
        if not l.advice and v then
          -- the line only calls code the log has nothing for: say where the
          -- allocation is, and how to get its reason
          local a = advice.fixed("not_in_log")
          a.why = ("The allocation is in %s (%s:%d), called from this line; the log has no "
            .. "diagnostics for its package (it was not compiled with -m)."):format(
            v.func or "?", v.file or "?", v.line or 0)
          a.fix = ("Build with -gcflags='%s=-m=2' as well to get the compiler's reason there; "
            .. "this line is where the program's own code reaches it."):format(
            lines.func_package(v.func) or "all")
          l.advice = a
        end
      end
      kept[j] = l
    end
    r.lines = kept
    out[#out + 1] = r
  end
  return { by = by, rows = out, total = total, freed = freed, evidence = evidence, sample = sample }
end

return inputs.analysis(M, "heapgrowth", OPTIONS, heapgrowth)
