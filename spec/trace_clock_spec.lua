-- Trace clocks whose tick is not a whole number of nanoseconds (other
-- platforms' frequencies): Go's reader converts each event's tick delta
-- with the generation's frequency (truncating) and adds it to the time of
-- the event before, so an M's times drift from its converted tick count;
-- goescape must drift the same way. Linux/amd64 traces tick at 15.625 MHz (64 ns)
-- and cannot show the difference: the committed go126-gc trace is rewritten
-- here with a frequency a few ticks off (same varint length), and the times
-- of its logs, regions and heap metrics are checked against `go tool trace
-- -d=parsed` of that file.
local H = require "spec.helpers"
local ge = require "goescape"

local SRC = H.root .. "/spec/fixtures/trace/data/go126-gc.trace"

local function varint(v)
  local out = {}
  repeat
    local b = v % 128
    v = math.floor(v / 128)
    out[#out + 1] = string.char(v > 0 and b + 128 or b)
  until v == 0
  return table.concat(out)
end

describe("trace times under a clock whose tick is not whole nanoseconds", function()
  for _, delta in ipairs { 3, -7 } do
    it(("equal -d=parsed's with a frequency %+d Hz off"):format(delta), function()
      local b = H.read(SRC)
      local orig
      for e in assert(ge.trace.open(SRC)):each { type = "Frequency" } do orig = e.args.freq end
      local freq = orig + delta
      local ev = {}
      for _, t in ipairs(ge.trace.types()) do ev[t.name] = t.id end
      -- the sync batch of a go 1.26 trace: Sync, then Frequency and its value
      local from = string.char(ev.Sync, ev.Frequency) .. varint(orig)
      local to = string.char(ev.Sync, ev.Frequency) .. varint(freq)
      assert.are.equal(#from, #to)
      local n
      b, n = b:gsub(from:gsub("%W", "%%%0"), (to:gsub("%%", "%%%%")))
      assert.is_true(n > 1)
      local path = H.tmpdir("trace-clock") .. "/clock.trace"
      H.write(path, b)
      local kind = { UserLog = "Log", UserRegionBegin = "RegionBegin", UserRegionEnd = "RegionEnd" }
      local want = {}
      local out = H.must("go tool trace -d=parsed " .. H.q(path))
      for line in out:gmatch("[^\n]+") do
        local g, k, time = line:match("^M=%-?%d+ P=%-?%d+ G=(%-?%d+) (%a+) Time=(%d+)")
        if k == "Log" or k == "RegionBegin" or k == "RegionEnd" then
          want[#want + 1] = ("%s %s %s"):format(k, time, g)
        elseif k == "Metric" and line:find("heap/objects:bytes", 1, true) then
          want[#want + 1] = ("HeapAlloc %s %s"):format(time, g)
        end
      end
      local t = assert(ge.trace.open(path))
      local got = {}
      for e in t:each { type = { "UserLog", "UserRegionBegin", "UserRegionEnd", "HeapAlloc" } } do
        got[#got + 1] = ("%s %d %d"):format(kind[e.type] or e.type, e.time, e.g or -1)
      end
      assert.is_true(#want > 100)
      assert.are.same(want, got)
    end)
  end
end)
