--- MemStats snapshots from what a running Go program exposes without code
-- changes, all in one shape: a table keyed by runtime.MemStats field names
-- (HeapAlloc, HeapIdle, HeapReleased, HeapInuse, HeapSys, StackInuse,
-- StackSys, Sys, NextGC, NumGC, TotalAlloc, Mallocs, Frees, ...; MaxRSS when
-- the input has it) plus `source` ("pprof", "expvar" or "metrics") and
-- `name`. Values are Lua numbers in bytes, ns, counts, as the runtime
-- prints them (LastGC and PauseEnd are Unix ns: above 2^53 they are not
-- exact under LuaJIT and Lua 5.1, whose numbers are doubles).
--
-- The three inputs:
--  - pprof: the `# runtime.MemStats` block that ends `/debug/pprof/heap?debug=1`
--    (and allocs?debug=1); "Stack = a / b" is StackInuse / StackSys, and
--    MSpan, MCache likewise; PauseNs and PauseEnd are lists of 256.
--  - expvar: `/debug/vars` JSON, its "memstats" object (or a bare MemStats
--    object, as json.Marshal(m) writes it).
--  - metrics: runtime/metrics values as text, one `NAME VALUE` a line (what
--    `for _, s := range samples { fmt.Println(s.Name, value) }` prints after
--    metrics.Read: uint64 values as integers, float64 values as Go prints
--    them). Lines starting with '#', blank lines and values that are not
--    numbers (histograms) are skipped. The MemStats fields are computed from
--    the metric names as the runtime's own readmemstats does (see MAP);
--    every metric read is kept in `snapshot.metrics` by name.
local M = {}

-- Fields of the "# Name = value" lines that are not plain numbers.
local PAIRS = { Stack = { "StackInuse", "StackSys" }, MSpan = { "MSpanInuse", "MSpanSys" },
  MCache = { "MCacheInuse", "MCacheSys" } }

