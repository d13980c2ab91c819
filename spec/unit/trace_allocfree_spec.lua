-- t:lifetimes() on committed fixtures (spec/fixtures/trace/data, gen.sh):
-- go126-allocfree (traceprog annot with GODEBUG=traceallocfree=1) against
-- its `go tool trace -d=wire` counts, and the traces without AllocFree
-- events. spec/trace_allocfree_spec.lua compares every row with an
-- x/exp/trace oracle on traces made afresh.
local H = require "spec.helpers"
local ge = require "goescape"

local DIR = H.root .. "/spec/fixtures/trace/data"

local function wire(name)
  local t = {}
  for n, k in H.read(DIR .. "/" .. name .. ".wire"):gmatch("(%d+) (%S+)") do t[k] = tonumber(n) end
  return t
end

local function open(name) return assert(ge.trace.open(DIR .. "/" .. name .. ".trace")) end

describe("t:lifetimes()", function()
  it("counts objects, spans and stacks as -d=wire counts their events", function()
    local w = wire("go126-allocfree")
    local rows = assert(open("go126-allocfree"):lifetimes())
    local tot = rows.totals
    assert.are.same(
      { w.HeapObjectAlloc, w.HeapObject, w.HeapObjectFree, w.GCBegin, w.Span, w.SpanAlloc, w.SpanFree,
        w.GoroutineStack, w.GoroutineStackAlloc, w.GoroutineStackFree },
      { tot.allocs, tot.existing, tot.free_events, tot.gc_cycles, tot.spans, tot.span_allocs,
        tot.span_frees, tot.stacks, tot.stack_allocs, tot.stack_frees })
    -- a free event takes one object, or every object of a tiny slot
    assert.is_true(tot.frees + tot.unknown_frees >= tot.free_events)
  end)

  it("accounts for every object: allocated or existing = freed + live, per type", function()
    local rows = assert(open("go126-allocfree"):lifetimes())
    local sum = { allocs = 0, existing = 0, frees = 0, live = 0 }
    for i, r in ipairs(rows) do
      assert.are.equal(r.allocs + r.existing, r.frees + r.live, r.type)
      assert.are.equal(r.lifetimes, r.survived[0] + r.survived[1] + r.survived[2] + r.survived[3])
      assert.is_true(r.lifetimes <= r.frees)
      if r.lifetimes > 0 then assert.is_true(r.median_ns <= r.p90_ns) else assert.is_nil(r.median_ns) end
      if rows[i + 1] then assert.is_true(r.bytes >= rows[i + 1].bytes) end
      for k in pairs(sum) do sum[k] = sum[k] + r[k] end
    end
    for k, v in pairs(sum) do assert.are.equal(rows.totals[k], v, k) end
    assert.are.equal(#rows, rows.totals.types)
  end)

  it("reads the info batch: the heap base and alignment the ids are relative to", function()
    local tot = assert(open("go126-allocfree"):lifetimes()).totals
    assert.are.equal(8, tot.heap_align)
    assert.are.equal(8192, tot.page_size)
    assert.is_true(tot.min_heap_addr > 0 and tot.min_heap_addr % tot.page_size == 0)
  end)

  it("names types by the runtime's type strings, main.node among them", function()
    local rows = assert(open("go126-allocfree"):lifetimes())
    local node
    for _, r in ipairs(rows) do if r.type == "main.node" then node = r end end
    assert.is_not_nil(node)
    assert.are.equal(72, node.size) -- a pointer and [64]byte
    assert.are.equal(8, node.ptr_bytes)
  end)

  it("returns nil, a message saying how to record one, notfound for other traces", function()
    for _, name in ipairs({ "go126-annot", "go126-gc", "go122-gc-stress", "go123-sync" }) do
      local rows, err, code = open(name):lifetimes()
      assert.is_nil(rows)
      assert.are.equal("notfound", code)
      assert.matches("record the trace with GODEBUG=traceallocfree=1", err, 1, true)
    end
  end)

  it("stops at max_records live objects, naming the limit", function()
    local t = assert(ge.trace.open(DIR .. "/go126-allocfree.trace", { limits = { max_records = 100 } }))
    local rows, err, code = t:lifetimes()
    assert.is_nil(rows)
    assert.are.equal("limit", code)
    assert.matches("heap objects live at once %(limit max_records%); raise it with {limits = {max_records = N}}", err)
  end)

  it("answers a corrupt type table with nil, the byte and generation, format", function()
    local b = H.read(DIR .. "/go126-allocfree.trace")
    local at = assert(b:find("\tmain.node", 1, true)) -- its name's length, 9
    local t = assert(ge.trace.parse(b:sub(1, at - 1) .. "\137" .. b:sub(at + 1), "t.trace"))
    local rows, err, code = t:lifetimes()
    assert.is_nil(rows)
    assert.are.equal("format", code)
    assert.matches("^t%.trace: byte %d+: generation 1: AllocFree type name past its batch$", err)
  end)

  it("raises on a closed trace", function()
    local t = open("go126-allocfree")
    t:close()
    assert.has_error(function() t:lifetimes() end)
  end)

  it("is the same from a Lua string (ge.trace.parse)", function()
    local a = assert(open("go126-allocfree"):lifetimes())
    local b = assert(assert(ge.trace.parse(H.read(DIR .. "/go126-allocfree.trace"))):lifetimes())
    assert.are.same(a, b)
  end)
end)
