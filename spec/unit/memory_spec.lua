-- ge.memory on committed fixtures (spec/fixtures/memory/data, remade by
-- gen.sh there): real GODEBUG=gctrace=1,scavtrace=1 logs of
-- spec/fixtures/memory/phases under Go 1.26 and 1.19 with the program's own
-- oracle (its forced cycles and ReadMemStats at the end), the three MemStats
-- answers of spec/fixtures/memory/snap with ReadMemStats taken right before
-- and right after each, the line forms of older Go versions, and cut or
-- garbage input. spec/memory_spec.lua makes the same runs afresh with every
-- Go here.
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"

local DIR = H.root .. "/spec/fixtures/memory/data/"
local SNAP = cjson.decode(H.read(DIR .. "snap.json"))

-- Fields of a snapshot that cannot move between the snapshot and the
-- ReadMemStats calls around it (the collector is off: no cycle), and fields
-- that only grow, which must lie between the two (not HeapSys: stack spans
-- leave it). (NextGC moves: with the
-- collector off the goal is a huge number less the heap.)
local EXACT = { "NumGC", "NumForcedGC", "LastGC" }
local GROWING = { "TotalAlloc", "Mallocs", "Frees", "Sys" }

local function floats(list)
  local t = {}
  for i, v in ipairs(list) do t[i] = v + 0.0 end
  return t
end

local function check_bracket(snap, br, exact)
  for _, k in ipairs(exact) do
    -- as floats: Lua 5.4 reads LastGC as an exact integer, cjson as a float
    local v = snap[k] + 0.0
    assert.is_true(br.Before[k] == v and br.After[k] == v,
      ("%s: %s, oracle %s"):format(k, tostring(snap[k]), tostring(br.Before[k])))
  end
  for _, k in ipairs(GROWING) do
    assert.is_true(br.Before[k] <= snap[k] and snap[k] <= br.After[k],
      ("%s: %s not in [%s, %s]"):format(k, tostring(snap[k]), br.Before[k], br.After[k]))
  end
end

