-- The words after a root's pointer (a slice global's len and cap) and the
-- sub-slice pattern they feed, on heap dumps built here record by record:
-- a bss segment whose slots point into one 4096-byte array.
local ge = require "goescape"

local function uvarint(n)
  local out = {}
  repeat
    local b = n % 128
    n = (n - b) / 128
    out[#out + 1] = string.char(n > 0 and b + 128 or b)
  until n == 0
  return table.concat(out)
end

local function str(s) return uvarint(#s) .. s end

local function le64(n)
  local out = {}
  for i = 1, 8 do
    local b = n % 256
    out[i] = string.char(b)
    n = (n - b) / 256
  end
  return table.concat(out)
end

local ARRAY, BSS = 0x10000, 0x5000

-- A dump with the array and a bss segment of `words` (numbers), whose
-- pointer fields are at the word indexes in `ptrs` (0-based).
local function dump(words, ptrs)
  local contents = {}
  for i, w in ipairs(words) do contents[i] = le64(w) end
  local fields = {}
  for _, i in ipairs(ptrs) do fields[#fields + 1] = uvarint(1) .. uvarint(i * 8) end
  return "go1.7 heap dump\n"
    .. uvarint(6) .. uvarint(0) .. uvarint(8) .. uvarint(0x10000) .. uvarint(0x20000) .. str("amd64")
    .. str("go1.26") .. uvarint(2)
    .. uvarint(1) .. uvarint(ARRAY) .. str(("\0"):rep(4096)) .. uvarint(0)
    .. uvarint(13) .. uvarint(BSS) .. str(table.concat(contents)) .. table.concat(fields) .. uvarint(0)
    .. uvarint(0)
end

local function root_at(d, slot)
  for _, r in ipairs(d:roots()) do if r.slot == slot then return r end end
end

describe("a heap dump root's words after its pointer", function()
  it("are the next two words of its segment: a slice's len and cap", function()
    local d = assert(ge.heapdump.parse(dump({ ARRAY + 64, 16, 4032 }, { 0 }), "slice"))
    local r = assert(root_at(d, BSS))
    assert.same({ 16, 4032 }, r.after)
    assert.equal(64, r.target_offset)
  end)

  it("stop at the segment's end", function()
    local d = assert(ge.heapdump.parse(dump({ 7, ARRAY, 9 }, { 1 }), "short"))
    assert.same({ 9 }, root_at(d, BSS + 8).after)
    d = assert(ge.heapdump.parse(dump({ 7, ARRAY }, { 1 }), "last"))
    assert.is_nil(root_at(d, BSS + 8).after)
  end)
end)

describe("goescape.analysis.retention", function()
  local retention = require "goescape.analysis.retention"
  -- rows as d:retainers{} gives them, the root typed as a binary would
  local function row(d, rtype, slot)
    local root = assert(root_at(d, slot))
    root.type, root.symbol_offset, root.name = rtype, 0, "main.s"
    local o = assert(d:object(ARRAY))
    return { address = o.address, size = o.size, retained = o.retained, path = { root, { address = o.address, size = o.size } } }
  end

  it("finds a sub-slice by where it points and its len against the array", function()
    local d = assert(ge.heapdump.parse(dump({ ARRAY + 64, 16, 4032 }, { 0 }), "slice"))
    local r = row(d, "[]uint8", BSS)
    local pattern, why, ev = retention.classify(retention.context(d), r)
    assert.equal("subslice_pin", pattern)
    assert.equal(16, ev.used_bytes)
    assert.equal(4096, ev.array_bytes)
    assert.equal("main.s ([]uint8) is a 16-byte sub-slice, 64 bytes into a 4.0 KiB array and keeps all of it alive:"
      .. " copy the part you keep (bytes.Clone or slices.Clone) and drop the slice of the big one", why)
  end)

  it("finds a slice at the array's start whose capacity reaches at most half of it", function()
    local d = assert(ge.heapdump.parse(dump({ ARRAY, 32, 32 }, { 0 }), "capped"))
    assert.equal("subslice_pin", (retention.classify(retention.context(d), row(d, "[]uint8", BSS))))
    d = assert(ge.heapdump.parse(dump({ ARRAY, 32, 4096 }, { 0 }), "whole"))
    assert.is_nil(retention.classify(retention.context(d), row(d, "[]uint8", BSS)))
    -- a slice of 8-byte elements: its capacity in bytes is not known
    d = assert(ge.heapdump.parse(dump({ ARRAY, 4, 4 }, { 0 }), "ints"))
    assert.is_nil(retention.classify(retention.context(d), row(d, "[]int64", BSS)))
  end)

  it("leaves a typed pointer into an object alone", function()
    local d = assert(ge.heapdump.parse(dump({ ARRAY + 8, 0, 0 }, { 0 }), "field"))
    assert.is_nil(retention.classify(retention.context(d), row(d, "*main.node", BSS)))
    assert.equal("subslice_pin", (retention.classify(retention.context(d), row(d, "string", BSS))))
  end)
end)

describe("goescape.heapdump_fields", function()
  local fields = require "goescape.heapdump_fields"
  -- layouts as bin:struct_members() gives them (sorted by M.members)
  local members = {
    ["main.node"] = { { name = "next", offset = 0, type = "*main.node" }, { name = "buf", offset = 8, type = "[]uint8" } },
    ["[]uint8"] = { { name = "array", offset = 0, type = "*uint8" }, { name = "len", offset = 8, type = "int" },
                    { name = "cap", offset = 16, type = "int" } },
    ["sync.Pool"] = { { name = "noCopy", offset = 0, type = "sync.noCopy" }, { name = "local", offset = 0, type = "unsafe.Pointer" },
                      { name = "victim", offset = 16, type = "unsafe.Pointer" } },
    ["main.outer"] = { { name = "id", offset = 0, type = "int" }, { name = "in", offset = 8, type = "main.node" },
                       { name = "m", offset = 40, type = "map[int]int" } },
    ["runtime.hmap"] = {},
    ["main.loop"] = { { name = "self", offset = 0, type = "main.loop" } },
  }

  it("names the member at an offset and types what its pointer points to", function()
    assert.same({ "next", "main.node" }, { fields.field_at(members, "main.node", 0) })
    assert.same({ "buf", "[...]uint8" }, { fields.field_at(members, "main.node", 8) })
    -- a zero-size member shares its offset with the next one
    assert.same({ "local" }, { fields.field_at(members, "sync.Pool", 0) })
    assert.same({ "victim" }, { fields.field_at(members, "sync.Pool", 16) })
    -- a struct field inside a struct: a dotted name
    assert.same({ "in.buf", "[...]uint8" }, { fields.field_at(members, "main.outer", 16) })
    assert.same({ "m", "runtime.hmap" }, { fields.field_at(members, "main.outer", 40) })
    -- a slice's len word is not a pointer: named, not typed
    assert.same({ "buf" }, { fields.field_at(members, "main.node", 16) })
    assert.is_nil(fields.field_at(members, "main.unknown", 0))
    -- a struct that holds itself (crafted DWARF) stops
    assert.is_string(fields.field_at(members, "main.loop", 0))
  end)

  it("names a path from a typed global down its pointer fields", function()
    local path = { { root = "bss", name = "main.chain", symbol_offset = 0, type = "*main.node" },
                   { address = 1, size = 32, type = "main.node" }, { address = 2, size = 32, field = 0 },
                   { address = 3, size = 4096, field = 8 } }
    fields.name_path({}, members, path)
    assert.equal("next", path[3].member)
    assert.equal("main.node", path[3].type)
    assert.equal("buf", path[4].member)
    assert.equal("[...]uint8", path[4].type)
    assert.equal("main.chain → 0x1 (32 B) → .next 0x2 (32 B) → .buf 0x3 (4096 B)", ge.heapdump.path_text(path))
    -- a root inside its global: the member there
    local p = { { root = "bss", name = "main.pool", symbol_offset = 16 }, { address = 4, size = 256 } }
    fields.name_path({ ["main.pool"] = "sync.Pool" }, members, p)
    assert.equal("victim", p[1].member)
    assert.equal("main.pool.victim", ge.heapdump.step_text(p, 1))
  end)
end)
