-- ge.perf on committed fixtures (spec/fixtures/perf/data, remade by gen.sh
-- there): real `perf record -g` runs of spec/fixtures/perf/prog on this kind
-- of machine (cpu-clock; page-faults -d; both events in one run), printed
-- by `perf script` with its default fields, with -F lists and with -G, and
-- perf's own answers on the same perf.data: the samples perf report -D
-- counts, its "Event count", its percentages by dso and symbol, the data
-- addresses of `perf script -F addr`. Hardware events come from the
-- hand-made spec/fixtures/perf/handmade (see its README). spec/perf_spec.lua
-- records afresh and symbolizes through the binaries.
local H = require "spec.helpers"
local ge = require "goescape"

local DIR = H.root .. "/spec/fixtures/perf/data/"
local HAND = H.root .. "/spec/fixtures/perf/handmade/"

local function count_oracle()
  local t = {}
  for k, v in H.read(DIR .. "cpu_count.txt"):gmatch("(%a+) (%d+)") do t[k] = tonumber(v) end
  return t
end

-- perf report --sort dso,sym -g none: {["dso\0sym"] = percent}
local function report_pcts(text)
  local t = {}
  for pct, dso, sym in text:gmatch("\n%s+([%d%.]+)%%%s+(%S+)%s+%[.%] ([^\n]-)%s*\n") do
    t[dso .. "\0" .. sym] = tonumber(pct)
  end
  return t
end

local function leaf_pcts(p, event)
  local by, total = {}, 0
  for s in assert(p:each { event = event }) do
    local f = s.frames[1]
    if f then
      local dso = f.dso:match("[^/]*$")
      local k = dso .. "\0" .. f.sym
      by[k] = (by[k] or 0) + s.period
    end
    total = total + s.period
  end
  for k, v in pairs(by) do by[k] = v * 100 / total end
  return by
end

