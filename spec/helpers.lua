--- Shared spec helpers: run commands, find the Go compilers, build fixtures
-- once per checkout (under build/fixtures, shared by every interpreter).
local H = {}

H.root = (function()
  local p = io.popen("pwd"); local d = p:read("*l"); p:close(); return d
end)()
H.lua = os.getenv("GOESCAPE_LUA") or "luajit"
H.cpath = os.getenv("GOESCAPE_CPATH") or "build/luajit/?.so"
H.asan = os.getenv("GOESCAPE_ASAN") == "1"
-- Under make check-asan the sanitizer runtime is preloaded into this
-- interpreter; commands started from specs (go, cgo, luarocks) must not get
-- it, while the goescape command (H.cli) must.
H.preload = os.getenv("LD_PRELOAD")
H.build = H.root .. "/build/fixtures"

--- path, relative to the checkout unless absolute.
function H.abs(path) return path:sub(1, 1) == "/" and path or H.root .. "/" .. path end

--- Quotes a string for the shell.
function H.q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local seed_gocaches -- below: H.sh needs it, it needs H.must

--- Runs a shell command; returns stdout, exit status, stderr.
function H.sh(cmd)
  seed_gocaches(cmd)
  local errf = os.tmpname()
  local p = io.popen("unset LD_PRELOAD; (" .. cmd .. ") 2>" .. errf .. "; echo \"__rc=$?\"")
  local out = p:read("*a"); p:close()
  local rc = tonumber(out:match("__rc=(%d+)\n?$"))
  out = out:gsub("__rc=%d+\n?$", "")
  local f = io.open(errf); local err = f and f:read("*a") or ""; if f then f:close() end
  os.remove(errf)
  return out, rc, err
end

--- Runs a command that must succeed; returns its stdout.
function H.must(cmd)
  local out, rc, err = H.sh(cmd)
  if rc ~= 0 then error(("command failed (%s): %s\n%s%s"):format(rc, cmd, out, err), 2) end
  return out
end

function H.exists(path)
  local f = io.open(path, "rb"); if f then f:close() return true end
  return false
end

function H.read(path)
  local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s
end

function H.write(path, s)
  local f = assert(io.open(path, "wb")); f:write(s); f:close()
end

function H.mkdir(path) H.must("mkdir -p " .. H.q(path)) end

-- Scratch space of this interpreter's run: `make test` runs interpreters at
-- once, each in its own directory.
H.tmproot = H.root .. "/build/spec-tmp/" .. (os.getenv("GOESCAPE_LUA") or "lua")

function H.tmpdir(name)
  local d = H.tmproot .. "/" .. name
  H.must("rm -rf " .. H.q(d) .. " && mkdir -p " .. H.q(d))
  return d
end

--- The command line that runs a Lua script file with this interpreter and
-- build (the module on its paths, the sanitizer runtime under check-asan).
function H.lua_cmd(script, args)
  -- GOESCAPE_BUILD: bin/goescape in a checkout puts its build directory
  -- first on the C path (build/<lua> unless told), which under check-asan
  -- would be the plain build, not the sanitized one the specs test.
  local env = "LUA_PATH=" .. H.q(H.root .. "/lua/?.lua;" .. H.root .. "/lua/?/init.lua;;")
    .. " LUA_CPATH=" .. H.q(H.abs(H.cpath) .. ";;")
    .. " GOESCAPE_BUILD=" .. H.q(H.abs(H.cpath:gsub("/%?%.so$", "")))
  if H.preload then env = env .. " LD_PRELOAD=" .. H.q(H.preload) end
  return env .. " " .. H.lua .. " " .. H.q(script) .. " " .. args
end

--- The command line that runs bin/goescape with this interpreter and build.
function H.cli_cmd(args) return H.lua_cmd(H.root .. "/bin/goescape", args) end

--- Runs bin/goescape; returns stdout, exit status, stderr.
function H.cli(args) return H.sh(H.cli_cmd(args)) end

