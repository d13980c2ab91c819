-- Retention patterns (goescape.analysis.retention) on dumps written in the
-- spec's setup by spec/fixtures/heapdump/patterns (built with Go 1.19, the
-- machine's Go and Go 1.27): arrays of sizes no other case uses, kept
-- alive by a sub-slice in a global, a sync.Pool's victim cache, a
-- channel's buffer, a context value, a blocked goroutine's closure, a map
-- that grew and lost almost all its entries, and a map's value. The
-- program prints each array's address, size and holder; the checks: the
-- retained size, the path the program built from the named root, the
-- pattern and the numbers it rests on, and the allocation line.
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"

local F = require "spec.heapdump_fixtures"
local PROG = F.PATTERNS
local dumps = F.patterns()

-- Each case: the text of the line that allocates its object, the steps
-- from the root to it, its pattern, and its root's kind.
local CASES = {
  subslice = { text = "make([]byte, 9<<20)", steps = 1, pattern = "subslice_pin" },
  capped = { text = "make([]byte, 1<<20)[:32:32]", steps = 1, pattern = "subslice_pin" },
  pool = { text = "make([]byte, 7<<20)", steps = 3, pattern = "sync_pool" },
  channel = { text = "make([]byte, 5<<20)", steps = 3, pattern = "chan_buffer" },
  context = { text = "make([]byte, 3<<20)", steps = 3, pattern = "context_value" },
  goroutine = { text = "make([]byte, 6<<20)", steps = 1, pattern = "goroutine_closure" },
  closure = { text = "make([]byte, 8<<20)", steps = 1, pattern = "goroutine_closure" },
  map = { text = "grown = make(map[int][64]byte)", steps = 1, pattern = "map_growth" },
  entry = { text = "make([]byte, 2<<20)", steps = 3, pattern = "map_entry" },
}

local LINES = {}
do
  local n = 0
  for line in io.lines(PROG .. "/main.go") do
    n = n + 1
    for k, c in pairs(CASES) do
      if line:find(c.text, 1, true) then LINES[k] = n end
    end
    if line:find("context.WithValue(", 1, true) then LINES.with_value = n end
  end
end

local at_line = F.at_line

