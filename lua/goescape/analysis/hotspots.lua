--- Hotspots: each allocating source line of a profile, with its flat and cum
-- values (as `go tool pprof -top -lines` reports them) and every compiler
-- diagnostic about that line, with its -m=2 flow and advice.
--
--   local hot = ge.analysis.hotspots{escape = log, profile = prof [, binary = bin]
--                                    [, sample = "alloc_space"] [, n = 20]
--                                    [, focus = ..., the other profile filters]
--                                    [, source = false]}
--   (escape: a log, a path or a list of paths; profile, binary: objects or
--   paths; source = false reads no source lines)
--   hot.rows      {file=, line=, func=, flat=, cum=, diagnostics={...}, advice=,
--                  others=}...: diagnostics folded (identical ones carry count);
--                 advice is the most specific heap reason of the line, or, when
--                 the compiler reported no heap move, a cause inferred from
--                 its other diagnostics or the source line (advice.inferred);
--                 others lists the line's other reasons
--   hot.uncosted  heap diagnostics (moved/escapes to heap) in the profiled files
--                 whose line has no cost
--   hot.total (pprof's report total: every sample, whatever focus/ignore
--   dropped), hot.selected (the kept samples' sum), hot.sample ({type=,
--   unit=}), hot.stats, hot.warnings (inputs that do not belong together:
--   a log of other sources, a binary of other module versions)
--
-- The profile's aggregation and the log's line index run in C; this joins
-- their (few thousand) rows.
local advice = require "goescape.analysis.advice"
local logctx = require "goescape.analysis.logctx"
local inputs = require "goescape.analysis.inputs"
local lines = require "goescape.analysis.lines"

local M = {}

local HEAP = require("goescape.escape").HEAP

local function basename(p) return (p or ""):match("([^/\\]+)$") or "" end

local function diag_view(d, count)
  return {
    count = count and count > 1 and count or nil,
    kind = d.kind, subject = d.subject, message = d.message, flow = d.flow,
    func = d.func, package = d.package, file = d.file, line = d.line, col = d.col,
    cost = d.cost, budget = d.budget, level = d.level, derefs = d.derefs, target = d.target,
    index = d.index,
  }
end

