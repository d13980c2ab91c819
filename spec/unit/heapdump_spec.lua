-- ge.heapdump on a committed dump (spec/fixtures/heapdump/small.dump.gz,
-- remade by gen.sh there with Go 1.19): small/main.go keeps a 32 KiB buffer
-- at the end of a chain from a global and a 64 KiB array behind a 16-byte
-- sub-slice, and printed their addresses and sizes (small.json). Cut and
-- flipped copies of the dump must give located errors.
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"

local DIR = H.root .. "/spec/fixtures/heapdump/"
local DUMP = DIR .. "small.dump.gz"
local kept = cjson.decode(H.read(DIR .. "small.json"))

-- The dump's bytes, inflated (parse takes gzip too, but cuts need the raw
-- bytes).
local function raw_dump()
  return (H.must("gzip -dc " .. H.q(DUMP)))
end

describe("ge.heapdump.open", function()
  it("reads every record kind of a real dump (gzipped)", function()
    local d = assert(ge.heapdump.open(DUMP))
    local info = d:info()
    assert.matches("^go1%.19", info.go_version) -- gen.sh builds with Go 1.19
    assert.equal("amd64", info.goarch)
    assert.equal(8, info.ptr_size)
    assert.is_false(info.big_endian)
    assert.equal(1, info.records.params)
    assert.equal(1, info.records.memstats)
    assert.equal(1, info.records.eof)
    assert.equal(1, info.records.data)
    assert.equal(1, info.records.bss)
    assert.equal(info.records.object, info.objects)
    assert.is_true(info.records.goroutine >= 1)
    assert.is_true(info.records.stack_frame >= info.records.goroutine)
    assert.is_true(info.objects > 0 and info.pointers > 0 and info.roots > 0)
    assert.is_true(info.heap_bytes >= kept.chain.size + kept.subslice.size)
    d:close()
  end)

  it("reads a plain dump file through its window as it reads the gzipped one and the string", function()
    local path = H.tmpdir("heapdump") .. "/small.dump"
    local bytes = raw_dump()
    H.write(path, bytes)
    local a, b, c = assert(ge.heapdump.open(path)), assert(ge.heapdump.open(DUMP)),
      assert(ge.heapdump.parse(bytes, "small.dump"))
    assert.same(b:info(), a:info())
    assert.same(b:info(), c:info())
    assert.same(b:retainers{ n = 5 }, a:retainers{ n = 5 })
    -- cut files: the error names the file and an offset inside it
    for _, n in ipairs({ 10, 1000, math.floor(#bytes / 2), #bytes - 1 }) do
      H.write(path, bytes:sub(1, n))
      local d, err, code = ge.heapdump.open(path)
      assert.is_nil(d)
      assert.equal("format", code)
      local off = tonumber(err:match("small%.dump: offset (%d+): "))
      assert.is_truthy(off and off <= n, err)
    end
  end)

  it("returns nil, a message and a code for a missing file", function()
    local d, err, code = ge.heapdump.open(DIR .. "no-such.dump")
    assert.is_nil(d)
    assert.matches("no%-such%.dump", err)
    assert.equal("io", code)
  end)

  it("raises on an unknown option", function()
    assert.has_error(function() ge.heapdump.open(DUMP, { max_records = 1 }) end)
  end)
end)

describe("ge.heapdump.parse", function()
  local bytes = raw_dump()

  it("reads a dump held in a string", function()
    local d = assert(ge.heapdump.parse(bytes, "small.dump"))
    assert.is_true(ge.heapdump.is_heapdump(d))
    assert.equal(d:info().objects, assert(ge.heapdump.open(DUMP)):info().objects)
  end)

  it("refuses input that is not a heap dump, at offset 0", function()
    local d, err, code = ge.heapdump.parse("go1.6 heap dump\n\0", "old.dump")
    assert.is_nil(d)
    assert.matches("^old%.dump: offset 0: not a Go heap dump", err)
    assert.equal("format", code)
  end)

  it("names the byte offset where a cut dump ends", function()
    for _, frac in ipairs({ 0.001, 0.1, 0.5, 0.9, 0.9999 }) do
      local n = math.floor(#bytes * frac)
      local d, err, code = ge.heapdump.parse(bytes:sub(1, n), "cut.dump")
      assert.is_nil(d)
      assert.equal("format", code)
      local off = tonumber(err:match("^cut%.dump: offset (%d+): "))
      assert.is_truthy(off, err)
      assert.is_true(off <= n, err)
    end
  end)

  it("gives a located error or a dump for flipped bytes, never a crash", function()
    local seed = 17
    for _ = 1, 200 do
      seed = (seed * 1103515245 + 12345) % 2147483648
      local at = 17 + seed % (#bytes - 17)
      local b = bytes:sub(1, at - 1) .. string.char((bytes:byte(at) + 1 + seed % 255) % 256) .. bytes:sub(at + 1)
      local d, err = ge.heapdump.parse(b, "flip.dump")
      if d then
        assert.is_table(d:retainers{ n = 3 })
        d:close()
      else
        assert.matches("^flip%.dump: offset %d+: ", err)
      end
    end
  end)

  it("refuses more objects than max_records, naming the limit", function()
    local d, err, code = ge.heapdump.parse(bytes, "small.dump", { limits = { max_records = 10 } })
    assert.is_nil(d)
    assert.equal("limit", code)
    assert.matches("max_records", err)
  end)
end)

describe("a heap dump's analyses", function()
  local d = assert(ge.heapdump.open(DUMP))

  it("counts as reachable exactly what the dump's MemStats record counts as live", function()
    -- small/ collects right before the dump and allocates nothing between:
    -- the live heap then is the objects the roots reach.
    local r = d:reachable()
    local ms = d:info().memstats
    assert.equal(ms.heap_objects, r.objects)
    assert.equal(ms.heap_alloc, r.bytes)
    assert.equal(ms.alloc, ms.heap_alloc)
  end)

  it("each_object walks objects in address order", function()
    local n, last, bytes = 0, -1, 0
    for o in d:each_object() do
      n = n + 1
      assert.is_true(o.address > last)
      last = o.address
      bytes = bytes + o.size
    end
    assert.equal(d:info().objects, n)
    assert.equal(d:info().heap_bytes, bytes)
  end)

  it("object() finds an object by an interior address", function()
    local o = assert(d:object(kept.subslice.address + 100))
    assert.equal(kept.subslice.address, o.address)
    assert.is_true(o.size >= kept.subslice.size)
    assert.is_true(o.retained >= o.size)
    local none, err, code = d:object(1)
    assert.is_nil(none)
    assert.equal("notfound", code)
    assert.matches("no object", err)
  end)

  it("path() reaches each kept array from a data or bss root, pointer by pointer", function()
    local info = d:info()
    for _, k in pairs(kept) do
      local p = assert(d:path(k.address))
      local root = p[1]
      assert.is_truthy(root.root == "data" or root.root == "bss")
      local seg = root.root == "data" and info.data_address or info.bss_address
      local size = root.root == "data" and info.data_size or info.bss_size
      assert.is_true(root.slot >= seg and root.slot < seg + size)
      assert.equal(root.slot - seg, root.offset)
      assert.equal(root.target, p[2].address)
      assert.equal(k.address, p[#p].address)
      for i = 3, #p do
        -- each step is a pointer of the object before, at its field
        local prev = assert(d:object(p[i - 1].address))
        local found = false
        for _, ref in ipairs(prev.refs) do
          if ref.address == p[i].address and ref.field == p[i].field then found = true end
        end
        assert.is_true(found)
      end
    end
    -- the chain is global -> node -> node -> buffer
    assert.equal(4, #assert(d:path(kept.chain.address)))
  end)

  it("retainers() rank by retained size, each with its path", function()
    local rows = assert(d:retainers{ n = 10 })
    assert.equal(10, #rows)
    for i, r in ipairs(rows) do
      assert.is_true(r.retained >= r.size)
      if i > 1 then assert.is_true(rows[i - 1].retained >= r.retained) end
      assert.equal(r.address, r.path[#r.path].address)
    end
    local big = assert(d:object(kept.subslice.address))
    assert.is_true(big.retained >= kept.subslice.size)
    assert.matches("^bss", ge.heapdump.path_text(assert(d:path(kept.subslice.address))))
  end)

  it("dominators() lists the dominator tree's children, largest first, with their count", function()
    local rows, total = d:dominators(nil, { n = 5 })
    assert.equal(5, #rows)
    assert.is_true(total >= 5)
    local sum = 0
    local all = d:dominators(nil, { n = total })
    for _, r in ipairs(all) do sum = sum + r.retained end
    assert.equal(d:reachable().bytes, sum) -- the super-root retains everything reachable
    local node = assert(d:path(kept.chain.address))[2].address
    local kids, n = d:dominators(node, { n = 10 })
    assert.equal(1, n)
    assert.equal(assert(d:path(kept.chain.address))[3].address, kids[1].address)
    assert.is_nil(d:object(node).idom) -- only roots dominate the chain's head
    assert.equal(node, d:object(kids[1].address).idom)
  end)

  it("roots() and goroutines() list what the dump holds", function()
    local roots = d:roots()
    assert.equal(d:info().roots, #roots)
    local kinds = {}
    for _, r in ipairs(roots) do kinds[r.root] = true end
    assert.is_true(kinds.bss or kinds.data)
    assert.is_true(kinds.stack)
    local gs = d:goroutines()
    assert.equal(d:info().goroutines, #gs)
    local main
    for _, g in ipairs(gs) do
      for _, f in ipairs(g.frames) do if f.func == "main.main" then main = g end end
    end
    assert.is_truthy(main)
  end)

  it("raises once closed", function()
    local d2 = assert(ge.heapdump.open(DUMP))
    d2:close()
    assert.has_error(function() d2:info() end)
    assert.matches("closed", tostring(d2))
  end)
end)
