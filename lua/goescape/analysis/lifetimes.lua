--- Heap object lifetimes joined with the escapes that make them: the types
-- of a GODEBUG=traceallocfree=1 trace (t:lifetimes(): objects allocated,
-- freed, and how many GC cycles they survived), each with the escape
-- records of the same build that allocate objects of that type. A type
-- whose objects mostly die before the next GC is "short": its escapes put
-- on the heap what the stack could hold; a "long" one is retained (pools,
-- caches, globals, long-lived structures).
--
--   local lt = ge.analysis.lifetimes{trace = t [, escape = log] [, binary = bin]
--                                    [, profile = prof [, sample = "alloc_space"]] [, n = 20]}
--   lt.rows     t:lifetimes()'s rows by bytes allocated (the first n), each
--               with class ("short" or "long") and escapes = {{file=, line=,
--               col=, func=, package=, kind=, message=, advice=, bytes=}...}
--
-- A type is allocated by every escape that can make it, in the tests and
-- code paths the run never took as well: a heap profile of the same run
-- (profile) gives each escape its line's bytes (`bytes`) and puts the
-- escapes the run did allocate at first, most bytes first.
--   lt.totals   t:lifetimes().totals
--
-- How a record names its type: a variable moved to the heap has the type
-- DWARF gives it in the binary (binary); `&T{...}`, `new(T)` and `T{...}`
-- name it in the subject (T qualified with the record's package); a map
-- literal or make(map...) makes the runtime's map groups (map.group[K]V,
-- map.bucket[K]V before Go 1.24); make([]T, n) makes T's; a value boxed into
-- an interface is the runtime's *InterfacePtr types (the convT helpers'
-- own). Type names are compared as the runtime writes them: qualified by
-- package name, not import path.
local inputs = require "goescape.analysis.inputs"
local lines = require "goescape.analysis.lines"

local M = {}

local OPTIONS = inputs.keys({ trace = "trace", escape = "escape?", binary = "binary?",
  profile = "profile?" }, { "n", "sample" })

local BUILTIN = {
  bool = true, string = true, int = true, int8 = true, int16 = true, int32 = true, int64 = true,
  uint = true, uint8 = true, uint16 = true, uint32 = true, uint64 = true, uintptr = true,
  float32 = true, float64 = true, complex64 = true, complex128 = true, byte = "uint8", rune = "int32",
  any = "interface {}", error = true, map = true, chan = true, func = true, struct = true,
  interface = true,
}

--- A type name as the runtime writes it: import paths cut to the package
-- name ("compress/flate.Writer" -> "flate.Writer").
local function runtime_name(s) return (s:gsub("[%w%._%-]+/", "")) end
M.runtime_name = runtime_name

-- The last element of an import path: the package's name but for main.
local function pkg_name(path) return path and path:match("([^/]+)$") or nil end

-- A type expression of a subject with its bare names qualified by pkg.
local function qualify(expr, pkg)
  return (expr:gsub("()([%a_][%w_]*)()", function(at, name, after)
    local prev = at > 1 and expr:sub(at - 1, at - 1) or ""
    if prev == "." or expr:sub(after, after) == "." then return name end -- qualified already
    local b = BUILTIN[name]
    if b then return b == true and name or b end
    return pkg .. "." .. name
  end))
end

