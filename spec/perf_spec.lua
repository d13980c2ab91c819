-- ge.perf and `goescape perf` on `perf record -g` runs made here of
-- spec/fixtures/perf/prog (CPU-heavy, allocating), built by each Go of the
-- machine (Debian's 1.19, the machine's Go, 1.27) normal, stripped
-- (-ldflags=-s -w) and PIE (-buildmode=pie). Oracles in the same run: perf's
-- own `perf report` (samples, "Event count", percentages by symbol) on the
-- same perf.data, `go tool addr2line` of the same toolchain for the Go
-- function and line of every frame, `go tool pprof` reading the profile
-- written. Skipped, saying why, where `perf record` cannot run (no
-- perf_event_open in a container, perf_event_paranoid).
local H = require "spec.helpers"
local ge = require "goescape"

local PROG = H.root .. "/spec/fixtures/perf/prog"
local VARIANTS = {
  { "normal", "" },
  { "stripped", "-ldflags='-s -w'" },
  { "pie", "-buildmode=pie" },
}

local why_not
do
  local _, rc, err = H.sh("perf record -q -g -e cpu-clock -o /dev/null -- true")
  if rc ~= 0 then
    why_not = ("perf record cannot run here (rc %s: %s); see /proc/sys/kernel/perf_event_paranoid")
      :format(rc, (err:gsub("\n", " ")):sub(1, 200))
  end
end

if why_not then
  describe("perf on real perf record runs", function()
    it("is skipped", function() pending(why_not) end)
  end)
  return
end

