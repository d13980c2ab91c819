--- Go heap dumps (`runtime/debug.WriteHeapDump`): the objects, their
-- pointers and the roots, the dominator tree, retained sizes and the
-- shortest path from a root to any object.
--
--   local d = assert(ge.heapdump.open("heap.dump", {binary = bin}))
--   for _, r in ipairs(d:retainers{n = 10}) do
--     print(r.size, r.retained, ge.heapdump.path_text(r.path))
--   end
--
-- d:info() → {go_version, goarch, ptr_size, objects, pointers, roots,
--   heap_bytes, records = {kind = count}, memstats = {heap_alloc = ...}}
-- d:each_object() → {address, size, pointers} in address order
-- d:object(addr) → {address, size, pointers, reachable, retained, idom,
--   depth, refs = {{address, field}...}, alloc = {{func, file, line}...}}
-- d:roots() → {{root = "data"|"bss"|"stack"|..., slot, target, offset,
--   goroutine, func, name, target_offset}...} (target_offset: where in the
--   target the pointer lands, when not at its start: a sub-slice)
-- d:goroutines() → {{id, status, wait_reason, frames = {...}}...}
-- d:path(addr) → {root step, {address, size}, {address, size, field}...}
-- d:retainers{n=} → rows {address, size, retained, pointers, path, alloc, site}
--   and, where a retention pattern fits, pattern, why, evidence
-- d:dominators(addr|nil, {n=}) → rows immediately dominated, and their count
-- d:reachable() → {objects, bytes}
--
-- With {binary = bin} (a goescape.binary handle or a path), a data or bss
-- root step gets `name`: the global whose symbol holds the slot, and
-- `symbol_offset` inside it; at offset 0, `type`: the global's DWARF type,
-- and the object it points to its type where that follows (a pointer's
-- pointee, a slice's array); a retainer row gets its object's `type`.
-- A stack root gets `var` (the function's local or parameter whose bytes
-- hold the slot, from the DWARF locations at the frame's PC), `var_type`
-- and, when the slot is not at the variable's start, `var_offset`.
local core = require "goescape.core"
local handle = require "goescape.handle"
local options = require "goescape.options"

local M = {}
local OPEN = { limits = true, binary = true }
local RETAINERS = { n = true }
local DOMINATORS = { n = true }

local class = handle.class("goescape.heapdump", "heap dump")
local methods = class.methods
M.is_heapdump = class.is

-- Data symbols sorted by address, for naming data and bss roots.
local function data_symbols(bin)
  local syms = {}
  for _, s in ipairs(bin:symbols()) do
    -- markers (runtime.bss, runtime.edata, ...) have no size: not globals
    if s.type == 1 and s.value > 0 and s.size > 0 then syms[#syms + 1] = s end
  end
  table.sort(syms, function(a, b) return a.value < b.value end)
  return syms
end

local function symbol_at(syms, a)
  local lo, hi = 1, #syms
  local found
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    if syms[mid].value <= a then found, lo = syms[mid], mid + 1 else hi = mid - 1 end
  end
  if found and a < found.value + found.size then return found end
end

-- The package of a Go symbol: "net/http.DefaultClient" -> "net/http".
local function package_of(name)
  return name:match("^(.*/[^.]*)%.") or name:match("^([^.]*)%.")
end

-- The DWARF types of the globals the data and bss roots land in, by name
-- ({["main.pinned"] = "[]uint8"}): the DWARF units of their packages only.
local function global_types(roots, bin, syms)
  local pkgs, seen = {}, {}
  for _, r in ipairs(roots) do
    if r.root == "data" or r.root == "bss" then
      local s = symbol_at(syms, r.slot)
      local pkg = s and package_of(s.name)
      if pkg and not seen[pkg] then
        seen[pkg] = true
        pkgs[#pkgs + 1] = pkg
      end
    end
  end
  local types = {}
  if #pkgs == 0 or not bin.has_dwarf then return types end
  local it = bin:each_variable{ units = pkgs }
  if not it then return types end -- DWARF that does not read: names without types
  for v in it do
    if not v.func and v.name and v.type then types[v.name] = v.type end
  end
  return types
end

-- Where the variables of the functions of the stack roots sit in their
-- frames ({vars = {[func] = b:frame_vars rows}, sizes = {["goroutine:depth"]
-- = frame size}}), from the DWARF units of their packages only; nil
-- without stack roots or DWARF, or off amd64, where the frame's CFA is its
-- top (the dump's frame contents run from sp to the CFA: checked on Go
-- 1.19, 1.26 and 1.27).
local function stack_vars(h, roots, bin)
  if not bin.has_dwarf or h:info().goarch ~= "amd64" then return nil end
  local funcs, pkgs, seen = {}, {}, {}
  for _, r in ipairs(roots) do
    if r.root == "stack" and r.func and not seen[r.func] then
      seen[r.func] = true
      funcs[#funcs + 1] = r.func
      local pkg = package_of(r.func)
      if pkg and not seen[pkg] then
        seen[pkg] = true
        pkgs[#pkgs + 1] = pkg
      end
    end
  end
  if #funcs == 0 or #pkgs == 0 then return nil end
  local vars = {}
  -- at most 256 units a load: a dump's stacks rarely span more packages
  for i = 1, #pkgs, 256 do
    local part = {}
    for j = i, math.min(i + 255, #pkgs) do part[#part + 1] = pkgs[j] end
    local fv = bin:frame_vars{ units = part, funcs = funcs }
    if not fv then return nil end -- DWARF that does not read: frames and offsets
    for f, rows in pairs(fv) do vars[f] = rows end
  end
  local sizes = {}
  for _, g in ipairs(h:goroutines()) do
    for _, f in ipairs(g.frames) do sizes[g.id .. ":" .. f.depth] = f.size end
  end
  return { vars = vars, sizes = sizes }
end

--- The variable a stack slot lies in: the row of b:frame_vars whose bytes
-- hold it at the frame's PC, and the slot's offset in the variable.
-- `at` is the slot's offset from the frame's CFA; a caller's frame (depth
-- > 0) stands at its return address, so its call instruction, pc - 1, is
-- what the location lists' ranges are looked up with.
function M._frame_var(rows, pc, depth, at)
  if not rows then return nil end
  local look = depth and depth > 0 and pc - 1 or pc
  for _, v in ipairs(rows) do
    if (not v.low_pc or (v.low_pc <= look and look < v.high_pc))
        and v.cfa_offset <= at and at < v.cfa_offset + v.bytes then
      return v, v.offset + (at - v.cfa_offset)
    end
  end
end

-- What the binary names in the dump: the globals' symbols and DWARF types,
-- struct layouts, the stack slots' variables (one walk of the roots).
local function from_binary(a, h, b)
  local roots = h:roots()
  a.symbols = data_symbols(b)
  a.types = global_types(roots, b, a.symbols)
  a.members = require("goescape.heapdump_fields").members(b)
  a.stack = stack_vars(h, roots, b)
end

local function attach(h, err, code, opts)
  if not h then return nil, err, code end
  local a = { symbols = false }
  local bin = opts.binary
  if bin ~= nil then
    local ge_binary = require "goescape.binary"
    if type(bin) == "string" then
      local b, berr, bcode = ge_binary.open(bin)
      if not b then
        h:close()
        return nil, berr, bcode
      end
      from_binary(a, h, b)
      b:close()
    elseif ge_binary.is_binary(bin) then
      from_binary(a, h, bin)
    else
      h:close()
      error("goescape.heapdump: binary must be a goescape.binary handle or a path", 3)
    end
  end
  return class.attach(h, a)
end

--- Opens a dump file ("-" is stdin). opts: {limits = {...}, binary = bin}.
function M.open(path, opts)
  if type(path) ~= "string" then error("bad argument #1 to 'open' (path expected)", 2) end
  opts = options(opts, OPEN, "goescape.heapdump.open")
  local h, err, code = core.heapdump_open(path, opts.limits)
  return attach(h, err, code, opts)
end

--- Reads a dump held in a Lua string (`name` stands for it in messages).
function M.parse(bytes, name, opts)
  if type(bytes) ~= "string" then error("bad argument #1 to 'parse' (string expected)", 2) end
  opts = options(opts, OPEN, "goescape.heapdump.parse")
  local h, err, code = core.heapdump_parse(bytes, name, opts.limits)
  return attach(h, err, code, opts)
end

-- Names the root step of a path from the binary's symbols.
local function name_root(self, step)
  local a = class.attributes(self)
  local syms = a and a.symbols
  if syms and (step.root == "data" or step.root == "bss") then
    local s = symbol_at(syms, step.slot)
    if s then
      step.name = s.name
      step.symbol_offset = step.slot - s.value
      if step.symbol_offset == 0 then step.type = a.types and a.types[s.name] end
    end
  end
  local sv = a and a.stack
  if sv and step.root == "stack" and step.offset and step.pc then
    local size = sv.sizes[tostring(step.goroutine) .. ":" .. tostring(step.frame_depth)]
    local v, inside = M._frame_var(size and sv.vars[step.func], step.pc, step.frame_depth,
                                   size and step.offset - size)
    if v then
      step.var = v.name
      step.var_type = v.type
      if inside ~= 0 then step.var_offset = inside end
    end
  end
  return step
end

local path_c = methods.path
--- The shortest path from a root to the object holding addr: the root's
-- step, then each object ({address, size}, and `field`: the offset of the
-- pointer in the object before). nil, err, "notfound" when no object
-- holds addr or no root reaches it.
function methods:path(addr)
  local p, err, code = path_c(self, addr)
  if not p then return nil, err, code end
  M._type_path(name_root(self, p[1]), p)
  M._name_fields(self, p)
  return p
end

local roots_c = methods.roots
function methods:roots()
  local rs = roots_c(self)
  for _, r in ipairs(rs) do name_root(self, r) end
  return rs
end

--- Gives the root's target its type where the root's DWARF type says it:
-- a pointer's pointee, a slice's backing array ("[...]uint8"), a string's
-- bytes. (Deeper steps need struct layouts: not yet.)
function M._type_path(root, path)
  local t, target = root.type, path[2]
  if not (t and target) then return end
  if t:match("^%*") then target.type = t:sub(2)
  elseif t:match("^%[%]") then target.type = "[...]" .. t:sub(3)
  elseif t == "string" then target.type = "[...]uint8"
  end
end

--- Field names and types past the first step, from the binary's struct
-- layouts: goescape.heapdump_fields.
function M._name_fields(self, path)
  local a = class.attributes(self)
  if a and a.members then require("goescape.heapdump_fields").name_path(a.types, a.members, path) end
end

--- The allocation site in an alloc stack (innermost first): the first
-- frame outside the runtime's allocator (runtime.mallocgc, makeslice,
-- newobject, ... as pprof leaves them out; since Go 1.24 also the maps'
-- internal/runtime/maps.newarray and its kin), or nil: the rule of d:sites.
function M.alloc_site(frames)
  for _, f in ipairs(frames or {}) do
    if not f.func:match("^runtime%.") and not f.func:match("^internal/runtime/") then return f end
  end
end

--- The objects that retain most, largest first: {address, size, retained,
-- pointers, path, alloc?, site?} (alloc: the allocation stack where the
-- dump has a sample for the object; site: its frame outside the runtime).
-- opts: {n = 20}.
function methods:retainers(opts)
  opts = options(opts, RETAINERS, "heapdump:retainers")
  local rows, err, code = self:_top(opts.n or 20)
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    if r.path then
      M._type_path(name_root(self, r.path[1]), r.path)
      M._name_fields(self, r.path)
      r.type = r.path[#r.path].type
    end
    r.site = M.alloc_site(r.alloc)
  end
  -- pattern, why, evidence: goescape.analysis.retention
  require("goescape.analysis.retention").explain(self, rows)
  return rows
end

--- The objects addr immediately dominates (nil: those only roots
-- dominate), largest retained first, at most opts.n (default 20); and how
-- many there are in all.
function methods:dominators(addr, opts)
  opts = options(opts, DOMINATORS, "heapdump:dominators")
  return self:_dominated(addr, opts.n or 20)
end

function methods:reachable() return self:_reachable() end

--- Step i of a path as text: the root's name ("main.chain", "stack
-- main.worker (goroutine 7)+64", "stack main.worker (goroutine 7) var buf"
-- where the binary names the slot's variable, "bss+16" without a binary), or an object
-- ("+16 0xc000012000 (32 B)": the field it is reached by, its address and
-- size; "0xc000500000+100 (4194304 B)": the root points 100 bytes in).
function M.step_text(path, i)
  local s = path[i]
  -- a field named from the binary's struct layouts: ".next 0xc000010000 (32 B)"
  if i > 1 and s.member then
    local inside = i == 2 and path[1].target_offset and ("+%d"):format(path[1].target_offset) or ""
    return (".%s 0x%x%s (%d B)"):format(s.member, s.address, inside, s.size)
  end
  if i > 1 then
    -- the root's pointer may land inside its target (a sub-slice): 0x...+100
    local inside = i == 2 and path[1].target_offset and ("+%d"):format(path[1].target_offset) or ""
    return ("%s0x%x%s (%d B)"):format(s.field and ("+%d "):format(s.field) or "", s.address, inside, s.size)
  end
  if s.root == "stack" and s.var then
    -- named by its variable after the frame, so that the frame's label
    -- starts it as before: "stack main.worker (goroutine 7) var buf"
    return ("stack %s (goroutine %s) var %s%s"):format(s.func or "?", tostring(s.goroutine), s.var,
      s.var_offset and ("+%d"):format(s.var_offset) or "")
  end
  if s.root == "stack" or s.root == "goroutine_context" then
    local what = ("%s %s (goroutine %s)"):format(s.root, s.func or "?", tostring(s.goroutine))
    return s.offset and what .. ("+%d"):format(s.offset) or what
  end
  if s.name and s.member then return s.name .. "." .. s.member end
  if s.name and s.symbol_offset and s.symbol_offset > 0 then
    return ("%s+%d"):format(s.name, s.symbol_offset)
  end
  if s.name then return s.name end
  return s.offset and ("%s+%d"):format(s.root, s.offset) or s.root
end

--- One line for a path: "main.chain → 0xc000010000 (32 B) → +8 ...".
function M.path_text(path)
  local out = {}
  for i in ipairs(path) do out[i] = M.step_text(path, i) end
  return table.concat(out, " → ")
end


local SITES = { n = true, reachable = true }
--- Objects grouped by allocation site (the first frame of their alloc
-- sample's stack outside the runtime), largest retained first: rows {func,
-- file, line, first, objects, bytes, live_objects, live_bytes, retained,
-- top = {address...}}. retained counts the live members no other member
-- of the site dominates (each byte once); top: those members retaining
-- most; first: the site is its stack's first frame (Go 1.19 leaves out
-- the runtime's frames, and its line is then the return address's).
-- opts: {n = 20 (0: all), reachable = true (false: sites whose objects
-- are all dead too)}.
function methods:sites(opts)
  opts = options(opts, SITES, "heapdump:sites")
  if opts.n ~= nil and type(opts.n) ~= "number" then error("heapdump:sites: n must be a number", 2) end
  return self:_sites(opts.n or 20, opts.reachable == false)
end

--- What each root holds alone: rows {root = step (as d:roots() names it),
-- retained, objects}, largest first: the objects only roots dominate,
-- each counted at the root its shortest path starts at, so that the rows
-- add up to every reachable byte once.
function methods:root_retained()
  local rows, err, code = self:_root_retained()
  if not rows then return nil, err, code end
  local roots = self:roots()
  for _, r in ipairs(rows) do r.root = roots[r.root] end
  table.sort(rows, function(a, b)
    if a.retained ~= b.retained then return a.retained > b.retained end
    return a.root.slot < b.root.slot
  end)
  return rows
end

--- What grew between two dumps of one program, by allocation site and by
-- root: see goescape.analysis.retain_diff.
function M.diff(old, new, opts)
  return require("goescape.analysis.retain_diff").run(old, new, opts)
end

return M
