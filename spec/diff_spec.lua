-- ge.analysis.diff and `goescape diff` on escape logs: real compiler output of
-- spec/fixtures/diff/{before,after,shifted} made by every installed Go
-- compiler in this run (cached under build/fixtures), the CI gate end to end,
-- SARIF 2.1.0, and the profile diff still reached through the same command.
local H = require "spec.helpers"
local ge = require "goescape"
local json = require "goescape.report.json"
local SARIF = dofile(H.root .. "/spec/fixtures/sarif/check.lua")

local SRC = H.root .. "/spec/fixtures/diff/"
local VERSIONS = { "before", "after", "shifted" }

-- Builds the three versions with compiler c; `flags` are the -gcflags.
local function logs(c, mode, flags)
  return H.cached("diff-" .. c.name .. "-" .. mode, function(d)
    for _, v in ipairs(VERSIONS) do
      H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=%s . 2> %s/%s.log")
        :format(H.q(SRC .. v), H.q(d), c.go, H.q(flags:gsub("OUT", d .. "/" .. v)), H.q(d), v))
    end
  end)
end

local function by_cat(list)
  local t = {}
  for _, e in ipairs(list) do
    t[e.category] = t[e.category] or {}
    table.insert(t[e.category], e.kind .. " " .. tostring(e.subject) .. " in " .. tostring(e.func))
  end
  for _, l in pairs(t) do table.sort(l) end
  return t
end

local function open(path) return assert(ge.escape.open(path)) end