local runs = H.cached("perf-runs", function(dir)
  for _, c in ipairs(H.go_compilers()) do
    for _, v in ipairs(VARIANTS) do
      local name = c.name .. "-" .. v[1]
      H.must(("cd %s && env -u LD_PRELOAD %s build %s -o %s/%s ."):format(H.q(PROG), c.go, v[2], H.q(dir), name))
      H.must(("cd %s && perf record -q -g -e cpu-clock -o %s.data ./%s 300000 > /dev/null"):format(H.q(dir), name, name))
      H.must(("cd %s && perf script -i %s.data > %s.txt && perf report -i %s.data --stdio --no-children " ..
        "--sort sym -g none > %s.report 2>/dev/null && perf report -i %s.data -D 2>/dev/null | " ..
        "grep -c PERF_RECORD_SAMPLE > %s.count")
        :format(H.q(dir), name, name, name, name, name, name))
    end
  end
  local c = H.go_compilers()[#H.go_compilers()]
  local name = c.name .. "-normal"
  H.must(("cd %s && perf record -q -g -e page-faults -d -o pf.data ./%s 300000 > /dev/null && perf script -i pf.data " ..
    "-F comm,tid,time,period,event,addr,data_src,ip,sym,symoff,dso > pf.txt && perf script -i pf.data -G -F addr > pf.addr")
    :format(H.q(dir), name))
  H.must(("cd %s && perf script -i %s.data -G > %s.ip.txt"):format(H.q(dir), name, name))
  H.write(dir .. "/pf.bin", name)
end)

-- perf report --sort sym -g none: {sym = percent}, Go symbols only (".abi0"
-- dropped: the ELF symbol of an assembly function; pclntab has no suffix)
local function report(path)
  local t = {}
  for pct, sym in H.read(path):gmatch("\n%s+([%d%.]+)%%%s+%[%.%] ([^\n]-)%s*\n") do
    sym = sym:gsub("%.abi0$", "")
    t[sym] = (t[sym] or 0) + tonumber(pct)
  end
  return t
end

-- {pc = {func, file, line}} from `go tool addr2line` (go: the command
-- prefix of a toolchain); "?" answers left out.
local function addr2line(go, bin, pcs)
  local input = {}
  for i, pc in ipairs(pcs) do input[i] = ("0x%x"):format(pc) end
  local tmp = os.tmpname()
  H.write(tmp, table.concat(input, "\n") .. "\n")
  local out = H.must(("env -u LD_PRELOAD %s tool addr2line %s < %s"):format(go, H.q(bin), tmp))
  os.remove(tmp)
  local t, lines = {}, {}
  for l in out:gmatch("[^\n]*\n") do lines[#lines + 1] = l:sub(1, -2) end
  for k = 1, #lines - 1, 2 do
    local file, line = lines[k + 1]:match("^(.*):(%-?%d+)$")
    if lines[k] ~= "?" then
      line = tonumber(line)
      -- no line information (assembly trampolines): ":-1", where goescape has none
      if not line or line <= 0 then file, line = "", 0 end
      t[pcs[(k + 1) / 2]] = { func = lines[k], file = file, line = line }
    end
  end
  return t
end

-- The oracle of each pc: the toolchain's own addr2line on the binary, else
-- the machine's (Go 1.19's cannot read its own PIE and stripped binaries),
-- else either on the unstripped build of the same source and toolchain
-- (-s -w leaves the text as it was; no addr2line reads Go 1.19's stripped
-- binaries).
local function oracle(c, bin, normal, pcs)
  local got = {}
  for _, src in ipairs { { c.go, bin }, { "GOTOOLCHAIN=local go", bin }, { c.go, normal },
      { "GOTOOLCHAIN=local go", normal } } do
    local left = {}
    for _, pc in ipairs(pcs) do if not got[pc] then left[#left + 1] = pc end end
    if #left == 0 then break end
    for pc, o in pairs(addr2line(src[1], src[2], left)) do got[pc] = o end
  end
  return got
end

for _, c in ipairs(H.go_compilers()) do
  for _, v in ipairs(VARIANTS) do
    local name = c.name .. "-" .. v[1]
    describe(name, function()
      local bin = runs .. "/" .. name

      it("samples and the period sum are perf report's", function()
        local p = assert(ge.perf.open(bin .. ".txt"))
        local info = p:info()
        assert.equal(tonumber(H.read(bin .. ".count")), info.samples)
        local count = tonumber(H.read(bin .. ".report"):match("# Event count %(approx%.%): (%d+)"))
        assert.equal(count, info.events[1].period)
      end)

      it("symbolized: >= 95% of the samples in the binary get a Go function and line", function()
        local p = assert(ge.perf.open(bin .. ".txt"))
        local s = assert(p:symbolize(bin))
        assert.is_true(s.samples > 100)
        assert.is_true(s.samples_resolved >= 0.95 * s.samples, s.samples_resolved .. " of " .. s.samples)
        assert.equal("offset", s.chain_addresses) -- perf 6.1 prints file offsets in call graphs
      end)

      it("every Go frame's function and line are go tool addr2line's", function()
        local p = assert(ge.perf.open(bin .. ".txt"))
        assert(p:symbolize(bin))
        local want, pcs, seen = {}, {}, {}
        for s in p:each() do
          for k, f in ipairs(s.frames) do
            if f.go then
              -- a return address is looked up at the call (the byte before)
              local prev = s.frames[k - 1]
              local pc = f.vaddr
              if prev and not prev.dso:match("kernel") then pc = pc - 1 end
              if not seen[pc] then
                seen[pc] = true
                pcs[#pcs + 1] = pc
                want[pc] = f.go
              end
            end
          end
        end
        assert.is_true(#pcs > 50)
        local got = oracle(c, bin, runs .. "/" .. c.name .. "-normal", pcs)
        local bad = {}
        for _, pc in ipairs(pcs) do
          local g, o = want[pc], got[pc]
          local phys, inner = g[#g], g[1]
          if not (o and o.func == phys.func and o.file == inner.file and o.line == inner.line) then
            bad[#bad + 1] = ("0x%x: %s %s:%s vs %s %s:%s"):format(pc, phys.func, inner.file, inner.line,
              o and o.func, o and o.file, o and o.line)
          end
        end
        assert.same({}, bad)
      end)

      if v[1] ~= "stripped" then
        it("the pprof written (goescape perf --pprof) agrees with perf report --sort sym", function()
          local out = runs .. "/" .. name .. ".pb.gz"
          local _, rc, err = H.cli(("perf %s --binary %s --pprof -o %s"):format(H.q(bin .. ".txt"), H.q(bin), H.q(out)))
          assert.equal(0, rc, err)
          local prof = assert(ge.profile.open(out))
          local locs = {}
          for _, l in ipairs(prof:locations()) do locs[l.id] = l end
          local by, total = {}, 0
          for s in prof:each_sample() do
            local leaf = locs[s.locations[1]]
            local fn = leaf.lines[#leaf.lines].func -- the physical function: perf's symbol
            by[fn] = (by[fn] or 0) + s.values[1]
            total = total + s.values[1]
          end
          local theirs = report(bin .. ".report")
          local n = 0
          for sym, pct in pairs(theirs) do
            if pct >= 0.5 and sym:match("^[%w_]+[%./]") then
              n = n + 1
              local mine = (by[sym] or 0) * 100 / total
              assert.is_true(math.abs(mine - pct) < 0.011, ("%s: %.3f vs %.2f"):format(sym, mine, pct))
            end
          end
          assert.is_true(n >= 5)
          local top = H.must(("env -u LD_PRELOAD go tool pprof -top %s"):format(H.q(out)))
          assert.matches("main%.spin", top)
        end)
      end
    end)
  end
end

describe("goescape perf", function()
  local c = H.go_compilers()[#H.go_compilers()]
  local bin = runs .. "/" .. c.name .. "-stripped"

  it("--json: one object per function and line with function, file, line, value, event", function()
    local out, rc, err = H.cli(("perf %s --binary %s --json -n 5"):format(H.q(bin .. ".txt"), H.q(bin)))
    assert.equal(0, rc, err)
    local cjson = require "cjson"
    local funcs, lines = 0, 0
    for l in out:gmatch("[^\n]+") do
      local o = cjson.decode(l)
      assert.equal("cpu-clock", o.event)
      assert.is_number(o.value)
      assert.is_string(o["function"])
      if o.by == "line" then
        lines = lines + 1
        assert.is_true(o.line > 0 or o.file == "")
      else
        funcs = funcs + 1
      end
    end
    assert.equal(5, funcs)
    assert.equal(5, lines)
    assert.matches('"function":"main%.spin"', out)
  end)

  it("--escape: the hot allocating line with the compiler's reason", function()
    local log = runs .. "/" .. c.name .. ".escape.log"
    H.must(("cd %s && env -u LD_PRELOAD %s build -gcflags=-m=2 -o /dev/null . 2> %s"):format(H.q(PROG), c.go, H.q(log)))
    local out, rc, err = H.cli(("perf %s --binary %s --escape %s -n 0"):format(H.q(bin .. ".txt"), H.q(bin), H.q(log)))
    assert.equal(0, rc, err)
    assert.matches("main%.go:14 main%.newPoint\n%s+escapes_to_heap: &point{...} escapes to heap", out)
  end)

  it("bad input: one line, exit 1; usage errors exit 2", function()
    local _, rc, err = H.cli(("perf %s"):format(H.q(bin .. ".report")))
    assert.equal(1, rc)
    assert.matches("^goescape: .-line %d+: `perf report` output", err)
    _, rc, err = H.cli(("perf %s"):format(H.q(bin .. ".data")))
    assert.equal(1, rc)
    assert.matches("run perf script %-i", err)
    _, rc = H.cli(("perf %s --pprof"):format(H.q(bin .. ".txt")))
    assert.equal(2, rc)
    _, rc, err = H.cli(("perf %s --event cycles"):format(H.q(bin .. ".txt")))
    assert.equal(1, rc)
    assert.matches("no event cycles", err)
  end)

  it("finds the binary by its dso path when --binary is not given", function()
    local out, rc, err = H.cli(("perf %s -n 3"):format(H.q(bin .. ".txt")))
    assert.equal(0, rc, err)
    assert.matches(bin:gsub("%p", "%%%0") .. ": %d+ of %d+ samples with a Go line", out)
  end)
end)

describe("perf -G and page-faults -d", function()
  it("sample-line ips are addresses; symbolized alike", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local bin = runs .. "/" .. c.name .. "-normal"
    local p = assert(ge.perf.open(bin .. ".ip.txt"))
    local s = assert(p:symbolize(bin))
    assert.equal("address", s.ip_addresses)
    assert.is_true(s.samples_resolved >= 0.95 * s.samples)
  end)

  it("data addresses are perf script -F addr's; globals resolve to Go symbols", function()
    local p = assert(ge.perf.open(runs .. "/pf.txt"))
    local want = {}
    for hex in H.read(runs .. "/pf.addr"):gmatch("%x+") do want[#want + 1] = tonumber(hex, 16) end
    local got, anon = {}, 0
    for s in p:each() do
      got[#got + 1] = s.addr
      if s.addr_dso == "//anon" then anon = anon + 1 end
    end
    assert.same(want, got)
    assert.is_true(anon > 0)
    local bin = runs .. "/" .. H.read(runs .. "/pf.bin")
    local s = assert(p:symbolize(bin))
    assert.is_true(s.samples_resolved >= 0.95 * s.samples)
    -- --data: the heap's share and the lines whose first touches hit it
    local out, rc, err = H.cli(("perf %s --binary %s --data -n 50"):format(H.q(runs .. "/pf.txt"), H.q(bin)))
    assert.equal(0, rc, err)
    assert.matches("%d+%s+[%d%.]+%%  heap\n", out)
    assert.matches("accesses that hit the heap, by line", out)
    assert.matches("main%.go:14 main%.newPoint", out)
  end)
end)

-- Data addresses told apart through an AllocFree trace of the same run
-- (Go 1.23+): spec/fixtures/perf/stacks recorded here with perf -k mono
-- while it writes its trace; its printout of where its memory was is the
-- oracle (spec/perf_heapmap_checks.lua).
describe("perf --data with a trace of the same run", function()
  local C = require "spec.perf_heapmap_checks"
  for _, c in ipairs(H.go_compilers()) do
    if tonumber(c.version:match("^1%.(%d+)")) >= 23 then
      it(("classes heap and goroutine stacks of a %s program"):format(c.name), function()
        local dir = H.cached("perf-heapmap-" .. c.name, function(d)
          H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/stacks ."):format(H.q(PROG .. "/../stacks"), c.go, H.q(d)))
          H.must(("cd %s && env -u LD_PRELOAD GODEBUG=traceallocfree=1 perf record -q -k mono -g -e page-faults -d " ..
            "-o pf.data ./stacks 4 stacks.trace > stacks.out && perf script -i pf.data " ..
            "-F comm,tid,time,period,event,addr,ip,sym,symoff,dso --ns > stacks.txt"):format(H.q(d)))
        end)
        local out = H.read(dir .. "/stacks.out")
        C.check_oracle(out, dir .. "/stacks.trace")
        C.check_leaves(dir .. "/stacks.txt", dir .. "/stacks.trace", out, dir .. "/stacks")
        local text, rc, err = H.cli(("perf %s/stacks.txt --binary %s/stacks --data --trace %s/stacks.trace -n 5")
          :format(H.q(dir), H.q(dir), H.q(dir)))
        assert.equal(0, rc, err)
        assert.matches("%d+%s+[%d%.]+%%  goroutine_stack\n", text)
        assert.matches("main%.go:%d+ main%.fill", text)
      end)
    end
  end
end)

-- What an allocation profile of spec/fixtures/perf/prog N must hold: at
-- least every point at main.go:14 (a few more: what the runtime allocates
-- inside those calls when a GC starts is charged to the line that called
-- it, as a heap profile charges it), and 6 slices of N pointers at :43.
-- Returns line(sample, n): that line's flat value.
local function check_prog_allocs(prof, N)
  local function line(sample, n)
    for _, r in ipairs(assert(prof:top { by = "line", sample = sample, n = 0 })) do
      if r.file:match("perf/prog/main%.go$") and r.line == n then return r.flat end
    end
  end
  local objs, bytes = line("alloc_objects", 14), line("alloc_space", 14)
  assert.is_true(objs >= 6 * N and objs <= 6 * N * 1.01, tostring(objs))
  assert.is_true(bytes >= 6 * N * 24 and bytes <= 6 * N * 24 * 1.05, tostring(bytes))
  assert.equal(6, line("alloc_objects", 43))
  assert.equal(6 * N * 8, line("alloc_space", 43))
  return line
end

-- The machine's Go: Go 1.27's size-specialized allocation paths reach the
-- heap without calling runtime.mallocgc for small objects (a probe there
-- sees only the runtime's own allocations; doc/perf.md).
describe("goescape perf --mallocs: every allocation through a uprobe on runtime.mallocgc", function()
  local c
  for _, x in ipairs(H.go_compilers()) do if x.go == "GOTOOLCHAIN=local go" then c = x end end
  local dir = runs .. "/mallocs-" .. c.name
  local N = 5000
  local ok, why = pcall(function()
    if H.exists(dir .. "/m.txt") then return end
    H.must("mkdir -p " .. H.q(dir))
    H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/mprog ."):format(H.q(PROG), c.go, H.q(dir)))
    H.must(("cd %s && env -u LD_PRELOAD %s build -gcflags=-m=2 -o /dev/null . 2> %s/escape.log"):format(H.q(PROG), c.go, H.q(dir)))
    -- the probe is the machine's (tracefs): set, recorded, removed at once
    H.must(("cd %s && perf probe -q -x ./mprog 'mallocgc=runtime.mallocgc size=%%ax:u64'"):format(H.q(dir)))
    local _, rc, err = H.sh(("cd %s && perf record -q -g -e probe_mprog:mallocgc -o m.data ./mprog %d > /dev/null"):format(H.q(dir), N))
    H.sh("perf probe -q -d 'probe_mprog:*'")
    if rc ~= 0 then error(err) end
    H.must(("cd %s && perf script -i m.data > m.txt"):format(H.q(dir)))
  end)

  it("main.go:14 allocates 6 x N points of 24 bytes, main.go:43 6 slices of N pointers", function()
    if not ok then pending("uprobes unavailable here: " .. tostring(why):sub(1, 200)) return end
    local p = assert(ge.perf.open(dir .. "/m.txt"))
    assert(p:symbolize(dir .. "/mprog"))
    local prof = assert(p:allocs())
    assert.same({ { type = "alloc_objects", unit = "count" }, { type = "alloc_space", unit = "bytes" } }, prof.sample_types)
    check_prog_allocs(prof, N)
    local out, rc, err = H.cli(("perf %s --mallocs --binary %s --escape %s -n 3 --pprof -o %s"):format(
      H.q(dir .. "/m.txt"), H.q(dir .. "/mprog"), H.q(dir .. "/escape.log"), H.q(dir .. "/allocs.pb.gz")))
    assert.equal(0, rc, err)
    assert.matches("main%.go:14 main%.newPoint\n%s+escapes_to_heap: &point{...} escapes to heap", out)
    local top = H.must(("env -u LD_PRELOAD go tool pprof -sample_index=alloc_space -top %s"):format(H.q(dir .. "/allocs.pb.gz")))
    assert.matches("main%.newPoint", top)
  end)
end)

-- `goescape perf --mallocs --run` (ge.perf.record_mallocs) sets its probes
-- up itself: one per allocation entry point of the binary's runtime
-- (mallocgc until Go 1.23; the functions mallocgc dispatches to from 1.24,
-- which 1.27's callers reach without entering mallocgc), each reading the
-- size and the return address, and removes them after the run.
describe("goescape perf --mallocs --run: every allocation, probes set up and removed", function()
  local N = 5000
  local function probes_left()
    local out = H.sh("perf probe -l 2>/dev/null")
    return out:match("goescape_%w+")
  end
  for _, c in ipairs(H.go_compilers()) do
    for _, v in ipairs { VARIANTS[1], VARIANTS[3] } do
      local name = c.name .. "-" .. v[1]
      it(("main.go:14 allocates 6 x N points, main.go:43 6 slices of N pointers (%s)"):format(name), function()
        local dir = H.tmpdir("perf-run-" .. name)
        H.must(("cd %s && env -u LD_PRELOAD %s build %s -o %s/prog ."):format(H.q(PROG), c.go, v[2], H.q(dir)))
        local r, err = ge.perf.record_mallocs(("%s/prog %d"):format(H.q(dir), N), { script = dir .. "/m.txt" })
        if not r and err:match("perf probe") then pending("uprobes unavailable here: " .. err:sub(1, 200)) return end
        assert(r, err)
        assert.is_nil(r.dir)
        assert.is_nil(probes_left())
        local minor = tonumber(c.version:match("^1%.(%d+)"))
        if minor < 24 then
          assert.same({ "runtime.mallocgc" }, r.probes)
        else
          for _, f in ipairs(r.probes) do assert.matches("^runtime%.mallocgc%u", f) end
        end
        local p = assert(ge.perf.open(dir .. "/m.txt"))
        assert(p:symbolize(r.binary))
        local prof = assert(p:allocs())
        -- the line that allocates, not its caller: the probe's caller is put
        -- back (an entry probe's frame-pointer walk skips it)
        local line = check_prog_allocs(prof, N)
        assert.equal(0, line("alloc_objects", 45) or 0) -- newPoint's call site allocates nothing itself
      end)
    end
  end

  it("the command records, ranks with the escape reasons, and keeps the text with --save", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local dir = H.tmpdir("perf-run-cli")
    H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/prog . && env -u LD_PRELOAD %s build -gcflags=-m=2 -o /dev/null . 2> %s/escape.log")
      :format(H.q(PROG), c.go, H.q(dir), c.go, H.q(dir)))
    local out, rc, err = H.cli(("perf --mallocs --run %s --escape %s -n 3 --save %s"):format(
      H.q(dir .. "/prog " .. N), H.q(dir .. "/escape.log"), H.q(dir .. "/m.txt")))
    if rc ~= 0 and err:match("perf probe") then pending("uprobes unavailable here: " .. err:sub(1, 200)) return end
    assert.equal(0, rc, err)
    assert.matches("main%.go:14 main%.newPoint\n%s+escapes_to_heap: &point{...} escapes to heap", out)
    assert.is_true(H.exists(dir .. "/m.txt"))
    assert.is_nil(probes_left())
    local _, rc2, err2 = H.cli("perf --run true")
    assert.equal(2, rc2)
    assert.matches("goes with %-%-mallocs", err2)
  end)
end)

describe("goescape html --perf: perf samples as the report's profile", function()
  it("the hot Go functions of a cpu-clock recording, symbolized through the binary", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local name = c.name .. "-stripped"
    local bin = runs .. "/" .. name
    local out = H.tmpdir("perf-html") .. "/r.html"
    local _, rc, err = H.cli(("html --perf %s --binary %s -o %s"):format(H.q(bin .. ".txt"), H.q(bin), H.q(out)))
    assert.equal(0, rc, err)
    local page = H.read(out)
    -- stripped: perf itself has no Go symbol; these come from the pclntab
    for _, f in ipairs { "main.spin", "main.sum", "main.newPoint" } do assert.truthy(page:find(f, 1, true), f) end
    assert.truthy(page:find("cpu-clock", 1, true))
    local _, rc2, err2 = H.cli(("html --perf %s --profile %s"):format(H.q(bin .. ".txt"), H.q(bin .. ".txt")))
    assert.equal(2, rc2)
    assert.matches("not both", err2)
  end)

  it("finds the binary by the path perf recorded, as goescape perf does", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local bin = runs .. "/" .. c.name .. "-stripped"
    local p = assert(ge.perf.open(bin .. ".txt"))
    local b, dso = p:find_binary()
    assert.truthy(b, "no binary found")
    assert.equal(H.must("realpath " .. H.q(bin)):gsub("\n$", ""), dso)
    assert.equal(dso, b.file)
    b:close()
    local out = H.tmpdir("perf-html") .. "/found.html"
    local _, rc, err = H.cli(("html --perf %s -o %s"):format(H.q(bin .. ".txt"), H.q(out)))
    assert.equal(0, rc, err)
    local page = H.read(out)
    for _, f in ipairs { "main.spin", "main.sum", "main.newPoint" } do assert.truthy(page:find(f, 1, true), f) end
    -- a recording whose binary is gone: none
    local q = assert(ge.perf.open(H.root .. "/spec/fixtures/perf/data/cpu_fp.txt"))
    assert.is_nil(q:find_binary())
  end)
end)

-- Hardware memory events need a PMU, which these VMs do not have: the spec
-- records them where the CPU offers them, and says why it does not here.
describe("mem-loads recorded on this machine", function()
  local _, rc, err = H.sh("perf record -q -e cpu/mem-loads,ldlat=30/P -d -o /dev/null -- true")
  it("data addresses of mem-loads samples are classified, heap lines ranked", function()
    if rc ~= 0 then
      pending(("no mem-loads here (perf record: %s): the hand-made lines of spec/fixtures/perf/handmade "
        .. "are read by spec/unit/perf_spec.lua instead"):format((err:gsub("%s+", " ")):sub(1, 160)))
      return
    end
    local dir = H.tmpdir("perf-memloads")
    local c = H.go_compilers()[#H.go_compilers()]
    H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/prog ."):format(H.q(PROG), c.go, H.q(dir)))
    H.must(("cd %s && perf record -q -g -e cpu/mem-loads,ldlat=30/P -d -o m.data ./prog 300000 > /dev/null && "
      .. "perf script -i m.data -F comm,tid,time,period,event,addr,data_src,weight,ip,sym,symoff,dso > m.txt")
      :format(H.q(dir)))
    local p = assert(ge.perf.open(dir .. "/m.txt"))
    assert(p:symbolize(dir .. "/prog"))
    local d = assert(p:data())
    assert.is_true(d.classes.heap and d.classes.heap.samples > 0)
    local prof = assert(p:pprof { data = "heap" })
    local top = assert(prof:top { by = "function", n = 5 })
    assert.is_true(#top > 0)
  end)
end)
