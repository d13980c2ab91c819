-- ge.analysis.assertions and `goescape assert`: //goescape: directives in
-- spec/fixtures/diff/assert/a.go checked against the logs every installed Go
-- compiler makes of it in this run (cached under build/fixtures).
local H = require "spec.helpers"
local ge = require "goescape"
local json = require "goescape.report.json"
local SARIF = dofile(H.root .. "/spec/fixtures/sarif/check.lua")

local SRC = H.root .. "/spec/fixtures/diff/assert"
local A = SRC .. "/a.go"

local function build(c, flags)
  return H.cached("assert-" .. c.name .. flags:gsub("[^%w]", ""), function(d)
    H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=%s . 2> %s/build.log")
      :format(H.q(SRC), H.q(d), c.go, flags, H.q(d)))
  end) .. "/build.log"
end

-- The failures a.go must give: target line -> directive and a message pattern.
local FAILS = {
  [20] = { "inline", "NoInl is not inlinable" },
  [32] = { "noescape", "leaking param: p" },
  [40] = { "noescape", "&T{...} escapes to heap" },
  [47] = { "inline", "call to NoInl not inlined" },
  [48] = { "inline", "no call on this line is inlined" },
  [52] = { "noescape", "53:7: &T{...} escapes to heap" },
  [63] = { "nosuch", "unknown directive" },
}

local function check_failures(res)
  local got = {}
  for _, f in ipairs(res.failed) do
    got[f.line] = true
    local want = FAILS[f.line]
    assert.is_table(want, "unexpected failure at line " .. f.line .. ": " .. f.message)
    assert.are.equal(want[1], f.directive)
    assert.matches(want[2], f.message, 1, true)
  end
  for l in pairs(FAILS) do assert.is_true(got[l], "missing failure at line " .. l) end
  assert.are.same({ 11, 4, false }, { res.checked, res.passed, res.ok })
end