describe("ge.analysis.diff", function()
  for _, c in ipairs(H.go_compilers()) do
    describe("on -m=2 logs of " .. c.name, function()
      local dir = logs(c, "m2", "-m=2")

      it("lists the new escape, the gone one and the inlining changes", function()
        local d = assert(ge.analysis.diff { before = open(dir .. "/before.log"), after = open(dir .. "/after.log") })
        local added, removed, changed = by_cat(d.added), by_cat(d.removed), by_cat(d.changed)
        assert.are.same({ "moved_to_heap x in Local" }, added["new-heap"])
        assert.are.same({ "escapes_to_heap &T{...} in Gone" }, removed["gone-heap"])
        assert.are.same({ "cannot_inline Small in Small", "cannot_inline Use in Use" }, changed["lost-inline"])
        assert.are.same({ "can_inline Gone in Gone", "can_inline Grow in Grow", "can_inline Local in Local" },
          changed["inline-cost"])
        assert.are.same({ "inlining_call Local in Use" }, added["new-inlined-call"])
        assert.are.same({ "inlining_call Small in Use" }, removed["gone-inlined-call"])
        local s = d.summary
        assert.are.same({ 1, 1, 1, 1, 2, 3 },
          { s.new_escapes, s.new_heap, s.gone_escapes, s.gone_heap, s.lost_inline, s.cost_changes })
        -- positions come from AFTER for added and changed, from BEFORE for removed
        local x = d.added[1]
        for _, e in ipairs(d.added) do if e.kind == "moved_to_heap" then x = e end end
        assert.are.same({ "./p.go", 21, 2, "example.com/escdiff" }, { x.file, x.line, x.col, x.package })
        for _, e in ipairs(d.changed) do
          if e.subject == "Grow" then
            assert.are.same({ 4, 8 }, e.changes.cost)
            assert.are.same({ 30, 31 }, { e.before.line, e.line })
          end
        end
      end)

      it("shows a pure line shift as no change", function()
        local d = assert(ge.analysis.diff { before = open(dir .. "/before.log"), after = open(dir .. "/shifted.log") })
        assert.are.same({}, d.added)
        assert.are.same({}, d.removed)
        assert.are.same({}, d.changed)
        assert.are.equal(#open(dir .. "/before.log"), d.summary.unchanged)
      end)

      it("is symmetric: AFTER -> BEFORE gains what BEFORE -> AFTER lost", function()
        local d = assert(ge.analysis.diff { before = dir .. "/after.log", after = dir .. "/before.log" })
        assert.are.same({ "escapes_to_heap &T{...} in Gone" }, by_cat(d.added)["new-heap"])
        assert.are.same({ "moved_to_heap x in Local" }, by_cat(d.removed)["gone-heap"])
        assert.are.equal(2, d.summary.gained_inline)
        assert.are.equal(0, d.summary.lost_inline)
      end)
    end)
  end

  describe("on plain -m logs", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local dir = logs(c, "m1", "-m")
    it("reads a can_inline that disappears as lost inlining", function()
      local d = assert(ge.analysis.diff { before = dir .. "/before.log", after = dir .. "/after.log" })
      assert.are.same({ "can_inline Small in Small", "can_inline Use in Use" }, by_cat(d.removed)["lost-inline"])
      assert.are.same({ "moved_to_heap x in Local" }, by_cat(d.added)["new-heap"])
      local z = assert(ge.analysis.diff { before = dir .. "/before.log", after = dir .. "/shifted.log" })
      assert.are.same({ 0, 0, 0 }, { z.summary.added, z.summary.removed, z.summary.changed })
    end)
  end)

  describe("on logopt directories", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local dir = logs(c, "logopt", "-json=0,file://OUT")
    it("finds the same escape changes and no change for a line shift", function()
      local d = assert(ge.analysis.diff { before = dir .. "/before", after = dir .. "/after" })
      assert.is_true(d.summary.new_heap >= 1)
      assert.is_true(d.summary.gone_heap >= 1)
      local z = assert(ge.analysis.diff { before = dir .. "/before", after = dir .. "/shifted" })
      assert.are.same({ 0, 0, 0 }, { z.summary.added, z.summary.removed, z.summary.changed })
    end)
  end)

  it("numbers equal keys by occurrence, so a duplicate added below is the new one", function()
    local before = "# p\n./a.go:3:6: can inline F\n./a.go:4:9: &T{...} escapes to heap\n"
    local after = "# p\n./a.go:5:6: can inline F\n./a.go:6:9: &T{...} escapes to heap\n"
      .. "./a.go:8:9: &T{...} escapes to heap\n"
    local d = assert(ge.analysis.diff { before = assert(ge.escape.parse(before, "b")), after = assert(ge.escape.parse(after, "a")) })
    assert.are.equal(1, #d.added)
    assert.are.same({ 8, "F", "new-heap" }, { d.added[1].line, d.added[1].func, d.added[1].category })
  end)

  it("filters by kind and package, and gates on conditions", function()
    local dir = logs(H.go_compilers()[1], "m2", "-m=2")
    local d = assert(ge.analysis.diff { before = dir .. "/before.log", after = dir .. "/after.log", kinds = { "moved_to_heap" } })
    assert.are.same({ 1, 0, 0 }, { d.summary.added, d.summary.removed, d.summary.changed })
    assert.are.same({ "new-heap", "any" }, ge.analysis.diff.gate(d, { "new-heap", "lost-inline", "any" }))
    local none = assert(ge.analysis.diff { before = dir .. "/before.log", after = dir .. "/after.log", package = "other" })
    assert.are.same({}, ge.analysis.diff.gate(none, { "new-escapes", "any" }))
  end)

  it("returns nil and an error for unreadable input, raises on misuse", function()
    local d, err = ge.analysis.diff { before = "/nonexistent/before.log", after = "/nonexistent/after.log" }
    assert.is_nil(d)
    assert.matches("nonexistent", err)
    assert.has_error(function() ge.analysis.diff { before = 42, after = {} } end)
    assert.has_error(function() ge.analysis.diff "x" end)
    assert.has_error(function() ge.analysis.diff.gate({ summary = {} }, { "bogus" }) end)
  end)
end)

describe("goescape diff (escape logs)", function()
  local c = H.go_compilers()[#H.go_compilers()]
  local dir = logs(c, "m2", "-m=2")
  local B, A, S = H.q(dir .. "/before.log"), H.q(dir .. "/after.log"), H.q(dir .. "/shifted.log")

  it("is a CI gate: a change that adds an escape fails with 1, one that removes it passes", function()
    local out, rc = H.cli("diff --fail-on new-escapes " .. B .. " " .. A)
    assert.are.equal(1, rc, out)
    assert.matches("moved to heap: x", out, 1, true)
    assert.matches("FAIL: new-escapes", out, 1, true)
    -- the reverse change removes `moved to heap: x` but brings back Gone's
    -- escape: gate on a log pair that only removes escapes
    local tmp = H.tmpdir("diff-gate")
    H.write(tmp .. "/after-fixed.log", H.read(dir .. "/after.log"):gsub("[^\n]*x escapes to heap[^\n]*\n", "")
      :gsub("[^\n]*p%.go:21:2:[^\n]*\n", ""))
    out, rc = H.cli("diff --fail-on new-escapes " .. A .. " " .. H.q(tmp .. "/after-fixed.log"))
    assert.are.equal(0, rc, out)
    assert.matches("gone%-heap", out)
    out, rc = H.cli("diff --fail-on new-heap,lost-inline " .. S .. " " .. B)
    assert.are.equal(0, rc, out)
    out, rc = H.cli("diff --fail-on lost-inline " .. B .. " " .. A)
    assert.are.equal(1, rc, out)
    out, rc = H.cli("diff " .. B .. " " .. A)
    assert.are.equal(0, rc, out)
  end)

  it("prints JSON with the summary and the failed conditions", function()
    local out, rc = H.cli("diff --json --fail-on any --fail-on new-heap " .. B .. " " .. A)
    assert.are.equal(1, rc)
    local d = json.decode(out)
    assert.are.same({ "any", "new-heap" }, d.failed)
    assert.are.equal(1, d.summary.new_heap)
    assert.are.equal("new-heap", (function()
      for _, e in ipairs(d.added) do if e.kind == "moved_to_heap" then return e.category end end
    end)())
  end)

  it("writes SARIF 2.1.0 that annotates the new escape's line", function()
    local out, rc = H.cli("diff --sarif --fail-on new-escapes " .. B .. " " .. A)
    assert.are.equal(1, rc)
    local doc = SARIF.structure(out)
    SARIF.jsonschema(out)
    local found
    for _, r in ipairs(doc.runs[1].results) do
      if r.ruleId == "new-heap" then found = r end
    end
    assert.is_table(found)
    assert.are.equal("error", found.level)
    local pl = found.locations[1].physicalLocation
    assert.are.same({ "p.go", "%SRCROOT%", 21, 2 },
      { pl.artifactLocation.uri, pl.artifactLocation.uriBaseId, pl.region.startLine, pl.region.startColumn })
    assert.are.equal("goescape", doc.runs[1].tool.driver.name)
    -- an empty diff is a valid SARIF log with no results
    out = H.cli("diff --sarif " .. B .. " " .. S)
    assert.are.same({}, SARIF.structure(out).runs[1].results)
    SARIF.jsonschema(out)
  end)

  it("rejects unknown conditions, formats and missing files", function()
    local out, rc, err = H.cli("diff --fail-on sometimes " .. B .. " " .. A)
    assert.are.equal(2, rc, out)  -- a misconfigured gate is a usage error, not a failure
    assert.matches("unknown condition", err)
    _, rc = H.cli("diff --json --sarif " .. B .. " " .. A) -- one output at a time
    assert.are.equal(2, rc)
    _, rc, err = H.cli("diff " .. B .. " /nonexistent.log")
    assert.are.equal(1, rc)
    assert.matches("nonexistent", err)
  end)

  it("runs the ci-gate recipe: fails on the change, passes on a line shift, writes SARIF", function()
    local tmp = H.tmpdir("diff-recipe")
    local out, rc = H.cli("run " .. H.q(H.root .. "/examples/ci-gate.lua") .. " " .. B .. " " .. A .. " "
      .. H.q(tmp .. "/g.sarif"))
    assert.are.equal(1, rc, out)
    assert.matches("+ ./p.go:21:2 new-heap", out, 1, true)
    SARIF.structure(H.read(tmp .. "/g.sarif"))
    out, rc = H.cli("run " .. H.q(H.root .. "/examples/ci-gate.lua") .. " " .. B .. " " .. S)
    assert.are.equal(0, rc, out)
  end)

  it("--help describes both forms", function()
    local out, rc = H.cli("diff --help")
    assert.are.equal(0, rc)
    assert.matches("--fail-on", out, 1, true)
    assert.matches("sarif", out, 1, true)
    assert.matches("--base", out, 1, true)
  end)
end)

describe("goescape diff (profiles)", function()
  -- The profiles spec/profile_spec.lua makes (same cache entry, same recipe).
  local PROF = H.cached("profile-gen", function(d)
    H.must(("cd %s/src && env -u LD_PRELOAD GOTOOLCHAIN=local go build -o %s/profgen . && cd %s && ./profgen %s")
      :format(H.q(H.root .. "/spec/fixtures/profile"), H.q(d), H.q(d), H.q(d)))
    H.must(("cd %s && env -u LD_PRELOAD GOTOOLCHAIN=local go tool pprof -proto allocs.pb.gz heap.pb.gz > merged.pb.gz")
      :format(H.q(d)))
  end)
  local heap, allocs = H.q(PROF .. "/heap.pb.gz"), H.q(PROF .. "/allocs.pb.gz")

  it("sends profiles to top --base, sniffed from their first bytes (gzip, raw proto, legacy text)", function()
    local tmp = H.tmpdir("diff-sniff")
    H.must("gzip -dc " .. heap .. " > " .. H.q(tmp .. "/heap.pb"))
    for _, pair in ipairs { { heap, allocs }, { H.q(tmp .. "/heap.pb"), heap },
      { H.q(PROF .. "/heap.txt"), H.q(PROF .. "/heap.txt") } } do
      local out, rc, err = H.cli("diff " .. pair[1] .. " " .. pair[2])
      assert.are.equal(2, rc, out)
      assert.matches("is a profile: compare profiles with goescape top --base BEFORE AFTER", err, 1, true)
    end
    local log = H.q(H.root .. "/spec/fixtures/escape/go1.26.m2.log")
    local _, rc, err = H.cli("diff " .. log .. " " .. heap)
    assert.are.equal(2, rc)
    assert.matches("is a profile", err)
    local diff = require "goescape.cmd.diff"
    assert.are.same({ "profile", "profile", "profile", "escape" },
      { diff.sniff(tmp .. "/heap.pb"), diff.sniff(PROF .. "/heap.pb.gz"), diff.sniff(PROF .. "/heap.txt"),
        diff.sniff(H.root .. "/spec/fixtures/escape/go1.26.m2.log") })
    assert.are.equal("escape", diff.sniff(H.root .. "/spec/fixtures/escape/go1.26.logopt"))
    -- what diff --base printed before is top --base
    local out1, rc1 = H.cli("top -n 5 --base " .. heap .. " " .. allocs)
    assert.are.equal(0, rc1, out1)
    assert.matches("Showing nodes accounting for", out1)
  end)
end)

-- A closure added before two others renumbers them (F.func1 -> F.func2) and
-- shifts their lines; a module upgrade changes every path's @version. The
-- gate must report the new closure alone, under every compiler.
describe("ge.analysis.diff keys on real compiler output", function()
  local BEFORE = [[
package main

var sink []func() int

//go:noinline
func F(n int) {
	a := n
	sink = append(sink, func() int { a++; return a })
	b := n * 2
	sink = append(sink, func() int { b++; return b })
}

func main() { F(2) }
]]
  -- the same, with a closure inserted at the top of F (lines 7-8)
  local AFTER = BEFORE:gsub("\ta := n\n", "\tz := n + 7\n\tsink = append(sink, func() int { z--; return z })\n\ta := n\n", 1)

  for _, c in ipairs(H.go_compilers()) do
    it("reports an inserted closure as the only new heap, not a renumbering (" .. c.name .. ")", function()
      local dir = H.cached("diff-closures-" .. c.name, function(d)
        for name, src in pairs { before = BEFORE, after = AFTER } do
          H.mkdir(d .. "/" .. name)
          H.write(d .. "/" .. name .. "/main.go", src)
          H.write(d .. "/" .. name .. "/go.mod", "module example.com/cr\n\ngo 1.19\n")
          H.must(("cd %s/%s && GOCACHE=%s/.cache %s build -gcflags=-m=2 -o app . 2> m2.log")
            :format(H.q(d), name, H.q(d), c.go))
        end
      end)
      local d = assert(ge.analysis.diff { before = dir .. "/before/m2.log", after = dir .. "/after/m2.log" })
      assert.are.equal(0, d.summary.gone_heap)
      assert.is_true(d.summary.new_heap >= 2)
      for _, e in ipairs(d.added) do
        if e.category == "new-heap" then
          assert.is_true(e.line == 7 or e.line == 8, ("new heap at line %d: %s"):format(e.line, e.message))
        end
      end
      for _, e in ipairs(d.removed) do
        assert.are_not.equal("gone-heap", e.category)
      end
    end)
  end

  it("names closures, init functions and generic shapes without their numbers", function()
    local diff, lines = require "goescape.analysis.diff", require "goescape.analysis.lines"
    assert.are.equal("F.func#.func#", diff.stable_name("F.func2.func1"))
    assert.are.equal("init.#", diff.stable_name("init.0"))
    assert.are.equal("F-range#", diff.stable_name("F-range2"))
    assert.are.equal("Gen[go.shape.int]", diff.stable_name("Gen[go.shape.int_0]"))
    assert.are.equal("/m/example.com/x/y.go", lines.unversioned("/m/example.com/x@v1.2.3/y.go"))
    assert.are.equal("/m/x/y.go", lines.unversioned("/m/x@v0.0.0-20240101000000-abcdef012345/y.go"))
  end)
end)
