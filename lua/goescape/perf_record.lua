--- Recording every allocation of an unmodified Go program with perf
-- uprobes: one probe per allocation entry point of its runtime, each
-- reading the requested size from the first argument, set up for the
-- recording and removed after it (ge.perf.record_mallocs, `goescape perf
-- --mallocs --run CMD`).
--
-- Which entry points: until Go 1.23 every heap allocation enters
-- runtime.mallocgc. From Go 1.24 mallocgc dispatches to one function per
-- kind of object (tiny, small without pointers, small with pointers and
-- without or with a header, large), and from Go 1.26's size-specialized
-- paths the compiler can inline mallocgc's dispatch into its callers, so a
-- probe on mallocgc misses allocations; each of those functions is entered
-- exactly once per allocation, and none calls another, so probing them all
-- (and not mallocgc) counts every allocation once.
local gorun = require "goescape.gorun"

local M = {}

local q = gorun.q

-- The allocation entry points below mallocgc's dispatch (Go 1.24+). The
-- slow paths of the size-specialized functions are called from them and
-- are left out.
local LEAVES = {
  "^runtime%.mallocgcTiny$", "^runtime%.mallocgcSmallNoscan$", "^runtime%.mallocgcSmallScanNoHeader$",
  "^runtime%.mallocgcSmallScanHeader$", "^runtime%.mallocgcLarge$", "^runtime%.mallocgcTinySC%d+$",
  "^runtime%.mallocgcSmallNoScanSC%d+$", "^runtime%.mallocgcSmallScanNoHeaderSC%d+$",
}

local EM_X86_64, EM_AARCH64 = 62, 183

local function minor(v)
  return tonumber((v or ""):match("^go1%.(%d+)"))
end

