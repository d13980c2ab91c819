--- A fuzz harness for the Lua API: random sequences of calls on logs,
-- profiles and binaries opened from real inputs, with random arguments
-- (wrong types, NaN, huge numbers, tables whose metamethods raise, collect
-- or close handles) and hostile callbacks (that close their own object,
-- call its methods, raise, collect, change the tables they were given,
-- re-enter the function that called them). Finalizers and debug hooks do
-- the same at any allocation or call. Every call is made under pcall:
-- errors are expected, and the only failure is the process dying (a crash,
-- or a report of the sanitizers this runs under, `make fuzz-lua`).
--
--   lua fuzz/lua_api.lua run [--seed S] [--n N] [--secs T] [--from K] [--verbose]
--     [--root DIR] [--cpath PATTERN] [--without hooks,bombs,yield,coroutines]
--     [--slow SECONDS (name the calls that take longer)]
--
-- Sequence k runs from its own seed (S + k) with fresh objects, after a
-- full collection, so `--seed S --from k --n 1 --verbose` replays it
-- (the state of the collector may differ; a replay is faithful in general,
-- not always). As a module (spec/hostile_spec.lua): M.run{seed=, n=, secs=}.
local M = {}

local unpack = table.unpack or unpack
local is51 = _VERSION == "Lua 5.1" -- LuaJIT too: finalizers only on newproxy userdata

