--- Go benchmark results (`go test -bench`, bare or `-json`) and benchstat's
-- comparison of two sets of them.
--
--   local old = assert(ge.bench.open({"old1.txt", "old2.txt"}))   -- or one path, "-"
--   for row in old:each() do print(row.name, row.unit, #row.values) end
--   local cmp = ge.bench.compare(old, "new.txt")
--   for _, r in ipairs(cmp.rows) do print(r.name, r.unit, r.old.center, r.delta, r.p) end
--
-- A row of a set is one (input, configuration, name, unit) with its values
-- in input order: {file, input, config = {goos = "linux", ...}, config_keys,
-- name, unit, values}. Parsing, statistics (median, its confidence
-- interval, the Mann-Whitney U test, geomeans) run in C; this module groups
-- the cells as benchstat does (one table per configuration and unit, one
-- row per full name, old against new) and says what benchstat would print.
local core = require "goescape.core"
local handle = require "goescape.handle"
local options = require "goescape.options"

local M = {}
local OPEN = { limits = true, strict = true }
local COMPARE = { confidence = true, alpha = true, limits = true, strict = true }

local class = handle.class("goescape.bench", "benchmark set")
M.is_bench = class.is

local function attach(s, err, code)
  if not s then return nil, err, code end
  return class.attach(s, s:info())
end

--- Reads one file or a list of files into one set. Lines benchstat would
-- skip with a message are skipped and listed in `set.warnings` (with
-- {strict = true} the first one is an error instead).
-- @param paths a path ("-" is stdin) or a list of paths
-- @param opts optional {limits = {...}, strict = bool}
-- @return set, or nil, error message, error code
function M.open(paths, opts)
  if type(paths) ~= "string" and type(paths) ~= "table" then
    error("bad argument #1 to 'open' (path or list of paths expected)", 2)
  end
  opts = options(opts, OPEN, "goescape.bench.open")
  return attach(core.bench_open(paths, opts.limits, opts.strict))
end

--- Reads benchmark output held in a Lua string (`name` stands for it).
function M.parse(text, name, opts)
  if type(text) ~= "string" then error("bad argument #1 to 'parse' (string expected)", 2) end
  opts = options(opts, OPEN, "goescape.bench.parse")
  return attach(core.bench_parse(text, name, opts.limits, opts.strict))
end

--- benchunit.Tidy: ("ns/op") -> "sec/op", 1e-9.
M.tidy = core.bench_tidy

--- A summary of values as benchstat's assumption for the unit makes it:
-- {center, lo, hi, confidence, n, need?} (median and its interval by
-- default; exact = true: the mode and [min, max]).
function M.summary(values, confidence, exact)
  return core.bench_summary(values, confidence or 0.95, exact)
end

--- benchfmt's Name.Parts: a full name ("Decode/text=digits/level=speed-8")
-- as its base name ("Decode"), its sub-benchmark parts ({{key = "text",
-- value = "digits"}, {key = "level", value = "speed"}}; a part without "="
-- has only a value) and its GOMAXPROCS (8; nil without a "-N" suffix).
function M.name_parts(name)
  if type(name) ~= "string" then error("bad argument #1 to 'name_parts' (string expected)", 2) end
  local rest, procs = name:match("^(.*)%-(%d+)$")
  if not rest then rest = name end
  local base, tail = rest:match("^([^/]*)(.*)$")
  local parts = {}
  for part in tail:gmatch("/([^/]*)") do
    local k, v = part:match("^([^=]*)=(.*)$")
    parts[#parts + 1] = k and { key = k, value = v } or { value = part }
  end
  return base, parts, procs and tonumber(procs)
end

--- The two-sided Mann-Whitney U test: p, exact (bool), and benchstat's
-- reason when the test fails ("all samples are equal": p is then 1).
M.utest = core.bench_utest

--- The geometric mean, nil when a value is <= 0 or there are none.
M.geomean = core.bench_geomean

-- ------------------------------------------------------------ compare

local function config_key(row)
  local parts = {}
  for i, k in ipairs(row.config_keys) do parts[i] = k .. "\t" .. row.config[k] .. "\n" end
  return table.concat(parts)
end

-- Go's %v of a float64: the shortest digits that read back as x, in
-- exponent form below 1e-4 and from 1e21 on.
local function go_v(x)
  if x ~= x then return "NaN" end
  if x == math.huge then return "+Inf" elseif x == -math.huge then return "-Inf" end
  if x == 0 then return "0" end
  local e
  for p = 0, 16 do
    e = ("%." .. p .. "e"):format(x)
    if tonumber(e) == x then break end
  end
  local mant, exp = e:match("^(.-)e([-+]%d+)$")
  exp = tonumber(exp)
  if exp < -4 or exp >= 21 then
    return ("%se%s%02d"):format(mant, exp < 0 and "-" or "+", math.abs(exp))
  end
  local digits = mant:gsub("[-.]", "")
  return ("%." .. math.max(0, #digits - 1 - exp) .. "f"):format(x)
end

-- Benchstat's ± text and its value as a fraction (nil when it is not a
-- number: "∞", "?").
local function ci_of(s)
  if s.lo == -math.huge or s.hi == math.huge then return nil, "∞" end
  local function sign(x) return x > 0 and 1 or x < 0 and -1 or 0 end
  local c = sign(s.center)
  if c ~= sign(s.lo) or c ~= sign(s.hi) then return nil, "?" end
  if s.center == 0 then return 0, "0%" end
  local v = math.max(s.hi / s.center - 1, 1 - s.lo / s.center)
  return v, core.bench_fmt("%.0f", 100 * v) .. "%"
end

-- The set's cells as benchstat groups them (in C: set:cells()), by key.
local function collect(set, cells, order)
  for _, c in ipairs(set:cells()) do
    c.ckey = config_key(c)
    local key = c.ckey .. "\0" .. c.name .. "\0" .. c.unit
    if not cells[key] then
      cells[key] = c
      order[#order + 1] = c
    end
  end
end

local function as_set(v, opts)
  if class.is(v) then return v, false end
  local s, err, code = M.open(v, { limits = opts.limits, strict = opts.strict })
  if not s then return nil, err, code end
  return s, true
end

local function assume_exact(sets, unit)
  for _, s in ipairs(sets) do
    if s:unit_meta(unit, "assume") == "exact" then return true end
  end
  return false
end

local function summarize(cell, conf, exact)
  local s = core.bench_summary(cell.values, conf, exact)
  local ci, ci_text = ci_of(s)
  local w = {}
  if s.need then
    w[#w + 1] = ("need >= %d samples for confidence interval at level %s"):format(s.need, tostring(conf))
  end
  if s.spread then
    local lo, hi = math.huge, -math.huge
    for _, v in ipairs(cell.values) do lo, hi = math.min(lo, v), math.max(hi, v) end
    w[#w + 1] = ("exact distribution expected, but values range from %s to %s"):format(go_v(lo), go_v(hi))
  end
  return { center = s.center, lo = s.lo, hi = s.hi, ci = ci, ci_text = ci_text, n = s.n,
           confidence = s.confidence }, w
end

-- benchmath.uTestMinP: the fewest values a side that can give p <= alpha.
local UMINP = { 1, 0.3333333333333333, 0.1, 0.02857142857142857, 0.007936507936507936,
                0.0021645021645021645, 0.0005827505827505828, 0.0001554001554001554,
                4.113533525298231e-05 }

local function usamples(alpha)
  for n, p in ipairs(UMINP) do if p <= alpha then return ">=", n end end
  return ">", #UMINP
end

local function delta_text(p, alpha, old, new)
  if p > alpha then return nil, "~" end
  if old == new then return 0, "0.00%" end
  if old == 0 then return nil, "?" end
  local d = new / old - 1
  return d, core.bench_fmt("%+.2f", d * 100) .. "%"
end

--- benchstat OLD NEW: one table per (configuration, unit), one row per
-- benchmark name present in either side, the new column compared with the
-- old one, and a geomean row per table.
-- @param old, new a set, a path, or a list of paths
-- @param opts {confidence = 0.95, alpha = 0.05, limits, strict}
-- @return {rows = {...}, tables = {{config, config_keys, unit, rows = {...}, geomean = row}}},
--   or nil, err, code when an input cannot be read
function M.compare(old, new, opts)
  opts = options(opts, COMPARE, "goescape.bench.compare")
  local conf, alpha = opts.confidence or 0.95, opts.alpha or 0.05
  local so, closeo, code, sn, closen
  so, closeo, code = as_set(old, opts)
  if not so then return nil, closeo, code end
  sn, closen, code = as_set(new, opts)
  if not sn then
    if closeo then so:close() end
    return nil, closen, code
  end
  local cells_o, cells_n, order_o, order_n = {}, {}, {}, {}
  collect(so, cells_o, order_o)
  collect(sn, cells_n, order_n)
  local sets = { so, sn }

  -- First-seen order of configurations, units and names over old then new,
  -- as benchproc sorts keys.
  -- Tables sort as benchproc sorts benchstat's ".config,.unit" keys: by
  -- each configuration key in the order keys were first seen, values
  -- compared as strings (a missing key is ""), then by unit in the order
  -- units were first seen. Rows sort by name in first-seen order.
  local key_ix, unit_ix, name_ix = {}, {}, {}
  local function note(ix, k) if not ix[k] then ix[#ix + 1] = k; ix[k] = #ix end end
  local tables, tables_by = {}, {}
  for _, order in ipairs({ order_o, order_n }) do
    for _, c in ipairs(order) do
      for _, k in ipairs(c.config_keys) do note(key_ix, k) end
      note(unit_ix, c.unit); note(name_ix, c.name)
      local tk = c.ckey .. "\0" .. c.unit
      local t = tables_by[tk]
      if not t then
        t = { config = c.config, config_keys = c.config_keys, ckey = c.ckey, unit = c.unit,
              names = {}, seen = {} }
        tables_by[tk] = t
        tables[#tables + 1] = t
      end
      if not t.seen[c.name] then t.seen[c.name] = true; t.names[#t.names + 1] = c.name end
    end
  end
  table.sort(tables, function(a, b)
    for _, k in ipairs(key_ix) do
      local x, y = a.config[k] or "", b.config[k] or ""
      if x ~= y then return x < y end
    end
    return unit_ix[a.unit] < unit_ix[b.unit]
  end)
  for _, t in ipairs(tables) do
    -- every key of the comparison, "" where this table's results had none
    local keys = {}
    for i, k in ipairs(key_ix) do keys[i] = k end
    t.all_keys = keys
  end

  local out = {}
  for ti, t in ipairs(tables) do
    table.sort(t.names, function(a, b) return name_ix[a] < name_ix[b] end)
    local exact = assume_exact(sets, t.unit)
    t.rows, t.seen = {}, nil
    local centers_o, centers_n, ratios, nbase, bad_ratio = {}, {}, {}, 0, false
    for _, name in ipairs(t.names) do
      local k = t.ckey .. "\0" .. name .. "\0" .. t.unit
      local co, cn = cells_o[k], cells_n[k]
      local row = { table = ti, name = name, unit = t.unit, config = t.config, warnings = {} }
      local function add(ws) for _, w in ipairs(ws) do row.warnings[#row.warnings + 1] = w end end
      if co then
        local w
        row.old, w = summarize(co, conf, exact)
        row.old.warnings = w
        add(w)
        centers_o[#centers_o + 1] = row.old.center
        nbase = nbase + 1
      end
      if cn then
        local w
        row.new, w = summarize(cn, conf, exact)
        row.new.warnings = w
        add(w)
        centers_n[#centers_n + 1] = row.new.center
      end
      if co and cn then
        local p
        if exact then
          p = 0
        else
          local _, why
          p, _, why = core.bench_utest(co.values, cn.values)
          local cw = { why }
          -- a failed test ("all samples are equal") says only that
          if not why and p > alpha then
            local op, need = usamples(alpha)
            if #co.values < need and #cn.values < need then
              cw[#cw + 1] = ("need %s %d samples to detect a difference at alpha level %s")
                :format(op, need, tostring(alpha))
            end
          end
          row.compare_warnings = cw
          add(cw)
        end
        row.p = p
        row.delta, row.delta_text = delta_text(p, alpha, row.old.center, row.new.center)
        local nn = #co.values == #cn.values and ("n=%d"):format(#co.values)
          or ("n=%d+%d"):format(#co.values, #cn.values)
        row.note = (p ~= 0 and ("p=" .. core.bench_fmt("%0.3f", p) .. " ") or "") .. nn
        local a, b = row.new.center, row.old.center
        if a == b then ratios[#ratios + 1] = 1
        elseif b == 0 then bad_ratio = true; ratios[#ratios + 1] = 0
        else ratios[#ratios + 1] = a / b end
      end
      t.rows[#t.rows + 1] = row
      out[#out + 1] = row
    end
    -- The geomean row (benchtab's summarizeCol), per column present: a
    -- table whose results all come from one side has that column alone,
    -- and it is its own baseline (no ratios).
    local g = { table = ti, name = "geomean", unit = t.unit, config = t.config, geomean = true,
                warnings = {} }
    local ws = g.warnings
    local function column(centers)
      local gm = core.bench_geomean(centers)
      local w = {}
      if not gm then w[1] = "summaries must be >0 to compute geomean" end
      return { center = gm, warnings = w }
    end
    local has_o, has_n = #centers_o > 0, #centers_n > 0
    if has_o then g.old = column(centers_o) end
    if has_n then g.new = column(centers_n) end
    if has_o and has_n then
      local nw = {}
      if nbase ~= #ratios then
        nw[1] = "benchmark set differs from baseline; geomeans may not be comparable"
      end
      nw[#nw + 1] = g.new.warnings[1]
      -- A zero baseline gives no ratio and no message; a zero ratio, a message.
      local gr = not bad_ratio and core.bench_geomean(ratios)
      if gr then
        g.delta = gr - 1
        g.delta_text = core.bench_fmt("%+.2f", (gr - 1) * 100) .. "%"
      else
        if not bad_ratio then nw[#nw + 1] = "ratios must be >0 to compute geomean" end
        g.delta_text = "?"
      end
      g.new.warnings = nw
    end
    for _, side in ipairs({ g.old or {}, g.new or {} }) do
      for _, w in ipairs(side.warnings or {}) do ws[#ws + 1] = w end
    end
    t.sides = { old = has_o, new = has_n }
    t.geomean = g
    out[#out + 1] = g
  end
  local labels = { table.concat(so.inputs, ","), table.concat(sn.inputs, ",") }
  if closeo then so:close() end
  if closen then sn:close() end
  return { rows = out, tables = tables, labels = labels }
end

return M
