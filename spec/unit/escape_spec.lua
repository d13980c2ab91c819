-- Escape logs: text (-m, -m=2, -m=3, bce, live, nil) and logopt JSON, from
-- Go 1.19, 1.26 and 1.27 (committed fixtures made by
-- spec/fixtures/escape/gen.sh). spec/escape_spec.lua reads logs the
-- installed compilers make in the run.
local H = require "spec.helpers"
local ge = require "goescape"
local json = require "goescape.report.json"

local FIX = "spec/fixtures/escape/"
local VERSIONS = { "go1.19", "go1.26", "go1.27" }

local function open(name)
  local log, err = ge.escape.open(FIX .. name)
  assert(log, err)
  return log
end

local function key(r) return ("%s:%d:%d %s %s"):format(r.file, r.line, r.col, r.kind, r.subject or "") end

local function multiset(log, kinds)
  local m = {}
  for r in log:each() do
    if kinds[r.kind] then
      local k = key(r)
      m[k] = (m[k] or 0) + 1
    end
  end
  return m
end

describe("ge.escape.open", function()
  for _, v in ipairs(VERSIONS) do
    describe("on " .. v .. " text logs", function()
      it("classifies every -m and -m=2 diagnostic (no unknown kind)", function()
        for _, mode in ipairs { "m1", "m2", "bce", "live", "nil" } do
          local log = open(v .. "." .. mode .. ".log")
          assert.is_true(#log > 0, mode)
          assert.are.equal(0, log:count { kind = "unknown" }, v .. "." .. mode)
        end
      end)

      it("folds the -m=2 duplicate of each escape into one record with its flow", function()
        local kinds = { moved_to_heap = true, escapes_to_heap = true, does_not_escape = true,
          leaking_param = true, leaking_param_content = true, leaking_param_result = true,
          can_inline = true, inlining_call = true }
        local m1 = multiset(open(v .. ".m1.log"), kinds)
        local m2log = open(v .. ".m2.log")
        local m2 = multiset(m2log, kinds)
        assert.are.same(m1, m2)
        assert.is_true(m2log:stats().merged > 0)
        for r in m2log:each { kind = "moved_to_heap" } do
          assert.is_table(r.flow, key(r))
          assert.are.equal("flow", r.flow[1].type)
        end
      end)

      it("reads the flow of `moved to heap: v` in lib.Moved", function()
        local found
        for r in open(v .. ".m2.log"):each { kind = "moved_to_heap", file = "lib/lib.go" } do
          if r.line == 28 then found = r end
        end
        assert.is_table(found)
        assert.are.equal("v", found.subject)
        assert.are.equal("example.com/escfix/lib", found.package)
        local f1, f2 = found.flow[1], found.flow[2]
        assert.are.same({ "flow", "~r0", "&v" }, { f1.type, f1.dst, f1.src })
        assert.are.same({ "from", "&v", "address-of", "lib/lib.go", 29, 9, "~r0", "&v" },
          { f2.type, f2.expr, f2.reason, f2.file, f2.line, f2.col, f2.dst, f2.src })
        local last = found.flow[#found.flow]
        assert.are.same({ "return &v", "return" }, { last.expr, last.reason })
      end)

      it("parses levels, derefs, costs and budgets", function()
        local log = open(v .. ".m2.log")
        local levels = {}
        for r in log:each { kind = "leaking_param_result", file = "lib/lib.go" } do
          levels[r.subject] = r.level
          assert.are.equal("~r0", r.target)
        end
        assert.are.same({ p = 0, pp = 1 }, { p = levels.p, pp = levels.pp })
        local derefs = 0
        for r in log:each { kind = "param_leaks" } do
          assert.is_number(r.derefs)
          assert.is_string(r.target)
          assert.is_string(r.subject)
          derefs = derefs + 1
        end
        assert.is_true(derefs > 0)
        local costs, budgets = 0, 0
        for r in log:each { kind = "can_inline" } do
          assert.is_number(r.cost)
          assert.are.equal(r.subject, r.func)
          costs = costs + 1
        end
        for r in log:each { kind = "cannot_inline" } do
          if r.message:find("exceeds budget", 1, true) then
            assert.is_number(r.cost)
            assert.are.equal(80, r.budget)
            assert.is_true(r.cost > r.budget)
            budgets = budgets + 1
          end
          assert.is_string(r.target)
        end
        assert.is_true(costs > 10 and budgets > 0)
      end)

      it("reads closure captures with their width", function()
        local n = 0
        for r in open(v .. ".m2.log"):each { kind = "closure_capture" } do
          assert.is_truthy(r.target == "ref" or r.target == "value")
          assert.is_number(r.size)
          assert.is_string(r.func)
          n = n + 1
        end
        assert.is_true(n > 0)
      end)

      it("reads bounds checks, liveness and nil checks", function()
        assert.is_true(open(v .. ".bce.log"):count { kind = "bounds_check" } > 0)
        assert.is_true(open(v .. ".bce.log"):count { kind = "slice_bounds_check" } > 0)
        assert.is_true(open(v .. ".live.log"):count { kind = "live" } > 0)
        assert.is_true(open(v .. ".nil.log"):count { kind = "nil_check" } > 0)
      end)

      it("keeps -m=3 traces and counts the IR dumps it skips", function()
        local log = open(v .. ".m3.log")
        assert.are.equal(0, log:count { kind = "unknown" })
        assert.is_true(log:count { kind = "trace" } > 0)
        assert.is_true(log:stats().skipped > 0)
      end)

      it("reads a logopt directory: kinds, positions and explanations", function()
        local log = open(v .. ".logopt")
        assert.is_true(#log > 50)
        assert.are.equal(0, log:count { kind = "unknown" })
        assert.is_true(log:count { kind = "can_inline" } > 0)
        assert.is_true(log:count { kind = "param_leaks" } > 0)
        -- every explained escape is at a position the text log explains too
        local text = {}
        for r in open(v .. ".m2.log"):each { kind = "escape" } do
          text[("%s:%d:%d"):format(r.file:match("[^/]+$"), r.line, r.col)] = true
        end
        local flows = 0
        for r in log:each { kind = "escapes_to_heap" } do
          assert.is_truthy(r.file:match("^/") or r.file == "<autogenerated>", r.file)
          -- lined.go has a //line directive: text logs print the directive's
          -- position, logopt the real one
          if not r.file:match("lined%.go$") then assert.is_true(text[("%s:%d:%d"):format(r.file:match("[^/]+$"), r.line, r.col)] or false, key(r)) end
          if r.flow then
            flows = flows + 1
            for _, s in ipairs(r.flow) do
              if s.type == "from" then
                assert.is_string(s.reason)
                assert.is_number(s.line)
              end
            end
          end
        end
        assert.is_true(flows > 0)
      end)
    end)
  end

  it("names functions from -m=2 headers of newer compilers", function()
    local named = 0
    for r in open("go1.26.m2.log"):each { kind = "moved_to_heap" } do
      if r.func then named = named + 1 end
    end
    assert.is_true(named > 0)
    local log = open("go1.26.m2.log")
    assert.is_true(log:count { func = "Moved", kind = "moved_to_heap" } == 1)
  end)

  it("keeps path forms as printed: relative, absolute, -trimpath, test packages", function()
    local abs = open("go1.26.abs.m2.log"):get(1)
    assert.is_truthy(abs.file:match("^/"))
    local trim = open("go1.26.trimpath.m2.log"):get(1)
    assert.is_truthy(trim.file:match("^example%.com/escfix/"))
    for r in open("go1.26.test.m1.log"):each() do
      assert.is_falsy(r.package:find(" ", 1, true))
    end
  end)

  it("takes several roots at once", function()
    local a, b = open("go1.26.m1.log"), open("go1.27.m1.log")
    local both = assert(ge.escape.open { FIX .. "go1.26.m1.log", FIX .. "go1.27.m1.log" })
    assert.are.equal(#a + #b, #both)
    assert.are.equal(2, both:stats().sources)
  end)

  it("reads the logs of a directory and skips unrelated files", function()
    local d = H.tmpdir("escape-mixed-dir")
    H.must(("cp -r %s %s/logopt && cp %s %s/build.log"):format(
      H.q(FIX .. "go1.26.logopt"), H.q(d), H.q(FIX .. "go1.26.m1.log"), H.q(d)))
    H.write(d .. "/notes.txt", "not a log\n")
    H.write(d .. "/logopt/garbage.json", "\0\1\2\3 binary")
    H.write(d .. "/core.log", ("\0"):rep(64))
    local log = assert(ge.escape.open(d))
    local want = #open("go1.26.logopt") + #open("go1.26.m1.log")
    assert.are.equal(want, #log)
    assert.are.equal(3, log:stats().skipped_files)
  end)

  it("returns nil and an error naming the input", function()
    local log, err, code = ge.escape.open("/nonexistent/build.log")
    assert.is_nil(log)
    assert.is_truthy(err:find("/nonexistent/build.log", 1, true))
    assert.are.equal("io", code)
  end)

  it("raises on misuse", function()
    assert.has_error(function() ge.escape.open(42) end)
    assert.has_error(function() open("go1.26.m1.log"):count { kind = "no_such_kind" } end)
    assert.has_error(function() open("go1.26.m1.log"):group { by = "colour" } end)
  end)
end)

describe("ge.escape.parse", function()
  it("gives the same records as open", function()
    local text = H.read(FIX .. "go1.27.m2.log")
    local a, b = ge.escape.parse(text), open("go1.27.m2.log")
    assert.are.equal(#b, #a)
    for i = 1, #a, 37 do
      local x, y = a:get(i), b:get(i)
      x.source, y.source = nil, nil
      assert.are.same(y, x)
    end
  end)

  it("skips and counts lines that are not diagnostics", function()
    local log = ge.escape.parse("go: downloading example.com/x v1.0.0\n\n# example.com/p\n" ..
      "./p.go:3:6: can inline f with cost 2 as: func() int { return 1 }\n" ..
      "./p.go:4:2: undefined: g\nnote: module requires Go 1.99\n")
    assert.are.equal(2, #log)
    assert.are.equal(3, log:stats().skipped)
    assert.are.equal("can_inline", log:get(1).kind)
    assert.are.equal("compile_error", log:get(2).kind) -- a failed build's error has a kind of its own
    assert.are.equal("undefined: g", log:get(2).message)
    assert.are.equal("example.com/p", log:get(1).package)
  end)

  it("keeps a diagnostic with an empty message at the end of the input", function()
    -- found by fuzz/escape_text.c: the classifier read past the buffer
    local log = assert(ge.escape.parse("./a.go:1:2: "))
    assert.are.same({ "unknown", "" }, { log:get(1).kind, log:get(1).message })
  end)

  it("reads <autogenerated> positions without a column", function()
    local log = ge.escape.parse("# p\n<autogenerated>:1: .this does not escape\n")
    local r = log:get(1)
    assert.are.same({ "<autogenerated>", 1, 0, "does_not_escape", ".this" },
      { r.file, r.line, r.col, r.kind, r.subject })
  end)

  it("rejects binary input and survives garbage", function()
    local log, err = ge.escape.parse("\0\1\2ELF garbage")
    assert.is_nil(log)
    assert.is_truthy(err:find("NUL", 1, true))
    local junk = {}
    for i = 1, 20000 do junk[i] = string.char(32 + (i * 7919) % 95) end
    local l2 = assert(ge.escape.parse(table.concat(junk)))
    assert.are.equal(0, #l2)
  end)

  it("reads a 20 MB line, and names the limit when it is lower", function()
    local long = "# p\n./a.go:1:2: " .. ("x"):rep(20 * 1024 * 1024) .. " escapes to heap\n"
    local log = assert(ge.escape.parse(long))
    assert.are.equal("escapes_to_heap", log:get(1).kind)
    local l2, err, code = ge.escape.parse(long, "big.log", { limits = { max_line_bytes = 1024 * 1024 } })
    assert.is_nil(l2)
    assert.are.equal("limit", code)
    assert.is_truthy(err:find("big.log", 1, true) and err:find("max_line_bytes", 1, true))
  end)

  it("keeps the good lines of a truncated logopt file", function()
    local text = H.read(FIX .. "go1.26.logopt/example.com%2Fescfix%2Flib/lib.json")
    local full = assert(ge.escape.parse(text))
    local cut = assert(ge.escape.parse(text:sub(1, math.floor(#text / 2))))
    assert.is_true(#cut > 0 and #cut < #full)
    assert.are.equal(1, cut:stats().skipped)
  end)
end)

describe("log queries", function()
  local log = open("go1.26.m2.log")

  it("filters by kind, family, package, file suffix and function", function()
    local n = 0
    for r in log:each { kind = "escape", package = "example.com/escfix/lib" } do
      assert.are.equal("escape", ge.core.kind_family(r.kind))
      assert.are.equal("example.com/escfix/lib", r.package)
      n = n + 1
    end
    assert.are.equal(n, log:count { kind = "escape", package = "example.com/escfix/lib" })
    assert.are.equal(log:count { file = "lib/lib.go" }, log:count { file = "lib.go" })
    assert.are.equal(0, log:count { file = "ib.go" })
    assert.are.equal(log:count { file = "lib.go" } + log:count { file = "sub.go" },
      log:count { file = { "lib.go", "sub.go", "nothing.go" } })
    assert.are.equal(0, log:count { package = "no/such/package" })
    assert.are.equal(#log:list { kind = "moved_to_heap" }, log:count { kind = "moved_to_heap" })
  end)

  it("groups in C with counts that add up", function()
    for _, by in ipairs { "kind", "package", "file", "func", "subject" } do
      local total = 0
      for _, r in ipairs(log:group { by = by }) do total = total + r.count end
      assert.are.equal(#log, total, by)
    end
    local rows = log:group { by = "line", kind = "moved_to_heap" }
    assert.is_true(#rows > 0)
    assert.is_string(rows[1].file)
    assert.is_number(rows[1].line)
    local s = log:summary()
    assert.are.equal(#log, s.total)
    assert.are.equal(log:count { kind = "moved_to_heap" }, s.by_kind.moved_to_heap)
  end)
end)

describe("ge.escape.stream", function()
  it("hands over the same records as open, in bounded memory", function()
    local full = open("go1.26.m2.log")
    local got = {}
    local stats = assert(ge.escape.stream(FIX .. "go1.26.m2.log", function(r) got[#got + 1] = r end))
    assert.are.equal(#full, #got)
    assert.are.equal(full:stats().merged, stats.merged)
    local want = {}
    for r in full:each() do want[#want + 1] = key(r) .. " " .. #(r.flow or {}) end
    local have = {}
    for _, r in ipairs(got) do have[#have + 1] = key(r) .. " " .. #(r.flow or {}) end
    table.sort(want); table.sort(have)
    assert.are.same(want, have)
  end)

  it("selects the records log:each selects, by the same filter rules", function()
    local full = open("go1.26.m2.log")
    local filters = {
      { kind = "escape" }, { kind = "moved_to_heap" }, { file = "lib.go" }, { file = "lib/lib.go" },
      { file = "b.go" }, { package = "example.com/esc/lib" }, { func = "lib.Map" },
      { func = "Map" }, { kind = "inline", file = "sub.go" },
    }
    for _, f in ipairs(filters) do
      local want, have = {}, {}
      for r in full:each(f) do want[#want + 1] = key(r) end
      assert(ge.escape.stream(FIX .. "go1.26.m2.log", function(r) have[#have + 1] = key(r) end, { filter = f }))
      table.sort(want); table.sort(have)
      assert.are.same(want, have)
    end
  end)

  it("stops when the callback returns false", function()
    local n = 0
    assert(ge.escape.stream(FIX .. "go1.26.m1.log", function() n = n + 1; return n < 5 end))
    assert.are.equal(5, n)
  end)
end)

describe("goescape escapes / summary", function()
  it("prints JSON Lines in log order with the required fields", function()
    local out, rc = H.cli("escapes --json " .. FIX .. "go1.26.m2.log")
    assert.are.equal(0, rc)
    local want = {}
    for r in open("go1.26.m2.log"):each() do want[#want + 1] = key(r) end
    local have = {}
    for line in out:gmatch("[^\n]+") do
      local o = json.decode(line)
      for _, f in ipairs { "file", "line", "col", "kind", "message", "package" } do
        assert.is_not_nil(o[f], f)
      end
      have[#have + 1] = key(o)
    end
    assert.are.same(want, have)
  end)

  it("filters with --kind and reads stdin", function()
    local out = H.must(H.cli_cmd("escapes --json --kind moved_to_heap - < " .. FIX .. "go1.27.m2.log"))
    local n = 0
    for line in out:gmatch("[^\n]+") do
      local o = json.decode(line)
      assert.are.equal("moved_to_heap", o.kind)
      assert.is_table(o.flow)
      n = n + 1
    end
    assert.are.equal(open("go1.27.m2.log"):count { kind = "moved_to_heap" }, n)
  end)

  it("summarizes by kind and package", function()
    local out, rc = H.cli("summary --json " .. FIX .. "go1.19.m2.log")
    assert.are.equal(0, rc)
    local s = json.decode(out)
    assert.are.equal(#open("go1.19.m2.log"), s.total)
    assert.are.equal(3, #s.packages)
  end)

  it("takes limits from GOESCAPE_LIMITS and names the one that was hit", function()
    local _, rc, err = H.sh("GOESCAPE_LIMITS=max_line_bytes=10 " .. H.cli_cmd("summary " .. FIX .. "go1.19.m1.log"))
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: [^\n]*max_line_bytes = 10[^\n]*GOESCAPE_LIMITS=max_line_bytes=N[^\n]*\n$"), err)
    _, rc, err = H.sh("GOESCAPE_LIMITS=max_colour=3 " .. H.cli_cmd("summary " .. FIX .. "go1.19.m1.log"))
    assert.are.equal(2, rc)
    assert.is_truthy(err:find("no limit named max_colour", 1, true))
    local out
    out, rc = H.sh("GOESCAPE_LIMITS=max_line_bytes=1000000 " .. H.cli_cmd("summary --json " .. FIX .. "go1.19.m1.log"))
    assert.are.equal(0, rc)
    assert.are.equal(#open("go1.19.m1.log"), json.decode(out).total)
  end)

  it("fails with one line and status 1 on bad input, 2 on bad usage", function()
    local out, rc, err = H.cli("summary /nonexistent.log")
    assert.are.equal(1, rc)
    assert.are.equal("goescape: /nonexistent.log: No such file or directory\n", err)
    _, rc = H.cli("escapes --kind nonsense " .. FIX .. "go1.26.m1.log")
    assert.are.equal(1, rc)
    _, rc = H.cli("summary --no-such-flag x")
    assert.are.equal(2, rc)
    assert.are.equal("", out)
  end)
end)
