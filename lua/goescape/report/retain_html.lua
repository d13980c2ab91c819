--- The HTML report's retention section (`goescape html --heapdump DUMP`):
-- the data the page embeds for it, bounded whatever the dump's size. The
-- page's script (assets/retain.js) draws the dominator tree from it and
-- expands a node only when asked, from this data.
--
--   data.retain = {
--     name, info = {go_version, objects, heap_bytes, reachable_objects,
--       reachable_bytes},
--     ntop,   -- objects only the roots dominate (the tree's first level)
--     nodes = {{a = address, s = size, r = retained, p = parent index (0: a
--       first-level node), c = children in all, t = type?, at = "file:line"?,
--       fn = allocating function?, path = {step label...}, pattern?, why?
--       (a retention pattern that fits, goescape.analysis.retention)}...},
--     sites = {{func, file, line, live_objects, live_bytes, retained,
--       escape = {message, title}?}...},
--   }
--
-- nodes: the tree breadth first, each node's `per` children that retain
-- most, `max` nodes in all (C: ge_heapdump_domtree). A path keeps its first
-- three steps and its last four: "…" stands for the steps between.
local options = require "goescape.options"
local array_mt = require("goescape.report.json").array_mt

local M = {}

local OPTS = { binary = true, per = true, max = true, sites = true, escape = true, source = true, name = true }

local function labels(hd, p)
  local out, n = {}, #p
  for i = 1, n do
    if n <= 8 or i <= 3 or i > n - 4 then
      out[#out + 1] = hd.step_text(p, i)
    elseif i == 4 then
      out[#out + 1] = ("… %d steps …"):format(n - 7)
    end
  end
  return out
end

--- The section's data for a dump (a ge.heapdump or a path, opened here
-- with opts.binary and closed). opts: per (children per node, 12), max
-- (nodes, 400), sites (rows, 20), escape (a log or path: each site's
-- compiler message), name (the dump's name on the page). Returns the
-- table, or nil, err, code.
function M.model(dump, opts)
  opts = options(opts, OPTS, "report.html heapdump")
  local hd = require("goescape").heapdump
  local d = dump
  if type(dump) == "string" then
    local err, code
    d, err, code = hd.open(dump, { binary = opts.binary })
    if not d then return nil, err, code end
  elseif not hd.is_heapdump(dump) then
    error("html: opts.heapdump: a heap dump or a path expected", 3)
  end
  local ok, res, e2, c2 = pcall(function()
    local nodes, ntop = d:_domtree(opts.per or 12, opts.max or 400)
    if not nodes then return nil, ntop end
    local info, reach = d:info(), d:reachable()
    local out = setmetatable({}, array_mt)
    local retention = require "goescape.analysis.retention"
    local ctx = retention.context(d)
    for i, x in ipairs(nodes) do
      local p = d:path(x.address)
      local alloc = d:_alloc(x.address)
      local site = hd.alloc_site(alloc)
      local pattern, why
      if p then
        pattern, why = retention.classify(ctx, { address = x.address, size = x.size, retained = x.retained,
          path = p, alloc = alloc })
      end
      out[i] = { a = x.address, s = x.size, r = x.retained, p = x.parent, c = x.children,
        t = p and p[#p].type or nil, path = p and labels(hd, p) or nil,
        at = site and ("%s:%d"):format(site.file:match("[^/\\]*$"), site.line) or nil,
        fn = site and site.func or nil, pattern = pattern, why = why }
    end
    local rs = require "goescape.analysis.retain_sites"
    local rows, serr, scode = rs.sites(d, { n = opts.sites or 20, escape = opts.escape, source = opts.source,
      paths = false })
    if not rows then return nil, serr, scode end
    local sites = setmetatable({}, array_mt)
    for i, r in ipairs(rows) do
      sites[i] = { func = r.func, file = r.file, line = r.line, live_objects = r.live_objects,
        live_bytes = r.live_bytes, retained = r.retained,
        escape = r.escape and { message = r.escape.message, title = r.escape.title } or nil }
    end
    return {
      name = opts.name or (type(dump) == "string" and dump or nil),
      info = { go_version = info.go_version, objects = info.objects, heap_bytes = info.heap_bytes,
        reachable_objects = reach.objects, reachable_bytes = reach.bytes },
      ntop = ntop, nodes = out, sites = sites,
    }
  end)
  if d ~= dump then d:close() end
  if not ok then error(res, 0) end
  return res, e2, c2
end

return M
