--- Retention patterns: what kind of holder keeps a heap dump's retainer
-- alive, and what to do about it. For each row of `d:retainers{}` (its
-- path from a root), one of:
--
--   subslice_pin      a root points inside an array (a sub-slice or a
--                     substring), or a slice global's capacity reaches at
--                     most half of its array: the whole array stays
--   sync_pool         the path passes through a sync.Pool's per-P array
--   chan_buffer       ... through a channel (its hchan or buffer)
--   context_value     ... through a context.WithValue node
--   map_growth        the object is a map's own memory (header, buckets,
--                     groups, tables): a map keeps it after deletes
--   map_entry         ... a value reached through a map
--   goroutine_closure a blocked goroutine's closure or frame holds it
--                     (goroutine_blocked: a frame that is not a closure)
--
-- with `why` (one sentence: what holds it, what to do) and `evidence` (the
-- numbers and names it rests on). A heap dump has no object types and
-- goescape keeps no object contents: a structure is known by the
-- allocation stacks of the objects on the path (with MemProfileRate = 1)
-- and by the DWARF type of the root's global (a slice global's length and
-- capacity are the words after its pointer); counts that live in heap
-- objects (a map's or a channel's entries) are not read.
--
-- The work is per row and bounded by the path's length (each object on a
-- path is read once per call, with its pointers): the caller asks for n
-- rows.
local heapdump = require "goescape.heapdump"
local units = require "goescape.report.units"

local M = {}

local bytes = units.bytes

-- Which structure an object is, by the functions of its allocation stack
-- (innermost first) up to the first frame of other code: the frames of the
-- runtime, sync and context allocating for the caller. Go 1.19 leaves the
-- allocator's own frames out, and with them a runtime function that calls
-- it directly (makechan for a channel's buffer): the root's type and the
-- path through the hchan still place such an object.
local KINDS = {
  { "pool", "^sync%.%(%*Pool%)%.pinSlow$" },
  { "pool", "^sync%.%(%*poolChain%)%." },
  { "pool", "^sync%.%(%*poolDequeue%)%." },
  { "context", "^context%.WithValue$" },
  { "chan", "^runtime%.makechan" },
  { "map", "^runtime%.makemap" },
  { "map", "^runtime%.makeBucketArray$" },
  { "map", "^runtime%.hashGrow$" },
  { "map", "^runtime%.mapassign" },
  { "map", "^internal/runtime/maps%." },
}

local function library(func)
  return func:match("^runtime%.") or func:match("^internal/") or func:match("^sync%.")
    or func:match("^context%.")
end

-- The structure an allocation stack made, or nil.
local function kind_of(alloc)
  for _, f in ipairs(alloc or {}) do
    for _, k in ipairs(KINDS) do
      if f.func:match(k[2]) then return k[1] end
    end
    if not library(f.func) then break end
  end
end

-- The structure a root's DWARF type names for the object it points to.
local function kind_of_type(t)
  if not t then return nil end
  if t:match("^chan ") or t:match("^<%-chan ") or t:match("^chan<%- ") then return "chan" end
  if t:match("^map%[") then return "map" end
end

-- The program's frame of an allocation stack: "main.main at main.go:59".
local function site_text(alloc)
  for _, f in ipairs(alloc or {}) do
    if not library(f.func) then
      return ("%s at %s:%d"):format(f.func, (f.file or "?"):match("[^/]*$"), f.line or 0)
    end
  end
end

local function goroutine_by_id(ctx, id)
  if not ctx.goroutines then
    ctx.goroutines = {}
    for _, g in ipairs(ctx.d:goroutines()) do ctx.goroutines[g.id] = g end
  end
  return ctx.goroutines[id]
end

-- One object of the path with its allocation stack, each once per call.
local function object(ctx, addr)
  local o = ctx.objects[addr]
  if o == nil then
    o = ctx.d:object(addr) or false
    ctx.objects[addr] = o
  end
  return o or nil
end

-- The first object on the path of each structure kind, and the row's own.
local function walk(ctx, row)
  local p, seen = row.path, {}
  local rootkind = p[1].symbol_offset == 0 and kind_of_type(p[1].type) or nil
  local own
  for i = 2, #p do
    local o = object(ctx, p[i].address)
    local k = kind_of(o and o.alloc)
    if i == 2 and not k then k = rootkind end
    if k and not seen[k] then seen[k] = { index = i, object = o } end
    if i == #p then own = k end
  end
  return seen, own
end

local function holder(row)
  return heapdump.step_text(row.path, 1)
end

local EXPLAIN = {}

function EXPLAIN.sync_pool(row, at, ctx)
  local root = row.path[1]
  local where = ""
  local ev = { holder = holder(row), pool_array = row.path[at.index].address }
  if at.index == 2 and (root.root == "data" or root.root == "bss") then
    -- the field the binary's struct layouts name (heapdump_fields), or a
    -- bare sync.Pool global's: local, localSize, victim, victimSize (a
    -- pool inside a bigger global without DWARF: not told)
    local m = root.member and root.member:match("([^.]+)$")
    if m == "victim" or (not root.member and root.symbol_offset == 2 * ctx.ptr_size) then
      ev.cache, where = "victim", ", its victim cache"
    elseif m == "local" or (not root.member and root.symbol_offset == 0) then
      ev.cache = "local"
    end
  end
  return ev, ("a sync.Pool (%s%s) holds %s: pooled objects stay until two collections pass without a Get;"
    .. " put back only buffers of a bounded size"):format(ev.holder, where, bytes(row.retained))
