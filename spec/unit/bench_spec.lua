-- ge.bench on committed fixtures (spec/fixtures/bench/data, remade by
-- gen.sh there): real `go test -bench` runs of spec/fixtures/bench/prog
-- (text and -json), format corners written by hand (config deletion, Unit
-- lines, -N suffixes, name parts, bad lines, CRLF), a cut run and binary
-- garbage. Oracles recorded from benchstat (pinned in gen.sh): its CSV
-- (every center, ±, delta, p note, geomean), its messages (cell warnings,
-- syntax errors with file and line) and its text tables. spec/bench_spec.lua
-- makes runs afresh and asks benchstat in the same run.
local H = require "spec.helpers"
local ge = require "goescape"
local O = require "spec.bench_oracle"

local DIR = H.root .. "/spec/fixtures/bench/data/"
local PAIRS = {
  { "run", "run_old.txt", "run_new.txt" },
  { "json", "json_old.json", "json_new.json" }, -- benchstat read json_*.txt (unjson)
  { "corners", "corners_old.txt", "corners_new.txt" },
  { "crlf", "crlf.txt", "crlf.txt" },
  { "cut", "run_cut.txt", "run_new.txt" },
  { "zero", "zero_old.txt", "zero_new.txt" },
}

local function words(s) local t = {}; for w in s:gmatch("%S+") do t[#t + 1] = w end; return t end

describe("ge.bench against benchstat's recorded output", function()
  for _, p in ipairs(PAIRS) do
    it(p[1] .. ": every center, ±, delta, p note, geomean and warning", function()
      local cmp = assert(ge.bench.compare(DIR .. p[2], DIR .. p[3]))
      local bad, n = O.check(cmp, H.read(DIR .. p[1] .. ".csv"), H.read(DIR .. p[1] .. ".stderr"))
      assert.same({}, bad)
      assert.is_true(n > 10)
    end)
  end

  it("the command prints benchstat's tables (the same words in the same order)", function()
    for _, p in ipairs(PAIRS) do
      if p[1] ~= "crlf" then -- benchstat labels a file given twice "crlf.txt#0"
        local out = H.must("cd " .. H.q(DIR) .. " && " .. H.cli_cmd("benchstat " .. p[2] .. " " .. p[3]))
        out = out:gsub("(json_%a+)%.json", "%1.txt")
        assert.same(words(H.read(DIR .. p[1] .. ".benchstat")), words(out))
      end
    end
  end)

  it("--json: the numbers behind benchstat's texts", function()
    local out = H.must(H.cli_cmd("benchstat --json " .. H.q(DIR .. "run_old.txt") .. " " .. H.q(DIR .. "run_new.txt")))
    local want = O.parse_csv(H.read(DIR .. "run.csv"))
    local csvrows = {}
    for _, t in ipairs(want.tables) do
      for _, r in ipairs(t.rows) do csvrows[#csvrows + 1] = r.f end
    end
    local json = require "goescape.report.json"
    local i = 0
    for line in out:gmatch("[^\n]+") do
      i = i + 1
      local r, f = json.decode(line), csvrows[i]
      assert.equal(f[1], r.name)
      local function num(x) return x ~= "" and tonumber(x) or json.null end
      local function same(exp, got)
        -- a geomean goes through libm's log and exp, not Go's: the last bit may differ
        if r.name == "geomean" and exp ~= json.null and got ~= json.null then
          assert.is_true(math.abs(got - exp) <= 1e-12 * math.abs(exp), ("%.17g vs %.17g"):format(got, exp))
        else
          assert.equal(exp, got)
        end
      end
      same(num(f[2]), r.old.center)
      same(num(f[4]), r.new.center)
      if r.name ~= "geomean" then
        assert.equal(f[3], ("%.0f%%"):format(r.old.ci * 100))
        assert.equal(f[5], ("%.0f%%"):format(r.new.ci * 100))
        assert.equal(f[7]:match("^(p=%S+)"), ("p=%0.3f"):format(r.p))
      end
      if f[6] == "~" then
        assert.equal(json.null, r.delta)
      elseif f[6] ~= "?" then
        -- a row with equal centers says "0.00%", the geomean "+0.00%"
        local zero = r.delta == 0 and r.name ~= "geomean"
        assert.equal(f[6], zero and "0.00%" or ("%+.2f%%"):format(r.delta * 100))
      end
    end
    assert.equal(#csvrows, i)
  end)
end)

describe("ge.bench parsing", function()
  it("reads -json output as its text (joined per test, cut at newlines)", function()
    local a = assert(ge.bench.open(DIR .. "json_old.json"))
    local b = assert(ge.bench.open(DIR .. "json_old.txt"))
    local ra, rb = a:rows(), b:rows()
    assert.is_true(#ra > 5)
    for i, r in ipairs(ra) do -- ids are the set's own
      r.file, rb[i].file, r.config_id, rb[i].config_id = nil, nil, nil, nil
    end
    assert.same(rb, ra)
    assert.equal(b.results, a.results)
  end)

  it("keeps benchstat's syntax errors as warnings naming the file and line", function()
    for _, f in ipairs({ { "corners_old.txt", "corners" }, { "run_cut.txt", "cut" } }) do
      local s = assert(ge.bench.open(DIR .. f[1]))
      local got, want = O.check_syntax(s, H.read(DIR .. f[2] .. ".stderr"), f[1])
      assert.is_true(#want > 0)
      assert.same(want, got)
      assert.equal(#want, s.skipped)
    end
  end)

  it("strict: the first bad line is the error", function()
    local first = O.parse_stderr(H.read(DIR .. "corners.stderr")).syntax[1]
    local s, err, code = ge.bench.open(DIR .. "corners_old.txt", { strict = true })
    assert.is_nil(s)
    assert.equal("format", code)
    assert.truthy(err:find(("line %d: %s"):format(first.line, first.msg), 1, true), err)
  end)

  it("rows: one per (input, configuration, name, unit), values in input order", function()
    local s = assert(ge.bench.open({ DIR .. "run_old.txt", DIR .. "run_new.txt" }))
    local text = "\n" .. H.read(DIR .. "run_old.txt")
    local first = s:row(1)
    assert.equal(1, first.input)
    assert.equal(DIR .. "run_old.txt", first.file)
    -- the values of the first row, read off the file with a pattern
    local want = {}
    for name, v, unit in text:gmatch("\nBenchmark(%S+)%s+%d+%s+(%S+) (%S+)") do
      if name == first.name and unit == first.unit then want[#want + 1] = tonumber(v) end
    end
    assert.same(want, first.values)
    assert.equal(text:match("\ngoos: (%S+)"), first.config.goos)
    assert.same({ "goos", "goarch", "pkg", "cpu" }, first.config_keys)
    local n, inputs = 0, {}
    for r in s:each() do n = n + 1; inputs[r.input] = true end
    assert.equal(#s:rows(), n)
    assert.truthy(inputs[1] and inputs[2])
  end)

  it("Unit lines: assume=exact and assume=nothing by tidied unit", function()
    local s = assert(ge.bench.open(DIR .. "corners_old.txt"))
    local text = H.read(DIR .. "corners_old.txt")
    local first, n = {}, 0
    for unit, v in text:gmatch("\nUnit (%S+) assume=(%a+)") do
      first[unit] = first[unit] or v -- a later conflicting line is refused
    end
    for unit, v in pairs(first) do
      n = n + 1
      assert.equal(v, s:unit_meta((ge.bench.tidy(unit)), "assume"))
    end
    assert.is_true(n >= 2)
  end)

  it("name parts: base, /key=value parts, -N (benchfmt's Name.Parts)", function()
    -- every name of the corners, split, joins back to itself
    local s = assert(ge.bench.open(DIR .. "corners_old.txt"))
    local n = 0
    for r in s:each() do
      local base, parts, procs = ge.bench.name_parts(r.name)
      local out = { base }
      for _, p in ipairs(parts) do out[#out + 1] = "/" .. (p.key and (p.key .. "=") or "") .. p.value end
      if procs then out[#out + 1] = "-" .. procs end
      assert.equal(r.name, table.concat(out))
      assert.falsy(base:find("/", 1, true))
      n = n + 1
    end
    assert.is_true(n > 4)
    local base, parts, procs = ge.bench.name_parts("Decode/text=digits/level=speed-8")
    assert.equal("Decode", base)
    assert.same({ { key = "text", value = "digits" }, { key = "level", value = "speed" } }, parts)
    assert.equal(8, procs)
  end)

  it("CRLF line ends are not part of values", function()
    local s = assert(ge.bench.open(DIR .. "crlf.txt"))
    local r = s:row(1)
    assert.falsy(r.config.pkg:find("\r"))
    assert.equal(2, #r.values)
  end)

  it("binary garbage: a format error naming the line", function()
    local data = H.read(DIR .. "garbage.bin")
    local line = 1
    for i = 1, #data do
      local c = data:sub(i, i)
      if c == "\0" then break end
      if c == "\n" then line = line + 1 end
    end
    local s, err, code = ge.bench.open(DIR .. "garbage.bin")
    assert.is_nil(s)
    assert.equal("format", code)
    assert.truthy(err:find(("garbage.bin: line %d: "):format(line), 1, true), err)
  end)

  it("-json cut inside an event: that line is skipped with its number", function()
    local text = H.read(DIR .. "json_old.json")
    local cut = text:sub(1, (text:find("ns/op", 1, true)))
    local lines = select(2, cut:gsub("\n", "\n")) + 1
    local s = assert(ge.bench.parse(cut, "cut.json"))
    assert.equal(1, s.skipped)
    assert.truthy(s.warnings[1]:find(("cut.json: line %d: malformed test2json event"):format(lines), 1, true))
  end)

  it("a text line that looks like JSON is a test's log: ignored, as benchstat does", function()
    local text = H.read(DIR .. "run_old.txt")
    local with = text:gsub("\nPASS\n", '\n{"not": "an event"\n{"cut\nPASS\n', 1)
    assert.is_true(#with > #text)
    local a = assert(ge.bench.parse(text, "a"))
    local b = assert(ge.bench.parse(with, "b"))
    assert.equal(0, b.skipped)
    assert.equal(a.results, b.results)
  end)

  it("limits: max_line_bytes and max_records", function()
    local s, err, code = ge.bench.open(DIR .. "run_old.txt", { limits = { max_line_bytes = 40 } })
    assert.is_nil(s)
    assert.equal("limit", code)
    assert.truthy(err:find("max_line_bytes = 40", 1, true))
    s, err, code = ge.bench.open(DIR .. "run_old.txt", { limits = { max_records = 3 } })
    assert.is_nil(s)
    assert.equal("limit", code)
    assert.truthy(err:find("max_records = 3", 1, true))
  end)

  it("failures and misuse follow the API's conventions", function()
    local s, err, code = ge.bench.open(DIR .. "no-such-file.txt")
    assert.is_nil(s)
    assert.equal("io", code)
    assert.truthy(err:find("no-such-file", 1, true))
    assert.has_error(function() ge.bench.open(DIR .. "run_old.txt", { max_records = 1 }) end)
    assert.has_error(function() ge.bench.open(42) end)
    local c, cerr, ccode = ge.bench.compare(DIR .. "run_old.txt", DIR .. "no-such-file.txt")
    assert.is_nil(c)
    assert.equal("io", ccode)
    assert.truthy(cerr)
    s = assert(ge.bench.open(DIR .. "run_old.txt"))
    assert.is_true(ge.bench.is_bench(s))
    s:close()
    assert.has_error(function() s:rows() end)
  end)
end)
