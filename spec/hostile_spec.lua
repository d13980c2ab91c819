-- Hostile inputs that are not parser bytes: directory trees that link back
-- on themselves, files that are not regular files.
local H = require "spec.helpers"
local ge = require "goescape"

describe("hostile inputs", function()
  it("enters each directory of a logopt tree once, whatever symlinks point back into it", function()
    local d = H.tmpdir("hostile-links")
    H.mkdir(d .. "/tree/pkg")
    H.write(d .. "/tree/pkg/a.json",
      '{"version":0,"package":"p","goos":"linux","goarch":"amd64","gc_version":"go1.26.8","file":"/x/a.go"}\n'
      .. '{"range":{"start":{"line":3,"character":2},"end":{"line":3,"character":2}},"severity":3,'
      .. '"code":"escape","source":"go compiler","message":"x escapes to heap"}\n')
    -- twelve links to ancestors: a walk that follows them blindly visits
    -- 2^12 paths per level of nesting
    for i = 1, 6 do
      H.must(("ln -s .. %s/tree/pkg/up%d && ln -s ../pkg %s/tree/pkg/self%d"):format(H.q(d), i, H.q(d), i))
    end
    local log = assert(ge.escape.open(d .. "/tree"))
    assert.are.equal(1, #log)
    assert.are.equal(1, log:stats().sources)
  end)
end)

describe("limits said, not silent", function()
  local function logopt(n)
    local rel = {}
    for i = 1, n do
      rel[i] = '{"location":{"uri":"file:///x/a.go","range":{"start":{"line":1,"character":1},'
        .. '"end":{"line":1,"character":1}}},"message":"escflow:    from x (spill)"}'
    end
    return '{"version":0,"package":"p","goos":"linux","goarch":"amd64","gc_version":"go1.26.8","file":"/x/a.go"}\n'
      .. '{"range":{"start":{"line":3,"character":2},"end":{"line":3,"character":2}},"severity":3,'
      .. '"code":"escape","source":"go compiler","message":"x escapes to heap","relatedInformation":['
      .. table.concat(rel, ",") .. ']}\n'
  end

  it("keeps every logopt explanation step up to max_flow_steps and fails past it", function()
    local log = assert(ge.escape.parse(logopt(5000), "big.json"))
    assert.are.equal(5000, #log:get(1).flow)
    local bad, err, code = ge.escape.parse(logopt(5000), "big.json", { limits = { max_flow_steps = 4000 } })
    assert.is_nil(bad)
    assert.are.equal("limit", code)
    assert.matches("big.json: line 2: more than 4000 explanation steps", err, 1, true)
  end)

  it("says the log is closed, naming no argument, from methods and iterators", function()
    local log = assert(ge.escape.parse("# p\n./a.go:1:2: x escapes to heap\n"))
    local it = log:each {}
    log:close()
    local ok, err = pcall(log.get, log, 1)
    assert.is_false(ok)
    assert.matches("the log is closed", err, 1, true)
    assert.is_nil(err:find("#-", 1, true))
    ok, err = pcall(it)
    assert.is_false(ok)
    assert.matches("the log is closed", err, 1, true)
    assert.is_nil(err:find("#-", 1, true))
  end)
end)

describe("reports meant to be shared", function()
  it("quote no source outside the source roots, symlinks resolved, and say what was left out", function()
    local base = H.build .. "/profile-gen/goroutine.txt"
    if not H.exists(base) then return pending("profile fixtures not built") end
    local d = H.tmpdir("hostile-html")
    -- inside the working directory, but a link to a secret elsewhere
    H.must(("ln -s /etc/passwd %s/innocent.go"):format(H.q(d)))
    local files = { "/etc/passwd", d .. "/innocent.go", d .. "/../../../../../../etc/passwd" }
    local p = assert(ge.profile.open(base))
    local k = 0
    p = assert(p:symbolize(function()
      k = k + 1
      return { { func = "main.f" .. k, file = files[(k - 1) % #files + 1], line = 1 } }
    end))
    assert(p:write(d .. "/evil.pb.gz"))
    local out = d .. "/report.html"
    local _, rc, err = H.cli(("html --profile %s -o %s"):format(H.q(d .. "/evil.pb.gz"), H.q(out)))
    assert.are.equal(0, rc, err)
    local page = H.read(out)
    assert.is_nil(page:find("root:x:0:0", 1, true))
    assert.matches("Source left out (outside the source roots", page, 1, true)
    assert.matches("/etc/passwd", page, 1, true)
    -- a real source under --source-dir is quoted
    H.mkdir(d .. "/src")
    H.write(d .. "/src/ok.go", "package ok\n\nvar marker = \"quoted-line-marker\"\n")
    local q = assert(ge.profile.open(base))
    q = assert(q:symbolize(function() return { { func = "ok.f", file = "/elsewhere/ok.go", line = 3 } } end))
    assert(q:write(d .. "/ok.pb.gz"))
    _, rc = H.cli(("html --profile %s --source-dir %s -o %s"):format(H.q(d .. "/ok.pb.gz"), H.q(d .. "/src"), H.q(out)))
    assert.are.equal(0, rc)
    assert.matches("quoted-line-marker", H.read(out), 1, true)
  end)
end)

describe("inputs that cost before they are refused", function()
  it("refuses a large sparse file by its first bytes, without reading the rest", function()
    local d = H.tmpdir("hostile-sparse")
    for _, name in ipairs { "big.pb", "big.log" } do H.must(("truncate -s 4G %s"):format(H.q(d .. "/" .. name))) end
    local p, err = ge.profile.open(d .. "/big.pb")
    assert.is_nil(p)
    assert.matches("field number 0 at offset 0", err, 1, true)
    local log, lerr = ge.escape.open(d .. "/big.log")
    assert.is_nil(log)
    assert.matches("offset 0: NUL byte", lerr, 1, true)
    -- the command's peak memory stays far below the file's size
    local out = H.sh("/usr/bin/time -f %M " .. H.cli_cmd("summary " .. H.q(d .. "/big.log")) .. " 2>&1 >/dev/null")
    local kb = tonumber(out:match("(%d+)%s*$"))
    if kb then assert.is_true(kb < 200 * 1024, kb .. " KB") end
  end)

  -- Streams a profile given as parts (strings, and {s, n} for s n times)
  -- through gzip into path, so that no part is ever held whole.
  local function write_gz(path, parts)
    local p = assert(io.popen("gzip -c > " .. H.q(path), "w"))
    for _, part in ipairs(parts) do
      if type(part) == "string" then
        p:write(part)
      else
        local s, left = part[1], part[2]
        local per = math.floor(65536 / #s)
        local chunk = s:rep(per)
        while left >= per do p:write(chunk); left = left - per end
        p:write(s:rep(left))
      end
    end
    p:close()
    assert(H.exists(path))
  end

  -- Opens a profile in a fresh interpreter; returns its error code and
  -- message, its peak resident memory (KB) and the CPU seconds it took.
  local function open_apart(path)
    local script = H.tmpdir("hostile-open") .. "/open.lua"
    H.write(script, [[
      local ge = require "goescape"
      local t = os.clock()
      local p, err, code = ge.profile.open(arg[1])
      local secs = os.clock() - t
      local f = assert(io.open("/proc/self/status")); local st = f:read("*a"); f:close()
      io.write(tostring(code), "\t", tostring(err), "\t", st:match("VmHWM:%s*(%d+)"), "\t", secs, "\n")
    ]])
    local out = H.must(H.lua_cmd(script, H.q(path)))
    local code, err, kb, secs = out:match("^(.-)\t(.-)\t(%d+)\t(%S+)")
    return code, err, tonumber(kb), tonumber(secs)
  end

  it("refuses gzip bombs of empty profile.proto entries by their count, before storing any", function()
    local d = H.tmpdir("hostile-bombs")
    -- 2 bytes each (comments 1): 20-40 MB once inflated from 20-40 KB of
    -- gzip; decoded, each kind would take 0.4 to 2.7 GB
    local N = 20000000
    local ST, VT = H.pb_field(6, ""), H.pb_field(1, "")
    local shapes = {
      { "mappings", { ST, { "\26\0", N } } },
      { "functions", { ST, { "\42\0", N } } },
      { "locations", { ST, { "\34\0", N } } },
      -- one location, N lines
      { "lines", { ST, "\34" .. H.pb_varint(2 + 2 * N) .. "\8\1", { "\34\0", N } } },
      -- one sample (one value), N labels
      { "labels", { ST, VT, "\18" .. H.pb_varint(2 + 2 * N) .. "\16\0", { "\26\0", N } } },
      { "strings", { { "\50\0", N } } },
      -- samples of no value for two sample types (as a CPU profile has)
      { "samples", { ST, VT, VT, { "\18\0", N } } },
      { "sample types", { ST, { "\10\0", N } } },
      -- one packed field of N comment string indices
      { "comments", { ST, "\106" .. H.pb_varint(N), { "\0", N } } },
    }
    for _, sh in ipairs(shapes) do
      local kind = sh[1]
      local path = d .. "/" .. kind:gsub(" ", "_") .. ".pb.gz"
      write_gz(path, sh[2])
      local code, err, kb, secs = open_apart(path)
      assert.are.equal("limit", code, kind .. ": " .. tostring(err))
      assert.matches("%d+ " .. kind .. " take %d+", err)
      assert.matches("(limit max_profile_ratio = 8); raise it with {limits = {max_profile_ratio = N}}", err, 1, true)
      assert.is_true(kb < 200 * 1024, kind .. ": peak " .. kb .. " KB")
      assert.is_true(secs < 5, kind .. ": " .. secs .. " s")
      os.remove(path)
    end
  end)

  it("decodes real profiles scaled to megabytes with half the default max_profile_ratio", function()
    local dir = H.build .. "/profile-gen"
    if not H.exists(dir .. "/heap.pb.gz") then return pending("profile fixtures not built") end
    local default = ge.limits().max_profile_ratio
    for _, name in ipairs { "heap", "cpu", "goroutine", "merged" } do
      local plain = H.must("gzip -dc < " .. H.q(dir .. "/" .. name .. ".pb.gz"))
      local big, nsamples = H.pb_scale_samples(plain, 8e6)
      local p, small = assert(ge.profile.parse(big, name)), assert(ge.profile.parse(plain, name))
      assert.are.equal(nsamples, p.nsamples)
      -- the same rows, each k times the value: samples repeated k times
      local k = nsamples / small.nsamples
      local rows, want = p:top { n = 10 }, small:top { n = 10 }
      assert.are.equal(#want, #rows)
      for i, r in ipairs(want) do
        assert.are.equal(r.name, rows[i].name)
        assert.are.equal(r.flat * k, rows[i].flat)
      end
      local need
      for r = 1, default do
        if ge.profile.parse(big, name, { limits = { max_profile_ratio = r } }) then need = r; break end
      end
      assert.is_truthy(need and need <= default / 2, name .. " needs max_profile_ratio " .. tostring(need))
      if need > 1 then
        local q, err, code = ge.profile.parse(big, name, { limits = { max_profile_ratio = need - 1 } })
        assert.is_nil(q)
        assert.are.equal("limit", code)
        assert.matches(name .. ": profile.proto: its " .. #big .. " bytes would take", err, 1, true)
      end
    end
  end)

  it("reads at most max_inflated_bytes from a pipe given to symbolize", function()
    local bin = H.build .. "/profile-gen/profgen"
    if not H.exists(bin) then return pending("profile fixtures not built") end
    local _, rc, err = H.sh("head -c 3000000 /dev/zero | GOESCAPE_LIMITS=max_inflated_bytes=1000000 "
      .. H.cli_cmd("symbolize " .. H.q(bin)))
    assert.are.equal(1, rc)
    assert.matches("more than 1000000 bytes (limit max_inflated_bytes)", err, 1, true)
    -- a regular file is read into memory too (not mapped): the same bound
    local f = H.tmpdir("hostile-symin") .. "/pcs"
    H.must("head -c 3000000 /dev/zero > " .. H.q(f))
    _, rc, err = H.sh("GOESCAPE_LIMITS=max_inflated_bytes=1000000 "
      .. H.cli_cmd("symbolize " .. H.q(bin)) .. " < " .. H.q(f))
    assert.are.equal(1, rc)
    assert.matches("more than 1000000 bytes (limit max_inflated_bytes)", err, 1, true)
  end)
end)

describe("inputs shaped to cost stay under their time and memory bounds (bench/shapes.lua)", function()
  package.path = H.root .. "/bench/?.lua;" .. package.path
  local shapes = require "shapes"
  -- sanitizers slow everything down and add shadow memory
  local slow = H.asan and 5 or 1
  for _, s in ipairs(shapes.list) do
    it(s.name .. ": " .. s.what, function()
      local r, why = shapes.run(s, H.tmpdir("shape-" .. s.name), H.cli_cmd(""))
      if not r then return pending(why) end
      assert.are.equal(s.expect == "refused" and 1 or 0, r.exit, r.raw)
      assert.is_true(r.seconds <= s.seconds * slow, ("%.2f s > %s s"):format(r.seconds, s.seconds * slow))
      assert.is_true(r.mb <= s.mb * slow, ("%.1f MB > %s MB"):format(r.mb, s.mb * slow))
    end)
  end
end)

describe("shapes that were quadratic", function()
  it("folds 100k -m=2 headers at one position into one record (one walk of the position)", function()
    local t = { "# p" }
    for _ = 1, 100000 do
      t[#t + 1] = "./a.go:1:2: x escapes to heap:"
      t[#t + 1] = "./a.go:1:2:   flow: {heap} = &x:"
    end
    t[#t + 1] = "./a.go:1:2: x escapes to heap"
    local text = table.concat(t, "\n") .. "\n"
    local log = assert(ge.escape.parse(text, "headers.log"))
    assert.are.equal(1, #log)
    assert.are.equal(100000, #log:get(1).flow)
    local path = H.tmpdir("hostile-headers") .. "/h.log"
    H.write(path, text)
    local n = 0
    assert(ge.escape.stream(path, function(r) n = n + 1; assert.are.equal(100000, #r.flow) end))
    assert.are.equal(1, n)
  end)
end)

describe("binaries that change or are not files", function()
  local function builds()
    local a = H.build .. "/binary2-go1.26/go1.26.normal"
    local b = H.build .. "/profile-gen/profgen"
    if H.exists(a) and H.exists(b) then return a, b end
  end

  it("reads DWARF of the binary it opened, though the path was rebuilt since", function()
    local a, b = builds()
    if not a then return pending("binary fixtures not built") end
    local d = H.tmpdir("hostile-rebuilt")
    H.must(("cp %s %s/app"):format(H.q(a), H.q(d)))
    local bin = assert(ge.binary.open(d .. "/app"))
    -- "go build -o app" replaces the file: a new inode at the same path
    H.must(("cp %s %s/app.new && mv %s/app.new %s/app"):format(H.q(b), H.q(d), H.q(d), H.q(d)))
    local dw = assert(bin:dwarf())
    local main
    for _, u in ipairs(dw.units) do if u.name == "main" then main = u end end
    assert.is_table(main)
    local other = assert(ge.binary.open(d .. "/app"))
    local ok = pcall(function()
      local func = bin:func("main.keep")
      assert.is_table(func) -- the opened binary's own function, its pclntab
      assert.is_nil(other:func("main.keep"))
    end)
    other:close()
    bin:close()
    assert.is_true(ok)
    local keep
    for _, v in ipairs(dw.variables) do if v.func == "main.keep" then keep = v end end
    assert.is_table(keep) -- DWARF of the same binary as the pclntab
  end)

  it("reads a binary from a FIFO, DWARF included, without opening it twice", function()
    local _, b = builds()
    if not b then return pending("binary fixtures not built") end
    local d = H.tmpdir("hostile-fifo")
    H.must("mkfifo " .. H.q(d .. "/fifo"))
    -- the writer is released whatever the command does (a reader that
    -- never comes would keep it, and this spec, waiting)
    local fifo = H.q(d .. "/fifo")
    local out, rc = H.sh(("(cat %s > %s 2>/dev/null </dev/null &) ; timeout --foreground 60 env %s; "
      .. "rc=$?; (timeout 5 cat %s > /dev/null 2>&1 </dev/null &); exit $rc")
      :format(H.q(b), fifo, H.cli_cmd("info " .. fifo), fifo))
    assert.are.equal(0, rc, out)
    assert.matches("dwarf%s+DWARF %d, %d+ units", out)
  end)
end)

describe("files rewritten in place while open", function()
  -- `go build -gcflags=-m=2 2> build.log` truncates the log an editor holds;
  -- copying a rebuilt binary over the old one rewrites the same inode.
  local function records(log)
    local out = {}
    for r in log:each() do
      out[#out + 1] = table.concat({ r.kind, r.file, r.line, r.col, r.message or "",
        r.flow and #r.flow or 0 }, "|")
    end
    return out
  end

  it("keeps answering from the log it opened after the file is truncated and rewritten", function()
    local d = H.tmpdir("hostile-trunc-log")
    local path = d .. "/build.log"
    H.must(("cp %s %s"):format(H.q(H.root .. "/spec/fixtures/escape/go1.19.m2.log"), H.q(path)))
    local log = assert(ge.escape.open(path))
    local before = records(log)
    assert.is_true(#before > 10)
    H.must(": > " .. H.q(path)) -- truncated: every page of the old mapping gone
    assert.are.same(before, records(log))
    H.must(("printf 'x.go:1:2: y escapes to heap\n' > %s"):format(H.q(path)))
    assert.are.same(before, records(log))
    log:close()
  end)

  it("answers lookups from the binary it opened; what was not read yet is a clear error", function()
    local a = H.build .. "/binary2-go1.26/go1.26.normal"
    local other = H.build .. "/profile-gen/profgen"
    if not (H.exists(a) and H.exists(other)) then return pending("binary fixtures not built") end
    local d = H.tmpdir("hostile-trunc-bin")
    local path = d .. "/app"
    H.must(("cp %s %s"):format(H.q(a), H.q(path)))
    local bin = assert(ge.binary.open(path))
    local fn = assert(bin:func("main.keep"))
    local frames = assert(bin:lookup(fn.entry))
    -- machine code was never read: the middle of .text, away from the
    -- headers and the read-only data read at open
    local funcs = bin:funcs()
    local call_pc = funcs[math.floor(#funcs / 2)].entry + 16
    H.must(": > " .. H.q(path))
    assert.are.same(frames, bin:lookup(fn.entry))
    assert.are.same(fn, bin:func("main.keep"))
    local ok, err = bin:dwarf()
    assert.is_nil(ok)
    assert.matches("changed while open", err, 1, true)
    local t, cerr = bin:call_target(call_pc)
    assert.is_nil(t)
    assert.matches("changed while open", cerr, 1, true)
    -- rewritten with another binary of another size: the same answers, no mix
    H.must(("cat %s > %s"):format(H.q(other), H.q(path)))
    assert.are.same(frames, bin:lookup(fn.entry))
    ok, err = bin:symbols()
    assert.is_nil(ok)
    assert.matches("changed while open", err, 1, true)
    bin:close()
    -- reopened, it is the new file
    local again = assert(ge.binary.open(path))
    assert.is_nil(again:func("main.keep"))
    again:close()
  end)

  it("reads DWARF and machine code on first use while the file is unchanged", function()
    local a = H.build .. "/binary2-go1.26/go1.26.normal"
    if not H.exists(a) then return pending("binary fixtures not built") end
    local bin = assert(ge.binary.open(a))
    assert.is_table(assert(bin:dwarf()).units)
    assert.is_true(#assert(bin:symbols()) > 100)
    bin:close()
  end)
end)

describe("careless Lua callers", function()
  local base = H.build .. "/profile-gen/goroutine.txt"

  it("refuses to close or use a profile from inside its own symbolize resolver", function()
    if not H.exists(base) then return pending("profile fixtures not built") end
    for _, misuse in ipairs {
      function(p) p:close() end,
      function(p) p:top {} end,
      function(p) p:symbolize(function() end) end,
      function() collectgarbage("collect") end,
    } do
      local p = assert(ge.profile.open(base))
      local ok, err = pcall(p.symbolize, p, function()
        misuse(p)
        return { { func = "f", file = "x.go", line = 1 } }
      end)
      if ok then
        -- only a collection is allowed: the profile is on the stack
        assert.is_table(p:top {})
      else
        assert.matches("in use by symbolize", err, 1, true)
      end
      -- whatever the resolver did, the profile is whole afterwards
      assert.is_table(p:locations())
      p:close()
    end
  end)

  it("reads a resolver's frames raw: __index metamethods neither run nor free strings", function()
    if not H.exists(base) then return pending("profile fixtures not built") end
    local p = assert(ge.profile.open(base))
    local calls = 0
    local meta = { __index = function(_, k)
      calls = calls + 1
      collectgarbage("collect")
      if k == "file" then return "fresh" .. tostring(math.random()) end
      error("boom from __index")
    end }
    p = assert(p:symbolize(function()
      return { setmetatable({ func = "main.f", line = 3 }, meta) }
    end))
    assert.are.equal(0, calls)
    local l = p:locations()[1].lines[1]
    assert.are.equal("main.f", l.func)
    assert.is_true(l.file == nil or l.file == "") -- not the metamethod's string
  end)

  it("keeps a stream's filter strings while the callback changes the filter table", function()
    local d = H.tmpdir("hostile-stream")
    local lines = { "# example.com/p" }
    for i = 1, 200 do lines[#lines + 1] = ("./a.go:%d:2: x%d escapes to heap"):format(i, i) end
    H.write(d .. "/s.log", table.concat(lines, "\n") .. "\n")
    local filter = { kind = "escapes_to_heap", file = { "a.go" }, package = "example.com/p" }
    local n = 0
    assert(ge.escape.stream(d .. "/s.log", function()
      n = n + 1
      filter.kind, filter.package, filter.file = nil, nil, nil
      for _ = 1, 20 do local _ = ("garbage"):rep(1000) end
      collectgarbage("collect")
    end, { filter = filter }))
    assert.are.equal(200, n)
    -- a filter table whose __index builds strings is read raw (its fields only)
    local log = assert(ge.escape.open(d .. "/s.log"))
    local tricky = setmetatable({}, { __index = function() collectgarbage("collect"); return "nope" end })
    assert.are.equal(200, log:count(tricky))
  end)

  -- Lua code runs inside a method in two ways that no argument shows: a
  -- finalizer (at any allocation) and a debug hook (at any call, among them
  -- the call that runs the method's protected work). inside() uses the
  -- hook, which is deterministic: deed() runs at each C function that a
  -- method of `h` calls, and every deed must be refused. storm() uses finalizers, which the collector runs
  -- when it likes: what it checks is that nothing breaks. A finalizer that
  -- raised would take LuaJIT's compiled code down with it (LuaJIT 2.1, with
  -- no goescape involved), so these catch their own errors.
  -- The functions of h's type: its metamethods and methods (goescape.handle
  -- keeps the method table as __methods), with the C methods that Lua
  -- methods wrap (their upvalues).
  local function methods_of(h)
    local own = {}
    local mt = getmetatable(h)
    for _, m in pairs(mt.__methods) do
      own[m] = true
      -- and the C methods that a Lua method wraps (kept as its upvalues)
      for i = 1, debug.getinfo(m, "S").what == "Lua" and math.huge or 0 do
        local un, uv = debug.getupvalue(m, i)
        if not un then break end
        if type(uv) == "function" and debug.getinfo(uv, "S").what == "C" then own[uv] = true end
      end
    end
    for _, m in pairs(mt) do if type(m) == "function" then own[m] = true end end
    return own
  end

  -- In a call hook: is the function called a C function that a method of
  -- `own` calls (the binding's protected work)?
  local function called_by_method(own)
    local callee, caller = debug.getinfo(3, "fS"), debug.getinfo(4, "fS")
    return callee and caller and callee.what == "C" and not own[callee.func] and
      caller.what == "C" and own[caller.func]
  end

  local function inside(h, deed, f)
    local own = methods_of(h)
    local hits, refused, other = 0, 0, {}
    debug.sethook(function()
      if called_by_method(own) then
        hits = hits + 1
        local ok, err = pcall(deed)
        if not ok and tostring(err):find("is in use by", 1, true) then refused = refused + 1
        else other[#other + 1] = ok and "done" or tostring(err) end
      end
    end, "c")
    local ok, err = pcall(f)
    debug.sethook()
    assert(ok, err)
    assert.is_true(hits > 0, "no hook ran inside a method")
    assert.are.same({}, other)
    assert.are.equal(hits, refused)
  end

  local function on_collect(fn)
    if newproxy then
      local u = newproxy(true)
      getmetatable(u).__gc = fn
    else
      setmetatable({}, { __gc = fn })
    end
  end

  local function storm(rounds, deed, f)
    local has_modes, mode = pcall(collectgarbage, "incremental") -- busted runs 5.4 generational
    local pause = collectgarbage("setpause", 20)
    local ok, err = pcall(function()
      for _ = 1, rounds do
        for _ = 1, 4 do on_collect(function() pcall(deed) end) end
        f()
      end
    end)
    collectgarbage("setpause", pause)
    if has_modes then collectgarbage(mode) end
    collectgarbage()
    assert(ok, err)
  end

  local LOG = H.root .. "/spec/fixtures/escape/go1.26.m2.log"
  local BIN = H.build .. "/binary2-go1.26/go1.26.normal"

  -- Each op with an open handle (get() reopens a closed one); a finalizer
  -- that ran between two methods may have closed it: that error only.
  local function each_op(get, ops)
    for _, op in ipairs(ops) do
      local ok, err = pcall(op, get())
      if not ok and not tostring(err):find("closed", 1, true) then error(err, 0) end
    end
  end

  it("refuses to close or use a log from Lua code run inside one of its methods", function()
    local log = assert(ge.escape.open(LOG))
    local n = #log
    local ops = {
      function(l) assert.are.equal(n, #l:list()) end,
      function(l) assert.is_table(l:get(n)) end,
      function(l) assert.is_table(l:group("file")) end,
      function(l) assert.is_table(l:at_line("./lib/lib.go", 10)) end,
      function(l) local it = l:each { kind = "escape" }; while it() do end end,
      function(l) assert.is_table(l:summary()) end,
    }
    for _, deed in ipairs {
      function() log:close() end,
      function() log:count() end,
      function() log:get(1) end,
      function() getmetatable(log).__gc(log) end,
    } do
      inside(log, deed, function() each_op(function() return log end, ops) end)
    end
    assert.are.equal(n, #log:list()) -- whole afterwards
    local function get()
      if tostring(log):find("closed", 1, true) then log = assert(ge.escape.open(LOG)) end
      return log
    end
    storm(10, function() log:close() end, function() each_op(get, ops) end)
    get():close()
  end)

  it("refuses to close or use a profile from Lua code run inside one of its methods", function()
    local heap = H.build .. "/profile-gen/heap.pb.gz"
    if not H.exists(heap) then return pending("profile fixtures not built") end
    local p = assert(ge.core.profile_open(heap))
    local ops = {
      function(q) assert.is_table(q:samples()) end,
      function(q) assert.is_table(q:locations()) end,
      function(q) assert.is_table(q:functions()) end,
      function(q) assert.is_table(q:mappings()) end,
      function(q) assert.is_table(q:top { by = "line" }) end,
      function(q) assert.is_string(q:folded {}) end,
      function(q) assert.is_table(q:flame({}, 0)) end,
      function(q) assert.is_string(q:encode(false)) end,
      function(q) assert.is_table(q:info()) end,
      function(q) for s in q:each_sample() do assert.is_table(s.values) end end,
      function(q) for l in q:each_location() do assert.is_table(l.lines) end end,
    }
    for _, deed in ipairs {
      function() p:close() end,
      function() p:top {} end,
      function() p:symbolize(function() end) end,
    } do
      inside(p, deed, function() each_op(function() return p end, ops) end)
    end
    local function get()
      if tostring(p):find("closed", 1, true) then p = assert(ge.core.profile_open(heap)) end
      return p
    end
    storm(10, function() p:close() end, function() each_op(get, ops) end)
    assert.is_table(get():top {})
    get():close()
  end)

  it("refuses to close a binary, or replace its batch frames or DWARF, from Lua code inside its methods", function()
    if not H.exists(BIN) then return pending("binary fixtures not built") end
    local b = assert(ge.core.binary_open(BIN))
    local pcs = {}
    local i = 0
    for f in b:each_func() do
      i = i + 1
      if i % 7 == 0 then pcs[#pcs + 1] = f.entry end
    end
    local ops = {
      function(x) assert.are.equal(#pcs, #x:lookup_many(pcs)) end,
      function(x) assert.is_table(x:lookup(pcs[3])) end,
      function(x) assert.is_table(x:dwarf { units = { "main" } }) end,
      function(x) assert.is_table(x:symbols()) end,
      function(x) assert.is_table(x:funcs()) end,
      function(x) assert.is_table(x:func("main.main")) end,
      function(x) assert.is_table(x:info()) end,
      function(x) assert.is_string(x:symbolize_text("0x401000\n0x402000\n", true)) end,
      function(x) for f in x:each_func() do if f.entry > pcs[3] then break end end end,
      function(x) for v in assert(x:each_variable { units = { "main" } }) do assert.is_string(v.name) end end,
    }
    for _, deed in ipairs {
      function() b:close() end,
      function() b:lookup_many { pcs[1], pcs[2] } end, -- a new batch frees the last one's frames
      function() b:dwarf { units = { "runtime" } } end, -- a new load frees the last one's strings
    } do
      inside(b, deed, function() each_op(function() return b end, ops) end)
    end
    local function get()
      if tostring(b):find("closed", 1, true) then b = assert(ge.core.binary_open(BIN)) end
      return b
    end
    storm(10, function() b:close() end, function() each_op(get, ops) end)
    get():close()
  end)

  it("reads a query table raw: its __index never runs, and cannot close the profile", function()
    if not H.exists(base) then return pending("profile fixtures not built") end
    local p = assert(ge.core.profile_open(base))
    local calls = 0
    local q = setmetatable({}, { __index = function(_, k)
      calls = calls + 1
      p:close()
      collectgarbage("collect")
      if k == "by" then return "line" end
      if k == "sample" then return nil end
      return "fresh" .. tostring(math.random()) -- a regexp only the stack would hold
    end })
    -- the C methods themselves: the Lua methods that wrap them (and keep
    -- them as upvalues <name>_c) read their options as Lua code does
    local function c_method(name)
      local f = ge.profile.Profile[name]
      for i = 1, math.huge do
        local un, uv = debug.getupvalue(f, i)
        assert(un, "no C method " .. name)
        if un == name .. "_c" then return uv end
      end
    end
    assert.is_table(c_method("top")(p, q))
    assert.is_string(c_method("folded")(p, q))
    assert.is_table(c_method("flame")(p, q, 0))
    assert.are.equal(0, calls)
    -- a sample name that the collector could free while the query runs
    local rows = assert(p:top { sample = ("goroutine"):sub(1), by = "line", focus = ("m" .. "ain") })
    assert.is_table(rows)
    p:close()
  end)

  it("keeps a dwarf units list whatever the caller does to its table", function()
    if not H.exists(BIN) then return pending("binary fixtures not built") end
    local b = assert(ge.core.binary_open(BIN))
    local units = { "ma" .. "in" }
    -- the table changes (and the collector runs) as soon as the method has
    -- read it: the units are the ones it read
    local n = 0
    local own = methods_of(b)
    debug.sethook(function()
      if called_by_method(own) and n < 5 then
        n = n + 1
        units[1] = ("x"):rep(10) .. "never"
        collectgarbage("collect")
      end
    end, "c")
    local ok, d = pcall(b.dwarf, b, { units = units })
    debug.sethook()
    assert(ok, d)
    assert.are.equal(1, #d.units)
    assert.are.equal("main", d.units[1].name)
    b:close()
  end)

  it("refuses to merge a profile that its own resolver is symbolizing", function()
    if not H.exists(base) then return pending("profile fixtures not built") end
    local p = assert(ge.core.profile_open(base))
    local merged, err
    assert(p:symbolize(function()
      if merged == nil and err == nil then
        local ok, e = pcall(ge.core.profile_merge, { p, p })
        merged, err = ok and e or false, not ok and e or nil
        -- the diff of a profile in use by symbolize is refused too
        local dok, derr = pcall(p.diff, p, p)
        assert(not dok and derr:find("in use by symbolize", 1, true), derr)
      end
      return { { func = "f", file = "x.go", line = 1 } }
    end))
    assert.is_false(merged)
    assert.matches("in use", err, 1, true)
    p:close()
  end)

  it("survives a stream callback that raises, re-enters the stream and closes what it can", function()
    local d = H.tmpdir("hostile-stream-cb")
    local lines = { "# example.com/p" }
    for i = 1, 50 do lines[#lines + 1] = ("./a.go:%d:2: x%d escapes to heap"):format(i, i) end
    H.write(d .. "/s.log", table.concat(lines, "\n") .. "\n")
    local log = assert(ge.escape.open(d .. "/s.log"))
    local depth, seen = 0, 0
    local function cb(rec)
      assert.is_string(rec.message)
      if depth == 0 then seen = seen + 1 end
      if depth < 3 and (depth > 0 or seen % 10 == 1) then -- nested streams, a few
        depth = depth + 1
        local ok = pcall(ge.escape.stream, d .. "/s.log", cb, { filter = { kind = "escape" } })
        depth = depth - 1
        assert.is_true(ok)
      end
      log:close()
      collectgarbage("collect")
      if depth == 0 and seen == 40 then error({ code = 40 }) end
      if depth > 0 then return false end -- an inner stream stops at its first record
    end
    local ok, e = pcall(ge.escape.stream, d .. "/s.log", cb)
    assert.is_false(ok)
    assert.are.equal(40, e.code) -- the callback's own error value, raised again
    -- a stream that raises closes its file: many of them leave none open
    for _ = 1, 300 do pcall(ge.escape.stream, d .. "/s.log", function() error("x") end) end
    assert(ge.escape.stream(d .. "/s.log", function() return false end))
  end)

  it("checks a symbolize_text file again after every allocation", function()
    if not H.exists(BIN) then return pending("binary fixtures not built") end
    local b = assert(ge.core.binary_open(BIN))
    local input = assert(io.tmpfile())
    input:write(("0x401000\n"):rep(1000))
    local refused = 0
    for _ = 1, 30 do
      input:seek("set", 0)
      local out = io.tmpfile()
      on_collect(function() pcall(out.close, out) end)
      on_collect(function() pcall(input.close, input) end)
      local pause = collectgarbage("setpause", 1)
      local ok, err = pcall(b.symbolize_text, b, input, false, out)
      collectgarbage("setpause", pause)
      if not ok then
        assert.matches("closed file", err, 1, true)
        refused = refused + 1
      end
      if io.type(input) == "closed file" then
        input = assert(io.tmpfile())
        input:write(("0x401000\n"):rep(1000))
      end
    end
    b:close()
    input:close()
  end)

  it("survives random call sequences with hostile arguments and callbacks (fuzz/lua_api.lua)", function()
    -- in a process of its own: the fuzzer turns the network off for its
    -- Lua state (ge.net.disable), which the other specs of this one need
    local script = H.tmpdir("hostile-fuzz") .. "/run.lua"
    H.write(script, ([[
local ge = require "goescape"
local fuzz = dofile(%q .. "/fuzz/lua_api.lua")
local stats = fuzz.run { seed = 20261130, n = 300, secs = 15, root = %q,
  core = ge.core, ge = ge, say = function() end }
local log = assert(ge.escape.open(%q))
print(stats.sequences, stats.calls, stats.errors, stats.deeds, #log)
log:close()
]]):format(H.root, H.root, LOG))
    local out, rc, err = H.sh(H.lua_cmd(script, ""))
    assert.are.equal(0, rc, err)
    local seqs, calls, errors, deeds, nlog = out:match("(%d+)%s+(%d+)%s+(%d+)%s+(%d+)%s+(%d+)")
    seqs, calls, errors, deeds, nlog = tonumber(seqs), tonumber(calls), tonumber(errors), tonumber(deeds), tonumber(nlog)
    assert.is_true(seqs >= 100, "too few sequences: " .. out)
    assert.is_true(calls > seqs * 5)
    assert.is_true(errors > 0 and deeds > 0)
    -- the module is whole afterwards
    assert.is_true(nlog > 0)
  end)
end)

describe("shapes that were quadratic (PIE relocations)", function()
  package.path = H.root .. "/bench/?.lua;" .. package.path
  local shapes = require "shapes"
  for _, shape in ipairs { "relocated", "in place" } do
    it("opens a PIE with 10^5 moduledata decoys (" .. shape .. ") in bounded time", function()
      local path = H.tmpdir("quadratic-pie") .. "/decoys"
      shapes.crafted_pie(path, 100000, shape)
      local t0 = os.clock()
      local b, err = ge.binary.open(path)
      local dt = os.clock() - t0
      assert.is_true(ge.binary.is_binary(b), err)
      assert.is_true(b.pie)
      assert.are.equal(shapes.PIE.pclntab, b.pclntab_addr)
      assert.are.equal(shapes.PIE.text, b.text_start) -- read from the real moduledata, past every decoy
      b:close()
      assert.is_true(dt < 2, ("open took %.2f s"):format(dt))
    end)
  end
end)
