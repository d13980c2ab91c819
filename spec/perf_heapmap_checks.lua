-- The checks of perf data addresses classed through an AllocFree trace,
-- on a run of spec/fixtures/perf/stacks (perf record -k mono -g -e
-- page-faults -d while it writes a trace with GODEBUG=traceallocfree=1),
-- shared by spec/unit/perf_heapmap_spec.lua (committed run) and
-- spec/perf_spec.lua (runs made here by each Go from 1.23). The program's
-- printout is the oracle: it knows what its addresses are.
local ge = require "goescape"
local assert = require "luassert"

local C = {}

-- The program's printout as `perf script` samples in time order (as perf
-- prints them), each a page fault at a printed address; returns the text
-- and the class each must get.
function C.oracle_script(out)
  local rows = {}
  for kind, addr, ns in out:gmatch("(%a+) 0x(%x+) (%d+)\n") do
    rows[#rows + 1] = { kind = kind, addr = addr, ns = tonumber(ns) }
  end
  table.sort(rows, function(a, b) return a.ns < b.ns end)
  local text, want = {}, {}
  for i, r in ipairs(rows) do
    text[i] = ("stacks 7 %d.%09d: 1 page-faults: %s [unknown] (//anon)\n\t4a0000 main.x+0x0 (/tmp/stacks)\n\n")
      :format(math.floor(r.ns / 1e9), r.ns % 1e9, r.addr)
    want[i] = r.kind == "stack" and "goroutine_stack" or "heap" -- heap, results
  end
  return table.concat(text), want
end

function C.keys(t)
  local out = {}
  for k in pairs(t or {}) do out[#out + 1] = k end
  table.sort(out)
  return out
end

function C.leaf_classes(p)
  local by = {}
  for s in p:each() do
    local f = s.frames[1]
    if s.data and f then
      by[f.sym] = by[f.sym] or {}
      by[f.sym][s.data] = (by[f.sym][s.data] or 0) + 1
    end
  end
  return by
end


-- The printed addresses, as samples in time order, get the printed classes
-- (out: the program's stdout, trace: its trace's path).
function C.check_oracle(out, trace)
  local text, want = C.oracle_script(out)
  assert.is_true(#want >= 16)
  local p = assert(ge.perf.parse(text, "oracle", { trace = trace }))
  local i = 0
  for s in p:each() do
    i = i + 1
    assert.equal(want[i], s.data, ("sample %d at %#x"):format(i, s.addr))
  end
  assert.equal(#want, i)
  assert.same({ samples = #want, outside = 0, behind = 0, full = 0 }, p:info().heap_map)
  -- the same addresses without the trace: one class for all of Go's memory
  local q = assert(ge.perf.parse(text, "oracle"))
  for s in q:each() do assert.equal("heap", s.data) end
  assert.is_nil(q:info().heap_map)
end

-- The page faults perf recorded: deep's on goroutine stacks (but for its
-- write into the results slice), fill's on the heap; all "heap" without
-- the trace. The leaf frames' symbols are perf's unless `binary` is given.
function C.check_leaves(script, trace, out, binary)
  local p = assert(ge.perf.open(script, { trace = trace }))
  if binary then assert(p:symbolize(binary)) end
  local sym = function(s)
    local f = s.frames[1]
    if not f then return nil end
    return f.go and f.go[1] and f.go[1].func or f.sym
  end
  local by = {}
  for s in p:each() do
    local fn = sym(s)
    if s.data and fn then
      by[fn] = by[fn] or {}
      by[fn][s.data] = (by[fn][s.data] or 0) + 1
    end
  end
  assert.is_true((by["main.deep"] or {}).goroutine_stack > 0)
  assert.is_true((by["main.fill"] or {}).heap > 0)
  assert.same({ "heap" }, C.keys(by["main.fill"]))
  -- deep touches the heap once a round: its finding, written into the
  -- results slice the program printed; every other fault is on its stack
  local results = {}
  for addr in out:gmatch("results 0x(%x+)") do results[#results + 1] = tonumber(addr, 16) end
  assert.is_true(#results > 0)
  for s in p:each() do
    if sym(s) == "main.deep" and s.data ~= "goroutine_stack" then
      local inside = false
      for _, a in ipairs(results) do inside = inside or (s.addr >= a and s.addr < a + 16 * 16) end
      assert.equal("heap", s.data)
      assert.is_true(inside, ("main.deep's heap fault at %#x is not in a results slice"):format(s.addr))
    end
  end
  local q = assert(ge.perf.open(script))
  for s in q:each() do
    if s.data then assert.is_true(s.data ~= "goroutine_stack" and s.data ~= "off_heap") end
  end
end

return C