end

function EXPLAIN.chan_buffer(row, at)
  local ev = { holder = holder(row), hchan = row.path[at.index].address }
  local h = row.path[at.index]
  if h.address ~= row.address then ev.hchan_bytes = h.size end
  return ev, ("the channel held by %s keeps %s alive in its buffer: values sent and never received stay"
    .. " there; drain the channel or give it a smaller capacity"):format(ev.holder, bytes(row.retained))
end

function EXPLAIN.context_value(row, at)
  local ev = { holder = holder(row), value_ctx = row.path[at.index].address, contexts = at.contexts }
  local set = at.object and site_text(at.object.alloc)
  ev.set_at = set
  return ev, ("a context.WithValue value%s, held by %s, keeps %s alive: keep a context only as long as"
    .. " its request, and put keys or small values in it, not the data"):format(set and " (set in " .. set .. ")" or "",
    ev.holder, bytes(row.retained))
end

function EXPLAIN.map_growth(row, at)
  local ev = { holder = holder(row), map = row.path[at.index].address, map_bytes = row.retained }
  return ev, ("the map held by %s keeps %s of its own memory (buckets or groups): a Go map keeps them"
    .. " after its entries are deleted; if it grew and shrank, copy the live entries into a new map")
    :format(ev.holder, bytes(row.retained))
end

function EXPLAIN.map_entry(row, at)
  local ev = { holder = holder(row), map = row.path[at.index].address }
  return ev, ("a value in the map held by %s keeps %s alive: delete its entry when done with it")
    :format(ev.holder, bytes(row.retained))
end

