-- t:lifetimes() and `goescape trace lifetimes` on traces recorded here with
-- GODEBUG=traceallocfree=1 by spec/fixtures/trace/src/traceprog (its annot
-- mode: the allocfree.trace of spec/trace_fixtures.lua; its lifetimes
-- mode: objects kept for 0 or 3 forced GCs; its gc mode: many GC cycles
-- over 20 ms generations), built by every Go here from 1.23. Oracle in the same run:
-- spec/fixtures/trace/src/allocfree_oracle, the same per-type counts
-- computed over golang.org/x/exp/trace's decoding and event order (built
-- offline from the module cache, pinned as bench/trace/xread is).
local H = require "spec.helpers"
local ge = require "goescape"

local SRC = H.root .. "/spec/fixtures/trace/src/traceprog"
local ORACLE = H.root .. "/spec/fixtures/trace/src/allocfree_oracle"
local FLIGHT = H.root .. "/spec/fixtures/trace/src/flightrec"

local function minor(c) return tonumber(c.version:match("^1%.(%d+)")) end

-- The oracle is built once, by the machine's Go (it reads every version);
-- its golang.org/x/exp is pinned in go.mod/go.sum and fetched through the
-- module proxy when the module cache lacks it (a fresh machine).
local oracle = H.cached("trace-allocfree-oracle", function(dir)
  H.must(("cd %s && env -u LD_PRELOAD GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o %s/oracle .")
    :format(H.q(ORACLE), H.q(dir)))
end) .. "/oracle"

-- the annot mode's AllocFree trace: spec/trace_fixtures.lua's
local F = require "spec.trace_fixtures"
local shared = {}
for _, d in ipairs(F.dirs()) do shared[d.compiler.name] = d.dir end

