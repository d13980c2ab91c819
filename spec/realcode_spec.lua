-- A real third-party module, pinned, from the Go module proxy: go.uber.org/zap
-- v1.27.0 (a structured logger whose typed fields go through a variadic
-- parameter). Its test binary is built with -m=2 for zap's packages, a few
-- of its own benchmarks run with every allocation profiled, and hotspots
-- must (1) cost every line as `go tool pprof -top -lines` does and (2) give
-- every line among the top 30 a cause, with the variadic calls explained as
-- the slice that zap keeps, not as interface boxing.
local H = require "spec.helpers"
local ge = require "goescape"

local ZAP = "go.uber.org/zap@v1.27.0"
local BENCH = "Benchmark10Fields|BenchmarkAny$|BenchmarkSugarSingleStrArg|BenchmarkStringerField"
  .. "|Benchmark5WithsUsed|BenchmarkReflectField"

local function build()
  local c = H.go_compilers()[2] or H.go_compilers()[1]
  return H.cached("realcode-zap-" .. c.name, function(d)
    H.write(d .. "/go.mod", "module example.com/realcode\n\ngo 1.22\n")
    H.write(d .. "/x.go", 'package realcode\n\nimport _ "go.uber.org/zap"\n')
    local env = ("cd %s && GOFLAGS=-mod=mod GOCACHE=%s/.cache "):format(H.q(d), H.q(d))
    H.must(env .. c.go .. " get " .. ZAP .. " >/dev/null 2>&1")
    H.must(env .. c.go .. " mod tidy >/dev/null 2>&1")
    H.must(env .. c.go .. " test -c -o zap.test -gcflags='go.uber.org/zap/...=-m=2' go.uber.org/zap 2> m2.log")
    H.must(("cd %s && ./zap.test -test.run x -test.bench %s -test.benchtime 500x "
      .. "-test.memprofile mem.pb.gz -test.memprofilerate 1 > bench.txt"):format(H.q(d), H.q(BENCH)))
  end)
end