local compilers
--- The Go compilers to test against: Debian's Go 1.19, the machine's Go and
-- the newest one (GOTOOLCHAIN=go1.27.3), each {name=, go=} where `go` is a
-- command prefix. Missing ones are left out (and reported once).
function H.go_compilers()
  if compilers then return compilers end
  compilers = {}
  local cands = {
    { go = "GOTOOLCHAIN=local /usr/lib/go-1.19/bin/go" },
    { go = "GOTOOLCHAIN=local go" },
    { go = "GOTOOLCHAIN=go1.27.3 go" },
  }
  local seen = {}
  for _, c in ipairs(cands) do
    local out, rc = H.sh(c.go .. " env GOVERSION")
    local v = rc == 0 and out:match("go(%d+%.%d+)")
    if v and not seen[v] then
      seen[v] = true
      c.name = "go" .. v
      c.version = v
      compilers[#compilers + 1] = c
    elseif not v then
      io.stderr:write("spec: Go compiler not available: " .. c.go .. "\n")
    end
  end
  return compilers
end

--- Builds (once per checkout) the output of `fn(dir)` in build/fixtures/NAME;
-- fn runs only when the stamp file is missing.
-- Interpreters that run at once (`make test`) build a fixture once: the
-- first takes NAME.lock (mkdir is atomic) and the others wait for its
-- stamp; a lock whose owner is gone is taken over.
local function locked(dir, fn)
  local lock = dir .. ".lock"
  H.mkdir(H.build)
  while select(2, H.sh("mkdir " .. H.q(lock))) ~= 0 do
    local pid = (H.sh("cat " .. H.q(lock .. "/pid"))):match("%d+")
    if pid and select(2, H.sh("kill -0 " .. pid)) ~= 0 then
      H.sh("rm -rf " .. H.q(lock))
    else
      H.sh("sleep 0.5")
    end
  end
  -- the shell's parent is this interpreter: its pid owns the lock
  H.sh("echo $PPID > " .. H.q(lock .. "/pid"))
  local ok, err = pcall(fn)
  H.sh("rm -rf " .. H.q(lock))
  if not ok then error(err, 0) end
end

function H.cached(name, fn)
  local dir = H.build .. "/" .. name
  if not H.exists(dir .. "/.done") then
    locked(dir, function()
      if H.exists(dir .. "/.done") then return end
      H.must("rm -rf " .. H.q(dir) .. " && mkdir -p " .. H.q(dir))
      fn(dir)
      H.write(dir .. "/.done", "")
    end)
  end
  return dir
end

-- The fixtures' Go builds each use a GOCACHE of their own (DIR/.cache), so
-- that -m=2 prints for their packages however often the same source is
-- built. A new one starts as a copy (hard links: Go never rewrites a cache
-- entry in place) of one cache where every Go of the machine has built the
-- standard library packages the fixtures import: what each build then
-- compiles is the fixture's own packages and its modules.
local WARM_IMPORTS = { "bufio", "bytes", "context", "encoding/binary", "encoding/json", "errors",
  "expvar", "flag", "fmt", "io", "log", "math", "net", "net/http", "net/http/httptest",
  "net/http/pprof", "os", "path/filepath", "reflect", "runtime", "runtime/debug", "runtime/metrics",
  "runtime/pprof", "runtime/trace", "sort", "strconv", "strings", "sync", "sync/atomic", "syscall",
  "time", "unsafe" }

local function warm_gocache()
  return H.cached("gocache-warm", function(d)
    local src = {}
    for i, p in ipairs(WARM_IMPORTS) do src[i] = ("\t_ %q"):format(p) end
    H.write(d .. "/go.mod", "module goescape.example/warm\n\ngo 1.19\n")
    H.write(d .. "/main.go", "package main\n\nimport (\n" .. table.concat(src, "\n") .. "\n)\n\nfunc main() {}\n")
    H.write(d .. "/main_test.go", "package main\n\nimport \"testing\"\n\nfunc TestWarm(t *testing.T) {}\n")
    for _, c in ipairs(H.go_compilers()) do
      H.must(("cd %s && GOCACHE=%s/cache GOFLAGS=-mod=mod %s build -o /dev/null . && "
        .. "GOCACHE=%s/cache GOFLAGS=-mod=mod %s test -c -o /dev/null ."):format(H.q(d), H.q(d), c.go,
        H.q(d), c.go))
    end
  end) .. "/cache"
end

-- A fixture's DIR/.cache, new: the warm cache's entries linked in.
local seeding = false
local function seed_at(path)
  if not path:match("/%.cache$") or H.exists(path .. "/README") then return end
  seeding = true
  local ok, err = pcall(function()
    local warm = warm_gocache()
    H.must(("mkdir -p %s && cp -al %s/. %s/"):format(H.q(path), H.q(warm), H.q(path)))
  end)
  seeding = false
  if not ok then error(err, 0) end
end

-- The value of each GOCACHE=WORD in a shell command (WORD of quoted and
-- bare parts, as H.q writes them).
seed_gocaches = function(cmd)
  if seeding then return end
  local i = 1
  while true do
    local _, e = cmd:find("GOCACHE=", i, true)
    if not e then return end
    local j, word = e + 1, {}
    while j <= #cmd do
      local ch = cmd:sub(j, j)
      if ch == "'" then
        local k = cmd:find("'", j + 1, true)
        if not k then break end
        word[#word + 1] = cmd:sub(j + 1, k - 1)
        j = k + 1
      elseif ch:match("[%s;&|)]") then
        break
      else
        word[#word + 1] = ch
        j = j + 1
      end
    end
    seed_at(table.concat(word))
    i = j
  end
end

--- The stdout of an oracle command, run once per build directory: the
-- first interpreter's run of the specs runs it, the others (and reruns)
-- read its output. key names what the output depends on (the command's
-- inputs); the size of each file in `files` is added to it, so that a
-- rebuilt input runs the oracle again.
function H.oracle_output(key, cmd, files)
  for _, f in ipairs(files or {}) do
    local h = io.open(f, "rb")
    key = key .. "\0" .. f .. "\0" .. tostring(h and h:seek("end") or -1)
    if h then h:close() end
  end
  local sum = 5381
  for i = 1, #key do sum = (sum * 33 + key:byte(i)) % 4294967296 end
  local dir = H.cached(("oracle-%08x-%d"):format(sum, #key), function(d)
    H.write(d .. "/out", H.must(cmd))
  end)
  return H.read(dir .. "/out")
end

--- profile.proto bytes, for specs that craft profiles: a varint, a
-- length-delimited field (bench/shapes.lua's writer).
package.path = H.root .. "/bench/?.lua;" .. package.path
local pb = require("shapes").pb
H.pb_varint = pb.varint
H.pb_field = pb.bytes

--- A real profile.proto grown to about `size` bytes: its samples repeated
-- (everything else once). Returns the bytes and the number of samples.
function H.pb_scale_samples(s, size)
  local function varint(i)
    local v, mul = 0, 1
    while true do
      local b = s:byte(i); i = i + 1
      v = v + (b % 128) * mul; mul = mul * 128
      if b < 128 then return v, i end
    end
  end
  local rest, samples, i = {}, {}, 1
  while i <= #s do
    local start, key, n = i
    key, i = varint(i)
    local wt = key % 8
    if wt == 0 then i = select(2, varint(i))
    elseif wt == 2 then n, i = varint(i); i = i + n
    elseif wt == 1 then i = i + 8
    else i = i + 4 end
    local t = math.floor(key / 8) == 2 and samples or rest
    t[#t + 1] = s:sub(start, i - 1)
  end
  local one = table.concat(samples)
  local k = math.ceil(size / #one)
  return table.concat(rest) .. one:rep(k), k * #samples
end

--- The trie of folded-stack lines ("a;b;c 12"), built plainly, as the
-- oracle for flame trees: {v = total, c = {[frame] = {v=, self=, c=}}}.
function H.folded_trie(folded)
  local root = { v = 0, c = {} }
  for line in folded:gmatch("[^\n]+") do
    local st, v = line:match("^(.*) (%-?%d+)$")
    v = tonumber(v)
    root.v = root.v + v
    local node = root
    for fr in st:gmatch("[^;]+") do
      node.c[fr] = node.c[fr] or { v = 0, self = 0, c = {} }
      node = node.c[fr]
      node.v = node.v + v
    end
    node.self = node.self + v
  end
  return root
end

local chromium_path
--- The headless browser of the HTML specs: Debian's chromium, installed
-- here when missing and running as root; raises when there is none.
function H.chromium()
  if chromium_path then return chromium_path end
  local out, rc = H.sh("command -v chromium")
  if rc ~= 0 and H.sh("id -u") == "0\n" then
    H.sh("export DEBIAN_FRONTEND=noninteractive; apt-get update -qq > /dev/null; "
      .. "apt-get install -y -qq --no-install-recommends chromium > /dev/null")
    out, rc = H.sh("command -v chromium")
  end
  assert(rc == 0, "chromium is not installed (apt-get install chromium)")
  chromium_path = out:gsub("%s+$", "")
  return chromium_path
end

--- The flags every headless run of the HTML specs uses.
H.CHROMIUM_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking "
  .. "--disable-component-update --disable-sync --no-first-run --enable-logging=stderr --v=0"

local browser_runs = 0
--- Runs headless Chromium on a file URL (a profile directory of its own
-- each time); returns stdout, stderr.
function H.browse(args, path, fragment)
  browser_runs = browser_runs + 1
  local ud = H.tmpdir("chromium-" .. browser_runs)
  local out, rc, err = H.sh(("timeout 90 %s %s --user-data-dir=%s %s %s"):format(H.chromium(),
    H.CHROMIUM_FLAGS, H.q(ud), args, H.q("file://" .. path .. (fragment or ""))))
  H.sh("rm -rf " .. H.q(ud))
  assert(rc == 0, "chromium failed: " .. err)
  return out, err
end

--- Console errors, uncaught exceptions and CSP refusals in Chromium's log.
function H.page_errors(err)
  local bad = {}
  for line in err:gmatch("[^\n]+") do
    if line:find("Uncaught", 1, true) or line:find("Refused to", 1, true)
      or (line:find("CONSOLE", 1, true) and line:lower():find("error", 1, true)) then
      bad[#bad + 1] = line
    end
  end
  return bad
end

return H
