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
        if d.subject == "... argument" and d.kind == "escapes_to_heap" then
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
