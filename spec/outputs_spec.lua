-- Outputs that cannot be lost silently: every command that writes to
-- stdout exits 1 with one line on a full device, and every command that
-- writes a file (-o) writes it whole beside the target and renames it, so a
-- failed write leaves the previous file as it was. A full disk is a 64 KiB
-- tmpfs filled up (root, as CI runs; pending where mounting is refused).
local H = require "spec.helpers"

local PROF = H.root .. "/spec/fixtures/explain"

local function fixture()
  local c = H.go_compilers()[2] or H.go_compilers()[1]
  return H.cached("outputs-" .. c.name, function(d)
    H.must(("cp -r %s/. %s"):format(H.q(PROF), H.q(d)))
    H.must(("cd %s/app && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s test -gcflags='example.com/explain/...=-m=2' "
      .. "-run x -bench . -benchtime 50x -memprofile %s/mem.pb.gz -memprofilerate 1 . > /dev/null 2> %s/m2.log")
      :format(H.q(d), H.q(d), c.go, H.q(d), H.q(d)))
  end)
end

describe("outputs", function()
  local dir
  setup(function() dir = fixture() end)

  it("exits 1 with a one-line error when stdout is a full device", function()
    local cmds = {
      "summary " .. H.q(dir .. "/m2.log"),
      "escapes --json " .. H.q(dir .. "/m2.log"),
      "top -n 0 " .. H.q(dir .. "/mem.pb.gz"),
      "hotspots --escape " .. H.q(dir .. "/m2.log") .. " --profile " .. H.q(dir .. "/mem.pb.gz"),
      "flame " .. H.q(dir .. "/mem.pb.gz"),
      "folded " .. H.q(dir .. "/mem.pb.gz"),
    }
    for _, c in ipairs(cmds) do
      local _, rc, err = H.sh(H.cli_cmd(c) .. " > /dev/full")
      assert.are.equal(1, rc, c)
      assert.matches("^goescape: [^\n]*write error[^\n]*\n$", err, nil, false, c)
    end
  end)

  it("keeps the previous file when writing the new one fails, and leaves no temporary file", function()
    local mnt = H.tmpdir("outputs-full")
    local _, rc = H.sh("mount -t tmpfs -o size=64k tmpfs " .. H.q(mnt))
    if rc ~= 0 then return pending("cannot mount a small tmpfs here") end
    local ok, e = pcall(function()
      local target = mnt .. "/out"
      local writers = {
        "flame -o " .. H.q(target) .. " " .. H.q(dir .. "/mem.pb.gz"),
        "merge -o " .. H.q(target) .. " " .. H.q(dir .. "/mem.pb.gz") .. " " .. H.q(dir .. "/mem.pb.gz"),
        "top -o " .. H.q(target) .. " --base " .. H.q(dir .. "/mem.pb.gz") .. " " .. H.q(dir .. "/mem.pb.gz"),
        "html -o " .. H.q(target) .. " --escape " .. H.q(dir .. "/m2.log") .. " --profile " .. H.q(dir .. "/mem.pb.gz"),
        "flow -o " .. H.q(target) .. " " .. H.q(dir .. "/m2.log"),
      }
      H.write(target, "the previous good file\n")
      H.must("dd if=/dev/zero of=" .. H.q(mnt .. "/fill") .. " bs=1k count=100 2>/dev/null || true")
      for _, c in ipairs(writers) do
        local out, rc2, err = H.cli(c)
        assert.are.equal(1, rc2, c .. "\n" .. out)
        assert.matches("write error", err, 1, true)
        assert.are.equal("the previous good file\n", H.read(target), c)
      end
      local ls = H.must("ls -A " .. H.q(mnt))
      assert.are.equal("fill\nout\n", ls)
      -- with room, the file is replaced whole
      H.must("rm " .. H.q(mnt .. "/fill"))
      local _, rc3 = H.cli(writers[1])
      assert.are.equal(0, rc3)
      assert.matches("^<%?xml", H.read(target))
      assert.are.equal("out\n", H.must("ls -A " .. H.q(mnt)))
    end)
    H.sh("umount " .. H.q(mnt))
    if not ok then error(e, 0) end
  end)

  it("writes to a special file in place (-o /dev/stdout)", function()
    local out, rc = H.cli("flame -o /dev/stdout " .. H.q(dir .. "/mem.pb.gz"))
    assert.are.equal(0, rc)
    assert.matches("<svg", out, 1, true)
  end)
end)

