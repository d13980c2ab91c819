-- t:tasks(), t:regions(), t:logs(), t:growth{} and `goescape trace
-- tasks|regions|logs|growth` on the traces of spec/trace_fixtures.lua,
-- against `go tool trace -d=parsed` of the Go that wrote each one (the same
-- goroutines, times, names and pairing; and the heap growth recomputed the
-- plain way from its HeapAlloc metrics and region events by
-- spec/trace_annot_oracle.lua).
local H = require "spec.helpers"
local ge = require "goescape"
local O = require "spec.trace_annot_oracle"
local F = require "spec.trace_fixtures"

local function oracle(c, path)
  return O.parse(H.must(("env -u LD_PRELOAD %s tool trace -d=parsed %s | awk -f %s")
    :format(c.go, H.q(path), H.q(H.root .. "/" .. O.AWK))))
end

local function sum(rows, k)
  local n = 0
  for _, r in ipairs(rows) do n = n + r[k] end
  return n
end

describe("trace annotations and heap growth on traces of real programs", function()
  for _, d in ipairs(F.dirs()) do
    local c = d.compiler
    local v = F.minor(c)
    if v >= 22 then
      local names = { "annot", "gc", "allocfree", "http", "edges" }
      if v >= 25 then names[#names + 1] = "flight" end

      it(("pairs tasks, regions and logs as -d=parsed does, and charges growth as its metrics say (%s)")
        :format(c.name), function()
        for _, name in ipairs(names) do
          local path = d.dir .. "/" .. name .. ".trace"
          local want = oracle(c, path)
          local got = O.ours(assert(ge.trace.open(path)))
          assert.are.same(want.tasks, got.tasks)
          assert.are.same(want.regions, got.regions)
          assert.are.same(want.logs, got.logs)
          assert.are.same(want.growth.goroutine, got.growth.goroutine)
          assert.are.same(want.growth.region, got.growth.region)
          assert.are.same(want.growth.task, got.growth.task)
          assert.is_true(#got.growth.goroutine > 0)
        end
      end)

      it(("finds the task, regions and logs traceprog made (%s)"):format(c.name), function()
        local t = assert(ge.trace.open(d.dir .. "/annot.trace"))
        local tasks = t:tasks()
        assert.are.equal(1, #tasks)
        assert.are.equal("build-lists", tasks[1].name)
        assert.is_nil(tasks[1].parent)
        assert.are.equal(tasks[1]["end"] - tasks[1].start, tasks[1].duration)
        assert.are.equal("main.annot", tasks[1].stack[1].func)
        local regions, gs = t:regions(), {}
        assert.are.equal(4, #regions)
        for _, r in ipairs(regions) do
          assert.are.equal("worker", r.name)
          assert.are.equal(tasks[1].id, r.task)
          assert.are.equal(0, r.depth)
          assert.is_true(r.start >= tasks[1].start and r["end"] <= tasks[1]["end"])
          assert.matches("^main%.annot%.func", r.stack[1].func)
          gs[r.g] = true
        end
        local logs = t:logs()
        assert.are.equal(4, #logs)
        local values = {}
        for _, l in ipairs(logs) do
          assert.are.equal("worker-done", l.key)
          assert.is_true(gs[l.g])
          values[#values + 1] = l.value
        end
        table.sort(values)
        assert.are.same({ "0", "1", "2", "3" }, values)
      end)

      it(("marks the regions and tasks whose begin or end the trace lacks (%s)"):format(c.name), function()
        local t = assert(ge.trace.open(d.dir .. "/edges.trace"))
        local r = {}
        for _, x in ipairs(t:regions()) do r[x.name] = x end
        assert.is_nil(r["spans-start"].start)
        assert.is_not_nil(r["spans-start"]["end"])
        assert.is_nil(r["open-at-stop"]["end"])
        assert.is_true(r["left-open"].exited)
        assert.are.equal(1, r.inner.depth)
        local tasks = t:tasks()
        assert.are.equal("child", tasks[1].name)
        assert.are.equal(tasks[2].id, tasks[1].parent)
        assert.is_nil(tasks[2].start)
      end)

      it(("charges each positive HeapAlloc increment once per grouping (%s)"):format(c.name), function()
        for _, name in ipairs(names) do
          local t = assert(ge.trace.open(d.dir .. "/" .. name .. ".trace"))
          local up, down, n, prev = 0, 0, 0, nil
          for _, s in ipairs(t:heap()) do
            if s.type == "HeapAlloc" then
              if prev and s.heap_alloc > prev then up, n = up + s.heap_alloc - prev, n + 1 end
              if prev and s.heap_alloc < prev then down = down + prev - s.heap_alloc end
              prev = s.heap_alloc
            end
          end
          for _, by in ipairs({ "goroutine", "region", "task" }) do
            local rows = t:growth { by = by }
            assert.are.equal(up, sum(rows, "growth"))
            assert.are.equal(down, sum(rows, "freed"))
            assert.are.equal(n, sum(rows, "samples"))
            for i = 2, #rows do assert.is_true(rows[i - 1].growth >= rows[i].growth) end
          end
        end
      end)

      it(("charges the churn regions about what their goroutines allocated (%s)"):format(c.name), function()
        -- 50 goroutines each allocate 20 x 500 nodes of 72 bytes (size class 80)
        -- inside their region: 40 MB, counted in whole spans at mcache refills
        local t = assert(ge.trace.open(d.dir .. "/gc.trace"))
        local rows = t:growth { by = "region" }
        local churn
        for _, r in ipairs(rows) do if r.region == "churn" then churn = r end end
        assert.are.equal("churn", churn.task_name)
        local want = 50 * 20 * 500 * 80
        assert.is_true(churn.growth > 0.9 * want and churn.growth < 1.3 * want,
          ("charged %d, allocated %d"):format(churn.growth, want))
        local tasks = t:growth { by = "task" }
        assert.are.equal("churn", tasks[1].name)
        assert.are.equal(churn.growth, tasks[1].growth)
      end)

      it(("prints the annotations and the growth in goescape trace (%s)"):format(c.name), function()
        local path = H.q(d.dir .. "/gc.trace")
        local t = assert(ge.trace.open(d.dir .. "/gc.trace"))
        local cjson = require "cjson"
        for _, by in ipairs({ "goroutine", "region", "task" }) do
          local out = H.must(H.cli_cmd(("trace growth --by %s --json %s"):format(by, path)))
          local rows = t:growth { by = by }
          local n = 0
          for line in out:gmatch("[^\n]+") do
            n = n + 1
            local j = cjson.decode(line)
            assert.are.equal(rows[n].growth, j.growth)
            assert.are.equal(rows[n].samples, j.samples)
            assert.are.equal(rows[n].g, j.g)
            assert.are.equal(rows[n].region, j.region)
          end
          assert.are.equal(#rows, n)
        end
        local out = H.must(H.cli_cmd("trace growth --by region " .. path))
        assert.matches("heap growth [%d.]+ MiB in HeapAlloc increments", out)
        assert.matches("churn %(1 churn%)%s+[%d.]+ MiB", out)
        assert.matches("%(outside any region%)", out)
        out = H.must(H.cli_cmd("trace regions " .. path))
        assert.are.equal(50, select(2, out:gsub("\n%s+%d+  churn ", "")))
        out = H.must(H.cli_cmd("trace tasks " .. path))
        assert.matches("\n%s+1  churn ", out)
        out = H.must(H.cli_cmd("trace logs --json " .. path))
        local j = cjson.decode(out)
        assert.are.equal("phase", j.key)
        assert.are.equal("done", j.value)
        assert.are.equal(t:logs()[1].time, j.time)
        local _, rc, err = H.cli("trace growth --by line " .. path)
        assert.are.equal(2, rc) -- usage
        assert.matches("'%-%-by' must be one of 'goroutine', 'region', 'task'", err)
      end)
    end
  end
end)
