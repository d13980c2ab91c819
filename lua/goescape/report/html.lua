--- One self-contained HTML report: summary, hotspot table (sortable,
-- filterable, rows expand to diagnostics, -m=2 flow chains and graphs,
-- advice), annotated source, a flame graph and, given a base, a diff view.
--
--   local html = require "goescape.report.html"        -- or ge.report.html
--   html.write("report.html", {escape = log, profile = prof [, binary = bin]
--     [, sample = "alloc_space"] [, n = 100] [, min = 0.001]
--     [, base_escape = log0] [, base_profile = prof0] [, source_dirs = {...}]})
--   ge.report.html(hot, "report.html", {escape = log, profile = prof})   -- a hotspots result
--   local data = html.data(opts); local text = html.render(data)
--
-- Nothing from the inputs is ever markup: all of it travels as JSON in a
-- <script type="application/json"> block (with "</" written "<\/" and "<!--"
-- as "\u003c!--", so no input can close or confuse the block), and the page's
-- script puts it into the DOM with textContent and setAttribute only. A
-- Content-Security-Policy forbids every network request.
local json = require "goescape.report.json"
local flame = require "goescape.report.flame"
local svg = require "goescape.report.svg"
local advice = require "goescape.analysis.advice"
local logctx = require "goescape.analysis.logctx"
local hotspots = require "goescape.analysis.hotspots"
local profile_query = require("goescape.profile").query

local M = {}

local HEAP = require("goescape.escape").HEAP

local function arr(t) return setmetatable(t or {}, json.array_mt) end

local function objects_type(prof, st)
  if not st or st.unit ~= "bytes" then return nil end
  local pre = st.type:match("^(.*)_space$")
  if not pre then return nil end
  local i = prof:sample_type(pre .. "_objects")
  return i and (pre .. "_objects") or nil
end

local function key(file, line) return (file or "") .. "\0" .. tostring(line or 0) end

