--- Benchmark changes explained by escape-analysis changes: benchstat's
-- comparison of two sets of benchmark results, and for each benchmark whose
-- B/op or allocs/op changed significantly, the escape diff of the two
-- builds restricted to the functions on that benchmark's allocation profile.
--
--   local r = ge.analysis.benchdiff{
--     old = {bench = set|path|{paths}, escape = log|path|{paths},
--            profiles = {[benchmark name] = profile|path}},
--     new = {...the same...}
--     [, alpha = 0.05] [, confidence = 0.95] [, n = 5 (growth rows)]
--     [, units = {"B/op", "allocs/op"}]}
--   r.comparison   ge.bench.compare's result (benchstat's tables)
--   r.changes      one per significant change: {name=, package=, unit=, old=, new=, delta=,
--                  p=, escapes = {diff entries + called_by=}, growth = {rows}|nil,
--                  profiled = bool, text = "allocs/op 3 → 4 (+33%, p=0.002): ..."}
--   r.diff         the escape diff of the two logs (ge.analysis.diff)
--
-- A benchmark's functions are those with allocation samples in either
-- side's profile and their callers in the profiles' stacks: an escape
-- elsewhere in the program cannot explain that benchmark. The profiles'
-- keys are names as benchmark results print them ("Encode/small-2"), or
-- "PKG NAME" (PKG as the results' pkg: line says) when names of several
-- packages meet; a key without the -N GOMAXPROCS suffix matches too. Without a profile for
-- a benchmark its change is explained by the whole diff (profiled = false).
-- A change with no escape to show for it carries the growth rows of its
-- two profiles (ge.analysis.growth) instead.
local inputs = require "goescape.analysis.inputs"
local diffmod = require "goescape.analysis.diff"
local options = require "goescape.options"

local M = {}

local OPTIONS = inputs.keys({ "old", "new", "alpha", "confidence", "n", "units" })
local SIDE = { bench = true, escape = true, profiles = true }

-- What each category says about an allocation change, by its direction.
local MORE = { ["new-heap"] = "new heap escape", ["lost-inline"] = "lost inlining of" }
local LESS = { ["gone-heap"] = "no longer escapes:", ["gained-inline"] = "now inlined:" }

--- A function name as both an escape diff's scope and a profile's frame
-- meet: package-qualified, closure numbers and generic brackets dropped.
function M.func_key(name)
  if not name then return nil end
  return diffmod.stable_name((name:gsub("%b[]", "")))
end

--- A function name without its package path: "example.com/x.(*T).F" -> "(*T).F".
function M.short(name)
  local tail = name:match("^.*/(.*)$") or name
  return tail:match("^[^.]+%.(.+)$") or tail
end

--- The profile focus (a regexp, pprof's syntax) of one benchmark's own
-- stacks: its function and its closures (sub-benchmarks run in closures
-- that testing calls, not under the benchmark's frame). name as results
-- print it: "Encode/small-2".
function M.focus(name)
  local base = name:gsub("%-%d+$", ""):match("^[^/]*")
  return "\\.Benchmark" .. base:gsub("[\\%.%+%*%?%(%)%|%[%]%{%}%^%$]", "\\%0") .. "(\\.|$)"
end

--- The profile filter (pprof's ignore) that leaves out the testing
-- harness: testing.(*B).Run matches sub-benchmark names (compiling the
-- -bench pattern's regexps) under the parent benchmark's frame, while a
-- benchmark's body always runs in a goroutine of its own (run1, launch,
-- RunParallel) with no B.Run on its stack.
M.HARNESS = "^testing\\.\\(\\*B\\)\\.Run$"
local RUN = "testing.(*B).Run"

-- Whether a frame is the benchmark's function or one of its closures.
local function bench_frame(frame, base)
  local s = M.short(frame)
  return s == "Benchmark" .. base or s:sub(1, #base + 10) == "Benchmark" .. base .. "."
end

-- Functions of a benchmark's allocation stacks in a profile (every frame
-- of a sample with a value that passes through the benchmark: the
-- allocating function and its callers), each with its heaviest caller:
-- key -> {name =, callers = {name -> value}}. The rest of the profile is
-- the testing package and the runtime at work around the benchmark.
local function profile_funcs(prof, bench, into)
  local base = bench:gsub("%-%d+$", ""):match("^[^/]*")
  local sample
  for _, st in ipairs(prof.sample_types or {}) do
    if st.type == "alloc_space" then sample = st.type end
  end
  local folded = prof:folded { sample = sample }
  for line in folded:gmatch("[^\n]+") do
    local stack, v = line:match("^(.*) (%-?%d+)$")
    v = tonumber(v)
    if stack and v and v ~= 0 then
      local frames = {}
      local mine = false
      local harness = false
      for f in stack:gmatch("[^;]+") do
        frames[#frames + 1] = f
        mine = mine or bench_frame(f, base)
        harness = harness or f == RUN
      end
      if harness then mine = false end
      if not mine then frames = {} end
      for i, f in ipairs(frames) do
        local k = M.func_key(f)
        local e = into[k]
        if not e then e = { name = f, callers = {} }; into[k] = e end
        local caller = frames[i - 1]
        if caller and caller ~= f then e.callers[caller] = (e.callers[caller] or 0) + math.abs(v) end
      end
    end
  end
  return into
end

local function heaviest(callers)
  local best, bv
  for name, v in pairs(callers) do
    if not best or v > bv or (v == bv and name < best) then best, bv = name, v end
  end
  return best
end

local function pct(d) return ("%+.0f%%"):format(d * 100) end

local function num(x)
  if x == math.floor(x) and math.abs(x) < 1e15 then return ("%d"):format(x) end
  return ("%.4g"):format(x)
end

local function base(path) return (tostring(path or ""):match("[^/\\]*$")) end

--- One line for an escape entry: "new heap escape `buf` at x.go:41 in
-- (*T).encode, called by BenchmarkEncode".
function M.describe(e, more)
  local what = (more and MORE or LESS)[e.category] or e.category
  local s = ("%s `%s` at %s:%d"):format(what, e.subject or e.message or "?", base(e.file), e.line or 0)
  if e.func and e.func:sub(1, 1) ~= "@" then s = s .. " in " .. e.func end
  if e.called_by then s = s .. ", called by " .. M.short(e.called_by) end
  return s
end

-- Opens a side's inputs (paths or objects); returns side, or nil, err, code.
local function open_side(name, side, opened)
  if type(side) ~= "table" then error(("benchdiff: %s must be a table"):format(name), 4) end
  options(side, SIDE, "benchdiff: " .. name, 4)
  if side.bench == nil then error(("benchdiff: %s.bench is required"):format(name), 4) end
  local ge = require "goescape"
  local out = { bench = side.bench, profiles = {} }
  if side.escape ~= nil then
    if ge.escape.is_log(side.escape) then
      out.escape = side.escape
    else
      local log, err, code = ge.escape.open(side.escape)
      if not log then return nil, err, code end
      opened[#opened + 1] = log
      out.escape = log
    end
  end
  for k, p in pairs(side.profiles or {}) do
    if ge.profile.is_profile(p) then
      out.profiles[k] = p
    else
      local prof, err, code = ge.profile.open(p)
      if not prof then return nil, err, code end
      opened[#opened + 1] = prof
      out.profiles[k] = prof
    end
  end
  return out
end

-- A benchmark's profile: by "PKG NAME" (several packages), then NAME,
-- each with and without the -N suffix.
local function profile_for(side, r)
  local stripped = r.name:gsub("%-%d+$", "")
  local pkg = r.config and r.config.pkg
  return pkg and (side.profiles[pkg .. " " .. r.name] or side.profiles[pkg .. " " .. stripped])
    or side.profiles[r.name] or side.profiles[stripped]
end

local function significant(r, alpha, units)
  if r.geomean or not r.old or not r.new or r.p == nil then return false end
  -- a zero old center has no delta (benchstat's "?") but is a change
  return units[r.unit] and r.p <= alpha and r.old.center ~= r.new.center
    and (r.delta ~= nil or r.old.center == 0)
end

local function explain(r, old, new, d, opts)
  local more = r.new.center > r.old.center
  local pold, pnew = profile_for(old, r), profile_for(new, r)
  local funcs
  if pold or pnew then
    funcs = {}
    if pold then profile_funcs(pold, r.name, funcs) end
    if pnew then profile_funcs(pnew, r.name, funcs) end
  end
  local cats = more and MORE or LESS
  local escapes, dup = {}, {}
  for _, which in ipairs { "added", "removed", "changed" } do
    for _, e in ipairs(d[which]) do
      -- one line per escape: a package's diagnostics appear once per build
      -- that compiles it (its test variant, and as another package's import)
      local id = table.concat({ e.category, e.file or "", e.line or 0, e.col or 0, e.subject or "" }, "\0")
      if cats[e.category] and not dup[id] then
        dup[id] = true
        local key = e.func and M.func_key((e.package or "") .. "." .. e.func)
        local f = funcs and key and funcs[key]
        if not funcs or f then
          local x = {}
          for k, v in pairs(e) do x[k] = v end
          x.called_by = f and heaviest(f.callers)
          escapes[#escapes + 1] = x
        end
      end
    end
  end
  table.sort(escapes, function(a, b)
    if a.category ~= b.category then return a.category == "new-heap" or a.category == "gone-heap" end
    if a.file ~= b.file then return (a.file or "") < (b.file or "") end
    return (a.line or 0) < (b.line or 0)
  end)
  local head = ("%s %s → %s (%s, p=%.3f)"):format(r.unit, num(r.old.center), num(r.new.center),
    r.delta and pct(r.delta) or "from 0", r.p)
  local ch = { name = r.name, package = r.config and r.config.pkg, unit = r.unit, old = r.old,
    new = r.new, delta = r.delta, p = r.p,
    escapes = escapes, profiled = funcs ~= nil }
  if #escapes > 0 then
    local parts = {}
    for i, e in ipairs(escapes) do parts[i] = M.describe(e, more) end
    ch.text = head .. ": " .. table.concat(parts, "; ")
  else
    ch.text = head .. ": no escape change among the functions that allocate in this benchmark"
      .. ": look at the profile's growth"
    if pold and pnew then
      local ge = require "goescape"
      local g = ge.analysis.growth { before = pold, after = pnew, escape = new.escape,
        sample = r.unit == "allocs/op" and "alloc_objects" or "alloc_space", n = opts.n or 5,
        focus = M.focus(r.name), ignore = M.HARNESS }
      ch.growth = g and g.rows
    end
  end
  return ch
end

local function benchdiff(_, opts)
  local ge = require "goescape"
  local opened = {}
  local function fail(...)
    for i = #opened, 1, -1 do opened[i]:close() end
    return ...
  end
  local old, err, code = open_side("old", opts.old, opened)
  if not old then return fail(nil, err, code) end
  local new
  new, err, code = open_side("new", opts.new, opened)
  if not new then return fail(nil, err, code) end
  local cmp
  cmp, err, code = ge.bench.compare(old.bench, new.bench,
    { alpha = opts.alpha, confidence = opts.confidence })
  if not cmp then return fail(nil, err, code) end
  local d = { added = {}, removed = {}, changed = {} }
  if old.escape and new.escape then
    d, err, code = ge.analysis.diff { before = old.escape, after = new.escape }
    if not d then return fail(nil, err, code) end
  end
  local units = {}
  for _, u in ipairs(opts.units or { "B/op", "allocs/op" }) do units[u] = true end
  local changes = {}
  for _, r in ipairs(cmp.rows) do
    if significant(r, opts.alpha or 0.05, units) then changes[#changes + 1] = explain(r, old, new, d, opts) end
  end
  return fail({ comparison = cmp, changes = changes, diff = d })
end

return inputs.analysis(M, "benchdiff", OPTIONS, benchdiff)
