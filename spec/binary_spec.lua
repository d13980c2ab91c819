-- ge.binary: Go ELF binaries built here by three compilers in five modes, and
-- Go binaries shipped in npm packages (esbuild, Go 1.14 … 1.26). Oracles run
-- in the same process: go tool addr2line, llvm-symbolizer --inlining, go
-- version -m.
local H = require "spec.helpers"
local ge = require "goescape"

local FIX = H.root .. "/spec/fixtures/binary"
local MODES = { "normal", "stripped", "pie", "ext", "extpie" }
local DWARF_MODES = { normal = true, pie = true, ext = true, extpie = true }
local ORACLE_GO = "GOTOOLCHAIN=local go"

-- { {name=, version=, mode=, path=}, ... } for every compiler and mode built.
local builds = {}
for _, c in ipairs(H.go_compilers()) do
  local dir = H.cached("binary2-" .. c.name, function(d)
    H.must(("bash %s/build.sh %s %s %s"):format(FIX, H.q(d), c.name, c.go))
  end)
  for _, m in ipairs(MODES) do
    local p = dir .. "/" .. c.name .. "." .. m
    if H.exists(p) then
      builds[#builds + 1] = { name = c.name .. "." .. m, version = c.version, mode = m, path = p }
    end
  end
end

local npm_dir, npm_err
do
  local ok, err = pcall(H.cached, "binary-npm", function(d)
    H.must(("bash %s/npm.sh %s"):format(FIX, H.q(d)))
  end)
  if ok then npm_dir = err else npm_err = tostring(err):match("[^\n]*") end
end
local NPM = {
  { "esbuild-linux-64-0.5.26", "go1.14.2", "1.2" },
  { "esbuild-linux-64-0.8.57", "go1.16", "1.16" },
  { "esbuild-linux-64-0.13.15", "go1.17.2", "1.16" },
  { "esbuild-linux-64-0.15.18", "go1.19.3", "1.18" },
  { "esbuild-linux-x64-0.17.19", "go1.20.4", "1.20" },
  { "esbuild-linux-x64-0.24.2", "go1.23.1", "1.20" },
  { "esbuild-linux-x64-0.28.2", nil, "1.20" }, -- buildinfo removed by esbuild; Go 1.26
}

local function hex(pc) return ("0x%x"):format(pc) end

-- A spread of PCs: a few offsets into every step-th function, every PC of
-- the functions matching `all` (our fixture code).
local function sample_pcs(b, n, all)
  local pcs, step, i = {}, math.max(1, math.floor(b.nfuncs / n)), 0
  for f in b:each_func() do
    i = i + 1
    if all and (f.name:match(all)) then
      for pc = f.entry, f["end"] - 1 do pcs[#pcs + 1] = pc end
    elseif i % step == 0 then
      for _, d in ipairs { 0, 7, 29 } do
        if f.entry + d < f["end"] then pcs[#pcs + 1] = f.entry + d end
      end
    end
  end
  return pcs
end

-- Shuffles t in place, the same way for the same seed.
local function shuffle(t, seed)
  math.randomseed(seed)
  for k = #t, 2, -1 do
    local j = math.random(1, k)
    t[k], t[j] = t[j], t[k]
  end
end

-- b:lookup_many(pcs), checked against one-by-one lookups on a fresh handle
-- (no state shared with the batch), some of them with inlined frames.
local function lookup_many_as_singles(b, bd, pcs)
  local many = b:lookup_many(pcs)
  assert.are.equal(#pcs, #many)
  for k, fr in ipairs(many) do assert.is_nil(fr.error, bd.name .. " " .. tostring(pcs[k])) end
  local b1 = assert(ge.binary.open(bd.path))
  local inl = 0
  for k, pc in ipairs(pcs) do
    local one = assert(b1:lookup(pc))
    assert.are.same(one, many[k], bd.name .. " " .. tostring(pc))
    if #one > 1 then inl = inl + 1 end
  end
  assert.is_true(inl > 0, bd.name .. ": no inlined frames compared")
  b1:close()
  return many
end

local function write_pcs(pcs)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "w"))
  for _, pc in ipairs(pcs) do f:write(hex(pc), "\n") end
  f:close()
  return tmp
end

-- go tool addr2line: physical function and innermost file:line per PC
-- (run once per build: H.oracle_output).
local function addr2line(path, pcs)
  local tmp = write_pcs(pcs)
  local digest = 0
  for i, pc in ipairs(pcs) do digest = (digest * 31 + pc % 1000003 + i) % 4294967291 end
  local out = H.oracle_output(("addr2line %s %d %d"):format(path, #pcs, digest),
    ORACLE_GO .. " tool addr2line " .. H.q(path) .. " < " .. tmp, { path })
  os.remove(tmp)
  local res, i = {}, 0
  for fn, pos in out:gmatch("([^\n]*)\n([^\n]*)\n") do
    i = i + 1
    res[i] = { fn = fn, pos = pos }
  end
  return res
end

-- llvm-symbolizer --inlining: "func file:line" per frame, innermost first.
local function llvm(path, pcs)
  local tmp = write_pcs(pcs)
  local out = H.must("llvm-symbolizer --inlining --obj=" .. H.q(path) .. " < " .. tmp)
  os.remove(tmp)
  local res = {}
  for block in (out .. "\n"):gmatch("(.-)\n\n") do
    local frames, lines = {}, {}
    for l in (block .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
    for k = 1, #lines - 1, 2 do
      frames[#frames + 1] = lines[k]:gsub("%.abi0$", "") .. " " .. lines[k + 1]:gsub(":%d+$", "")
    end
    res[#res + 1] = frames
  end
  return res
end

local function describe_frames(fr)
  local t = {}
  for i, f in ipairs(fr) do t[i] = f.func .. " " .. f.file .. ":" .. f.line end
  return t
end

-- go version -m: {go=, path=, mod=, deps={...}, build={k=v}}.
local function go_version_m(path)
  local out = H.must(ORACLE_GO .. " version -m " .. H.q(path))
  local r = { go = out:match("^[^\n]*: (go[^\n]*)\n"), deps = {}, build = {} }
  local last
  for line in out:gmatch("\t([^\n]*)") do
    local f = {}
    for x in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x end
    if f[1] == "path" then r.path = f[2]
    elseif f[1] == "mod" then r.mod = { path = f[2], version = f[3], sum = f[4] or "" }; last = r.mod
    elseif f[1] == "dep" then
      last = { path = f[2], version = f[3], sum = f[4] or "" }
      r.deps[#r.deps + 1] = last
    elseif f[1] == "=>" then last.replace = { path = f[2], version = f[3], sum = f[4] or "" }
    elseif f[1] == "build" then
      local k, v = f[2]:match("^([^=]*)=(.*)$")
      r.build[k] = v
    end
  end
  return r
end

local function copy_with(src, dst, edits)
  local data = H.read(src)
  for _, e in ipairs(edits) do
    data = data:sub(1, e[1]) .. e[2] .. data:sub(e[1] + #e[2] + 1)
  end
  H.write(dst, data)
  return data
end

local function le(n, bytes)
  local t = {}
  for i = 1, bytes do t[i] = string.char(n % 256); n = math.floor(n / 256) end
  return table.concat(t)
end

describe("ge.binary.open", function()
  it("reads the pclntab format, PIE and strip flags of every fixture build", function()
    assert.is_true(#builds >= 3, "no Go compiler built the fixtures")
    for _, bd in ipairs(builds) do
      local b = assert(ge.binary.open(bd.path))
      local want = bd.version == "1.19" and "1.18" or "1.20"
      assert.are.equal(want, b.pclntab_version, bd.name)
      assert.are.equal(bd.mode == "pie" or bd.mode == "extpie", b.pie, bd.name)
      assert.are.equal(bd.mode == "stripped", b.stripped, bd.name)
      assert.are.equal(DWARF_MODES[bd.mode] == true, b.has_dwarf, bd.name)
      assert.is_true(b.inline, bd.name)
      assert.is_true(b.nfuncs > 1000, bd.name)
      b:close()
    end
  end)

  it("returns nil, an error and a code for a missing file and a non-ELF file", function()
    local b, err, code = ge.binary.open(H.root .. "/no/such/binary")
    assert.is_nil(b)
    assert.matches("no/such/binary", err)
    assert.are.equal("io", code)
    b, err, code = ge.binary.open(FIX .. "/build.sh")
    assert.is_nil(b)
    assert.matches("not an ELF file", err)
    assert.are.equal("format", code)
  end)

  it("raises when the path is not a string", function()
    assert.has_error(function() ge.binary.open(42) end)
    assert.has_error(function() ge.core.binary_open({}) end)
  end)

  it("rejects a closed binary with an error, not a crash", function()
    local b = assert(ge.binary.open(builds[1].path))
    b:close()
    assert.has_error(function() b:lookup(0x401000) end, "attempt to use a closed binary")
  end)
end)

describe("the binary handle", function()
  it("is the goescape.binary userdata, with read-only attributes and the Lua methods", function()
    local bd = builds[1]
    local b = assert(ge.binary.open(bd.path))
    assert.are.equal("userdata", type(b))
    assert.is_true(ge.binary.is_binary(b))
    assert.is_false(ge.binary.is_binary({}))
    assert.are.equal(bd.path, b.file)
    assert.are.equal(b:info().go_version, b.go_version)
    assert.are.equal(b:info().main_path, b.path)
    assert.has_error(function() b.go_version = "x" end)
    assert.are.equal(("goescape.binary %s (%s)"):format(bd.path, b.go_version), tostring(b))
    -- goescape.core's handle is the same class: the Lua methods, no attributes
    local raw = assert(ge.core.binary_open(bd.path))
    assert.is_true(ge.binary.is_binary(raw))
    assert.is_nil(raw.go_version)
    local main = assert(raw:func("main.main"))
    assert.are.equal(select(2, b:call_target(main.entry)), select(2, raw:call_target(main.entry)))
    raw:close()
    b:close()
    b:close() -- twice is allowed
    assert.are.equal(("goescape.binary %s (closed)"):format(bd.path), tostring(b))
    assert.has_error(function() b:dwarf() end, "attempt to use a closed binary")
    assert.has_error(function() b:call_target(main.entry) end, "attempt to use a closed binary")
  end)

  it("caches dwarf() until closed; a units subset is not cached", function()
    for _, bd in ipairs(builds) do
      if DWARF_MODES[bd.mode] then
        local b = assert(ge.binary.open(bd.path))
        local d = assert(b:dwarf())
        assert.are.equal(d, b:dwarf())
        local some = assert(b:dwarf { units = { "main" } })
        assert.are_not.equal(some, b:dwarf { units = { "main" } })
        assert.are.equal(d, b:dwarf())
        assert.has_error(function() b:dwarf { unit = { "main" } } end, "binary:dwarf: unknown option 'unit'")
        b:close()
        assert.has_error(function() b:dwarf() end, "attempt to use a closed binary")
        break
      end
    end
  end)

  it("frees itself when collected", function()
    for _ = 1, 20 do assert(ge.binary.open(builds[1].path)) end
    collectgarbage()
    collectgarbage()
  end)

  if _VERSION == "Lua 5.4" then
    it("closes at the end of a <close> block (Lua 5.4)", function()
      local chunk = assert(load([[
        local ge, path = ...
        local kept
        do
          local b <close> = assert(ge.binary.open(path))
          kept = b
          assert(#b:lookup(b:func("main.loop").entry) > 0)
        end
        return kept
      ]]))
      local b = chunk(ge, builds[1].path)
      assert.has_error(function() b:funcs() end, "attempt to use a closed binary")
      assert.matches("%(closed%)$", tostring(b))
    end)
  end
end)

describe("buildinfo", function()
  it("matches go version -m for every fixture build", function()
    for _, bd in ipairs(builds) do
      local want = go_version_m(bd.path)
      local b = assert(ge.binary.open(bd.path))
      assert.are.equal(want.go, b.go_version, bd.name)
      assert.are.equal(want.path, b.path, bd.name)
      assert.are.same(want.mod, b.module, bd.name)
      assert.are.same(want.deps, b.deps, bd.name)
      assert.are.same(want.build, b.settings, bd.name)
      assert.are.equal("./dep", b.deps[1].replace.path)
      b:close()
    end
  end)

  it("reads the pre-1.18 pointer form and the 1.18+ inline form from npm binaries", function()
    if not npm_dir then return pending("npm unreachable, npm binaries skipped: " .. tostring(npm_err)) end
    for _, n in ipairs(NPM) do
      local path = npm_dir .. "/" .. n[1] .. ".bin"
      local b = assert(ge.binary.open(path))
      assert.are.equal(n[2], b.go_version, n[1])
      assert.are.equal(n[3], b.pclntab_version, n[1])
      if n[2] then
        local want = go_version_m(path)
        assert.are.equal(want.path, b.path, n[1])
        assert.are.same(want.deps, b.deps, n[1])
        assert.are.same(want.build, b.settings, n[1])
      end
      b:close()
    end
  end)
end)

describe("binary:lookup", function()
  local function check_addr2line(path, label, n)
    local b = assert(ge.binary.open(path))
    local pcs = sample_pcs(b, n, "^main%.")
    local want = addr2line(path, pcs)
    assert.are.equal(#pcs, #want, label)
    local frames = b:lookup_many(pcs)
    for k, fr in ipairs(frames) do assert.is_nil(fr.error, label .. " " .. hex(pcs[k])) end
    -- compared in plain Lua, the first differences asserted: an assertion
    -- per PC costs more than the lookups (tens of thousands of PCs)
    local inl, bad = 0, {}
    for i, pc in ipairs(pcs) do
      local fr, w = frames[i], want[i]
      local line = w.pos:match(":(%-?%d+)$")
      if tonumber(line) and tonumber(line) > 0 then
        local got = #fr >= 1 and fr[#fr].func .. " " .. fr[1].file .. ":" .. fr[1].line
          .. (fr[#fr].inlined and " (physical frame marked inlined)" or "") or "no frame"
        if got ~= w.fn .. " " .. w.pos and #bad < 5 then
          bad[#bad + 1] = ("%s %s: want %s, got %s"):format(label, hex(pc), w.fn .. " " .. w.pos, got)
        end
        if #fr > 1 then inl = inl + 1 end
      end
    end
    assert.are.same({}, bad)
    assert.is_true(inl > 10, label .. ": no inlined frames seen")
    b:close()
  end

  it("agrees with go tool addr2line on every compiler and build mode", function()
    for _, bd in ipairs(builds) do check_addr2line(bd.path, bd.name, 300) end
  end)

  -- Debian's go command of Go 1.19 is linked with cgo: its _cgo_<hash>_Cfunc_*
  -- wrappers have pcfile/pcln offsets 0, which addr2line decodes literally.
  it("answers go tool addr2line's file and line for cgo wrapper functions", function()
    local path = "/usr/lib/go-1.19/bin/go"
    if not H.exists(path) then return pending("Debian's golang-1.19-go is not installed") end
    local b = assert(ge.binary.open(path))
    local pcs = {}
    for f in b:each_func() do
      if f.name:match("_Cfunc_") then pcs[#pcs + 1] = f.entry + 4 end
    end
    assert.is_true(#pcs >= 3)
    local want = addr2line(path, pcs)
    local frames = assert(b:lookup_many(pcs))
    for i, pc in ipairs(pcs) do
      local fr = frames[i]
      assert.is_true(#fr >= 1, hex(pc))
      assert.are.equal(want[i].fn .. " " .. want[i].pos, fr[#fr].func .. " " .. fr[1].file .. ":" .. fr[1].line)
    end
    b:close()
  end)

  it("agrees with go tool addr2line on npm binaries from Go 1.14 to 1.26", function()
    if not npm_dir then return pending("npm unreachable, npm binaries skipped: " .. tostring(npm_err)) end
    for _, n in ipairs(NPM) do check_addr2line(npm_dir .. "/" .. n[1] .. ".bin", n[1], 200) end
  end)

  it("expands inline chains as llvm-symbolizer --inlining does on DWARF builds", function()
    for _, bd in ipairs(builds) do
      if DWARF_MODES[bd.mode] then
        local b = assert(ge.binary.open(bd.path))
        local pcs = sample_pcs(b, 100, "^main%.")
        local want = llvm(bd.path, pcs)
        local deep = 0
        for i, pc in ipairs(pcs) do
          local fr = b:lookup(pc)
          local w = want[i]
          local got = describe_frames(fr)
          local skip = #w == 0 or table.concat(w, "|"):match("%?%?") or (fr[1] and fr[1].file == "")
            or table.concat(w, "|"):match("autogenerated")
            or table.concat(got, "|"):match("autogenerated")
          if not skip then
            -- pclntab names instantiations main.sum[...], DWARF main.sum[go.shape.int_0].
            local norm = function(t) return (table.concat(t, " | "):gsub("%[[^%]]*%]", "[...]")) end
            assert.are.equal(norm(w), norm(got),
              bd.name .. " " .. hex(pc))
            if #fr >= 3 then deep = deep + 1 end
          end
        end
        assert.is_true(deep > 0, bd.name .. ": no inline chain of depth 3 (Scale in Clamp in loop)")
        b:close()
      end
    end
  end)

  it("gives inlined frames innermost first, marked, the physical function last", function()
    local b = assert(ge.binary.open(builds[#builds].path))
    local loop = assert(b:func("main.loop"))
    local found
    for pc = loop.entry, loop["end"] - 1 do
      local fr = b:lookup(pc)
      if #fr == 3 then found = fr break end
    end
    assert.is_truthy(found)
    assert.are.equal("example.com/dep.Scale", found[1].func)
    assert.is_true(found[1].inlined)
    assert.are.equal("example.com/dep.Clamp", found[2].func)
    assert.is_true(found[2].inlined)
    assert.are.equal("main.loop", found[3].func)
    assert.is_false(found[3].inlined)
    assert.matches("dep/dep%.go$", found[1].file)
    assert.matches("main%.go$", found[3].file)
    b:close()
  end)

  it("returns an empty list for unknown PCs and accepts hex strings", function()
    local b = assert(ge.binary.open(builds[1].path))
    assert.are.same({}, b:lookup(1))
    assert.are.same({}, b:lookup(0x7fffffffffff))
    local loop = assert(b:func("main.loop"))
    assert.are.same(b:lookup(loop.entry), b:lookup(hex(loop.entry)))
    assert.has_error(function() b:lookup("zz") end)
    b:close()
  end)

  it("lookup_many on a shuffled list with duplicates and unknown PCs equals one-by-one lookups", function()
    for _, bd in ipairs { builds[1], builds[#builds] } do
      local b = assert(ge.binary.open(bd.path))
      local pcs = sample_pcs(b, 400, "^main%.")
      local n = #pcs
      for k = 1, n, 5 do pcs[#pcs + 1] = pcs[k] end           -- duplicates
      for _, u in ipairs { 0, 1, 0x7fffffffffff, 0x400000 } do pcs[#pcs + 1] = u end
      pcs[#pcs + 1] = hex(pcs[3])                             -- a hex string
      -- A span of 64 bits leaves no room for packed sort keys: (pc, index) pairs.
      if bd == builds[#builds] then pcs[#pcs + 1] = "ffffffffffffffff" end
      shuffle(pcs, 11)
      lookup_many_as_singles(b, bd, pcs)
      assert.are.same({}, b:lookup_many {})
      b:close()
    end
  end)

  it("lookup_many on a batch of 30000+ PCs over many functions equals one-by-one lookups", function()
    for _, bd in ipairs { builds[1], builds[#builds] } do
      local b = assert(ge.binary.open(bd.path))
      local pcs = {}
      for f in b:each_func() do
        for pc = f.entry, f["end"] - 1, 3 do pcs[#pcs + 1] = pc end
        if #pcs > 30000 then break end
      end
      assert.is_true(#pcs > 30000, bd.name)
      for k = 1, #pcs, 7 do pcs[#pcs + 1] = pcs[k] end     -- duplicates
      shuffle(pcs, 12)
      local many = lookup_many_as_singles(b, bd, pcs)
      -- The same batch again on the same handle (its caches now warm).
      assert.are.same(many, (b:lookup_many(pcs)))
      -- On 1, 3 and 8 threads (segments of the sorted PCs taken in turn).
      for _, nt in ipairs { 1, 3, 8 } do
        local bt = assert(ge.binary.open(bd.path, { limits = { max_threads = nt } }))
        assert.are.same(many, (bt:lookup_many(pcs)), nt .. " threads")
        bt:close()
      end
      -- symbolize_text: the whole batch gives the text of its slices, as a
      -- string and written to a file.
      local lines = {}
      for k, pc in ipairs(pcs) do lines[k] = hex(pc) .. "\n" end
      for _, json in ipairs { false, true } do
        local parts = {}
        for k = 1, #lines, 10000 do
          parts[#parts + 1] = assert(b:symbolize_text(table.concat(lines, "", k,
            math.min(k + 9999, #lines)), json))
        end
        local whole = assert(b:symbolize_text(table.concat(lines), json))
        assert.is_true(whole == table.concat(parts), bd.name .. (json and " json" or " text"))
        local tmpf = os.tmpname()
        local fh = assert(io.open(tmpf, "w"))
        assert.are.equal(#lines, b:symbolize_text(table.concat(lines), json, fh))
        fh:close()
        assert.is_true(H.read(tmpf) == whole, bd.name .. ": file")
        os.remove(tmpf)
      end
      b:close()
    end
  end)

  it("lookup_many marks each failed entry with its error and code, and answers the others", function()
    local b = assert(ge.binary.open(builds[#builds].path, { limits = { max_inline_depth = 1 } }))
    local loop = assert(b:func("main.loop"))
    local pcs, deep = {}, nil
    for pc = loop.entry, loop["end"] - 1 do
      pcs[#pcs + 1] = pc
      if not deep and not b:lookup(pc) then deep = pc end
    end
    assert.is_truthy(deep)
    local many, extra = b:lookup_many(pcs)
    assert.is_nil(extra) -- one value: the failures are part of it
    local failed = 0
    for k, pc in ipairs(pcs) do
      local fr, err, code = b:lookup(pc)
      if fr then
        assert.are.same(fr, many[k])
      else
        failed = failed + 1
        assert.matches("max_inline_depth", err)
        assert.are.same({ error = err, code = code }, many[k])
        assert.are.equal(0, #many[k])
      end
    end
    assert.is_true(failed > 0)
    b:close()
  end)

  it("bounds inline chains by limits.max_inline_depth", function()
    local path = builds[#builds].path
    local b = assert(ge.binary.open(path, { limits = { max_inline_depth = 1 } }))
    local loop = assert(b:func("main.loop"))
    local msg
    for pc = loop.entry, loop["end"] - 1 do
      local fr, err = b:lookup(pc)
      if not fr then msg = err break end
    end
    assert.matches("max_inline_depth", msg)
    b:close()
  end)
end)

describe("binary:funcs and binary:func", function()
  it("lists functions in address order with names, files and start lines", function()
    for _, bd in ipairs(builds) do
      local b = assert(ge.binary.open(bd.path))
      local fs = b:funcs()
      assert.are.equal(b.nfuncs, #fs)
      for i = 2, #fs do assert.is_true(fs[i].entry >= fs[i - 1]["end"] or fs[i].entry >= fs[i - 1].entry) end
      local loop = b:func("main.loop")
      assert.matches("src/main%.go$", loop.file, bd.name)
      if bd.version ~= "1.19" then assert.are.equal(28, loop.line, bd.name) end
      assert.is_nil(b:func("main.nope"))
      b:close()
    end
  end)
end)

describe("binary:each_func and binary:each_variable", function()
  it("each_func walks the functions funcs() lists, one table per step", function()
    local b = assert(ge.binary.open(builds[1].path))
    local fs, i = assert(b:funcs()), 0
    for f in b:each_func() do
      i = i + 1
      assert.are.same(fs[i], f)
    end
    assert.are.equal(#fs, i)
    local it = b:each_func()
    assert.are.same(fs[1], it())
    b:close()
    assert.has_error(it, "attempt to use a closed binary")
  end)

  it("each_variable walks the variables dwarf() lists, of every unit or of some", function()
    local with, without -- a build with DWARF, and one without
    for _, bd in ipairs(builds) do
      if DWARF_MODES[bd.mode] then with = with or bd else without = without or bd end
    end
    for _, bd in ipairs { with, without } do
      local b = assert(ge.binary.open(bd.path))
      if DWARF_MODES[bd.mode] then
        local all = assert(b:dwarf()).variables
        local i = 0
        for v in assert(b:each_variable()) do
          i = i + 1
          assert.are.same(all[i], v)
        end
        assert.are.equal(#all, i)
        local some = assert(b:dwarf { units = { "main" } }).variables
        -- two walks over different units in turn: each loads its own again
        local it_some, it_all = assert(b:each_variable { units = { "main" } }), assert(b:each_variable())
        for k = 1, 3 do
          assert.are.same(some[k], it_some())
          assert.are.same(all[k], it_all())
        end
        assert.has_error(function() b:each_variable { unit = {} } end, "binary:each_variable: unknown option 'unit'")
        assert.has_error(function() b:each_variable { units = {} } end)
        b:close()
        assert.has_error(it_all, "attempt to use a closed binary")
      else
        local it = assert(b:each_variable())
        assert.is_nil(it())
        b:close()
      end
    end
  end)
end)

describe("binary:dwarf", function()
  it("reads units, inlined subroutines and variable sizes (moved to heap: buf costs 256 bytes)", function()
    for _, bd in ipairs(builds) do
      local b = assert(ge.binary.open(bd.path))
      local d, err = b:dwarf()
      if DWARF_MODES[bd.mode] then
        assert.is_table(d, bd.name .. ": " .. tostring(err))
        -- Go 1.25+ emits DWARF 5; compressed sections (SHF_COMPRESSED) either way.
        assert.are.equal(tonumber(bd.version:match("%d+%.(%d+)")) >= 25 and 5 or 4, d.version, bd.name)
        local main
        for _, u in ipairs(d.units) do if u.name == "main" then main = u end end
        assert.matches("^Go cmd/compile go" .. bd.version:gsub("%.", "%%."), main.producer)
        assert.matches("regabi$", main.flags)
        local buf
        for _, v in ipairs(d.variables) do
          if v.func == "main.keep" and v.name == "buf" then buf = v end
        end
        assert.are.same({ name = "buf", type = "[256]uint8", size = 256, heap = true, func = "main.keep", line = 47 },
          { name = buf.name, type = buf.type, size = buf.size, heap = buf.heap, func = buf.func, line = buf.line })
        local chain = {}
        for _, r in ipairs(d.inlined) do
          if r.func == "example.com/dep.Scale" and r.caller == "example.com/dep.Clamp" then chain = r end
        end
        assert.are.equal(2, chain.depth, bd.name)
        assert.matches("dep/dep%.go$", chain.call_file)
        assert.are.equal(9, chain.call_line)
      else
        assert.is_nil(d, bd.name)
      end
      b:close()
    end
  end)

  it("reads only the units asked for, and all of them again after", function()
    for _, bd in ipairs(builds) do
      if DWARF_MODES[bd.mode] then
        local b = assert(ge.binary.open(bd.path))
        local all = assert(b:dwarf())
        local nall, nvars = #all.units, #all.variables
        local some = assert(b:dwarf { units = { "main", "fmt" } })
        local names = {}
        for _, u in ipairs(some.units) do names[#names + 1] = u.name end
        table.sort(names)
        assert.are.same({ "fmt", "main" }, names, bd.name)
        assert.is_true(#some.variables < nvars)
        for _, v in ipairs(some.variables) do
          assert.is_true(v.func == nil or v.func:match("^main%.") ~= nil
            or v.func:match("^example%.com/dep%.") ~= nil or v.func:match("^[%w_/%.]+%.") ~= nil)
        end
        local again = assert(b:dwarf())
        assert.are.equal(nall, #again.units)
        assert.are.equal(nvars, #again.variables)
        assert.has_error(function() b:dwarf { units = {} } end)
        b:close()
        break
      end
    end
  end)
end)

-- Go 1.11-1.18 wrote zlib-compressed DWARF as GNU-style `.zdebug_*` sections
-- ("ZLIB" + 8-byte big-endian size); 1.19 and later use SHF_COMPRESSED. None
-- of our three compilers writes the old form, so objcopy (binutils) rewrites
-- a Go 1.19 build both ways -- into .zdebug_* and into plain sections -- and
-- every variant must read as the original does.
describe("binary:dwarf on the other section forms", function()
  it("reads .zdebug_* (Go before 1.19) and uncompressed DWARF as it reads SHF_COMPRESSED", function()
    local bd
    for _, x in ipairs(builds) do
      if x.mode == "normal" and (not bd or x.version < bd.version) then bd = x end
    end
    local tmp = H.tmpdir("binary-zdebug")
    local plain, gnu = tmp .. "/plain", tmp .. "/zdebug"
    H.must(("objcopy --decompress-debug-sections %s %s"):format(H.q(bd.path), H.q(plain)))
    H.must(("objcopy --compress-debug-sections=zlib-gnu %s %s"):format(H.q(plain), H.q(gnu)))
    local sections = H.must("readelf -SW " .. H.q(gnu))
    assert.matches("%.zdebug_info", sections)
    assert.not_matches("%.debug_info", sections)
    local function shf_compressed(path) -- .debug_* sections flagged C
      return (H.sh("readelf -SW " .. H.q(path) .. " | grep -cE '\\] \\.debug.* C +[0-9]'"))
    end
    assert.are_not.equal("0\n", shf_compressed(bd.path))
    assert.are.equal("0\n", shf_compressed(plain))
    local function summary(path)
      local b = assert(ge.binary.open(path))
      local d = assert(b:dwarf())
      local s = { version = d.version, units = #d.units, vars = #d.variables, inlined = #d.inlined }
      for _, v in ipairs(d.variables) do
        if v.func == "main.keep" and v.name == "buf" then s.buf = { v.type, v.size, v.heap } end
      end
      for _, u in ipairs(d.units) do if u.name == "main" then s.producer = u.producer end end
      s.frames = b:lookup(assert(b:func("main.keep")).entry)
      b:close()
      return s
    end
    local want = summary(bd.path)
    assert.are.same({ "[256]uint8", 256, true }, want.buf)
    assert.is_true(want.vars > 1000 and want.inlined > 100, bd.name)
    assert.are.same(want, summary(gnu))
    assert.are.same(want, summary(plain))
  end)
end)

describe("bad input", function()
  local tmp = H.tmpdir("binary")
  local src = builds[#builds].path

  local function exercise(path)
    local b = ge.binary.open(path)
    if not b then return end
    local fs = b:funcs() or {}
    for i = 1, #fs, 7 do
      b:lookup(fs[i].entry)
      b:lookup(fs[i].entry + 9)
    end
    b:close()
  end

  it("answers or fails cleanly on truncated binaries", function()
    local data = H.read(src)
    for _, n in ipairs { 0, 3, 40, 63, 64, 200, 4096, math.floor(#data / 3), math.floor(#data / 2), #data - 1000 } do
      local p = tmp .. "/trunc"
      H.write(p, data:sub(1, n))
      local b, err = ge.binary.open(p)
      if b then b:close() exercise(p) else assert.is_string(err) end
    end
  end)

  it("fails cleanly when ELF headers lie about sizes", function()
    local p = tmp .. "/lying"
    -- e_shoff far past the end; e_phnum huge; e_shstrndx out of range.
    for _, e in ipairs { { 40, le(2 ^ 40, 8) }, { 56, le(65535, 2) }, { 62, le(999, 2) },
      { 58, le(1, 2) } } do
      copy_with(src, p, { e })
      local b, err = ge.binary.open(p)
      assert.is_nil(b)
      assert.is_string(err)
    end
  end)

  it("never crashes or hangs on corrupted pclntab and inline tree bytes", function()
    local data = H.read(src)
    local at = data:find("\241\255\255\255\0\0", 1, true)
    assert.is_truthy(at)
    math.randomseed(7)
    for round = 1, 6 do
      local edits = {}
      for _ = 1, 400 do
        local off = at + 16 + math.random(0, 1500000)
        if round > 3 then off = math.random(64, #data - 8) end
        edits[#edits + 1] = { off, string.char(math.random(0, 255)) }
      end
      local p = tmp .. "/corrupt"
      copy_with(src, p, edits)
      exercise(p)
    end
  end)
end)

describe("goescape info", function()
  it("prints the buildinfo and table facts as JSON", function()
    local cjson = require "cjson"
    for _, bd in ipairs(builds) do
      local out, rc, err = H.cli("info --json " .. H.q(bd.path))
      assert.are.equal(0, rc, err)
      local o = cjson.decode(out)
      local want = go_version_m(bd.path)
      assert.are.equal(want.go, o.go_version)
      assert.are.equal(want.path, o.path)
      assert.are.same(want.mod, o.module)
      assert.are.equal(#want.deps, #o.deps)
      assert.are.equal(want.deps[1].path, o.deps[1].path)
      assert.are.same(want.build, o.settings)
      assert.are.equal(bd.mode == "stripped", o.stripped)
      assert.are.equal(bd.mode:match("pie") ~= nil, o.pie)
      assert.are.equal(DWARF_MODES[bd.mode] == true, o.dwarf)
      assert.is_string(o.pclntab_version)
    end
  end)

  it("prints a text summary and fails with one line for a bad file", function()
    local out, rc = H.cli("info " .. H.q(builds[1].path))
    assert.are.equal(0, rc)
    assert.matches("go_version%s+go1%.", out)
    assert.matches("dep%s+example.com/dep v1.2.3 => ./dep", out)
    local _, rc2, err = H.cli("info " .. H.q(FIX .. "/build.sh"))
    assert.are.equal(1, rc2)
    assert.matches("^goescape: .*not an ELF file\n$", err)
  end)
end)

describe("goescape symbolize", function()
  it("answers every input line in order, unknown PCs with no frames", function()
    local cjson = require "cjson"
    local bd = builds[#builds]
    local b = assert(ge.binary.open(bd.path))
    local loop = b:func("main.loop")
    local pcs = { loop.entry, 1, loop.entry + 20, loop.entry + 40 }
    local input = H.tmproot .. "/binary-pcs"
    H.mkdir(H.tmproot)
    H.write(input, ("%x\n0x1\n0x%x\n0X%X\n"):format(pcs[1], pcs[3], pcs[4]))
    local out, rc, err = H.cli("symbolize --json " .. H.q(bd.path) .. " < " .. H.q(input))
    assert.are.equal(0, rc, err)
    local i = 0
    for line in out:gmatch("[^\n]+") do
      i = i + 1
      local o = cjson.decode(line)
      assert.are.equal(hex(pcs[i]), o.pc)
      local fr = b:lookup(pcs[i])
      assert.are.equal(#fr, #o.frames)
      for k, f in ipairs(fr) do
        assert.are.same({ func = f.func, file = f.file, line = f.line, inlined = f.inlined },
          o.frames[k])
      end
    end
    assert.are.equal(4, i)
    local text = H.cli("symbolize " .. H.q(bd.path) .. " < " .. H.q(input))
    assert.matches("^0x%x+\tmain%.loop [^\n]*main%.go:%d+\n0x1\t%?%?\n", text)
    H.write(input, "0x10\nnot-a-pc\n")
    local _, rc2, err2 = H.cli("symbolize " .. H.q(bd.path) .. " < " .. H.q(input))
    assert.are.equal(1, rc2)
    assert.matches("line 2: not a hex address", err2)
    -- The Lua API: the same answers as a string and written to a file.
    local text_in = ("%x\n0x1\n0x%x\n0X%X\n"):format(pcs[1], pcs[3], pcs[4])
    local s1 = assert(b:symbolize_text(text_in, false))
    assert.are.equal(text, s1)
    local tmpf = os.tmpname()
    local fh = assert(io.open(tmpf, "w"))
    assert.are.equal(4, b:symbolize_text(text_in, true, fh))
    fh:close()
    assert.are.equal(b:symbolize_text(text_in, true), H.read(tmpf))
    os.remove(tmpf)
    b:close()
  end)

  -- The command hands stdin itself to C: mapped when it is a regular file
  -- (from the file's current position), read to the end otherwise.
  it("reads its input from a file as from a string: mapped, from a pipe, from mid-file", function()
    local bd = builds[#builds]
    local b = assert(ge.binary.open(bd.path))
    local lines = {}
    for f in b:each_func() do
      lines[#lines + 1] = hex(f.entry + 1)
      lines[#lines + 1] = "  0X" .. ("%X"):format(f.entry) .. "\t\r" -- spaces, tab, CR around
    end
    while #table.concat(lines, "\n") < 1.5 * 2 ^ 20 do -- past the 1 MB first read buffer
      for k = 1, #lines do lines[#lines + 1] = lines[k] end
    end
    local text = table.concat(lines, "\n") -- no final newline
    local want = assert(b:symbolize_text(text, false))
    local _, n = want:gsub("\n", "")
    assert.are.equal(#lines, n)
    local tmp = H.tmpdir("binary-symin")
    H.write(tmp .. "/pcs", "first line, skipped\n" .. text)
    local fh = assert(io.open(tmp .. "/pcs"))
    fh:read("*l") -- the mapping starts where Lua's reads left the file
    assert.are.equal(want, assert(b:symbolize_text(fh, false)))
    assert.is_nil(fh:read(1)) -- consumed, as a read to the end leaves it
    fh:close()
    local pipe = assert(io.popen("cat " .. H.q(tmp .. "/pcs")))
    pipe:read("*l")
    assert.are.equal(want, assert(b:symbolize_text(pipe, false)))
    pipe:close()
    -- Through the command: a regular file and a pipe on stdin give the same.
    H.write(tmp .. "/pcs", text)
    local out1 = H.must(H.cli_cmd("symbolize " .. H.q(bd.path)) .. " < " .. H.q(tmp .. "/pcs"))
    local out2 = H.must("cat " .. H.q(tmp .. "/pcs") .. " | " .. H.cli_cmd("symbolize " .. H.q(bd.path)))
    assert.is_true(out1 == want and out2 == want)
    -- Written in chunks by 1, 2, 3 or 8 threads (limits.max_threads, which
    -- defaults to the CPUs there are): the same bytes, text and JSON. The
    -- string form is formatted on one thread, a file by the thread pool.
    local want_json = assert(b:symbolize_text(text, true))
    local _, nlines = want:gsub("\n", "")
    assert.is_true(nlines >= 8 * 4096, "enough lines for 8 chunks")
    local cpus = tonumber(ge.limits().max_threads)
    assert.is_true(cpus >= 1)
    for _, nt in ipairs { 1, 2, 3, 8 } do
      local env = "GOESCAPE_LIMITS=max_threads=" .. nt .. " "
      local got = H.must(env .. H.cli_cmd("symbolize " .. H.q(bd.path)) .. " < " .. H.q(tmp .. "/pcs"))
      local got_json = H.must("cat " .. H.q(tmp .. "/pcs") .. " | " .. env
        .. H.cli_cmd("symbolize --json " .. H.q(bd.path)))
      assert.is_true(got == want, nt .. " threads: text")
      assert.is_true(got_json == want_json, nt .. " threads: json")
      local bn = assert(ge.binary.open(bd.path, { limits = { max_threads = nt } }))
      local tf = tmp .. "/out" .. nt
      local fo = assert(io.open(tf, "w"))
      assert.are.equal(#lines, bn:symbolize_text(text, true, fo))
      fo:close()
      assert.is_true(H.read(tf) == want_json, nt .. " threads: file from Lua")
      bn:close()
      if H.exists("/dev/full") then -- a full disk: one error line, exit 1
        local _, rc, err = H.sh(env .. H.cli_cmd("symbolize " .. H.q(bd.path)) .. " < "
          .. H.q(tmp .. "/pcs") .. " > /dev/full")
        assert.are.equal(1, rc)
        assert.are.equal("goescape: symbolize: write error\n", err)
      end
    end
    -- Bad lines name their number, from a file as from a string; empty input answers nothing.
    for _, bad in ipairs { { "0x10\n\n0x20\n", 2 }, { "0x10\n0x12345678901234567\n", 2 },
      { "0x\n", 1 }, { "0x10\n0x2 0\n", 2 }, { "12g\n", 1 } } do
      H.write(tmp .. "/bad", bad[1])
      local f = assert(io.open(tmp .. "/bad"))
      local r, err, code = b:symbolize_text(f, false)
      f:close()
      assert.is_nil(r, bad[1])
      assert.matches("^line " .. bad[2] .. ": not a hex address", err)
      assert.are.equal("format", code)
      assert.are.same({ b:symbolize_text(bad[1], false) }, { r, err, code })
    end
    H.write(tmp .. "/empty", "")
    local f = assert(io.open(tmp .. "/empty"))
    assert.are.equal("", b:symbolize_text(f, false))
    f:close()
    b:close()
  end)

  -- From 8 MB the PC lines are parsed in two halves, the second starting
  -- after the first newline past the middle (fuzz/pc_text checks that one
  -- thread and two read the same PCs): a bad or blank line on either side
  -- of the split, or at either end, is named by its number from the start.
  it("names a bad line's number in an input parsed on two threads", function()
    local bd = builds[#builds]
    local b1 = assert(ge.binary.open(bd.path, { limits = { max_threads = 1 } }))
    local b2 = assert(ge.binary.open(bd.path, { limits = { max_threads = 2 } }))
    local lines = {}
    for f in b1:each_func() do lines[#lines + 1] = hex(f.entry + 1) end
    local unit = table.concat(lines, "\n") .. "\n"
    local big = unit:rep(math.ceil(9 * 2 ^ 20 / #unit))
    local function count_nl(s) return select(2, s:gsub("\n", "")) end
    local nlines = count_nl(big)
    local nl = big:find("\n", math.floor(#big / 2) + 1, true) -- the first newline past the middle
    local function line_end(start) return big:find("\n", start, true) - 1 end
    local function prev_start(start) -- where the line before the one at start begins
      local p = start - 2
      while p > 0 and big:byte(p) ~= 10 do p = p - 1 end
      return p + 1
    end
    local split_start = nl + 1
    local cases = { { 1, 1 }, { count_nl(big:sub(1, nl)) + 1, split_start } }
    cases[3] = { cases[2][1] - 1, prev_start(split_start) }
    cases[4] = { cases[2][1] + 1, line_end(split_start) + 2 }
    cases[5] = { nlines, prev_start(#big + 1) }
    for _, c in ipairs(cases) do
      local k, start = c[1], c[2]
      for _, badline in ipairs { "zz", "" } do
        local bad = big:sub(1, start - 1) .. badline .. big:sub(line_end(start) + 1)
        for _, bb in ipairs { b1, b2 } do
          local r, err = bb:symbolize_text(bad, false)
          assert.is_nil(r, k)
          assert.are.equal("line " .. k .. ": not a hex address: " .. badline, err)
        end
      end
    end
    b1:close()
    b2:close()
  end)
end)
