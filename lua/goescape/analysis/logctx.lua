--- Lookups across the records of one escape log, for explanations that
-- need more than one diagnostic: the function around a position, a callee's
-- parameters and where each leaks, the record of a "{storage for X}".
--
--   local ctx = logctx.new(log)
--   ctx:func_at(file, line)            --> {name=, file=, line=, unhandled=} or nil
--   ctx:callee_param(step, caller_pkg [, hint])  --> param or nil (see below)
--   ctx:storage(subject, file, line)   --> the record that allocates "{storage for subject}"
--
-- Every lookup asks the C filter for one package or one file and memoizes,
-- so a report touches a few hundred records of a log of millions.
local M = {}
M.__index = M

local LEAK_KINDS = { "leaking_param", "leaking_param_content", "leaking_param_result", "param_leaks" }

function M.new(log)
  return setmetatable({ log = log, files = {}, pkgfuncs = {}, params = {}, storage_cache = {} }, M)
end

--- The functions declared in a file, from the inliner's verdict on each
-- ("can inline F" / "cannot inline F: reason" at the declaration), sorted by
-- line. A log built without -m at all has none.
function M:funcs_in(file)
  local t = self.files[file]
  if t then return t end
  t = {}
  for _, kind in ipairs { "can_inline", "cannot_inline" } do
    for d in self.log:each { kind = kind, file = file } do
      if d.file == file and d.subject and d.line then
        local op = kind == "cannot_inline" and (d.target or ""):match("^unhandled op (%u+)") or nil
        t[#t + 1] = { name = d.subject, file = d.file, line = d.line, col = d.col or 0, unhandled = op,
          package = d.package }
      end
    end
  end
  table.sort(t, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    return a.name < b.name
  end)
  self.files[file] = t
  return t
end

--- The function whose declaration is the last one at or before file:line.
function M:func_at(file, line)
  local fs = self:funcs_in(file)
  local lo, hi, best = 1, #fs, nil
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    if fs[mid].line <= line then best = fs[mid]; lo = mid + 1 else hi = mid - 1 end
  end
  return best
end