local function compact_flow(flow, max)
  local out = arr()
  for i, s in ipairs(flow or {}) do
    if i > max then
      out[#out + 1] = { type = "note", expr = ("... %d more steps"):format(#flow - max) }
      break
    end
    out[#out + 1] = { type = s.type, dst = s.dst, src = s.src, expr = s.expr, reason = s.reason,
      file = s.file, line = s.line, col = s.col }
  end
  return out
end

local function compact_advice(a)
  if not a then return nil end
  return { reason = a.reason, title = a.title, why = a.why, fix = a.fix }
end

local function compact_diag(d)
  return { kind = d.kind, subject = d.subject, message = d.message, func = d.func,
    file = d.file, line = d.line, col = d.col, target = d.target, cost = d.cost,
    flow = compact_flow(d.flow, 80), advice = compact_advice(d.advice or advice.explain(d)) }
end

local function read_lines(path, max_bytes)
  local f = io.open(path, "rb")
  if not f then return nil end
  local size = f:seek("end")
  if not size or size > max_bytes then f:close(); return nil end
  f:seek("set", 0)
  local text = f:read("*a")
  f:close()
  if text:find("%z") then return nil end
  local lines = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = (l:gsub("\r$", "")) end
  return lines
end

-- The directories whose files a report may quote, symlinks resolved: the
-- --source-dir roots, the working directory (the module being profiled),
-- GOROOT and the module cache. A profile or log names any path it likes; a
-- report meant to be shared must not copy /etc/passwd or ~/.ssh into it.
local function source_roots(dirs)
  local core = require "goescape.core"
  local roots = {}
  local function add(d)
    local r = d and d ~= "" and core.realpath(d)
    if r then roots[#roots + 1] = r:gsub("/$", "") end
  end
  for _, d in ipairs(dirs or {}) do add(d) end
  add(".")
  add(os.getenv("GOROOT"))
  local home = os.getenv("HOME")
  add(os.getenv("GOMODCACHE") or (os.getenv("GOPATH") or (home and home .. "/go") or "") .. "/pkg/mod")
  if not os.getenv("GOROOT") then
    local p = io.popen("go env GOROOT 2>/dev/null")
    if p then add(p:read("*l")); p:close() end
  end
  return roots
end

local function under_roots(path, roots)
  local r = require("goescape.core").realpath(path)
  if not r then return false end
  for _, root in ipairs(roots) do
    if r == root or r:sub(1, #root + 1) == root .. "/" then return true end
  end
  return false
end

-- The readable copy of a profile's file name: as is, or under one of dirs
-- (trying ever shorter suffixes of the path); only inside the source roots.
-- Returns lines, path; or nil, "outside" when the only copy is elsewhere.
local function find_source(file, dirs, roots)
  local outside
  local function try(p)
    local lines = read_lines(p, 4 * 1024 * 1024)
    if not lines then return nil end
    if under_roots(p, roots) then return lines end
    outside = true
  end
  local lines = try(file)
  if lines then return lines, file end
  for _, dir in ipairs(dirs or {}) do
    local rest = file
    while rest and rest ~= "" do
      local p = dir .. "/" .. rest
      lines = try(p)
      if lines then return lines, p end
      rest = rest:match("^[^/\\]*[/\\](.*)$")
    end
  end
  return nil, outside and "outside" or nil
end

-- Annotated source: for the costliest files, the costed lines with context,
-- each with its cost and the log's diagnostics, like `go tool pprof -list`.
local function sources(opts, log, lines_by_file, file_cost, objects)
  local files = {}
  for f in pairs(lines_by_file) do files[#files + 1] = f end
  table.sort(files, function(a, b)
    if file_cost[a] ~= file_cost[b] then return math.abs(file_cost[a]) > math.abs(file_cost[b]) end
    return a < b
  end)
  local out, budget = arr(), opts.source_lines or 2500
  local ctx = opts.source_context or 3
  local roots = source_roots(opts.source_dirs)
  local left_out = arr()
  for _, file in ipairs(files) do
    if #out >= (opts.source_files or 8) or budget <= 0 then break end
    local text, path = find_source(file, opts.source_dirs, roots)
    if not text and path == "outside" then left_out[#left_out + 1] = file end
    if text then
      local costed = lines_by_file[file]
      table.sort(costed, function(a, b) return math.abs(a.flat) > math.abs(b.flat) end)
      local want = {}
      for i = 1, math.min(#costed, 60) do
        local l = costed[i].line
        for j = math.max(1, l - ctx), math.min(#text, l + ctx) do want[j] = true end
      end
      local cost = {}
      for _, c in ipairs(costed) do cost[c.line] = c end
      local nums = {}
      for j in pairs(want) do nums[#nums + 1] = j end
      table.sort(nums)
      local rows = arr()
      for _, j in ipairs(nums) do
        if budget <= 0 then break end
        budget = budget - 1
        local c = cost[j]
        local diags = arr()
        if log then
          local seen = {}
          for _, i in ipairs(log:at_line(file, j, c and c.pkg or costed[1].pkg)) do
            local d = log:get(i)
            local k = d.kind .. "\0" .. (d.message or "")
            if not seen[k] and #diags < 8 then
              seen[k] = true
              diags[#diags + 1] = { kind = d.kind, message = d.message, col = d.col }
            end
          end
        end
        rows[#rows + 1] = { line = j, text = text[j], flat = c and c.flat or nil,
          cum = c and c.cum or nil, objects = c and objects[key(file, j)] or nil,
          diags = #diags > 0 and diags or nil }
      end
      out[#out + 1] = { file = file, path = path, flat = file_cost[file], lines = rows }
    end
  end
  return out, left_out
end

local function flame_data(tree)
  local names, index = arr(), {}
  local function enc(node)
    local ni = index[node.name]
    if not ni then
      names[#names + 1] = node.name
      ni = #names - 1
      index[node.name] = ni
    end
    local t = { ni, node.value }
    if node.children then
      local kids = {}
      for i, c in ipairs(node.children) do kids[i] = enc(c) end
      t[3] = kids
    end
    return t
  end
  local root = enc(tree)
  return { names = names, root = root, nodes = tree.nodes, dropped = tree.dropped, min = tree.min }
end

local function diff_escape(base, log, max)
  local d, err = require("goescape.analysis.diff").diff(base, log)
  if not d then return nil, err end
  local function cut(list)
    local out = arr()
    for i = 1, math.min(#list, max) do
      local e = list[i]
      out[i] = { category = e.category, kind = e.kind, package = e.package, func = e.func,
        file = e.file, line = e.line, subject = e.subject, message = e.message,
        before = e.before and e.before.message or nil }
    end
    return out
  end
  return { summary = d.summary, added = cut(d.added), removed = cut(d.removed),
    changed = cut(d.changed), more = { added = #d.added, removed = #d.removed, changed = #d.changed } }
end

local function diff_profile(base, prof, sample, max)
  local dp, err = prof:diff(base)
  if not dp then return nil, err end
  local rows, total = dp:top { by = "line", sample = sample, n = max }
  if not rows then return nil, total end
  local _, btotal = base:top { by = "function", sample = sample, n = 1 }
  local out = arr()
  for i, r in ipairs(rows) do
    out[i] = { file = r.file, line = r.line, func = r["function"], flat = r.flat, cum = r.cum }
  end
  return { rows = out, total = total, base_total = btotal }
end

--- The report's data model (what the page embeds as JSON). opts: escape,
-- profile, binary, hotspots (a ge.analysis.hotspots result, else computed),
-- sample, n (hotspot rows, default 100), min (flame graph fraction, 0.001),
-- uncosted (max listed, 300), base_escape, base_profile, source (false: no
-- annotated source), source_dirs (the roots sources are quoted from, with
-- the working directory, GOROOT and the module cache; files elsewhere are
-- listed in data.sources_left_out), source_files (8), source_lines (2500),
-- title, names = {escape=, profile=, binary=, base=} (shown in the header).
-- Returns the table, or nil, err.
function M.data(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'data' (options table expected)", 2) end
  local log, prof = opts.escape, opts.profile
  if not log and not prof and not opts.hotspots then
    error("html: an escape log, a profile or a hotspots result is needed", 2)
  end
  local n = opts.n or 100
  local data = { title = opts.title or "goescape report", version = 1, names = opts.names or {},
    generated = os.date("!%Y-%m-%d %H:%M UTC") }
  if log then
    local s = log:summary()
    local kinds = arr()
    for _, r in ipairs(s.kinds) do
      kinds[#kinds + 1] = { kind = r.key, count = r.count, family = require("goescape.core").kind_family(r.key) }
    end
    local pk = {}
    for _, r in ipairs(s.packages) do pk[#pk + 1] = r end
    table.sort(pk, function(a, b)
      if a.heap ~= b.heap then return a.heap > b.heap end
      return a.count > b.count
    end)
    local pks = arr()
    for i = 1, math.min(#pk, 30) do pks[i] = { package = pk[i].key, count = pk[i].count, heap = pk[i].heap } end
    data.log = { total = s.total, kinds = kinds, packages = pks, npackages = #s.packages,
      heap = (s.by_kind.moved_to_heap or 0) + (s.by_kind.escapes_to_heap or 0) }
  end
  local objects, row_objects = {}, {}
  if not prof and opts.hotspots then
    -- a hotspots result alone: its rows, no flame graph or source
    local hot = opts.hotspots
    data.sample, data.total = hot.sample, hot.total
    local out = arr()
    for i = 1, math.min(#hot.rows, n) do
      local r = hot.rows[i]
      local diags = arr()
      local heap = false
      for _, d in ipairs(r.diagnostics or {}) do
        if #diags < 24 then diags[#diags + 1] = compact_diag(d) end
        heap = heap or HEAP[d.kind] or false
      end
      out[i] = { rank = i, file = r.file, line = r.line, func = r["function"], flat = r.flat,
        cum = r.cum, reason = r.advice and r.advice.title or nil, heap = heap, diags = diags,
        advice = compact_advice(r.advice) }
    end
    data.rows, data.nrows = out, #hot.rows
  elseif prof then
    local si, st = prof:sample_type(opts.sample)
    if not si then return nil, st end
    data.sample = { type = st.type, unit = st.unit }
    local rows, total = prof:top(profile_query(opts, { by = "line", sample = st.type, n = 0 }))
    if not rows then return nil, total end
    data.total = total
    local ot = objects_type(prof, st)
    if ot then
      local orows, ototal = prof:top(profile_query(opts, { by = "line", sample = ot, n = 0 }))
      if orows then
        -- Rows of one line from several functions (init, closures, generic
        -- instantiations): the source view shows the line's sum, each
        -- hotspot row its own function's count.
        for _, r in ipairs(orows) do
          local k = key(r.file, r.line)
          objects[k] = (objects[k] or 0) + r.flat
          local kf = k .. "\0" .. (r["function"] or "")
          row_objects[kf] = (row_objects[kf] or 0) + r.flat
        end
        data.objects = { type = ot, total = ototal }
      end
    end
    local hot = opts.hotspots
    if not hot and log then
      local err
      hot, err = hotspots.run(profile_query(opts,
        { escape = log, profile = prof, binary = opts.binary, sample = st.type, n = 0 }))
      if not hot then return nil, err end
    end
    if not hot then
      hot = { rows = {}, uncosted = {} }
      for _, r in ipairs(rows) do
        if r.flat ~= 0 and r.file and r.line and r.line > 0 then
          hot.rows[#hot.rows + 1] = { file = r.file, line = r.line, ["function"] = r["function"],
            flat = r.flat, cum = r.cum, diagnostics = {} }
        end
      end
    end
    -- heap by reason and by package, over every costed line
    local reasons, packages = {}, {}
    local function add(t, k, r, o)
      local e = t[k]
      if not e then e = { key = k, flat = 0, objects = 0, lines = 0 }; t[k] = e end
      e.flat, e.objects, e.lines = e.flat + r.flat, e.objects + (o or 0), e.lines + 1
    end
    local out = arr()
    for i, r in ipairs(hot.rows) do
      local o = row_objects[key(r.file, r.line) .. "\0" .. (r["function"] or "")]
      local reason
      if r.advice then reason = r.advice.title
      elseif #r.diagnostics > 0 then reason = "no heap diagnostic on the line"
      else reason = "not in the escape log" end
      add(reasons, reason, r, o)
      add(packages, hotspots.func_package(r["function"]) or "?", r, o)
      if i <= n then
        local diags = arr()
        for _, d in ipairs(r.diagnostics) do
          if #diags >= 24 then break end
          diags[#diags + 1] = compact_diag(d)
        end
        local heap
        for _, d in ipairs(r.diagnostics) do if HEAP[d.kind] then heap = true; break end end
        out[#out + 1] = { rank = i, file = r.file, line = r.line, func = r["function"],
          flat = r.flat, cum = r.cum, objects = o, reason = reason, heap = heap or false,
          diags = diags, advice = compact_advice(r.advice) }
      end
    end
    data.rows, data.nrows = out, #hot.rows
    local function sorted(t, max)
      local l = {}
      for _, e in pairs(t) do l[#l + 1] = e end
      table.sort(l, function(a, b)
        if a.flat ~= b.flat then return math.abs(a.flat) > math.abs(b.flat) end
        return a.key < b.key
      end)
      local o = arr()
      for i = 1, math.min(#l, max) do o[i] = l[i] end
      return o
    end
    data.by_reason = sorted(reasons, 30)
    data.by_package = sorted(packages, 30)
    local unc = arr()
    for i = 1, math.min(#(hot.uncosted or {}), opts.uncosted or 300) do
      local d = hot.uncosted[i]
      unc[i] = { file = d.file, line = d.line, kind = d.kind, subject = d.subject,
        message = d.message, func = d.func, advice = d.advice and d.advice.title or nil }
    end
    data.uncosted, data.nuncosted = unc, #(hot.uncosted or {})
    -- annotated source
    if opts.source ~= false then
      local lines_by_file, file_cost = {}, {}
      for _, r in ipairs(rows) do
        if r.file and r.line and r.line > 0 and r.flat ~= 0 then
          local l = lines_by_file[r.file]
          if not l then l = {}; lines_by_file[r.file] = l; file_cost[r.file] = 0 end
          l[#l + 1] = { line = r.line, flat = r.flat, cum = r.cum,
            pkg = hotspots.func_package(r["function"]) }
          file_cost[r.file] = file_cost[r.file] + r.flat
        end
      end
      data.sources, data.sources_left_out = sources(opts, log, lines_by_file, file_cost, objects)
    end
    local tree, err = flame.tree(prof, profile_query(opts,
      { sample = st.type, min = opts.min or 0.001 }))
    if not tree then return nil, err end
    data.flame = flame_data(tree)
  elseif log then
    local env = { ctx = logctx.new(log) }
    -- no profile: the heap diagnostics, most frequent lines first
    local out = arr()
    local groups = log:group { by = "line", kind = "escape" }
    for i = 1, math.min(#groups, n) do
      local g = groups[i]
      local diags = arr()
      local recs = {}
      for _, idx in ipairs(log:at_line(g.file, g.line)) do
        local d = log:get(idx)
        recs[#recs + 1] = d
        if #diags < 24 then diags[#diags + 1] = compact_diag(d) end
      end
      local l = advice.line(recs, env)
      local best = l.heap and l.best or nil
      out[#out + 1] = { rank = i, file = g.file, line = g.line, count = g.count,
        reason = best and best.title or nil, heap = best ~= nil, diags = diags,
        advice = compact_advice(best) }
    end
    data.rows, data.nrows = out, #groups
  end
  if opts.base_escape and log then
    local d, err = diff_escape(opts.base_escape, log, opts.diff_max or 300)
    if not d then return nil, err end
    data.diff = data.diff or {}
    data.diff.escape = d
  end
  if opts.base_profile and prof then
    local d, err = diff_profile(opts.base_profile, prof, data.sample.type, opts.diff_max or 300)
    if not d then return nil, err end
    data.diff = data.diff or {}
    data.diff.profile = d
  end
  return data
end

--- JSON for a <script type="application/json"> block: "</" -> "<\/" (no
-- end tag can appear) and "<!--" -> "\u003c!--" (no script-data escape state).
function M.embed_json(v)
  local s = json.encode(v)
  s = s:gsub("</", "<\\/"):gsub("<!%-%-", "\\u003c!--")
  return s
end

-- Files whose source the report did not quote because they lie outside the
-- source roots: said on the page, not silently dropped.
local function left_out_note(data)
  local l = data.sources_left_out
  if not l or #l == 0 then return "" end
  local names = {}
  for i = 1, math.min(#l, 20) do names[i] = svg.escape(l[i]) end
  return ('<p class="note">Source left out (outside the source roots: --source-dir, the '
    .. 'working directory, GOROOT, the module cache): %s%s</p>\n'):format(table.concat(names, ", "),
    #l > 20 and (" and %d more"):format(#l - 20) or "")
end

-- The page's script and style sheet: files installed beside this module.
local here = debug.getinfo(1, "S").source:match("^@(.*)[/\\]") or "."
local function asset(name)
  local f, err = io.open(here .. "/assets/" .. name, "rb")
  if not f then error("goescape.report.html: missing asset: " .. tostring(err), 0) end
  local s = f:read("*a")
  f:close()
  return s
end

--- The page for a data model (M.data).
function M.render(data)
  local css, js = asset("report.css"), asset("report.js")
  local out = {
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; ',
    'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'; img-src data:">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta name="generator" content="goescape">\n',
    "<title>", svg.escape(data.title or "goescape report"), "</title>\n",
    "<style>\n", css, "</style>\n</head>\n<body>\n",
    '<header class="top"><div class="brand">goescape</div><h1 id="title"></h1>',
    '<nav id="nav"></nav></header>\n',
    '<div id="ge-errors" class="errors" hidden></div>\n',
    left_out_note(data),
    '<main id="app"><noscript>This report draws itself with JavaScript; the data is in the ',
    'goescape-data block of the page source.</noscript></main>\n',
    '<script type="application/json" id="goescape-data">', M.embed_json(data), "</script>\n",
    "<script>\n", js, "</script>\n</body>\n</html>\n",
  }
  return table.concat(out)
end

--- Writes the report. Either html.write(path, opts) (opts as for M.data), or
-- html.write(hot, path, opts) with a ge.analysis.hotspots result first.
-- Returns true, the data model; or nil, err.
function M.write(a, b, c)
  local path, opts
  if type(a) == "table" and a.rows then
    path, opts = b, c or {}
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.hotspots = a
    opts = o
  else
    path, opts = a, b
  end
  if type(path) ~= "string" then error("html.write: a path is needed", 2) end
  local data, err = M.data(opts or {})
  if not data then return nil, err end
  local text = M.render(data)
  local ok, werr = require("goescape.core").write_file(path, text)
  if not ok then return nil, werr end
  return true, data
end

return M