local function numlist(s)
  local t = {}
  for n in s:gmatch("%S+") do t[#t + 1] = tonumber(n) or 0 end
  return t
end

local function fail(name, msg, ...) return nil, name .. ": " .. msg:format(...), "format" end

-- The block of heap?debug=1: the lines after "# runtime.MemStats".
local function from_pprof(text, name, at)
  local snap = { source = "pprof", name = name }
  local lineno = select(2, text:sub(1, at):gsub("\n", "")) + 1
  local fields = 0
  for line in text:sub(at):gmatch("[^\n]*") do
    line = line:gsub("\r$", "")
    local k, v = line:match("^# (%w+) = (.*)$")
    if k then
      local pair = PAIRS[k]
      if pair then
        local a, b = v:match("^(%d+) / (%d+)$")
        if not a then return fail(name, "line %d: %s: expected 'inuse / sys', got '%s'", lineno, k, v) end
        snap[pair[1]], snap[pair[2]] = tonumber(a), tonumber(b)
      elseif v:sub(1, 1) == "[" then
        if v:sub(-1) ~= "]" then return fail(name, "line %d: %s: list not closed", lineno, k) end
        snap[k] = numlist(v:sub(2, -2))
      elseif v == "true" or v == "false" then
        snap[k] = v == "true"
      else
        local n = tonumber(v)
        if not n then return fail(name, "line %d: %s: '%s' is not a number", lineno, k, v) end
        snap[k] = n
      end
      fields = fields + 1
    end
    lineno = lineno + 1
  end
  if fields == 0 or not snap.HeapAlloc then
    return fail(name, "the runtime.MemStats block has no HeapAlloc (cut short?)")
  end
  return snap
end

local function from_json(text, name)
  local cjson = require("cjson").new()
  local ok, v = pcall(cjson.decode, text)
  if not ok then return fail(name, "not JSON: %s", tostring(v):gsub("^.-: ", "")) end
  if type(v) ~= "table" then return fail(name, "JSON but not an object") end
  local ms = type(v.memstats) == "table" and v.memstats or v
  if type(ms.HeapAlloc) ~= "number" then
    return fail(name, "JSON without a memstats object (is expvar imported? /debug/vars)")
  end
  local snap = { source = "expvar", name = name }
  for k, x in pairs(ms) do
    if type(x) == "number" or type(x) == "boolean" then
      snap[k] = x
    elseif k == "PauseNs" or k == "PauseEnd" then
      local t = {}
      for i, n in ipairs(x) do t[i] = tonumber(n) or 0 end
      snap[k] = t
    end
  end
  return snap
end

-- MemStats field = sum of metric values (readmemstats_m's definitions,
-- RUNTIME_FORMATS §D.3). A field is set only when every metric of it was read.
local MAP = {
  Alloc = { "/memory/classes/heap/objects:bytes" },
  HeapAlloc = { "/memory/classes/heap/objects:bytes" },
  HeapInuse = { "/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes" },
  HeapIdle = { "/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes" },
  HeapReleased = { "/memory/classes/heap/released:bytes" },
  HeapSys = { "/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes",
    "/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes" },
  HeapObjects = { "/gc/heap/objects:objects" },
  StackInuse = { "/memory/classes/heap/stacks:bytes" },
  StackSys = { "/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes" },
  MSpanInuse = { "/memory/classes/metadata/mspan/inuse:bytes" },
  MSpanSys = { "/memory/classes/metadata/mspan/inuse:bytes", "/memory/classes/metadata/mspan/free:bytes" },
  MCacheInuse = { "/memory/classes/metadata/mcache/inuse:bytes" },
  MCacheSys = { "/memory/classes/metadata/mcache/inuse:bytes", "/memory/classes/metadata/mcache/free:bytes" },
  GCSys = { "/memory/classes/metadata/other:bytes" },
  BuckHashSys = { "/memory/classes/profiling/buckets:bytes" },
  OtherSys = { "/memory/classes/other:bytes" },
  Sys = { "/memory/classes/total:bytes" },
  TotalAlloc = { "/gc/heap/allocs:bytes" },
  Mallocs = { "/gc/heap/allocs:objects", "/gc/heap/tiny/allocs:objects" },
  Frees = { "/gc/heap/frees:objects", "/gc/heap/tiny/allocs:objects" },
  NextGC = { "/gc/heap/goal:bytes" },
  NumGC = { "/gc/cycles/total:gc-cycles" },
  NumForcedGC = { "/gc/cycles/forced:gc-cycles" },
}
M.METRICS = MAP

local function from_metrics(text, name)
  local metrics, n, lineno = {}, 0, 0
  for line in text:gmatch("[^\n]*") do
    lineno = lineno + 1
    line = line:gsub("\r$", "")
    if line ~= "" and not line:match("^%s*#") then
      local k, v = line:match("^(/%S+)%s+(%S+)")
      if not k then return fail(name, "line %d: not a 'NAME VALUE' metric line", lineno) end
      local x = tonumber(v)
      if x then metrics[k], n = x, n + 1 end
    end
  end
  if n == 0 then return fail(name, "no runtime/metrics values") end
  local snap = { source = "metrics", name = name, metrics = metrics }
  for field, names in pairs(MAP) do
    local sum = 0
    for _, m in ipairs(names) do
      if not metrics[m] then sum = nil break end
      sum = sum + metrics[m]
    end
    snap[field] = sum
  end
  local gc, total = metrics["/cpu/classes/gc/total:cpu-seconds"], metrics["/cpu/classes/total:cpu-seconds"]
  if gc and total and total > 0 then snap.GCCPUFraction = gc / total end
  if not snap.HeapAlloc then
    return fail(name, "no /memory/classes/heap/objects:bytes: not a runtime/metrics dump of memory")
  end
  return snap
end

--- The snapshot of a heap?debug=1 answer, a /debug/vars JSON or a metrics
-- dump (told apart by their content), or nil, err, "format".
function M.parse(text, name)
  if type(text) ~= "string" then error("bad argument #1 to 'memstats' (string expected)", 3) end
  name = name or "<string>"
  local at = text:find("# runtime.MemStats", 1, true)
  if at then return from_pprof(text, name, at) end
  local first = text:match("^%s*(%S)")
  if first == "{" then return from_json(text, name) end
  if first == "/" or first == "#" then return from_metrics(text, name) end
  if text:find("^heap profile:") then
    return fail(name, "a heap profile without its runtime.MemStats block (cut short?)")
  end
  return fail(name, "not MemStats: expected heap?debug=1 text, /debug/vars JSON or runtime/metrics 'NAME VALUE' lines")
end

return M
