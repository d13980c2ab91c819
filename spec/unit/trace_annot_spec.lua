-- t:tasks(), t:regions(), t:logs() and t:growth{} on committed fixtures
-- (spec/fixtures/trace/data, gen.sh): Go's own annotation test traces of
-- the 1.22 format and Go 1.26 traces of traceprog (annot; edges: a task and
-- a region begun before the trace, nesting, a goroutine that ends inside a
-- region, a region open at the end). Oracles: NAME.annot, `go tool trace
-- -d=parsed` cut by annot.awk, paired and summed by
-- spec/trace_annot_oracle.lua.
local H = require "spec.helpers"
local ge = require "goescape"
local O = require "spec.trace_annot_oracle"

local DIR = H.root .. "/spec/fixtures/trace/data"
local FIXTURES = { "go122-annotations", "go122-annotations-stress", "go122-task-across-generations",
  "go126-annot", "go126-edges" }

local function open(name) return assert(ge.trace.open(DIR .. "/" .. name .. ".trace")) end

local function by_name(rows)
  local t = {}
  for _, r in ipairs(rows) do t[r.name] = r end
  return t
end

describe("trace annotations", function()
  for _, name in ipairs(FIXTURES) do
    it("pairs tasks, regions and logs and charges growth as -d=parsed says: " .. name, function()
      local want = O.parse(H.read(DIR .. "/" .. name .. ".annot"))
      local got = O.ours(open(name))
      assert.are.same(want.tasks, got.tasks)
      assert.are.same(want.regions, got.regions)
      assert.are.same(want.logs, got.logs)
      assert.are.same(want.growth, got.growth)
    end)
  end

  it("marks what the trace does not hold: a begin before it, an end after it", function()
    local t = open("go126-edges")
    local tasks = t:tasks()
    assert.are.equal(2, #tasks)
    local child, before = tasks[1], tasks[2]
    assert.are.equal("child", child.name)
    assert.are.equal(before.id, child.parent) -- its parent began before the trace
    assert.is_nil(before.start)
    assert.is_nil(before.name)
    assert.is_nil(before.duration)
    assert.is_not_nil(before["end"])
    local r = by_name(t:regions())
    assert.is_nil(r["spans-start"].start) -- begun in an earlier trace
    assert.are.equal(before.id, r["spans-start"].task)
    assert.is_nil(r["open-at-stop"]["end"])
    assert.are.equal(0, r["open-at-stop"].task) -- the background task
    assert.is_true(r["left-open"].exited) -- its goroutine ended inside it
    assert.are.equal(0, r.outer.depth)
    assert.are.equal(1, r.inner.depth)
    assert.are.equal(r.outer.g, r.inner.g)
    assert.is_true(r.inner.start > r.outer.start and r.inner["end"] < r.outer["end"])
    assert.is_true(r["left-open"].growth > 0)
    local logs = t:logs()
    assert.are.equal(1, #logs)
    assert.are.same({ 0, "background", "no task" }, { logs[1].task, logs[1].key, logs[1].value })
  end)

  it("charges a task the growth of its regions, names it, and keeps GC out of growth", function()
    local t = open("go126-edges")
    local regions = by_name(t:regions())
    local rows = t:growth { by = "task" }
    local child
    for _, row in ipairs(rows) do if row.task == regions.outer.task then child = row end end
    assert.are.equal("child", child.name)
    assert.are.equal(regions.outer.growth + regions.inner.growth + regions["left-open"].growth, child.growth)
    local all = open("go122-annotations-stress"):growth()
    local freed = 0
    for _, row in ipairs(all) do
      assert.is_true(row.growth >= 0 and row.freed >= 0)
      freed = freed + row.freed
    end
    local cut = 0
    local prev
    for _, s in ipairs(open("go122-annotations-stress"):heap()) do
      if s.type == "HeapAlloc" then
        if prev and s.heap_alloc < prev then cut = cut + prev - s.heap_alloc end
        prev = s.heap_alloc
      end
    end
    assert.are.equal(cut, freed)
  end)

  it("checks its options and its handle", function()
    local t = open("go126-annot")
    assert.has_error(function() t:growth { bogus = 1 } end, "trace:growth: unknown option 'bogus'")
    assert.has_error(function() t:growth { by = "line" } end)
    assert.has_error(function() t:growth(5) end)
    assert.are.same(t:growth(), t:growth { by = "goroutine" })
    t:close()
    for _, m in ipairs({ "tasks", "regions", "logs", "growth", "allocs" }) do
      assert.has_error(function() t[m](t) end, "goescape: the trace is closed")
    end
  end)

  it("gives empty lists for a trace without annotations", function()
    local t = open("go123-sync")
    assert.are.same({}, t:tasks())
    assert.are.same({}, t:regions())
    assert.are.same({}, t:logs())
    assert.are.same({}, t:allocs())
  end)

  it("lists the allocations seen with a stack: mark assists and CPU samples in mallocgc", function()
    local t = open("go126-gc")
    local n = { assist = 0, cpu = 0 }
    local assists = t:count { type = "GCMarkAssistBegin" }
    local regions = {}
    for _, r in ipairs(t:regions()) do regions[r.name] = true end
    for _, a in ipairs(t:allocs()) do
      n[a.source] = n[a.source] + 1
      -- the allocating frame is in the stack, with mallocgc further in
      local site, malloc
      for i, f in ipairs(a.stack) do
        if f.func == "runtime.mallocgc" then malloc = malloc or i end
        if f.func == a.func and f.file == a.file and f.line == a.line and malloc then site = site or i end
      end
      assert.is_number(malloc)
      assert.is_true(site > malloc)
      if a.allocator then assert.are.equal(a.allocator, a.stack[site - 1].func) end
      assert.is_true(a.region == nil or regions[a.region] == true)
      assert.is_true(a.region ~= nil or a.task == 0)
    end
    -- every mark assist is inside mallocgc
    assert.are.equal(assists, n.assist)
    assert.is_true(n.assist > 0)
  end)
end)
