-- ge.perf.open{trace = T}: Go's anonymous memory told apart as heap,
-- goroutine stack or neither through the spans and stacks of an AllocFree
-- trace of the same run. Committed fixtures (spec/fixtures/perf/gen.sh):
-- spec/fixtures/perf/stacks under `perf record -k mono -g -e page-faults
-- -d` while it wrote stacks.trace with GODEBUG=traceallocfree=1, and what
-- it printed: where its stack frames and heap slices were, with their
-- CLOCK_MONOTONIC times (the trace's clock and perf -k mono's). That
-- printout is the oracle: the program knows what its addresses are.
-- spec/perf_spec.lua records the same afresh with each Go from 1.23.
local H = require "spec.helpers"
local ge = require "goescape"

local DIR = H.root .. "/spec/fixtures/perf/data/"
local TRACE = DIR .. "stacks.trace"
local SCRIPT = DIR .. "stacks.txt"

local C = require "spec.perf_heapmap_checks"

describe("perf data addresses through an AllocFree trace", function()
  it("class the program's own stack frames and slices as it printed them", function()
    C.check_oracle(H.read(DIR .. "stacks.out"), TRACE)
  end)

  it("put deep's faults on goroutine stacks and fill's on the heap", function()
    C.check_leaves(SCRIPT, TRACE, H.read(DIR .. "stacks.out"))
  end)

  it("gives the same classes aggregated, and profiles by class", function()
    local p = assert(ge.perf.open(SCRIPT, { trace = TRACE }))
    local a = assert(ge.perf.open(SCRIPT, { trace = TRACE, aggregate = true }))
    local d, da = assert(p:data()), assert(a:data())
    assert.same(d.classes, da.classes)
    assert.same(d.heap_map, da.heap_map)
    assert.is_true(d.classes.goroutine_stack.samples > 0 and d.classes.heap.samples > 0)
    local n = 0
    for _, c in pairs(d.classes) do n = n + c.samples end
    local plain = assert(assert(ge.perf.open(SCRIPT)):data())
    local m = 0
    for _, c in pairs(plain.classes) do m = m + c.samples end
    assert.equal(m, n)
    -- what was one "heap" class is split three ways, the rest unchanged
    local split = 0
    for _, k in ipairs { "heap", "goroutine_stack", "off_heap" } do split = split + (d.classes[k] or { samples = 0 }).samples end
    assert.equal(plain.classes.heap.samples, split)
    assert.equal(d.heap_map.samples, split)
    local flat = function(prof, fn)
      for _, r in ipairs(prof:top { by = "function", n = 0 }) do if r.func == fn or r.name == fn then return r.flat end end
      return 0
    end
    local stacks = assert(a:pprof { data = "goroutine_stack" })
    local heap = assert(a:pprof { data = "heap" })
    assert.is_true(flat(stacks, "main.deep") > flat(heap, "main.deep"))
    assert.is_true(flat(heap, "main.fill") > 0)
    assert.equal(0, flat(stacks, "main.fill"))
  end)

  it("takes an open trace handle as well as a path", function()
    local t = assert(ge.trace.open(TRACE))
    local p = assert(ge.perf.open(SCRIPT, { trace = t }))
    assert.same(assert(ge.perf.open(SCRIPT, { trace = TRACE })):data().classes, p:data().classes)
    assert.is_true(t.events > 0) -- still open
    -- what the map was made of: heap spans, goroutine stacks, the runtime's other spans
    local hm = assert(t:_heapmap())
    local n = hm:regions()
    assert.is_true(n.heap > 0 and n.stack > 0 and n.manual > 0)
    hm:close()
    assert.has_error(function() hm:regions() end, "goescape: the heap map is closed")
    t:close()
  end)

  it("says why a trace cannot place Go's memory", function()
    local p, err, code = ge.perf.open(SCRIPT, { trace = H.root .. "/spec/fixtures/trace/data/go126-annot.trace" })
    assert.is_nil(p)
    assert.equal("notfound", code)
    assert.matches("go126%-annot%.trace: .*GODEBUG=traceallocfree=1", err)
    p, err = ge.perf.open(SCRIPT, { trace = DIR .. "no-such.trace" })
    assert.is_nil(p)
    assert.matches("no%-such%.trace", err)
    p, err = ge.perf.open(SCRIPT, { trace = DIR .. "stacks.txt" })
    assert.is_nil(p)
    assert.matches("stacks%.txt", err)
    assert.has_error(function() ge.perf.open(SCRIPT, { trace = 42 }) end,
      "goescape.perf.open: trace must be a ge.trace or a path")
    assert.has_error(function() ge.perf.parse("", nil, { trace = {} }) end,
      "goescape.perf.parse: trace must be a ge.trace or a path")
  end)

  it("goescape perf --data --trace prints the classes", function()
    local out, rc, err = H.cli(("perf %s --data --trace %s -n 5"):format(H.q(SCRIPT), H.q(TRACE)))
    assert.equal(0, rc, err)
    assert.matches("%d+%s+[%d%.]+%%  goroutine_stack\n", out)
    assert.matches("%d+%s+[%d%.]+%%  heap\n", out)
    assert.matches("stacks%.trace: %d+ samples in Go's memory placed by the trace's spans and stacks", out)
    local _, rc2, err2 = H.cli(("perf %s --trace %s"):format(H.q(SCRIPT), H.q(TRACE)))
    assert.not_equal(0, rc2)
    assert.matches("%-%-trace goes with %-%-data", err2)
  end)

  it("examples/memory-touches.lua puts fill on the heap and deep on goroutine stacks", function()
    local out, rc, err = H.cli(("run %s/examples/memory-touches.lua %s %s"):format(H.q(H.root), H.q(SCRIPT), H.q(TRACE)))
    assert.equal(0, rc, err)
    local heap = out:match("lines that touch the heap:\n(.-)\n\n")
    local stacks = out:match("lines that touch goroutine stacks[^\n]*\n(.*)$")
    assert.matches("^%s+%d+  main%.fill\n", heap)
    -- (deep touches the heap too, once a round: see check_leaves)
    assert.matches("^%s+%d+  main%.deep\n", stacks)
    assert.not_matches("main%.fill", stacks)
    assert.matches("%d+%.%d%%  goroutine_stack", out)
  end)
end)
