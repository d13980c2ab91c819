-- goescape build and goescape bench on spec/fixtures/gobench, made a git
-- repository here with two commits: codec.go, then codec.go.v2 (one more
-- heap escape in Encode: BenchmarkEncode's B/op and allocs/op go up, Sum's
-- and Parse's sub-benchmarks do not). The statistics are checked against
-- benchstat (pinned, installed as spec/bench_spec.lua installs it) on the
-- raw results the command keeps; the escape's line is read from the source.
local H = require "spec.helpers"
local ge = require "goescape"
local O = require "spec.bench_oracle"

local BENCHSTAT_VERSION = "v0.0.0-20260908200009-22c9c6c9d4da"
local FIX = H.root .. "/spec/fixtures/gobench"
local GIT = "git -c user.name=spec -c user.email=spec@example.com -c init.defaultBranch=main"

local benchstat = H.cached("benchstat", function(dir)
  H.must(("env -u LD_PRELOAD GOBIN=%s GOTOOLCHAIN=local go install golang.org/x/perf/cmd/benchstat@%s")
    :format(H.q(dir), BENCHSTAT_VERSION))
end) .. "/benchstat"

-- A fresh repository of the fixture with its two commits, in dir.
local function make_repo(dir)
  H.must(("mkdir -p %s/wire && cp %s/go.mod %s/codec.go %s/codec_test.go %s/ && cp %s/wire/*.go %s/wire/")
    :format(H.q(dir), H.q(FIX), H.q(FIX), H.q(FIX), H.q(dir), H.q(FIX), H.q(dir)))
  H.must(("cd %s && %s init -q && %s add . && %s commit -qm 'codec' && cp %s/codec.go.v2 codec.go"
    .. " && %s commit -qam 'Encode keeps its header'"):format(H.q(dir), GIT, GIT, GIT, H.q(FIX), GIT))
  return dir
end

-- The line of codec.go.v2 that the second commit added.
local function new_line()
  local old = {}
  for l in H.read(FIX .. "/codec.go"):gmatch("[^\n]*\n") do old[l] = true end
  local n = 0
  for l in H.read(FIX .. "/codec.go.v2"):gmatch("[^\n]*\n") do
    n = n + 1
    if not old[l] then return n, l end
  end
end

local function words(s) local t = {}; for w in s:gmatch("%S+") do t[#t + 1] = w end; return t end

local GO = "GOTOOLCHAIN=local go"
local BENCHTIME = "20000x" -- stray runtime allocations then change no B/op

describe("goescape bench --against HEAD~1", function()
  local repo, keep, out, rc, err
  setup(function()
    repo = make_repo(H.tmpdir("gobench-repo") .. "/repo")
    keep = H.tmpdir("gobench-keep")
    out, rc, err = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd(("bench --go %s -count 6 -benchtime %s "
      .. "--against HEAD~1 --keep %s"):format(H.q(GO), BENCHTIME, H.q(keep))))
  end)

  it("reports the changed benchmark with the escape at the line the commit added, and only it", function()
    assert.equal(0, rc, err)
    local line, text = new_line()
    assert.matches("Header{", text)
    local changes = out:match("\nAllocation changes:\n(.*)$")
    assert.truthy(changes, out)
    local want = ("new heap escape `Header{...}` at codec.go:%d in (*Encoder).Encode, called by BenchmarkEncode")
      :format(line)
    local n = 0
    for l in changes:gmatch("[^\n]+") do
      assert.matches("^Encode[-%d]*: ", l)
      assert.truthy(l:find(want, 1, true), l)
      n = n + 1
    end
    assert.equal(2, n) -- B/op and allocs/op
    assert.matches("allocs/op 1 → 2 %(%+100%%, p=0%.002%)", changes)
    assert.falsy(changes:find("Sum", 1, true) or changes:find("Parse", 1, true))
  end)

  it("prints benchstat's tables of the raw results it keeps", function()
    local theirs = H.must(("cd %s && %s HEAD~1=old/bench.txt new=new/bench.txt"):format(H.q(keep), H.q(benchstat)))
    local tables = out:match("^(.-)\nAllocation changes:")
    assert.same(words(theirs), words(tables))
    local cmp = assert(ge.bench.compare(keep .. "/old/bench.txt", keep .. "/new/bench.txt"))
    local csv, crc, cerr = H.sh(("cd %s && %s -format csv old/bench.txt new/bench.txt"):format(H.q(keep), H.q(benchstat)))
    assert.equal(0, crc)
    local bad, n = O.check(cmp, csv, cerr)
    assert.same({}, bad)
    assert.is_true(n > 10)
  end)

  it("shows progress on stderr and leaves no worktree behind", function()
    assert.matches("goescape: old %(HEAD~1%): building", err)
    assert.matches("goescape: new: profiling Parse/small", err)
    local wts = H.must("cd " .. H.q(repo) .. " && git worktree list")
    assert.equal(1, select(2, wts:gsub("\n", "")))
  end)

  it("ge.analysis.benchdiff joins the kept inputs the same way", function()
    local function side(d)
      local profiles = {}
      for l in H.read(d .. "/profiles/index.txt"):gmatch("[^\n]+") do
        local name, file = l:match("^(.-)\t(.*)$")
        profiles[name] = d .. "/profiles/" .. file
      end
      return { bench = d .. "/bench.txt", escape = d .. "/escape.log", profiles = profiles }
    end
    local r = assert(ge.analysis.benchdiff { old = side(keep .. "/old"), new = side(keep .. "/new") })
    local line = new_line()
    assert.equal(2, #r.changes)
    for _, c in ipairs(r.changes) do
      assert.matches("^Encode", c.name)
      assert.is_true(c.profiled)
      assert.is_true(c.new.center > c.old.center)
      local e = c.escapes[1]
      assert.equal("new-heap", e.category)
      assert.equal(line, e.line)
      assert.matches("codec%.go$", e.file)
      assert.equal("(*Encoder).Encode", e.func)
      assert.equal("example.com/gobench.BenchmarkEncode", e.called_by)
      assert.equal(1, #c.escapes)
    end
    -- without profiles the whole diff explains the change
    local o, n = side(keep .. "/old"), side(keep .. "/new")
    o.profiles, n.profiles = nil, nil
    local r2 = assert(ge.analysis.benchdiff { old = o, new = n })
    assert.is_false(r2.changes[1].profiled)
    -- bad input: nil, err; misuse raises
    local x, e2, code = ge.analysis.benchdiff { old = { bench = keep .. "/nope.txt" }, new = n }
    assert.is_nil(x); assert.truthy(e2); assert.equal("io", code)
    assert.has_error(function() ge.analysis.benchdiff { old = o, new = n, bogus = 1 } end)
    assert.has_error(function() ge.analysis.benchdiff { old = { escape = "x" }, new = n } end)
  end)

  it("with no profile growth to explain a change, says so and gives the growth rows", function()
    -- the same log on both sides: no escape change, yet allocs/op grew
    local function side(d, log)
      local profiles = {}
      for l in H.read(d .. "/profiles/index.txt"):gmatch("[^\n]+") do
        local name, file = l:match("^(.-)\t(.*)$")
        profiles[name] = d .. "/profiles/" .. file
      end
      return { bench = d .. "/bench.txt", escape = log, profiles = profiles }
    end
    local log = keep .. "/new/escape.log"
    local r = assert(ge.analysis.benchdiff { old = side(keep .. "/old", log), new = side(keep .. "/new", log) })
    assert.equal(2, #r.changes)
    for _, c in ipairs(r.changes) do
      assert.matches("no escape change among the functions that allocate in this benchmark", c.text)
      assert.is_true(#c.growth > 0)
      assert.matches("codec%.go$", c.growth[1].file)
      assert.equal(new_line(), c.growth[1].line)
    end
  end)

  it("examples/did-my-change-allocate.lua names the escape and exits 1", function()
    local o, code, e = H.cli("run " .. H.q(H.root .. "/examples/did-my-change-allocate.lua") .. " "
      .. H.q(keep .. "/old") .. " " .. H.q(keep .. "/new"))
    assert.equal(1, code, e)
    local line = new_line()
    local n = 0
    for l in o:gmatch("[^\n]+") do
      n = n + 1
      assert.matches("^Encode[-%d]*: ", l)
      assert.truthy(l:find(("at codec.go:%d in (*Encoder).Encode"):format(line), 1, true), l)
    end
    assert.equal(2, n)
    -- the same directory on both sides: nothing changed, exit 0
    o, code = H.cli("run " .. H.q(H.root .. "/examples/did-my-change-allocate.lua") .. " "
      .. H.q(keep .. "/new") .. " " .. H.q(keep .. "/new"))
    assert.equal(0, code)
    assert.equal("no significant change of B/op or allocs/op\n", o)
  end)

  it("fails cleanly on an unknown revision, and on a -bench that matches nothing", function()
    local o, code, e = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("bench -q --against no-such-rev"))
    assert.equal(1, code)
    assert.equal("", o)
    assert.matches("^goescape: %-%-against no%-such%-rev: not a directory, nor a revision", e)
    o, code, e = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("bench -q -bench NoSuchBench --against HEAD~1"))
    assert.equal(1, code)
    assert.equal("", o)
    assert.matches("matched no benchmark", e)
    assert.falsy(e:find("traceback", 1, true))
    local wts = H.must("cd " .. H.q(repo) .. " && git worktree list")
    assert.equal(1, select(2, wts:gsub("\n", "")))
  end)

  it("runs several packages (./...): each change named with its package, explained in its callers", function()
    local o, code, e = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd(("bench -q -count 6 -benchtime %s "
      .. "-bench Encode --against HEAD~1 ./..."):format(BENCHTIME)))
    assert.equal(0, code, e)
    local changes = o:match("\nAllocation changes:\n(.*)$")
    local line, n = new_line(), 0
    local at = ("new heap escape `Header{...}` at codec.go:%d in (*Encoder).Encode, called by "):format(line)
    for l in changes:gmatch("[^\n]+") do
      n = n + 1
      if l:match("^example%.com/gobench/wire ") then
        assert.truthy(l:find(at .. "Frame", 1, true), l)
      else
        assert.matches("^example%.com/gobench Encode", l)
        assert.truthy(l:find(at .. "BenchmarkEncode", 1, true), l)
      end
      assert.equal(1, select(2, l:gsub("new heap escape", ""))) -- the log merged: each escape once
    end
    assert.equal(4, n)
  end)

  it("--against DIR compares with another checkout", function()
    local other = H.tmpdir("gobench-other")
    H.must(("cd %s && git archive HEAD~1 | tar -x -C %s"):format(H.q(repo), H.q(other)))
    local o, code, e = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd(("bench -q --json -count 6 -benchtime %s "
      .. "-bench Encode --against %s"):format(BENCHTIME, H.q(other))))
    assert.equal(0, code, e)
    local json = require "cjson"
    local changes = 0
    for l in o:gmatch("[^\n]+") do
      local x = json.decode(l)
      if x.change then
        changes = changes + 1
        assert.equal(new_line(), x.escapes[1].line)
      end
    end
    assert.equal(2, changes)
  end)
end)

describe("goescape bench", function()
  it("prints each benchmark's B/op and allocs/op and its hotspots with reasons", function()
    local repo = make_repo(H.tmpdir("gobench-alone") .. "/repo")
    local keep = H.tmpdir("gobench-alone-keep")
    local out, rc, err = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("bench -q -count 6 -benchtime 2000x --keep "
      .. H.q(keep)))
    assert.equal(0, rc, err)
    assert.equal("", err)
    assert.matches("allocs/op", out)
    -- the tables are benchstat's of the raw results
    local theirs = H.must(("%s .=%s"):format(H.q(benchstat), H.q(keep .. "/new/bench.txt")))
    assert.same(words(theirs), words(out:match("^(.-)\n\n[^\n]*: allocating lines")))
    local line = new_line()
    local enc = out:match("\nEncode[-%d]*: allocating lines %(alloc_space%)\n(.-)\n\n")
    assert.truthy(enc, out)
    assert.truthy(enc:find(("codec.go:%d "):format(line), 1, true), enc)
    assert.matches("\nParse/small[-%d]*: allocating lines", out)
    assert.matches("\nParse/large[-%d]*: allocating lines", out)
    -- a sub-benchmark's own work, not testing.(*B).Run matching its name
    -- against the -bench pattern (regexp compiles under the parent's frame)
    for sect in out:gmatch("\nParse/[^\n]*: allocating lines[^\n]*\n(.-)\n\n") do
      assert.falsy(sect:find("regexp", 1, true), sect)
      assert.falsy(sect:find("testing/", 1, true) or sect:find("testing%.%("), sect)
    end
    assert.matches("\nSum[-%d]*: allocating lines", out)
  end)
end)

describe("goescape build", function()
  for _, c in ipairs(H.go_compilers()) do
    it("writes the escape log of " .. c.name .. ", which hotspots and ge.escape.open read", function()
      local repo = make_repo(H.tmpdir("gobench-build-" .. c.name) .. "/repo")
      local out, rc, err = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("build --test --go " .. H.q(c.go)
        .. " -o m2.log --binary codec.test ."))
      assert.equal(0, rc, err)
      assert.equal("", out)
      assert.equal("", err)
      local log = assert(ge.escape.open(repo .. "/m2.log"))
      local line, found = new_line(), false
      for r in log:each() do
        assert.truthy(r.package:match("^example%.com/gobench"), r.package) -- no standard library
        if r.line == line and r.file:match("codec%.go$") and r.kind == "escapes_to_heap" then found = true end
      end
      assert.is_true(found)
      H.must(("cd %s && ./codec.test -test.run '^$' -test.bench Encode -test.benchtime 100x "
        .. "-test.memprofile %s/mem.pb.gz -test.memprofilerate 1 > /dev/null"):format(H.q(repo), H.q(repo)))
      local hot = H.must("cd " .. H.q(repo) .. " && " .. H.cli_cmd("hotspots --escape m2.log --profile mem.pb.gz "
        .. "--binary codec.test -n 0"))
      assert.truthy(hot:find(("codec.go:%d "):format(line), 1, true), hot)
    end)
  end

  it("passes the go command's errors through unchanged, with its exit status", function()
    local repo = make_repo(H.tmpdir("gobench-broken") .. "/repo")
    H.must("cd " .. H.q(repo) .. " && printf 'func broken() { undefinedThing() }\\n' >> codec.go")
    local _, grc, gerr = H.sh("cd " .. H.q(repo) .. " && GOTOOLCHAIN=local go build .")
    assert.is_true(grc ~= 0)
    local out, rc, err = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("build --go " .. H.q(GO) .. " -o m2.log ."))
    assert.equal(grc, rc)
    assert.equal("", out)
    assert.equal(gerr, err)
    assert.matches("undefined: undefinedThing", err)
    out, rc, err = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("bench -q --go " .. H.q(GO)))
    assert.equal(1, rc)
    assert.equal("", out)
    assert.matches("undefined: undefinedThing\n", err)
    assert.matches("goescape: bench: go test %-c example%.com/gobench failed %(exit status %d+%)\n$", err)
    assert.falsy(err:find("traceback", 1, true))
    -- a log that cannot be written: one line
    out, rc, err = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("build -o /nonexistent/m2.log ."))
    assert.equal(1, rc)
    assert.equal("", out)
    assert.matches("^goescape: cannot write the escape log: /nonexistent/m2.log: [^\n]+\n$", err)
    -- $GO chooses the go command
    out, rc, err = H.sh("cd " .. H.q(repo) .. " && GO=/nonexistent/go " .. H.cli_cmd("build -o m2.log ."))
    assert.equal(127, rc)
    assert.equal("", out)
    assert.matches("/nonexistent/go", err)
    -- a package that does not exist: go's message, go's status
    out, rc, err = H.sh("cd " .. H.q(repo) .. " && " .. H.cli_cmd("build -o m2.log ./nope"))
    assert.is_true(rc ~= 0)
    assert.equal("", out)
    assert.matches("nope", err)
  end)
