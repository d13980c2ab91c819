-- The aggregations of heap dumps (d:sites, d:root_retained, the dominator
-- tree's top for the HTML report, ge.heapdump.diff) on the committed dump
-- (spec/fixtures/heapdump/small.dump.gz, Go 1.19): what they must add up
-- to against the object-by-object answers.
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"

local DIR = H.root .. "/spec/fixtures/heapdump/"
local DUMP = DIR .. "small.dump.gz"
local kept = cjson.decode(H.read(DIR .. "small.json"))

describe("heap dump aggregations", function()
  local d = assert(ge.heapdump.open(DUMP))

  it("root_retained: every reachable byte once, at the root its path starts at", function()
    local rows = assert(d:root_retained())
    local bytes = 0
    for i, r in ipairs(rows) do
      bytes = bytes + r.retained
      assert.is_true(r.objects > 0)
      assert.is_string(r.root.root)
      if i > 1 then assert.is_true(rows[i - 1].retained >= r.retained) end
    end
    assert.equal(d:reachable().bytes, bytes)
    -- the chain's buffer is under the root of its path
    local p = assert(d:path(kept.chain.address))
    local found
    for _, r in ipairs(rows) do
      if r.root.slot == p[1].slot and r.root.root == p[1].root then found = r end
    end
    assert.is_truthy(found)
    assert.is_true(found.retained >= kept.chain.size)
  end)

  it("sites: counts within the dump's, retained never under the live bytes", function()
    local objects = 0
    for _, r in ipairs(assert(d:sites{ n = 0, reachable = false })) do
      objects = objects + r.objects
      assert.is_true(r.objects > 0 and r.live_objects <= r.objects and r.live_bytes <= r.bytes)
      assert.is_true(r.retained >= r.live_bytes)
      assert.is_true(#r.top <= 5)
      for _, a in ipairs(r.top) do assert.is_true(d:object(a).reachable) end
      assert.is_nil(r.func:match("^runtime%."))
    end
    assert.is_true(objects <= d:info().objects)
    assert.has_error(function() d:sites{ bogus = 1 } end)
    assert.has_error(function() d:sites{ n = "x" } end)
  end)

  it("the dominator tree's top: breadth first, bounded, children counted in all", function()
    local nodes, ntop = d:_domtree(3, 10)
    assert.is_true(#nodes <= 10)
    local _, all = d:dominators(nil, { n = 0 })
    assert.equal(all, ntop)
    local per = {}
    for i, n in ipairs(nodes) do
      assert.is_true(n.parent < i)
      per[n.parent] = (per[n.parent] or 0) + 1
      local _, kids = d:dominators(n.address, { n = 0 })
      assert.equal(kids, n.children)
      if n.parent > 0 then assert.equal(nodes[n.parent].address, d:object(n.address).idom) end
    end
    for _, k in pairs(per) do assert.is_true(k <= 3) end
    local none = d:_domtree(0, 10)
    assert.same({}, none)
  end)

  it("diff of a dump with itself: nothing grew", function()
    local g = assert(ge.heapdump.diff(d, d))
    assert.same({}, g.sites)
    assert.same({}, g.roots)
    assert.equal(0, g.reachable.objects)
    assert.has_error(function() ge.heapdump.diff(nil, d) end, "goescape.heapdump.diff: old: a heap dump or a path expected")
    assert.has_error(function() ge.heapdump.diff(d, d, { bogus = true }) end)
  end)
end)