describe("text from inputs", function()
  -- a log whose paths and subjects carry terminal commands and Latin-1 bytes
  local EVIL = "# example.com/p\n"
    .. "./a.go:1:2: \27]0;pwned\7 escapes to heap\n"
    .. "./b\233.go:3:4: x escapes to heap\n"
    .. "./c.go:1:1: moved to heap: \27[2J\r\194\155x\n"
  local cjson = require "cjson"
  local log_path

  setup(function()
    local d = H.tmpdir("outputs-evil")
    log_path = d .. "/evil.log"
    H.write(log_path, EVIL)
    -- a profile whose function names carry the same, through symbolize
    local ge = require "goescape"
    local base = H.build .. "/profile-gen/goroutine.txt"
    if H.exists(base) then
      local p = assert(ge.profile.open(base))
      p = assert(p:symbolize(function(addr)
        return { { func = ("f\27[31m%x\r\233"):format(addr), file = "x\7.go", line = 3 } }
      end))
      assert(p:write(d .. "/evil.pb.gz"))
    end
  end)

  local function no_controls(out, what)
    assert.is_nil(out:find("[%z\1-\8\11-\31\127]"), what)
    assert.is_nil(out:find("\194[\128-\159]"), what)
  end

  it("never prints a control character, in text or JSON, and JSON stays valid UTF-8", function()
    for _, c in ipairs { "escapes", "escapes --json", "summary", "summary --json",
      "diff --json", "diff --sarif", "diff" } do
      local args = c:match("^diff") and (c .. " " .. H.q(log_path) .. " " .. H.q(log_path .. ".2")) or
        (c .. " " .. H.q(log_path))
      if c:match("^diff") then H.write(log_path .. ".2", "# example.com/p\n") end
      local out, rc = H.cli(args)
      assert.are.equal(0, rc, c)
      no_controls(out, c)
      if c:match("json") or c:match("sarif") then
        local docs = {}
        if c:match("sarif") or c:match("^diff") then docs = { out }
        else for line in out:gmatch("[^\n]+") do docs[#docs + 1] = line end end
        for _, doc in ipairs(docs) do assert.is_table(cjson.decode(doc), c) end
        -- the JSON string is UTF-8 (Latin-1 bytes read as Latin-1 characters)
        assert.is_nil(out:find("\233", 1, true), c)
      end
    end
    local json = H.cli("escapes --json " .. H.q(log_path))
    local files = {}
    for line in json:gmatch("[^\n]+") do files[#files + 1] = cjson.decode(line).file end
    assert.are.same({ "./a.go", "./b\195\169.go", "./c.go" }, files)
    assert.matches("\\u001b]0;pwned\\u0007 escapes to heap", H.cli("escapes " .. H.q(log_path)), 1, true)
  end)

  it("escapes function names of a crafted profile in top, folded, flame and JSON", function()
    local prof = H.tmproot .. "/outputs-evil/evil.pb.gz"
    if not H.exists(prof) then return pending("no legacy fixture profile") end
    for _, c in ipairs { "top -n 0", "top -n 0 --json", "folded", "flame", "top --by line -n 0" } do
      local out, rc = H.cli(c .. " " .. H.q(prof))
      assert.are.equal(0, rc, c)
      no_controls(out, c)
      if c == "flame" then
        assert.matches("f\239\191\189[31m", out, 1, true) -- U+FFFD: XML has no escape for it
        assert.is_nil(out:find("\233", 1, true))
      else
        assert.matches("\\u001b[31m", out, 1, true)
      end
      if c:match("json") then
        for line in out:gmatch("[^\n]+") do assert.is_table(cjson.decode(line)) end
      end
    end
  end)
end)

describe("numbers that cross into C", function()
  local ge = require "goescape"
  local DIR = H.build .. "/profile-gen"

  it("refuses NaN, infinities and fractions from Lua before any cast", function()
    if not H.exists(DIR .. "/allocs.pb.gz") then return pending("profile fixtures not built") end
    local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
    for _, bad in ipairs { 0 / 0, 1 / 0, -1, 0, 1.5, 1e300 } do
      assert.has_error(function() p:top { sample = bad } end)
    end
    assert.has_error(function() p:flame { min = 0 / 0 } end)
    local log = assert(ge.escape.parse("# p\n./a.go:1:2: x escapes to heap\n"))
    assert.is_nil(log:get(0 / 0))
    assert.are.same({}, log:at_line("a.go", 0 / 0))
    assert.has_error(function() ge.binary.open(DIR .. "/profgen"):lookup(0 / 0) end)
    -- a resolver's NaN line is no line
    local q = assert(ge.profile.open(DIR .. "/goroutine.txt"))
    q = assert(q:symbolize(function() return { { func = "f", file = "x.go", line = 0 / 0 } } end))
    assert.are.equal(0, q:locations()[1].lines[1].line or 0)
  end)

  it("takes --sample as a name or a 1-based index, like Lua; -n as a whole number", function()
    if not H.exists(DIR .. "/allocs.pb.gz") then return pending("profile fixtures not built") end
    local prof = H.q(DIR .. "/allocs.pb.gz")
    local by_name = H.cli("top -n 3 --sample alloc_space " .. prof)
    local by_index = H.cli("top -n 3 --sample 2 " .. prof)
    assert.are.equal(by_name, by_index)
    assert.matches("^Type: alloc_space\n", by_index)
    for _, bad in ipairs { "--sample 0", "-n nan", "-n inf", "-n -1", "-n 1.5", "--nodefraction nan" } do
      local _, rc, err = H.cli("top " .. bad .. " " .. prof)
      assert.are.equal(2, rc, bad)
      assert.matches("Usage: goescape top", err, 1, true)
    end
  end)
end)

describe("names from a binary", function()
  it("symbolize prints a crafted function name's control and stray bytes escaped, JSON valid", function()
    local src = H.build .. "/profile-gen/profgen"
    if not H.exists(src) then return pending("profile fixtures not built") end
    local ge = require "goescape"
    local b = assert(ge.binary.open(src))
    local f = b:func("main.leaf")
    assert.is_table(f)
    b:close()
    -- the same binary with its function name rewritten in place (same length)
    local bytes = H.read(src)
    local at = bytes:find("main.leaf\0", 1, true)
    assert.is_number(at)
    local d = H.tmpdir("outputs-names")
    H.write(d .. "/crafted", bytes:sub(1, at - 1) .. "main.\27\233af" .. bytes:sub(at + 9))
    H.write(d .. "/pcs.txt", ("0x%x\n"):format(f.entry))
    local out, rc = H.sh(H.cli_cmd("symbolize " .. H.q(d .. "/crafted")) .. " < " .. H.q(d .. "/pcs.txt"))
    assert.are.equal(0, rc, out)
    assert.matches("main.\\u001b\\u00e9af", out, 1, true)
    assert.is_nil(out:find("[%z\1-\8\11-\31\127]"))
    local js = H.sh(H.cli_cmd("symbolize --json " .. H.q(d .. "/crafted")) .. " < " .. H.q(d .. "/pcs.txt"))
    local obj = require("cjson").decode(js)
    assert.are.equal("main.\27\195\169af", obj.frames[#obj.frames].func)
  end)
end)