--- Variable sizes from DWARF, when the binary has them: a function
-- (func, name) -> bytes or nil. Variables moved to the heap carry their type
-- but often no size of their own; the type's size is then taken from another
-- variable of that type (met before or after it).
local function dwarf_sizes(binary, units)
  if not binary or type(binary.each_variable) ~= "function" then return nil end
  local ok, vars = pcall(binary.each_variable, binary, units and #units > 0 and { units = units } or nil)
  if not ok or type(vars) ~= "function" then return nil end
  local by_type, seen, by_var = {}, {}, {}
  ok = pcall(function()
    for v in vars do
      if v.size and v.type and v.type ~= "" then by_type[v.type] = v.size end
      if v.func and v.name then
        seen[#seen + 1] = v.func .. "\0" .. v.name
        seen[#seen + 1] = v.size or v.type or false
      end
    end
  end)
  if not ok then return nil end
  for i = 1, #seen, 2 do
    local s = seen[i + 1]
    local size = type(s) == "number" and s or by_type[s]
    if size then by_var[seen[i]] = size end
  end
  return function(func, name) return by_var[(func or "") .. "\0" .. (name or "")] end
end

-- Whether one path is the other or ends with it on a path boundary.
local function same_file(a, b)
  a, b = a:gsub("^%./", ""), b:gsub("^%./", "")
  if #a < #b then a, b = b, a end
  return a == b or (a:sub(-#b - 1) == "/" .. b)
end

-- Whether the log has any record for a file of the profile (the package
-- was compiled with -m), by base name and package.
local function log_has_file(log, file, pkg, cache)
  local key = file .. "\0" .. (pkg or "")
  local v = cache[key]
  if v == nil then
    v = false
    local base = basename(file)
    -- symbols of main packages say "main", the log's header the import path
    -- the first record of the file tells (its iterator stops there)
    local d = log:each { file = base, package = pkg ~= "main" and pkg or nil }()
    if d then
      v = true
      -- logopt keeps one <base>.json per package: another source with this
      -- base name (generic or inlined code from another package) may have
      -- taken the file of this one
      if d.source and d.source:match("%.json$") and d.file and not same_file(d.file, file) then
        cache.ambiguous = cache.ambiguous or {}
        cache.ambiguous[#cache.ambiguous + 1] = ("%s holds diagnostics of %s, none of %s: logopt "
          .. "writes one %s.json per package, so one source's diagnostics replaced the other's; "
          .. "use a text log (-gcflags=-m=2) for this file"):format(d.source, d.file, file,
          base:gsub("%.go$", ""))
      end
    end
    cache[key] = v
  end
  return v
end

-- Whether a heap diagnostic's subject names code on its source line (its
-- leading name, without a package qualifier, as a word): a log of other
-- sources than the profiled binary points at lines that say something
-- else. Code inlined into a call is reported at the call, where the
-- callee's names are not written: a line that calls one of the log's
-- inlinable functions tells nothing (nil).
local function subject_fits(d, text, inlinable_of)
  if d.kind ~= "moved_to_heap" and d.kind ~= "escapes_to_heap" then return nil end
  local name = (d.subject or ""):match("^&?([%a_][%w_%.]*)")
  local tok = name and name:match("([%a_][%w_]*)$")
  if not tok or tok == "func" then return nil end
  if text:match("%f[%w_]" .. tok:gsub("%p", "%%%0") .. "%f[^%w_]") then return true end
  for _, st in ipairs(d.flow or {}) do -- logopt marks inlined code so
    if (st.expr or ""):match("^inlined from") then return nil end
  end
  local inlinable = inlinable_of()
  for w in text:gmatch("([%a_][%w_]*)%s*%(") do
    if inlinable[w] then return nil end
  end
  return false
end

-- The short names of the log's inlinable functions ("NewT", "M" of
-- "(*T).M", "Gen" of "Gen[go.shape.int]"), grouped in C.
local function inlinable_names(log)
  local t = {}
  for _, g in ipairs(log:group { by = "subject", kind = "can_inline" }) do
    local n = (g.key or ""):gsub("%b[]", ""):match("([%a_][%w_]*)$")
    if n then t[n] = true end
  end
  return t
end

-- Module versions the log's module-cache paths name ("mod@v1.2.3/...").
local function log_versions(files)
  local v = {}
  for f in pairs(files) do
    local mod, ver = f:match("/pkg/mod/(.-)@(v[^/]+)/")
    if mod then v[mod] = ver end
  end
  return v
end

--- Warnings about inputs that do not belong together, once each: a log of
-- other sources than the profiled code (checked on the source lines it
-- points at), a binary built with other module versions than the log.
function M.mismatch(log, rows_recs, source, binary)
  local warnings = {}
  if source and #rows_recs > 0 then
    local inlinable
    local function inlinable_of()
      inlinable = inlinable or inlinable_names(log)
      return inlinable
    end
    local checked, off, example = 0, 0, nil
    for _, rr in ipairs(rows_recs) do
      for _, d in ipairs(rr.recs) do
        local text = source(rr.file, rr.line)
        local fits
        if text then fits = subject_fits(d, text, inlinable_of) end
        if fits == false then
          -- Code inlined at a call is reported at the call's position,
          -- where the callee's names are not written: it tells nothing.
          local all = rr.all
          if not all then
            all = {}
            for _, i in ipairs(log:at_line(rr.file, rr.line)) do all[#all + 1] = log:get(i) end
          end
          for _, o in ipairs(all) do
            if o.kind == "inlining_call" and o.line == d.line and o.col == d.col then fits = nil break end
          end
        end
        if fits ~= nil then
          checked = checked + 1
          if not fits then
            off = off + 1
            example = example or ("%s:%d says %q"):format(d.file, d.line, d.message)
          end
        end
      end
    end
    if checked >= 3 and off * 10 > checked * 3 then
      warnings[#warnings + 1] = ("the escape log does not match the profiled sources: %d of %d heap "
        .. "diagnostics in the profiled files name code that is not on their line (e.g. %s); build the log "
        .. "from the same sources as the binary, or the explanations are of other code"):format(off, checked, example)
    end
  end
  if binary and type(binary.deps) == "table" then
    local files = {}
    for _, rr in ipairs(rows_recs) do
      for _, d in ipairs(rr.recs) do files[d.file or ""] = true end
    end
    local lv = log_versions(files)
    for _, dep in ipairs(binary.deps) do
      local ver = dep.version and lv[dep.path or ""]
      if ver and ver ~= dep.version then
        warnings[#warnings + 1] = ("the binary was built with %s %s but the escape log with %s: "
          .. "their lines may differ"):format(dep.path, dep.version, ver)
      end
    end
  end
  return warnings
end

local OPTIONS = inputs.keys({ escape = "escape", profile = "profile", binary = "binary?" },
  { "sample", "n", "source" }, inputs.FILTERS)

-- The hotspots of opts (see the top of this file), or nil, err, code.
--- The explanation of source lines from a log: explain(r, recs, hooks) ->
-- {diagnostics = {...}, advice =, others =, recs =} for r = {file=, line=,
-- func=} (recs: the log's records of the line, looked up when nil; hooks:
-- size(d), a record's byte size, and runtime_of(), the runtime function the
-- line calls to allocate, for lines the compiler reported no heap move
-- for). Also returns the source reader, the cache of the files the log
-- holds (whose `ambiguous` lists logopt files that replaced each other) and
-- has_file(file, func): whether the log has records of that file (of the
-- function's package). Shared by hotspots and the trace's heap growth.
function M.explainer(log, opts)
  local source = lines.source_reader(opts)
  local env = { ctx = logctx.new(log), source = source }
  local seen_files = {}
  local function explain(r, recs, hooks)
    local pkg = lines.func_package(r.func)
    if not recs then
      recs = {}
      for k, i in ipairs(log:at_line(r.file, r.line, pkg)) do recs[k] = log:get(i) end
    end
    env.size = hooks and hooks.size or nil
    -- Source lines are read at the profile's path; the log's own path is
    -- tried when it is the one that exists (relative builds).
    env.source = source and function(file, line)
      return source(file, line) or (file ~= r.file and line == r.line and source(r.file, line)) or nil
    end or nil
    env.runtime_of = hooks and hooks.runtime_of or nil
    local absent = #recs == 0 and not log_has_file(log, r.file, pkg, seen_files)
    local l = advice.row(recs, env, r.file, r.line, absent)
    local diags = {}
    for _, v in ipairs(l.folded) do
      local dv = diag_view(v.rec, v.count)
      dv.advice = v.advice
      diags[#diags + 1] = dv
    end
    local best = l.best
    local fn = r.func
    if absent and not best then
      best = advice.fixed((fn and (fn:match("^runtime%.") or fn:match("^internal/runtime/")))
        and "runtime_internal" or "not_in_log")
    end
    local pool = hooks and hooks.pool
    -- (the pool's own bookkeeping, pinSlow's per-P arrays, is not a refill)
    if pool and pool >= 0.5 and not (fn or ""):match("^sync%.") then best = advice.pooled(best, math.min(pool, 1)) end
    return { diagnostics = diags, advice = best, others = #l.others > 0 and l.others or nil, recs = recs }
  end
  local function has_file(file, func)
    return file ~= nil and log_has_file(log, file, lines.func_package(func), seen_files)
  end
  return explain, source, seen_files, has_file
end

--- The share of each line's samples (func, file, line) whose stack passes
-- through sync.(*Pool).Get: a pool's New refilling it. A function of
-- (func, file, line, flat) -> share or nil.
function M.pool_shares(prof, sample)
  local rows = prof:top { by = "line", n = 0, sample = sample, focus = "^sync\\.\\(\\*Pool\\)\\.Get$" }
  local under = {}
  for _, r in ipairs(rows or {}) do
    if r.flat ~= 0 and r.file and r.line then
      under[(r.func or "") .. "\0" .. r.file .. "\0" .. r.line] = r.flat
    end
  end
  return function(func, file, line, flat)
    local u = under[(func or "") .. "\0" .. (file or "") .. "\0" .. (line or 0)]
    if not u or not flat or flat == 0 then return nil end
    return u / flat
  end
end

local function hotspots(inp, caller)
  local log, prof, bin
  do
    local err, code
    log, err, code = inp:open_escape("escape")
    if not log then return nil, err, code end
    prof, err, code = inp:open_profile("profile")
    if not prof then return nil, err, code end
    bin, err, code = inp:open_binary("binary")
    if err then return nil, err, code end
  end
  -- The opened inputs in place of the caller's fields, in a copy: the
  -- caller's table stays as it was.
  local opts = {}
  for k, v in pairs(caller) do opts[k] = v end
  opts.escape, opts.profile, opts.binary = log, prof, bin
  if opts.binary and type(prof.symbolize) == "function" then
    local err
    prof, err = prof:symbolize(opts.binary) -- a copy: the caller's profile stays as it was
    if not prof then return nil, err end
  end
  local rows, selected, total = prof:top(require("goescape.profile").query(opts, { by = "line", n = 0 }))
  if not rows then return nil, selected, total end
  local _, st = prof:sample_type(opts.sample)
  if type(st) ~= "table" then st = nil end
  -- The log's records of each costed line, read once.
  local costed, matched, files = {}, {}, {}
  for _, r in ipairs(rows) do
    if r.file and r.line then
      -- base name -> the profile's path for it (false when two paths share it)
      local b = basename(r.file)
      if files[b] == nil then files[b] = r.file elseif files[b] ~= r.file then files[b] = false end
    end
    if r.flat ~= 0 and r.file and r.line and r.line > 0 then
      local pkg = lines.func_package(r.func)
      local recs = {}
      for k, i in ipairs(log:at_line(r.file, r.line, pkg)) do
        matched[i] = true
        recs[k] = log:get(i)
      end
      costed[#costed + 1] = { r = r, pkg = pkg, recs = recs }
    end
  end
  -- DWARF of the packages whose costed lines move a variable to the heap:
  -- the units a large test binary holds for everything else are not read.
  local dw
  if opts.binary then
    local pkgs, seen = {}, {}
    for _, c in ipairs(costed) do
      if c.pkg and not seen[c.pkg] and #pkgs < 200 then
        for _, d in ipairs(c.recs) do
          if d.kind == "moved_to_heap" then
            seen[c.pkg] = true
            pkgs[#pkgs + 1] = c.pkg
            -- an external test package (pkg_test) has a unit of its own
            if not c.pkg:match("_test$") then pkgs[#pkgs + 1] = c.pkg .. "_test" end
            break
          end
        end
      end
    end
    if #pkgs > 0 then dw = dwarf_sizes(opts.binary, pkgs) end
  end
  local explain, source, seen_files = M.explainer(log, opts)
  local out, checked_rows = {}, {}
  -- The runtime function a line calls to allocate, read from the call
  -- instructions at its locations' addresses (runtime/pprof hides those
  -- frames in the profile itself); the index of locations by their
  -- innermost line is built on first use.
  local by_line
  local function called_allocator(r)
    if not by_line then
      by_line = {}
      local ok, locs = pcall(prof.locations, prof)
      for _, loc in ipairs(ok and locs or {}) do
        local ln = loc.lines and loc.lines[1]
        if ln and loc.address and loc.address ~= 0 then
          local k = (ln.func or "") .. "\0" .. (ln.file or "") .. "\0" .. (ln.line or 0)
          by_line[k] = by_line[k] or {}
          table.insert(by_line[k], loc.address)
        end
      end
    end
    local best, brank
    for _, a in ipairs(by_line[(r.func or "") .. "\0" .. r.file .. "\0" .. r.line] or {}) do
      local t, name = opts.binary:call_target(a)
      local reason = t and name and advice.runtime_reason(name)
      local rank = reason and advice.rank[reason] or nil
      if rank and (not brank or rank < brank) then best, brank = name, rank end
    end
    return best
  end
  local pool_of = M.pool_shares(prof, opts.sample)
  local with_diag = 0
  for _, c in ipairs(costed) do
    local r, recs = c.r, c.recs
    local fn = r.func
    local e = explain(r, recs, {
      size = dw and function(d) return d.kind == "moved_to_heap" and dw(fn, d.subject) or nil end,
      -- read from the binary only when the line's diagnostics report no heap move
      runtime_of = opts.binary and function() return called_allocator(r) end,
      pool = pool_of(r.func, r.file, r.line, r.flat),
    })
    local diags, best = e.diagnostics, e.advice
    if #diags > 0 then with_diag = with_diag + 1 end
    if #recs > 0 and #checked_rows < 200 then
      checked_rows[#checked_rows + 1] = { file = r.file, line = r.line, recs = recs, all = recs }
    end
    out[#out + 1] = {
      file = r.file, line = r.line, func = fn, flat = r.flat, cum = r.cum,
      diagnostics = diags, advice = best, others = e.others,
    }
  end
  local ranked = out
  if opts.n and opts.n > 0 and #out > opts.n then
    ranked = {}
    for i = 1, opts.n do ranked[i] = out[i] end
  end
  -- Heap diagnostics in the profiled files whose line costs nothing: the C
  -- filter picks them by file name first (a std log holds ~30k of them).
  local names = {}
  for b in pairs(files) do names[#names + 1] = b end
  table.sort(names)
  local uncosted = {}
  -- Lines that cost nothing are listed with the reason their own record
  -- gives, without lookups across the log (a std log has tens of thousands).
  if #names > 0 then
    for kind in pairs(HEAP) do
      for d in log:each { kind = kind, file = names } do
        if not matched[d.index] then
          local v = diag_view(d)
          v.advice = advice.explain(d)
          uncosted[#uncosted + 1] = v
          -- every heap record of a profiled file can tell whether the log is
          -- of these sources, costed or not
          local path = files[basename(d.file)]
          if path and #checked_rows < 400 and same_file(path, d.file) then
            checked_rows[#checked_rows + 1] = { file = path, line = d.line, recs = { d } }
          end
        end
      end
    end
    table.sort(uncosted, function(a, b) return a.index < b.index end)
  end
  return {
    rows = ranked,
    uncosted = uncosted,
    total = total,          -- what pprof takes percentages of (every sample)
    selected = selected,    -- the samples focus/ignore kept
    sample = st and { type = st.type, unit = st.unit } or nil,
    stats = { lines = #out, with_diagnostics = with_diag, uncosted = #uncosted },
    warnings = (function()
      local w = M.mismatch(log, checked_rows, source, opts.binary)
      for _, a in ipairs(seen_files.ambiguous or {}) do w[#w + 1] = a end
      return w
    end)(),
  }
end

return inputs.analysis(M, "hotspots", OPTIONS, hotspots)
