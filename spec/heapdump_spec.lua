-- ge.heapdump on dumps written in the spec's setup by
-- spec/fixtures/heapdump/retain (built with Go 1.19, the machine's Go and
-- Go 1.27): five big arrays kept alive five ways (a 16-byte sub-slice in a
-- global, a map in a global, a chain of nodes from a global, a channel's
-- buffer, a blocked goroutine's local), each printed by the program with
-- its address, size and holder. The checks: each array's retained size,
-- the path from its root (named by the binary's symbols), and the totals
-- against the dump's own MemStats record.
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"

local F = require "spec.heapdump_fixtures"
local dumps = F.retain()

-- The line of retain/main.go that makes each array.
local LINES = F.retain_lines()

local at_line = F.at_line

-- Path steps after the root, for each array: what the program built.
local STEPS = { subslice = 1, map = 3, chain = 4, channel = 3 }

for _, c in ipairs(H.go_compilers()) do
  describe("heap dumps written by " .. c.name, function()
    local base = ("%s/retain-%s"):format(dumps, c.name)
    local kept = cjson.decode(H.read(base .. ".json"))
    local bin = assert(ge.binary.open(base))
    local d = assert(ge.heapdump.open(base .. ".dump", { binary = bin }))

    local function symbol(name)
      for _, s in ipairs(bin:symbols()) do if s.name == name then return s end end
    end

    it("names the Go version that wrote the dump", function()
      assert.equal("go" .. c.version, d:info().go_version:match("^go%d+%.%d+"))
    end)

    it("reaches, as the MemStats record counts them, exactly the live objects and bytes", function()
      -- retain/ collects right before the dump and allocates nothing in
      -- between, so HeapAlloc and HeapObjects are the objects the roots
      -- reach; the dump also lists dead slots the runtime has not reused.
      local info, r = d:info(), d:reachable()
      assert.equal(info.memstats.heap_objects, r.objects)
      assert.equal(info.memstats.heap_alloc, r.bytes)
      assert.is_true(info.objects >= r.objects)
      assert.is_true(info.heap_bytes >= r.bytes)
      assert.equal(info.records.object, info.objects)
    end)

    for _, k in ipairs({ "subslice", "map", "chain", "channel", "goroutine" }) do
      it(k .. ": the array's retained size and its path from the holder", function()
        local want = kept[k]
        local o = assert(d:object(want.address))
        assert.equal(want.address, o.address)
        assert.is_true(o.size >= want.size)
        assert.is_true(o.retained >= want.size)
        local p = assert(d:path(want.address))
        assert.equal(want.address, p[#p].address)
        local root = p[1]
        if k == "goroutine" then
          assert.is_truthy(root.root == "stack" or root.root == "goroutine_context")
          assert.equal(want.holder, root.func)
          assert.is_number(root.goroutine)
        else
          assert.is_truthy(root.root == "data" or root.root == "bss", root.root)
          assert.equal(want.holder, root.name)
          local s = assert(symbol(want.holder))
          assert.is_true(root.slot >= s.value and root.slot < s.value + s.size)
          assert.equal(STEPS[k], #p - 1)
        end
        -- among the top retainers, with the same path
        local found
        for _, r in ipairs(assert(d:retainers{ n = 40 })) do
          if r.address == want.address then found = r end
        end
        assert.is_truthy(found)
        assert.same(p, found.path)
        -- MemProfileRate = 1: the dump's alloc sample names the line
        local site = assert(found.site)
        assert.is_true(at_line(found.alloc, site, LINES[k]), site.line)
        assert.matches("retain/main%.go$", site.file)
        assert.equal(k == "goroutine" and "main.main.func1" or "main.main", site.func)
      end)
    end

    it("objects no root reaches have no path, no retained size and no dominator", function()
      local unreached, first = 0, nil
      for o in d:each_object() do
        local x = d:object(o.address)
        if not x.reachable then
          unreached = unreached + 1
          first = first or x
          assert.is_nil(x.retained)
          assert.is_nil(x.idom)
        end
      end
      assert.equal(d:info().objects - d:reachable().objects, unreached)
      if first then
        local p, err, code = d:path(first.address)
        assert.is_nil(p)
        assert.equal("notfound", code)
        assert.matches("no root reaches", err)
      end
    end)

    it("the sub-slice's global points inside the array, not at its start", function()
      local p = assert(d:path(kept.subslice.address))
      local slot = p[1].slot
      local target
      for _, r in ipairs(d:roots()) do if r.slot == slot then target = r end end
      assert.equal(kept.subslice.address, target.target)
      assert.equal("main.pinned", target.name)
      assert.equal(100, target.target_offset) -- pinned = big[100:116]
      assert.equal(kept.subslice.address + 100, target.pointer)
      assert.equal(100, p[1].target_offset)
      -- the global's DWARF type, and its array's
      assert.equal("[]uint8", p[1].type)
      assert.equal("[...]uint8", p[2].type)
      local cp = assert(d:path(kept.chain.address))
      assert.equal("*main.node", cp[1].type)
      assert.equal("main.node", cp[2].type)
    end)

    it("goescape retain --json prints each top retainer with its size, path and allocation site", function()
      local out = H.must(H.cli_cmd(("retain %s --binary %s --json -n 40"):format(H.q(base .. ".dump"), H.q(base))))
      local rows = {}
      for line in out:gmatch("[^\n]+") do
        local o = cjson.decode(line)
        rows[o.address] = o
      end
      for k, want in pairs(kept) do
        local o = assert(rows[want.address], k)
        assert.is_true(o.retained >= want.size and o.size >= want.size)
        if k ~= "goroutine" then assert.equal(want.holder, o.path[1]) end
        assert.equal(#o.steps, #o.path)
        if k == "subslice" then assert.equal("[...]uint8", o.type) end
        -- the contract's names: {function, file, line}
        assert.is_string(o.alloc["function"])
        assert.is_true(at_line(d:object(want.address).alloc,
          { func = o.alloc["function"], file = o.alloc.file, line = o.alloc.line }, LINES[k]))
      end
      local text = H.must(H.cli_cmd(("retain %s --binary %s -n 5"):format(H.q(base .. ".dump"), H.q(base))))
      assert.matches("main%.queue → ", text)
    end)

    it("examples/heap-pins.lua names each big array's root, allocation line and escape", function()
      local out = H.must(H.cli_cmd(("run %s/examples/heap-pins.lua %s %s %s"):format(H.root,
        H.q(base .. ".dump"), H.q(base), H.q(base .. ".m2.log"))))
      assert.matches("5 objects of 64%.0 KiB or more are alive", out)
      local block = out:match("4%.0 MiB array, retained by main%.pinned[^\n]*\n[^\n]*\n[^\n]*")
      assert.is_truthy(block, out)
      assert.matches("points 100 bytes into it", block)
      assert.matches("allocated in main%.main at main%.go:4[34]", block)
      assert.matches("escape: make%(%[%]byte, [^)]+%) escapes to heap", block)
    end)

    it("the dominator tree's top level holds every array's holder", function()
      local rows, total = d:dominators(nil, { n = 1000 })
      assert.is_true(total >= 5)
      local heads = {}
      for _, r in ipairs(rows) do heads[r.address] = true end
      for _, k in pairs(kept) do
        local p = assert(d:path(k.address))
        assert.is_true(heads[p[2].address])
      end
    end)
  end)
end
