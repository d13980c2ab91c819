--- Why does RSS grow: two or more MemStats snapshots of one process
-- (ge.memory.memstats: heap?debug=1, /debug/vars, runtime/metrics) broken
-- down into what the runtime holds, each part's trend, what it means and
-- what to do; with two heap profiles, the lines whose heap grew (the
-- `growth` analysis) and the compiler's reasons they are on the heap.
--
--   local r = ge.analysis.rss{snapshots = {s1, s2, ...}   -- snapshots or paths, oldest first
--                             [, before = heap1, after = heap2]  -- heap profiles (handles or paths)
--                             [, escape = log] [, n = 10] [, sample = "inuse_space"]}
--   r.parts    { {key=, title=, values = {per snapshot}, delta=, share=, meaning=, todo=} ... }
--   r.resident {values, delta}       Sys - HeapReleased: what the runtime keeps resident
--   r.verdict  {key=, leak = bool, text=}  the part that grew most, in words
--   r.growth   the growth analysis' rows, when before/after are given
--
-- The parts add up to Sys: live + fragmentation + held + released are
-- HeapSys; stacks is StackSys; other is the rest (GC metadata, spans,
-- profiling buckets, OS-level runtime structures). RSS is about Sys minus
-- released, plus the binary's touched pages, minus pages never touched.
local inputs = require "goescape.analysis.inputs"

local M = {}

local OPTIONS = inputs.keys({ escape = "escape?", before = "profile?", after = "profile?" },
  { "snapshots", "n", "sample", "progress" })

local MiB = 1048576

-- Each part: how to compute it, what its growth means, what to do about it.
M.PARTS = {
  { key = "live", title = "live heap (HeapAlloc)",
    value = function(s) return s.HeapAlloc end,
    meaning = "objects still allocated: reachable (or not yet swept) after the last GC. Growth that "
      .. "survives a forced GC is memory the program keeps: a cache or map without eviction, a slice "
      .. "that only grows, goroutines that never end holding their data",
    todo = "compare two heap profiles (inuse_space) to find the lines (goescape growth, or "
      .. "--profile OLD --profile NEW here) and bound what they keep; GOGC and GOMEMLIMIT do not "
      .. "shrink memory the program still references" },
  { key = "fragmentation", title = "fragmentation (HeapInuse - HeapAlloc)",
    value = function(s) return s.HeapInuse - s.HeapAlloc end,
    meaning = "room inside in-use spans that holds no object: spans kept alive by a few survivors, "
      .. "many size classes in use at once",
    todo = "reuse buffers of one size (a sync.Pool of fixed-size slices, not of slices that grew to "
      .. "any size); copy the small part out of a large buffer instead of keeping a sub-slice that "
      .. "pins it" },
  { key = "held", title = "held, not returned (HeapIdle - HeapReleased)",
    value = function(s) return s.HeapIdle - s.HeapReleased end,
    meaning = "free heap the runtime keeps for reuse and has not returned to the OS yet: resident, but "
      .. "not a leak. It follows the heap's peak; the background scavenger returns it slowly",
    todo = "set GOMEMLIMIT (the scavenger then returns memory to stay under it), lower GOGC to "
      .. "lower the peak, or call debug.FreeOSMemory after a known peak; pools that retain large "
      .. "slices raise the peak" },
  { key = "released", title = "released to the OS (HeapReleased)",
    value = function(s) return s.HeapReleased end,
    meaning = "heap address space returned to the OS: not resident (it counts in Sys, not in RSS)",
    todo = "nothing: this is memory RSS no longer holds" },
  { key = "stacks", title = "goroutine stacks (StackSys)",
    value = function(s) return s.StackSys end,
    meaning = "stacks of goroutines: more goroutines, or deeper ones. Steady growth is the sign of "
      .. "a goroutine leak (goroutines blocked forever on a channel, a lock, a request without "
      .. "timeout)",
    todo = "look at /debug/pprof/goroutine?debug=1 for the stacks that pile up; give every "
      .. "goroutine a way to end (context cancellation, closed channels, timeouts)" },
  { key = "other", title = "runtime other (Sys - HeapSys - StackSys)",
    value = function(s) return s.Sys - s.HeapSys - s.StackSys end,
    meaning = "the runtime's own structures: GC metadata, span and cache structures, profiling "
      .. "buckets; it follows the heap's size and the number of distinct allocation stacks",
    todo = "usually follows the heap: act on the heap; a large BuckHashSys means many profiled "
      .. "stacks (MemProfileRate)" },
}

