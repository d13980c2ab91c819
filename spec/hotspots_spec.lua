-- Hotspots: the demo program (examples/demo) built with each installed
-- compiler, run to write an allocation profile, and joined with its -m=2 log;
-- costs checked against `go tool pprof -top -lines` in the same run, and the
-- path forms the compiler and the runtime print (relative, absolute,
-- -trimpath, GOROOT) checked to meet.
local H = require "spec.helpers"
local ge = require "goescape"
local json = require "goescape.report.json"

local DEMO = H.root .. "/examples/demo"

-- Builds the demo in `dir` (copied there first) and runs it. `flags` are
-- extra go build flags; `from` is the directory go build runs in.
local function build_demo(c, name, flags, gcflags)
  return H.cached("hot-" .. name .. "-" .. c.name, function(d)
    H.must(("cp %s/main.go %s/go.mod %s/"):format(H.q(DEMO), H.q(DEMO), H.q(d)))
    H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build %s -gcflags=%s -o demo . 2> m2.log")
      :format(H.q(d), H.q(d), c.go, flags or "", H.q(gcflags or "-m=2")))
    H.must(("cd %s && ./demo allocs.pb.gz > /dev/null"):format(H.q(d)))
  end)
end

-- `go tool pprof -top -lines` flat values by "file:line", in bytes.
local function pprof_lines(dir)
  local out = H.must(("cd %s && go tool pprof -top -lines -nodefraction=0 -nodecount=100000 "
    .. "-sample_index=alloc_space -unit=B allocs.pb.gz 2>/dev/null"):format(H.q(dir)))
  local t = {}
  -- percentages of tiny values print in exponent form (6.3e-05%)
  local pc = "[%d.e+-]+%%"
  for flat, loc in out:gmatch("\n%s*(%d+)B%s+" .. pc .. "%s+" .. pc .. "%s+%d+B%s+" .. pc .. "%s+%S+ (%S+)") do
    t[loc] = (t[loc] or 0) + tonumber(flat)
  end
  return t
end