-- The package name Go uses as a qualifier for an import path: the last
-- element, without a major-version element ("/v2"), a gopkg.in ".v3" or a
-- "go-" prefix.
local function short_name(path)
  local els = {}
  for e in path:gmatch("[^/]+") do els[#els + 1] = e end
  local last = els[#els] or path
  if last:match("^v%d+$") and #els > 1 then last = els[#els - 1] end
  last = last:gsub("%.v%d+$", ""):gsub("^go%-", ""):gsub("[%-%.]", "_")
  return last
end
M.short_name = short_name

function M:packages_named(q)
  if not self.by_short then
    self.by_short = {}
    for _, g in ipairs(self.log:group { by = "package" }) do
      local s = short_name(g.key)
      self.by_short[s] = self.by_short[s] or {}
      table.insert(self.by_short[s], g.key)
    end
  end
  return self.by_short[q] or {}
end

--- Candidate (package, function name) pairs for a callee as the compiler
-- prints it in a call: "(*zap.Logger).Info", "zap.Any", "T.M", "f",
-- "F[go.shape.int]". The names are those of "can inline"/"leaking param ...
-- for F" records: "(*Logger).Info", "Any".
function M:callee_candidates(callee, caller_pkg)
  local c = (callee or ""):gsub("%b[]", "")
  local out = {}
  local function add(pkgs, name) for _, p in ipairs(pkgs) do out[#out + 1] = { package = p, name = name } end end
  local here = caller_pkg and { caller_pkg } or {}
  local star, q, typ, meth = c:match("^%((%*?)([%w_]+)%.([%w_]+)%)%.([%w_]+)$")
  if q then
    add(self:packages_named(q), star == "*" and ("(*" .. typ .. ")." .. meth) or (typ .. "." .. meth))
    return out
  end
  star, typ, meth = c:match("^%((%*?)([%w_]+)%)%.([%w_]+)$")
  if typ then
    add(here, star == "*" and ("(*" .. typ .. ")." .. meth) or (typ .. "." .. meth))
    return out
  end
  q, typ, meth = c:match("^([%w_]+)%.([%w_]+)%.([%w_]+)$")
  if q then add(self:packages_named(q), typ .. "." .. meth); return out end
  q, meth = c:match("^([%w_]+)%.([%w_]+)$")
  if q then
    add(self:packages_named(q), meth)
    add(here, q .. "." .. meth)
    return out
  end
  if c:match("^[%w_]+$") then add(here, c) end
  return out
end

-- The records about the parameters of each function of a package, grouped
-- by function name: leak records anywhere, and "does not escape" at the
-- declaration line (receivers and parameters that do not leak), so that
-- their order by position is the order of the parameters.
function M:package_params(pkg)
  local t = self.params[pkg]
  if t then return t end
  t = {}
  local function owner(d)
    if d.func and d.func ~= "" then return d.func end
    local f = d.file and d.line and self:func_at(d.file, d.line)
    return f and f.name
  end
  local function slot(name, d)
    local fn = t[name]
    if not fn then fn = { list = {}, at = {} }; t[name] = fn end
    local key = d.line .. ":" .. (d.col or 0)
    local p = fn.at[key]
    if not p then
      p = { name = d.subject, file = d.file, line = d.line, col = d.col or 0 }
      fn.at[key] = p
      fn.list[#fn.list + 1] = p
    end
    return p
  end
  for _, kind in ipairs(LEAK_KINDS) do
    for d in self.log:each { kind = kind, package = pkg } do
      local name = owner(d)
      if name and d.line then
        local p = slot(name, d)
        if kind == "param_leaks" then
          p.flow_record = p.flow_record or d
          p.leaks_to = p.leaks_to or d.target
        else
          p.kind = p.kind or kind
          if kind == "leaking_param" then p.kind = kind end
          p.target = p.target or d.target
        end
      end
    end
  end
  for d in self.log:each { kind = "does_not_escape", package = pkg } do
    local f = d.file and d.line and self:func_at(d.file, d.line)
    if f and f.line == d.line and d.subject and d.subject:match("^[%a_][%w_]*$") then
      local p = slot(d.func or f.name, d)
      p.no_escape = true
    end
  end
  for _, fn in pairs(t) do
    table.sort(fn.list, function(a, b)
      if a.line ~= b.line then return a.line < b.line end
      return a.col < b.col
    end)
  end
  self.params[pkg] = t
  return t
end

-- Splits the argument list of a printed call at top-level commas.
local function call_args(expr, callee)
  local s = expr:sub(#callee + 2, -2)
  local args, depth, start = {}, 0, 1
  local i, n = 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == '"' then
      i = i + 1
      while i <= n and s:sub(i, i) ~= '"' do
        if s:sub(i, i) == "\\" then i = i + 1 end
        i = i + 1
      end
    elseif c == "(" or c == "[" or c == "{" then depth = depth + 1
    elseif c == ")" or c == "]" or c == "}" then depth = depth - 1
    elseif c == "," and depth == 0 then
      args[#args + 1] = s:sub(start, i - 1):match("^%s*(.-)%s*$")
      start = i + 1
    end
    i = i + 1
  end
  local last = s:sub(start):match("^%s*(.-)%s*$")
  if last ~= "" then args[#args + 1] = last end
  return args
end
M.call_args = call_args

local function leaks(p) return p.kind or p.flow_record end

--- The callee parameter a "call parameter" step passes its value into:
-- {callee=, package=, func=, name=, file=, line=, col=, kind=, leaks_to=,
--  flow_record=, variadic=} or nil when the log does not describe the callee
-- (another package not built with -m, or a function value). `hint` is the
-- argument as the previous step printed it ("... argument", "&x", "x").
function M:callee_param(step, caller_pkg, hint)
  local callee = step and step.callee
  if not callee or callee == "" then return nil end
  local args = step.expr and call_args(step.expr, callee) or {}
  local argi
  for i, a in ipairs(args) do
    if a == "... argument..." then
      if hint == "... argument" then argi = i end
    elseif hint and (a == hint or a == "&" .. hint or a == hint .. "...") then
      argi = argi or i
    end
  end
  -- The ... argument slice, or a slice spread with "s...", is the last
  -- parameter whatever the callee's other parameters are.
  local variadic = argi and argi == #args and args[argi]:sub(-3) == "..."
  for _, cand in ipairs(self:callee_candidates(callee, caller_pkg)) do
    local fn = self:package_params(cand.package)[cand.name]
    if fn and #fn.list > 0 then
      local pick
      if variadic then
        pick = fn.list[#fn.list]
      elseif argi and #fn.list == #args then
        pick = fn.list[argi]
      end
      if not pick or not leaks(pick) then
        local leaking = {}
        for _, p in ipairs(fn.list) do if leaks(p) then leaking[#leaking + 1] = p end end
        if #leaking == 1 then pick = leaking[1] else pick = nil end
      end
      if pick and leaks(pick) then
        return {
          callee = callee, package = cand.package, func = cand.name, name = pick.name,
          file = pick.file, line = pick.line, col = pick.col, kind = pick.kind,
          leaks_to = pick.leaks_to, flow_record = pick.flow_record, variadic = variadic or nil,
        }
      end
    end
  end
  return nil
end

--- Whether a printed callee may be a call through a value (an interface
-- method or a func value): an indexed or called receiver
-- ("ce.cores[i].Write", "f().M"), or "x.M" / "x.y.M" where x names no
-- package of the log and no method in the caller's package. Those forms are
-- also how a method of a concrete type, or a function of a package the log
-- has no records for, is printed: true means "may be". "value" is certain:
-- a bare name the caller's package does not declare.
-- A bare name ("withMethod", "fn") is a call through a func value when the
-- caller's package declares no function of that name: -m=2 gives every
-- declared function an inliner verdict, so a package with verdicts and none
-- for the name calls a variable (a parameter, a local, a field's func).
local BUILTINS = {}
for b in ("append cap clear close complex copy delete imag len make max min new panic print "
  .. "println real recover"):gmatch("%S+") do BUILTINS[b] = true end

function M:dynamic_call(callee, caller_pkg)
  local c = callee or ""
  if c:match("^%(") or c:match("^func literal") then return false end
  if c:find("[", 1, true) or c:find("(", 1, true) then return true end
  local q = c:match("^([%w_]+)%.")
  if not q then
    if not (caller_pkg and c:match("^[%a_][%w_]*$")) or BUILTINS[c] then return false end
    local names = self:declared(caller_pkg)
    return next(names) ~= nil and not names[c] and "value"
  end
  return #self:packages_named(q) == 0 and not c:match("^[%u]")
end

--- The names of a package's declared functions and methods ("F",
-- "(*T).M", "F.func1"), from the inliner's verdicts; empty for a log
-- built without -m=2.
function M:declared(pkg)
  self.decl = self.decl or {}
  local t = self.decl[pkg]
  if t then return t end
  t = {}
  for _, kind in ipairs { "can_inline", "cannot_inline" } do
    for d in self.log:each { kind = kind, package = pkg } do
      if d.subject then t[d.subject] = true end
    end
  end
  self.decl[pkg] = t
  return t
end

--- The record that allocates "{storage for SUBJECT}" (a composite literal,
-- a make, a func literal) near file:line: same file, same subject, the
-- nearest position at or before the line in the same function. The heap
-- records of a file are indexed by subject once.
function M:storage(subject, file, line)
  if not file then return nil end
  local idx = self.storage_cache[file]
  if not idx then
    idx = {}
    for _, kind in ipairs { "escapes_to_heap", "moved_to_heap" } do
      for d in self.log:each { kind = kind, file = file } do
        if d.file == file and d.subject and d.line then
          idx[d.subject] = idx[d.subject] or {}
          table.insert(idx[d.subject], d)
        end
      end
    end
    self.storage_cache[file] = idx
  end
  local f = line and self:func_at(file, line)
  local best
  for _, d in ipairs(idx[subject] or {}) do
    if (not line or d.line <= line) and (not f or d.line >= f.line)
      and (not best or d.line > best.line) then
      best = d
    end
  end
  return best
end

return M