for _, c in ipairs(H.go_compilers()) do
  describe("retention patterns in dumps written by " .. c.name, function()
    local base = ("%s/patterns-%s"):format(dumps, c.name)
    local kept = cjson.decode(H.read(base .. ".json"))
    local d = assert(ge.heapdump.open(base .. ".dump", { binary = base }))
    local rows = assert(d:retainers{ n = 60 })
    local ptr = d:info().ptr_size

    local function row_of(addr)
      for _, r in ipairs(rows) do if r.address == addr then return r end end
    end

    for _, k in ipairs({ "subslice", "capped", "pool", "channel", "context", "goroutine", "closure", "map", "entry" }) do
      local case = CASES[k]
      it(k .. ": " .. case.pattern .. ", with its retained size, path, root and allocation line", function()
        local want = kept[k]
        local r = assert(row_of(want.address), k)
        assert.is_true(r.retained >= want.size, k)
        assert.equal(case.steps, #r.path - 1)
        assert.equal(want.address, r.path[#r.path].address)
        local root = r.path[1]
        if k == "goroutine" or k == "closure" then
          assert.equal("stack", root.root)
          assert.equal(want.holder, root.func)
        else
          assert.is_truthy(root.root == "data" or root.root == "bss", root.root)
          assert.equal(want.holder, root.name)
        end
        assert.equal(case.pattern, r.pattern)
        assert.is_string(r.why)
        assert.equal(ge.heapdump.step_text(r.path, 1), r.evidence.holder)
        local site = assert(r.site)
        assert.is_true(at_line(r.alloc, site, LINES[k]), ("%s: line %d, want %d"):format(k, site.line, LINES[k]))
        assert.matches("patterns/main%.go$", site.file)
      end)
    end

    it("subslice: the array's size against the slice's length, where it points into it", function()
      local r = row_of(kept.subslice.address)
      assert.equal(9 * 1048576, r.evidence.array_bytes)
      assert.equal(64, r.evidence.offset) -- header = big[64:80]
      assert.equal("[]uint8", r.evidence.type)
      -- the slice header's len and cap, read after its pointer in bss
      assert.same({ 16, 9 * 1048576 - 64 }, r.path[1].after)
      assert.equal(16, r.evidence.len)
      assert.equal(9 * 1048576 - 64, r.evidence.cap)
      assert.equal(16, r.evidence.used_bytes)
      assert.matches("main%.header %(%[%]uint8%) is a 16%-byte sub%-slice, 64 bytes into a 9%.0 MiB array", r.why)
      assert.matches("bytes%.Clone", r.why)
    end)

    it("capped: a slice at the array's start whose capacity reaches 32 of its bytes", function()
      local r = row_of(kept.capped.address)
      assert.is_nil(r.path[1].target_offset) -- it points at the start
      assert.equal(0, r.evidence.offset)
      assert.equal(32, r.evidence.len)
      assert.equal(32, r.evidence.cap)
      assert.equal(1048576, r.evidence.array_bytes)
      assert.matches("main%.prefix %(%[%]uint8%) is a 32%-byte sub%-slice, at the start of a 1%.0 MiB array", r.why)
      -- a whole slice of its array (cap = the array) is not a pin
      for _, x in ipairs(rows) do
        local root = x.path[1]
        if x.pattern == "subslice_pin" and root.after and root.after[2] then
          assert.is_true((root.target_offset or 0) > 0 or root.after[2] * 2 <= x.size)
        end
      end
    end)

    it("pool: the buffer sits in the pool's victim cache after one collection", function()
      local r = row_of(kept.pool.address)
      assert.equal(2 * ptr, r.path[1].symbol_offset) -- sync.Pool.victim
      assert.equal("victim", r.evidence.cache)
      assert.equal(r.path[2].address, r.evidence.pool_array)
      -- the per-P array is the pool's own, made by Put
      local arr = assert(d:object(r.path[2].address))
      assert.equal("sync.(*Pool).pinSlow", ge.heapdump.alloc_site(arr.alloc).func)
      -- what holds the array: the same pattern, the whole buffer retained
      local holder = assert(row_of(r.path[2].address))
      assert.equal("sync_pool", holder.pattern)
      assert.is_true(holder.retained >= kept.pool.size)
      assert.matches("a sync%.Pool %(main%.pool%.victim, its victim cache%) holds 7%.0 MiB", holder.why)
    end)

    it("pool: a second collection empties the victim cache, and the other cases stay", function()
      local kept2 = cjson.decode(H.read(base .. ".2.json"))
      local d2 = assert(ge.heapdump.open(base .. ".2.dump", { binary = base }))
      local o = d2:object(kept2.pool.address)
      assert.is_true(o == nil or not o.reachable)
      for _, k in ipairs({ "subslice", "capped", "channel", "context", "goroutine", "closure", "map", "entry" }) do
        local x = assert(d2:object(kept2[k].address), k)
        assert.is_true(x.reachable and x.retained >= kept2[k].size, k)
      end
      for _, r in ipairs(assert(d2:retainers{ n = 400 })) do
        assert.is_true(r.pattern ~= "sync_pool" or r.retained < 1048576)
      end
      d2:close()
    end)

    it("channel: the channel held by the global, its hchan and buffer", function()
      local r = row_of(kept.channel.address)
      assert.equal(r.path[2].address, r.evidence.hchan)
      assert.equal("chan []uint8", r.path[1].type)
      local hchan = assert(row_of(r.path[2].address))
      assert.equal("chan_buffer", hchan.pattern)
      assert.is_true(hchan.retained >= kept.channel.size)
      assert.matches("the channel held by main%.jobs keeps 5%.0 MiB alive in its buffer", hchan.why)
    end)

    it("context: one WithValue node on the path, and the line that set it", function()
      local r = row_of(kept.context.address)
      assert.equal(1, r.evidence.contexts)
      assert.equal(r.path[2].address, r.evidence.value_ctx)
      assert.equal(("main.main at main.go:%d"):format(LINES.with_value), r.evidence.set_at)
      assert.matches("context%.WithValue value %(set in main%.main at main%.go:%d+%), held by main%.reqctx", r.why)
    end)

    it("goroutine: the blocked goroutine's id, function and wait reason", function()
      local r = row_of(kept.goroutine.address)
      local g
      for _, x in ipairs(d:goroutines()) do if x.id == r.path[1].goroutine then g = x end end
      assert.equal(4, g.status) -- waiting
      assert.equal("chan receive", r.evidence.wait_reason)
      assert.equal(g.id, r.evidence.goroutine)
      assert.equal("main.main.func1", r.evidence.func)
      assert.equal("main.main.func1", r.evidence.frame)
      -- the same goroutine's runtime frames (the receive it is blocked in)
      -- name it by its own function too
      for _, x in ipairs(assert(d:retainers{ n = 400 })) do
        local root = x.path[1]
        if root.root == "stack" and root.goroutine == g.id and root.func:match("^runtime%.") and x.pattern ~= "chan_buffer" then
          assert.equal("goroutine_closure", x.pattern)
          assert.equal("main.main.func1", x.evidence.func)
        end
      end
      assert.matches(("goroutine %d %%(main%%.main%%.func1%%), blocked in chan receive, keeps 6%%.0 MiB"):format(g.id),
        r.why)
    end)

    it("closure: a slice main.main made and the blocked goroutine's closure captured", function()
      local r = row_of(kept.closure.address)
      assert.equal("main.main", r.site.func) -- made outside the goroutine
      assert.equal("main.main.func2", r.evidence.func)
      assert.equal("main.main", r.evidence.captured_from)
      assert.equal("chan receive", r.evidence.wait_reason)
      assert.matches("keeps 8%.0 MiB, made in main%.main and captured by the closure, alive from its stack", r.why)
      -- the goroutine that made its own buffer captured nothing
      assert.is_nil(row_of(kept.goroutine.address).evidence.captured_from)
    end)

    it("map: its buckets stay after all but 16 of 100000 entries are deleted", function()
      local r = row_of(kept.map.address)
      -- 100000 entries of 64 bytes were stored; 16 remain
      assert.is_true(r.retained >= 100000 * 64, r.retained)
      assert.equal("map[int][64]uint8", r.path[1].type)
      assert.equal(r.retained, r.evidence.map_bytes)
      assert.matches("the map held by main%.grown keeps [%d.]+ MiB of its own memory", r.why)
      -- the map's value is a value, not the map's memory
      local e = row_of(kept.entry.address)
      assert.equal(e.path[2].address, e.evidence.map)
      assert.matches("a value in the map held by main%.index keeps 2%.0 MiB alive", e.why)
    end)

    it("field names along the paths, from the binary's struct layouts", function()
      local function labels(addr)
        local p = assert(d:path(addr))
        local out = {}
        for i in ipairs(p) do out[i] = (ge.heapdump.step_text(p, i):gsub(" 0x%x+.*", "")) end
        return table.concat(out, " → "), p
      end
      -- the layouts: every type is in the runtime's unit
      local bin = assert(ge.binary.open(base))
      local node = assert(bin:struct_members{ units = { "runtime" } })["main.node"]
      bin:close()
      assert.same({ { name = "next", offset = 0, type = "*main.node" }, { name = "buf", offset = 8, type = "[]uint8" } },
        node)
      -- the issue's example: a typed global, then each pointer field
      local text, p = labels(kept.chain.address)
      assert.equal("main.chain → 0x → .next → .buf", (text:gsub("→ 0x%x+[^→]*", "→ 0x ")):gsub("  ", " "))
      assert.equal("main.node", p[2].type)
      assert.equal("main.node", p[3].type)
      assert.equal("[...]uint8", p[4].type)
      assert.equal("next", p[3].member)
      assert.equal("buf", p[4].member)
      -- a root inside its global: the pool's victim field
      p = assert(d:path(kept.pool.address))
      assert.equal("main.pool.victim", p[1].member and ge.heapdump.step_text(p, 1))
      -- a channel global's hchan, then its buffer field
      local _, cp = labels(kept.channel.address)
      assert.equal("runtime.hchan", cp[2].type)
      assert.equal("buf", cp[3].member)
      -- a map global's header: Go 1.24's swiss map or the older hmap
      local mp = assert(d:path(kept.map.address))
      assert.equal(c.version >= "1.24" and "internal/runtime/maps.Map" or "runtime.hmap", mp[2].type)
      -- the --json path labels carry them too
      local out = H.must(H.cli_cmd(("retain %s --binary %s --json -n 60"):format(H.q(base .. ".dump"), H.q(base))))
      local seen
      for line in out:gmatch("[^\n]+") do
        local o = cjson.decode(line)
        if o.address == kept.chain.address then
          seen = true
          assert.equal("main.chain", o.path[1])
          assert.matches("^%.next 0x%x+ %(32 B%)$", o.path[3])
          assert.matches("^%.buf 0x%x+ %(4194304 B%)$", o.path[4])
        end
      end
      assert.is_true(seen)
    end)

    it("rows no pattern fits have none", function()
      local none = 0
      for _, r in ipairs(assert(d:retainers{ n = 400 })) do
        if r.path[1].name and r.path[1].name:match("^runtime%.all[pm]$") then
          assert.is_nil(r.pattern)
          assert.is_nil(r.why)
          none = none + 1
        end
      end
      assert.is_true(none > 0)
    end)

    it("goescape retain prints each pattern's sentence; --json adds pattern, why and evidence", function()
      local out = H.must(H.cli_cmd(("retain %s --binary %s --json -n 60"):format(H.q(base .. ".dump"), H.q(base))))
      local byaddr = {}
      for line in out:gmatch("[^\n]+") do
        local o = cjson.decode(line)
        byaddr[o.address] = o
      end
      for k, case in pairs(CASES) do
        local o = assert(byaddr[kept[k].address], k)
        assert.equal(case.pattern, o.pattern)
        assert.equal(row_of(kept[k].address).why, o.why)
        assert.is_string(o.evidence.holder)
        assert.is_number(o.retained) -- the first increment's keys stay
        assert.is_table(o.path)
      end
      local text = H.must(H.cli_cmd(("retain %s --binary %s -n 12"):format(H.q(base .. ".dump"), H.q(base))))
      assert.matches("\n +subslice_pin: main%.header %(%[%]uint8%) is a 16%-byte sub%-slice, 64 bytes into a 9%.0 MiB", text)
      assert.matches("\n +goroutine_closure: goroutine %d+ %(main%.main%.func1%)", text)
    end)
  end)
end
