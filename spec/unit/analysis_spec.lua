-- The one entry shape of the analyses: ge.analysis.NAME(opts), inputs as
-- opened objects or paths under the same names, the caller's objects left
-- as they were, what was opened from a path closed on every return, misuse
-- raised, and nothing written to stderr.
local H = require "spec.helpers"
local ge = require "goescape"

local LOG = H.root .. "/spec/fixtures/escape/go1.26.m2.log"
local LOG1 = H.root .. "/spec/fixtures/escape/go1.26.m1.log"
local PROF = H.root .. "/spec/fixtures/profile/data/heap.pb.gz"
local NAMES = { "hotspots", "growth", "diff", "assertions", "flowgraph" }

-- Records the handles the analyses open from paths (goescape.analysis.inputs
-- opens through the modules' own open functions).
local function spy(mod)
  local opened, real = {}, mod.open
  mod.open = function(...)
    local h, err, code = real(...)
    if h then opened[#opened + 1] = h end
    return h, err, code
  end
  return opened, function() mod.open = real end
end

local function closed(h) return not pcall(function() return h:top { n = 1 } end) end
local function log_closed(h) return not pcall(function() return #h end) end

describe("ge.analysis", function()
  it("calls every analysis one way: ge.analysis.NAME(opts) is its module's run(opts)", function()
    for _, name in ipairs(NAMES) do
      local mod = require("goescape.analysis." .. name)
      assert.are.equal(mod, ge.analysis[name])
      assert.is_function(mod.run)
      assert.has_error(function() ge.analysis[name]() end)
      assert.has_error(function() mod.run("x") end)
    end
  end)

  it("takes an escape log as a log, a path or a list of paths, alike", function()
    local log = assert(ge.escape.open(LOG))
    local a = assert(ge.analysis.diff { before = LOG1, after = log })
    local b = assert(ge.analysis.diff { before = { LOG1 }, after = LOG })
    assert.are.same(a.summary, b.summary)
    assert.is_true(#log > 0) -- the caller's log stays open
    local recs = assert(ge.analysis.flowgraph { escape = LOG, package = "example.com/demo" })
    assert.are.same(#recs, #assert(ge.analysis.flowgraph { escape = log, package = "example.com/demo" }))
    log:close()
  end)

  it("takes profiles as objects or paths, and leaves the caller's open and unchanged", function()
    local p = assert(ge.profile.open(PROF))
    local opts = { before = p, after = PROF, sample = "inuse_space", n = 3 }
    local g = assert(ge.analysis.growth(opts))
    assert.are.equal(0, g.total_delta)
    assert.are.same({ before = p, after = PROF, sample = "inuse_space", n = 3 }, opts)
    assert.is_false(closed(p))
    p:close()
  end)

  it("closes what it opened from paths, when it succeeds and when it fails", function()
    local profs, undo_p = spy(ge.profile)
    local logs, undo_l = spy(ge.escape)
    local ok, err = pcall(function()
      assert(ge.analysis.growth { escape = LOG, before = PROF, after = PROF })
      assert.are.equal(2, #profs)
      assert.are.equal(1, #logs)
      for _, h in ipairs(profs) do assert.is_true(closed(h)) end
      assert.is_true(log_closed(logs[1]))
      -- the second input fails to open: the first is closed all the same
      local r, e, code = ge.analysis.growth { before = PROF, after = "/nonexistent.pb.gz" }
      assert.is_nil(r)
      assert.is_truthy(e:find("nonexistent", 1, true))
      assert.is_string(code)
      assert.are.equal(3, #profs)
      assert.is_true(closed(profs[3]))
      r, e = ge.analysis.diff { before = LOG, after = "/nonexistent.log" }
      assert.is_nil(r)
      assert.is_string(e)
      assert.is_true(log_closed(logs[2]))
    end)
    undo_p()
    undo_l()
    assert(ok, err)
  end)

  it("raises on an unknown option or an input of the wrong type, before opening anything", function()
    local logs, undo = spy(ge.escape)
    local calls = {
      function() ge.analysis.hotspots { escape = LOG, profile = PROF, bogus = 1 } end,
      function() ge.analysis.hotspots { escape = LOG, profile = 42 } end,
      function() ge.analysis.hotspots { escape = LOG } end,
      function() ge.analysis.growth { escape = LOG, before = PROF, after = PROF, focus = 1, tag_focus = "x" } end,
      function() ge.analysis.growth { escape = LOG, before = PROF, after = {} } end,
      function() ge.analysis.diff { before = LOG, after = LOG, progress = print } end,
      function() ge.analysis.diff { before = LOG, after = { LOG, 3 } } end,
      function() ge.analysis.assertions { escape = LOG, log = LOG, sources = {} } end,
      function() ge.analysis.flowgraph { escape = LOG, binary = "x" } end,
      function() ge.analysis.flowgraph { escape = PROF and ge.profile } end,
    }
    for i, f in ipairs(calls) do
      assert.is_false(pcall(f), "call " .. i)
    end
    undo()
    assert.are.equal(0, #logs)
    local _, err = pcall(function() ge.analysis.growth { before = PROF, after = 7 } end)
    assert.is_truthy(err:find("growth: after must be a profile, a path or URL, or a list of them (merged) (got number)", 1, true), err)
    _, err = pcall(function() ge.analysis.diff { before = LOG, after = LOG, bogus = true } end)
    assert.is_truthy(err:find("diff: unknown option 'bogus'", 1, true), err)
  end)

  it("accepts the profile filters and reports progress through a callback", function()
    local seen = 0
    local g = assert(ge.analysis.growth { escape = LOG, before = PROF, after = PROF, all = true, n = 2,
      focus = ".", ignore = "^$", hide = "^$", show = ".", tagfocus = nil, tagignore = nil,
      progress = function(done, total, label)
        assert.are.equal("growth", label)
        assert.is_true(done <= total)
        seen = seen + 1
      end })
    assert.are.equal(#g.rows, seen)
  end)

  it("never writes to stderr or prints: progress goes through opts.progress", function()
    local dir = H.root .. "/lua/goescape/analysis"
    local out = H.must("grep -rnE 'io\\.stderr|io\\.write|(^|[^:.[:alnum:]_])print\\(' " .. H.q(dir) .. " || true")
    assert.are.equal("", out)
  end)
end)