local REQUIRED = { "HeapAlloc", "HeapInuse", "HeapIdle", "HeapReleased", "HeapSys", "StackSys", "Sys" }

local function snapshot(v, i)
  if type(v) == "string" then return require("goescape.memory").memstats_open(v) end
  if type(v) ~= "table" then
    error(("rss: snapshots[%d] must be a snapshot (ge.memory.memstats) or a path (got %s)")
      :format(i, type(v)), 4)
  end
  return v
end

local function verdict(parts, resident)
  local grew
  for _, p in ipairs(parts) do
    if p.key ~= "released" and p.delta > 0 and (not grew or p.delta > grew.delta) then grew = p end
  end
  if not grew or resident.delta <= 0 or grew.delta < MiB then
    return { key = "none", leak = false,
      text = "resident memory did not grow by 1 MiB or more between the first and last snapshot" }
  end
  local steady = true
  for i = 2, #grew.values do
    if grew.values[i] < grew.values[i - 1] then steady = false end
  end
  local leak = (grew.key == "live" or grew.key == "stacks") and steady
  local text = ("%s grew most: %+.1f MiB of %+.1f MiB resident"):format(grew.title, grew.delta / MiB,
    resident.delta / MiB)
  if leak then
    text = text .. (grew.key == "live" and "; it grew at every snapshot: a leak is likely"
      or "; it grew at every snapshot: goroutines are piling up")
  elseif grew.key == "held" then
    text = text .. "; memory the runtime will return or reuse, not a leak"
  end
  return { key = grew.key, leak = leak, text = text }
end

local function rss(inp, opts)
  local list = opts.snapshots
  if type(list) ~= "table" or #list < 2 then
    error("rss: snapshots must be a list of two or more snapshots or paths", 3)
  end
  local snaps = {}
  for i, v in ipairs(list) do
    local s, err, code = snapshot(v, i)
    if not s then return nil, err, code end
    for _, k in ipairs(REQUIRED) do
      if type(s[k]) ~= "number" then
        return nil, ("%s: no %s in this snapshot"):format(s.name or ("snapshots[" .. i .. "]"), k), "format"
      end
    end
    snaps[i] = s
  end
  local parts, resident = {}, { values = {} }
  for i, s in ipairs(snaps) do resident.values[i] = s.Sys - s.HeapReleased end
  resident.delta = resident.values[#snaps] - resident.values[1]
  for _, def in ipairs(M.PARTS) do
    local p = { key = def.key, title = def.title, meaning = def.meaning, todo = def.todo, values = {} }
    for i, s in ipairs(snaps) do p.values[i] = def.value(s) end
    p.delta = p.values[#snaps] - p.values[1]
    if resident.delta ~= 0 and def.key ~= "released" then p.share = p.delta / resident.delta end
    parts[#parts + 1] = p
  end
  local r = {
    snapshots = {},
    parts = parts,
    resident = resident,
    verdict = verdict(parts, resident),
  }
  for i, s in ipairs(snaps) do
    r.snapshots[i] = { name = s.name, source = s.source, NumGC = s.NumGC, MaxRSS = s.MaxRSS, Sys = s.Sys }
  end
  if opts.before or opts.after then
    if not (opts.before and opts.after) then error("rss: before and after go together (two heap profiles)", 3) end
    local before, err, code = inp:open_profile("before")
    if not before then return nil, err, code end
    local after
    after, err, code = inp:open_profile("after")
    if not after then return nil, err, code end
    local log
    log, err, code = inp:open_escape("escape")
    if err then return nil, err, code end
    local g
    g, err, code = require("goescape.analysis.growth")({ before = before, after = after, escape = log,
      n = opts.n or 10, sample = opts.sample, progress = opts.progress })
    if not g then return nil, err, code end
    r.growth = g
  end
  return r
end

return inputs.analysis(M, "rss", OPTIONS, rss)