local runs = {}
for _, c in ipairs(H.go_compilers()) do
  if minor(c) >= 23 then
    local dir = H.cached("trace-lifetimes-" .. c.name, function(dir)
      H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/traceprog main.go"):format(H.q(SRC), c.go, H.q(dir)))
      F.record(dir, "env -u LD_PRELOAD GODEBUG=traceallocfree=1 ./traceprog lifetimes lifetimes.trace",
        "lifetimes.trace")
      F.record(dir, "env -u LD_PRELOAD ./traceprog annot plain.trace", "plain.trace")
      -- many GC cycles over 20 ms generations: a type table per generation
      F.record(dir, "env -u LD_PRELOAD GODEBUG=traceallocfree=1,traceadvanceperiod=20000000 ./traceprog gc gc.trace",
        "gc.trace")
      -- a flight recorder's capture (Go 1.25+): no type tables, no snapshot
      if minor(c) >= 25 then
        H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/flightrec main.go"):format(H.q(FLIGHT), c.go, H.q(dir)))
        F.record(dir, "env -u LD_PRELOAD GODEBUG=traceallocfree=1,traceadvanceperiod=20000000 ./flightrec flight.trace",
          "flight.trace")
      end
    end)
    runs[#runs + 1] = { compiler = c, dir = dir, annot = shared[c.name] .. "/allocfree.trace" }
  end
end

-- The oracle's rows by type address, and its totals.
local function oracle_of(path)
  local rows, tot = {}, nil
  for line in H.must(H.q(oracle) .. " " .. H.q(path)):gmatch("[^\n]+") do
    local f = {}
    for w in line:gmatch("%S+") do f[#f + 1] = w end
    if f[1] == "type" then
      local n = {}
      for i = 2, 17 do n[i] = tonumber(f[i]) end
      rows[n[2]] = { type = line:match("^type" .. ("%s+%S+"):rep(16) .. "%s(.*)$"), size = n[3], ptr_bytes = n[4],
        bytes = n[16], live_bytes = n[17],
        allocs = n[5], frees = n[6], existing = n[7], live = n[8], lifetimes = n[9],
        survived = { [0] = n[10], n[11], n[12], n[13] }, median_ns = n[14] >= 0 and n[14] or nil,
        p90_ns = n[15] >= 0 and n[15] or nil }
    elseif f[1] == "totals" then
      tot = {}
      for i, k in ipairs({ "allocs", "frees", "existing", "live", "unknown_frees", "gc_cycles", "spans",
        "span_allocs", "span_frees", "stacks", "stack_allocs", "stack_frees" }) do
        tot[k] = tonumber(f[i + 1])
      end
    end
  end
  return rows, tot
end

-- The histogram's middle is within 1/16 of the exact value (1/8 allowed:
-- Go's reader orders events by sequence numbers, ours by time, and a few
-- ns of tie-breaking move a lifetime).
local function near(exact, ours)
  if exact == nil then return ours == nil end
  return ours ~= nil and math.abs(ours - exact) <= exact / 8 + 8
end

local function by_type(rows, name)
  for _, r in ipairs(rows) do
    if r.type == name then return r end
  end
end

-- A number of traceprog's source: the first capture of pattern.
local source = H.read(SRC .. "/main.go")
local function src_num(pattern) return tonumber((assert(source:match(pattern), pattern))) end

describe("t:lifetimes() on traces of real programs", function()
  for _, run in ipairs(runs) do
    local c = run.compiler
    for _, name in ipairs(minor(c) >= 25 and { "annot", "lifetimes", "gc", "flight" } or { "annot", "lifetimes", "gc" }) do
      local path = name == "annot" and run.annot or run.dir .. "/" .. name .. ".trace"
      it(("counts each type's objects as the x/exp/trace oracle does (%s, %s)"):format(c.name, name), function()
        local t = assert(ge.trace.open(path))
        local rows = assert(t:lifetimes())
        t:close()
        local want, wtot = oracle_of(path)
        local n = 0
        for _, r in ipairs(rows) do
          n = n + 1
          local w = want[r.addr]
          assert.is_not_nil(w, r.type)
          assert.are.same({ w.type, w.size, w.ptr_bytes, w.allocs, w.bytes, w.frees, w.existing, w.live,
              w.live_bytes, w.lifetimes, w.survived },
            { r.type, r.size, r.ptr_bytes, r.allocs, r.bytes, r.frees, r.existing, r.live, r.live_bytes,
              r.lifetimes, r.survived })
          assert.is_true(near(w.median_ns, r.median_ns), ("%s median %s vs %s"):format(r.type, tostring(r.median_ns), tostring(w.median_ns)))
          assert.is_true(near(w.p90_ns, r.p90_ns), ("%s p90 %s vs %s"):format(r.type, tostring(r.p90_ns), tostring(w.p90_ns)))
          if rows[n + 1] then assert.is_true(r.bytes >= rows[n + 1].bytes) end
        end
        local count = 0
        for _ in pairs(want) do count = count + 1 end
        assert.are.equal(count, n)
        local tot = {}
        for k in pairs(wtot) do tot[k] = rows.totals[k] end
        assert.are.same(wtot, tot)
        assert.are.equal(n, rows.totals.types)
        if name == "flight" then
          assert.is_nil(rows.totals.heap_align) -- the info batch is the first generation's
          assert.is_true(rows.totals.unknown_types > 0)
        end
        if name == "gc" then
          assert.is_true(t.generations > 1)
          local node = assert(by_type(rows, "main.node"))
          assert.is_true(node.survived[0] > 0 and node.survived[1] + node.survived[2] + node.survived[3] > 0)
        end
      end)
    end

    it(("finds main.node with the allocations traceprog annot makes (%s)"):format(c.name), function()
      -- annot: W workers each build R lists of N nodes; the first list of
      -- each is kept in a global (sink) through the final runtime.GC()
      local body = source:match("func annot%(%)(.-)\nfunc ")
      local W = tonumber(body:match("for w := 0; w < (%d+);"))
      local R = tonumber(body:match("for i := 0; i < (%d+);"))
      local N = tonumber(body:match("alloc%((%d+)%)"))
      local t = assert(ge.trace.open(run.annot))
      local rows = assert(t:lifetimes())
      local node = assert(by_type(rows, "main.node"))
      assert.are.equal(W * R * N, node.allocs)
      assert.are.equal(node.allocs, node.live + node.frees)
      -- the kept lists stay live (the workers append to sink under a mutex:
      -- unlocked, appends were lost and so were kept lists), the dropped
      -- ones are freed: runtime.GC() returns with its cycle swept
      assert.are.equal(W * N, node.live)
      assert.are.equal(W * (R - 1) * N, node.frees)
      assert.are.equal(node.frees, node.lifetimes)
      assert.is_true(node.median_ns <= node.p90_ns)
    end)

    it(("sorts shortObj and longObj by GC cycles survived (%s)"):format(c.name), function()
      local rounds = src_num("for round := 0; round < (%d+);")
      local shorts = src_num("for i := 0; i < (%d+); i%+%+ {\n%s*shortSink")
      local longs = src_num("for i := 0; i < (%d+); i%+%+ {\n%s*keep = append")
      local ring = src_num("var longRing %[(%d+)%]")
      local t = assert(ge.trace.open(run.dir .. "/lifetimes.trace"))
      local rows = assert(t:lifetimes())
      local s, l = assert(by_type(rows, "main.shortObj")), assert(by_type(rows, "main.longObj"))
      assert.are.equal(rounds * shorts, s.allocs)
      assert.are.equal(rounds * longs, l.allocs)
      -- short ones are dropped within their round, before its runtime.GC()
      assert.are.same({ [0] = rounds * shorts, 0, 0, 0 }, s.survived)
      -- a round's long ones are dropped RING rounds later: they live
      -- through RING collections
      assert.are.equal((rounds - ring) * longs, l.frees)
      assert.are.equal(ring * longs, l.live)
      assert.are.equal(l.frees, l.survived[math.min(ring, 3)])
      assert.is_true(l.median_ns > s.p90_ns)
      assert.are.equal(rounds, rows.totals.gc_cycles)
      -- bigObj: over 512 bytes with a pointer, so its slot starts with a
      -- malloc header and its allocation names the address after it; its
      -- frees name the slot: matched all the same
      local bigs = src_num("for i := 0; i < (%d+); i%+%+ {\n%s*bigSink")
      local b = assert(by_type(rows, "main.bigObj"))
      assert.are.equal(rounds * bigs, b.allocs)
      assert.are.same({ [0] = rounds * bigs, 0, 0, 0 }, b.survived)
      assert.are.equal(0, b.live)
      assert.is_true(b.bytes >= b.allocs * (b.size + 8))
      -- make([]byte, 100+i): recorded as uint8; bytes are the slots'
      local u8 = assert(by_type(rows, "uint8"))
      assert.is_true(u8.allocs >= rounds * bigs)
      assert.is_true(u8.bytes >= rounds * (bigs * 100 + bigs * (bigs - 1) / 2))
      local out = H.must(H.cli_cmd("trace lifetimes " .. H.q(run.dir .. "/lifetimes.trace")))
      local short = out:match("short%-lived.-\n\n")
      assert.matches("main%.shortObj", short)
      assert.not_matches("main%.longObj", short)
      assert.matches("long%-lived.*main%.longObj", out)
      local j = require("cjson").decode(H.must(H.cli_cmd("trace lifetimes --json " .. H.q(run.dir .. "/lifetimes.trace"))))
      assert.are.equal(#rows, #j.types)
      for i, r in ipairs(j.types) do
        assert.are.equal(rows[i].type, r.type)
        assert.are.same({ rows[i].survived[0], rows[i].survived[1], rows[i].survived[2], rows[i].survived[3] }, r.survived)
      end
      assert.are.equal("short", by_type(j.types, "main.shortObj").class)
      assert.are.equal("long", by_type(j.types, "main.longObj").class)
      assert.are.equal(rows.totals.allocs, j.totals.allocs)
    end)

    it(("says how to record one for a trace without AllocFree events (%s)"):format(c.name), function()
      local t = assert(ge.trace.open(run.dir .. "/plain.trace"))
      local rows, err, code = t:lifetimes()
      assert.is_nil(rows)
      assert.are.equal("notfound", code)
      assert.matches("GODEBUG=traceallocfree=1", err, 1, true)
      local _, rc, e = H.cli("trace lifetimes " .. H.q(run.dir .. "/plain.trace"))
      assert.are.equal(1, rc)
      assert.matches("GODEBUG=traceallocfree=1", e, 1, true)
    end)
  end
end)