--- The probes for binary b (a ge.binary): {funcs = {name...}, arg = the
-- perf probe arguments: the size, and on amd64 the return address (at the
-- entry, perf's frame-pointer walk skips the caller: p:allocs puts it
-- back)}, or nil, err, code. On arm64 the return address is in the link
-- register, which perf's walk reads.
function M.probes(b)
  local info = b:info()
  local m = minor(info.go_version)
  local arg, ret
  if info.machine == EM_X86_64 then
    -- Go's register ABI (1.17+ on amd64) passes the first integer argument
    -- in AX; before it, arguments are on the stack above the return address.
    arg = (m == nil or m >= 17) and "size=%ax:u64" or "size=+8(%sp):u64"
    ret = "caller=+0(%sp):x64"
  elseif info.machine == EM_AARCH64 then
    arg = (m == nil or m >= 18) and "size=%x0:u64" or "size=+8(%sp):u64"
  else
    return nil, ("%s: allocation probes read amd64 and arm64 registers; this binary is for ELF machine %d")
      :format(b.path or "binary", info.machine or -1), "unsupported"
  end
  local funcs, seen, mallocgc = {}, {}, false
  for f in b:each_func() do
    if f.name == "runtime.mallocgc" then mallocgc = true end
    if not seen[f.name] then
      for _, pat in ipairs(LEAVES) do
        if f.name:match(pat) then
          seen[f.name] = true
          funcs[#funcs + 1] = f.name
          break
        end
      end
    end
  end
  if #funcs == 0 then
    if not mallocgc then
      return nil, ("%s: no runtime.mallocgc: not a Go program"):format(b.path or "binary"), "format"
    end
    funcs[1] = "runtime.mallocgc"
  end
  table.sort(funcs)
  return { funcs = funcs, arg = ret and (arg .. " " .. ret) or arg }
end

-- The program cmd runs: its first word as sh reads it (quotes and
-- backslashes; the word ends at unquoted blanks or ; & | < > ( )), read
-- here rather than by a shell, which would run what follows the word.
-- Leading VAR=value assignments are skipped.
local function first_word(cmd)
  local i, n = 1, #cmd
  while true do
    while i <= n and cmd:sub(i, i):match("%s") do i = i + 1 end
    local out, quote = {}, nil
    while i <= n do
      local ch = cmd:sub(i, i)
      if quote == "'" then
        if ch == "'" then quote = nil else out[#out + 1] = ch end
      elseif quote == '"' then
        if ch == '"' then quote = nil
        elseif ch == "\\" and i < n then i = i + 1; out[#out + 1] = cmd:sub(i, i)
        else out[#out + 1] = ch end
      elseif ch == "'" or ch == '"' then quote = ch
      elseif ch == "\\" and i < n then i = i + 1; out[#out + 1] = cmd:sub(i, i)
      elseif ch:match("[%s;&|<>()]") then break
      else out[#out + 1] = ch end
      i = i + 1
    end
    local w = table.concat(out)
    if not w:match("^[%a_][%w_]*=") then return w end
  end
end

M._first_word = first_word

local function fail(msg, out)
  local detail = (out or ""):gsub("%s+$", ""):match("[^\n]*$")
  if detail and detail ~= "" then msg = msg .. ": " .. detail end
  return nil, msg, "io"
end

--- Runs the shell command line `cmd` under `perf record -g` with a probe
-- on each allocation entry point of its Go binary (opts.binary, default:
-- cmd's first word, looked up in PATH), and writes `perf script` of the
-- recording to opts.script (default: a file in a new temporary directory).
-- The probes are removed whatever happens. The program's stdout goes to
-- stderr. Returns {script = path, binary = path, probes = {func...},
-- group = perf's probe group, status = perf record's exit status, dir =
-- the temporary directory holding the default script, for the caller to
-- remove}, or
-- nil, err, code. Needs perf, uprobes, and the rights to add probes (root,
-- or a tracefs the user may write).
function M.mallocs(cmd, opts)
  if type(cmd) ~= "string" or cmd:match("^%s*$") then error("record_mallocs: a command line is needed", 2) end
  opts = opts or {}
  local perf = opts.perf or "perf"
  local out, rc = gorun.read(perf .. " --version 2>&1")
  if rc ~= 0 then return fail("perf is not installed (Debian: apt-get install linux-perf)", out) end
  local bin = opts.binary
  if not bin then
    local w = first_word(cmd)
    out, rc = gorun.read("command -v " .. q(w) .. " 2>/dev/null")
    bin = rc == 0 and out:match("^([^\n]+)") or w
  end
  out, rc = gorun.read("readlink -f " .. q(bin) .. " 2>&1")
  if rc ~= 0 then return fail(bin .. ": not found", out) end
  bin = out:match("^([^\n]+)")
  local ge = require "goescape"
  local b, err, code = ge.binary.open(bin)
  if not b then return nil, err, code end
  local pr
  pr, err, code = M.probes(b)
  b:close()
  if not pr then return nil, err, code end
  local dir
  local script = opts.script
  dir, err = gorun.tmpdir("goescape-mallocs")
  if not dir then return nil, err, "io" end
  script = script or (dir .. "/perf.txt")
  -- a group of our own, named after the unique temporary directory: the
  -- probes of another recording, even one started the same second, stay
  -- untouched
  local group = "goescape_" .. dir:match("([%w]+)$")
  local adds = {}
  for i, f in ipairs(pr.funcs) do
    adds[#adds + 1] = "-a " .. q(("%s:m%d=%s %s"):format(group, i, f, pr.arg))
  end
  out, rc = gorun.read(("%s probe -q -x %s %s 2>&1"):format(perf, q(bin), table.concat(adds, " ")))
  if rc ~= 0 then
    gorun.read(("%s probe -q -d %s 2>&1"):format(perf, q(group .. ":*")))
    gorun.remove_tree(dir)
    return fail(("perf probe on %s failed (root and uprobes are needed)"):format(bin), out)
  end
  local data = dir .. "/perf.data"
  -- perf's messages and the program's output both go to stderr: stdout is
  -- the report's
  local status = gorun.run(("%s record -q -g -e %s -o %s -- sh -c %s"):format(
    perf, q(group .. ":*"), q(data), q(cmd)))
  gorun.read(("%s probe -q -d %s 2>&1"):format(perf, q(group .. ":*")))
  local ok, msg
  local f = io.open(data, "rb")
  if not f then
    msg = ("perf record of %s wrote nothing (its messages are above)"):format(cmd)
  else
    f:close()
    out, rc = gorun.read(("%s script -i %s 2>&1 > %s"):format(perf, q(data), q(script)))
    if rc ~= 0 then ok, msg = fail("perf script failed", out) else ok = true end
  end
  os.remove(data)
  if not ok then
    gorun.remove_tree(dir)
    return nil, msg, "io"
  end
  if opts.script then
    gorun.remove_tree(dir)
    dir = nil
  end
  return { script = script, binary = bin, probes = pr.funcs, group = group, status = status, dir = dir }
end

return M