describe("ge.memory.memstats", function()
  it("reads the MemStats block of /debug/pprof/heap?debug=1", function()
    local s = assert(ge.memory.memstats(H.read(DIR .. "heap-debug1.txt"), "heap"))
    assert.are.equal("pprof", s.source)
    assert.are.equal("heap", s.name)
    check_bracket(s, SNAP["heap.txt"], EXACT)
    assert.same(floats(SNAP["heap.txt"].Before.PauseNs), floats(s.PauseNs))
    assert.same(floats(SNAP["heap.txt"].Before.PauseEnd), floats(s.PauseEnd))
    assert.are.equal(256, #s.PauseNs)
    -- "Stack = inuse / sys" and the other pairs, and the fields read as one
    for _, k in ipairs({ "StackInuse", "StackSys", "MSpanInuse", "MSpanSys", "MCacheInuse",
      "MCacheSys", "HeapAlloc", "HeapIdle", "HeapReleased", "HeapInuse", "GCCPUFraction", "MaxRSS" }) do
      assert.is_number(s[k], k)
    end
    assert.are.equal(s.HeapSys, s.HeapIdle + s.HeapInuse)
    assert.is_false(s.DebugGC)
  end)

  it("reads /debug/vars JSON (expvar's memstats)", function()
    local s = assert(ge.memory.memstats(H.read(DIR .. "vars.json"), "vars"))
    assert.are.equal("expvar", s.source)
    check_bracket(s, SNAP["vars.json"], { "NumGC", "NumForcedGC", "LastGC", "PauseTotalNs" })
    assert.same(floats(SNAP["vars.json"].Before.PauseNs), floats(s.PauseNs))
    assert.are.equal(s.HeapSys, s.HeapIdle + s.HeapInuse)
  end)

  it("reads runtime/metrics 'NAME VALUE' lines as MemStats fields", function()
    local s = assert(ge.memory.memstats(H.read(DIR .. "metrics.txt"), "metrics"))
    assert.are.equal("metrics", s.source)
    check_bracket(s, SNAP["metrics.txt"], { "NumGC", "NumForcedGC" })
    assert.is_number(s.metrics["/gc/heap/goal:bytes"])
    assert.is_nil(s.metrics["/gc/heap/allocs-by-size:bytes"]) -- a histogram: skipped
    assert.is_true(s.GCCPUFraction > 0 and s.GCCPUFraction < 1)
  end)

  it("opens files, and answers bad input with nil, err, code", function()
    assert.are.equal("pprof", assert(ge.memory.memstats_open(DIR .. "heap-debug1.txt")).source)
    local s, err, code = ge.memory.memstats_open(DIR .. "nope")
    assert.is_nil(s); assert.are.equal("io", code); assert.is_truthy(err:find("nope", 1, true))
    local text = H.read(DIR .. "heap-debug1.txt")
    local cut = text:sub(1, text:find("# runtime.MemStats", 1, true) - 1)
    s, err, code = ge.memory.memstats(cut, "cut")
    assert.is_nil(s); assert.are.equal("format", code); assert.matches("^cut: .*cut short", err)
    s, err, code = ge.memory.memstats(text:gsub("# Stack = (%d+) / %d+", "# Stack = %1"), "bad")
    assert.is_nil(s); assert.are.equal("format", code); assert.matches("^bad: line %d+: Stack", err)
    for _, junk in ipairs({ "", "hello", "{\"memstats\": 1}", "{", "/gc/x\n", "\0\1\2" }) do
      s, err, code = ge.memory.memstats(junk, "junk")
      assert.is_nil(s); assert.are.equal("format", code); assert.matches("^junk: ", err)
    end
    assert.has_error(function() ge.memory.memstats(42) end)
  end)
end)

-- A line says "(forced)" when the runtime's work.userForced is set as it
-- prints, after it has woken the goroutines waiting for the cycle: a
-- runtime.GC() called right then has already started the next cycle and
-- set the flag for it (Go 1.19 printed "(forced)" on cycle 7 here, a
-- background cycle, whose NumForcedGC count was not bumped). So a line
-- either tells its own cycle's truth or the next cycle's.
local function check_forced(cycles, forced, i)
  local c = cycles[i]
  if c.forced ~= (forced[c.n] == true) then
    local nxt = cycles[i + 1]
    assert.is_truthy(nxt, "cycle " .. c.n .. ": forced wrong and no next cycle")
    assert.are.equal(forced[nxt.n] == true, c.forced, "cycle " .. c.n)
  end
end

local function forced_set(o)
  local t = {}
  for _, n in ipairs(o.Forced) do t[n] = true end
  return t
end

describe("ge.memory.gctrace", function()
  for _, v in ipairs({ "go126", "go119" }) do
    it(v .. ": one cycle per NumGC, forced ones as the program forced them", function()
      local o = cjson.decode(H.read(DIR .. "phases-" .. v .. ".json"))
      local t = assert(ge.memory.gctrace_open(DIR .. "phases-" .. v .. ".log"))
      assert.are.equal(o.End.NumGC, #t.cycles)
      assert.are.equal(o.End.NumGC, t.summary.gc_count)
      assert.are.equal(o.ForcedCalls, o.End.NumForcedGC)
      local forced = forced_set(o)
      for i, c in ipairs(t.cycles) do
        assert.are.equal(i, c.n)
        check_forced(t.cycles, forced, i)
        assert.are.equal(118, c.form)
        assert.is_true(c.heap_live <= c.heap_after and c.goal > 0 and c.procs >= 1)
        assert.are.equal(c.sweep_term + c.mark_term, c.pause)
        assert.is_true(i == 1 or c.t >= t.cycles[i - 1].t)
      end
      -- the program's own stderr lines are skipped, nothing is malformed
      assert.are.equal(6, t.skipped)
      assert.are.equal(0, t.malformed)
      assert.is_true(#t.scav > 0)
      -- debug.FreeOSMemory's scavenger line
      local any_forced = false
      for _, s in ipairs(t.scav) do any_forced = any_forced or s.forced end
      assert.is_true(any_forced)
      local sum = t.summary
      assert.is_true(sum.pause.p50 <= sum.pause.p99 and sum.pause.p99 <= sum.pause.max)
      assert.are.equal(0, sum.heap_live_forced.last)
    end)
  end

  it("go126: the goroutine-leak profile's cycle carries the leak-check note", function()
    local o = cjson.decode(H.read(DIR .. "leakcheck-go126.json"))
    local t = assert(ge.memory.gctrace_open(DIR .. "leakcheck-go126.log"))
    assert.are.equal(o.NumGC, #t.cycles)
    assert.are.equal(o.Requests, t.summary.leak_checks)
    assert.is_true(t.cycles[1].leak_check and t.cycles[1].forced)
  end)

  it("reads the forms of older and newer Go versions, and a prefixed line", function()
    local t = assert(ge.memory.gctrace_open(DIR .. "old_forms.txt"))
    local c = t.cycles
    assert.are.equal(14, c[1].form); assert.are.equal(4, c[1].procs)
    assert.same({ 1000, 2000, 3000, 4000 }, c[1].clock)
    assert.are.equal(10 * 2 ^ 20, c[1].heap_before); assert.is_nil(c[1].t)
    assert.are.equal(15, c[2].form); assert.are.equal(966e6, c[2].t)
    assert.are.equal(0 + 1e6 + 1e6, c[2].pause) -- sweep term + sync + mark term
    assert.are.equal(3e6, c[2].cpu_mark_term); assert.are.equal(1e6, c[2].cpu_assist)
    assert.are.equal(16, c[3].form); assert.is_nil(c[3].stacks)
    assert.are.equal(0.5e6, c[3].cpu_assist); assert.are.equal(3.1e6, c[3].cpu_idle)
    assert.is_true(c[4].leak_check); assert.is_true(c[4].forced)
    assert.are.equal(350 * 2 ^ 20, c[4].goal)
    assert.are.equal(6, c[5].n) -- behind a timestamp prefix
    assert.are.equal(5, #c)
    local s = t.scav
    assert.are.equal("scvg", s[1].kind); assert.are.equal(12 * 2 ^ 20, s[1].work)
    assert.are.equal(12 * 2 ^ 20, s[2].released); assert.are.equal(3 * 2 ^ 20, s[2].consumed)
    assert.is_true(s[3].forced)
    assert.are.equal(8 * 1024, s[4].work)
    assert.is_true(s[5].reset); assert.are.equal(7232 * 1024, s[5].released)
    assert.are.equal(1, t.malformed) -- the cut last line
    assert.matches("old_forms.txt: line 12: expected", t.warnings[1])
    assert.are.equal(1, t.skipped) -- gctrace=2's scan line
    local _, err, code = ge.memory.gctrace_open(DIR .. "old_forms.txt", { strict = true })
    assert.are.equal("format", code); assert.matches("line 12: expected '<a>%-><b>%-><c> MB, '", err)
  end)

  it("tells runs apart, and answers garbage, cut and binary input", function()
    local log = H.read(DIR .. "phases-go126.log")
    local t = assert(ge.memory.gctrace_parse(log .. log, "twice"))
    assert.are.equal(2, t.runs)
    assert.are.equal(#t.cycles / 2, t.summary.gc_count)
    t = assert(ge.memory.gctrace_open({ DIR .. "phases-go126.log", DIR .. "phases-go119.log" }))
    assert.are.equal(2, t.runs); assert.are.equal(2, #t.inputs)
    local crlf = assert(ge.memory.gctrace_parse((log:gsub("\n", "\r\n")), "crlf"))
    local plain = assert(ge.memory.gctrace_parse(log, "plain"))
    assert.are.equal(#plain.cycles, #crlf.cycles); assert.are.equal(#plain.scav, #crlf.scav)
    assert.are.equal(0, crlf.malformed)
    local heap = H.read(DIR .. "heap-debug1.txt")
    assert.same(assert(ge.memory.memstats(heap, "h")).NumGC,
      assert(ge.memory.memstats((heap:gsub("\n", "\r\n")), "h")).NumGC)
    t = assert(ge.memory.gctrace_parse("hello\nworld\n", "junk"))
    assert.are.equal(0, #t.cycles); assert.are.equal(2, t.skipped); assert.is_nil(t.summary.pause)
    for cut = 1, #log, 97 do
      t = assert(ge.memory.gctrace_parse(log:sub(1, cut), "cut"))
      assert.is_true(t.malformed <= 1)
    end
    local _, err, code = ge.memory.gctrace_parse("gc 1 @0.1s 0%\0", "bin")
    assert.are.equal("format", code); assert.matches("^bin: line 1: a NUL byte", err)
    _, err, code = ge.memory.gctrace_parse(log, "big", { limits = { max_records = 3 } })
    assert.are.equal("limit", code); assert.matches("max_records", err)
    _, _, code = ge.memory.gctrace_open(DIR .. "nope")
    assert.are.equal("io", code)
    assert.has_error(function() ge.memory.gctrace_parse(log, "x", { max_records = 1 }) end)
    assert.has_error(function() ge.memory.gctrace_parse(nil) end)
  end)
end)

describe("ge.analysis.rss", function()
  local snaps = { DIR .. "heap-debug1.txt", DIR .. "vars.json", DIR .. "metrics.txt" }

  it("splits each snapshot into parts that add up to Sys, and says which grew", function()
    local r = assert(ge.analysis.rss { snapshots = snaps })
    assert.are.equal(6, #r.parts)
    for i, path in ipairs(snaps) do
      local s = assert(ge.memory.memstats_open(path))
      local sum = 0
      for _, p in ipairs(r.parts) do sum = sum + p.values[i] end
      assert.are.equal(s.Sys, sum)
      assert.are.equal(s.Sys - s.HeapReleased, r.resident.values[i])
      assert.are.equal(s.source, r.snapshots[i].source)
    end
    for _, p in ipairs(r.parts) do
      assert.are.equal(p.values[3] - p.values[1], p.delta)
      assert.is_string(p.meaning); assert.is_string(p.todo)
    end
    assert.is_string(r.verdict.text)
    assert.is_nil(r.growth)
    -- the same through ge.memory.rss, with snapshot tables
    local tables = {}
    for i, p in ipairs(snaps) do tables[i] = assert(ge.memory.memstats_open(p)) end
    assert.same(r.parts, assert(ge.memory.rss { snapshots = tables }).parts)
  end)

  it("answers bad snapshots with nil, err, code; misuse raises", function()
    local _, err, code = ge.analysis.rss { snapshots = { snaps[1], DIR .. "nope" } }
    assert.are.equal("io", code); assert.matches("nope", err)
    _, err, code = ge.analysis.rss { snapshots = { snaps[1], { name = "bare", HeapAlloc = 1 } } }
    assert.are.equal("format", code); assert.matches("^bare: no HeapInuse", err)
    assert.has_error(function() ge.analysis.rss { snapshots = { snaps[1] } } end)
    assert.has_error(function() ge.analysis.rss { snapshots = { snaps[1], 42 } } end)
    assert.has_error(function() ge.analysis.rss { snapshots = snaps, before = "x.pb.gz" } end)
    assert.has_error(function() ge.analysis.rss { snapshots = snaps, max_records = 1 } end)
  end)
end)
