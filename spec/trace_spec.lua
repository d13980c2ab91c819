-- ge.trace on traces made here by real programs (spec/fixtures/trace/src/
-- traceprog: a task, regions and logs on allocating workers; 50 goroutines,
-- a GC-heavy phase and CPU samples over 20 ms generations; the AllocFree
-- experiment; a /debug/pprof/trace capture; a flight recorder's), built by every Go this machine has (Debian's 1.19, the
-- machine's Go, GOTOOLCHAIN=go1.27.3). Oracles in the same run: `go tool
-- trace -d=wire` (count of each type, exactly) and `-d=parsed` (goroutine
-- and time of logs, regions, heap metrics; the heap timeline, GC and STW
-- ranges, and goroutine state durations summed from its transitions by
-- spec/trace_oracle.lua).
local H = require "spec.helpers"
local ge = require "goescape"
local O = require "spec.trace_oracle"

local F = require "spec.trace_fixtures"

local RUNS, minor = F.RUNS, F.minor
local dirs = F.dirs()

local function wire_counts(path)
  local out = H.must("go tool trace -d=wire " .. H.q(path) .. " | grep -v '^\t' | awk '{print $1}' | sort | uniq -c")
  local t = {}
  for n, k in out:gmatch("(%d+) (%S+)") do t[k] = tonumber(n) end
  return t
end

local function counts_of(s)
  local t = {}
  for k, n in pairs(s.events) do t[k] = n end
  for k, n in pairs(s.tables) do t[k] = n end
  return t
end

local KIND = { UserLog = "Log", UserRegionBegin = "RegionBegin", UserRegionEnd = "RegionEnd" }

-- -d=parsed: "kind time G" for logs and regions, and heap metrics per G.
local function parsed(path)
  local out = H.must("go tool trace -d=parsed " .. H.q(path) ..
    [[ | awk '$4 == "Log" || $4 == "RegionBegin" || $4 == "RegionEnd" { sub("Time=", "", $5); sub("G=", "", $3); print $4, $5, $3 }
              /heap\/objects:bytes/ { sub("G=", "", $3); print "HeapAlloc", $3 }']])
  local marks, heap = {}, {}
  for line in out:gmatch("[^\n]+") do
    local g = line:match("^HeapAlloc (%-?%d+)$")
    if g then
      heap[tonumber(g)] = (heap[tonumber(g)] or 0) + 1
    else
      marks[#marks + 1] = line
    end
  end
  table.sort(marks)
  return marks, heap
end

describe("ge.trace on traces of real programs", function()
  for _, d in ipairs(dirs) do
    local c = d.compiler
    local v = minor(c)
    if v < 22 then
      it("refuses the " .. c.name .. " trace, naming its format's Go versions", function()
        local t, err, code = ge.trace.open(d.dir .. "/annot.trace")
        assert.is_nil(t)
        assert.are.equal("format", code)
        assert.matches("a go 1%.19 trace %(written by Go 1%.19 and 1%.20%)", err)
        assert.matches("unsupported; goescape reads the traces of Go 1.22 and later", err)
        local _, rc, e = H.cli("trace summary " .. H.q(d.dir .. "/annot.trace"))
        assert.are.equal(1, rc)
        assert.matches("unsupported", e)
      end)
    else
      for _, r in ipairs(RUNS) do
        local path = d.dir .. "/" .. r.name .. ".trace"
        it(("counts every type of the %s %s trace as go tool trace -d=wire"):format(c.name, r.name), function()
          local t = assert(ge.trace.open(path))
          assert.is_nil(t.warning)
          assert.are.same(wire_counts(path), counts_of(t:summary()))
        end)
      end

      if v >= 25 then
        it(("reads a flight recorder's capture (%s): later generations, -d=wire's counts"):format(c.name), function()
          local path = d.dir .. "/flight.trace"
          local t = assert(ge.trace.open(path))
          assert.is_nil(t.warning)
          assert.is_true(t:gens()[1].gen > 1)
          assert.are.same(wire_counts(path), counts_of(t:summary()))
        end)
      end

      it(("prints -d=wire's counts in goescape trace summary --json (%s)"):format(c.name), function()
        local path = d.dir .. "/gc.trace"
        local out = H.must(H.cli_cmd("trace summary --json " .. H.q(path)))
        local j = require("cjson").decode(out)
        assert.is_true(j.generations >= 2)
        assert.is_true(j.goroutines >= 50)
        assert.is_true(j.gc_cycles >= 2)
        assert.matches("^1%.2%d$", j.go_version)
        local want, got = wire_counts(path), {}
        for k, n in pairs(j.events) do got[k] = n end
        for k, n in pairs(j.tables) do got[k] = n end
        assert.are.same(want, got)
      end)

      it(("gives logs, regions and heap metrics -d=parsed's goroutines and times (%s)"):format(c.name), function()
        for _, name in ipairs({ "annot", "gc" }) do
          local path = d.dir .. "/" .. name .. ".trace"
          local marks, heap = parsed(path)
          local t = assert(ge.trace.open(path))
          local ours, oheap = {}, {}
          for ev in t:each { type = { "UserLog", "UserRegionBegin", "UserRegionEnd", "HeapAlloc" } } do
            if ev.type == "HeapAlloc" then
              oheap[ev.g or -1] = (oheap[ev.g or -1] or 0) + 1
            else
              ours[#ours + 1] = ("%s %d %d"):format(KIND[ev.type], ev.time, ev.g or -1)
            end
          end
          table.sort(ours)
          assert.are.same(marks, ours)
          assert.are.same(heap, oheap)
          local gs = H.must("go tool trace -d=parsed " .. H.q(path) ..
            [[ | grep -o 'GoID=[0-9]*\|G=[0-9]*' | sed 's/.*=//' | sort -un | grep -c .]])
          assert.are.equal(tonumber(gs), t.goroutines)
          assert.are.equal(t:summary().events.GCBegin or 0, t.gc_cycles)
        end
      end)

      it(("computes the heap timeline, GC, STW and goroutine states as -d=parsed (%s)"):format(c.name), function()
        local names = { "annot", "gc", "allocfree", "http" }
        if v >= 25 then names[#names + 1] = "flight" end -- begins with goroutines and GC under way
        for _, name in ipairs(names) do
          local path = d.dir .. "/" .. name .. ".trace"
          local want = O.parse(H.must("go tool trace -d=parsed " .. H.q(path) .. " | awk -f " ..
            H.q(H.root .. "/" .. O.AWK)))
          local got = O.ours(assert(ge.trace.open(path)))
          assert.are.equal(want["end"], got["end"])
          assert.are.same(want.heap, got.heap)
          assert.are.same(want.cycles, got.cycles)
          assert.are.same(want.stw, got.stw)
          assert.are.same(want.goroutines, got.goroutines)
          assert.is_true(#got.heap > 0)
        end
      end)

      it(("keeps the complete generations of a cut-off %s trace"):format(c.name), function()
        local b = H.read(d.dir .. "/gc.trace")
        local full = assert(ge.trace.parse(b, "gc.trace"))
        local gens = full:gens()
        local cut = d.dir .. "/cut.trace"
        local k = #gens - 1
        H.write(cut, b:sub(1, gens[k + 1].offset + 100))
        local t = assert(ge.trace.open(cut))
        assert.are.equal(k, t.generations)
        local want = 0
        for i = 1, k do want = want + gens[i].events end
        assert.are.equal(want, t.events)
        assert.matches("is incomplete", t.warning)
        local _, rc, err = H.cli("trace summary " .. H.q(cut))
        assert.are.equal(0, rc)
        assert.matches("warning: the trace is cut off", err)
      end)
    end
  end
end)
