-- Heap growth: a generated program that leaks into a global map writes two
-- heap profiles at two points in time (built and run in the test setup with
-- the machine's Go); growth by line is checked against
-- `go tool pprof -top -lines -diff_base=BEFORE AFTER`, and joined with the
-- -m=2 reasons. Also: the goescape growth command.
local H = require "spec.helpers"
local ge = require "goescape"
local json = require "goescape.report.json"

local SRC = [[
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

type Item struct {
	buf  []byte
	name string
}

var cache = map[int]*Item{}

//go:noinline
func newItem(i int) *Item {
	it := &Item{buf: make([]byte, 1024)}
	return it
}

//go:noinline
func add(i int) { cache[i] = newItem(i) }

func snapshot(path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		panic(err)
	}
	f.Close()
}

func main() {
	runtime.MemProfileRate = 1
	for i := 0; i < 500; i++ {
		add(i)
	}
	snapshot(os.Args[1])
	for i := 500; i < 2500; i++ {
		add(i)
	}
	snapshot(os.Args[2])
}
]]

local c = H.go_compilers()[2] or H.go_compilers()[1]
local dir = H.cached("growth-leak-" .. c.name, function(d)
  H.write(d .. "/main.go", SRC)
  H.write(d .. "/go.mod", "module example.com/leak\n\ngo 1.19\n")
  H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 -o leak . 2> m2.log && ./leak h1.pb.gz h2.pb.gz")
    :format(H.q(d), H.q(d), c.go))
end)

-- `go tool pprof -top -lines -diff_base` flat deltas by "file:line", in bytes.
local function pprof_diff(sample)
  local out = H.must(("cd %s && go tool pprof -top -lines -nodefraction=0 -nodecount=100000 "
    .. "-sample_index=%s -unit=B -diff_base=h1.pb.gz h2.pb.gz 2>/dev/null"):format(H.q(dir), sample))
  local t = {}
  -- percentages of tiny values print in exponent form (6e-05%)
  local pc = "%-?[%d.e+-]+%%"
  for flat, loc in out:gmatch("\n%s*(%-?%d+)B%s+" .. pc .. "%s+" .. pc .. "%s+%-?%d+B%s+" .. pc .. "%s+%S+ (%S+)") do
    t[loc] = (t[loc] or 0) + tonumber(flat)
  end
  return t
end

local function row_at(g, line)
  for _, r in ipairs(g.rows) do
    if r.file:match("/main%.go$") and r.line == line then return r end
  end
end

describe("ge.analysis.growth", function()
  local log = assert(ge.escape.open(dir .. "/m2.log"))
  local h1 = assert(ge.profile.open(dir .. "/h1.pb.gz"))
  local h2 = assert(ge.profile.open(dir .. "/h2.pb.gz"))
  local g = assert(ge.analysis.growth { escape = log, before = h1, after = h2, sample = "inuse_space" })

  it("gives every changed line the delta go tool pprof -diff_base reports", function()
    local want = pprof_diff("inuse_space")
    local seen = 0
    for _, r in ipairs(g.rows) do
      assert.are.equal(want[r.file .. ":" .. r.line], r.delta, r.file .. ":" .. r.line)
      assert.are.equal(r.after - r.before, r.delta)
      seen = seen + 1
    end
    for loc, v in pairs(want) do
      if v ~= 0 then assert.is_true(seen > 0, loc) end
    end
    assert.are.equal("inuse_space", g.sample.type)
    assert.are.equal("bytes", g.sample.unit)
  end)

  it("ranks the leaking 1 KiB buffers first, with the compiler's reason", function()
    local r = g.rows[1]
    assert.are.equal(18, r.line)
    assert.are.equal("main.newItem", r.func)
    -- 2000 more live 1 KiB buffers.
    assert.is_true(r.delta >= 2000 * 1024, tostring(r.delta))
    local kinds = {}
    for _, d in ipairs(r.diagnostics) do kinds[d.subject] = d end
    assert.is_table(kinds["make([]byte, 1024)"])
    assert.is_table(kinds["&Item{...}"])
    assert.are.equal("returned_address", kinds["&Item{...}"].advice.reason)
    assert.is_table(r.advice)
    for i = 2, #g.rows do assert.is_true(g.rows[i - 1].delta >= g.rows[i].delta) end
  end)

  it("sums to the difference of the totals", function()
    local _, t1 = h1:top { by = "line", sample = "inuse_space" }
    local _, t2 = h2:top { by = "line", sample = "inuse_space" }
    assert.are.equal(t2 - t1, g.total_delta)
    assert.are.equal(t1, g.before_total)
    local all = assert(ge.analysis.growth { before = h1, after = h2, sample = "inuse_space", n = 0 })
    local sum = 0
    for _, r in ipairs(all.rows) do sum = sum + r.delta end
    assert.are.equal(all.total_delta, sum)
    assert.are.same({}, all.rows[1].diagnostics)   -- no log, no diagnostics
  end)

  it("is callable as ge.analysis.growth.run and accepts paths; -n limits rows", function()
    local g2 = assert(ge.analysis.growth.run { escape = dir .. "/m2.log", before = dir .. "/h1.pb.gz",
      after = dir .. "/h2.pb.gz", sample = "inuse_space", n = 1 })
    assert.are.equal(1, #g2.rows)
    assert.are.equal(g.rows[1].delta, g2.rows[1].delta)
    assert.is_true(row_at(g, 18) ~= nil)
  end)

  it("returns nil and an error for an unknown sample or a bad file, raises on misuse", function()
    local r, err = ge.analysis.growth { before = h1, after = h2, sample = "nope" }
    assert.is_nil(r)
    assert.is_truthy(err:find("nope", 1, true))
    r, err = ge.analysis.growth { before = dir .. "/main.go", after = h2 }
    assert.is_nil(r)
    assert.is_string(err)
    assert.has_error(function() ge.analysis.growth { before = 1, after = h2 } end)
    assert.has_error(function() ge.analysis.growth() end)
  end)
end)

describe("goescape growth", function()
  local args = ("--escape %s/m2.log %s/h1.pb.gz %s/h2.pb.gz --sample inuse_space")
    :format(H.q(dir), H.q(dir), H.q(dir))

  it("prints a text report, and nothing on stderr when it is not a terminal", function()
    local out, rc, err = H.cli("growth " .. args .. " -n 3")
    assert.are.equal(0, rc)
    assert.are.equal("", err)
    assert.is_truthy(out:match("^inuse_space: [^\n]+ %(%+[^\n]+%)\n"))
    assert.is_truthy(out:find("main.go:18 main.newItem", 1, true))
    assert.is_truthy(out:find("returned to the caller", 1, true))
  end)

  it("prints one JSON object per line with the row fields", function()
    local out = H.must(H.cli_cmd("growth " .. args .. " -n 2 --json"))
    local n = 0
    for line in out:gmatch("[^\n]+") do
      local o = json.decode(line)
      for _, f in ipairs { "file", "line", "func", "before", "after", "delta", "diagnostics" } do
        assert.is_not_nil(o[f], f)
      end
      assert.are.equal(o.after - o.before, o.delta)
      n = n + 1
    end
    assert.are.equal(2, n)
  end)

  it("exits 1 with one line for a missing profile, 2 for bad usage", function()
    local _, rc, err = H.cli("growth /nonexistent.pb.gz " .. H.q(dir .. "/h2.pb.gz"))
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: [^\n]*nonexistent[^\n]*\n$"), err)
    _, rc = H.cli("growth " .. H.q(dir .. "/h2.pb.gz"))
    assert.are.equal(2, rc)
  end)
end)
