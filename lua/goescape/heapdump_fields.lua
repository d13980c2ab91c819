--- Field names along a heap dump's paths: DWARF types carried from a
-- typed global down the pointer fields, as a core-file viewer does
-- (`main.chain → .next → .next → .buf`). A dump has no types; the binary's
-- DWARF gives each global's type and each struct's members (name, offset,
-- type), and a path gives the offset of each pointer in the object before:
-- the member at that offset names the step and its type the next object's.
--
-- The work per path is bounded by its length and the depth of nested
-- structs; the members are read once per dump (the runtime's DWARF unit
-- holds every type of a Go program).
local M = {}

-- Nested struct members followed at most this deep.
local MAX_NEST = 16

--- The members of every struct in bin's DWARF, by struct name, each list
-- sorted by offset; nil without DWARF (or when it does not read).
function M.members(bin)
  if not bin.has_dwarf then return nil end
  local all = bin:struct_members{ units = { "runtime" } }
  if type(all) ~= "table" then return nil end
  for _, list in pairs(all) do
    -- stable by offset: a zero-size member (noCopy) stays before the
    -- member that shares its offset
    for i, m in ipairs(list) do m.index = i end
    table.sort(list, function(a, b)
      local ao, bo = a.offset or -1, b.offset or -1
      if ao ~= bo then return ao < bo end
      return a.index < b.index
    end)
  end
  return all
end

-- What a pointer in a field of type t points to, where t says it: a
-- pointer's pointee, a slice's array, a string's bytes, a map's header, a
-- channel's hchan; nil for unsafe.Pointer, interfaces and funcs.
local function target_type(members, t)
  if t:match("^%*") then return t:sub(2) end
  if t:match("^%[%]") then return "[...]" .. t:sub(3) end
  if t == "string" then return "[...]uint8" end
  if t:match("^map%[") then
    if members["internal/runtime/maps.Map"] then return "internal/runtime/maps.Map" end
    if members["runtime.hmap"] then return "runtime.hmap" end
    return nil
  end
  if t:match("^chan ") or t:match("^<%-chan ") or t:match("^chan<%- ") then return "runtime.hchan" end
end

--- The field of struct type t at byte offset off: its dotted name
-- ("poolLocalInternal.shared.head") and the type of what a pointer there
-- points to (nil when not known); nil when t has no such member.
function M.field_at(members, t, off)
  local names, depth = {}, 0
  while depth < MAX_NEST do
    local list = members[t]
    if not list then break end
    local m
    for _, x in ipairs(list) do
      if x.offset and x.offset <= off then m = x elseif x.offset and x.offset > off then break end
    end
    if not m then break end
    names[#names + 1] = m.name
    local rel = off - m.offset
    local mt = m.type or ""
    -- a slice's or string's header: its pointer word
    local header = mt:match("^%[%]") or mt == "string"
    if rel == 0 and (header or not members[mt]) then return table.concat(names, "."), target_type(members, mt) end
    if header or not members[mt] then return table.concat(names, "."), nil end
    t, off, depth = mt, rel, depth + 1
  end
  if #names > 0 then return table.concat(names, "."), nil end
end

--- Names the steps of a path: the root's `member` (the field of its
-- global at symbol_offset), each later step's `member` (the field of the
-- object before that points to it) and its `type`. types: the globals'
-- DWARF types by name; members: M.members().
function M.name_path(types, members, path)
  if not (members and path[1]) then return path end
  local root = path[1]
  local t = root.type
  -- a map or channel global: its header (a pointer's or a slice's target
  -- is typed already)
  if t and path[2] and not path[2].type and root.symbol_offset == 0 then path[2].type = target_type(members, t) end
  if not t and root.name and root.symbol_offset and root.symbol_offset > 0 and types then
    local gt = types[root.name]
    if gt then
      local name, tt = M.field_at(members, gt, root.symbol_offset)
      root.member = name
      if path[2] and tt and not path[2].type then path[2].type = tt end
    end
  end
  for i = 2, #path - 1 do
    local s, nxt = path[i], path[i + 1]
    if not (s.type and nxt.field) then break end
    local name, tt = M.field_at(members, s.type, nxt.field)
    if not name then break end
    nxt.member = name
    nxt.type = nxt.type or tt
  end
  return path
end

return M