-- The goroutine's own function: its outermost frame outside the runtime
-- (a goroutine blocked in a receive has runtime.chanrecv's frames on top).
local function go_func(g, root)
  local frames = g and g.frames or {}
  for i = #frames, 1, -1 do
    local f = frames[i].func
    if f and not f:match("^runtime%.") then return f end
  end
  return root.func
end

function EXPLAIN.goroutine(row, at, ctx)
  local root = row.path[1]
  local g = goroutine_by_id(ctx, root.goroutine)
  local ev = { holder = holder(row), goroutine = root.goroutine, func = at.func, frame = root.func,
               wait_reason = g and g.wait_reason, status = g and g.status }
  -- made by the function the closure is a literal of: captured by it
  local made = row.site and row.site.func
  local captured = ""
  if made and at.func and at.func:sub(1, #made + 5) == made .. ".func" then
    ev.captured_from = made
    captured = (", made in %s and captured by the closure,"):format(made)
  end
  return ev, ("goroutine %s (%s), blocked in %s, keeps %s%s alive from its %s: make it return (close or"
    .. " send on what it waits for, or cancel its context)"):format(tostring(root.goroutine), at.func or "?",
    ev.wait_reason or "?", bytes(row.retained), captured, root.root == "goroutine_context" and "closure" or "stack")
end

-- The bytes of one element of a root's slice or string type, where the
-- type's name says it (DWARF gives names here, not layouts).
local ELEM = { ["[]uint8"] = 1, ["[]int8"] = 1, string = 1 }

-- A slice or string global's header past its pointer: {len, cap} (a
-- string: {len}), from the words the dump holds after the pointer.
local function header(root)
  local t, w = root.type, root.after
  if not (t and w and root.symbol_offset == 0) then return nil end
  if t == "string" then return { len = w[1] } end
  if t:match("^%[%]") and w[2] then return { len = w[1], cap = w[2] } end
end

function EXPLAIN.subslice_pin(row, h)
  local root = row.path[1]
  local off = root.target_offset or 0
  local ev = { holder = holder(row), array_bytes = row.size, offset = off, type = root.type }
  local clone = root.type == "string" and "strings.Clone" or "bytes.Clone or slices.Clone"
  local what
  if h then
    ev.len, ev.cap, ev.elem_bytes = h.len, h.cap, ELEM[root.type]
    if ev.elem_bytes then
      ev.used_bytes = h.len * ev.elem_bytes
      local n = ev.used_bytes < 1024 and ("%d-byte"):format(ev.used_bytes) or bytes(ev.used_bytes)
      what = ("a %s %s"):format(n, root.type == "string" and "substring" or "sub-slice")
    else
      what = ("a sub-slice of %d elements"):format(h.len)
    end
    local at = off > 0 and ("%d bytes into"):format(off) or "at the start of"
    what = ("%s (%s) is %s, %s"):format(ev.holder, root.type, what, at)
  else
    what = ("%s points %d bytes into"):format(ev.holder, off)
  end
  return ev, ("%s a %s array and keeps all of it alive: copy the part you keep (%s) and drop the slice of"
    .. " the big one"):format(what, bytes(row.size), clone)
end

-- A goroutine parked for good: waiting, not the runtime's, not the one
-- writing the dump.
local function blocked(g)
  return g and g.status == 4 and not g.system and g.wait_reason ~= "dumping heap"
end

--- The pattern of one retainer row: pattern, why, evidence; nil when none
-- fits. ctx: from M.context(d).
function M.classify(ctx, row)
  local p = row.path
  if not p or #p < 2 then return nil end
  local seen, own = walk(ctx, row)
  local function explain(pattern, at, key)
    local ev, why = EXPLAIN[key or pattern](row, at, ctx)
    return pattern, why, ev
  end
  if seen.pool then return explain("sync_pool", seen.pool) end
  if seen.context then
    local n = 0
    for i = 2, #p do
      local o = object(ctx, p[i].address)
      if kind_of(o and o.alloc) == "context" then n = n + 1 end
    end
    seen.context.contexts = n
    return explain("context_value", seen.context)
  end
  if seen.chan then return explain("chan_buffer", seen.chan) end
  if seen.map then
    -- the map's own memory: the header itself, an object the map's code
    -- allocated, or one without a sample (the runtime allocates some of a
    -- map's tables unsampled); a value the program allocated otherwise
    local mine = seen.map.index == #p or own == "map" or (own == nil and row.alloc == nil)
    return explain(mine and "map_growth" or "map_entry", seen.map)
  end
  local root = p[1]
  if (root.root == "stack" or root.root == "goroutine_context") and root.goroutine then
    local g = goroutine_by_id(ctx, root.goroutine)
    if blocked(g) then
      local f = go_func(g, root) or ""
      local closure = root.root == "goroutine_context" or f:match("%.func%d+$") or f:match("%.gowrap%d+$")
      return explain(closure and "goroutine_closure" or "goroutine_blocked", { func = f }, "goroutine")
    end
  end
  -- A root that points inside its array, or a slice whose capacity
  -- reaches at most half of it (big[:16:16]). A typed pointer into an
  -- object is a field's or an element's address: the program means to keep
  -- the object.
  if #p == 2 and not (root.type and root.type:match("^%*")) then
    local h = header(root)
    local elem = ELEM[root.type or ""]
    local inside = root.target_offset and root.target_offset > 0
    local short = h and h.cap and elem and h.cap * elem * 2 <= row.size
    if inside or short then return explain("subslice_pin", h) end
  end
  return nil
end

--- What classify needs of a dump, kept across the rows of one call.
function M.context(d)
  return { d = d, objects = {}, ptr_size = d:info().ptr_size }
end

--- Sets `pattern`, `why` and `evidence` on each row that fits one.
function M.explain(d, rows)
  local ctx = M.context(d)
  for _, r in ipairs(rows) do
    r.pattern, r.why, r.evidence = M.classify(ctx, r)
  end
  return rows
end

return M
