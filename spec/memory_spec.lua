-- ge.memory and its commands on real runs made here, with every Go of the
-- machine (1.19, 1.26, 1.27): spec/fixtures/memory/phases under
-- GODEBUG=gctrace=1,scavtrace=1 (oracle: the program's forced cycles and
-- ReadMemStats at the end), snap's three MemStats answers (oracle:
-- ReadMemStats right before and after each), and rss's snapshots and heap
-- profiles while it leaks, then frees (oracle: the bytes it kept, and
-- ReadMemStats right after each snapshot).
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"

local F = require "spec.memory_fixtures"
local SRC = F.src

local runs = {}
for _, c in ipairs(H.go_compilers()) do
  runs[#runs + 1] = { c = c, phases = F.phases(c), snap = F.snap(c), rss = F.rss(c),
    leakcheck = F.leakcheck(c) }
end

local function oracle(dir) return cjson.decode(H.read(dir .. "/oracle.json")) end

local MiB = 1048576

for _, r in ipairs(runs) do
  describe("ge.memory with " .. r.c.name, function()
    it("gctrace: one cycle per NumGC, the forced ones as the program forced them", function()
      local o = oracle(r.phases)
      local t = assert(ge.memory.gctrace_open(r.phases .. "/gc.log"))
      assert.are.equal(o.End.NumGC, #t.cycles)
      assert.are.equal(o.ForcedCalls, o.End.NumForcedGC)
      local forced = {}
      for _, n in ipairs(o.Forced) do forced[n] = true end
      for i, c in ipairs(t.cycles) do
        assert.are.equal(i, c.n)
        -- "(forced)" is the runtime's flag as it prints: its own cycle's, or
        -- the next one's when runtime.GC() started that one first (see
        -- spec/unit/memory_spec.lua)
        if c.forced ~= (forced[c.n] == true) then
          assert.is_truthy(t.cycles[i + 1], "cycle " .. i)
          assert.are.equal(forced[c.n + 1] == true, c.forced, "cycle " .. i)
        end
        assert.is_number(c.stacks); assert.is_number(c.globals) -- Go 1.18+
        assert.are.equal(c.sweep_term + c.mark_term, c.pause)
      end
      assert.are.equal(0, t.malformed)
      assert.are.equal(6, t.skipped) -- the program's "phase N: ..." lines
      local released_forced = false
      for _, s in ipairs(t.scav) do
        assert.is_number(s.released); assert.is_number(s.freed); assert.is_number(s.util)
        released_forced = released_forced or s.forced
      end
      assert.is_true(released_forced) -- debug.FreeOSMemory
      -- the live heap after the last forced cycle: what ReadMemStats saw, in MiB truncated
      assert.are.equal(math.floor(o.End.HeapAlloc / MiB) * MiB, t.cycles[#t.cycles].heap_live)
    end)

    if r.leakcheck then
      it("gctrace: the goroutine-leak profile's cycle carries the leak-check note", function()
        local o = oracle(r.leakcheck)
        local t = assert(ge.memory.gctrace_open(r.leakcheck .. "/gc.log"))
        assert.are.equal(o.NumGC, #t.cycles)
        assert.are.equal(o.Requests, t.summary.leak_checks)
        assert.are.equal(3, o.Leaked)
        for _, c in ipairs(t.cycles) do
          if c.leak_check then assert.is_true(c.forced); assert.are.equal(118, c.form) end
        end
        assert.are.equal(0, t.malformed)
      end)
    end

    it("memstats: heap?debug=1, /debug/vars and runtime/metrics against ReadMemStats", function()
      local o = oracle(r.snap)
      local exact = {
        ["heap.txt"] = { "NumGC", "NumForcedGC", "LastGC" },
        ["vars.json"] = { "NumGC", "NumForcedGC", "LastGC", "PauseTotalNs" },
        ["metrics.txt"] = { "NumGC", "NumForcedGC" },
      }
      for file, fields in pairs(exact) do
        local s = assert(ge.memory.memstats_open(r.snap .. "/" .. file))
        local br = o[file]
        for _, k in ipairs(fields) do
          local v = s[k] + 0.0
          assert.is_true(v == br.Before[k] and v == br.After[k], file .. " " .. k)
        end
        for _, k in ipairs({ "TotalAlloc", "Mallocs", "Frees", "Sys" }) do
          assert.is_true(br.Before[k] <= s[k] and s[k] <= br.After[k],
            ("%s %s: %s not in [%s, %s]"):format(file, k, tostring(s[k]), br.Before[k], br.After[k]))
        end
      end
    end)

    it("rss: a leak is the live heap, found by line in the heap profiles with its escape", function()
      local o = oracle(r.rss)
      local d = r.rss
      local rep = assert(ge.memory.rss { snapshots = { d .. "/snap1.txt", d .. "/snap2.txt", d .. "/snap3.txt" },
        before = d .. "/heap1.pb.gz", after = d .. "/heap3.pb.gz", escape = d .. "/m2.log" })
      for i = 1, 3 do
        local s = assert(ge.memory.memstats_open(d .. "/snap" .. i .. ".txt"))
        assert.are.equal(o.Stats[i].NumGC, s.NumGC)
        assert.is_true(s.TotalAlloc <= o.Stats[i].TotalAlloc)
      end
      local live = rep.parts[1]
      assert.are.equal("live", live.key)
      assert.is_true(live.delta >= 0.95 * o.Kept[2] and live.delta <= o.Kept[2] + MiB,
        ("live +%d, kept %d"):format(live.delta, o.Kept[2]))
      assert.are.equal("live", rep.verdict.key)
      assert.is_true(rep.verdict.leak)
      local top = rep.growth.rows[1]
      local line = 0
      for l in io.lines(SRC .. "rss/main.go") do
        line = line + 1
        if l:find("buf: make(", 1, true) then break end
      end
      assert.are.equal(line, top.line)
      assert.are.equal("main.newRecord", top.func)
      assert.is_true(top.delta > 0.8 * o.Kept[2] and top.delta < 1.2 * o.Kept[2])
      local escapes = false
      for _, dg in ipairs(top.diagnostics) do escapes = escapes or dg.kind == "escapes_to_heap" end
      assert.is_true(escapes)
      -- the leak dropped and the heap held by the runtime: no leak
      rep = assert(ge.analysis.rss { snapshots = { d .. "/snap1.txt", d .. "/snap4.txt" } })
      assert.is_false(rep.verdict.leak)
      assert.is_true(rep.verdict.key == "held" or rep.verdict.key == "none", rep.verdict.key)
    end)

    it("the commands: goescape gctrace and goescape memory, text and --json", function()
      local o = oracle(r.phases)
      local out = H.must(H.cli_cmd("gctrace " .. H.q(r.phases .. "/gc.log")))
      assert.matches(("GC cycles: %d %%(%%d+ forced%%)"):format(o.End.NumGC), out)
      out = H.must("cat " .. H.q(r.phases .. "/gc.log") .. " | " .. H.cli_cmd("gctrace --json -"))
      local n, last = 0, nil
      for l in out:gmatch("[^\n]+") do
        last = cjson.decode(l)
        if last.type == "gc" then n = n + 1 end
      end
      assert.are.equal(o.End.NumGC, n)
      assert.are.equal("summary", last.type); assert.are.equal(o.End.NumGC, last.gc_count)
      local d = r.rss
      out = H.must(H.cli_cmd(("memory %s/snap1.txt %s/snap2.txt %s/snap3.txt --profile %s/heap1.pb.gz"
        .. " --profile %s/heap3.pb.gz --escape %s/m2.log"):format(d, d, d, d, d, d)))
      assert.matches("a leak is likely", out)
      assert.matches("main%.go:%d+ main%.newRecord", out)
      out = H.must(H.cli_cmd(("memory --json %s/snap1.txt %s/vars.json %s/metrics.txt"):format(d, r.snap, r.snap)))
      local j = cjson.decode(out)
      assert.are.equal(6, #j.parts); assert.are.equal(3, #j.resident.values)
    end)
  end)
end

describe("goescape gctrace / memory on bad input", function()
  it("fails with one line, exit 1; usage errors exit 2", function()
    local dir = H.tmpdir("memory-bad")
    H.write(dir .. "/bin", "gc 1 @\0\1\2")
    H.write(dir .. "/junk.txt", "not memstats\n")
    local out, rc, err = H.cli("gctrace " .. H.q(dir .. "/bin"))
    assert.are.equal(1, rc); assert.matches("^goescape: .*line 1: a NUL byte[^\n]*\n$", err); assert.are.equal("", out)
    _, rc, err = H.cli("gctrace " .. H.q(dir .. "/nope"))
    assert.are.equal(1, rc); assert.matches("^goescape: [^\n]*\n$", err)
    _, rc, err = H.cli("memory " .. H.q(dir .. "/junk.txt") .. " " .. H.q(dir .. "/junk.txt"))
    assert.are.equal(1, rc); assert.matches("^goescape: .*junk.txt: not MemStats", err)
    _, rc = H.cli("memory " .. H.q(dir .. "/junk.txt"))
    assert.are.equal(2, rc)
    local snap = H.root .. "/spec/fixtures/memory/data/heap-debug1.txt"
    _, rc, err = H.cli(("memory %s %s --profile x"):format(snap, snap))
    assert.are.equal(2, rc); assert.matches("profile", err)
    -- a gctrace log cut in the middle of a line: a warning, the rest read
    local log = H.read(H.root .. "/spec/fixtures/memory/data/phases-go126.log")
    H.write(dir .. "/cut.log", log:sub(1, log:find("MB goal", 200, true)))
    out, rc, err = H.cli("gctrace " .. H.q(dir .. "/cut.log"))
    assert.are.equal(0, rc); assert.matches("warning: .*cut.log: line %d+: expected", err)
    assert.matches("GC cycles: %d+", out)
  end)
end)
