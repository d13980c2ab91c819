--- Go ELF binaries: pclntab (PC → frames with inlining), buildinfo, symbols, DWARF.
--
--   local b = assert(ge.binary.open("./app"))      -- the goescape.binary handle
--   b.go_version, b.path (main package), b.module {path, version, sum, replace},
--   b.deps, b.settings, b.pclntab_version, b.stripped, b.pie, b.has_dwarf, ...
--   b:lookup(pc) → frames (innermost first, physical function last), each
--     {func=, file=, line=, inlined=}; nil, err, code for corrupt tables
--   b:lookup_many{pc...} → a frame list per PC (in C); a PC that failed has
--     an empty list with error= and code=
--   b:call_target(pc) → address, name; b:func(name)
--   b:funcs() (a list) / b:each_func() (an iterator); b:symbols()
--   b:dwarf([{units=}]) → nil without DWARF; b:each_variable([{units=}])
--   b:symbolize_text(text, json[, file]); b:close() (also <close>, __gc)
--
-- The handle is the C userdata; its C methods live in goescape.core
-- (src/lua/lbinary*.c), the Lua ones below are added to the same table.
local core = require "goescape.core"
local handle = require "goescape.handle"
local options = require "goescape.options"

local M = {}
local LIMITS = { limits = true }
local UNITS = { units = true }

local class = handle.class("goescape.binary", "binary")
local methods = class.methods
-- The cached dwarf() of a handle, in its attributes under a key no field
-- name can reach.
local DWARF = {}

--- Opens a binary: returns it, or nil, message, code for bad input.
-- opts: {limits = {max_threads=, max_inline_depth=, ...}}.
function M.open(path, opts)
  if type(path) ~= "string" then error("goescape.binary.open: path (string) expected", 2) end
  local h, err, code = core.binary_open(path, options(opts, LIMITS, "goescape.binary.open").limits)
  if not h then return nil, err, code end
  local a = { file = path }
  for k, v in pairs(h:info()) do
    if k == "dwarf" then a.has_dwarf = v
    elseif k == "main_path" then a.path = v
    else a[k] = v end
  end
  return class.attach(h, a)
end

local call_target_c = methods.call_target
--- The function a call site calls: pc is a profile location's address (the
-- return address minus one); the direct call before it (amd64 CALL rel32,
-- arm64 BL) gives the callee's address and name, or nil; nil, err, code
-- when the machine code was not read yet and the file has changed since open.
function methods:call_target(pc)
  local t, err, code = call_target_c(self, pc)
  if not t then return nil, err, code end
  local frames = self:lookup(t)
  local outer = frames and frames[#frames]
  return t, outer and outer.func or nil
end

local dwarf_c = methods.dwarf
--- DWARF summary: {version, units = {...}, variables = {...}, inlined = {...}};
-- nil when the binary has none; nil, err, code when it is corrupt. Cached.
-- opts.units = {"import/path", ...} reads only those packages' units (Go
-- emits one per package), not cached: a report about a few packages of a
-- large binary reads a few units.
function methods:dwarf(opts)
  opts = options(opts, UNITS, "binary:dwarf")
  local a = class.attributes(self)
  if opts.units == nil and a and a[DWARF] ~= nil then return a[DWARF] or nil end
  local d, err, code = dwarf_c(self, opts.units and { units = opts.units } or nil)
  if d == nil and err then return nil, err, code end
  if opts.units == nil and a then a[DWARF] = d or false end
  return d
end

local each_variable_c = methods.each_variable
--- The variables dwarf() lists, one per step, without building the list:
-- `for v in assert(b:each_variable{units = {"main"}}) do ... end`. Nothing
-- without DWARF; nil, err, code when it is corrupt.
function methods:each_variable(opts)
  opts = options(opts, UNITS, "binary:each_variable")
  return each_variable_c(self, opts.units and { units = opts.units } or nil)
end

local close_c = methods.close
--- Closes the binary (its cached DWARF tables go with it); closing twice is
-- allowed, and any other method then raises.
function methods:close()
  close_c(self)
  local a = class.attributes(self)
  if a then a[DWARF] = nil end
end
-- `local b <close> = ge.binary.open(...)` (Lua 5.4) closes the same way;
-- __gc stays the C close (the attributes go with the handle).
class.metatable.__close = methods.close

M.Binary = methods
M.is_binary = class.is
return M
