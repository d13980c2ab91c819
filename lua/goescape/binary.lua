--- Go ELF binaries: pclntab (PC → frames with inlining), buildinfo, symbols, DWARF.
-- local b = assert(ge.binary.open("./app"))
-- b.go_version, b.path (main package), b.module {path, version, sum, replace},
-- b.deps, b.settings, b.pclntab_version, b.stripped, b.pie, b.has_dwarf
-- b:lookup(pc) → frames (innermost first, physical function last), each
--   {func=, func =, file=, line=, inlined=}
-- b:lookup_many{pc...} → list of frame lists (in C); b:funcs(); b:func(name);
-- b:symbols(); b:dwarf() → nil without DWARF; b:close().
local core = require "goescape.core"
local options = require "goescape.options"

local M = {}
local LIMITS = { limits = true }

local Binary = {}
Binary.__index = Binary

--- Opens a binary: returns it, or nil, message, code for bad input.
-- opts: {limits = {max_threads=, max_inline_depth=, ...}}.
function M.open(path, opts)
  if type(path) ~= "string" then error("goescape.binary.open: path (string) expected", 2) end
  local h, err, code = core.binary_open(path, options(opts, LIMITS, "goescape.binary.open").limits)
  if not h then return nil, err, code end
  local info = h:info()
  local b = setmetatable({ handle = h, file = path }, Binary)
  for k, v in pairs(info) do
    if k == "dwarf" then b.has_dwarf = v
    elseif k == "main_path" then b.path = v
    else b[k] = v end
  end
  return b
end

local function h(self)
  if getmetatable(self) ~= Binary then error("goescape.binary: method called without a binary", 3) end
  return self.handle
end

--- Frames for one PC (a number, or a hex string); nil, err for corrupt tables.
function Binary:lookup(pc) return h(self):lookup(pc) end

--- The function a call site calls: pc is a profile location's address (the
-- return address minus one); the direct call before it (amd64 CALL rel32,
-- arm64 BL) gives the callee's address and name, or nil; nil, err when the
-- machine code was not read yet and the file has changed since open.
function Binary:call_target(pc)
  local t, err = h(self):call_target(pc)
  if not t then return nil, err end
  local frames = h(self):lookup(t)
  local outer = frames and frames[#frames]
  return t, outer and outer.func or nil
end

--- Frames for each PC of a list, in one C call; the second result is the
-- first error met (its PC gets an empty frame list).
function Binary:lookup_many(list) return h(self):lookup_many(list) end

--- Every function: {name, file, line (start), entry, end}, in address order.
function Binary:funcs() return h(self):funcs() end

--- The function named `name`, or nil.
function Binary:func(name) return h(self):func(name) end

--- ELF symbols ({name, value, size, type}); an empty list when stripped.
function Binary:symbols() return h(self):symbols() end

--- DWARF summary: {version, units = {...}, variables = {...}, inlined = {...}};
-- nil when the binary has none; nil, err when it is corrupt. Cached.
-- opts.units = {"import/path", ...} reads only those packages' units (Go
-- emits one per package), not cached: a report about a few packages of a
-- large binary reads a few units.
function Binary:dwarf(opts)
  if opts ~= nil then
    if type(opts) ~= "table" then error("binary:dwarf: options table expected", 2) end
    if opts.units ~= nil then
      self._dwarf = nil -- the C side now holds the subset
      local d, err = h(self):dwarf { units = opts.units }
      if d == nil and err then return nil, err end
      return d
    end
  end
  if self._dwarf == nil then
    local d, err = h(self):dwarf()
    if d == nil and err then return nil, err end
    self._dwarf = d or false
  end
  return self._dwarf or nil
end

--- Symbolizes lines of hex PCs into text or JSON lines (the CLI's bulk path).
-- `text` is a string or an io file read to its end (a regular file from its
-- current position, into memory the call owns; at most max_inflated_bytes). Returns the answers as a string, or writes them
-- to `file` (an io file) and returns true; nil, err for a line that is not a
-- hex PC.
function Binary:symbolize_text(text, json, file) return h(self):symbolize_text(text, json, file) end

function Binary:close() h(self):close() end
-- `local b <close> = ge.binary.open(...)` (Lua 5.4); the C handle inside
-- frees itself when collected.
Binary.__close = Binary.close

function Binary:__tostring()
  return ("goescape.binary %s (%s)"):format(self.file, self.go_version or "unknown Go")
end

M.Binary = Binary
return M
