-- ge.trace on committed fixtures (spec/fixtures/trace/data, remade by
-- gen.sh there): Go's own text test traces of the 1.22, 1.23 and 1.25
-- formats turned into wire bytes, and traces of Go 1.26 (annotations; GC,
-- 50 goroutines, CPU samples and 20 ms generations; the AllocFree
-- experiment). Oracles recorded from `go tool trace -d=wire` (counts by
-- type) and `-d=parsed` (goroutine and time of logs, regions and heap
-- metrics; NAME.model: heap metrics, GC and STW ranges, goroutine
-- transitions, summed by spec/trace_oracle.lua). spec/trace_spec.lua makes traces afresh with the installed Go.
local H = require "spec.helpers"
local ge = require "goescape"

local DIR = H.root .. "/spec/fixtures/trace/data"

local function fixtures()
  local names = {}
  for line in H.must("ls " .. H.q(DIR)):gmatch("[^\n]+") do
    local n = line:match("^(.+)%.wire$")
    if n then names[#names + 1] = n end
  end
  table.sort(names)
  return names
end

local function wire_counts(name)
  local t = {}
  for n, k in H.read(DIR .. "/" .. name .. ".wire"):gmatch("(%d+) (%S+)") do t[k] = tonumber(n) end
  return t
end

local function our_counts(s)
  local t = {}
  for k, n in pairs(s.events) do t[k] = n end
  for k, n in pairs(s.tables) do t[k] = n end
  return t
end

local function open(name) return assert(ge.trace.open(DIR .. "/" .. name .. ".trace")) end

describe("ge.trace", function()
  describe("open", function()
    for _, name in ipairs(fixtures()) do
      it("counts every type of " .. name .. " as go tool trace -d=wire does", function()
        local t = open(name)
        local want = wire_counts(name)
        if name == "go122-fail-first-gen-first" then
          -- -d=wire prints the header of the last batch, which is cut off:
          -- its generation is incomplete and not counted
          want.EventBatch = want.EventBatch - 1
          assert.matches("cut off at byte 41: generation 2 is incomplete", t.warning)
        else
          assert.is_nil(t.warning)
        end
        assert.are.same(want, our_counts(t:summary()))
      end)
    end

    it("reads the version of each format's header", function()
      assert.are.equal("1.22", open("go122-annotations").go_version)
      assert.are.equal("1.23", open("go123-sync").go_version)
      assert.are.equal("1.25", open("go125-sync").go_version)
      assert.are.equal("1.26", open("go126-annot").go_version)
    end)

    it("counts generations, goroutines and GC cycles", function()
      local t = open("go126-gc")
      assert.is_true(t.generations >= 2)
      assert.is_true(t.goroutines >= 50)
      assert.is_true(t.gc_cycles >= 2)
      assert.are.equal(t:summary().events.GCBegin, t.gc_cycles)
      assert.are.equal(3, open("go125-sync").generations)
      local s = t:summary()
      assert.are.equal(t.generations, #t:gens())
      assert.are.equal(s["end"] - s.start, s.duration)
      local sum = 0
      for _, g in ipairs(t:gens()) do sum = sum + g.events end
      assert.are.equal(s.total, sum)
    end)

    it("refuses a trace of the pre-1.22 format, naming the Go versions that write it", function()
      local t, err, code = ge.trace.open(DIR .. "/go119-head.trace")
      assert.is_nil(t)
      assert.are.equal("format", code)
      assert.matches("go 1.19 trace %(written by Go 1.19 and 1.20%)", err)
      assert.matches("unsupported", err)
    end)

    it("refuses what is not a trace, and unknown versions", function()
      local cases = {
        ["not a trace"] = "not a Go execution trace",
        [""] = "not a Go execution trace",
        ["go 1.24 trace\0\0\0"] = "no Go release writes",
        ["go 1.28 trace\0\0\0"] = "newer than the formats goescape reads",
      }
      for bytes, msg in pairs(cases) do
        local t, err, code = ge.trace.parse(bytes, "x")
        assert.is_nil(t)
        assert.are.equal("format", code)
        assert.matches(msg, err)
      end
    end)

    it("gives an error naming the byte for a corrupt batch", function()
      local b = H.read(DIR .. "/go126-annot.trace")
      local bad = b:sub(1, 16) .. "\7" .. b:sub(18)
      local t, err, code = ge.trace.parse(bad, "bad.trace")
      assert.is_nil(t)
      assert.are.equal("format", code)
      assert.matches("^bad.trace: byte 16: not the start of a batch", err)
    end)

    it("keeps the complete generations of a cut-off trace and says what was lost", function()
      local b = H.read(DIR .. "/go126-gc.trace")
      local full = assert(ge.trace.parse(b))
      local gens = full:gens()
      assert.is_true(#gens >= 2)
      -- events per generation, for what each cut keeps
      for k = 1, #gens - 1 do
        local at = gens[k + 1].offset + math.floor(gens[k + 1].size / 2)
        local t = assert(ge.trace.parse(b:sub(1, at), "cut"))
        assert.are.equal(k, t.generations)
        local want = 0
        for i = 1, k do want = want + gens[i].events end
        assert.are.equal(want, t.events)
        assert.are.equal(at - gens[k + 1].offset, t.lost_bytes)
        assert.matches("cut off at byte " .. at .. ": generation " .. gens[k + 1].gen .. " is incomplete", t.warning)
      end
      -- a cut inside the first generation keeps nothing, and says so
      local t = assert(ge.trace.parse(b:sub(1, 1000)))
      assert.are.equal(0, t.generations)
      assert.matches("generation 1 is incomplete", t.warning)
      -- every length: never a crash, always a handle or a format error
      for n = 0, 600 do
        local r, err, code = ge.trace.parse(b:sub(1, n))
        assert.is_true(r ~= nil or code == "format", tostring(err))
      end
    end)

    it("reads stdin, whole, within max_inflated_bytes", function()
      local out = H.must(H.cli_cmd("trace summary --json - < " .. H.q(DIR .. "/go126-annot.trace")))
      assert.matches('"go_version":"1.26"', out)
      local _, rc, err = H.cli("trace summary - < " .. H.q(DIR .. "/go126-annot.trace"))
      assert.are.equal(0, rc, err)
      -- (a pipe: the core reads it in 64 KiB steps, each checked)
      _, rc, err = H.sh("cat " .. H.q(DIR .. "/go126-gc.trace") .. " | GOESCAPE_LIMITS=max_inflated_bytes=1000 " ..
        H.cli_cmd("trace summary -"))
      assert.are.equal(1, rc)
      assert.matches("max_inflated_bytes", err)
    end)

    it("takes options last and raises on unknown ones", function()
      assert.has_error(function() ge.trace.open(DIR .. "/go126-annot.trace", { max_records = 1 }) end,
        "goescape.trace.open: unknown option 'max_records' (limits go in {limits = {max_records = ...}})")
      assert.is_not_nil(ge.trace.open(DIR .. "/go126-annot.trace", { limits = { max_records = 10 } }))
    end)

    it("returns nil, err, io for a missing file", function()
      local t, err, code = ge.trace.open(DIR .. "/nope.trace")
      assert.is_nil(t)
      assert.are.equal("io", code)
      assert.matches("nope.trace", err)
    end)
  end)

  describe("each", function()
    it("yields every event once, in time order within each generation", function()
      for _, name in ipairs({ "go126-gc", "go126-allocfree", "go122-gc-stress", "go125-sync" }) do
        local t = open(name)
        local n, by, last, lastgen = 0, {}, nil, nil
        for ev in t:each() do
          n = n + 1
          by[ev.type] = (by[ev.type] or 0) + 1
          if ev.gen == lastgen then assert.is_true(ev.time >= last) end
          last, lastgen = ev.time, ev.gen
        end
        assert.are.equal(t.events, n)
        assert.are.same(t:summary().events, by)
      end
    end)

    it("gives logs, regions and heap metrics the goroutine and time of go tool trace -d=parsed", function()
      local t = open("go126-annot")
      local want, got = {}, {}
      for line in H.read(DIR .. "/go126-annot.parsed"):gmatch("[^\n]+") do want[#want + 1] = line end
      local kind = { UserLog = "Log", UserRegionBegin = "RegionBegin", UserRegionEnd = "RegionEnd",
        HeapAlloc = "HeapAlloc" }
      for ev in t:each { type = { "UserLog", "UserRegionBegin", "UserRegionEnd", "HeapAlloc" } } do
        got[#got + 1] = ("%s %d %d"):format(kind[ev.type], ev.time, ev.g or -1)
      end
      table.sort(want)
      table.sort(got)
      assert.are.same(want, got)
    end)

    it("attributes heap metrics to goroutines as -d=parsed does across generations", function()
      local t = open("go126-gc")
      local want, regions = {}, {}
      local goroutines
      for line in H.read(DIR .. "/go126-gc.parsed"):gmatch("[^\n]+") do
        local g, n = line:match("^HeapAllocs (%-?%d+) (%d+)$")
        if g then
          want[tonumber(g)] = tonumber(n)
        elseif line:match("^Goroutines") then
          goroutines = tonumber(line:match("%d+"))
        else
          regions[#regions + 1] = line
        end
      end
      assert.are.equal(goroutines, t.goroutines)
      local got = {}
      for ev in t:each { type = "HeapAlloc" } do
        local g = ev.g or -1
        got[g] = (got[g] or 0) + 1
      end
      assert.are.same(want, got)
      local ours = {}
      local kind = { UserLog = "Log", UserRegionBegin = "RegionBegin", UserRegionEnd = "RegionEnd" }
      for ev in t:each { type = { "UserLog", "UserRegionBegin", "UserRegionEnd" } } do
        ours[#ours + 1] = ("%s %d %d"):format(kind[ev.type], ev.time, ev.g)
      end
      table.sort(regions)
      table.sort(ours)
      assert.are.same(regions, ours)
    end)

    it("resolves strings and stacks of the event's generation", function()
      local t = open("go126-annot")
      local logs = {}
      for ev in t:each { type = "UserLog" } do
        logs[#logs + 1] = ev.args.value
        assert.are.equal("worker-done", ev.args.key)
        assert.is_number(ev.args.task)
        assert.matches("traceprog/main%.go$", ev.stack[1].file)
        assert.matches("^main%.annot", ev.stack[1].func)
        assert.is_true(ev.stack[1].line > 0)
        assert.is_number(ev.stack[1].pc)
      end
      table.sort(logs)
      assert.are.same({ "0", "1", "2", "3" }, logs)
      for ev in t:each { type = "GoCreate" } do
        assert.is_table(ev.args.new_stack)
        assert.is_number(ev.args.new_g)
      end
      for ev in t:each { type = "GoBlock" } do assert.is_string(ev.args.reason) end
      for ev in t:each { type = "UserRegionBegin" } do assert.are.equal("worker", ev.args.name) end
    end)

    it("gives CPU samples their own goroutine, P, M and stack", function()
      local t = open("go126-gc")
      local n = 0
      for ev in t:each { type = "CPUSample" } do
        n = n + 1
        assert.is_number(ev.m)
        assert.is_table(ev.stack)
      end
      assert.are.equal(t:summary().events.CPUSample or 0, n)
    end)

    it("decodes the AllocFree experiment's events", function()
      local t = open("go126-allocfree")
      local s = t:summary()
      assert.is_true(s.events.HeapObjectAlloc > 0)
      local ev = t:each { type = "HeapObjectAlloc" }()
      assert.are.equal("HeapObjectAlloc", ev.type)
      assert.is_number(ev.args.id)
      assert.is_number(ev.args.type)
    end)

    it("filters by goroutine and by time like a filter in Lua", function()
      local t = open("go126-gc")
      local all = {}
      for ev in t:each() do all[#all + 1] = ev end
      local mid = all[math.floor(#all / 2)].time
      local from, to = all[100].time, mid
      local want_t, want_g = 0, 0
      for _, ev in ipairs(all) do
        if ev.time >= from and ev.time <= to then want_t = want_t + 1 end
        if ev.g == 1 then want_g = want_g + 1 end
      end
      local n = 0
      for _ in t:each { from = from, to = to } do n = n + 1 end
      assert.are.equal(want_t, n)
      assert.are.equal(want_t, t:count { from = from, to = to })
      assert.are.equal(want_g, t:count { g = 1 })
      assert.are.equal(#all, t:count())
      assert.are.equal(t:summary().events.HeapAlloc, t:count { type = "HeapAlloc" })
      n = 0
      for ev in t:each { g = 1 } do
        assert.are.equal(1, ev.g)
        n = n + 1
      end
      assert.are.equal(want_g, n)
    end)

    it("raises on an unknown filter key or type name", function()
      local t = open("go126-annot")
      assert.has_error(function() t:each { kind = "GoStart" } end, "trace:each: unknown option 'kind'")
      assert.has_error(function() t:count { kind = "GoStart" } end, "trace:count: unknown option 'kind'")
      assert.has_error(function() t:each { type = "GoStartx" } end, "filter.type: unknown event type 'GoStartx'")
      assert.has_error(function() t:each { type = "Strings" } end,
        "filter.type: 'Strings' is a batch or table marker, not an event")
    end)
  end)

  describe("handle", function()
    it("has one face: attributes, is_trace, close, use after close raises", function()
      local t = open("go126-annot")
      assert.is_true(ge.trace.is_trace(t))
      assert.is_false(ge.trace.is_trace({}))
      assert.matches("^goescape.trace %(go 1.26, 1 generations, %d+ events%)$", tostring(t))
      local it = t:each()
      t:close()
      assert.has_error(function() t:summary() end, "goescape: the trace is closed")
      assert.has_error(function() it() end, "goescape: the trace is closed")
      t:close()
      assert.are.equal("goescape.trace (closed)", tostring(t))
    end)

    it("can be closed between two steps of its iteration, which then raises", function()
      local t = open("go126-annot")
      local it = t:each()
      assert.is_table(it())
      t:close()
      assert.has_error(function() it() end, "goescape: the trace is closed")
      assert.has_error(function() t:count() end, "goescape: the trace is closed")
    end)

    it("lists the event table", function()
      local names = {}
      for _, e in ipairs(ge.trace.types()) do names[e.name] = e end
      assert.is_true(names.GoCreate.event)
      assert.are.same({ "new_g", "new_stack", "stack" }, names.GoCreate.args)
      assert.is_false(names.EventBatch.event)
      assert.are.equal(136, names.GoroutineStackFree.id)
    end)
  end)

  describe("goescape trace summary", function()
    it("prints one JSON object with the -d=wire counts", function()
      local out, rc = H.cli("trace summary --json " .. H.q(DIR .. "/go122-annotations.trace"))
      assert.are.equal(0, rc)
      local j = require("cjson").decode(out)
      assert.are.equal("1.22", j.go_version)
      assert.are.equal(1, j.generations)
      assert.is_number(j.goroutines)
      assert.is_number(j.gc_cycles)
      local want = wire_counts("go122-annotations")
      local got = {}
      for k, n in pairs(j.events) do got[k] = n end
      for k, n in pairs(j.tables) do got[k] = n end
      assert.are.same(want, got)
    end)

    it("prints the table, and a warning on stderr for a cut-off trace", function()
      local path = H.tmpdir("trace-unit") .. "/cut.trace"
      local b = H.read(DIR .. "/go126-gc.trace")
      H.write(path, b:sub(1, #b - 100))
      local out, rc, err = H.cli("trace summary " .. H.q(path))
      assert.are.equal(0, rc)
      assert.matches("^go 1.26 trace: %d+ generation%(s%)", out)
      assert.matches("GoStart", out)
      assert.matches("goescape: warning: the trace is cut off", err)
    end)

    it("fails with one line for a pre-1.22 trace", function()
      local out, rc, err = H.cli("trace summary " .. H.q(DIR .. "/go119-head.trace"))
      assert.are.equal(1, rc)
      assert.are.equal("", out)
      assert.matches("^goescape: .*go 1.19 trace .*unsupported", err)
    end)
  end)
  describe("heap, gc, goroutines", function()
    local O = require "spec.trace_oracle"
    local MODELS = { "go122-annotations", "go122-annotations-stress", "go122-gc-stress", "go126-annot", "go126-gc" }
    for _, name in ipairs(MODELS) do
      it("equal -d=parsed's heap metrics, GC and STW ranges and goroutine states: " .. name, function()
        local want = O.parse(H.read(DIR .. "/" .. name .. ".model"))
        local got = O.ours(open(name))
        assert.are.equal(want["end"], got["end"])
        assert.are.same(want.heap, got.heap)
        assert.are.same(want.cycles, got.cycles)
        assert.are.same(want.stw, got.stw)
        assert.are.same(want.goroutines, got.goroutines)
      end)
    end

    it("gives heap samples both levels and their goroutine", function()
      local h = open("go126-annot"):heap()
      assert.are.equal(53, #h)
      assert.are.same({ type = "HeapGoal", time = h[1].time, heap_goal = 4194304, g = 1 }, h[1])
      assert.are.same({ type = "HeapAlloc", time = h[2].time, heap_alloc = 2744320, heap_goal = 4194304, g = 1 }, h[2])
      for i = 2, #h do assert.is_true(h[i].time > h[i - 1].time) end
    end)

    it("gives GC cycles, pauses and totals", function()
      local g = open("go126-gc"):gc()
      assert.are.equal(11, #g.cycles)
      assert.are.equal(23, #g.stw)
      local sum, stw, max = 0, 0, 0
      for _, c in ipairs(g.cycles) do
        assert.are.equal(c["end"] - c.start, c.duration)
        sum = sum + c.duration
      end
      for _, s in ipairs(g.stw) do
        stw = stw + s.duration
        max = math.max(max, s.duration)
      end
      assert.are.same({ cycles = 11, gc_ns = sum, stw = 23, stw_ns = stw, stw_max_ns = max }, g.totals)
      assert.are.equal("start trace", g.stw[1].kind)
      assert.are.equal("GC sweep termination", g.stw[2].kind)
      -- a cycle running when the trace began has no start (go122-gc-stress)
      local c = open("go122-gc-stress"):gc().cycles
      assert.are.equal(1, #c)
      assert.is_nil(c[1].start)
      assert.is_number(c[1]["end"])
    end)

    it("gives goroutines their creation stack, entry function and end", function()
      local gs = {}
      for g in open("go126-annot"):each_goroutine() do gs[#gs + 1] = g end
      assert.are.equal(15, #gs)
      assert.are.equal(1, gs[1].id)
      assert.is_nil(gs[1].created) -- running when the trace began
      assert.are.equal("running", gs[1].state)
      local w
      for _, g in ipairs(gs) do if g.func == "main.annot.func1" then w = g break end end
      assert.is_table(w)
      assert.are.equal(1, w.creator)
      assert.are.equal("main.annot", w.stack[1].func)
      assert.matches("main%.go$", w.stack[1].file)
      assert.are.equal("dead", w.state)
      assert.is_true(w.ended > w.created)
      -- its states fill its life
      assert.are.equal(w.ended - w.created, w.running + w.runnable + w.syscall + w.waiting + w.blocked)
    end)

    it("raises on a closed trace", function()
      local t = open("go126-annot")
      t:close()
      assert.has_error(function() t:heap() end, "goescape: the trace is closed")
      assert.has_error(function() t:gc() end, "goescape: the trace is closed")
      assert.has_error(function() t:each_goroutine() end, "goescape: the trace is closed")
      local t2 = open("go126-annot")
      local it = t2:each_goroutine()
      assert.is_table(it())
      t2:close()
      assert.has_error(function() it() end, "goescape: the trace is closed")
    end)

    it("prints them in goescape trace heap|gc|goroutines, as tables or JSON", function()
      local path = DIR .. "/go126-annot.trace"
      local t = open("go126-annot")
      local out = H.must(H.cli_cmd("trace heap --json " .. H.q(path)))
      local n = 0
      for line in out:gmatch("[^\n]+") do
        n = n + 1
        assert.are.same(t:heap()[n], require("cjson").decode(line))
      end
      assert.are.equal(53, n)
      local j = require("cjson").decode(H.must(H.cli_cmd("trace gc --json " .. H.q(path))))
      assert.are.same(t:gc(), j)
      out = H.must(H.cli_cmd("trace goroutines --json " .. H.q(path)))
      n = 0
      local it = t:each_goroutine()
      for line in out:gmatch("[^\n]+") do
        n = n + 1
        assert.are.same(it(), require("cjson").decode(line))
      end
      assert.are.equal(15, n)
      assert.matches("1 GC cycles, [%d.]+ ms in mark phases; 3 stop%-the%-world pauses",
        H.must(H.cli_cmd("trace gc " .. H.q(path))))
      assert.matches("main%.annot%.func1", H.must(H.cli_cmd("trace goroutines " .. H.q(path))))
      assert.matches("HeapAlloc", H.must(H.cli_cmd("trace heap " .. H.q(path))))
    end)
  end)

  describe("pprof", function()
    local function totals(p)
      local t = {}
      for smp in p:each_sample() do
        for i, v in ipairs(smp.values) do t[i] = (t[i] or 0) + v end
      end
      return t
    end

    it("makes go tool trace -pprof's profiles (NAME.TYPE.pb, gen.sh): same stacks, same values", function()
      for _, name in ipairs({ "go126-annot", "go126-gc" }) do
        local t = open(name)
        for _, kind in ipairs({ "sched", "sync", "syscall" }) do
          local want = assert(ge.profile.open(DIR .. "/" .. name .. "." .. kind .. ".pb"))
          local got = assert(t:pprof(kind))
          assert.are.same(want.sample_types, got.sample_types)
          assert.are.same(totals(want), totals(got))
          assert.is_true(totals(got)[2] > 0)
          for _, st in ipairs({ "contentions", "delay" }) do
            assert.are.equal(want:folded { sample = st }, got:folded { sample = st })
          end
        end
      end
    end)

    it("charges no more than the goroutines' time in the state", function()
      local t = open("go126-gc")
      local runnable, syscall, blocked = 0, 0, 0
      for g in t:each_goroutine() do
        runnable, syscall = runnable + g.runnable, syscall + g.syscall
        for reason, ns in pairs(g.blocked_by) do
          if reason:find("chan") or reason:find("sync") or reason:find("select") then blocked = blocked + ns end
        end
      end
      assert.is_true(totals(t:pprof("sched"))[2] <= runnable)
      assert.is_true(totals(t:pprof("syscall"))[2] <= syscall)
      assert.is_true(totals(t:pprof("sync"))[2] <= blocked)
      assert.are.same({}, totals(t:pprof("net"))) -- no network here
    end)

    it("makes a cpu profile of the CPU samples: one sample each, the period's ns", function()
      local t = open("go126-gc")
      local n = t:count { type = "CPUSample" }
      assert.is_true(n > 0)
      local p = t:pprof("cpu")
      assert.are.same({ { type = "samples", unit = "count" }, { type = "cpu", unit = "nanoseconds" } },
        p.sample_types)
      assert.are.same({ n, n * 10000000 }, totals(p))
      assert.are.same({ n, n * 250 }, totals(t:pprof("cpu", { period = 250 })))
      local frames = 0
      for ev in t:each { type = "CPUSample" } do frames = frames + #(ev.stack or {}) end
      local locs = 0
      for smp in p:each_sample() do locs = locs + #smp.locations * smp.values[1] end
      assert.are.equal(frames, locs)
    end)

    it("walks every fixture, Go's hand-made traces too", function()
      for _, name in ipairs(fixtures()) do
        local t = open(name)
        for _, kind in ipairs(ge.trace.PPROF) do
          local p, err = t:pprof(kind)
          assert(p, err)
          for _, v in ipairs(totals(p)) do assert.is_true(v >= 0) end
        end
      end
    end)

    it("raises on misuse", function()
      local t = open("go126-annot")
      assert.has_error(function() t:pprof("block") end)
      assert.has_error(function() t:pprof() end)
      assert.has_error(function() t:pprof("cpu", { rate = 1 }) end, "trace:pprof: unknown option 'rate'")
      assert.has_error(function() t:pprof("cpu", { period = -1 }) end)
      t:close()
      assert.has_error(function() t:pprof("sched") end, "goescape: the trace is closed")
    end)

    it("writes it in goescape trace export, a file or stdout", function()
      local path = DIR .. "/go126-gc.trace"
      local out = os.tmpname()
      H.must(H.cli_cmd(("trace export --pprof=sync -o %s %s"):format(H.q(out), H.q(path))))
      local p = assert(ge.profile.open(out))
      assert.are.same(totals(open("go126-gc"):pprof("sync")), totals(p))
      assert.are.equal(H.read(out), H.must(H.cli_cmd("trace export --pprof=sync -o - " .. H.q(path))))
      os.remove(out)
      local _, rc, err = H.cli("trace export --pprof=block -o - " .. H.q(path))
      assert.are.equal(2, rc)
      assert.matches("must be one of", err)
    end)
  end)
end)
