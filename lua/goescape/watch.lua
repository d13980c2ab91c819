--- goescape watch's sampling: at each tick, the heap profile of every
-- instance (merged) and its MemStats (the `# runtime.MemStats` block that
-- ends `heap?debug=1`), and what changed since the first sample and since
-- the last: the in-use heap, and the function that grew most between the
-- last two profiles (ge.analysis.growth).
--
--   local w = assert(watch.new({"127.0.0.1:6060"}))
--   local s = assert(w:sample())       -- {time, inuse, since_first, since_last, top, memstats}
--   w:close()
local ge = require "goescape"
local remote = require "goescape.remote"
local units = require "goescape.report.units"

local M = {}

local Watch = {}
Watch.__index = Watch

M.debug1 = remote.debug1

--- The heap profile URL a watch of src samples (host:port means
-- /debug/pprof/heap) and its MemStats URL; nil, err, code when src is not
-- a URL.
function M.target(src)
  local url, err, code = remote.url(src, "heap")
  if url == false then return nil, err, code end
  if not url then
    return nil, ("%s: not a URL (goescape watch samples a live service: host:port or http://...)")
      :format(src), "arg"
  end
  return { heap = url, memstats = remote.debug1(url) }
end

--- A watch of the sources (URLs of instances of one service). opts:
-- timeout, connect_timeout, limits (as ge.net.fetch's).
function M.new(sources, opts)
  local w = setmetatable({ targets = {}, opts = opts or {}, n = 0 }, Watch)
  for i, src in ipairs(sources) do
    local t, err, code = M.target(src)
    if not t then return nil, err, code end
    w.targets[i] = t
  end
  return w
end

local FIELDS = { "HeapAlloc", "HeapIdle", "HeapReleased", "Sys", "NumGC" }

-- MemStats of every instance, summed (nil when one has none).
function Watch:memstats()
  local sum = {}
  for _, t in ipairs(self.targets) do
    local m = remote.open(t.memstats, "memstats", self.opts, ge.memory.memstats)
    if not m then return nil end
    for _, k in ipairs(FIELDS) do sum[k] = (sum[k] or 0) + (m[k] or 0) end
  end
  return sum
end

-- The merged heap profile of every instance: the profile, or nil, err, code.
function Watch:profile()
  local srcs = {}
  for i, t in ipairs(self.targets) do srcs[i] = t.heap end
  return ge.profile.open(srcs, { timeout = self.opts.timeout,
    connect_timeout = self.opts.connect_timeout, limits = self.opts.limits })
end

local function inuse(p)
  local _, total = p:top { sample = "inuse_space", n = 1 }
  return total or 0
end

--- One sample: {n, time (Unix ns, the profile's), inuse (bytes),
-- since_first, since_last (bytes), top = {func, file, line, delta} (the
-- line that grew most since the last sample; nil at the first or when
-- none grew), memstats = {HeapAlloc, HeapIdle, HeapReleased, Sys, NumGC}
-- (nil when the service gives none)}; or nil, err, code.
function Watch:sample()
  local p, err, code = self:profile()
  if not p then return nil, err, code end
  if not p:sample_type("inuse_space") then
    p:close()
    return nil, self.targets[1].heap .. ": not a heap profile (no inuse_space)", "format"
  end
  self.n = self.n + 1
  local s = { n = self.n, time = p.time_nanos, inuse = inuse(p) }
  if not s.time or s.time == 0 then s.time = os.time() * 1e9 end
  s.memstats = self:memstats()
  if not self.first then
    self.first, self.first_inuse = p, s.inuse
    s.since_first, s.since_last = 0, 0
  else
    s.since_first = s.inuse - self.first_inuse
    s.since_last = s.inuse - self.last_inuse
    local g = ge.analysis.growth { before = self.last, after = p, sample = "inuse_space", n = 1 }
    local r = g and g.rows[1]
    if r and r.delta > 0 then s.top = { func = r.func, file = r.file, line = r.line, delta = r.delta } end
    if self.last ~= self.first then self.last:close() end
  end
  self.last, self.last_inuse = p, s.inuse
  return s
end

--- The first and the last profile sampled (nil before the first sample).
function Watch:ends() return self.first, self.last end

function Watch:close()
  if self.last and self.last ~= self.first then self.last:close() end
  if self.first then self.first:close() end
  self.first, self.last = nil, nil
end

local human, signed = units.bytes, function(v) return units.signed(v, "bytes") end

--- The header of the terminal lines.
function M.header(with_memstats)
  local h = ("%-8s %11s %12s %12s  %-40s"):format("time", "inuse", "since first", "since last",
    "grew most since last")
  if with_memstats then
    h = h .. ("  %11s %11s %11s"):format("HeapAlloc", "idle-rel", "Sys")
  end
  return h
end

--- One terminal line for a sample.
function M.line(s)
  local top = "-"
  if s.top then
    top = ("%s %s"):format(s.top.func or "?", signed(s.top.delta))
    if #top > 40 then top = "…" .. top:sub(-39) end
  end
  local l = ("%-8s %11s %12s %12s  %-40s"):format(os.date("%H:%M:%S", math.floor(s.time / 1e9)),
    human(s.inuse), signed(s.since_first), signed(s.since_last), top)
  local m = s.memstats
  if m then
    l = l .. ("  %11s %11s %11s"):format(human(m.HeapAlloc), human(m.HeapIdle - m.HeapReleased), human(m.Sys))
  end
  return (l:gsub("%s+$", ""))
end

return M