-------------------------------------------------------------------- PRNG
-- Park-Miller: exact in doubles and in 5.4's integers, the same sequence on
-- every interpreter.
local function rng_new(seed)
  local s = math.floor(seed) % 2147483646 + 1
  local r = {}
  function r.next()
    s = (s * 16807) % 2147483647
    return s
  end
  function r.int(a, b) return a + r.next() % (b - a + 1) end
  function r.pick(t) return t[r.int(1, #t)] end
  function r.chance(p) return r.next() % 10000 < p * 10000 end
  return r
end

------------------------------------------------------------------ inputs
local function sh_lines(cmd)
  -- the sanitizer runtime is preloaded into this interpreter, not wanted in ls
  local p = io.popen("unset LD_PRELOAD; " .. cmd .. " 2>/dev/null")
  local t = {}
  if not p then return t end
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
end

local function read(path, max)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read(max or "*a")
  f:close()
  return s
end

local function first(t, n)
  local r = {}
  for i = 1, math.min(n, #t) do r[i] = t[i] end
  return r
end

--- The inputs under root: escape logs, profiles, binaries (the ones the
-- specs build under build/fixtures when present) and some fuzz seeds.
function M.inputs(root)
  local I = { logs = {}, profiles = {}, binaries = {}, traces = {}, texts = {}, blobs = {}, trace_blobs = {},
    benches = {}, bench_texts = {}, gc_texts = {}, perfs = {}, perf_texts = {}, heapdumps = {},
    heapdump_blobs = {} }
  local function add(list, paths) for _, p in ipairs(paths) do list[#list + 1] = p end end
  add(I.logs, sh_lines("ls -d " .. root .. "/spec/fixtures/escape/*.log"))
  add(I.logs, sh_lines("ls -d " .. root .. "/spec/fixtures/escape/*.logopt"))
  add(I.logs, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/escape_text/*"), 12))
  add(I.logs, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/escape_logopt/*"), 12))
  local fx = root .. "/build/fixtures"
  add(I.profiles, sh_lines("ls -d " .. fx .. "/profile-gen/*.pb.gz " .. fx .. "/profile-gen/*.txt"))
  I.good_profiles = first(I.profiles, #I.profiles)
  add(I.profiles, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/profile_proto/*"), 12))
  add(I.profiles, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/profile_legacy/*"), 12))
  add(I.binaries, sh_lines("ls -d " .. fx .. "/binary2-go1.26/go1.26.* " .. fx .. "/profile-gen/profgen"))
  I.good_binaries = first(I.binaries, #I.binaries)
  add(I.binaries, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/binary_elf/*"), 8))
  add(I.traces, sh_lines("ls -d " .. root .. "/spec/fixtures/trace/data/*.trace " .. root .. "/spec/fixtures/perf/data/*.trace"))
  I.good_traces = first(I.traces, #I.traces)
  add(I.traces, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/trace/*"), 12))
  for i = 1, math.min(6, #I.traces) do
    local s = read(I.traces[i], 200000)
    if s then I.trace_blobs[#I.trace_blobs + 1] = s end
  end
  add(I.benches, sh_lines("ls -d " .. root .. "/spec/fixtures/bench/data/*.txt"))
  add(I.benches, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/bench/*"), 8))
  for i = 1, math.min(6, #I.benches) do
    local s = read(I.benches[i], 100000)
    if s then I.bench_texts[#I.bench_texts + 1] = s end
  end
  for _, f in ipairs(sh_lines("ls -d " .. root .. "/spec/fixtures/memory/data/*")) do
    local s = read(f, 100000)
    if s then I.gc_texts[#I.gc_texts + 1] = s end
  end
  add(I.perfs, sh_lines("ls -d " .. root .. "/spec/fixtures/perf/data/*.txt " .. root .. "/spec/fixtures/perf/handmade/*.txt"))
  add(I.perfs, first(sh_lines("ls -d " .. root .. "/fuzz/corpus/perf/*"), 8))
  for i = 1, math.min(6, #I.perfs) do
    local s = read(I.perfs[i], 60000)
    if s then I.perf_texts[#I.perf_texts + 1] = s end
  end
  add(I.heapdumps, sh_lines("ls -d " .. root .. "/fuzz/corpus/heapdump/* " .. root .. "/spec/fixtures/heapdump/*.gz"))
  for i = 1, math.min(4, #I.heapdumps) do
    local s = read(I.heapdumps[i], 200000)
    if s then I.heapdump_blobs[#I.heapdump_blobs + 1] = s end
  end
  for i = 1, math.min(6, #I.logs) do
    local s = read(I.logs[i], 20000)
    if s then I.texts[#I.texts + 1] = s end
  end
  for i = 1, math.min(6, #I.profiles) do
    local s = read(I.profiles[i], 200000)
    if s then I.blobs[#I.blobs + 1] = s end
  end
  I.tmp = root .. "/build/fuzz-lua-tmp"
  sh_lines("mkdir -p " .. I.tmp)
  return I
end

-- Adds to `own` the functions of a handle's metatable: its metamethods and
-- methods (goescape.handle keeps the method table as __methods), and the C
-- methods that Lua methods of the same name wrap (kept as upvalues).
local function add_handle_functions(own, mt)
  local function add(f)
    if type(f) ~= "function" or own[f] then return end
    own[f] = true
    if debug.getinfo(f, "S").what == "C" then return end
    for i = 1, 255 do
      local name, v = debug.getupvalue(f, i)
      if not name then break end
      if type(v) == "function" and debug.getinfo(v, "S").what == "C" then
        own[v] = true
      end
    end
  end
  for _, v in pairs(mt or {}) do add(v) end
  local methods = mt and (mt.__methods or mt.__index)
  if type(methods) == "table" then for _, v in pairs(methods) do add(v) end end
end

-- PCs worth asking about: function entries and points inside them, taken
-- once per binary from a handle of its own.
local function pcs_of(core, path)
  local ok, b = pcall(core.binary_open, path)
  if not ok or not b then return {} end
  local pcs = {}
  local ok2, fs = pcall(b.funcs, b)
  if ok2 and type(fs) == "table" then
    for i = 1, #fs, math.max(1, math.floor(#fs / 200)) do
      pcs[#pcs + 1] = fs[i].entry
      pcs[#pcs + 1] = fs[i].entry + 5
    end
  end
  pcall(b.close, b)
  return pcs
end

------------------------------------------------------------------ values
local FIELDS = { "kind", "package", "file", "func", "by", "sample", "focus", "ignore", "hide",
  "show", "tag_focus", "tag_ignore", "units", "limits", "filter", "line", "function", "inlined",
  "message", 1, 2, 3, 4, 5 }
local KINDS = { "escapes_to_heap", "moved_to_heap", "does_not_escape", "can_inline",
  "inlining_call", "escape", "inline", "other", "leaking_param", "bogus", "" }
local NAMES = { "main", "main.main", "a.go", "./a.go", "main.go", "lib/x.go", "example.com/escfix/lib",
  "runtime.mallocgc", "runtime", "x", "", "\0", "/abs/path.go", "%s%n", ("y"):rep(300) }
local REGEXPS = { ".", "main", "(", "[", ".*", "a|b", "^runtime\\.", "\\", "(?i)MAIN", "x{1000}", "" }
local TAGS = { "bytes=1kb:", "key=1:10", "x=", "=", "bytes=:", "[a-", "1:2", "" }

local function number(r)
  local k = r.int(1, 14)
  if k == 1 then return 0 / 0 end
  if k == 2 then return math.huge end
  if k == 3 then return -math.huge end
  if k == 4 then return 2 ^ 53 + 1 end
  if k == 5 then return 2 ^ 64 end
  if k == 6 then return -1 end
  if k == 7 then return 0 end
  if k == 8 then return 1.5 end
  if k == 9 then return 2 ^ 31 end
  if k == 10 then return 1e308 end
  return r.int(-3, 300)
end

local new_hostile_table, hostile, bomb

-- A finalizer's deed. Its error reaches the allocation that ran the
-- collector (Lua 5.1, LuaJIT; 5.4 warns) only in sequences that allow it:
-- LuaJIT 2.1's compiled code does not survive an error thrown by a
-- finalizer (a plain Lua loop shows it), so those sequences run with the
-- JIT compiler off.
local function finalize(env)
  if not env.armed then return end
  if env.gc_raises then return hostile(env) end
  pcall(hostile, env)
end

local function value(env, depth)
  local r = env.r
  depth = depth or 0
  local k = r.int(1, 15)
  if k == 1 then return nil end
  if k == 2 then return r.chance(0.5) end
  if k <= 4 then return number(r) end
  if k <= 6 then return r.pick(NAMES) end
  if k == 7 then return r.pick(KINDS) end
  if k == 8 and depth < 2 then
    local t = {}
    for i = 1, r.int(0, 5) do t[i] = value(env, depth + 1) end
    return t
  end
  if k == 9 then return new_hostile_table(env) end
  if k == 10 then return function(...) return hostile(env, ...) end end
  if k == 11 and #env.objs > 0 then return r.pick(env.objs).v end
  if k == 12 then return coroutine.create(function() end) end
  if k == 13 then return io.tmpfile() end
  if k == 14 then return ("z"):rep(r.int(0, 3) * 40000) end
  return {}
end

local function maybe(env, p, f, ...)
  if env.r.chance(p) then return f(...) end
  return value(env)
end

-- The tables handed to the API, for callbacks and finalizers to change.
local function given(env, t)
  if type(t) == "table" then
    env.given[#env.given + 1] = t
    if #env.given > 40 then table.remove(env.given, 1) end
  end
  return t
end

local function filter(env)
  local r = env.r
  if r.chance(0.15) then return nil end
  if r.chance(0.1) then return value(env) end
  local f = r.chance(0.2) and new_hostile_table(env) or {}
  if r.chance(0.4) then rawset(f, "kind", r.chance(0.9) and r.pick(KINDS) or value(env)) end
  if r.chance(0.2) then rawset(f, "package", r.chance(0.9) and r.pick(NAMES) or value(env)) end
  if r.chance(0.2) then rawset(f, "func", r.pick(NAMES)) end
  if r.chance(0.25) then
    if r.chance(0.5) then
      rawset(f, "file", r.pick(NAMES))
    else
      local l = {}
      for i = 1, r.int(0, 4) do l[i] = r.chance(0.9) and r.pick(NAMES) or value(env) end
      rawset(f, "file", l)
    end
  end
  if r.chance(0.1) then rawset(f, "by", r.pick { "kind", "package", "file", "func", "subject", "line" }) end
  return given(env, f)
end

-- A trace filter: {type=, g=, from=, to=} with names of real event types.
local TRACE_TYPES = { "GoCreate", "GoStart", "GoBlock", "UserLog", "UserRegionBegin", "HeapAlloc",
  "GCBegin", "ProcStart", "nope" }
local function trace_filter(env)
  local r = env.r
  if r.chance(0.15) then return nil end
  if r.chance(0.1) then return value(env) end
  local f = r.chance(0.2) and new_hostile_table(env) or {}
  if r.chance(0.5) then
    if r.chance(0.7) then rawset(f, "type", r.chance(0.9) and r.pick(TRACE_TYPES) or value(env))
    else rawset(f, "type", { r.pick(TRACE_TYPES), r.pick(TRACE_TYPES) }) end
  end
  if r.chance(0.2) then rawset(f, "g", r.chance(0.9) and r.int(0, 50) or value(env)) end
  if r.chance(0.2) then rawset(f, "from", r.chance(0.9) and r.int(0, 10000000) or value(env)) end
  if r.chance(0.2) then rawset(f, "to", r.chance(0.9) and r.int(0, 10000000) or value(env)) end
  return given(env, f)
end

local function query(env)
  local r = env.r
  if r.chance(0.15) then return nil end
  if r.chance(0.05) then return value(env) end
  local q = r.chance(0.2) and new_hostile_table(env) or {}
  if r.chance(0.4) then
    rawset(q, "sample", r.chance(0.5) and r.int(0, 4) or (r.chance(0.8) and
      r.pick { "alloc_space", "inuse_objects", "samples", "cpu", "contentions", "delay", "count", "bogus" }
      or value(env)))
  end
  if r.chance(0.5) then
    rawset(q, "by", r.chance(0.9) and r.pick { "function", "line", "file", "stack", "lines", "x" } or value(env))
  end
  for _, k in ipairs { "focus", "ignore", "hide", "show" } do
    if r.chance(0.15) then rawset(q, k, r.chance(0.9) and r.pick(REGEXPS) or value(env)) end
  end
  for _, k in ipairs { "tagfocus", "tagignore" } do
    if r.chance(0.08) then rawset(q, k, r.chance(0.9) and r.pick(TAGS) or value(env)) end
  end
  if r.chance(0.1) then rawset(q, "n", number(r)) end
  if r.chance(0.1) then rawset(q, "min", r.chance(0.5) and r.int(0, 100) / 1000 or number(r)) end
  return given(env, q)
end

local function limits(env)
  local r = env.r
  if r.chance(0.6) then return nil end
  if r.chance(0.1) then return value(env) end
  local t = r.chance(0.25) and new_hostile_table(env) or {}
  local keys = { "max_line_bytes", "max_inflated_bytes", "max_records", "max_flow_steps",
    "max_inline_depth", "max_dir_files", "max_threads" }
  for _ = 1, r.int(1, 3) do
    local k = r.pick(keys)
    local v
    if k == "max_threads" then v = r.int(1, 4)
    elseif r.chance(0.8) then v = r.int(1, 5) * 10 ^ r.int(0, 6)
    else v = value(env) end
    rawset(t, k, v)
  end
  return given(env, t)
end

local function pc(env)
  local r = env.r
  if #env.pcs > 0 and r.chance(0.7) then return r.pick(env.pcs) end
  if r.chance(0.3) then return r.pick { "0x401000", "401000", "zz", "", "0x", "ffffffffffffffffff" } end
  return number(r)
end

local function pc_text(env)
  local r = env.r
  local lines = {}
  for i = 1, r.int(0, 40) do
    local p = pc(env)
    lines[i] = type(p) == "number" and p == p and p >= 0 and p < 2 ^ 53 and ("0x%x"):format(math.floor(p))
      or tostring(p)
  end
  if r.chance(0.1) then lines[#lines + 1] = "not hex" end
  return table.concat(lines, r.chance(0.9) and "\n" or "\r\n")
end

local function tmpfile_with(s, closed)
  local f = io.tmpfile()
  if not f then return nil end
  f:write(s)
  f:seek("set", 0)
  if closed then f:close() end
  return f
end

local function path(env, list, good)
  local r = env.r
  if good and #good > 0 and r.chance(0.7) then return r.pick(good) end
  if list and #list > 0 and r.chance(0.85) then return r.pick(list) end
  -- never "-" (stdin) nor a tree to walk: a path that does not exist,
  -- a directory of a few logs, an empty string
  return r.pick { env.I.tmp .. "/nonexistent", "", env.I.tmp, "/nonexistent/x", env.I.root .. "/README.md" }
end

------------------------------------------------------------------ objects
local function add(env, kind, v)
  if v ~= nil and (type(v) == "userdata" or type(v) == "table" or type(v) == "function") then
    env.objs[#env.objs + 1] = { kind = kind, v = v }
  end
  return v
end

local function of_kind(env, kinds)
  local c = {}
  for _, o in ipairs(env.objs) do if kinds[o.kind] then c[#c + 1] = o end end
  if #c == 0 then return nil end
  return env.r.pick(c)
end

local call_method -- forward

--- One hostile deed: what callbacks, metamethods, finalizers and hooks do.
function hostile(env, ...)
  local r = env.r
  if not env.armed or env.depth > 3 or env.budget <= 0 then return nil end
  env.budget = env.budget - 1 -- bounds the time of one action
  env.depth = env.depth + 1
  env.deeds = env.deeds + 1
  local k = r.int(1, 14)
  local result
  local ok, err = pcall(function(...)
    if k == 1 then error("hostile error", 0) end
    if k == 2 then error(r.chance(0.5) and {} or nil) end
    if k == 3 then collectgarbage("collect") end
    if k == 4 then collectgarbage("step", r.int(0, 50)) end
    if k == 5 or k == 6 then
      local o = r.chance(0.5) and env.current or (#env.objs > 0 and r.pick(env.objs))
      if o then
        local v = o.v
        if o.kind == "iter" then v() elseif v.close then v:close() end
      end
    end
    if k == 7 or k == 8 then
      local o = r.chance(0.5) and env.current or (#env.objs > 0 and r.pick(env.objs))
      if o then call_method(env, o) end
    end
    if k == 9 and #env.given > 0 then
      -- the fields the API reads, by name: no traversal (a finalizer that
      -- adds a field during one leaves `next` undefined: LuaJIT can loop)
      local t = r.pick(env.given)
      for _, key in ipairs(FIELDS) do rawset(t, key, nil) end
      if r.chance(0.5) then rawset(t, "kind", 1); rawset(t, "file", { 2 }) end
      local _ = ("garbage"):rep(r.int(1, 1000))
      collectgarbage("collect")
    end
    if k == 10 then
      -- re-enter: the function in progress again, or another
      if env.reenter then env.reenter() end
    end
    if k == 11 then result = value(env) end
    if k == 12 then bomb(env) end
    if k == 13 and not env.without.yield then coroutine.yield() end
    if k == 14 then
      local t = select("#", ...) > 0 and (...)
      if type(t) == "table" then
        for _ = 1, 3 do rawset(t, r.pick(FIELDS), value(env)) end
      end
    end
  end, ...)
  env.depth = env.depth - 1
  if not ok and r.chance(0.5) then error(err, 0) end -- passed on, or swallowed
  return result
end

function new_hostile_table(env)
  local r = env.r
  local mt = {}
  local function deed(...) return hostile(env, ...) end
  for _, m in ipairs { "__index", "__newindex", "__len", "__call", "__tostring", "__eq", "__lt",
    "__concat", "__pairs", "__ipairs", "__unm", "__close" } do
    if r.chance(0.4) then mt[m] = deed end
  end
  if not is51 and not env.without.bombs and r.chance(0.4) then mt.__gc = function() finalize(env) end end
  if r.chance(0.1) then mt.__mode = "kv" end
  return setmetatable({}, mt)
end

--- A value whose finalizer does a hostile deed, dropped at once: the
-- collector runs it at some later allocation, inside a C function or not.
function bomb(env)
  if env.without.bombs then return end
  local function fin() finalize(env) end
  if is51 then
    if newproxy then
      local p = newproxy(true)
      getmetatable(p).__gc = fin
    end
  else
    setmetatable({}, { __gc = fin })
  end
end

------------------------------------------------------------------ calls
local function resolver(env, own)
  local r = env.r
  return function(addr)
    env.current = own
    if r.chance(0.3) then hostile(env, addr) end
    local k = r.int(1, 8)
    if k == 1 then return nil end
    if k == 2 then return value(env) end
    local frames = {}
    for i = 1, r.int(0, k == 3 and 300 or 4) do
      local f = r.chance(0.15) and new_hostile_table(env) or {}
      rawset(f, r.chance(0.5) and "func" or "function", r.chance(0.9) and r.pick(NAMES) .. i or value(env))
      if r.chance(0.8) then rawset(f, "file", r.chance(0.9) and r.pick(NAMES) or value(env)) end
      if r.chance(0.8) then rawset(f, "line", r.chance(0.8) and r.int(0, 500) or number(r)) end
      if r.chance(0.3) then rawset(f, "inlined", value(env)) end
      frames[i] = r.chance(0.95) and f or value(env)
    end
    if r.chance(0.1) then setmetatable(frames, getmetatable(new_hostile_table(env))) end
    return given(env, frames)
  end
end

local function stream_fn(env)
  local r = env.r
  return function(rec)
    if r.chance(0.3) then hostile(env, rec) end
    if r.chance(0.05) then return false end
    if r.chance(0.05) then return value(env) end
  end
end

local LOG_METHODS = { "count", "get", "iter", "group", "stats", "close", "len", "at_line",
  "each", "list", "summary", "group_opts", "__len", "__tostring" }
local PROF_H_METHODS = { "info", "samples", "locations", "functions", "mappings", "top", "folded",
  "flame", "diff", "encode", "write", "symbolize", "symbolize_bin", "each_sample", "each_location",
  "close", "__tostring" }
local PROF_W_METHODS = { "top", "folded", "flame", "diff", "encode", "write", "symbolize",
  "symbolize_bin", "close", "sample_type", "samples", "locations" }
local TRACE_METHODS = { "info", "counts", "gens", "iter", "count", "each", "summary", "close",
  "__tostring", "tasks", "regions", "logs", "growth", "timeline", "heap", "gc", "each_goroutine",
  "lifetimes", "pprof", "allocs", "_growth_allocs" }
local BENCH_METHODS = { "info", "row", "rows", "each", "cells", "unit_meta", "close", "__tostring" }
local PERF_METHODS = { "info", "each", "samples", "symbolize", "pprof", "allocs", "probe_events", "data", "_sample", "_pprof",
  "_data", "close", "__tostring" }
local HEAPDUMP_METHODS = { "info", "each_object", "object", "roots", "goroutines", "path", "retainers",
  "dominators", "reachable", "close", "__tostring" }
for _, m in ipairs({ "sites", "root_retained", "_domtree", "_alloc" }) do
  HEAPDUMP_METHODS[#HEAPDUMP_METHODS + 1] = m
end
local BIN_METHODS = { "info", "lookup", "call_target", "lookup_many", "funcs", "each_func", "func",
  "symbols", "dwarf", "each_variable", "symbolize_text", "close", "__tostring" }
BIN_METHODS[#BIN_METHODS + 1] = "struct_members" -- (random arguments: misuse, or a whole load)
BIN_METHODS[#BIN_METHODS + 1] = "frame_vars" -- (random arguments: misuse, or a load with locations)

local function track_results(env, ...)
  local n = select("#", ...)
  for i = 1, n do
    local v = select(i, ...)
    if type(v) == "function" then add(env, "iter", v) end
  end
end

local function invoke(env, o, name, ...)
  env.calls = env.calls + 1
  if env.verbose then env.say(("    %s:%s"):format(o.kind, name)) end
  local prev = env.current
  env.current = o
  local t0 = env.slow and os.clock()
  local res = { pcall(...) }
  if t0 and os.clock() - t0 > env.slow then
    env.say(("    slow: %s:%s %.3f s"):format(o.kind, name, os.clock() - t0))
  end
  env.current = prev
  if not res[1] then env.errors = env.errors + 1 end
  if res[1] then track_results(env, unpack(res, 2, 4)) end
  return unpack(res)
end

--- A random method of object o with random arguments.
function call_method(env, o)
  local r, v = env.r, o.v
  if o.kind == "iter" then
    return invoke(env, o, "iter()", function() for _ = 1, r.int(1, 5) do if v() == nil then break end end end)
  end
  if o.kind == "log" then
    local m = r.pick(LOG_METHODS)
    if m == "__len" then return invoke(env, o, m, function() return #v end) end
    if m == "__tostring" then return invoke(env, o, m, tostring, v) end
    if m == "group_opts" then
      local f = filter(env) or {}
      if type(f) == "table" then rawset(f, "by", r.pick { "kind", "package", "file", "func", "subject", "line" }) end
      return invoke(env, o, m, function() return v:group(f) end)
    end
    local args
    if m == "count" or m == "iter" or m == "each" or m == "list" then args = { filter(env) }
    elseif m == "get" then
      args = { r.chance(0.8) and r.int(0, 500) or value(env) }
    elseif m == "group" then
      local by = r.chance(0.9) and r.pick { "kind", "package", "file", "func", "subject", "line", "x" }
      args = { by or value(env), filter(env) }
    elseif m == "at_line" then
      args = { r.chance(0.9) and r.pick(NAMES) or value(env), r.chance(0.8) and r.int(0, 300) or value(env),
        r.chance(0.5) and r.pick(NAMES) or nil }
    else args = {} end
    if r.chance(0.05) then args[#args + 1] = value(env) end
    local f = v[m]
    if r.chance(0.02) then f = getmetatable(v) and getmetatable(v).__gc or f end
    return invoke(env, o, m, function() return f(v, unpack(args, 1, 4)) end)
  end
  if o.kind == "prof" then
    local m = r.pick(PROF_H_METHODS)
    if m == "__tostring" then return invoke(env, o, m, tostring, v) end
    local args
    if m == "top" or m == "folded" then args = { query(env) }
    elseif m == "flame" then args = { query(env), r.chance(0.7) and r.int(0, 99) / 100 or value(env) }
    elseif m == "diff" then
      local other = of_kind(env, { prof = true })
      args = { other and other.v or value(env) }
    elseif m == "encode" then args = { value(env) }
    elseif m == "write" then args = { env.I.tmp .. "/w" .. r.int(1, 3) .. ".pb.gz" }
    elseif m == "symbolize" then args = { r.chance(0.9) and resolver(env, o) or value(env) }
    elseif m == "symbolize_bin" then
      local b = of_kind(env, { bin = true })
      m = "symbolize"
      args = { b and b.v or value(env) }
    else args = {} end
    local sample = args[1]
    if (m == "top" or m == "folded" or m == "flame") and type(sample) == "table"
      and type(rawget(sample, "sample")) == "number" then
      -- the handle's query is 0-based: keep some in range
      rawset(sample, "sample", rawget(sample, "sample") % 3)
    end
    return invoke(env, o, m, function() return v[m](v, unpack(args, 1, 3)) end)
  end
  if o.kind == "wprof" then
    local m = r.pick(PROF_W_METHODS)
    local args
    if m == "top" or m == "folded" or m == "flame" then args = { query(env) }
    elseif m == "diff" then
      local other = of_kind(env, { wprof = true })
      args = { other and other.v or value(env) }
    elseif m == "write" then args = { env.I.tmp .. "/ww.pb.gz" }
    elseif m == "encode" then args = { value(env) }
    elseif m == "symbolize" then args = { r.chance(0.9) and resolver(env, o) or value(env) }
    elseif m == "symbolize_bin" then
      local b = of_kind(env, { wbin = true })
      m = "symbolize"
      args = { b and b.v or { lookup = function(_, a) return hostile(env, a) end } }
    elseif m == "sample_type" then args = { value(env) }
    else args = {} end
    return invoke(env, o, m, function() return v[m](v, unpack(args, 1, 2)) end)
  end
  if o.kind == "trace" then
    local m = r.pick(TRACE_METHODS)
    if m == "__tostring" then return invoke(env, o, m, tostring, v) end
    local args = {}
    if m == "iter" or m == "count" or m == "each" then args = { trace_filter(env) } end
    if m == "growth" and r.chance(0.9) then
      args = { { by = r.chance(0.95) and r.pick { "goroutine", "region", "task" } or value(env) } }
    elseif m == "growth" then args = { value(env) } end
    if m == "_growth_allocs" then
      args = { r.chance(0.9) and r.pick { "goroutine", "region", "task" } or value(env) }
    end
    if m == "timeline" then args = { r.chance(0.8) and { buckets = r.int(1, 64) } or value(env) } end
    if m == "pprof" then
      args = { r.chance(0.9) and r.pick { "sched", "sync", "net", "syscall", "cpu" } or value(env),
        r.chance(0.7) and nil or r.chance(0.5) and { period = r.int(1, 1e9) } or value(env) }
      return invoke(env, o, m, function() return v[m](v, unpack(args, 1, 2)) end)
    end
    return invoke(env, o, m, function() return v[m](v, unpack(args, 1, 1)) end)
  end
  if o.kind == "bench" then
    local m = r.pick(BENCH_METHODS)
    if m == "__tostring" then return invoke(env, o, m, tostring, v) end
    local args = {}
    if m == "row" then args = { r.chance(0.8) and r.int(-2, 50) or value(env) } end
    if m == "each" then
      local it = invoke(env, o, m, function() return v:each() end)
      if type(it) == "function" then
        for _ = 1, r.int(0, 20) do
          if not pcall(it) then break end
          if r.chance(0.05) then hostile(env) end
        end
      end
      return
    end
    return invoke(env, o, m, function() return v[m](v, unpack(args, 1, 1)) end)
  end
  if o.kind == "perf" then
    local m = r.pick(PERF_METHODS)
    if m == "__tostring" then return invoke(env, o, m, tostring, v) end
    local ev = r.chance(0.8) and r.pick { "cpu-clock", "page-faults", "cycles" } or value(env)
    if m == "each" then
      local it = invoke(env, o, m, function() return v:each(r.chance(0.7) and { event = ev } or value(env)) end)
      if type(it) == "function" then
        for _ = 1, r.int(0, 20) do
          if not pcall(it) then break end
          if r.chance(0.05) then hostile(env) end
        end
      end
      return
    end
    local args = {}
    if m == "samples" or m == "allocs" or m == "data" then args = { r.chance(0.7) and { event = ev } or value(env) }
    elseif m == "pprof" then
      args = { r.chance(0.7) and { event = r.chance(0.5) and ev or nil,
        data = r.chance(0.5) and r.pick { "heap", "global", "stack", "rom" } or nil } or value(env) }
    elseif m == "probe_events" then args = { r.chance(0.7) and r.pick { ev, "probe_x:*", "goescape_y:*" } or value(env) }
    elseif m == "_data" then args = { r.chance(0.7) and r.int(-2, 3) or value(env) }
    elseif m == "_sample" then args = { r.chance(0.8) and r.int(-2, 300) or value(env), r.chance(0.7) and r.int(-2, 3) or value(env) }
    elseif m == "_pprof" then
      args = { r.chance(0.7) and r.int(-2, 3) or value(env), r.chance(0.5), r.chance(0.7) and r.int(-1, 6) or value(env) }
    elseif m == "symbolize" then
      local b = of_kind(env, { bin = true, wbin = true })
      args = { b and r.chance(0.7) and b.v or r.chance(0.5) and path(env, env.I.binaries, env.I.good_binaries) or value(env),
        r.chance(0.8) and nil or value(env) }
    end
    return invoke(env, o, m, function() return v[m](v, unpack(args, 1, 3)) end)
  end
  if o.kind == "heapdump" then
    local m = r.pick(HEAPDUMP_METHODS)
    if m == "__tostring" then return invoke(env, o, m, tostring, v) end
    -- an address: where Go 1.19 puts its heap, or a hostile value
    local addr = r.chance(0.8) and 824633720832 + r.int(0, 400000) or value(env)
    local args = {}
    if m == "object" or m == "path" then args = { addr }
    elseif m == "retainers" then args = { r.chance(0.8) and { n = r.int(0, 30) } or value(env) }
    elseif m == "sites" then
      args = { r.chance(0.8) and { n = r.int(0, 30), reachable = r.chance(0.5) } or value(env) }
    elseif m == "_domtree" then
      args = { r.chance(0.8) and r.int(0, 20) or value(env), r.chance(0.8) and r.int(0, 200) or value(env) }
    elseif m == "_alloc" then args = { addr }
    elseif m == "dominators" then
      args = { r.chance(0.5) and nil or addr, r.chance(0.8) and { n = r.int(0, 30) } or value(env) }
    elseif m == "each_object" then
      local it = invoke(env, o, m, function() return v:each_object() end)
      if type(it) == "function" then
        for _ = 1, r.int(0, 20) do
          if not pcall(it) then break end
          if r.chance(0.05) then hostile(env) end
        end
      end
      return
    end
    return invoke(env, o, m, function() return v[m](v, unpack(args, 1, 2)) end)
  end
  if o.kind == "bin" or o.kind == "wbin" then
    local m = r.pick(BIN_METHODS)
    if m == "__tostring" then return invoke(env, o, m, tostring, v) end
    local args
    if m == "lookup" or m == "call_target" then args = { pc(env) }
    elseif m == "lookup_many" then
      local l = r.chance(0.1) and new_hostile_table(env) or {}
      for i = 1, r.int(0, 60) do rawset(l, i, r.chance(0.97) and pc(env) or value(env)) end
      args = { r.chance(0.95) and given(env, l) or value(env) }
    elseif m == "func" then
      args = { r.chance(0.8) and r.pick { "main.main", "runtime.mallocgc", "main.keep", "nope" } or value(env) }
    elseif m == "dwarf" or m == "each_variable" then
      -- a whole load is slow: mostly one unit
      if r.chance(0.05) then args = {}
      else
        local units = {}
        for i = 1, r.int(0, 3) do
          units[i] = r.chance(0.9) and r.pick { "main", "example.com/escfix/lib", "nope", "sync" } or value(env)
        end
        local opts = { units = r.chance(0.95) and given(env, units) or value(env) }
        args = { r.chance(0.95) and given(env, opts) or value(env) }
      end
    elseif m == "symbolize_text" then
      local text = pc_text(env)
      local input = text
      if r.chance(0.4) then input = tmpfile_with(text, r.chance(0.1)) end
      if r.chance(0.05) then input = value(env) end
      local out = nil
      if r.chance(0.4) then out = tmpfile_with("", r.chance(0.1)) end
      if r.chance(0.05) then out = value(env) end
      args = { input, value(env), out }
    else args = {} end
    local h = o.kind == "wbin" and v or v
    return invoke(env, o, m, function() return h[m](h, unpack(args, 1, 3)) end)
  end
end

------------------------------------------------------------------ actions
local function open_something(env)
  local r, core, ge, I = env.r, env.core, env.ge, env.I
  local k = r.pick { 1, 2, 3, 4, 4, 5, 5, 6, 7, 7, 8, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18 }
  local function try(kind, f, ...)
    env.calls = env.calls + 1
    local ok, v = pcall(f, ...)
    if not ok then env.errors = env.errors + 1 end
    if ok and v then add(env, kind, v) end
  end
  if k == 1 then
    local p = r.chance(0.2) and { path(env, I.logs), path(env, I.logs) } or path(env, I.logs)
    return try("log", core.log_open, given(env, p), limits(env))
  elseif k == 2 then
    return try("log", function() return ge.escape.open(path(env, I.logs), { limits = limits(env) }) end)
  elseif k == 3 and #I.texts > 0 then
    local t = r.pick(I.texts)
    if r.chance(0.3) then t = t:sub(1, r.int(0, #t)) end
    return try("log", core.log_parse, t, maybe(env, 0.9, function() return "t.log" end), limits(env))
  elseif k == 4 then
    return try("prof", core.profile_open, path(env, I.profiles, I.good_profiles), limits(env))
  elseif k == 5 then
    return try("wprof", function() return ge.profile.open(path(env, I.profiles, I.good_profiles), { limits = limits(env) }) end)
  elseif k == 6 and #I.blobs > 0 then
    local b = r.pick(I.blobs)
    local lim = limits(env)
    if r.chance(0.3) then
      b = b:sub(1, r.int(0, #b))
      -- a cut gzip stream's trailer claims any size, which the inflater
      -- reserves up front: slow under ASan (its shadow) at the default limit
      if r.chance(0.9) then lim = { max_inflated_bytes = 4000000 } end
    end
    return try("prof", core.profile_parse, b, maybe(env, 0.9, function() return "p" end), lim)
  elseif k == 7 then
    return try("bin", core.binary_open, path(env, I.binaries, I.good_binaries), limits(env))
  elseif k == 10 then
    return try("trace", function() return ge.trace.open(path(env, I.traces, I.good_traces), { limits = limits(env) }) end)
  elseif k == 11 and #I.trace_blobs > 0 then
    local b = r.pick(I.trace_blobs)
    if r.chance(0.4) then b = b:sub(1, r.int(0, #b)) end
    return try("trace", core.trace_parse, b, maybe(env, 0.9, function() return "t.trace" end), limits(env))
  elseif k == 12 and #I.benches > 0 then
    local p = r.chance(0.2) and { path(env, I.benches), path(env, I.benches) } or path(env, I.benches)
    return try("bench", function() return ge.bench.open(given(env, p), { limits = limits(env) }) end)
  elseif k == 13 and #I.bench_texts > 0 then
    local b = r.pick(I.bench_texts)
    if r.chance(0.4) then b = b:sub(1, r.int(0, #b)) end
    return try("bench", function()
      return ge.bench.parse(b, maybe(env, 0.9, function() return "b.txt" end),
        r.chance(0.8) and { limits = limits(env) } or value(env))
    end)
  elseif k == 14 and #I.gc_texts > 0 then
    -- GC logs and MemStats answers are plain tables, no handle: read (cut
    -- or whole) for the binding's paths alone (a table built under
    -- ge_lua_run, the C set freed when building it raises)
    local t = r.pick(I.gc_texts)
    if r.chance(0.4) then t = t:sub(1, r.int(0, #t)) end
    return try("none", function()
      if r.chance(0.6) then
        ge.memory.gctrace_parse(t, "gc.log", r.chance(0.8) and { limits = limits(env) } or value(env))
      else
        ge.memory.memstats(t, "snap")
      end
    end)
  elseif k == 15 and #I.perfs > 0 then
    return try("perf", function()
      -- sometimes through a trace's heap map (spec/fixtures/perf/data/stacks.trace has one)
      local tr = #I.traces > 0 and r.chance(0.3) and path(env, I.traces) or nil
      return ge.perf.open(path(env, I.perfs), { limits = limits(env), trace = tr })
    end)
  elseif k == 16 and #I.perf_texts > 0 then
    local b = r.pick(I.perf_texts)
    if r.chance(0.4) then b = b:sub(1, r.int(0, #b)) end
    return try("perf", function()
      return ge.perf.parse(b, maybe(env, 0.9, function() return "perf.txt" end),
        r.chance(0.8) and { limits = limits(env) } or value(env))
    end)
  elseif k == 17 and #I.heapdumps > 0 then
    return try("heapdump", function() return ge.heapdump.open(path(env, I.heapdumps), { limits = limits(env) }) end)
  elseif k == 18 and #I.heapdump_blobs > 0 then
    local b = r.pick(I.heapdump_blobs)
    if r.chance(0.4) then b = b:sub(1, r.int(0, #b)) end
    return try("heapdump", function()
      return ge.heapdump.parse(b, maybe(env, 0.9, function() return "h.dump" end),
        r.chance(0.8) and { limits = limits(env) } or value(env))
    end)
  elseif k == 8 then
    return try("wbin", function() return ge.binary.open(path(env, I.binaries, I.good_binaries), { limits = limits(env) }) end)
  else
    -- profile_merge over handles (some closed, some not profiles), scales, labels
    local list, scales, labels = {}, {}, {}
    for i = 1, r.int(0, 4) do
      local o = of_kind(env, { prof = true })
      list[i] = o and r.chance(0.9) and o.v or value(env)
      scales[i] = r.chance(0.8) and r.int(-3, 3) or value(env)
      labels[i] = r.chance(0.8) and r.pick(NAMES) or value(env)
    end
    return try("prof", core.profile_merge, given(env, list), r.chance(0.5) and given(env, scales) or nil,
      r.chance(0.5) and given(env, labels) or nil)
  end
end

local function module_call(env)
  local r, core, ge, I = env.r, env.core, env.ge, env.I
  local k = r.int(1, 11)
  env.calls = env.calls + 1
  local ok
  if k == 1 then
    -- the stream, its callback re-entering it now and then
    local function go()
      local opts = { limits = limits(env), filter = filter(env) }
      return ge.escape.stream(path(env, I.logs), stream_fn(env), given(env, opts))
    end
    local saved = env.reenter
    env.reenter = function() if env.depth < 3 then pcall(go) end end
    ok = pcall(r.chance(0.5) and go or function()
      return core.log_stream(path(env, I.logs), stream_fn(env), limits(env), filter(env))
    end)
    env.reenter = saved
  elseif k == 2 then ok = pcall(core.kind_family, value(env))
  elseif k == 3 then ok = pcall(core.limits, limits(env))
  elseif k == 4 then
    ok = pcall(core.set_default_limits, r.chance(0.8) and limits(env) or value(env))
  elseif k == 5 then ok = pcall(core.write_file, I.tmp .. "/wf" .. r.int(1, 3), value(env))
  elseif k == 6 then ok = pcall(core.realpath, value(env))
  elseif k == 7 then ok = pcall(core.escape_controls, value(env))
  elseif k == 8 then ok = pcall(core.utf8_latin1, r.chance(0.5) and "caf\233\1\194\133" or value(env))
  elseif k == 9 then
    if r.chance(0.5) then
      ok = pcall(core.kinds)
    else
      -- two benchmark sets compared (some closed, some not sets), hostile options
      local a, b = of_kind(env, { bench = true }), of_kind(env, { bench = true })
      ok = pcall(ge.bench.compare, a and a.v or value(env), b and b.v or value(env),
        r.chance(0.7) and { alpha = r.chance(0.9) and 0.05 or value(env) } or value(env))
    end
  elseif k == 11 then
    -- the live-service entry points on hostile strings: ge.net is disabled
    -- (M.run), so a string that reads as a URL fails without a fetch
    local v = r.chance(0.5) and ("http://127.0.0.1:" .. r.int(1, 65535) .. "/") or value(env)
    local f = r.pick { function() return ge.net.fetch(v, r.chance(0.5) and { timeout = value(env) } or nil) end,
      function() return core.net_get(v, value(env), value(env), limits(env)) end,
      function() return ge.net.parse_duration(v) end,
      function() return ge.profile.open(v) end, function() return ge.trace.open(v) end }
    ok = pcall(f)
  else ok = pcall(core.log_parse, value(env), value(env), limits(env)) end
  if not ok then env.errors = env.errors + 1 end
end

-- Runs f under a debug hook that does hostile deeds now and then. A deed
-- may raise only where a method of the binding called the function that
-- the hook is about (its protected work): anywhere else the error could
-- land in this harness, past its pcalls (a count hook between two of its
-- instructions).
local function hooked(env, f)
  local r = env.r
  if env.without.hooks then return f() end
  local n, active = 0, true
  local mask = r.pick { "c", "r", "cr", "" }
  local count = mask == "" and r.int(1, 200) or 0
  local ok = pcall(debug.sethook, function()
    n = n + 1
    if not (active and n < 50 and r.chance(0.2)) then return end
    local callee, caller = debug.getinfo(2, "fS"), debug.getinfo(3, "fS")
    if callee and caller and callee.what == "C" and caller.what == "C" and env.own[caller.func] then
      hostile(env)
    else
      pcall(hostile, env)
    end
  end, mask, count)
  if not ok then return f() end
  local res = { pcall(f) }
  active = false -- the call that removes the hook is hooked too
  debug.sethook()
  return unpack(res)
end

local function action(env)
  local r = env.r
  local k = r.int(1, 100)
  if k <= 18 or #env.objs == 0 then return open_something(env) end
  if k <= 70 then
    local o = r.pick(env.objs)
    if r.chance(0.1) then
      return hooked(env, function() return call_method(env, o) end)
    end
    if r.chance(0.05) and not env.without.coroutines then
      -- inside a coroutine: a callback that yields meets the C boundary
      local co = coroutine.create(function() return call_method(env, o) end)
      return coroutine.resume(co)
    end
    return call_method(env, o)
  end
  if k <= 80 then return module_call(env) end
  if k <= 85 then
    local o = r.pick(env.objs)
    env.calls = env.calls + 1
    return pcall(function() if o.kind == "iter" then return o.v() end return o.v:close() end)
  end
  if k <= 90 then
    table.remove(env.objs, r.int(1, #env.objs))
    if r.chance(0.5) then collectgarbage("collect") end
    return
  end
  if k <= 95 then
    for _ = 1, r.int(1, 4) do bomb(env) end
    return
  end
  if k <= 98 then return collectgarbage("step", r.int(0, 100)) end
  return collectgarbage("collect")
end

local function teardown(env)
  env.armed = false
  pcall(debug.sethook)
  for i = #env.objs, 1, -1 do
    local o = env.objs[i]
    if o.kind ~= "iter" then pcall(function() o.v:close() end) end
  end
  env.objs, env.given = {}, {}
  pcall(env.core.set_default_limits, nil)
  for _ = 1, 3 do pcall(collectgarbage, "collect") end
end

--- Runs sequences: opts.seed, opts.n (sequences), opts.secs (stop starting
-- new ones after that), opts.from (first sequence number), opts.core,
-- opts.ge (the modules), opts.root (checkout), opts.verbose, opts.say.
-- Returns {sequences=, calls=, errors=, deeds=, seconds=}.
function M.run(opts)
  local core = opts.core or require "goescape.core"
  local ge = opts.ge or require "goescape"
  local root = opts.root or "."
  local say = opts.say or function(s) io.stderr:write(s, "\n") end
  local I = M.inputs(root)
  I.root = root
  local _ = { ge.escape, ge.profile, ge.binary, ge.trace, ge.bench, ge.perf, ge.heapdump } -- the Lua methods, loaded up front
  ge.net.disable() -- no path the fuzzer makes is a URL; were one to be, it fails without a fetch
  local pcs = {}
  for _, p in ipairs(I.binaries) do
    for _, x in ipairs(pcs_of(core, p)) do pcs[#pcs + 1] = x end
  end
  local stats = { sequences = 0, calls = 0, errors = 0, deeds = 0 }
  local has_modes, mode0 = pcall(collectgarbage, "incremental")
  -- the binding's functions: methods, metamethods, module functions
  local own = {}
  for _, v in pairs(core) do if type(v) == "function" then own[v] = true end end
  local reg = debug.getregistry()
  for _, name in ipairs { "goescape.log", "goescape.profile", "goescape.binary", "goescape.trace", "goescape.bench",
      "goescape.perf", "goescape.heapdump" } do
    add_handle_functions(own, reg[name])
  end
  local t0 = os.time()
  local clock0 = os.clock()
  local from = opts.from or 1
  for k = from, from + (opts.n or 100) - 1 do
    if opts.secs and os.time() - t0 >= opts.secs then break end
    local env = {
      r = rng_new((opts.seed or 1) + k), core = core, ge = ge, I = I, pcs = pcs, own = own,
      objs = {}, given = {}, armed = true, depth = 0, calls = 0, errors = 0, deeds = 0,
      verbose = opts.verbose, say = say, without = opts.without or {}, slow = opts.slow,
    }
    -- finalizers that raise: always under PUC Lua, half the time (with the
    -- compiler off) under LuaJIT
    env.gc_raises = not jit or env.r.chance(0.5)
    if jit then
      if env.gc_raises then jit.off(); jit.flush() else jit.on() end
    end
    if opts.verbose then
      local mode = jit and (env.gc_raises and " jit off" or " jit on") or ""
      say(("sequence %d (seed %d)%s"):format(k, opts.seed or 1, mode))
    end
    -- both of 5.4's collector modes (busted runs the generational one)
    if has_modes then collectgarbage(env.r.chance(0.5) and "incremental" or "generational") end
    -- one thread mostly: a thread costs milliseconds under ASan (its
    -- stack's shadow), and the threaded paths need only some sequences
    if env.r.chance(0.8) then pcall(core.set_default_limits, { max_threads = 1 }) end
    local steps = env.r.int(3, 40)
    pcall(function()
      for _ = 1, steps do
        env.budget = 30
        local ok, err = pcall(action, env)
        env.depth, env.current = 0, nil -- a deed that yielded never came back
        if not ok then env.errors = env.errors + 1 end
        if opts.verbose and not ok then say("    error: " .. tostring(err)) end
      end
    end)
    teardown(env)
    stats.sequences = stats.sequences + 1
    stats.calls = stats.calls + env.calls
    stats.errors = stats.errors + env.errors
    stats.deeds = stats.deeds + env.deeds
    if opts.progress and k % opts.progress == 0 then
      pcall(say, ("fuzz-lua: %d sequences, %d calls"):format(stats.sequences, stats.calls))
    end
  end
  if has_modes then collectgarbage(mode0) end
  stats.seconds = os.time() - t0
  stats.cpu = os.clock() - clock0
  return stats
end

local function main(argv)
  local opts = { seed = os.time(), n = 1000000, secs = 10, root = ".", progress = 500 }
  local i = 1
  while i <= #argv do
    local a, b = argv[i], argv[i + 1]
    if a == "--seed" then opts.seed = assert(tonumber(b)); i = i + 1
    elseif a == "--n" then opts.n = assert(tonumber(b)); i = i + 1
    elseif a == "--secs" then opts.secs = assert(tonumber(b)); i = i + 1
    elseif a == "--from" then opts.from = assert(tonumber(b)); i = i + 1
    elseif a == "--root" then opts.root = b; i = i + 1
    elseif a == "--cpath" then package.cpath = b .. ";" .. package.cpath; i = i + 1
    elseif a == "--verbose" then opts.verbose = true
    elseif a == "--slow" then opts.slow = assert(tonumber(b)); i = i + 1
    elseif a == "--without" then
      -- features left out, comma-separated: hooks, bombs, yield, coroutines
      opts.without = {}
      for w in b:gmatch("[^,]+") do opts.without[w] = true end
      i = i + 1
    else error("fuzz/lua_api.lua: unknown argument " .. tostring(a)) end
    i = i + 1
  end
  package.path = opts.root .. "/lua/?.lua;" .. opts.root .. "/lua/?/init.lua;" .. package.path
  io.stderr:write(("fuzz-lua: %s, seed %d (replay: --seed %d --from K --n 1 --verbose)\n")
    :format(_VERSION .. (jit and " / " .. jit.version or ""), opts.seed, opts.seed))
  local s = M.run(opts)
  io.stderr:write(("fuzz-lua: %d sequences, %d calls (%d raised), %d hostile deeds in %d s; no crash\n")
    :format(s.sequences, s.calls, s.errors, s.deeds, s.seconds))
end

if (...) == "run" then main({ select(2, ...) }) end
return M