local function row_at(hot, suffix, line)
  for _, r in ipairs(hot.rows) do
    if r.file:sub(-#suffix) == suffix and r.line == line then return r end
  end
end

local function has_kind(row, kind, subject)
  for _, d in ipairs(row.diagnostics) do
    if d.kind == kind and (not subject or d.subject == subject) then return d end
  end
end

describe("ge.analysis.hotspots", function()
  for _, c in ipairs(H.go_compilers()) do
    describe("on the demo built by " .. c.name, function()
      local dir = build_demo(c, "plain")
      local log = assert(ge.escape.open(dir .. "/m2.log"))
      local prof = assert(ge.profile.open(dir .. "/allocs.pb.gz"))
      local hot = assert(ge.analysis.hotspots { escape = log, profile = prof, sample = "alloc_space" })

      it("ranks lines by flat cost exactly as go tool pprof -top -lines", function()
        local want = pprof_lines(dir)
        assert.is_true(#hot.rows > 5)
        for i, r in ipairs(hot.rows) do
          if i > 1 then assert.is_true(hot.rows[i - 1].flat >= r.flat) end
          assert.are.equal(want[r.file .. ":" .. r.line], r.flat, r.file .. ":" .. r.line)
        end
        assert.are.equal("alloc_space", hot.sample.type)
      end)

      -- Go 1.19 kept variables up to 10 MiB on the stack (128 KiB since), and
      -- did not report append's backing arrays.
      local old = c.version == "1.19"

      if old then
        it("keeps the 512 KiB array on the stack and reports append growth as a bare line", function()
          assert.is_nil(row_at(hot, "main.go", 46))
          for d in log:each { kind = "moved_to_heap", file = "main.go" } do
            assert.are_not.equal("a", d.subject)
          end
          local r = row_at(hot, "main.go", 34)
          assert.are.equal(hot.rows[1], r)
          assert.are.same({}, r.diagnostics)
        end)
        return
      end

      it("explains the too-large array with its flow and advice", function()
        local r = row_at(hot, "main.go", 46)
        assert.is_table(r)
        assert.are.equal("main.bigArray", r.func)
        local d = has_kind(r, "moved_to_heap", "a")
        assert.is_table(d)
        assert.are.equal("too_large", d.advice.reason)
        assert.are.equal("too large for stack", d.flow[#d.flow].reason)
        assert.are.equal(hot.rows[1], r)
      end)

      it("gives the array's size from the binary's DWARF", function()
        local bin = assert(ge.binary.open(dir .. "/demo"))
        local before = prof:encode(false)
        local h2 = assert(ge.analysis.hotspots { escape = log, profile = prof, binary = bin,
          sample = "alloc_space", n = 3 })
        assert.are.equal(before, prof:encode(false)) -- symbolized a copy, not the caller's profile
        local d = has_kind(row_at(h2, "main.go", 46), "moved_to_heap", "a")
        assert.are.equal(65536 * 8, d.advice.size)
        assert.is_truthy(d.advice.why:find("512.0 KiB", 1, true))
      end)

      it("finds append growth, returned addresses and interface boxing", function()
        assert.are.equal("append", has_kind(row_at(hot, "main.go", 34), "escapes_to_heap").advice.reason)
        assert.are.equal("returned_address",
          has_kind(row_at(hot, "main.go", 21), "moved_to_heap", "p").advice.reason)
        local log_line = row_at(hot, "main.go", 27)
        local boxed = 0
        for _, d in ipairs(log_line.diagnostics) do
          if d.advice and d.advice.reason == "interface" then boxed = boxed + 1 end
        end
        assert.is_true(boxed >= 1)
      end)

      it("lists heap diagnostics that cost nothing, and lines without diagnostics", function()
        local c53
        for _, d in ipairs(hot.uncosted) do
          if d.line == 53 and d.subject == "c" then c53 = d end
        end
        assert.is_table(c53)
        assert.are.equal("closure", c53.advice.reason)
        local bare = 0
        for _, r in ipairs(hot.rows) do if #r.diagnostics == 0 then bare = bare + 1 end end
        assert.is_true(bare > 0)
      end)
    end)
  end

  local local_go = H.go_compilers()[2] or H.go_compilers()[1]

  it("joins -trimpath profiles with relative log paths", function()
    local dir = build_demo(local_go, "trimpath", "-trimpath")
    local log = assert(ge.escape.open(dir .. "/m2.log"))
    local prof = assert(ge.profile.open(dir .. "/allocs.pb.gz"))
    local hot = assert(ge.analysis.hotspots { escape = log, profile = prof })
    local r = row_at(hot, "main.go", 46)
    assert.are.equal("example.com/demo/main.go", r.file)
    assert.is_table(has_kind(r, "moved_to_heap", "a"))
  end)

  it("joins GOROOT paths of standard-library logs", function()
    local dir = build_demo(local_go, "std", nil, "strings=-m=2")
    local log = assert(ge.escape.open(dir .. "/m2.log"))
    assert.is_true(log:count { package = "strings" } > 0)
    local prof = assert(ge.profile.open(dir .. "/allocs.pb.gz"))
    local hot = assert(ge.analysis.hotspots { escape = log, profile = prof })
    local joined = 0
    for _, r in ipairs(hot.rows) do
      if r.file:match("/src/strings/") and #r.diagnostics > 0 then joined = joined + 1 end
    end
    assert.is_true(joined > 0)
  end)

  it("joins vendored dependencies, plain and with -trimpath", function()
    local dir = H.cached("hot-vendor-" .. local_go.name, function(d)
      H.mkdir(d .. "/dep")
      H.mkdir(d .. "/app")
      H.write(d .. "/dep/go.mod", "module example.com/dep\n\ngo 1.19\n")
      H.write(d .. "/dep/dep.go", "package dep\n\n// Make escapes: returned.\n"
        .. "func Make(n int) []byte {\n\tb := make([]byte, n)\n\treturn b\n}\n")
      H.write(d .. "/app/go.mod", "module example.com/app\n\ngo 1.19\n\n"
        .. "require example.com/dep v0.0.0\n\nreplace example.com/dep => ../dep\n")
      H.write(d .. "/app/main.go", [[
package main

import (
	"os"
	"runtime"
	"runtime/pprof"

	"example.com/dep"
)

var keep [][]byte

func main() {
	runtime.MemProfileRate = 1
	for i := 0; i < 1000; i++ {
		keep = append(keep[:0], dep.Make(100+i%3))
	}
	f, _ := os.Create(os.Args[1])
	pprof.Lookup("allocs").WriteTo(f, 0)
	f.Close()
}
]])
      local env = ("cd %s/app && GOCACHE=%s/.cache %s "):format(H.q(d), H.q(d), local_go.go)
      H.must(env .. "mod vendor")
      for _, v in ipairs { { "plain", "" }, { "trim", "-trimpath" } } do
        H.must(("%s build -mod=vendor %s -gcflags='example.com/...=-m=2' -o %s . 2> %s.m2.log")
          :format(env, v[2], v[1], v[1]))
        H.must(("cd %s/app && ./%s %s.pb.gz"):format(H.q(d), v[1], v[1]))
      end
    end)
    for _, v in ipairs { "plain", "trim" } do
      local log = assert(ge.escape.open(dir .. "/app/" .. v .. ".m2.log"))
      local prof = assert(ge.profile.open(dir .. "/app/" .. v .. ".pb.gz"))
      local hot = assert(ge.analysis.hotspots { escape = log, profile = prof, n = 1 })
      local r = hot.rows[1]
      assert.are.equal("example.com/dep.Make", r.func)
      assert.is_truthy(r.file:match("dep%.go$"))
      local d = has_kind(r, "escapes_to_heap")
      assert.is_table(d, v)
      assert.is_truthy(d.file:match("^vendor/") or d.file:match("^example%.com/dep@"), d.file)
    end
  end)

  it("returns nil and an error for an unknown sample type, raises on misuse", function()
    local dir = build_demo(local_go, "plain")
    local log = assert(ge.escape.open(dir .. "/m2.log"))
    local prof = assert(ge.profile.open(dir .. "/allocs.pb.gz"))
    local hot, err = ge.analysis.hotspots { escape = log, profile = prof, sample = "nope" }
    assert.is_nil(hot)
    assert.is_string(err)
    assert.has_error(function() ge.analysis.hotspots { escape = log } end)
  end)
end)

describe("goescape hotspots", function()
  local c = H.go_compilers()[2] or H.go_compilers()[1]
  local dir = build_demo(c, "plain")

  it("prints one JSON object per line with the required fields", function()
    local out = H.must(H.cli_cmd(("hotspots --escape %s/m2.log --profile %s/allocs.pb.gz -n 5 --json")
      :format(H.q(dir), H.q(dir))))
    local n = 0
    for line in out:gmatch("[^\n]+") do
      local o = json.decode(line)
      for _, f in ipairs { "file", "line", "func", "flat", "cum", "diagnostics" } do
        assert.is_not_nil(o[f], f)
      end
      for _, d in ipairs(o.diagnostics) do
        assert.is_string(d.kind)
        assert.is_string(d.message)
      end
      n = n + 1
    end
    assert.are.equal(5, n)
  end)

  it("prints a text report with reasons and advice", function()
    local out = H.must(H.cli_cmd(("hotspots --escape %s/m2.log --profile %s/allocs.pb.gz -n 3")
      :format(H.q(dir), H.q(dir))))
    assert.is_truthy(out:find("main.bigArray", 1, true))
    assert.is_truthy(out:find("moved to heap: a", 1, true))
    assert.is_truthy(out:find("fix: ", 1, true))
  end)

  it("exits 1 with one line for a missing profile, 2 for bad usage", function()
    local _, rc, err = H.cli(("hotspots --escape %s/m2.log --profile /nonexistent.pb.gz"):format(H.q(dir)))
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: [^\n]*nonexistent%.pb%.gz[^\n]*\n$"))
    _, rc = H.cli("hotspots --bogus")
    assert.are.equal(2, rc)
  end)
end)
