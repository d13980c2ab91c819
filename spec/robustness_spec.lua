-- Robustness: every input kind cut short (40 offsets spread over the file and
-- each of the first 64 bytes) and with bytes flipped at deterministic
-- pseudo-random places, through the Lua API. Each call must return a result
-- or nil, err where err names the input and says where (an offset, line or
-- index) or what was expected; it must never raise. Then every limit of
-- doc/limits.md, hit with a small value on a real input, and the command
-- line on bad input: one "goescape: " line on stderr, exit status 1.
local H = require "spec.helpers"
local ge = require "goescape"

local ESC = H.root .. "/spec/fixtures/escape"
local GO = "env -u LD_PRELOAD GOTOOLCHAIN=local go"
local TMP = H.tmpdir("robustness")

-- The same cache as profile_spec.lua (same name, same commands).
local PROF = H.cached("profile-gen", function(d)
  local fix = H.root .. "/spec/fixtures/profile"
  H.must(("cd %s/src && %s build -o %s/profgen . && cd %s && ./profgen %s")
    :format(H.q(fix), GO, H.q(d), H.q(d), H.q(d)))
  H.must(("cd %s && %s tool pprof -proto allocs.pb.gz heap.pb.gz > merged.pb.gz")
    :format(H.q(d), GO))
end)

-- The binaries of binary_spec.lua (same cache): the machine's Go if present.
local BIN
do
  local cs = H.go_compilers()
  local c = cs[1]
  for _, x in ipairs(cs) do if x.go == "GOTOOLCHAIN=local go" then c = x end end
  if c then
    local dir = H.cached("binary2-" .. c.name, function(d)
      H.must(("bash %s/spec/fixtures/binary/build.sh %s %s %s")
        :format(H.root, H.q(d), c.name, c.go))
    end)
    BIN = { stripped = dir .. "/" .. c.name .. ".stripped", dwarf = dir .. "/" .. c.name .. ".normal" }
  end
end

local LOGOPT_DIR = ESC .. "/go1.26.logopt"
local LOGOPT = LOGOPT_DIR .. "/example.com%2Fescfix%2Flib%2Fsub/lib.json"
local PLAIN = TMP .. "/heap.pb"
H.must(("gzip -dc < %s > %s"):format(H.q(PROF .. "/heap.pb.gz"), H.q(PLAIN)))

-- A deterministic generator (an LCG; the same sequence on every Lua).
local seed = 1
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n
end

local function flip(s, pos) -- pos 1-based
  local b = s:byte(pos)
  local nb = (b + 1 + rnd(255)) % 256
  return s:sub(1, pos - 1) .. string.char(nb) .. s:sub(pos + 1)
end

