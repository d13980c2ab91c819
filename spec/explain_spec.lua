-- Explanations on real compiler output: the module in spec/fixtures/explain
-- (a logger whose variadic parameter leaks through a second function, and
-- one function per allocation shape) built with -m=2 by every installed
-- compiler, and profiled by the machine's Go. Each explanation must be the
-- same whatever the compiler's print order, follow calls into the callee,
-- and never leave an allocating line without a cause when one can be known.
local H = require "spec.helpers"
local ge = require "goescape"
local advice = require "goescape.analysis.advice"
local logctx = require "goescape.analysis.logctx"

local SRC = H.root .. "/spec/fixtures/explain"

local function build(c)
  return H.cached("explain-" .. c.name, function(d)
    H.must(("cp -r %s/. %s"):format(H.q(SRC), H.q(d)))
    H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags='example.com/explain/...=-m=2' ./... 2> m2.log")
      :format(H.q(d), H.q(d), c.go))
  end)
end

local function line_advice(log, env, file, line)
  local recs = {}
  for _, i in ipairs(log:at_line(file, line)) do recs[#recs + 1] = log:get(i) end
  local l = advice.line(recs, env)
  if l.heap then return l.best, l end
  return advice.infer(recs, env, file, line), l
end

describe("explanations on real compiler output", function()
  for _, c in ipairs(H.go_compilers()) do
    describe(c.name, function()
      local log, env
      setup(function()
        local dir = build(c)
        log = assert(ge.escape.open(dir .. "/m2.log"))
        local src = {}
        env = { ctx = logctx.new(log), source = function(file, line)
          local path = dir .. "/" .. file:gsub("^%.%./", ""):gsub("^%./", "")
          if not src[path] then
            src[path] = {}
            local f = io.open(path)
            if f then for l in f:lines() do table.insert(src[path], l) end f:close() end
          end
          return src[path][line]
        end }
      end)

      it("names the callee of every call-parameter step", function()
        local seen = {}
        for d in log:each { kind = "escape" } do
          for _, s in ipairs(d.flow or {}) do
            if s.reason == "call parameter" then
              assert.is_string(s.callee, s.expr)
              assert.are.equal(s.callee, s.expr:sub(1, #s.callee))
              seen[s.callee] = true
            elseif s.callee then
              error("callee on a " .. tostring(s.reason) .. " step")
            end
          end
        end
        assert.is_true(seen["(*lg.Logger).Info"])
        assert.is_true(seen["(*Logger).write"])
      end)

      it("explains a typed variadic call as the slice its callee keeps, through two callees", function()
        local a = line_advice(log, env, "app/app.go", 18)
        assert.are.equal("variadic_slice", a.reason)
        assert.are.equal("(*lg.Logger).Info", a.callee)
        -- caller -> Info's fields -> write(msg, fields) -> write's fields -> sink = fields
        local texts = {}
        for _, l in ipairs(a.chain) do texts[#texts + 1] = l.text end
        assert.are.equal("passed to (*lg.Logger).Info", texts[1])
        assert.are.equal("fields", a.chain[2].param)
        assert.are.equal(17, a.chain[2].line)
        assert.are.equal("passed to (*Logger).write", texts[3])
        assert.are.equal("fields", a.chain[4].param)
        assert.are.equal(22, a.chain[4].line)
        assert.are.equal("sink = fields (assign)", texts[5])
        assert.are.equal(23, a.chain[5].line)
        assert.is_truthy(a.why:find("(*lg.Logger).Info", 1, true))
        assert.is_nil(a.why:find("interface", 1, true))
      end)

      it("does not blame a constant converted to an interface, whatever the print order", function()
        for d in log:each { kind = "escapes_to_heap", file = "app/app.go" } do
          if d.line == 22 and d.subject:find('"const"', 1, true) then
            assert.is_nil(advice.explain(d, nil, nil, env))
          end
        end
        local a, l = line_advice(log, env, "app/app.go", 22)
        assert.are.equal("interface", a.reason)
        assert.are.equal(0, #l.others)
      end)

      it("tells a goroutine from a deferred call in a loop, and their captured variables", function()
        assert.are.equal("goroutine", line_advice(log, env, "app/app.go", 33).reason)
        assert.are.equal("goroutine", line_advice(log, env, "app/app.go", 31).reason) -- x captured by it
        assert.are.equal("defer", line_advice(log, env, "app/app.go", 40).reason)
        assert.are.equal("defer", line_advice(log, env, "app/app.go", 39).reason)  -- i captured by it
        -- without the source, the enclosing function's inliner verdict decides
        local bare = { ctx = env.ctx }
        assert.are.equal("goroutine", line_advice(log, bare, "app/app.go", 33).reason)
        assert.are.equal("defer", line_advice(log, bare, "app/app.go", 40).reason)
      end)

      it("explains a make stored into a returned composite literal", function()
        local a = line_advice(log, env, "app/app.go", 26)
        if c.version == "1.19" then
          assert.are.equal("non_constant_size", a.reason) -- 1.19's flow says so
        else
          assert.are.equal("stored_in_returned", a.reason)
          assert.is_truthy(a.why:find("&T{...}", 1, true))
        end
      end)

      it("gives a cause to allocations the compiler reports as not escaping", function()
        local want = { [52] = "append", [58] = "map_growth", [60] = "map_growth", [66] = "concat",
          [32] = "make_chan" }
        if c.version ~= "1.19" then want[45] = "non_constant_size" end
        for line, reason in pairs(want) do
          local a = line_advice(log, env, "app/app.go", line)
          assert.is_table(a, "line " .. line)
          assert.are.equal(reason, a.reason, "line " .. line)
          assert.is_string(a.inferred, "line " .. line)
        end
        -- without the source, the "does not escape" record is the evidence
        if c.version ~= "1.19" then
          local a = line_advice(log, { ctx = env.ctx }, "app/app.go", 45)
          assert.are.equal("non_constant_size", a.reason)
          assert.are.equal("log", a.inferred)
        end
      end)

      it("folds identical diagnostics of generic instantiations with a count", function()
        local _, l = line_advice(log, env, "app/app.go", 70)
        local max = 0
        for _, v in ipairs(l.folded) do
          max = math.max(max, v.count)
          for _, w in ipairs(l.folded) do
            if v ~= w then
              assert.is_false(v.rec.kind == w.rec.kind and v.rec.message == w.rec.message
                and v.rec.col == w.rec.col)
            end
          end
        end
        assert.is_true(max >= 2)
      end)
    end)
  end

  local function profiled()
    local c = H.go_compilers()[2] or H.go_compilers()[1]
    return H.cached("explain-prof-" .. c.name, function(d)
      H.must(("cp -r %s/. %s"):format(H.q(SRC), H.q(d)))
      H.must(("cd %s/app && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s test -gcflags='example.com/explain/...=-m=2' "
        .. "-run x -bench . -benchtime 200x -memprofile %s/mem.pb.gz -memprofilerate 1 -cpuprofile %s/cpu.pb.gz "
        .. "-o %s/app.test . > /dev/null 2> %s/test.log"):format(H.q(d), H.q(d), c.go, H.q(d), H.q(d), H.q(d), H.q(d)))
    end)
  end

  it("hotspots: every costed line of the module has a cause, and the JSON carries chains", function()
    local dir = profiled()
    local log = assert(ge.escape.open(dir .. "/test.log"))
    local prof = assert(ge.profile.open(dir .. "/mem.pb.gz"))
    local hot = assert(ge.analysis.hotspots { escape = log, profile = prof, n = 0 })
    local by_line = {}
    for _, r in ipairs(hot.rows) do
      if r.file:match("/app/app%.go$") then
        assert.is_table(r.advice, "no cause for app.go:" .. r.line)
        by_line[r.line] = r.advice.reason
      end
    end
    assert.are.equal("variadic_slice", by_line[18])
    assert.are.equal("goroutine", by_line[33])
    assert.are.equal("defer", by_line[40])
    assert.are.equal("append", by_line[52])
    assert.are.equal("map_growth", by_line[60])
    assert.are.equal("make_chan", by_line[32])
    assert.are.equal("concat", by_line[66])

    local out, rc = H.cli(("hotspots --escape %s --profile %s -n 0 --json")
      :format(H.q(dir .. "/test.log"), H.q(dir .. "/mem.pb.gz")))
    assert.are.equal(0, rc)
    local cjson = require "cjson"
    local found
    for line in out:gmatch("[^\n]+") do
      local r = cjson.decode(line)
      if r.line == 18 and r.file:match("app%.go$") then
        found = r
        assert.are.equal("variadic_slice", r.advice.reason)
        assert.are.equal("fields", r.advice.chain[2].param)
        local callees = {}
        for _, d in ipairs(r.diagnostics) do
          for _, s in ipairs(d.flow or {}) do if s.callee then callees[#callees + 1] = s.callee end end
        end
        assert.are.same({ "(*lg.Logger).Info" }, callees)
      end
    end
    assert.is_table(found)
    -- with the binary, a moved variable of a named type has its size
    local bin = assert(ge.binary.open(dir .. "/app.test"))
    local sized = assert(ge.analysis.hotspots { escape = log, profile = prof, binary = bin, n = 0 })
    local big
    for _, r in ipairs(sized.rows) do
      if r.file:match("/app/app%.go$") and r.line == 81 then big = r end
    end
    assert.is_table(big)
    assert.are.equal("returned_address", big.advice.reason)
    assert.are.equal(64 * 8 + 24, big.advice.size)
    assert.is_truthy(big.advice.why:find("x: 536 bytes per allocation", 1, true))
    -- and the runtime function each silent line calls, from its call instruction
    local calls = { [52] = "runtime.growslice", [60] = "runtime.mapassign_fast64",
      [32] = "runtime.makechan", [66] = "runtime.concatstring2", [45] = "runtime.makeslice" }
    for _, r in ipairs(sized.rows) do
      local want = r.file:match("/app/app%.go$") and calls[r.line]
      if want then
        assert.are.equal("stack", r.advice.inferred, r.line)
        assert.is_truthy(r.advice.why:find("calls " .. want, 1, true), r.advice.why)
        calls[r.line] = nil
      end
    end
    assert.are.same({}, calls)
    local text = H.cli(("hotspots --escape %s --profile %s -n 0")
      :format(H.q(dir .. "/test.log"), H.q(dir .. "/mem.pb.gz")))
    assert.is_truthy(text:find("reason: variadic slice kept by the callee", 1, true))
    assert.is_truthy(text:find("reason: channel (no heap move reported by the compiler)", 1, true))
  end)

  it("html: object counts of rows that share a line are their own, summed in the source view", function()
    local dir = profiled()
    local log = assert(ge.escape.open(dir .. "/test.log"))
    local prof = assert(ge.profile.open(dir .. "/mem.pb.gz"))
    local data = assert(require("goescape.report.html").data {
      escape = log, profile = prof, sample = "alloc_space", n = 1000, source = false })
    local want, per_line = {}, {}
    for _, r in ipairs(assert(prof:top { by = "line", sample = "alloc_objects", n = 0 })) do
      want[(r.func or "") .. "@" .. (r.file or "") .. ":" .. (r.line or 0)] = r.flat
      local k = (r.file or "") .. ":" .. (r.line or 0)
      per_line[k] = (per_line[k] or 0) + 1
    end
    local shared = 0
    for _, r in ipairs(data.rows) do
      local k = (r.func or "") .. "@" .. r.file .. ":" .. r.line
      assert.are.equal(want[k] or 0, r.objects or 0, k)
      if per_line[r.file .. ":" .. r.line] > 1 and r.line == 87 then shared = shared + 1 end
    end
    assert.is_true(shared >= 2, "TwoRows and its closure on line 87")
  end)

  it("binary:call_target names the callee of every direct call go tool objdump shows (amd64, arm64)", function()
    local dir = profiled()
    local arm = dir .. "/app.arm64.test"
    if not H.exists(arm) then
      H.must(("cd %s/app && GOARCH=arm64 GOCACHE=%s/.cache GOFLAGS=-mod=mod go test -c -o %s . 2>/dev/null")
        :format(H.q(dir), H.q(dir), H.q(arm)))
    end
    for _, path in ipairs { dir .. "/app.test", arm } do
      local b = assert(ge.binary.open(path))
      local out = H.must("go tool objdump -s 'explain/app\\.' " .. H.q(path))
      local n = 0
      for addr, bytes, callee in out:gmatch("\t0x(%x+)\t+(%x+)\t+CALL ([%w_%./%(%)%*]+)%(SB%)") do
        local ret = tonumber(addr, 16) + #bytes / 2
        local t, name = b:call_target(ret - 1)
        assert.is_number(t, path .. " " .. addr)
        assert.are.equal((callee:gsub("%.abi0$", "")), name, path .. " " .. addr)
        n = n + 1
      end
      assert.is_true(n > 20, path)
      assert.is_nil(b:call_target(b:funcs()[1].entry)) -- not after a call
      b:close()
    end
  end)

  describe("the command", function()
    it("reads gzipped logs, and refuses them in a stream with a clear error", function()
      local dir = profiled()
      local plain = H.cli("summary " .. H.q(dir .. "/test.log"))
      H.must(("gzip -c %s > %s"):format(H.q(dir .. "/test.log"), H.q(dir .. "/test.log.gz")))
      local out, rc = H.cli("summary " .. H.q(dir .. "/test.log.gz"))
      assert.are.equal(0, rc)
      assert.are.equal(plain, out)
      local log = assert(ge.escape.parse(H.read(dir .. "/test.log.gz"), "x.gz"))
      assert.are.equal(#assert(ge.escape.open(dir .. "/test.log")), #log)
      local st, err = ge.escape.stream(dir .. "/test.log.gz", function() end)
      assert.is_nil(st)
      assert.matches("offset 0: gzip data", err, 1, true)
      H.write(dir .. "/trunc.log.gz", H.read(dir .. "/test.log.gz"):sub(1, 200))
      local _, rc2, err2 = H.cli("summary " .. H.q(dir .. "/trunc.log.gz"))
      assert.are.equal(1, rc2)
      assert.matches("trunc.log.gz: gzip:", err2, 1, true)
    end)

    it("warns once when the log is of other sources than the profile (lines shifted)", function()
      local dir = profiled()
      local _, _, err = H.cli(("hotspots --escape %s --profile %s -n 3")
        :format(H.q(dir .. "/test.log"), H.q(dir .. "/mem.pb.gz")))
      assert.is_nil(err:find("warning", 1, true), err)
      local shifted = H.cached("explain-shifted", function(d)
        H.must(("cp -r %s/. %s"):format(H.q(SRC), H.q(d)))
        local src = H.read(d .. "/app/app.go"):gsub("\nvar sinkI int\n", "\nvar sinkI int\n\n// two lines\n// more\n", 1)
        H.write(d .. "/app/app.go", src)
        local c = H.go_compilers()[2] or H.go_compilers()[1]
        H.must(("cd %s/app && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags='example.com/explain/...=-m=2' . 2> ../m2.log")
          :format(H.q(d), H.q(d), c.go))
      end)
      local out, rc, err2 = H.cli(("hotspots --escape %s --profile %s -n 3")
        :format(H.q(shifted .. "/m2.log"), H.q(dir .. "/mem.pb.gz")))
      assert.are.equal(0, rc, out)
      local _, n = err2:gsub("warning: the escape log does not match the profiled sources", "")
      assert.are.equal(1, n, err2)
    end)

    it("says when a logopt <base>.json belongs to another source with the same base name", function()
      local c = H.go_compilers()[2] or H.go_compilers()[1]
      local dir = H.cached("explain-logopt-" .. c.name, function(d)
        H.write(d .. "/go.mod", "module example.com/lo\n\ngo 1.22\n")
        -- type.go of main and sync/atomic's type.go (generic code
        -- instantiated in main) both want main/type.json
        H.write(d .. "/type.go", "package main\n\ntype T struct{ b []byte }\n\n"
          .. "func NewT(n int) *T { return &T{b: make([]byte, n)} }\n")
        H.write(d .. "/main.go", [[
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
)

var p atomic.Pointer[T]
var sink []*T

func main() {
	runtime.MemProfileRate = 1
	for i := 0; i < 1000; i++ {
		p.Store(NewT(i))
		sink = append(sink, p.Load())
	}
	f, _ := os.Create(os.Args[1])
	pprof.Lookup("allocs").WriteTo(f, 0)
	f.Close()
}
]])
        H.must(("cd %s && GOCACHE=%s/.cache %s build -gcflags=-json=0,file://%s/lo.json -o lo . && ./lo mem.pb.gz")
          :format(H.q(d), H.q(d), c.go, d))
      end)
      local _, rc, err = H.cli(("hotspots --escape %s --profile %s -n 1")
        :format(H.q(dir .. "/lo.json"), H.q(dir .. "/mem.pb.gz")))
      assert.are.equal(0, rc, err)
      local src = H.read(dir .. "/lo.json/main/type.json"):match('"file":"([^"]+)"')
      if src:match("sync/atomic/type%.go$") then
        assert.matches("main/type.json holds diagnostics of " .. src:gsub("%p", "%%%0"), err)
        assert.matches("use a text log", err, 1, true)
      else
        assert.is_nil(err:find("holds diagnostics of", 1, true)) -- the compiler kept ours this time
      end
      assert.is_nil(err:find("does not match the profiled sources", 1, true), err)
    end)

    it("runs through a symlink from another directory", function()
      local tmp = H.tmpdir("symlink")
      H.must(("ln -s %s %s/goescape"):format(H.q(H.root .. "/bin/goescape"), H.q(tmp)))
      local cmd = H.cli_cmd("summary " .. H.q(profiled() .. "/test.log"))
      -- the same environment, but the link instead of bin/goescape, started elsewhere
      cmd = cmd:gsub(H.q(H.root .. "/bin/goescape"):gsub("%p", "%%%0"), H.q(tmp .. "/goescape"))
      local out, rc, err = H.sh("cd / && " .. cmd:gsub("LUA_PATH=%S+ ", ""))
      assert.are.equal(0, rc, err)
      assert.matches("records from 1 input", out, 1, true)
    end)

    it("says a CPU profile is not allocations, and lets --sample pick", function()
      local dir = profiled()
      local out, rc, err = H.cli(("hotspots --escape %s --profile %s")
        :format(H.q(dir .. "/test.log"), H.q(dir .. "/cpu.pb.gz")))
      assert.are.equal(2, rc, out)
      assert.matches("no allocation sample type (it has samples/count, cpu/nanoseconds)", err, 1, true)
      assert.matches("Usage: goescape hotspots", err, 1, true)
      _, rc = H.cli(("hotspots --escape %s --profile %s --sample cpu")
        :format(H.q(dir .. "/test.log"), H.q(dir .. "/cpu.pb.gz")))
      assert.are.equal(0, rc)
    end)

    it("marks --profile required and prints the subcommand's usage on a usage error", function()
      local out = H.cli("hotspots --help")
      assert.matches("--escape <escape> --profile <profile>", out, 1, true)
      local _, rc, err = H.cli("hotspots --escape x.log")
      assert.are.equal(2, rc)
      assert.matches("Usage: goescape hotspots", err, 1, true)
      assert.is_nil(err:find("Usage: goescape [-h]", 1, true))
    end)
      it("finds a generic function by its name alone with --func", function()
      local dir = build(H.go_compilers()[#H.go_compilers()])
      local out, rc = H.cli("escapes --kind moved_to_heap --func Gen " .. H.q(dir .. "/m2.log"))
      assert.are.equal(0, rc)
      assert.matches("app/app.go:70:%d+: moved_to_heap: moved to heap: v", out)
      local exact = H.cli("escapes --func 'Gen[go.shape.int]' " .. H.q(dir .. "/m2.log"))
      assert.is_true(#exact > 0 and #exact < #H.cli("escapes --func Gen " .. H.q(dir .. "/m2.log")))
    end)
  end)
end)