describe("ge.perf reads real perf script output", function()
  local want = count_oracle()

  for _, f in ipairs { "cpu_fp.txt", "cpu_fields.txt", "cpu_ip.txt" } do
    it(f .. ": samples and the period sum are perf report's", function()
      local p = assert(ge.perf.open(DIR .. f))
      local info = p:info()
      assert.equal(want.samples, info.samples)
      assert.equal(1, #info.events)
      assert.equal("cpu-clock", info.events[1].name)
      assert.equal(want.period, info.events[1].period)
      assert.equal(f ~= "cpu_ip.txt", info.callchain)
    end)

    it(f .. ": leaf symbols and dsos weigh what perf report --sort dso,sym says", function()
      local p = assert(ge.perf.open(DIR .. f))
      local mine = leaf_pcts(p)
      local theirs = report_pcts(H.read(DIR .. "cpu_report.txt"))
      local n = 0
      for k, pct in pairs(theirs) do
        n = n + 1
        assert.is_true(math.abs((mine[k] or 0) - pct) < 0.006, k:gsub("%z", " ") .. ": " ..
          tostring(mine[k]) .. " vs " .. pct)
      end
      assert.is_true(n > 5)
    end)
  end

  it("a text longer than a read chunk (8 MiB) reads as it does whole", function()
    local text = H.read(DIR .. "cpu_fp.txt")
    local big = text:rep(math.ceil(10e6 / #text))
    local path = H.tmpdir("perf-unit") .. "/big.txt"
    H.write(path, big)
    local a = assert(ge.perf.open(path)):info()
    local b = assert(ge.perf.parse(big, "big")):info()
    assert.equal(want.samples * math.ceil(10e6 / #text), a.samples)
    for _, k in ipairs { "samples", "frames", "lines" } do assert.equal(b[k], a[k]) end
    assert.equal(b.events[1].period, a.events[1].period)
    os.remove(path)
  end)

  it("the same samples in the three forms: comm, tid, times (us and ns), periods", function()
    local a = assert(ge.perf.open(DIR .. "cpu_fp.txt")):samples()
    local b = assert(ge.perf.open(DIR .. "cpu_fields.txt")):samples()
    local c = assert(ge.perf.open(DIR .. "cpu_ip.txt")):samples()
    assert.equal(#a, #b)
    assert.equal(#a, #c)
    for i = 1, #a do
      assert.equal(a[i].comm, b[i].comm)
      assert.equal(a[i].tid, b[i].tid)
      assert.equal(a[i].tid, a[i].pid) -- no pid printed: the tid stands for it
      assert.is_true(math.abs(a[i].time - b[i].time) < 1000)
      assert.equal(0, a[i].time % 1000)
      assert.equal(a[i].period, b[i].period)
      assert.equal(#a[i].frames, #b[i].frames)
      assert.equal(a[i].frames[1].sym, c[i].frames[1].sym)
      assert.equal(1, #c[i].frames)
    end
  end)

  it("page-faults -d: every data address is perf script -F addr's, in order", function()
    local p = assert(ge.perf.open(DIR .. "pf_addr.txt"))
    local want_addrs = {}
    for hex in H.read(DIR .. "pf_addr_only.txt"):gmatch("%x+") do want_addrs[#want_addrs + 1] = tonumber(hex, 16) end
    local got = {}
    local dsos = {}
    for s in p:each() do
      got[#got + 1] = s.addr
      assert.equal(0x1e05080021, s.data_src) -- perf's "everything N/A" for a software event
      dsos[s.addr_dso or ""] = true
      assert.is_true(#s.frames > 0)
    end
    assert.same(want_addrs, got)
    assert.is_true(dsos["//anon"])
    local ev = p:info().events[1]
    assert.is_true(ev.addr and ev.data_src and not ev.weight)
  end)

  it("p:data: classes of the data addresses by perf's mapping, globals by perf's symbol", function()
    local text = H.read(DIR .. "pf_addr.txt")
    -- the oracle: perf's own words on each sample line (its data dso)
    local classes = { heap = 0, stack = 0, global = 0 }
    local syms = {}
    for l in text:gmatch("[^\n]+") do
      if not l:match("^\t") then
        local rest = l:match("page%-faults:%s+(.*)$")
        local sym, dso = rest:match("^%x+ (.-) %((.-)%)")
        if dso == "//anon" then classes.heap = classes.heap + 1
        elseif dso == "[stack]" then classes.stack = classes.stack + 1
        elseif dso:sub(1, 1) == "/" then classes.global = classes.global + 1; syms[sym:gsub("%+0x%x+$", "")] = true end
      end
    end
    local p = assert(ge.perf.open(DIR .. "pf_addr.txt"))
    local d = assert(p:data())
    for k, n in pairs(classes) do assert.equal(n, d.classes[k] and d.classes[k].samples or 0, k) end
    local got = {}
    for _, g in ipairs(d.globals) do got[g.sym] = true end
    assert.same(syms, got)
    for i = 2, #d.globals do assert.is_true(d.globals[i - 1].period >= d.globals[i].period) end
    local heap = assert(p:pprof { data = "heap" })
    local _, total = heap:top {}
    assert.equal(d.classes.heap.period, total)
    assert.has_error(function() p:pprof { data = "rom" } end)
    for s in p:each() do assert.is_string(s.data) end
  end)

  it("two events in one input", function()
    local p = assert(ge.perf.open(DIR .. "two_events.txt"))
    local names = {}
    for _, e in ipairs(p:info().events) do names[#names + 1] = e.name end
    table.sort(names)
    assert.same({ "cpu-clock", "page-faults" }, names)
    local n = 0
    for s in assert(p:each { event = "page-faults" }) do
      n = n + 1
      assert.equal("page-faults", s.event)
    end
    assert.is_true(n > 0)
    local prof = assert(p:pprof())
    assert.equal(2, #prof.sample_types)
    local one = assert(p:pprof { event = "cpu-clock" })
    assert.same({ { type = "cpu-clock", unit = "nanoseconds" } }, one.sample_types)
    local _, err, code = p:each { event = "cycles" }
    assert.equal("notfound", code)
    assert.matches("no event cycles", err)
  end)

  it("a sample line without ip or call graph (-F comm,tid,time,event) has no frames", function()
    local p = assert(ge.perf.parse("prog 7 1.000001: cpu-clock: \nprog 7 1.000002: cpu-clock: \n", "bare"))
    local s = p:samples()
    assert.equal(2, #s)
    assert.same({}, s[1].frames)
    assert.equal(1, s[1].period) -- no period printed: each sample counts 1
    local prof = assert(p:pprof())
    assert.equal(1, #prof:samples())
  end)

  it("hand-made hardware events: addr with its symbol, data_src, weight, PIE call graphs, inline frames, tracepoints", function()
    local p = assert(ge.perf.open(HAND .. "mem_events.txt"))
    local s = p:samples()
    assert.equal(5, #s)
    assert.equal("cpu/mem-loads,ldlat=30/P", s[1].event)
    assert.equal(3, s[1].cpu)
    assert.equal(0x14fd13ee8000, s[1].addr)
    assert.equal("//anon", s[1].addr_dso)
    assert.equal(0x68100142, s[1].data_src)
    assert.equal(35, s[1].weight)
    assert.equal("main.sum", s[1].frames[1].sym)
    assert.equal(0x2c, s[1].frames[1].off)
    assert.equal("main.table", s[2].addr_sym)
    assert.equal(0x10, s[2].addr_off)
    assert.equal(4243, s[2].tid)
    assert.equal("cpu/mem-stores/P", s[3].event)
    assert.equal(0, s[3].weight)
    assert.equal(4, #s[4].frames)
    assert.is_true(s[4].frames[1].inlined)
    assert.equal("main.square", s[4].frames[1].sym)
    assert.equal("(46b3a0) size=0x18", s[5].trace)
  end)

  it("p:allocs: a probe's samples as alloc_objects and alloc_space (its size= field)", function()
    local p = assert(ge.perf.open(HAND .. "mem_events.txt"))
    local prof = assert(p:allocs())
    assert.same({ { type = "alloc_objects", unit = "count" }, { type = "alloc_space", unit = "bytes" } },
      prof.sample_types)
    local rows, total = prof:top { sample = "alloc_space" }
    assert.equal(0x18, total)
    assert.equal("main.newPoint", rows[1].func) -- runtime.mallocgc dropped, as pprof drops it
    local _, _, code = ge.perf.open(DIR .. "cpu_fp.txt"):allocs()
    assert.equal("notfound", code)
  end)
end)

describe("ge.perf refuses what is not perf script output", function()
  it("perf report text: says so, with its line", function()
    local p, err, code = ge.perf.open(DIR .. "report.txt")
    assert.is_nil(p)
    assert.equal("format", code)
    assert.matches("line %d+: `perf report` output, not `perf script`: run perf script", err)
  end)

  it("a perf.data file: run perf script -i FILE", function()
    local _, err, code = ge.perf.open(DIR .. "perf_data_head.bin")
    assert.equal("format", code)
    assert.matches("a perf.data file, not `perf script` text: run perf script %-i", err)
  end)

  it("garbage and truncated input", function()
    local text = H.read(DIR .. "cpu_fp.txt")
    for _, cut in ipairs { 1, 7, 100, 1001, math.floor(#text / 2), #text - 3 } do
      local p, err, code = ge.perf.parse(text:sub(1, cut), "cut")
      if p then assert.is_true(p:info().samples >= 0)
      else assert.equal("format", code); assert.matches("^cut: line %d+: ", err) end
    end
    local _, err, code = ge.perf.parse("hello world\n", "g")
    assert.equal("format", code)
    assert.equal("g: line 1: not a `perf script` sample line (no \"pid/tid time:\" fields)", err)
    _, err = ge.perf.parse("\tffff sym (dso)\n", "g")
    assert.matches("line 1: a call%-graph line outside a sample", err)
  end)

  it("limits: max_line_bytes and max_records", function()
    local _, err, code = ge.perf.open(DIR .. "cpu_fp.txt", { limits = { max_line_bytes = 20 } })
    assert.equal("limit", code)
    assert.matches("max_line_bytes = 20", err)
    _, err, code = ge.perf.open(DIR .. "cpu_fp.txt", { limits = { max_records = 50 } })
    assert.equal("limit", code)
    assert.matches("max_records = 50", err)
  end)

  it("misuse raises", function()
    assert.has_error(function() ge.perf.open(1) end)
    assert.has_error(function() ge.perf.open(DIR .. "cpu_fp.txt", { bogus = 1 }) end)
    local p = assert(ge.perf.open(DIR .. "cpu_fp.txt"))
    assert.has_error(function() p:each { event = 3 } end)
    assert.has_error(function() p:symbolize(42) end)
    p:close()
    assert.has_error(function() p:info() end)
    assert.is_true(ge.perf.is_perf(p))
  end)
end)

describe("repeated call graphs", function()
  -- A block of call-graph lines whose text was read before takes that
  -- block's chain unparsed; a blank line holding a space ends blocks too
  -- but turns that shortcut off, so both readings of the same samples
  -- must agree frame for frame.
  local function frames_of(p)
    local t = {}
    for s in p:each() do
      local f = {}
      for i, fr in ipairs(s.frames) do f[i] = ("%s %s %s"):format(tostring(fr.ip), fr.sym or "", fr.dso or "") end
      t[#t + 1] = s.time .. " " .. table.concat(f, "|")
    end
    return t
  end
  for _, name in ipairs { "cpu_fp.txt", "pf_addr.txt", "two_events.txt" } do
    it("are read as their lines say (" .. name .. ")", function()
      local text = H.read(DIR .. name)
      local fast = assert(ge.perf.parse(text, name))
      local slow = assert(ge.perf.parse((text:gsub("\n\n", "\n \n")), name))
      local a, b = fast:info(), slow:info()
      assert.are.equal(b.samples, a.samples)
      assert.are.equal(b.frames, a.frames)
      assert.are.equal(b.lines, a.lines)
      assert.are.same(b.dsos, a.dsos)
      assert.are.same(frames_of(slow), frames_of(fast))
    end)
  end
end)

describe("reading a file in chunks", function()
  -- A file is read in 8 MiB chunks, the next one read and its blocks found
  -- on a second thread while the parser reads the one before (with
  -- max_threads = 1, in turn). Texts of 20+ MiB cross chunk boundaries at
  -- places a prefix of k samples moves: each must read as the same text
  -- parsed whole in memory.
  local function summary(p)
    local n, frames, period = 0, 0, 0
    for s in p:each() do
      n = n + 1
      frames = frames + #s.frames
      period = period + s.period
    end
    local i = p:info()
    return { n = n, frames = frames, period = period, lines = i.lines, samples = i.samples,
      dsos = i.dsos, events = i.events, records = i.records }
  end
  local body = H.read(DIR .. "cpu_fp.txt")
  local first = body:match("^(.-\n\n)")
  for _, k in ipairs { 0, 1, 7 } do
    it(("reads as the whole text does (%d samples before)"):format(k), function()
      local text = first:rep(k) .. body:rep(math.ceil(21e6 / #body))
      local path = os.tmpname()
      H.write(path, text)
      local whole = summary(assert(ge.perf.parse(text, path)))
      for _, threads in ipairs { 2, 1 } do
        local p = assert(ge.perf.open(path, { limits = { max_threads = threads } }))
        assert.same(whole, summary(p))
        local a = assert(ge.perf.open(path, { limits = { max_threads = threads }, aggregate = true }))
        assert.equal(whole.samples, a:info().samples)
        assert.equal(whole.lines, a:info().lines)
      end
      -- from a pipe
      local out = H.must(("cat %s | %s"):format(H.q(path), H.lua_cmd(H.root .. "/bin/goescape",
        "perf - -n 1 --json")))
      assert.matches('"by":"function"', out)
      os.remove(path)
    end)
  end
end)

describe("ge.perf.open{aggregate = true}", function()
  -- what every profile, p:data and p:allocs read is the same; only the
  -- records are fewer
  local function tops(p)
    local out = {}
    local prof = assert(p:pprof())
    for i, st in ipairs(prof.sample_types) do
      out[st.type] = assert(prof:top { by = "function", sample = i, n = 0 })
    end
    return out
  end
  for _, name in ipairs { "cpu_fp.txt", "pf_addr.txt", "two_events.txt" } do
    it("keeps what profiles read (" .. name .. ")", function()
      local all = assert(ge.perf.open(DIR .. name))
      local agg = assert(ge.perf.open(DIR .. name, { aggregate = true }))
      local a, b = all:info(), agg:info()
      assert.is_false(a.aggregated)
      assert.is_true(b.aggregated)
      assert.equal(a.samples, b.samples)
      assert.equal(a.samples, a.records)
      assert.is_true(b.records < a.records)
      assert.same(a.events, b.events)
      assert.same(a.dsos, b.dsos)
      local n = 0
      for s in agg:each() do n = n + (s.count or 1) end
      assert.equal(a.samples, n)
      assert.same(tops(all), tops(agg))
      assert.same(all:data(), agg:data())
    end)
  end
  it("must be a boolean", function()
    assert.has_error(function() ge.perf.open(DIR .. "cpu_fp.txt", { aggregate = 1 }) end)
  end)
end)

describe("the program of a --run command line", function()
  local first = require("goescape.perf_record")._first_word
  it("is its first word as sh reads it, without running anything", function()
    assert.equal("./prog", first("./prog 300000"))
    assert.equal("/tmp/a b/prog", first("'/tmp/a b'/prog 5000"))
    assert.equal('/tmp/a"b', first([["/tmp/a\"b" x]]))
    assert.equal("/tmp/a b", first([[/tmp/a\ b -x]]))
    assert.equal("./prog", first("GODEBUG=gctrace=1 X='a b' ./prog; rm -rf /"))
    assert.equal("./prog", first("./prog|tee out"))
    assert.equal("", first("  "))
  end)
end)

describe("p:find_binary", function()
  it("is nil when no dso perf recorded opens as a Go binary", function()
    -- the fixtures' binaries were built in a temporary directory, gone since
    assert.is_nil(assert(ge.perf.open(DIR .. "cpu_fp.txt")):find_binary())
    -- a dso path that opens but is no Go binary: the interpreter running us
    local exe = H.must("readlink -f /proc/self/exe"):gsub("\n$", "")
    local text = ("x 1 10.000001: 1 cpu-clock:\n\t1000 main+0x0 (%s)\n\n"):format(exe)
    assert.is_nil(assert(ge.perf.parse(text, "x")):find_binary())
  end)
end)

describe("p:probe_events", function()
  it("lists the events p:allocs counts: probes by default, one group, one event", function()
    local p = assert(ge.perf.open(H.root .. "/fuzz/corpus/perf/mallocs_caller.seed"))
    local all = p:probe_events()
    assert.is_true(#all > 0)
    for _, pe in ipairs(all) do assert.matches("^goescape_%w+:m%d+$", pe.event.name) end
    local group = all[1].event.name:match("^([^:]*):")
    assert.same(all, p:probe_events(group .. ":*"))
    assert.same({ all[1] }, p:probe_events(all[1].event.name))
    assert.same({}, p:probe_events("cpu-clock"))
    local n = 0
    for _, pe in ipairs(all) do n = n + pe.event.samples end
    local _, total = assert(p:allocs()):top { by = "function", n = 0, sample = "alloc_objects" }
    assert.equal(n, total) -- one object a sample of the probes listed
    assert.has_error(function() p:probe_events(1) end)
    assert.same({}, assert(ge.perf.open(DIR .. "cpu_fp.txt")):probe_events())
  end)
end)
