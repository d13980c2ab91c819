--- Inputs shaped to cost: small or cheap files that once took seconds to
-- minutes, or gigabytes, before goescape answered or refused them. Each
-- shape is made in a directory and names the command to run on it and the
-- bounds it must stay under (time and peak memory, generous enough for a
-- busy CI machine, far under what the unbounded shape took).
--
-- Used by bench/hostile.sh (prints each shape's time and peak memory) and by
-- spec/hostile_spec.lua (asserts the bounds). Needs only a Lua and a shell.
local M = {}

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
end

local function sh(cmd)
  local ok = os.execute(cmd)
  assert(ok == true or ok == 0, "failed: " .. cmd)
end

-- profile.proto, written field by field (google/pprof's profile.proto).
local pb = {}
function pb.varint(n)
  local t = {}
  repeat
    local b = n % 128
    n = (n - b) / 128
    t[#t + 1] = string.char(n > 0 and b + 128 or b)
  until n == 0
  return table.concat(t)
end
function pb.uint(field, n) return pb.varint(field * 8) .. pb.varint(n) end
function pb.bytes(field, s) return pb.varint(field * 8 + 2) .. pb.varint(#s) .. s end
M.pb = pb

-- A profile whose top --by line keys (function name, line) are crafted to
-- collide under a hash that multiplies fields by one constant and xors
-- them: function i's name is interned as id i + 1 (after the empty string),
-- and it sits on line i + 1.
local function colliding_profile(n)
  local t = { pb.bytes(1, pb.uint(1, 1) .. pb.uint(2, 2)) } -- sample_type alloc_space/bytes
  for i = 1, n do
    t[#t + 1] = pb.bytes(2, pb.bytes(1, pb.varint(i)) .. pb.bytes(2, pb.varint(i))) -- sample
    t[#t + 1] = pb.bytes(4, pb.uint(1, i) .. pb.bytes(4, pb.uint(1, i) .. pb.uint(2, i + 1))) -- location
    t[#t + 1] = pb.bytes(5, pb.uint(1, i) .. pb.uint(2, 3 + i) .. pb.uint(4, 3)) -- function
  end
  for _, s in ipairs { "", "alloc_space", "bytes", "x.go" } do t[#t + 1] = pb.bytes(6, s) end
  for i = 1, n do t[#t + 1] = pb.bytes(6, "f" .. i) end
  return table.concat(t)
end

-- 100k `-m=2` explanation headers at one position.
local function headers_log(n)
  local t = { "# p" }
  for _ = 1, n do
    t[#t + 1] = "./a.go:1:2: x escapes to heap:"
    t[#t + 1] = "./a.go:1:2:   flow: {heap} = &x:"
  end
  t[#t + 1] = "./a.go:1:2: x escapes to heap"
  return table.concat(t, "\n") .. "\n"
end

local unpack = table.unpack or unpack
local function le(n, bytes)
  local t = {}
  for i = 1, bytes do t[i] = n % 256; n = (n - t[i]) / 256 end
  return string.char(unpack(t))
end

local PCLN, TEXT = 0x1000, 0x5000 -- pclntab address; moduledata's text word
M.PIE = { pclntab = PCLN, text = TEXT }
local R_X86_64_RELATIVE = 8

-- A PIE-shaped ELF64 (no program headers: addresses are the sections')
-- whose Go 1.20 pclntab header is found at once, then moduledata is
-- searched among n decoys, the real one last (and last in .rela.dyn,
-- whose decoy entries are in descending order, not the linkers' sorted
-- one). shape "relocated": each decoy is a RELATIVE relocation pointing
-- at the pclntab from a zero word with no relocation after it (the
-- candidates of the PIE search). shape "in place": each decoy is a file
-- word holding the pclntab address followed by a zero word, with n
-- unrelated RELATIVE relocations elsewhere (the data section scan).
function M.crafted_pie(path, n, shape)
  local DATA = 0x2000
  local md = DATA + 16 * n          -- the real moduledata
  local other = md + 512            -- "in place": where the unrelated relocations point
  local datasz = other + 8 * n - DATA
  local rela_off = DATA + datasz
  local nrela = n + 3
  local shstr = "\0.shstrtab\0.gopclntab\0.data.rel.ro\0.rela.dyn\0"
  local shstr_off = rela_off + 24 * nrela
  local sh_off = shstr_off + #shstr + (8 - #shstr % 8) % 8
  -- pclntab 1.20: magic, quantum 1, ptrsize 8, 1 function, 0 files,
  -- textStart, then funcnametab .. pclntab offsets, one functab entry
  local pcln = table.concat {
    "\241\255\255\255\0\0\1\8", le(1, 8), le(0, 8), le(PCLN, 8),
    le(72, 8), le(72, 8), le(72, 8), le(72, 8), le(80, 8),
    le(0, 8), -- padding up to the functab at 80
    le(0, 4), le(16, 4), le(16, 4), le(0, 4), -- {entryoff 0, funcoff 16}, end entry
  }
  pcln = pcln .. ("\0"):rep(128 - #pcln)
  local data = {}
  if shape == "in place" then
    local decoy = le(PCLN, 8) .. le(0, 8)
    for i = 1, n do data[i] = decoy end
    data[n + 1] = le(PCLN, 8) .. ("\0"):rep(other - md - 8) .. ("\0"):rep(8 * n)
  else
    data[1] = ("\0"):rep(datasz)
  end
  data = table.concat(data)
  assert(#data == datasz)
  local info = le(R_X86_64_RELATIVE, 8)
  local rela = {}
  local decoy_tail = info .. le(shape == "in place" and 0x7777 or PCLN, 8)
  for i = n - 1, 0, -1 do
    local at = shape == "in place" and other + 8 * i or DATA + 16 * i
    rela[#rela + 1] = le(at, 8) .. decoy_tail
  end
  rela[#rela + 1] = le(md, 8) .. info .. le(PCLN, 8)
  rela[#rela + 1] = le(md + 8, 8) .. info .. le(PCLN + 72, 8)
  rela[#rela + 1] = le(md + 22 * 8, 8) .. info .. le(TEXT, 8)
  rela = table.concat(rela)
  local function sh(name, typ, flags, addr, off, size, entsize)
    return table.concat { le(name, 4), le(typ, 4), le(flags, 8), le(addr, 8), le(off, 8),
      le(size, 8), le(0, 4), le(0, 4), le(8, 8), le(entsize, 8) }
  end
  local shdrs = table.concat {
    ("\0"):rep(64),
    sh(1, 3, 0, 0, shstr_off, #shstr, 0),                 -- .shstrtab
    sh(11, 1, 2, PCLN, PCLN, #pcln, 0),                   -- .gopclntab
    sh(22, 1, 3, DATA, DATA, datasz, 0),                  -- .data.rel.ro
    sh(35, 4, 2, rela_off, rela_off, #rela, 24),          -- .rela.dyn
  }
  local ehdr = table.concat {
    "\127ELF\2\1\1", ("\0"):rep(9),
    le(3, 2), le(62, 2), le(1, 4), le(0, 8), le(0, 8), le(sh_off, 8), le(0, 4),
    le(64, 2), le(56, 2), le(0, 2), le(64, 2), le(5, 2), le(1, 2),
  }
  write(path, table.concat {
    ehdr, ("\0"):rep(PCLN - #ehdr), pcln, ("\0"):rep(DATA - PCLN - #pcln), data, rela,
    shstr, ("\0"):rep(sh_off - shstr_off - #shstr), shdrs,
  })
end

--- Each shape: name, what it is, make(dir) -> command arguments (after
-- `goescape`), env (prefix), expect ("refused": exit 1; "ok": exit 0),
-- seconds and mb (the bounds).
M.list = {
  {
    name = "sparse-log", what = "a 4 GB sparse file given as an escape log",
    make = function(d)
      sh("truncate -s 4G " .. q(d .. "/big.log"))
      return "summary " .. q(d .. "/big.log")
    end,
    expect = "refused", seconds = 2, mb = 100,
  },
  {
    name = "sparse-profile", what = "a 4 GB sparse file given as a profile",
    make = function(d)
      sh("truncate -s 4G " .. q(d .. "/big.pb"))
      return "top " .. q(d .. "/big.pb")
    end,
    expect = "refused", seconds = 2, mb = 100,
  },
  {
    name = "zero-pipe", what = "/dev/zero piped to symbolize (max_inflated_bytes=64 MB)",
    make = function()
      -- any Go binary: the go command's own
      local p = io.popen("go env GOROOT 2>/dev/null")
      local root = p and p:read("*l")
      if p then p:close() end
      if not root or root == "" then return nil end
      return "symbolize " .. q(root .. "/bin/go") .. " < /dev/zero", "GOESCAPE_LIMITS=max_inflated_bytes=67108864"
    end,
    expect = "refused", seconds = 5, mb = 400,
  },
  {
    name = "headers-100k", what = "100k -m=2 headers at one position (a 3 MB log), summary",
    make = function(d)
      write(d .. "/h.log", headers_log(100000))
      return "summary " .. q(d .. "/h.log")
    end,
    expect = "ok", seconds = 3, mb = 300,
  },
  {
    name = "headers-100k-stream", what = "the same log, escapes --stream",
    make = function(d)
      write(d .. "/h.log", headers_log(100000))
      return "escapes --stream " .. q(d .. "/h.log") .. " > /dev/null"
    end,
    expect = "ok", seconds = 3, mb = 300,
  },
  {
    name = "top-collide", what = "100k (name, line) keys crafted to collide (a 3 MB profile), top --by line",
    make = function(d)
      write(d .. "/c.pb", colliding_profile(100000))
      return "top --by line -n 3 " .. q(d .. "/c.pb")
    end,
    expect = "ok", seconds = 3, mb = 300,
  },
  {
    name = "profile-bomb", what = "5M empty mappings, gzipped to ~10 KB (10 MB inflated), top",
    make = function(d)
      write(d .. "/m.pb", pb.bytes(3, ""):rep(5000000))
      sh("gzip -9 " .. q(d .. "/m.pb"))
      return "top " .. q(d .. "/m.pb.gz")
    end,
    expect = "refused", seconds = 3, mb = 200,
  },
  {
    name = "symlink-tree", what = "a logopt tree with twelve links back to its ancestors",
    make = function(d)
      sh("mkdir -p " .. q(d .. "/tree/pkg"))
      write(d .. "/tree/pkg/a.json",
        '{"version":0,"package":"p","goos":"linux","goarch":"amd64","gc_version":"go1.26.8","file":"/x/a.go"}\n'
        .. '{"range":{"start":{"line":3,"character":2},"end":{"line":3,"character":2}},"severity":3,'
        .. '"code":"escape","source":"go compiler","message":"x escapes to heap"}\n')
      for i = 1, 6 do
        sh(("ln -sfn .. %s && ln -sfn ../pkg %s"):format(q(d .. "/tree/pkg/up" .. i), q(d .. "/tree/pkg/self" .. i)))
      end
      return "summary " .. q(d .. "/tree")
    end,
    expect = "ok", seconds = 2, mb = 100,
  },
}

-- The crafted PIE, in both shapes.
for _, shape in ipairs { { "relocated", "10^5 moduledata decoys among its RELATIVE relocations" },
  { "in place", "10^5 decoy words and 10^5 unrelated relocations" } } do
  table.insert(M.list, #M.list, {
    name = "pie-" .. shape[1]:gsub(" ", "-"), what = "a PIE with " .. shape[2] .. ", info",
    make = function(d)
      M.crafted_pie(d .. "/decoys", 100000, shape[1])
      return "info " .. q(d .. "/decoys")
    end,
    expect = "ok", seconds = 2, mb = 200,
  })
end

--- Runs one shape: `cli` is the command line that starts goescape (without
-- arguments). Returns {exit=, seconds=, mb=} measured by GNU time, or nil
-- and why when /usr/bin/time (or what the shape needs) is missing.
function M.run(shape, dir, cli)
  local f = io.open("/usr/bin/time")
  if not f then return nil, "needs /usr/bin/time (GNU time)" end
  f:close()
  sh("rm -rf " .. q(dir) .. " && mkdir -p " .. q(dir))
  local args, env = shape.make(dir)
  if not args then return nil, "needs go on PATH" end
  local out = dir .. "/.time"
  -- stdin from /dev/null unless the shape redirects it itself
  local cmd = ("%s /usr/bin/time -f '%%x %%e %%M' -o %s sh -c %s < /dev/null > /dev/null 2>&1")
    :format(env and ("env " .. env) or "", q(out), q(cli .. " " .. args))
  os.execute(cmd)
  local rf = assert(io.open(out))
  local text = rf:read("*a")
  rf:close()
  local x, e, m = text:match("(%d+)%s+([%d.]+)%s+(%d+)%s*$")
  sh("rm -rf " .. q(dir))
  return { exit = tonumber(x), seconds = tonumber(e), mb = tonumber(m) / 1024, raw = text }
end

return M
