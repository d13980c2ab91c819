--- What grew between two heap dumps of one program, by allocation site and
-- by root.
--
--   local g = ge.heapdump.diff(old, new, {binary = bin, n = 20})
--   g.sites  {func, file, line, objects, bytes, retained, old = {...}, new = {...}}
--   g.roots  {label, root, type, objects, retained, old = {...}, new = {...}}
--   g.reachable {objects, bytes, old = {...}, new = {...}}
--
-- old and new: dumps (ge.heapdump handles) or paths (opened with
-- opts.binary). The numbers at the top of each row are new minus old;
-- rows are ordered by growth (largest first), rows that did not change
-- are left out, n (default 20; 0: all) bounds each list.
--
-- Objects are not matched by address: Go's collector does not move
-- objects, but a freed slot is reused by whatever is allocated next, so an
-- address names an object only within one dump. Sites are matched by their
-- (function, file, line), roots by their label: the global's name (bss or
-- data and their offset without a binary), or the function and frame offset
-- of a stack slot, every goroutine of that function together, so that
-- goroutines that pile up show as one growing row.
local options = require "goescape.options"

local M = {}

local OPTS = { binary = true, n = true, escape = true, source = true }

local function open(d, bin, which)
  local hd = require("goescape").heapdump
  if type(d) == "string" then return hd.open(d, { binary = bin }) end
  if not hd.is_heapdump(d) then
    error(("goescape.heapdump.diff: %s: a heap dump or a path expected"):format(which), 4)
  end
  return d
end

--- A root's label across dumps: no goroutine ids, no addresses.
function M.root_label(s)
  if s.root == "stack" and s.var then
    -- a variable's name stays when the frame's layout changes between builds
    return ("stack %s var %s%s"):format(s.func or "?", s.var, s.var_offset and ("+%d"):format(s.var_offset) or "")
  end
  if s.root == "stack" or s.root == "goroutine_context" then
    return ("%s %s%s"):format(s.root, s.func or "?", s.offset and ("+%d"):format(s.offset) or "")
  end
  if s.name and s.symbol_offset and s.symbol_offset > 0 then return ("%s+%d"):format(s.name, s.symbol_offset) end
  if s.name then return s.name end
  if (s.root == "data" or s.root == "bss") and s.offset then return ("%s+%d"):format(s.root, s.offset) end
  return s.root
end

local function by_growth(key)
  return function(a, b)
    if a[key] ~= b[key] then return a[key] > b[key] end
    if a.objects ~= b.objects then return a.objects > b.objects end
    return a.label < b.label
  end
end

local function cut(rows, n)
  if n == 0 or #rows <= n then return rows end
  local out = {}
  for i = 1, n do out[i] = rows[i] end
  return out
end

local ZERO = { objects = 0, bytes = 0, retained = 0 }

-- The rows whose fields changed from old to new (each row gets field =
-- new - old), largest growth of `by` first.
local function grown(rows, fields, by)
  local out = {}
  for _, row in ipairs(rows) do
    local changed = false
    for _, f in ipairs(fields) do
      row[f] = row.new[f] - row.old[f]
      changed = changed or row[f] ~= 0
    end
    if changed then out[#out + 1] = row end
  end
  table.sort(out, by_growth(by))
  return out
end

local function site_rows(old, new)
  local at, rows = {}, {}
  local function add(r, which)
    local key = r.func .. "\0" .. r.file .. "\0" .. r.line
    local row = at[key]
    if not row then
      row = { func = r.func, file = r.file, line = r.line, first = r.first, old = ZERO, new = ZERO,
        label = ("%s:%d %s"):format(r.file, r.line, r.func) }
      at[key] = row
      rows[#rows + 1] = row
    end
    row[which] = { objects = r.live_objects, bytes = r.live_bytes, retained = r.retained, top = r.top }
  end
  for _, r in ipairs(old) do add(r, "old") end
  for _, r in ipairs(new) do add(r, "new") end
  return grown(rows, { "objects", "bytes", "retained" }, "bytes")
end

local function root_rows(old, new)
  local at, rows = {}, {}
  local function add(r, which)
    local label = M.root_label(r.root)
    local row = at[label]
    if not row then
      row = { label = label, root = r.root, type = r.root.type, old = { objects = 0, retained = 0 },
        new = { objects = 0, retained = 0 } }
      at[label] = row
      rows[#rows + 1] = row
    end
    local s = row[which]
    s.objects = s.objects + r.objects
    s.retained = s.retained + r.retained
    if which == "new" then row.root = r.root end
  end
  for _, r in ipairs(old) do add(r, "old") end
  for _, r in ipairs(new) do add(r, "new") end
  return grown(rows, { "objects", "retained" }, "retained")
end

--- The growth from dump old to dump new (see the top of this file).
-- opts.escape (a log or its path): each site row gets `escape`, as
-- goescape.analysis.retain_sites gives it.
function M.run(old, new, opts)
  opts = options(opts, OPTS, "goescape.heapdump.diff")
  local n = opts.n or 20
  local a, err, code = open(old, opts.binary, "old")
  if not a then return nil, err, code end
  local b
  b, err, code = open(new, opts.binary, "new")
  if not b then return nil, err, code end
  local sa, sb, ra, rb
  sa, err, code = a:sites{ n = 0 }
  if sa then sb, err, code = b:sites{ n = 0 } end
  if sb then ra, err, code = a:root_retained() end
  if ra then rb, err, code = b:root_retained() end
  if not rb then return nil, err, code end
  local xa, xb = a:reachable(), b:reachable()
  local out = {
    sites = cut(site_rows(sa, sb), n),
    roots = cut(root_rows(ra, rb), n),
    reachable = { objects = xb.objects - xa.objects, bytes = xb.bytes - xa.bytes, old = xa, new = xb },
  }
  if opts.escape then
    local why
    why, err, code = require("goescape.analysis.retain_sites").explainer(opts.escape, { source = opts.source })
    if not why then return nil, err, code end
    for _, r in ipairs(out.sites) do r.escape = why(r) end
  end
  return out
end

return M