describe("ge.analysis.assertions", function()
  for _, c in ipairs(H.go_compilers()) do
    it("finds the holding and the failing directives in a -m=2 log of " .. c.name, function()
      local res = assert(ge.analysis.assertions { escape = build(c, "-m=2"), sources = { SRC } })
      check_failures(res)
    end)
  end

  it("works on a plain -m log (no 'cannot inline' lines) and on a logopt directory", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local res = assert(ge.analysis.assertions { escape = build(c, "-m"), sources = { A } })
    check_failures(res)
    for _, f in ipairs(res.failed) do
      if f.line == 20 then assert.matches("no 'can inline'", f.message, 1, true) end
    end
    local dir = H.cached("assert-logopt-" .. c.name, function(d)
      H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-json=0,file://%s/lo .")
        :format(H.q(SRC), H.q(d), c.go, d))
    end)
    local lo = assert(ge.analysis.assertions { escape = dir .. "/lo", sources = { A } })
    local lines = {}
    for _, f in ipairs(lo.failed) do lines[#lines + 1] = f.line end
    table.sort(lines)
    -- logopt has escapes, leaks and inlining decisions (not inlined calls)
    assert.are.same({ 20, 32, 40, 46, 47, 48, 52, 63 }, lines)
  end)

  it("fails every directive of a file the log does not cover", function()
    local c = H.go_compilers()[1]
    local tmp = H.tmpdir("assert-other")
    H.write(tmp .. "/other.go", "package x\n\n//goescape:noescape\nfunc F() {}\n")
    local res = assert(ge.analysis.assertions { escape = build(c, "-m=2"), sources = { tmp .. "/other.go" } })
    assert.are.equal(1, #res.failed)
    assert.matches("no diagnostics for this file", res.failed[1].message)
  end)

  it("scans Go source: trailing and leading directives, func extents, strings and comments", function()
    local s = ge.analysis.assertions.scan(H.read(A))
    local targets = {}
    for _, d in ipairs(s.directives) do targets[#targets + 1] = d.line .. ">" .. d.target end
    assert.are.same({ "13>14", "18>20", "22>23", "31>32", "35>35", "40>40", "45>46", "47>47", "48>48",
      "51>52", "62>63" }, targets)
    assert.are.same({ 23, 29, "Sum" }, { s.funcs[23].first, s.funcs[23].last, s.funcs[23].name })
    assert.are.same({ 52, 55, "Boxed" }, { s.funcs[52].first, s.funcs[52].last, s.funcs[52].name })
  end)

  it("returns nil and an error for a missing log or source, raises on misuse", function()
    local r, err = ge.analysis.assertions { escape = "/nonexistent.log", sources = { A } }
    assert.is_nil(r)
    assert.matches("nonexistent", err)
    local c = H.go_compilers()[1]
    r, err = ge.analysis.assertions { escape = build(c, "-m=2"), sources = { "/nonexistent.go" } }
    assert.is_nil(r)
    assert.matches("nonexistent", err)
    assert.has_error(function() ge.analysis.assertions() end)
    assert.has_error(function() ge.analysis.assertions { escape = 1, sources = {} } end)
    assert.has_error(function() ge.analysis.assertions { escape = build(c, "-m=2"), sources = 3 } end)
  end)
end)

describe("goescape assert", function()
  local c = H.go_compilers()[#H.go_compilers()]

  it("prints each failure and exits 1", function()
    local out, rc = H.cli("assert --escape " .. H.q(build(c, "-m=2")) .. " " .. H.q(SRC))
    assert.are.equal(1, rc, out)
    assert.matches("a.go:40: //goescape:noescape failed: 40:7: &T{...} escapes to heap", out, 1, true)
    assert.matches("4 of 11 assertions hold, 7 failed", out, 1, true)
  end)

  it("exits 0 when every assertion holds", function()
    local tmp = H.tmpdir("assert-ok")
    local src = H.read(A):gsub("//goescape:", "//gone:")
    src = src:gsub("(func Add%(a, b int%))", "//goescape:inline\n%1", 1) -- keep one, shifted a line
    H.write(tmp .. "/a.go", src)
    local log = H.read(build(c, "-m=2")):gsub("a%.go:14:6: can inline Add", "a.go:15:6: can inline Add")
    H.write(tmp .. "/build.log", log)
    local out, rc = H.cli("assert --escape " .. H.q(tmp .. "/build.log") .. " " .. H.q(tmp .. "/a.go"))
    assert.are.equal(0, rc, out)
    assert.matches("1 of 1 assertions hold", out, 1, true)
  end)

  it("prints JSON and SARIF 2.1.0", function()
    local log = H.q(build(c, "-m=2"))
    local out, rc = H.cli("assert --json --escape " .. log .. " " .. H.q(A))
    assert.are.equal(1, rc)
    local d = json.decode(out)
    assert.are.same({ false, 11, 4, 7 }, { d.ok, d.checked, d.passed, #d.failed })
    out, rc = H.cli("assert --sarif --escape " .. log .. " " .. H.q(A))
    assert.are.equal(1, rc)
    local doc = SARIF.structure(out)
    SARIF.jsonschema(out)
    assert.are.equal(7, #doc.runs[1].results)
    for _, r in ipairs(doc.runs[1].results) do
      assert.are.equal("error", r.level)
      assert.matches("a%.go$", r.locations[1].physicalLocation.artifactLocation.uri)
    end
  end)

  it("runs the assert-directives recipe", function()
    local out, rc = H.cli("run " .. H.q(H.root .. "/examples/assert-directives.lua") .. " "
      .. H.q(build(c, "-m=2")) .. " " .. H.q(SRC))
    assert.are.equal(1, rc, out)
    assert.matches("ok   " .. A .. ":13 //goescape:inline (func Add)", out, 1, true)
    assert.matches("FAIL " .. A .. ":31 //goescape:noescape (func Leak)", out, 1, true)
    assert.matches("4 of 11 hold", out, 1, true)
  end)

  it("needs --escape and sources; --help describes it", function()
    local _, rc = H.cli("assert " .. H.q(A))
    assert.are.equal(2, rc)
    local out
    out, rc = H.cli("assert --help")
    assert.are.equal(0, rc)
    assert.matches("--escape", out, 1, true)
    assert.matches("sarif", out, 1, true)
  end)
end)
