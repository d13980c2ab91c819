--- A heap dump's memory joined with the compiler's escape log: each
-- allocation site (d:sites()) or top retainer (d:retainers()) gets
-- `escape`, what the compiler said about its line and why it put the value
-- on the heap, with the advice of goescape.analysis.advice.
--
--   local rs = require "goescape.analysis.retain_sites"
--   local rows = rs.sites(d, {escape = log_or_path, n = 20, reachable = true})
--   local rows = rs.retainers(d, {escape = log_or_path, n = 20})
--   rs.text(rows[1])
--   --> "4.0 MiB in 1 object allocated at main.go:43 in main.main
--   --   (make([]byte, 4194304) escapes to heap: too large for the stack),
--   --   retained by main.pinned → 0xc000500000+100 (4194304 B)"
--
-- escape = {message, messages, reason, title, why, fix, line}: message is
-- the heap diagnostic the advice explains (messages: all the line's heap
-- diagnostics), reason/title/why/fix the line's advice (as `goescape hot`
-- explains a line); line is the line the diagnostics were found at (see
-- M.explainer).
local hotspots = require "goescape.analysis.hotspots"
local options = require "goescape.options"
local human = require("goescape.report.units").bytes

local M = {}

local HEAP = { escapes_to_heap = true, moved_to_heap = true }

local function open_log(log)
  if type(log) == "string" then
    return require("goescape").escape.open(log)
  end
  return log
end

--- A function (site) -> escape or nil, for a log (a goescape.escape handle
-- or a path). site: {func, file, line, first}; first: the site is its
-- stack's first frame, whose line the dump gives as the return address's
-- (Go 1.19): when the line has no heap diagnostic, the one before is tried.
function M.explainer(log, opts)
  local l, err, code = open_log(log)
  if not l then return nil, err, code end
  local explain = hotspots.explainer(l, opts)
  local cache = {}
  local function heap_messages(x)
    local out = {}
    for _, rec in ipairs(x.recs) do
      if HEAP[rec.kind] then out[#out + 1] = rec.message end
    end
    return out
  end
  local function at(func, file, line)
    local key = (func or "") .. "\0" .. file .. "\0" .. line
    local x = cache[key]
    if x == nil then
      x = explain({ func = func, file = file, line = line }) or false
      cache[key] = x
    end
    return x or nil
  end
  return function(site)
    if not (site and site.file and site.line) then return nil end
    local line = site.line
    local x = at(site.func, site.file, line)
    local msgs = x and heap_messages(x) or {}
    if #msgs == 0 and site.first and line > 1 then
      local y = at(site.func, site.file, line - 1)
      local ym = y and heap_messages(y) or {}
      if #ym > 0 then x, msgs, line = y, ym, line - 1 end
    end
    if not x or (#msgs == 0 and not x.advice) then return nil end
    local a = x.advice or {}
    -- the message the advice explains, when a heap diagnostic gave it
    local message = msgs[1]
    for _, dv in ipairs(x.diagnostics) do
      if HEAP[dv.kind] and dv.advice and dv.advice.reason == a.reason then
        message = dv.message
        break
      end
    end
    return { message = message, messages = msgs, reason = a.reason, title = a.title, why = a.why,
      fix = a.fix, line = line }
  end
end

local SITES = { n = true, reachable = true, escape = true, source = true, paths = true }

--- d:sites() rows, each with `path` (the shortest path to the member that
-- retains most; unless opts.paths is false) and, with opts.escape,
-- `escape`.
function M.sites(d, opts)
  opts = options(opts, SITES, "retain_sites.sites")
  local rows, err, code = d:sites{ n = opts.n, reachable = opts.reachable }
  if not rows then return nil, err, code end
  local why
  if opts.escape then
    why, err, code = M.explainer(opts.escape, { source = opts.source })
    if not why then return nil, err, code end
  end
  for _, r in ipairs(rows) do
    if opts.paths ~= false and r.top[1] then r.path = d:path(r.top[1]) or nil end
    if why then r.escape = why(r) end
  end
  return rows
end

local RETAINERS = { n = true, escape = true, source = true }

--- Gives each retainer row (d:retainers()) with an allocation site its
-- `escape`; log: a goescape.escape handle or a path. Returns rows, or
-- nil, err, code when the log does not open.
function M.add_escape(rows, log, opts)
  local why, err, code = M.explainer(log, opts)
  if not why then return nil, err, code end
  for _, r in ipairs(rows) do
    local s = r.site
    if s then r.escape = why({ func = s.func, file = s.file, line = s.line, first = r.alloc[1] == s }) end
  end
  return rows
end

--- d:retainers() rows, each with `escape` for its allocation site.
function M.retainers(d, opts)
  opts = options(opts, RETAINERS, "retain_sites.retainers")
  local rows, err, code = d:retainers{ n = opts.n }
  if not rows then return nil, err, code end
  if opts.escape then return M.add_escape(rows, opts.escape, { source = opts.source }) end
  return rows
end

local function basename(p) return (p or ""):match("[^/\\]*$") end

--- What the compiler said, in a few words: "make([]byte, n) escapes to
-- heap: too large for the stack".
function M.escape_text(e)
  if not e then return nil end
  local m = e.message or "no heap diagnostic"
  return e.title and ("%s: %s"):format(m, e.title) or m
end

--- One sentence for a site or retainer row: its bytes, where they were
-- allocated, why they escaped, and what retains them.
function M.text(r)
  local hd = require("goescape").heapdump
  local what, site
  if r.live_bytes then
    what = ("%s in %d object%s"):format(human(r.live_bytes), r.live_objects, r.live_objects == 1 and "" or "s")
    site = r
  else
    what = ("%s %s"):format(human(r.size), r.type and r.type:match("^%[") and "array" or (r.type or "object"))
    site = r.site
  end
  local out = { what }
  if site then
    out[#out + 1] = (" allocated at %s:%d"):format(basename(site.file), site.line)
    if site.func then out[#out + 1] = (" in %s"):format(site.func) end
  end
  if r.escape then out[#out + 1] = (" (%s)"):format(M.escape_text(r.escape)) end
  if r.path then
    local retained = r.retained and r.live_bytes and r.retained ~= r.live_bytes
      and (" (%s retained)"):format(human(r.retained)) or ""
    out[#out + 1] = (", retained by %s%s"):format(hd.path_text(r.path), retained)
  end
  return table.concat(out)
end

return M
