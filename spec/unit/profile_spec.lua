-- ge.profile: pprof profiles of every runtime kind, proto and legacy text,
-- made by a small Go program (spec/fixtures/profile/src) and by `go tool
-- pprof -proto` (merged), checked against `go tool pprof -raw` and `-top
-- -nodefraction=0` on the same files. Unit tier: the profiles and pprof's
-- outputs are committed (spec/fixtures/profile/data, remade by gen.sh there);
-- spec/profile_spec.lua makes them afresh with the installed Go.
local H = require "spec.helpers"
local ge = require "goescape"

local DIR = H.root .. "/spec/fixtures/profile/data"
local O = require("spec.pprof_oracle")(DIR, os.getenv("GOESCAPE_RECORD_ORACLES") == "1")
local pprof, oracle_top, oracle_raw, ours_raw, check_top =
  O.pprof, O.oracle_top, O.oracle_raw, O.ours_raw, O.check_top

local PROTO = { "heap", "allocs", "cpu", "mutex", "block", "goroutine", "threadcreate", "merged" }
local LEGACY = { "heap", "mutex", "block", "goroutine", "threadcreate" }

describe("ge.profile", function()
  describe("open", function()
    for _, name in ipairs(PROTO) do
      it("decodes the runtime's " .. name .. " profile with the samples go tool pprof -raw shows", function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".pb.gz"))
        assert.are.equal("proto", p.format)
        assert.is_true(#p.sample_types >= 1)
        assert.are.same(oracle_raw(name .. ".pb.gz"), ours_raw(p))
      end)
    end
    for _, name in ipairs(LEGACY) do
      it("decodes the legacy text " .. name .. " profile like go tool pprof -raw", function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".txt"))
        assert.matches("^legacy", p.format)
        assert.are.same(oracle_raw(name .. ".txt"), ours_raw(p))
      end)
    end

    it("exposes sample types, period, times and the default sample type", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      assert.are.same({ { type = "samples", unit = "count" }, { type = "cpu", unit = "nanoseconds" } },
        p.sample_types)
      assert.are.equal("cpu", p.default_sample)
      assert.are.equal(10000000, p.period)
      assert.are.same({ type = "cpu", unit = "nanoseconds" }, p.period_type)
      assert.is_true(p.time_nanos > 0 and p.duration_nanos > 0)
      local a = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      assert.are.equal("alloc_space", a.default_sample)
    end)

    it("keeps string and numeric labels with their units", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      local workers = {}
      for s in p:each_sample() do
        if s.labels and s.labels.worker then workers[s.labels.worker] = true end
      end
      assert.are.same({ alpha = true, beta = true }, workers)
      local h = assert(ge.profile.open(DIR .. "/heap.txt"))
      local s = h:samples()[1]
      assert.is_number(s.num_labels.bytes[1])
    end)

    it("reads plain (not gzipped) profile.proto", function()
      local p = assert(ge.profile.open(DIR .. "/heap.pb.gz"))
      local plain = assert(ge.profile.parse(p:encode(false), "plain"))
      assert.are.same(ours_raw(p), ours_raw(plain))
    end)
  end)

  describe("top", function()
    for _, name in ipairs(PROTO) do
      it("gives flat and cum per function as go tool pprof -top does for " .. name, function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".pb.gz"))
        check_top(p, name .. ".pb.gz", nil, "function")
      end)
      it("gives flat and cum per line as go tool pprof -top -lines does for " .. name, function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".pb.gz"))
        check_top(p, name .. ".pb.gz", "lines", "line")
      end)
    end
    for _, name in ipairs { "allocs", "cpu" } do
      it("gives flat and cum per file as go tool pprof -top -files does for " .. name, function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".pb.gz"))
        check_top(p, name .. ".pb.gz", "files", "file")
      end)
    end
    for _, name in ipairs(LEGACY) do
      it("matches go tool pprof -top on the legacy " .. name .. " profile", function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".txt"))
        check_top(p, name .. ".txt", nil, "function")
      end)
    end

    it("counts a recursive function once in cum", function()
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local rows, total = p:top { sample = "alloc_space", n = 0 }
      for _, r in ipairs(rows) do
        if r.func == "main.rec" then
          assert.is_true(r.cum <= total)
          assert.are.equal(0, r.flat)
        end
      end
    end)

    it("returns the top n rows sorted by flat", function()
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local rows = p:top { n = 3 }
      assert.are.equal(3, #rows)
      assert.is_true(rows[1].flat >= rows[2].flat and rows[2].flat >= rows[3].flat)
      assert.are.equal("main.leaf", rows[1].func)
    end)

    local filters = {
      { "focus", "-focus=main.mid", { focus = "main.mid" } },
      { "ignore", "-ignore=pprof", { ignore = "pprof" } },
      { "hide", "-hide=runtime", { hide = "runtime" } },
      { "show", "-show=main", { show = "main" } },
    }
    for _, f in ipairs(filters) do
      it("applies " .. f[1] .. " like pprof's " .. f[2], function()
        local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
        local text = pprof("-top -nodecount=100000 -nodefraction=0 -unit=B -sample_index=alloc_space "
          .. f[2], "allocs.pb.gz")
        local want = {}
        local started = false
        for line in text:gmatch("[^\n]+") do
          if started then
            local fl, c, name = line:match("^%s*(%-?[%d%.]+)%a*%s+%S+%s+%S+%s+(%-?[%d%.]+)%a*%s+%S+%s+(.-)%s*$")
            want[(name:gsub(" %(inline%)$", ""):gsub(" %(partial%-inline%)$", ""))] =
              { flat = tonumber(fl), cum = tonumber(c) }
          elseif line:match("^%s+flat%s+flat%%") then started = true end
        end
        local q = { sample = "alloc_space" }
        for k, v in pairs(f[3]) do q[k] = v end
        local got = {}
        for _, r in ipairs(assert(p:top(q))) do got[r.name] = { flat = r.flat, cum = r.cum } end
        assert.are.same(want, got)
      end)
    end

    it("filters samples by label with tagfocus and tagignore", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      local _, all = p:top {}
      local _, alpha = p:top { tagfocus = "worker=alpha" }
      local _, beta = p:top { tagfocus = "worker=^beta$" }
      local _, notalpha = p:top { tagignore = "worker=alpha" }
      assert.is_true(alpha > 0 and beta > 0)
      assert.are.equal(all, alpha + notalpha)
      assert.is_true(notalpha >= beta)
    end)

    -- pprof's rows (name -> {flat, cum}) for extra options on allocs.pb.gz, alloc_space.
    local function oracle_filtered(opts)
      local text = pprof("-top -nodecount=100000 -nodefraction=0 -unit=B -sample_index=alloc_space "
        .. opts, "allocs.pb.gz")
      local want, started = {}, false
      for line in text:gmatch("[^\n]+") do
        if started then
          local fl, c, name = line:match("^%s*(%-?[%d%.]+)%a*%s+%S+%s+%S+%s+(%-?[%d%.]+)%a*%s+%S+%s+(.-)%s*$")
          want[(name:gsub(" %(inline%)$", ""):gsub(" %(partial%-inline%)$", ""))] =
            { flat = tonumber(fl), cum = tonumber(c) }
        elseif line:match("^%s+flat%s+flat%%") then started = true end
      end
      return want
    end
    local function ours_filtered(p, q)
      q.sample = "alloc_space"
      local got = {}
      for _, r in ipairs(assert(p:top(q))) do got[r.name] = { flat = r.flat, cum = r.cum } end
      return got
    end

    -- The runtime's heap profiles carry a numeric "bytes" label (the block
    -- size) per sample: `go tool pprof -raw` shows them.
    local ranges = { "bytes=1kb:", "bytes=:1kb", "bytes=1KB:2mb", "bytes=2304b", "bytes=256kb",
      "bytes=-5b:+300b", "2kb:", "bytes=:512", "bytes=64", "bytes=8kb:1kb", "bytes=2ms:",
      "bytes=1kb:2ms", "nosuchkey=1kb:" }
    for _, r in ipairs(ranges) do
      it("applies the numeric tag filter " .. r .. " like pprof's -tagfocus and -tagignore", function()
        local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
        assert.are.same(oracle_filtered("-tagfocus=" .. r), ours_filtered(p, { tagfocus = r }))
        assert.are.same(oracle_filtered("-tagignore=" .. r), ours_filtered(p, { tagignore = r }))
      end)
    end

    it("keeps numeric ranges that select something (not a vacuous comparison)", function()
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local _, all = p:top { sample = "alloc_space" }
      local _, big = p:top { sample = "alloc_space", tagfocus = "bytes=1kb:" }
      local _, small = p:top { sample = "alloc_space", tagignore = "bytes=1kb:" }
      assert.is_true(big > 0 and small > 0)
      assert.are.equal(all, big + small)
    end)

    it("applies tag regexps without a key to \"key:value\" and comma lists like pprof", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      local _, all = p:top {}
      local _, keyless = p:top { tagfocus = "worker:alpha" }
      local _, keyed = p:top { tagfocus = "worker=alpha" }
      local _, either = p:top { tagfocus = "worker=alpha,beta" }
      local _, both = p:top { tagfocus = "alpha,beta" }
      local _, beta = p:top { tagfocus = "worker=beta" }
      assert.are.equal(keyed, keyless)
      assert.are.equal(keyed + beta, either)
      assert.are.equal(0, both) -- no sample is labelled both alpha and beta
      assert.is_true(all >= either)
    end)

    -- RE2 forms translated into POSIX ERE, checked against pprof's own RE2.
    local re2 = { [[main\.\w+]], [[(?i)MAIN\.LEAF]], [[(?:runtime|main)\.m\w*]], [[\Qmain.leaf\E]],
      [[l[\w]af\d*$]], [[compress/fl[^\d]te]], [[\x6dain\.rec]], [[main\.mid.*?]], "[\\D]",
      [[ma[-^i]n]], [[(?P<pkg>main)\.(?s)leaf]], [[^runtime\.\S+alloc]] }
    for _, re in ipairs(re2) do
      it("translates the RE2 expression " .. re .. " as pprof's -focus reads it", function()
        local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
        assert.are.same(oracle_filtered("-focus='" .. re .. "'"), ours_filtered(p, { focus = re }))
      end)
    end

    it("names the option and the construct for RE2 it cannot translate", function()
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local cases = {
        { { focus = [[\pL]] }, "^focus: bad regular expression '\\pL': Unicode classes" },
        { { hide = "(?=x)" }, "^hide: .*lookarounds" },
        { { ignore = [[\bmain]] }, "^ignore: .*word boundaries" },
        { { show = "a(?i)b" }, "^show: .*only supported at the start" },
        { { tagfocus = "worker=x(?<!y)" }, "^tagfocus: .*lookarounds" },
        { { focus = "[é]" }, "non%-ASCII" },
      }
      for _, c in ipairs(cases) do
        local r, err = p:top(c[1])
        assert.is_nil(r)
        assert.matches(c[2], err)
      end
    end)

    it("groups by full stack", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      local rows, total = p:top { by = "stack" }
      local sum = 0
      for _, r in ipairs(rows) do sum = sum + r.flat; assert.are.equal(r.flat, r.cum) end
      assert.are.equal(total, sum)
      assert.matches("^runtime%.main;main%.main;", rows[1].name)
    end)

    it("raises for a bad option and returns nil, err for an unknown sample type", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      assert.has_error(function() p:top { by = "nonsense" } end)
      assert.has_error(function() p:top "x" end)
      local r, err = p:top { sample = "alloc_space" }
      assert.is_nil(r)
      assert.matches("sample type alloc_space not found", err)
    end)
  end)

  describe("diff", function()
    it("computes flat and cum as go tool pprof -diff_base does", function()
      local a = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local h = assert(ge.profile.open(DIR .. "/heap.pb.gz"))
      local d = assert(a:diff(h))
      local text = pprof("-top -nodecount=100000 -nodefraction=0 -unit=B -sample_index=alloc_space -diff_base=heap.pb.gz",
        "allocs.pb.gz")
      local want, started = {}, false
      for line in text:gmatch("[^\n]+") do
        if started then
          local fl, c, name = line:match("^%s*(%-?[%d%.]+)%a*%s+%S+%s+%S+%s+(%-?[%d%.]+)%a*%s+%S+%s+(.-)%s*$")
          want[name] = { flat = tonumber(fl), cum = tonumber(c) }
        elseif line:match("^%s+flat%s+flat%%") then started = true end
      end
      local got = {}
      for _, r in ipairs(assert(d:top { sample = "alloc_space" })) do
        got[r.name] = { flat = r.flat, cum = r.cum }
      end
      assert.are.same(want, got)
    end)
  end)

  describe("merge", function()
    it("merges profiles like go tool pprof -proto a b", function()
      local a = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local h = assert(ge.profile.open(DIR .. "/heap.pb.gz"))
      local m = assert(ge.profile.merge { a, h })
      local o = assert(ge.profile.open(DIR .. "/merged.pb.gz"))
      for _, st in ipairs(o.sample_types) do
        local r1 = assert(m:top { sample = st.type, by = "line" })
        local r2 = assert(o:top { sample = st.type, by = "line" })
        local g1, g2 = {}, {}
        for _, r in ipairs(r1) do g1[r.name] = { r.flat, r.cum } end
        for _, r in ipairs(r2) do g2[r.name] = { r.flat, r.cum } end
        assert.are.same(g2, g1)
      end
    end)

    it("refuses profiles of different kinds", function()
      local a = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local c = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      local m, err = ge.profile.merge { a, c }
      assert.is_nil(m)
      assert.matches("different sample types", err)
    end)
  end)

  describe("folded", function()
    it("prints one line per distinct stack, root first, summing to the total", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      local text = assert(p:folded { sample = "cpu" })
      local _, total = p:top { sample = "cpu" }
      local sum, n = 0, 0
      for stack, v in text:gmatch("([^\n]+) (%-?%d+)\n") do
        sum = sum + tonumber(v)
        n = n + 1
        assert.is_nil(stack:find(" ", 1, true) and stack:find("^ "))
      end
      assert.is_true(n > 0)
      assert.are.equal(total, sum)
      assert.matches("runtime%.main;main%.main;", text)
    end)

    it("keeps addresses of unsymbolized frames", function()
      local p = assert(ge.profile.open(DIR .. "/goroutine.txt"))
      assert.matches("0x%x+;0x%x+", p:folded {})
    end)
  end)

  describe("flame", function()
    local function same(t, r)
      local n = 0
      for i, c in ipairs(t.children or {}) do
        n = n + 1
        local w = assert(r.c[c.name], c.name)
        assert.are.equal(w.v, c.value, c.name)
        assert.are.equal(w.self, c.self, c.name)
        local prev = t.children[i - 1]
        if prev then assert.is_true(prev.value > c.value or (prev.value == c.value and prev.name < c.name)) end
        same(c, w)
      end
      local m = 0
      for _ in pairs(r.c) do m = m + 1 end
      assert.are.equal(m, n)
    end

    for _, name in ipairs { "allocs", "cpu", "heap", "merged" } do
      it("is the tree of p:folded's lines with value and self for " .. name, function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".pb.gz"))
        local t = assert(p:flame { min = 0 })
        local r = H.folded_trie(assert(p:folded {}))
        assert.are.equal("all", t.name)
        assert.are.equal(r.v, t.value)
        same(t, r)
      end)
    end

    it("keeps the filters and the diff's negative values", function()
      local a = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local d = assert(a:diff(assert(ge.profile.open(DIR .. "/heap.pb.gz"))))
      local q = { sample = "alloc_space", min = 0, hide = "runtime", tagfocus = "bytes=1kb:" }
      same(assert(a:flame(q)), H.folded_trie(assert(a:folded(q))))
      same(assert(d:flame { min = 0 }), H.folded_trie(assert(d:folded {})))
    end)

    it("leaves out children under min of the total, with their subtrees", function()
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local function strip(t)
        local out = { name = t.name, value = t.value }
        if t.children then
          out.children = {}
          for i, c in ipairs(t.children) do out.children[i] = strip(c) end
        end
        return out
      end
      -- the plain trie of the folded lines, cut at the threshold: the oracle
      local function cut(name, node, thr, stats)
        local out, kids = { name = name, value = node.v }, {}
        for fr, c in pairs(node.c) do
          if math.abs(c.v) >= thr then kids[#kids + 1] = cut(fr, c, thr, stats)
          else stats.dropped = stats.dropped + 1 end
        end
        table.sort(kids, function(a, b)
          if a.value ~= b.value then return a.value > b.value end
          return a.name < b.name
        end)
        stats.nodes = stats.nodes + #kids
        if #kids > 0 then out.children = kids end
        return out
      end
      for _, min in ipairs { 0.001, 0.01, 0.1 } do
        local t = assert(p:flame { sample = "alloc_space", min = min })
        local folded = assert(p:folded { sample = "alloc_space" })
        local abs = 0
        for v in folded:gmatch("(%-?%d+)\n") do abs = abs + math.abs(tonumber(v)) end
        local stats = { nodes = 0, dropped = 0 }
        local f = cut("all", H.folded_trie(folded), abs * min, stats)
        assert.are.same(f, strip(t))
        assert.are.equal(stats.nodes, t.nodes)
        assert.are.equal(stats.dropped, t.dropped)
        assert.are.equal(min, t.min)
        local thr = 0
        for line in p:folded({ sample = "alloc_space" }):gmatch("(%-?%d+)\n") do thr = thr + math.abs(tonumber(line)) end
        thr = thr * min
        local function check(n)
          for _, c in ipairs(n.children or {}) do
            assert.is_true(math.abs(c.value) >= thr)
            check(c)
          end
        end
        check(t)
      end
      assert.is_true(assert(p:flame { min = 0.5 }).dropped > 0)
      assert.has_error(function() p:flame { min = 2 } end)
      local r, err = p:flame { sample = "nope" }
      assert.is_nil(r)
      assert.matches("nope", err)
    end)
  end)

  describe("symbolize", function()
    it("returns a copy with functions and lines of address-only locations from a resolver", function()
      local orig = assert(ge.profile.open(DIR .. "/goroutine.txt"))
      local before = orig:locations()
      local n = 0
      local p = assert(orig:symbolize(function(addr)
        n = n + 1
        return { { func = "inl" .. addr, file = "x.go", line = 7, inlined = true },
          { func = ("f%x"):format(addr), file = "x.go", line = 3 } }
      end))
      assert.is_true(n > 0)
      assert.is_true(ge.profile.is_profile(p))
      assert.are_not.equal(orig, p)
      local locs = p:locations()
      assert.are.equal(2, #locs[1].lines)
      assert.are.equal("x.go", locs[1].lines[1].file)
      local rows = p:top { by = "line" }
      assert.matches("x%.go:[37]$", rows[1].name)
      assert.are.equal(orig.format, p.format)
      assert.are.same(orig.sample_types, p.sample_types)
      -- the receiver is unchanged
      assert.are.same(before, orig:locations())
      assert.are.equal(0, #before[1].lines)
      -- a resolver object with :lookup works too, and errors propagate
      local q = assert(ge.profile.open(DIR .. "/mutex.txt"))
      assert(q:symbolize { lookup = function() return nil end })
      assert.has_error(function() q:symbolize(function() error("boom") end) end)
      assert.has_error(function() q:symbolize(42) end)
    end)

    -- An address-only (legacy) heap profile over functions of a committed
    -- Go binary: their entries and points inside them, one stack a line.
    local APP = H.root .. "/spec/fixtures/explain/app/app.test"
    local function app_profile(bin)
      local pcs = {}
      for i, f in ipairs(bin:funcs()) do
        if i % 5 == 0 and f["end"] > f.entry + 16 then pcs[#pcs + 1] = f.entry + 8 + 1 end
      end
      local lines = { ("heap profile: %d: %d [%d: %d] @ heap/1"):format(#pcs, #pcs * 64, #pcs, #pcs * 64) }
      for i = 1, #pcs - 2 do
        lines[#lines + 1] = ("1: %d [1: %d] @ 0x%x 0x%x 0x%x"):format(16 * i, 16 * i, pcs[i], pcs[i + 1], pcs[i + 2])
      end
      return assert(ge.profile.parse(table.concat(lines, "\n") .. "\n", "app-heap")), #pcs
    end

    it("resolves against a binary in C as the binary's lookup does, address by address", function()
      local bin = assert(ge.binary.open(APP))
      local p, npcs = app_profile(bin)
      assert.is_true(npcs > 100)
      local viac = assert(p:symbolize(bin))
      local calls = 0
      local vialua = assert(p:symbolize(function(a)
        calls = calls + 1
        return bin:lookup(a)
      end))
      assert.is_true(calls > 100)
      assert.are.same(vialua:locations(), viac:locations())
      for _, by in ipairs { "function", "line", "file" } do
        local a, ta = viac:top { by = by, n = 20 }
        local b, tb = vialua:top { by = by, n = 20 }
        assert.are.same(b, a)
        assert.are.equal(tb, ta)
        assert.is_nil(a[1].name:match("^0x"), a[1].name) -- symbolized, not an address
      end
      assert.are.equal(vialua:folded {}, viac:folded {})
      -- the receiver keeps its addresses
      for l in p:each_location() do assert.are.equal(0, #l.lines) end
      assert.has_error(function() bin:close(); p:symbolize(bin) end, "attempt to use a closed binary")
    end)

  end)

  describe("handle", function()
    it("is the goescape.profile userdata, with its attributes and methods", function()
      local p = assert(ge.profile.open(DIR .. "/heap.pb.gz"))
      assert.are.equal("userdata", type(p))
      assert.is_true(ge.profile.is_profile(p))
      assert.is_false(ge.profile.is_profile({}))
      assert.are.equal(p:info().nsamples, p.nsamples)
      assert.matches("^goescape%.profile %(%d+ samples, %d+ locations%)$", tostring(p))
      local m = assert(ge.profile.merge { p, p })
      assert.is_true(ge.profile.is_profile(m))
      assert.are.same(p.sample_types, m.sample_types)
      local d = assert(p:diff(p))
      assert.are.equal(p.default_sample, d.default_sample)
      p:close()
      p:close() -- closing twice is harmless
      assert.are.equal("goescape.profile (closed)", tostring(p))
      assert.has_error(function() p:top {} end)
      assert.has_error(function() ge.profile.merge { m, p } end)
    end)

    it("iterates over samples and locations: the records of samples() and locations()", function()
      local p = assert(ge.profile.open(DIR .. "/cpu.pb.gz"))
      for _, kind in ipairs { "sample", "location" } do
        local list, walked = p[kind .. "s"](p), {}
        for r in p["each_" .. kind](p) do walked[#walked + 1] = r end
        assert.is_true(#list > 0)
        assert.are.same(list, walked)
      end
      -- a profile closed while an iterator walks it: the next step raises
      local it = p:each_sample()
      assert.is_table(it())
      p:close()
      assert.has_error(function() it() end, "goescape: the profile is closed")
      local q = assert(ge.profile.open(DIR .. "/heap.txt"))
      local n = 0
      for _ in q:each_location() do n = n + 1 end
      assert.are.equal(#q:locations(), n)
    end)

    it("closes when a <close> variable goes out of scope (Lua 5.4)", function()
      if _VERSION ~= "Lua 5.4" then return end
      local chunk = assert(load([[
        local ge, path = ...
        local keep
        do
          local p <close> = assert(ge.profile.open(path))
          keep = p
          assert(#p:top {} > 0)
        end
        return keep
      ]]))
      local p = chunk(ge, DIR .. "/heap.pb.gz")
      assert.are.equal("goescape.profile (closed)", tostring(p))
    end)
  end)

  describe("bad input", function()
    local good
    setup(function() good = H.read(DIR .. "/allocs.pb.gz") end)

    it("reports a truncated gzip stream", function()
      local p, err = ge.profile.parse(good:sub(1, math.floor(#good / 2)), "a.pb.gz")
      assert.is_nil(p)
      assert.matches("^a%.pb%.gz: gzip: ", err)
    end)

    it("reports truncated and corrupted protobuf with the offset", function()
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local raw = p:encode(false)
      for _, cut in ipairs { 1, 7, 100, math.floor(#raw / 2), #raw - 3 } do
        local q, err = ge.profile.parse(raw:sub(1, cut), "t.pb")
        assert.is_nil(q)
        assert.matches("^t%.pb: ", err)
      end
      local q, err = ge.profile.parse(raw:sub(1, 40) .. "\255\255\255\255\255\255\255\255\255\255\255" .. raw:sub(41), "v.pb")
      assert.is_nil(q)
      assert.matches("offset %d+", err)
    end)

    it("names a missing location id", function()
      -- sample{location_id: 99999, value: 1}, sample_type{type:1}, string_table "", "x"
      local raw = "\10\2\8\1" .. "\18\6\8\159\141\6\16\1" .. "\50\0" .. "\50\1x"
      local p, err = ge.profile.parse(raw, "heap.pb")
      assert.is_nil(p)
      assert.are.equal("heap.pb: profile.proto: sample 0: location id 99999 not found (offset 6)", err)
    end)

    it("names an out-of-range string index: the field, the index, the table's size", function()
      local raw = "\10\2\8\9" .. "\50\0" -- sample_type{type: 9}, string_table ""
      local p, err = ge.profile.parse(raw, "s.pb")
      assert.is_nil(p)
      assert.are.equal("s.pb: profile.proto: sample_type 0: type: string index 9 out of range "
        .. "(string_table holds 1)", err)
      -- period_type{unit: 7}, string_table "", "x"
      p, err = ge.profile.parse("\90\2\16\7" .. "\50\0" .. "\50\1x", "p.pb")
      assert.is_nil(p)
      assert.are.equal("p.pb: profile.proto: period_type: unit: string index 7 out of range "
        .. "(string_table holds 2)", err)
    end)

    it("rejects an enormous varint", function()
      local p, err = ge.profile.parse("\72" .. ("\255"):rep(12) .. "\1", "big.pb")
      assert.is_nil(p)
      assert.matches("^big%.pb: profile%.proto: bad varint at offset 1", err)
    end)

    it("caps the inflated size of a decompression bomb", function()
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      local p2, err, code = ge.profile.parse(p:encode(true), "bomb.gz", { limits = { max_inflated_bytes = 1000 } })
      assert.is_nil(p2)
      assert.are.equal("limit", code)
      assert.matches("max_inflated_bytes", err)
    end)

    it("returns nil, err for a missing file and an empty one, and raises on misuse", function()
      local p, err = ge.profile.open(DIR .. "/nope.pb.gz")
      assert.is_nil(p)
      assert.is_string(err)
      assert.is_nil((ge.profile.parse("", "empty")))
      assert.has_error(function() ge.profile.open(42) end)
      assert.has_error(function() ge.profile.merge "x" end)
    end)
  end)

  describe("commands", function()
    it("top prints pprof-like rows and every row with -n 0", function()
      local out, rc = H.cli("top -n 0 --sample alloc_space " .. H.q(DIR .. "/allocs.pb.gz"))
      assert.are.equal(0, rc)
      assert.matches("flat%s+flat%%%s+sum%%%s+cum%s+cum%%", out)
      local _, n = oracle_top("allocs.pb.gz", "alloc_space", "bytes", nil)
      local rows = select(2, out:gsub("\n", "")) - 3
      assert.are.equal(n, rows)
    end)

    it("top -n 0 --nodefraction 0.005 keeps and drops the nodes go tool pprof -top does", function()
      local out, rc = H.cli("top -n 0 --nodefraction 0.005 --sample alloc_space " .. H.q(DIR .. "/allocs.pb.gz"))
      assert.are.equal(0, rc, out)
      local want = pprof("-top -sample_index=alloc_space", "allocs.pb.gz")
      local function rows(text)
        local names, started = {}, false
        for line in text:gmatch("[^\n]+") do
          if started then
            names[#names + 1] = (line:match("%S+%s+%S+%s+%S+%s+%S+%s+%S+%s+(.-)%s*$")
              :gsub(" %(inline%)$", ""):gsub(" %(partial%-inline%)$", ""))
          elseif line:match("^%s+flat%s+flat%%") then started = true end
        end
        table.sort(names)
        return names
      end
      assert.are.same(rows(want), rows(out))
      assert.are.equal(want:match("Dropped (%d+) nodes"), out:match("Dropped (%d+) nodes"))
      local ten = H.cli("top --sample alloc_space " .. H.q(DIR .. "/allocs.pb.gz"))
      assert.are.equal(10, #rows(ten))
    end)

    -- The whole report, from "Showing nodes" on: totals, percentages of the
    -- total pprof reports against (every sample, whatever focus and ignore
    -- dropped; the base's for a diff), the node cut-off of the selected
    -- sum, units, zero values and (inline)/(partial-inline) labels.
    local reports = {
      { "", "" }, { "-focus=main.mid", "--focus main.mid" }, { "-ignore=pprof", "--ignore pprof" },
      { "-lines", "--by line" }, { "-focus=main -hide=rec", "--focus main --hide rec" },
    }
    for _, r in ipairs(reports) do
      it("prints go tool pprof -top's report " .. (r[1] ~= "" and r[1] or "(plain)"), function()
        local want = pprof("-top -sample_index=alloc_space " .. r[1], "allocs.pb.gz")
        local out, rc = H.cli(("top -n 0 --nodefraction 0.005 --sample alloc_space %s %s")
          :format(r[2], H.q(DIR .. "/allocs.pb.gz")))
        assert.are.equal(0, rc, out)
        assert.are.equal(want:match("Showing nodes.*$"), out:match("Showing nodes.*$"))
      end)
    end
    it("prints go tool pprof -top -diff_base's report for top --base", function()
      local want = pprof("-top -sample_index=alloc_space -diff_base=heap.pb.gz", "allocs.pb.gz")
      local out, rc = H.cli(("top -n 0 --sample alloc_space --base %s %s")
        :format(H.q(DIR .. "/heap.pb.gz"), H.q(DIR .. "/allocs.pb.gz")))
      assert.are.equal(0, rc, out)
      assert.are.equal(want:match("Showing nodes.*$"), out:match("Showing nodes.*$"))
    end)

    it("top --tagfocus takes pprof's numeric ranges", function()
      local out, rc = H.cli("top -n 0 --sample alloc_space --tagfocus bytes=1kb: " .. H.q(DIR .. "/allocs.pb.gz"))
      assert.are.equal(0, rc, out)
      local _, total = assert(ge.profile.open(DIR .. "/allocs.pb.gz")):top { sample = "alloc_space", tagfocus = "bytes=1kb:" }
      assert.is_true(total > 0)
      local _, rc2, err = H.cli("folded --focus '\\pL' " .. H.q(DIR .. "/allocs.pb.gz"))
      assert.are.equal(1, rc2)
      assert.matches("focus: bad regular expression", err)
    end)

    it("every command that reads a profile takes the same profile options", function()
      local opts = { "--sample", "--focus", "--ignore", "--hide", "--show", "--tagfocus", "--tagignore" }
      for _, c in ipairs { "top", "folded", "merge", "flame", "hotspots", "growth", "html" } do
        local out = H.must(H.cli_cmd(c .. " --help"))
        for _, o in ipairs(opts) do assert.matches("%s" .. o:gsub("%-", "%%-") .. " ", out, 1, c .. " " .. o) end
      end
    end)

    it("says when a filter matches nothing: selecting ones fail, removing ones warn", function()
      local p = H.q(DIR .. "/allocs.pb.gz")
      for _, c in ipairs { "top", "folded", "flame", "merge" } do
        for _, f in ipairs { "--focus", "--show" } do
          local out, rc, err = H.cli(("%s %s zzzNoSuchFunc %s"):format(c, f, p))
          assert.are.equal(1, rc, c .. " " .. f .. ": " .. out)
          assert.matches(f .. ": no matches found for regexp: zzzNoSuchFunc", err, 1, true)
        end
      end
      local out, rc, err = H.cli("top --tagfocus bytes=zzz " .. p)
      assert.are.equal(1, rc, out)
      assert.matches("--tagfocus: no matches found for label: bytes=zzz", err, 1, true)
      for _, f in ipairs { "--ignore", "--hide" } do
        out, rc, err = H.cli(("top %s zzzNoSuchFunc %s"):format(f, p))
        assert.are.equal(0, rc, err)
        assert.matches("warning: " .. f .. ": no matches found for regexp: zzzNoSuchFunc", err, 1, true)
        assert.are.equal(H.must(H.cli_cmd("top " .. p)), out) -- the report is whole
      end
      -- a filter that matches prints no warning
      _, rc, err = H.cli("top --focus main " .. p)
      assert.are.equal(0, rc)
      assert.are.equal("", err)
    end)

    it("top --json prints one object per row with plain numbers", function()
      local out, rc = H.cli("top --json -n 5 --by line " .. H.q(DIR .. "/cpu.pb.gz"))
      assert.are.equal(0, rc)
      local n = 0
      for line in out:gmatch("[^\n]+") do
        n = n + 1
        -- pprof's label of inlined rows, when there is one
        assert.matches('^{"name":".-","func":".-","file":".-","line":%d+,"flat":%d+,"cum":%d+,"unit":"nanoseconds"[^}]*}$', line)
        local inl = line:match(',"inline":"([^"]+)"}$')
        assert.is_true(inl == nil or inl == "inline" or inl == "partial-inline", line)
      end
      assert.are.equal(5, n)
    end)

    it("flame and html read a profile whose sample type is named by digits", function()
      -- a fuzzer's seed: one sample type, named "0" (a name, not an index)
      local seed = H.root .. "/fuzz/corpus/profile_proto/5ea0de772a05b57c123bd6c34ba28f07d941c455"
      local d = H.tmpdir("profile-digits-" .. H.lua)
      for _, c in ipairs { "flame -o " .. H.q(d .. "/f.svg"), "html --profile", "top" } do
        local out, rc, err = H.cli(c .. " " .. H.q(seed) .. (c:match("^html") and (" -o " .. H.q(d .. "/r.html")) or ""))
        assert.are.equal(0, rc, c .. ": " .. out .. err)
      end
    end)

    it("top fails with one line for bad input", function()
      local bad = H.tmpdir("profile-cli-" .. H.lua) .. "/bad.pb.gz"
      H.write(bad, "\31\139garbage")
      local _, rc, err = H.cli("top " .. H.q(bad))
      assert.are.equal(1, rc)
      assert.matches("^goescape: .*bad%.pb%.gz: gzip", err)
    end)

    it("folded, top --base and merge work from the command line", function()
      local d = H.tmpdir("profile-cli2-" .. H.lua)
      local out, rc = H.cli("folded " .. H.q(DIR .. "/cpu.pb.gz"))
      assert.are.equal(0, rc)
      assert.matches("main%.spin %d+\n", out)
      out, rc = H.cli("top --base " .. H.q(DIR .. "/heap.pb.gz") .. " -n 3 " .. H.q(DIR .. "/allocs.pb.gz"))
      assert.are.equal(0, rc, out)
      out, rc = H.cli("merge -o " .. H.q(d .. "/m.pb.gz") .. " " .. H.q(DIR .. "/allocs.pb.gz") .. " "
        .. H.q(DIR .. "/heap.pb.gz"))
      assert.are.equal(0, rc, out)
      local m = assert(ge.profile.open(d .. "/m.pb.gz"))
      local o = assert(ge.profile.open(DIR .. "/merged.pb.gz"))
      assert.are.same(select(2, o:top {}), select(2, m:top {}))
    end)
  end)
end)
