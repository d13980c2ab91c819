-- Who grows the heap (t:allocs, ge.analysis.heapgrowth, `goescape trace
-- growth --escape --profile`) on examples/tracedemo: three regions on four
-- workers, each allocating for its own reason, built with -gcflags=-m=2 by
-- every Go here that writes Go 1.22+ traces, traced with CPU samples and
-- profiled (allocs) in the same run. Oracles: `go tool trace -d=parsed`
-- (every mark assist and CPU sample, its goroutine's innermost open region
-- paired here from the region events, the allocating frame found here from
-- its printed stack), and the program's own source: the line of each
-- region's allocation and the compiler's reason for it.
local H = require "spec.helpers"
local ge = require "goescape"

local TD = require "spec.tracedemo"
local runs, line_of = TD.runs(), TD.line_of

local function is_runtime(f) return f:match("^runtime%.") or f:match("^internal/runtime/") end

-- -d=parsed's allocations with a stack: "region source func file:line" -> count
local function oracle(path)
  local out = H.oracle_output("trace-parsed\0" .. path, "go tool trace -d=parsed " .. H.q(path), { path })
  local open = {} -- goroutine -> list of open region names
  local counts = {}
  local cur -- the event whose stack is being read
  local function finish()
    if not cur then return end
    local fr, m = cur.frames, nil
    for i, f in ipairs(fr) do if f.func == "runtime.mallocgc" then m = i break end end
    if m and m < #fr then
      local s = m + 1
      while s <= #fr and is_runtime(fr[s].func) do s = s + 1 end
      if s > #fr then s = m + 1 end
      local k = ("%s %s %s %s:%d"):format(cur.region or "-", cur.source, fr[s].func, fr[s].file, fr[s].line)
      counts[k] = (counts[k] or 0) + 1
    end
    cur = nil
  end
  local frame
  for line in out:gmatch("[^\n]+") do
    if line:sub(1, 1) ~= "\t" and line ~= "Stack=" then
      finish()
      local g, kind = line:match("^M=%-?%d+ P=%-?%d+ G=(%-?%d+) (%a+)")
      if kind == "RegionBegin" then
        local st = open[g] or {}
        open[g] = st
        st[#st + 1] = line:match('Type="([^"]*)"')
      elseif kind == "RegionEnd" then
        local st = open[g]
        if st and #st > 0 then st[#st] = nil end
      elseif kind == "StateTransition" and line:match("GoID=") and line:match("%->NotExist") then
        open[line:match("GoID=(%d+)")] = nil
      elseif kind == "RangeBegin" and line:find('Name="GC mark assist"', 1, true) and g ~= "-1" then
        local st = open[g]
        cur = { source = "assist", region = st and st[#st], frames = {} }
      elseif kind == "StackSample" and g ~= "-1" then
        local st = open[g]
        cur = { source = "cpu", region = st and st[#st], frames = {} }
      end
    elseif cur and line:match("^\t[^\t]") then
      frame = { func = line:match("^\t(.-) @ 0x") }
      cur.frames[#cur.frames + 1] = frame
    elseif cur and frame and line:match("^\t\t") then
      local file, ln = line:match("^\t\t(.*):(%d+)$")
      frame.file, frame.line = file, tonumber(ln)
    end
  end
  finish()
  return counts
end

describe("who grows the heap (tracedemo)", function()
  for _, run in ipairs(runs) do
    local d, name = run.dir, run.compiler.name
    local trace, log, prof = d .. "/trace.out", d .. "/m2.log", d .. "/allocs.pb.gz"

    it(("finds the allocations -d=parsed shows, in the same regions (%s)"):format(name), function()
      local t = assert(ge.trace.open(trace))
      local got = {}
      for _, a in ipairs(t:allocs()) do
        local k = ("%s %s %s %s:%d"):format(a.region or "-", a.source, a.func, a.file, a.line)
        got[k] = (got[k] or 0) + 1
      end
      local want = oracle(trace)
      assert.are.same(want, got)
      assert.is_true(next(got) ~= nil)
    end)

    it(("ranks the regions by growth, each with its allocating line and reason (%s)"):format(name), function()
      local hg = assert(ge.analysis.heapgrowth { trace = trace, escape = log, profile = prof, by = "region" })
      local t = assert(ge.trace.open(trace))
      local rows = t:growth { by = "region" }
      assert.are.equal(#rows, #hg.rows) -- n defaults to 10 > the four rows here
      local share = 0
      for i, r in ipairs(hg.rows) do
        assert.are.equal(rows[i].growth, r.growth)
        assert.are.equal(rows[i].region, r.region)
        share = share + r.share
      end
      assert.is_true(math.abs(share - 1) < 1e-9)
      -- by goroutine: the workers, each created by main.main, entry main.main.func1
      local hgg = assert(ge.analysis.heapgrowth { trace = t, by = "goroutine", n = 4 })
      assert.are.equal(4, #hgg.rows)
      assert.are.equal(hg.total, hgg.total)
      assert.are.equal(hg.freed, hgg.freed)
      for _, r in ipairs(hgg.rows) do
        assert.are.equal("main.main.func1", r.func)
        assert.are.equal("main.main", r.stack[1].func)
        assert.are.equal(line_of("go func() {"), r.stack[1].line)
      end
      local by = {}
      for _, r in ipairs(hg.rows) do if r.region then by[r.region] = r end end
      -- the program's facts: index appends (and stores in a map), decode
      -- returns a pointer to a local, render formats with fmt
      local top = by.index.lines[1]
      assert.are.equal(line_of("out = append(out, i)"), top.line)
      assert.are.equal("main.grow", top.func)
      assert.are.equal("runtime.growslice", top.allocator)
      assert.are.equal("append", top.advice.reason)
      assert.is_true(top.bytes > 0)
      top = by.decode.lines[1]
      assert.are.equal(line_of("r := record{"), top.line)
      assert.are.equal("runtime.newobject", top.allocator)
      local moved = false
      for _, dg in ipairs(top.diagnostics) do moved = moved or dg.message == "moved to heap: r" end
      assert.is_true(moved)
      top = by.render.lines[1]
      assert.are.equal(line_of("fmt.Sprintf("), top.line)
      assert.are.equal("main.render", top.func)
      assert.are.equal("interface", top.advice.reason)
      -- index allocates the most: 16-48 ints per call, every call
      assert.are.equal("index", hg.rows[1].region)
      assert.is_true(hg.evidence.assists + hg.evidence.cpu > 0)
    end)

    it(("explains a line of a package outside the log at its caller, keeping the line (%s)"):format(name),
      function()
        local hg = assert(ge.analysis.heapgrowth { trace = trace, escape = log, by = "region", lines = 50 })
        for _, r in ipairs(hg.rows) do
          for _, l in ipairs(r.lines) do
            assert.are_not.equal("fmt.Sprintf", l.func) -- fmt is not in the log: its caller is
            for _, v in ipairs(l.via or {}) do
              assert.does_not.match("^main%.", v.func) -- the log's package is main
              assert.matches("^main%.", l.func)
            end
          end
        end
        -- without a log, the lines are the allocating frames themselves
        hg = assert(ge.analysis.heapgrowth { trace = trace, by = "region", lines = 50 })
        local seen
        for _, r in ipairs(hg.rows) do
          for _, l in ipairs(r.lines) do
            assert.is_nil(l.via)
            assert.is_nil(l.advice)
            seen = seen or l.func
          end
        end
        assert.is_truthy(seen)
      end)

    it(("prints it in goescape trace growth, as text and JSON (%s)"):format(name), function()
      local out = H.must(H.cli_cmd(("trace growth --by region --escape %s --profile %s %s")
        :format(H.q(log), H.q(prof), H.q(trace))))
      assert.matches("index %(1 serve%)%s+[%d.]+ MiB", out)
      assert.matches("main%.go:" .. line_of("out = append(out, i)") .. " main%.grow %(runtime%.growslice%)", out)
      assert.matches("reason: append growth", out)
      assert.matches("in the profile", out)
      out = H.must(H.cli_cmd(("trace growth --by goroutine --json -n 2 --lines 1 --escape %s %s")
        :format(H.q(log), H.q(trace))))
      local cjson = require "cjson"
      local n = 0
      for line in out:gmatch("[^\n]+") do
        n = n + 1
        local j = cjson.decode(line)
        assert.is_number(j.g or (j.unattributed and 0))
        assert.is_true(#j.lines <= 1)
      end
      assert.are.equal(2, n)
    end)
  end

  for _, run in ipairs(runs) do
    local d, name = run.dir, run.compiler.name
    it(("joins heap object lifetimes with the escapes that make each type (%s)"):format(name), function()
      local lt = assert(ge.analysis.lifetimes { trace = d .. "/af.trace", escape = d .. "/m2.log",
        binary = d .. "/tracedemo", n = 0 })
      local t = assert(ge.trace.open(d .. "/af.trace"))
      local plain = assert(t:lifetimes())
      assert.are.equal(#plain, #lt.rows)
      local by = {}
      for i, r in ipairs(lt.rows) do
        assert.are.equal(plain[i].type, r.type)
        assert.are.equal(plain[i].allocs, r.allocs)
        by[r.type] = r
      end
      local function has(r, line, msg)
        for _, e in ipairs(r.escapes) do
          if e.line == line and e.message == msg then return true end
        end
        return false
      end
      -- decode's record: 80000 made (4 workers x 20000), a quarter kept in
      -- the index: most die young, by the escape of decode's r (DWARF: r is
      -- a main.record), inlined into the worker's closure too
      local rec = by["main.record"]
      assert.are.equal(4 * 20000, rec.allocs)
      assert.are.equal("short", rec.class)
      assert.is_true(has(rec, line_of("r := record{"), "moved to heap: r"))
      assert.is_true(has(rec, line_of('"decode", func() { r = decode(id) }'), "moved to heap: r"))
      -- the index map's groups live on: the global map literal
      local groups = by["map.group[int]*main.record"] or by["map.bucket[int]*main.record"]
      assert.are.equal("long", groups.class)
      assert.is_true(has(groups, line_of("var index = map"), "map[int]*record{} escapes to heap"))
      -- the values boxed for fmt.Sprintf are the runtime's interface boxes
      local boxes = by["runtime.uint64InterfacePtr"]
      assert.is_true(has(boxes, line_of("fmt.Sprintf("), "r.id escapes to heap"))
      -- without the binary, a variable's type is unknown: no moved-to-heap join
      lt = assert(ge.analysis.lifetimes { trace = d .. "/af.trace", escape = d .. "/m2.log" })
      for _, r in ipairs(lt.rows) do
        for _, e in ipairs(r.escapes) do assert.are_not.equal("moved_to_heap", e.kind) end
      end
      -- the command
      local out = H.must(H.cli_cmd(("trace lifetimes -n 3 --escape %s --binary %s %s")
        :format(H.q(d .. "/m2.log"), H.q(d .. "/tracedemo"), H.q(d .. "/af.trace"))))
      assert.matches("main%.record\n%s+%./main%.go:%d+: moved to heap: r %[", out)
      -- a trace without the experiment: nil, err, code
      local r, err, code = ge.analysis.lifetimes { trace = d .. "/trace.out" }
      assert.is_nil(r)
      assert.matches("traceallocfree=1", err)
      assert.are.equal("notfound", code)
    end)
  end

  for _, run in ipairs(runs) do
    local d, name = run.dir, run.compiler.name
    it(("shows a timeline span's allocating lines with their reasons on hover (%s)"):format(name), function()
      local m = ge.report.html(H.tmpdir("heapgrowth-html") .. "/r.html",
        { trace = d .. "/trace.out", escape = assert(ge.escape.open(d .. "/m2.log")) })
      local lanes = m.timeline.lanes
      local seen = {}
      for _, s in ipairs(m.timeline.spans) do
        local lane = lanes[s.lane]
        if s.rows and lane.kind == "region" then
          for _, r in ipairs(s.rows) do
            seen[lane.name .. " " .. r[2] .. " " .. r[4]] = true
            -- a region's span lists its own region's lines only
            if lane.name == "decode" then assert.are.equal("main.decode", r[2]) end
          end
        end
      end
      assert.is_true(seen["index main.grow append growth"])
      assert.is_true(seen["decode main.decode returned to the caller"])
      -- the caller's rows replace them
      m = ge.report.html(H.tmpdir("heapgrowth-html") .. "/r2.html",
        { trace = d .. "/trace.out", timeline = { rows = function() return { { "x" } } end } })
      for _, s in ipairs(m.timeline.spans) do assert.are.same({ { "x" } }, s.rows) end
    end)
  end

  it("names the types a record allocates as the runtime does", function()
    local rt = require("goescape.analysis.lifetimes").record_types
    local function types(kind, subject, pkg)
      return rt({ kind = kind, subject = subject, package = pkg or "example.com/x/foo" })
    end
    assert.are.same({ "foo.T", "main.T" }, types("escapes_to_heap", "&T{...}"))
    assert.are.same({ "foo.T", "main.T" }, types("escapes_to_heap", "new(T)"))
    assert.are.same({ "bytes.Buffer", "bytes.Buffer" }, types("escapes_to_heap", "&bytes.Buffer{...}"))
    assert.are.same({ "map.group[string]*foo.T", "map.bucket[string]*foo.T",
      "map.group[string]*main.T", "map.bucket[string]*main.T" },
      types("escapes_to_heap", "map[string]*T{}"))
    assert.are.same({ "uint8", "uint8" }, types("escapes_to_heap", "make([]byte, n)"))
    assert.are.same({}, types("escapes_to_heap", "x escapes"))
    assert.are.same({}, types("moved_to_heap", "x"))
  end)

  it("raises on misuse and returns nil, err for a path that is no trace", function()
    assert.has_error(function() ge.analysis.heapgrowth { escape = "x" } end)
    assert.has_error(function() ge.analysis.heapgrowth { trace = 42 } end)
    assert.has_error(function() ge.analysis.heapgrowth { trace = "x", bogus = 1 } end)
    local hg, err = ge.analysis.heapgrowth { trace = H.root .. "/README.md" }
    assert.is_nil(hg)
    assert.matches("not a Go execution trace", err)
    if runs[1] then
      assert.has_error(function()
        ge.analysis.heapgrowth { trace = runs[1].dir .. "/trace.out", by = "line" }
      end)
    end
  end)
end)