-- The cut offsets: 40 spread over the input, and 0..63.
local function cuts(len)
  local list, seen = {}, {}
  local function add(n) if n < len and not seen[n] then seen[n] = true; list[#list + 1] = n end end
  for i = 0, 63 do add(i) end
  for i = 1, 40 do add(math.floor(len * i / 41)) end
  return list
end

-- err must be a string that names the input and says where or what.
local function check_err(name, case, err)
  assert(type(err) == "string", case .. ": error is not a string: " .. tostring(err))
  assert(err:sub(1, #name + 2) == name .. ": ", case .. ": error does not name the input: " .. err)
  local rest = err:sub(#name + 3)
  assert(not rest:find("\n"), case .. ": error spans lines: " .. err)
  assert(rest:find("%d") or rest:find("expected") or rest:find("^empty input$") or rest:find("^not an ELF") or rest:find("^no pclntab found"),
    case .. ": error says neither where nor what was expected: " .. err)
end

-- Calls fn(...) protected: returns its results, or fails the test if it raised.
local function safe(case, fn, ...)
  local r = { pcall(fn, ...) }
  if not r[1] then error(case .. ": raised: " .. tostring(r[2]), 0) end
  return r[2], r[3]
end

local function rd(path) return H.read(path) end

-- Runs `load(bytes, case)` over every cut and every flip; load returns the
-- number of error results. Returns counts for a sanity check.
local function torture(s, nflips, load, flip_at)
  seed = #s
  local stats = { errors = 0, results = 0 }
  local function run(case, bytes)
    if load(bytes, case) then stats.errors = stats.errors + 1 else stats.results = stats.results + 1 end
  end
  for _, n in ipairs(cuts(#s)) do run("cut at " .. n, s:sub(1, n)) end
  for _ = 1, nflips do
    local pos = flip_at and flip_at() or (rnd(#s) + 1)
    run("byte " .. (pos - 1) .. " flipped", flip(s, pos))
  end
  return stats
end

describe("corrupted input", function()
  local function log_load(name)
    return function(bytes, case)
      case = name .. ", " .. case
      local log, err = safe(case, ge.escape.parse, bytes, name)
      if not log then check_err(name, case, err); return true end
      safe(case, function()
        for _, d in ipairs(log:list()) do assert(d.kind and d.line) end
        log:summary()
        log:group { by = "func" }
      end)
      return false
    end
  end

  it("text escape logs (-m=2) give records or a located error", function()
    local s = rd(ESC .. "/go1.26.m2.log")
    local st = torture(s, 80, log_load("go1.26.m2.log"))
    assert.is_true(st.results > 0)
    -- The file API and the streaming reader too, on a few cuts.
    local p = TMP .. "/cut.m2.log"
    for _, n in ipairs { 0, 7, 1000, math.floor(#s / 2) } do
      H.write(p, s:sub(1, n) .. "\0" .. s:sub(n + 1, n + 3000))
      local log, err = safe("open", ge.escape.open, p)
      if not log then check_err(p, "open, NUL at " .. n, err) end
      local stats, serr = safe("stream", ge.escape.stream, p, function() end)
      if not stats then check_err(p, "stream, NUL at " .. n, serr) end
    end
  end)

  it("logopt JSON gives records or a located error", function()
    local s = rd(LOGOPT)
    local st = torture(s, 120, log_load("lib.json"))
    assert.is_true(st.errors > 0 and st.results > 0)
  end)

  local function prof_load(name)
    return function(bytes, case)
      case = name .. ", " .. case
      local p, err = safe(case, ge.profile.parse, bytes, name)
      if not p then check_err(name, case, err); return true end
      safe(case, function()
        p:samples(); p:locations()
        local rows, e = p:top { by = "line" }
        assert(rows or type(e) == "string")
        p:folded()
        p:encode()
        p:close()
      end)
      return false
    end
  end

  it("gzipped profile.proto: every cut and every flip of the compressed data is an error", function()
    local s = rd(PROF .. "/heap.pb.gz")
    -- The deflate data starts at 10 (no optional header fields); its last
    -- byte may hold padding bits, and the 8-byte trailer follows it.
    local st = torture(s, 80, prof_load("heap.pb.gz"), function() return 11 + rnd(#s - 19) end)
    assert.are.equal(0, st.results)
  end)

  it("plain profile.proto gives a profile or a located error", function()
    local s = rd(PLAIN)
    local st = torture(s, 150, prof_load("heap.pb"))
    assert.is_true(st.errors > 0 and st.results > 0)
  end)

  it("legacy heap text gives a profile or a located error", function()
    local s = rd(PROF .. "/heap.txt")
    local st = torture(s, 100, prof_load("heap.txt"))
    assert.is_true(st.errors > 0 and st.results > 0)
  end)

  -- ELF64 little-endian readers, for the section table of the fixtures.
  local function u(s, off, n)
    local v = 0
    for i = n, 1, -1 do v = v * 256 + s:byte(off + i) end
    return v
  end
  local function sections(s)
    local shoff, shentsize, shnum, shstrndx = u(s, 0x28, 8), u(s, 0x3A, 2), u(s, 0x3C, 2), u(s, 0x3E, 2)
    local strtab = u(s, shoff + shstrndx * shentsize + 0x18, 8)
    local t = { ["(section headers)"] = { off = shoff, size = shnum * shentsize } }
    t["(program headers)"] = { off = u(s, 0x20, 8), size = u(s, 0x38, 2) * u(s, 0x36, 2) }
    t["(ELF header)"] = { off = 0, size = 64 }
    for i = 0, shnum - 1 do
      local h = shoff + i * shentsize
      local name = s:match("^[^%z]*", strtab + u(s, h, 4) + 1)
      t[name] = { off = u(s, h + 0x18, 8), size = u(s, h + 0x20, 8), type = u(s, h + 4, 4) }
    end
    return t
  end

  local function torture_binary(path, regions, with_dwarf)
    local s = rd(path)
    local name = TMP .. "/" .. path:match("[^/]+$")
    local good = assert(ge.binary.open(path))
    local pcs = {}
    local fs = assert(good:funcs())
    local step = math.max(1, math.floor(#fs / 25))
    for i = 1, #fs, step do
      local f = fs[i]
      pcs[#pcs + 1] = f.entry
      pcs[#pcs + 1] = f.entry + math.floor((f["end"] - f.entry) / 2)
    end
    pcs[#pcs + 1] = 0
    pcs[#pcs + 1] = 4503599627370496
    good:close()
    local secs = sections(s)
    local targets = {}
    for _, r in ipairs(regions) do
      local sec = secs[r[1]] or {}
      assert(r.optional or (sec.size or 0) > 0, "no section " .. r[1])
      for _ = 1, (sec.size or 0) > 0 and sec.type ~= 8 and r[2] or 0 do
        -- Half the flips in the first 256 bytes (headers), half anywhere.
        local span = (rnd(2) == 0) and math.min(256, sec.size) or sec.size
        targets[#targets + 1] = sec.off + rnd(span) + 1
      end
    end
    local i = 0
    local function load(bytes, case)
      case = name .. ", " .. case
      H.write(name, bytes)
      local b, err = safe(case, ge.binary.open, name)
      if not b then check_err(name, case, err); return true end
      safe(case, function()
        b:funcs()
        for _, pc in ipairs(pcs) do
          local fr, e = b:lookup(pc)
          if not fr then check_err(name, case .. ", lookup " .. pc, e) end
        end
        b:lookup_many(pcs)
        if with_dwarf and b.has_dwarf then
          local d, e = b:dwarf()
          if not d and e then check_err(name, case .. ", dwarf", e) end
        end
        b:close()
      end)
      return false
    end
    seed = #s
    local st = torture(s, #targets, load, function() i = i + 1; return targets[i] end)
    os.remove(name)
    return st
  end

  -- A trace that opens is walked by every method: none may raise (a cut
  -- trace keeps its complete generations; a flipped byte is an error at
  -- open, or values that every walk takes as they come).
  local function trace_load(name)
    return function(bytes, case)
      case = name .. ", " .. case
      local t, err = safe(case, ge.trace.parse, bytes, name)
      if not t then check_err(name, case, err); return true end
      safe(case, function()
        t:summary()
        assert(t:count() == t.events)
        for _ in t:each { type = { "HeapAlloc", "UserLog", "CPUSample" } } do end
        t:heap(); t:gc(); for _ in t:each_goroutine() do end
        t:tasks(); t:regions(); t:logs(); t:allocs()
        for _, by in ipairs { "goroutine", "region", "task" } do t:growth { by = by } end
        t:timeline { buckets = 50 }
        local l, e = t:lifetimes()
        assert(l or type(e) == "string")
        for _, k in ipairs { "sched", "sync", "net", "syscall", "cpu" } do
          local p, pe = t:pprof(k)
          assert(p or type(pe) == "string")
        end
      end)
      t:close()
      return false
    end
  end

  for _, f in ipairs { "go126-annot", "go126-allocfree", "go122-annotations" } do
    it(("execution traces (%s) open and walk, or give a located error"):format(f), function()
      local name = f .. ".trace"
      local s = rd(H.root .. "/spec/fixtures/trace/data/" .. name)
      local st = torture(s, 150, trace_load(name))
      assert.is_true(st.errors > 0 and st.results > 0)
    end)
  end

  it("a stripped Go binary (-ldflags='-s -w') opens and looks up or gives a located error", function()
    if not BIN then pending("no Go compiler") return end
    local st = torture_binary(BIN.stripped, {
      { "(ELF header)", 10 }, { "(program headers)", 6 }, { "(section headers)", 12 },
      { ".gopclntab", 40 }, { ".go.buildinfo", 8 }, { ".text", 4 },
    })
    assert.is_true(st.errors > 0 and st.results > 0)
  end)

  it("a Go binary with DWARF opens, looks up and reads DWARF or gives a located error", function()
    if not BIN then pending("no Go compiler") return end
    local st = torture_binary(BIN.dwarf, {
      { "(section headers)", 6 }, { ".gopclntab", 10 }, { ".debug_info", 16 },
      { ".debug_abbrev", 8 }, { ".debug_line", 8 }, { ".debug_frame", 4, optional = true },
      { ".debug_loc", 4, optional = true }, { ".debug_ranges", 4, optional = true },
    }, true)
    assert.is_true(st.errors > 0 and st.results > 0)
  end)
end)

describe("limits", function()
  local function is_limit(what, name, r, err, code)
    assert.is_nil(r, what .. " was accepted")
    assert.are.equal("limit", code, tostring(err))
    assert.is_truthy(err:find(name, 1, true), err)
    assert.is_truthy(err:find("raise", 1, true), "the error does not say how to raise " .. name .. ": " .. err)
  end

  it("max_line_bytes stops a long line of a text log", function()
    local s = rd(ESC .. "/go1.26.m2.log")
    is_limit("parse", "max_line_bytes", ge.escape.parse(s, "m2.log", { limits = { max_line_bytes = 40 } }))
    local st, err, code = ge.escape.stream(ESC .. "/go1.26.m2.log", function() end,
      { limits = { max_line_bytes = 40 } })
    is_limit("stream", "max_line_bytes", st, err, code)
    assert.is_truthy(err:find("go1.26.m2.log", 1, true), err)
  end)

  it("max_flow_steps stops a long -m=2 explanation", function()
    local s = rd(ESC .. "/go1.26.m2.log")
    is_limit("parse", "max_flow_steps", ge.escape.parse(s, "m2.log", { limits = { max_flow_steps = 1 } }))
  end)

  it("max_records stops logs and profiles", function()
    is_limit("log", "max_records",
      ge.escape.parse(rd(ESC .. "/go1.26.m1.log"), "m1.log", { limits = { max_records = 3 } }))
    is_limit("logopt", "max_records", ge.escape.open(LOGOPT, { limits = { max_records = 3 } }))
    is_limit("proto", "max_records", ge.profile.parse(rd(PROF .. "/heap.pb.gz"), "heap.pb.gz", { limits = { max_records = 3 } }))
    is_limit("legacy", "max_records", ge.profile.parse(rd(PROF .. "/heap.txt"), "heap.txt", { limits = { max_records = 3 } }))
  end)

  it("max_profile_ratio stops a profile that would take too much memory decoded", function()
    -- past the 1 MiB every profile has: the heap profile's samples repeated
    local big = H.pb_scale_samples(rd(PLAIN), 4e6)
    assert(ge.profile.parse(big, "big.pb"))
    is_limit("proto", "max_profile_ratio", ge.profile.parse(big, "big.pb", { limits = { max_profile_ratio = 1 } }))
    H.write(TMP .. "/big.pb", big)
    local _, rc, err = H.sh("GOESCAPE_LIMITS=max_profile_ratio=1 " .. H.cli_cmd("top " .. H.q(TMP .. "/big.pb")))
    assert.are.equal(1, rc)
    assert.matches("^goescape: [^\n]*big.pb: profile.proto: its %d+ bytes would take[^\n]*"
      .. "GOESCAPE_LIMITS=max_profile_ratio=N[^\n]*\n$", err)
    -- legacy text: one-frame heap samples (68 bytes each decoded, for 18 of text)
    local txt = "heap profile: 1: 2 [3: 4] @ heap/1048576\n" .. ("0: 0 [0: 0] @ 0x1\n"):rep(400000)
    assert(ge.profile.parse(txt, "heap.txt"))
    local lp, lerr, lcode = ge.profile.parse(txt, "heap.txt", { limits = { max_profile_ratio = 2 } })
    is_limit("legacy", "max_profile_ratio", lp, lerr, lcode)
    assert.matches("heap.txt: legacy profile: line %d+: the profile takes more than", lerr)
  end)

  it("max_inflated_bytes stops a gzip profile that inflates too far", function()
    is_limit("gzip", "max_inflated_bytes",
      ge.profile.parse(rd(PROF .. "/heap.pb.gz"), "heap.pb.gz", { limits = { max_inflated_bytes = 1000 } }))
    is_limit("open", "max_inflated_bytes", ge.profile.open(PROF .. "/heap.pb.gz", { limits = { max_inflated_bytes = 1000 } }))
  end)

  it("max_dir_files stops a large logopt tree", function()
    is_limit("dir", "max_dir_files", ge.escape.open(LOGOPT_DIR, { limits = { max_dir_files = 2 } }))
  end)

  it("max_inline_depth stops a deep inline chain", function()
    if not BIN then pending("no Go compiler") return end
    local b = assert(ge.binary.open(BIN.stripped))
    local pc
    for f in b:each_func() do
      for a = f.entry, math.min(f["end"] - 1, f.entry + 400) do
        local fr = b:lookup(a)
        if fr and #fr >= 3 then pc = a break end
      end
      if pc then break end
    end
    b:close()
    assert.is_not_nil(pc, "no PC with two inlined frames")
    local small = assert(ge.binary.open(BIN.stripped, { limits = { max_inline_depth = 1 } }))
    is_limit("lookup", "max_inline_depth", small:lookup(pc))
    small:close()
  end)
end)

describe("the command on bad input", function()
  local function one_line(args, stdin)
    local out, rc, err = H.cli(args .. (stdin and (" < " .. H.q(stdin)) or " < /dev/null"))
    assert.are.equal(1, rc, args .. ": exit status " .. tostring(rc) .. "\n" .. out .. err)
    assert.is_truthy(err:match("^goescape: [^\n]+\n$"), args .. ": stderr is not one goescape: line:\n" .. err)
    assert.is_falsy(err:find("traceback", 1, true), err)
  end

  local garbage, tgz, tlog, tbin, pcs
  setup(function()
    garbage = TMP .. "/garbage.bin"
    H.write(garbage, "garbage\0\1\2\3")
    local gz = rd(PROF .. "/heap.pb.gz")
    tgz = TMP .. "/cut.pb.gz"
    H.write(tgz, gz:sub(1, math.floor(#gz / 2)))
    tlog = TMP .. "/cut.json"
    H.write(tlog, rd(LOGOPT):sub(1, 150))
    pcs = TMP .. "/pcs.txt"
    H.write(pcs, "0x401000\n")
    if BIN then
      tbin = TMP .. "/cut.bin"
      H.write(tbin, rd(BIN.stripped):sub(1, 5000))
    end
  end)

  it("escapes and summary", function()
    for _, c in ipairs { "escapes", "summary" } do
      one_line(c .. " " .. H.q(garbage))
      one_line(c .. " " .. H.q(tlog))
      one_line(c .. " " .. H.q(TMP .. "/missing.log"))
    end
  end)

  it("top, top --base, folded, diff and merge", function()
    for _, f in ipairs { garbage, tgz, TMP .. "/missing.pb.gz" } do
      one_line("top " .. H.q(f))
      one_line("folded " .. H.q(f))
      one_line("top --base " .. H.q(PROF .. "/heap.pb.gz") .. " " .. H.q(f))
      one_line("top --base " .. H.q(f) .. " " .. H.q(PROF .. "/heap.pb.gz"))
      one_line("merge -o " .. H.q(TMP .. "/merged.pb.gz") .. " " .. H.q(PROF .. "/heap.pb.gz") .. " " .. H.q(f))
    end
    one_line("diff " .. H.q(tlog) .. " " .. H.q(tlog))
  end)

  it("info and symbolize", function()
    for _, f in ipairs { garbage, tbin or garbage, TMP .. "/missing" } do
      one_line("info " .. H.q(f))
      one_line("symbolize " .. H.q(f), pcs)
    end
  end)

  it("hotspots", function()
    one_line("hotspots --escape " .. H.q(garbage) .. " --profile " .. H.q(PROF .. "/heap.pb.gz"))
    one_line("hotspots --escape " .. H.q(ESC .. "/go1.26.m2.log") .. " --profile " .. H.q(tgz))
    if tbin then
      one_line("hotspots --escape " .. H.q(ESC .. "/go1.26.m2.log") .. " --profile "
        .. H.q(PROF .. "/heap.pb.gz") .. " --binary " .. H.q(tbin))
    end
  end)
end)
