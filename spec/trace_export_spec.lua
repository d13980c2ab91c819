-- t:pprof and `goescape trace export --pprof=TYPE` on the traces of
-- spec/trace_fixtures.lua (recorded once for all the trace specs), against `go tool trace
-- -pprof=TYPE` of the Go that wrote each trace, in the same run: the same
-- total per sample type, and the same stacks (folded by function) with the
-- same values. cpu, which Go's tool does not make, against the StackSample
-- events of `go tool trace -d=parsed`.
local H = require "spec.helpers"
local ge = require "goescape"

local F = require "spec.trace_fixtures"

local dirs = {}
for _, d in ipairs(F.dirs()) do
  if F.minor(d.compiler) >= 22 then dirs[#dirs + 1] = d end
end

local function totals(p)
  local t = {}
  for s in p:each_sample() do
    for i, v in ipairs(s.values) do t[i] = (t[i] or 0) + v end
  end
  return t
end

local function folded(p, sample)
  local out = assert(p:folded { sample = sample })
  return out
end

-- -d=parsed's CPU samples as folded stacks (root first) with their counts.
local function parsed_cpu(go, path)
  local out = H.must(go .. " tool trace -d=parsed " .. H.q(path) .. [[ | awk '
    function flush() { if (insample && n > 0) { s = fr[n]; for (i = n - 1; i >= 1; i--) s = s ";" fr[i]; c[s]++ } insample = 0; n = 0 }
    /^M=/ { flush(); if ($4 == "StackSample") insample = 1; next }
    insample && /^\t[^\t]/ { sub(/^\t/, ""); sub(/ @ 0x[0-9a-f]+$/, ""); fr[++n] = $0 }
    END { flush(); for (s in c) print s " " c[s] }' | sort]])
  return out
end

describe("trace:pprof and trace export on traces of real programs", function()
  for _, d in ipairs(dirs) do
    local c = d.compiler
    local names = { "annot", "gc", "allocfree", "http" }
    if F.minor(c) >= 25 then names[#names + 1] = "flight" end
    it(("makes go tool trace -pprof's sched, sync, net and syscall profiles (%s)"):format(c.name), function()
      local seen = {}
      for _, name in ipairs(names) do
        local path = d.dir .. "/" .. name .. ".trace"
        local t = assert(ge.trace.open(path))
        for _, kind in ipairs({ "sched", "sync", "net", "syscall" }) do
          local ref = d.dir .. "/ref-" .. name .. "-" .. kind .. ".pb"
          H.must(("%s tool trace -pprof=%s %s > %s"):format(c.go, kind, H.q(path), H.q(ref)))
          local want = assert(ge.profile.open(ref))
          local got = assert(t:pprof(kind))
          assert.are.same(want.sample_types, got.sample_types)
          local tw, tg = totals(want), totals(got)
          assert.are.same(tw, tg)
          assert.are.equal(folded(want, "contentions"), folded(got, "contentions"))
          assert.are.equal(folded(want, "delay"), folded(got, "delay"))
          if (tg[2] or 0) > 0 then seen[kind] = true end
        end
      end
      -- the recordings block on channels, sync and the network, and make syscalls
      assert.are.same({ sched = true, sync = true, net = true, syscall = true }, seen)
    end)

    it(("makes a cpu profile of the trace's CPU samples, as -d=parsed lists them (%s)"):format(c.name), function()
      for _, name in ipairs({ "gc" }) do -- the run that profiles the CPU
        local path = d.dir .. "/" .. name .. ".trace"
        local t = assert(ge.trace.open(path))
        local p = assert(t:pprof("cpu"))
        local n = t:count { type = "CPUSample" }
        assert.is_true(n > 0)
        local tot = totals(p)
        assert.are.same({ n, n * 10000000 }, tot)
        assert.are.same({ n, n * 1000 }, totals(assert(t:pprof("cpu", { period = 1000 }))))
        local want = parsed_cpu(c.go, path)
        local got = {}
        for line in folded(p, "samples"):gmatch("[^\n]+") do got[#got + 1] = line end
        table.sort(got)
        assert.are.equal(want, table.concat(got, "\n") .. "\n")
      end
    end)

    it(("writes a profile go tool pprof reads: goescape trace export (%s)"):format(c.name), function()
      local path = d.dir .. "/gc.trace"
      for _, kind in ipairs({ "sched", "cpu" }) do
        local out = d.dir .. "/export-" .. kind .. ".pb.gz"
        H.must(H.cli_cmd(("trace export --pprof=%s -o %s %s"):format(kind, H.q(out), H.q(path))))
        local raw = H.must(("%s tool pprof -raw %s 2>/dev/null"):format(c.go, H.q(out)))
        assert.matches(kind == "cpu" and "samples/count cpu/nanoseconds" or "contentions/count delay/nanoseconds", raw)
        local p = assert(ge.profile.open(out))
        local t = assert(ge.trace.open(path))
        assert.are.same(totals(assert(t:pprof(kind))), totals(p))
        -- pprof's own total of the default (last) sample type
        local top = H.must(("%s tool pprof -top -nodecount=1 %s 2>/dev/null"):format(c.go, H.q(out)))
        local total = top:match("of ([%d%.]+%a*) total")
        assert.is_truthy(total)
        -- -o - writes the same bytes to stdout
        local bytes = H.must(H.cli_cmd(("trace export --pprof=%s -o - %s"):format(kind, H.q(path))))
        assert.are.equal(H.read(out), bytes)
      end
    end)
  end
end)