describe("on a real module (" .. ZAP .. ")", function()
  local dir, hot

  setup(function()
    dir = build()
    local log = assert(ge.escape.open(dir .. "/m2.log"))
    local prof = assert(ge.profile.open(dir .. "/mem.pb.gz"))
    hot = assert(ge.analysis.hotspots { escape = log, profile = prof, sample = "alloc_space", n = 0 })
  end)

  -- goescape perf --mallocs --run on zap's stack-capturing benchmark: the
  -- allocation runtime.CallersFrames makes for zap lands where the heap
  -- profile of the same benchmark puts it (zap's stacktrace.Capture, whose
  -- &runtime.Frames{...} escapes), with the same count, not on the
  -- runtime's symtab.go.
  it("perf --mallocs --run charges runtime.CallersFrames' allocation to zap's line, as the heap profile does", function()
    local args = "-test.run='^$' -test.bench='^BenchmarkStackField$' -test.benchtime=300x"
    local d = H.tmpdir("realcode-zap-mallocs")
    H.must(("cd %s && %s/zap.test %s -test.memprofile %s/heap.pb.gz -test.memprofilerate 1 > /dev/null")
      :format(H.q(dir), H.q(dir), args, H.q(d)))
    local r, err = ge.perf.record_mallocs(("cd %s && ./zap.test %s"):format(H.q(dir), args),
      { binary = dir .. "/zap.test", script = d .. "/m.txt" })
    if not r and err:match("perf") then pending("perf probes unavailable here: " .. err:sub(1, 200)) return end
    assert(r, err)
    local p = assert(ge.perf.open(d .. "/m.txt", { aggregate = true }))
    assert(p:symbolize(r.binary))
    local log = assert(ge.escape.open(dir .. "/m2.log"))
    local function frames_line(prof)
      local h = assert(ge.analysis.hotspots { escape = log, profile = prof, sample = "alloc_objects", n = 0 })
      for _, row in ipairs(h.rows) do
        for _, dg in ipairs(row.diagnostics or {}) do
          if dg.message == "&runtime.Frames{...} escapes to heap" then return row end
        end
      end
    end
    local mine = assert(frames_line(assert(p:allocs())))
    local theirs = assert(frames_line(assert(ge.profile.open(d .. "/heap.pb.gz"))))
    assert.are.equal(theirs.file, mine.file)
    assert.are.equal(theirs.line, mine.line)
    assert.matches("stacktrace%.Capture$", mine.func)
    -- two runs of the benchmark: its 300 log calls and warm-up alike, give
    -- or take a stack captured once by the test framework
    assert.is_true(theirs.flat >= 300 and math.abs(mine.flat - theirs.flat) <= 2,
      ("%d against %d"):format(mine.flat, theirs.flat))
    for _, row in ipairs(assert(p:allocs():top { by = "line", n = 10, sample = "alloc_space" })) do
      assert.is_nil(row.file:match("runtime/symtab%.go$"), row.file)
    end
  end)

  it("costs every line as go tool pprof -top -lines", function()
    local out = H.must(("cd %s && go tool pprof -top -lines -nodefraction=0 -nodecount=1000000 "
      .. "-sample_index=alloc_space -unit=B mem.pb.gz 2>/dev/null"):format(H.q(dir)))
    local want, n = {}, 0
    local pc = "[%d.e+-]+%%"
    -- the location is the line's last field: generic names hold spaces
    for flat, rest in out:gmatch("\n%s*(%d+)B%s+" .. pc .. "%s+" .. pc .. "%s+%d+B%s+" .. pc .. "%s+([^\n]+)") do
      local loc = rest:gsub("%s+%(inline%)%s*$", ""):match("(%S+)$")
      want[loc] = (want[loc] or 0) + tonumber(flat)
      n = n + 1
    end
    assert.is_true(n > 50)
    local got = {}
    for _, r in ipairs(hot.rows) do
      local k = r.file .. ":" .. r.line
      got[k] = (got[k] or 0) + r.flat
    end
    for k, v in pairs(want) do
      if v ~= 0 then assert.are.equal(v, got[k], k) end
    end
  end)

  -- zap's buffers come from a sync.Pool: the allocations of its New are the
  -- pool refilling, and the advice says so. The oracle of the share under
  -- sync.(*Pool).Get is go tool pprof -focus.
  it("tells a sync.Pool's New refilling the pool from an escape to remove", function()
    local function by_line(extra)
      local out = H.must(("cd %s && go tool pprof -top -lines -nodefraction=0 -nodecount=1000000 "
        .. "-sample_index=alloc_space -unit=B %s mem.pb.gz 2>/dev/null"):format(H.q(dir), extra))
      local t = {}
      local pc = "[%d.e+-]+%%"
      for flat, rest in out:gmatch("\n%s*(%d+)B%s+" .. pc .. "%s+" .. pc .. "%s+%d+B%s+" .. pc .. "%s+([^\n]+)") do
        local loc = rest:gsub("%s+%(inline%)%s*$", ""):match("(%S+)$")
        t[loc] = (t[loc] or 0) + tonumber(flat)
      end
      return t
    end
    local all, pooled = by_line(""), by_line("-focus='^sync\\.\\(\\*Pool\\)\\.Get$'")
    local n = 0
    for _, r in ipairs(hot.rows) do
      local k = r.file .. ":" .. r.line
      local share = (pooled[k] or 0) / all[k]
      -- sync.(*Pool).pinSlow's allocations are under Get too: the pool's own
      if share >= 0.5 and not r.func:match("^sync%.") then
        n = n + 1
        assert.are.equal(share, r.advice.pool, k)
        assert.is_truthy(r.advice.fix:find("what a pool is for", 1, true), k)
      else
        assert.is_nil(r.advice and r.advice.pool, k)
      end
    end
    assert.is_true(n >= 1, "zap's buffer pool refills")
  end)

  -- The same benchmarks traced: who grows the heap, per goroutine, with the
  -- lines behind it. The buffer pool's lines that the profile shows as
  -- refills are refills in the trace's allocation stacks too.
  it("explains the heap growth of zap's traced benchmarks with the same words", function()
    local tdir = H.cached("realcode-zap-trace", function(d)
      H.must(("cd %s && %s/zap.test -test.run x -test.bench %s -test.benchtime 2000x "
        .. "-test.trace trace.out > /dev/null"):format(H.q(d), H.q(dir), H.q(BENCH)))
    end)
    local hg = assert(ge.analysis.heapgrowth { trace = tdir .. "/trace.out",
      escape = dir .. "/m2.log", profile = dir .. "/mem.pb.gz", n = 0, lines = 20 })
    -- the lines the heap profile shows allocating under sync.(*Pool).Get
    local under_get = {}
    for _, r in ipairs(assert(assert(ge.profile.open(dir .. "/mem.pb.gz")):top { by = "line", n = 0,
      sample = "alloc_space", focus = "^sync\\.\\(\\*Pool\\)\\.Get$" })) do
      if r.flat ~= 0 and r.file then under_get[r.file .. ":" .. r.line] = true end
    end
    local seen, pooled = 0, 0
    for _, row in ipairs(hg.rows) do
      for _, l in ipairs(row.lines) do
        seen = seen + 1
        assert.is_table(l.advice, l.file .. ":" .. l.line)
        -- the buffer pool's New runs only under Get: wherever the trace
        -- caught it allocating, its advice is the pool's
        if l.file:match("/buffer/pool%.go$") then assert.is_number(l.advice.pool, l.file .. ":" .. l.line) end
        if l.advice.pool then
          -- a refill in the trace's stacks is one in the profile's too (the
          -- two runs sample apart: a line near half its bytes under Get may
          -- fall either side of the 50% that names it a refill)
          pooled = pooled + 1
          assert.is_true(under_get[l.file .. ":" .. l.line], l.file .. ":" .. l.line)
        end
      end
    end
    -- how many lines grew the heap depends on where the run's GCs fell: 5
    -- in one clean-clone run, more in others
    assert.is_true(seen >= 3, seen .. " lines")
  end)

  -- An allocation/free trace of the same benchmarks with a heap profile of
  -- the run: each type's escapes carry their line's bytes (go tool pprof's
  -- flat for the line) and the ones the run allocated come first.
  it("orders each type's escapes by what the run allocated (lifetimes with a profile)", function()
    local adir = H.cached("realcode-zap-allocfree", function(d)
      H.must(("cd %s && GODEBUG=traceallocfree=1 %s/zap.test -test.run x -test.bench %s "
        .. "-test.benchtime 1000x -test.trace af.trace -test.memprofile mem.pb.gz "
        .. "-test.memprofilerate 1 > /dev/null"):format(H.q(d), H.q(dir), H.q(BENCH)))
    end)
    local lt = assert(ge.analysis.lifetimes { trace = adir .. "/af.trace", escape = dir .. "/m2.log",
      binary = dir .. "/zap.test", profile = adir .. "/mem.pb.gz", sample = "alloc_space", n = 0 })
    local out = H.must(("cd %s && go tool pprof -top -lines -nodefraction=0 -nodecount=1000000 "
      .. "-sample_index=alloc_space -unit=B mem.pb.gz 2>/dev/null"):format(H.q(adir)))
    local flat = {}
    local pc = "[%d.e+-]+%%"
    for f, rest in out:gmatch("\n%s*(%d+)B%s+" .. pc .. "%s+" .. pc .. "%s+%d+B%s+" .. pc .. "%s+([^\n]+)") do
      local loc = rest:gsub("%s+%(inline%)%s*$", ""):match("(%S+)$")
      flat[loc] = (flat[loc] or 0) + tonumber(f)
    end
    local with = 0
    for _, r in ipairs(lt.rows) do
      local prev = math.huge
      for _, e in ipairs(r.escapes or {}) do
        local want = flat[e.file .. ":" .. e.line]
        if want == 0 then want = nil end
        assert.are.equal(want, e.bytes, e.file .. ":" .. e.line)
        local b = e.bytes or -1
        assert.is_true(b <= prev, r.type)
        prev = b
        if e.bytes then with = with + 1 end
      end
    end
    assert.is_true(with >= 5)
  end)

  -- goescape bench on zap's nested sub-benchmarks: testing.(*B).Run compiles
  -- the -bench pattern's regexps under the parent benchmark's frame for each
  -- sub-benchmark; that is the harness, not the benchmark's allocations.
  it("shows a sub-benchmark's own allocating lines under goescape bench, not the harness's", function()
    local out, rc, err = H.sh(("cd %s && GOFLAGS=-mod=mod GOCACHE=%s/.cache %s"):format(H.q(dir), H.q(dir),
      H.cli_cmd("bench go.uber.org/zap -q -bench 'BenchmarkAny$/string/(field-only|log)$' "
        .. "-count 1 -benchtime 2000x -n 5")))
    assert.are.equal(0, rc, err)
    local n = 0
    for name, sect in out:gmatch("\n([^\n]*): allocating lines[^\n]*\n(.-)\n\n") do
      n = n + 1
      assert.falsy(sect:find("regexp", 1, true), name .. "\n" .. sect)
      if name:find("/log/") then
        assert.truthy(sect:find("logger_bench_test.go:", 1, true), name .. "\n" .. sect)
      end
    end
    assert.is_true(n >= 4, out)
  end)

  it("finds the log and the profile of one build consistent (no mismatch warning)", function()
    assert.are.same({}, hot.warnings)
  end)

  it("gives every line among the top 30 a cause", function()
    for i = 1, math.min(30, #hot.rows) do
      local r = hot.rows[i]
      assert.is_table(r.advice, ("row %d %s:%d has no cause"):format(i, r.file, r.line))
      assert.is_string(r.advice.title)
    end
  end)

  it("explains zap's typed-field calls as the variadic slice zap keeps, through its calls", function()
    local n = 0
    for _, r in ipairs(hot.rows) do
      for _, d in ipairs(r.diagnostics) do
        -- (a call through a func value is the next spec's)
        if d.subject == "... argument" and d.kind == "escapes_to_heap"
          and d.advice.reason ~= "dynamic_call" then
          n = n + 1
          assert.are.equal("variadic_slice", d.advice.reason, r.file .. ":" .. r.line)
          assert.is_nil(d.advice.why:find("typed loggers", 1, true))
          local callees = {}
          for _, l in ipairs(d.advice.chain or {}) do
            if l.param then callees[#callees + 1] = l.param end
          end
          -- (*Logger).Info(fields) -> (*CheckedEntry).Write(fields) -> an interface call
          if d.advice.callee == "(*Logger).Info" then
            assert.are.same({ "fields", "fields" }, callees)
            assert.is_true(d.advice.chain[#d.advice.chain].dynamic)
          end
        end
      end
    end
    assert.is_true(n >= 3)
  end)

  -- zap calls some of its functions through func values (a benchmark's
  -- withMethod parameter, a test helper's f): escape analysis cannot see
  -- those callees. Calls into packages built without -m (testify's
  -- assert.Equal, t.Cleanup) print the same "x.M" form as interface calls and
  -- must not be called func values.
  it("calls a call through a func value so, and only such calls", function()
    local log = assert(ge.escape.open(dir .. "/m2.log"))
    local advice = require "goescape.analysis.advice"
    local env = { ctx = require("goescape.analysis.logctx").new(log) }
    local found, costed = {}, false
    for d in log:each { kind = "escapes_to_heap" } do
      local a = advice.explain(d, nil, nil, env)
      if a and a.reason == "dynamic_call" then
        -- a bare name, called at the record's line, that no file of the
        -- package declares as a function
        assert.is_truthy(a.callee:match("^[%a_][%w_]*$"), a.callee)
        local src = H.read(d.file)
        local n, line = 0, nil
        for l in (src .. "\n"):gmatch("([^\n]*)\n") do
          n = n + 1
          if n == d.line then line = l break end
        end
        assert.is_truthy(line:find(a.callee .. "(", 1, true), line)
        local pkgdir = d.file:match("^(.*)/[^/]+$")
        for f in H.must("ls " .. H.q(pkgdir) .. "/*.go"):gmatch("[^\n]+") do
          assert.is_nil(H.read(f):find("\nfunc " .. a.callee .. "[(%[]"),
            a.callee .. " is a function declared in " .. f)
        end
        found[a.callee] = true
        for _, r in ipairs(hot.rows) do
          if r.file == d.file and r.line == d.line then costed = true end
        end
      elseif a and a.chain and a.chain[1].target and a.chain[1].target:match("^assert%.") then
        assert.are_not.equal("dynamic_call", a.reason)
      end
    end
    assert.is_true(found.withMethod, "the benchmark's withMethod(log, ...) call")
    assert.is_true(costed, "a func-value call among the profiled lines")
  end)

  it("keeps examples/interfaces.lua readable on it: short lines, boxing only", function()
    local out, rc = H.cli(("run %s %s"):format(H.q(H.root .. "/examples/interfaces.lua"), H.q(dir .. "/m2.log")))
    assert.are.equal(0, rc, out)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      n = n + 1
      assert.is_true(#line <= 240, line)
      local subjects = line:match("boxed: (.*)$")
      if subjects then
        -- pointers are not boxed, constants are static data
        for s in subjects:gsub(" %+%d+ more$", ""):gmatch("[^,]+") do
          s = s:match("^%s*(.-)%s*$")
          assert.is_nil(s:match("^&"), line)
          assert.is_nil(s:match('^"'), line)
        end
      end
    end
    assert.is_true(n > 10)
  end)

  -- A dependency upgrade (zap v1.26.0 -> v1.27.0): every module-cache path
  -- changes its @version, and Go 1.19 logs name no function in their
  -- records. The gate must see the same few changes under both compilers.
  it("diffs two releases with as little noise under Go 1.19 as under the newest compiler", function()
    local counts = {}
    for _, c in ipairs(H.go_compilers()) do
      if c.version == "1.19" or c == H.go_compilers()[2] then
        local logs = {}
        for _, v in ipairs { "v1.26.0", "v1.27.0" } do
          local d = H.cached("realcode-zap-" .. v .. "-" .. c.name, function(zdir)
            H.write(zdir .. "/go.mod", "module example.com/zv\n\ngo 1.19\n")
            H.write(zdir .. "/x.go", 'package zv\n\nimport _ "go.uber.org/zap"\n')
            local env = ("cd %s && GOFLAGS=-mod=mod GOCACHE=%s/.cache "):format(H.q(zdir), H.q(zdir))
            H.must(env .. "go get go.uber.org/zap@" .. v .. " >/dev/null 2>&1")
            H.must(env .. "go mod tidy >/dev/null 2>&1")
            H.must(env .. c.go .. " build -gcflags='go.uber.org/zap/...=-m=2' ./... 2> m2.log")
          end)
          logs[#logs + 1] = d .. "/m2.log"
        end
        local d = assert(ge.analysis.diff { before = logs[1], after = logs[2] })
        counts[c.version] = d.summary.added + d.summary.removed
        assert.is_true(d.summary.unchanged > 1000)
        assert.is_true(counts[c.version] < 0.05 * d.summary.unchanged, c.name .. ": " .. counts[c.version])
      end
    end
    local old, new
    for v, n in pairs(counts) do if v == "1.19" then old = n else new = n end end
    if old and new then assert.is_true(old <= new * 1.2 + 5, ("1.19: %d, newest: %d"):format(old, new)) end
  end)
end)
