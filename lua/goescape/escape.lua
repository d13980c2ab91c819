--- Compiler escape/inlining diagnostics.
--
--   local log = assert(ge.escape.open("build.log"))   -- text, logopt dir/file, "-", or a list
--   for d in log:each{kind = "moved_to_heap", package = "net/http"} do ... end
--   log:count{kind = "escape"}   log:summary()   log:group{by = "package", kind = ...}
--
-- Records are tables: kind, file, line, col, package, func, subject, message,
-- target, cost, budget, level, derefs, size, flow (list of steps), index,
-- input_line, source. Parsing, filtering and grouping run in C.
local core = require "goescape.core"
local handle = require "goescape.handle"
local options = require "goescape.options"

local M = {}
local LIMITS = { limits = true }
local STREAM = { limits = true, filter = true }

local class = handle.class("goescape.log", "log")
local methods = class.methods

--- Opens text logs, logopt JSON files or directories ("-" is stdin).
-- @param paths a path or a list of paths
-- @param opts optional {limits = {...}}
-- @return log, or nil, error message, error code
function M.open(paths, opts)
  if type(paths) ~= "string" and type(paths) ~= "table" then
    error("bad argument #1 to 'open' (path or list of paths expected)", 2)
  end
  return core.log_open(paths, options(opts, LIMITS, "goescape.escape.open").limits)
end

--- Parses log text (or logopt JSON) held in a Lua string.
function M.parse(text, name, opts)
  if type(text) ~= "string" then error("bad argument #1 to 'parse' (string expected)", 2) end
  return core.log_parse(text, name, options(opts, LIMITS, "goescape.escape.parse").limits)
end

--- Streams a text log (or "-") in bounded memory, calling fn(record) for each
-- record that passes opts.filter ({kind=, package=, file=, func=}, tested in
-- C); fn may return false to stop. Returns the statistics, or nil, err.
function M.stream(path, fn, opts)
  if type(fn) ~= "function" then error("bad argument #2 to 'stream' (function expected)", 2) end
  opts = options(opts, STREAM, "goescape.escape.stream")
  return core.log_stream(path, fn, opts.limits, opts.filter)
end

--- The kinds that are a heap allocation: the compiler moved a variable to
-- the heap, or an expression's value escapes to it. (`too_large_for_stack`
-- and `non_constant_size` only annotate one of these, never stand alone.)
M.HEAP = { moved_to_heap = true, escapes_to_heap = true }

--- The closed set of kinds, with their family ("escape", "inline", "other").
function M.kinds()
  local t = {}
  for _, k in ipairs(core.kinds()) do t[#t + 1] = { kind = k, family = core.kind_family(k) } end
  return t
end

local function check_filter(f, fname)
  if f ~= nil and type(f) ~= "table" then
    error(("bad argument #1 to '%s' (filter table expected)"):format(fname), 3)
  end
  return f
end

--- Iterates over records in log order, optionally filtered.
function methods:each(filter) return self:iter(check_filter(filter, "each")) end

--- All records matching the filter, as a list.
function methods:list(filter)
  local t = {}
  for r in self:iter(check_filter(filter, "list")) do t[#t + 1] = r end
  return t
end

local group_c = methods.group
--- Groups records: log:group{by = "kind"|"package"|"file"|"func"|"subject"|"line",
-- kind=, package=, file=, func=}. Rows {key=, count=} ({file=, line=, count=}
-- for "line"), most frequent first.
function methods:group(opts)
  if type(opts) == "string" then return group_c(self, opts) end
  if type(opts) ~= "table" or type(opts.by) ~= "string" then
    error("bad argument #1 to 'group' ({by = ...} expected)", 2)
  end
  return group_c(self, opts.by, opts)
end

--- Counts by kind and by package, plus parse statistics.
-- { total=, stats=, by_kind = {kind = n}, by_package = {pkg = n},
--   kinds = {{key=, count=}...}, packages = {{key=, count=, heap=}...} }
function methods:summary()
  local s = { total = #self, stats = self:stats(), by_kind = {}, by_package = {} }
  s.kinds = group_c(self, "kind")
  for _, r in ipairs(s.kinds) do s.by_kind[r.key] = r.count end
  s.packages = group_c(self, "package")
  local heap = {}
  for k in pairs(M.HEAP) do
    for _, r in ipairs(group_c(self, "package", { kind = k })) do
      heap[r.key] = (heap[r.key] or 0) + r.count
    end
  end
  for _, r in ipairs(s.packages) do
    s.by_package[r.key] = r.count
    r.heap = heap[r.key] or 0
  end
  return s
end

M.Log = methods
M.is_log = class.is
return M