-- The types a heap record allocates: list of runtime type names.
local function record_types(d, var_type)
  local out = {}
  local pkgs = {}
  local p = pkg_name(d.package)
  if p then pkgs[#pkgs + 1] = p end
  if p ~= "main" then pkgs[#pkgs + 1] = "main" end -- a command's package says main in its symbols
  local s = d.subject or ""
  if d.kind == "moved_to_heap" then
    if var_type then
      local ty = var_type(d)
      if ty then out[#out + 1] = runtime_name(ty) end
    end
    return out
  end
  local t = s:match("^&([%w_%.%[%]%*]+)%b{}$") or s:match("^new%((.+)%)$") or s:match("^([%w_%.]+)%b{}$")
  local mk = s:match("^make%(%[%]([^,%)]+)")
  local mp = s:match("^(map%b[][^{]*)%b{}$") or s:match("^make%((map%b[][^,%)]*)")
  for _, pk in ipairs(pkgs) do
    if t then out[#out + 1] = runtime_name(qualify(t, pk)) end
    if mk then out[#out + 1] = runtime_name(qualify(mk, pk)) end
    if mp then
      local q = runtime_name(qualify(mp, pk))
      out[#out + 1] = q:gsub("^map", "map.group", 1)
      out[#out + 1] = q:gsub("^map", "map.bucket", 1)
    end
  end
  return out
end
M.record_types = record_types

-- The DWARF type of a record's variable: function(d) -> type or nil. A
-- variable of an inlined call is reported at the call, in the caller: the
-- log's "inlining call to F" at the same position names the function whose
-- variable it is.
local function dwarf_types(bin, log)
  if not bin then return nil end
  local by = {}
  local ok = pcall(function()
    for v in bin:each_variable() do
      if v.func and v.name and v.type and v.type ~= "" then
        by[runtime_name(v.func) .. "\0" .. v.name] = v.type
      end
    end
  end)
  if not ok then return nil end
  local inlined = {}
  for d in log:each { kind = "inlining_call" } do
    if d.subject then inlined[d.file .. ":" .. d.line .. ":" .. (d.col or 0)] = d.subject end
  end
  return function(d)
    if not d.func or not d.subject then return nil end
    local fn = inlined[d.file .. ":" .. d.line .. ":" .. (d.col or 0)] or d.func
    fn = runtime_name(fn)
    if fn:find(".", 1, true) and not fn:match("^%(") then -- already qualified (pkg.F)
      local ty = by[fn .. "\0" .. d.subject]
      if ty then return ty end
    end
    local p = pkg_name(d.package)
    return (p and by[p .. "." .. fn .. "\0" .. d.subject]) or by["main." .. fn .. "\0" .. d.subject]
  end
end

local function view(d, advice)
  local a = advice.explain(d)
  return {
    file = d.file, line = d.line, col = d.col, func = d.func, package = d.package, kind = d.kind,
    message = d.message, advice = a and { reason = a.reason, title = a.title, fix = a.fix } or nil,
  }
end

local function lifetimes(inp, opts)
  local t, err, code = inp:open_trace("trace")
  if not t then return nil, err, code end
  local log
  log, err, code = inp:open_escape("escape")
  if err then return nil, err, code end
  local bin
  bin, err, code = inp:open_binary("binary")
  if err then return nil, err, code end
  local prof
  prof, err, code = inp:open_profile("profile")
  if err then return nil, err, code end
  local rows
  rows, err, code = t:lifetimes()
  if not rows then return nil, err, code end
  local n = opts.n or 20

  -- the profile's bytes per line (the innermost line of each location's
  -- samples: where the allocation is)
  local bytes
  if prof then
    local top, e2, c2 = prof:top { by = "line", sample = opts.sample, n = 0 }
    if not top then return nil, e2, c2 end
    bytes = {}
    for _, r in ipairs(top) do
      if r.file and r.line and r.flat ~= 0 then
        local k = lines.unversioned(r.file) .. ":" .. r.line
        bytes[k] = (bytes[k] or 0) + r.flat
      end
    end
  end

  local by_type, boxing = {}, {}
  if log then
    local advice = require "goescape.analysis.advice"
    local var_type = dwarf_types(bin, log)
    for _, kind in ipairs { "moved_to_heap", "escapes_to_heap" } do
      for d in log:each { kind = kind } do
        local v
        for _, ty in ipairs(record_types(d, var_type)) do
          local l = by_type[ty]
          if not l then l = {}; by_type[ty] = l end
          v = v or view(d, advice)
          l[#l + 1] = v
        end
        if kind == "escapes_to_heap" then
          local a = advice.explain(d)
          if a and (a.reason == "interface" or a.reason == "interface_pointer") then
            boxing[#boxing + 1] = v or view(d, advice)
          end
        end
      end
    end
  end

  local out = {}
  for i, r in ipairs(rows) do
    if n > 0 and i > n then break end
    r.class = r.allocs > 0 and r.survived[0] * 2 > r.allocs and "short" or "long"
    if log then
      local list = r.type:match("^runtime%.%w+InterfacePtr$") and boxing or by_type[r.type] or {}
      local seen, escapes = {}, {}
      for _, v in ipairs(list) do
        local k = v.file .. ":" .. v.line .. ":" .. (v.col or 0) .. ":" .. v.message
        if not seen[k] then seen[k] = true; escapes[#escapes + 1] = v end
      end
      if bytes then
        for k, v in ipairs(escapes) do
          v.bytes = bytes[lines.unversioned(v.file) .. ":" .. v.line]
          v.order = k
        end
        table.sort(escapes, function(a, b)
          local x, y = a.bytes or -1, b.bytes or -1
          if x ~= y then return x > y end
          return a.order < b.order
        end)
        for _, v in ipairs(escapes) do v.order = nil end
      end
      r.escapes = escapes
    end
    out[#out + 1] = r
  end
  return { rows = out, totals = rows.totals }
end

return inputs.analysis(M, "lifetimes", OPTIONS, lifetimes)
