-- ge.bench and `goescape benchstat` on benchmark runs made here by
-- spec/fixtures/bench/prog (two variants: BENCH_ESCAPE=1 moves a buffer to
-- the heap), compared with benchstat (golang.org/x/perf/cmd/benchstat,
-- pinned) on the same files in the same run: every center, ±, delta, p
-- note, geomean and warning of its CSV, and the words of its text tables.
-- Runs: 10 vs 10 (exact U without ties; ties on B/op), 3 vs 5 (too few
-- values: unbounded intervals), 60 vs 60 (normal approximations of the
-- interval and the U test), -json 5 vs 5 (benchstat reads its Output text,
-- decoded by spec/fixtures/bench/unjson), two files on the old side, and
-- synthetic sets of random sizes.
local H = require "spec.helpers"
local ge = require "goescape"
local O = require "spec.bench_oracle"

local BENCHSTAT_VERSION = "v0.0.0-20260908200009-22c9c6c9d4da"
local PROG = H.root .. "/spec/fixtures/bench/prog"
local UNJSON = H.root .. "/spec/fixtures/bench/unjson"

local benchstat = H.cached("benchstat", function(dir)
  H.must(("env -u LD_PRELOAD GOBIN=%s GOTOOLCHAIN=local go install golang.org/x/perf/cmd/benchstat@%s")
    :format(H.q(dir), BENCHSTAT_VERSION))
end) .. "/benchstat"

local runs = H.cached("bench-runs", function(dir)
  H.must(("cd %s && env -u LD_PRELOAD GOTOOLCHAIN=local go test -c -o %s/prog.test ."):format(H.q(PROG), H.q(dir)))
  H.must(("cd %s && env -u LD_PRELOAD GOTOOLCHAIN=local go build -o %s/unjson main.go"):format(H.q(UNJSON), H.q(dir)))
  local function run(out, escape, count, benchtime)
    H.must(("cd %s && env -u LD_PRELOAD BENCH_ESCAPE=%s ./prog.test -test.run '^$' -test.bench . " ..
      "-test.benchmem -test.count %d -test.benchtime %s > %s"):format(H.q(dir), escape, count, benchtime, out))
  end
  run("old10.txt", 0, 10, "2000x"); run("new10.txt", 1, 10, "2000x")
  run("old3.txt", 0, 3, "2000x"); run("new5.txt", 1, 5, "2000x")
  run("old60.txt", 0, 60, "300x"); run("new60.txt", 1, 60, "300x")
  for _, v in ipairs({ { "old5", 0 }, { "new5", 1 } }) do
    H.must(("cd %s && env -u LD_PRELOAD BENCH_ESCAPE=%d GOTOOLCHAIN=local go test -json -run '^$' -bench . " ..
      "-benchmem -count 5 -benchtime 2000x > %s/%s.json && %s/unjson < %s/%s.json > %s/%s.json.txt")
      :format(H.q(PROG), v[2], H.q(dir), v[1], H.q(dir), H.q(dir), v[1], H.q(dir), v[1]))
  end
  H.must(("cd %s && cat old3.txt old10.txt > old3+10.txt"):format(H.q(dir)))
end)

-- name, old and new as ge.bench reads them, old and new as benchstat reads them
local CASES = {
  { "10 vs 10", { "old10.txt" }, "new10.txt", "old10.txt", "new10.txt" },
  { "3 vs 5", { "old3.txt" }, "new5.txt", "old3.txt", "new5.txt" },
  { "60 vs 60", { "old60.txt" }, "new60.txt", "old60.txt", "new60.txt" },
  { "-json", { "old5.json" }, "new5.json", "old5.json.txt", "new5.json.txt" },
  { "two files a side", { "old3.txt", "old10.txt" }, "new10.txt", "old3+10.txt", "new10.txt" },
}