end)

describe("goescape.gobuild and goescape.gorun", function()
  local gobuild, gorun = require "goescape.gobuild", require "goescape.gorun"

  it("gcflags asks for -m=2 on the named packages and modules only", function()
    assert.equal("'-gcflags=.=-m=2'", gobuild.gcflags({}, {}))
    assert.equal("'-gcflags=./a=-m=2' '-gcflags=example.com/dep/...=-m=2'",
      gobuild.gcflags({ "./a" }, { "example.com/dep" }))
  end)

  it("bench_pattern selects one benchmark, sub-benchmarks by level, metacharacters quoted", function()
    assert.equal("^BenchmarkEncode$", gobuild.bench_pattern("Encode"))
    assert.equal("^BenchmarkParse$/^small$", gobuild.bench_pattern("Parse/small"))
    assert.equal("^BenchmarkX$/^a\\.b\\(1\\)$", gobuild.bench_pattern("X/a.b(1)"))
  end)

  it("splitter keeps -m blocks for the log and passes everything else through in order", function()
    local log, errs = {}, {}
    local function sink(t) return { write = function(_, ...) for _, s in ipairs({ ... }) do t[#t + 1] = s end end,
      flush = function() end } end
    local on_line, finish = gobuild.splitter(sink(log), sink(errs))
    for _, l in ipairs { "go: downloading x v1", "# a", "./a.go:3:6: can inline F with cost 2",
      "./a.go:4:2:   flow: x = &y:", "# b", "./b.go:3:2: undefined: z", "\thave ()", "note: done" } do
      on_line(l)
    end
    finish()
    assert.equal("# a\n./a.go:3:6: can inline F with cost 2\n./a.go:4:2:   flow: x = &y:\n", table.concat(log))
    assert.equal("go: downloading x v1\n# b\n./b.go:3:2: undefined: z\n\thave ()\nnote: done\n", table.concat(errs))
  end)

  it("merge_logs keeps each package's diagnostics once, its test variant when there is one", function()
    local a = "# p [p.test]\n./a.go:1:6: can inline F\n./a_test.go:3:6: can inline B\n# p.test\nx.go:1: y\n"
    local b = "# p\n./a.go:1:6: can inline F\n# q [q.test]\n./q.go:1:6: can inline G\n# p.test\nx.go:1: y\n"
    assert.equal("# p [p.test]\n./a.go:1:6: can inline F\n./a_test.go:3:6: can inline B\n# p.test\nx.go:1: y\n"
      .. "# q [q.test]\n./q.go:1:6: can inline G\n", gobuild.merge_logs({ a, b }))
  end)

  it("stream and read return exit statuses on every Lua; finally cleans up after errors", function()
    local lines = {}
    assert.equal(3, gorun.stream("printf 'a\\nb'; exit 3", function(l) lines[#lines + 1] = l end))
    assert.same({ "a", "b" }, lines)
    local out, rc = gorun.read("echo hi")
    assert.equal("hi\n", out); assert.equal(0, rc)
    local cleaned = false
    assert.has_error(function() gorun.finally(function() cleaned = true end, error, "boom") end)
    assert.is_true(cleaned)
    assert.equal(7, gorun.finally(function() end, function() return 7 end))
    assert.equal("'a'\\''b'", gorun.q("a'b"))
    local d = assert(gorun.tmpdir("spec"))
    assert.is_true(gorun.is_dir(d))
    gorun.remove_tree(d)
    assert.is_false(gorun.is_dir(d))
  end)

  it("the go command comes from --go, then $GO, then go", function()
    assert.equal("x go", gorun.go_command("x go"))
    local g = os.getenv("GO")
    assert.equal(g and g ~= "" and g or "go", gorun.go_command(nil))
  end)

  it("benchdiff's names: func_key, short, describe, focus", function()
    local B = ge.analysis.benchdiff
    assert.equal("example.com/x.F.func#", B.func_key("example.com/x.F.func2"))
    assert.equal("example.com/x.G", B.func_key("example.com/x.G[go.shape.int]"))
    assert.equal("(*T).F", B.short("example.com/x.(*T).F"))
    assert.equal("BenchmarkEncode", B.short("example.com/gobench.BenchmarkEncode"))
    assert.equal("new heap escape `buf` at x.go:41 in (*T).encode, called by BenchmarkEncode",
      B.describe({ category = "new-heap", subject = "buf", file = "a/x.go", line = 41, func = "(*T).encode",
        called_by = "example.com/x.BenchmarkEncode" }, true))
    assert.equal("\\.BenchmarkParse(\\.|$)", B.focus("Parse/small-8"))
  end)
end)