local function words(s) local t = {}; for w in s:gmatch("%S+") do t[#t + 1] = w end; return t end

describe("ge.bench.compare against benchstat on fresh runs", function()
  for _, c in ipairs(CASES) do
    it(c[1], function()
      local old = {}
      for i, f in ipairs(c[2]) do old[i] = runs .. "/" .. f end
      local cmp = assert(ge.bench.compare(old, runs .. "/" .. c[3]))
      local csv, rc, stderr = H.sh(("cd %s && %s -format csv %s %s"):format(H.q(runs), H.q(benchstat), c[4], c[5]))
      assert.equal(0, rc)
      local bad, n = O.check(cmp, csv, stderr)
      assert.same({}, bad)
      assert.is_true(n > 30)
    end)
  end

  it("the runs take each path of the U test: exact without ties, exact with ties, normal", function()
    local paths = {}
    for _, pair in ipairs({ { "old10.txt", "new10.txt" }, { "old60.txt", "new60.txt" } }) do
      local a = assert(ge.bench.open(runs .. "/" .. pair[1]))
      local b = assert(ge.bench.open(runs .. "/" .. pair[2]))
      local byname = {}
      for r in b:each() do byname[r.name .. " " .. r.unit] = r.values end
      for r in a:each() do
        local y = byname[r.name .. " " .. r.unit]
        if y then
          local p, exact, why = ge.bench.utest(r.values, y)
          local seen, ties = {}, false
          for _, v in ipairs(r.values) do ties = ties or seen[v]; seen[v] = true end
          for _, v in ipairs(y) do ties = ties or seen[v]; seen[v] = true end
          if not why then
            assert.is_true(p >= 0 and p <= 1)
            paths[(exact and "exact" or "normal") .. (ties and " ties" or "")] = true
          end
        end
      end
    end
    assert.truthy(paths["exact"] and paths["exact ties"] and (paths["normal"] or paths["normal ties"]))
  end)

  it("synthetic sets of 1 to 60 values a side: heavy ties, no ties, one decimal, zeros", function()
    -- Random sizes reach every rule of the statistics (exact and normal U
    -- with and without ties, exact and normal intervals, unbounded ones,
    -- benchstat's quirks: 0 ns/op kept in a unit of its own, the tie
    -- counts' truncating division); the answers are benchstat's.
    local dir = H.tmpdir("bench-synthetic")
    math.randomseed(20261201)
    local function gen(path, n, shift)
      local out = { "goos: linux", "pkg: x" }
      for _ = 1, n do
        for b = 1, 4 do
          local ns = b == 1 and tostring(math.random(1, 5) * 10 + shift)
            or b == 2 and ("%.9f"):format(100 + math.random() * 10 + shift)
            or b == 3 and ("%.1f"):format(50 + math.random() * 2 + shift / 10)
            or tostring(math.random(0, 2))
          out[#out + 1] = ("BenchmarkB%d-8\t100\t%s ns/op\t%d B/op"):format(b, ns, math.random(0, 3) * 8)
        end
      end
      H.write(path, table.concat(out, "\n") .. "\n")
    end
    local compared = 0
    for case = 1, 40 do
      local n1, n2 = math.random(1, 60), math.random(1, 60)
      if case % 3 == 0 then n1, n2 = math.random(18, 32), math.random(18, 32) end
      gen(dir .. "/o.txt", n1, 0)
      gen(dir .. "/n.txt", n2, math.random(0, 3))
      local cmp = assert(ge.bench.compare(dir .. "/o.txt", dir .. "/n.txt"))
      local csv, rc, stderr = H.sh(("cd %s && %s -format csv o.txt n.txt"):format(H.q(dir), H.q(benchstat)))
      assert.equal(0, rc)
      local bad, n = O.check(cmp, csv, stderr)
      assert.same({}, bad, ("case %d: %d vs %d values"):format(case, n1, n2))
      compared = compared + n
    end
    assert.is_true(compared > 2000)
  end)

  it("-json of every Go here reads as its Output text", function()
    -- test2json's events differ between releases (Go 1.26 prints a result's
    -- name and its numbers in two events); the rows must not.
    for _, c in ipairs(H.go_compilers()) do
      local dir = H.cached("bench-json-" .. c.name, function(d)
        H.must(("cd %s && env -u LD_PRELOAD %s test -json -run '^$' -bench . -benchmem -count 3 " ..
          "-benchtime 200x > %s/run.json && %s/unjson < %s/run.json > %s/run.txt")
          :format(H.q(PROG), c.go, H.q(d), H.q(runs), H.q(d), H.q(d)))
      end)
      local a = assert(ge.bench.open(dir .. "/run.json"))
      local b = assert(ge.bench.open(dir .. "/run.txt"))
      local ra, rb = a:rows(), b:rows()
      for i, r in ipairs(ra) do r.file, r.config_id, rb[i].file, rb[i].config_id = nil, nil, nil, nil end
      assert.is_true(#ra > 5, c.name)
      assert.same(rb, ra, c.name)
      assert.equal(0, a.skipped, c.name)
    end
  end)

  it("goescape benchstat prints benchstat's tables (the same words in the same order)", function()
    for _, c in ipairs(CASES) do
      if #c[2] == 1 then
        local ours = H.must("cd " .. H.q(runs) .. " && " .. H.cli_cmd("benchstat " .. c[2][1] .. " " .. c[3]))
        local theirs = H.must(("cd %s && %s %s %s"):format(H.q(runs), H.q(benchstat), c[4], c[5]))
        ours = ours:gsub("(%w+)%.json", "%1.json.txt")
        assert.same(words(theirs), words(ours))
      end
    end
  end)
end)
