--- Hotspots: each allocating source line of a profile, with its flat and cum
-- values (as `go tool pprof -top -lines` reports them) and every compiler
-- diagnostic about that line, with its -m=2 flow and advice.
--
--   local hot = ge.analysis.hotspots{escape = log, profile = prof [, binary = bin]
--                                    [, sample = "alloc_space"] [, n = 20]}
--   hot.rows      {file=, line=, function=, flat=, cum=, diagnostics={...}, advice=}...
--   hot.uncosted  heap diagnostics (moved/escapes to heap) in the profiled files
--                 whose line has no cost
--   hot.total, hot.sample ({type=, unit=}), hot.stats
--
-- The profile's aggregation and the log's line index run in C; this joins
-- their (few thousand) rows.
local advice = require "goescape.analysis.advice"

local M = {}

local HEAP = { moved_to_heap = true, escapes_to_heap = true }

--- The package of a Go symbol: "example.com/a/b.(*T).M" -> "example.com/a/b",
-- "main.f" -> "main", generic brackets ignored.
function M.func_package(name)
  if not name or name == "" then return nil end
  local plain = name:gsub("%b[]", "")
  local dir, rest = plain:match("^(.*/)([^/]*)$")
  dir, rest = dir or "", rest or plain
  local p = rest:match("^([^.]+)%.")
  return p and (dir .. p) or nil
end

local function basename(p) return (p or ""):match("([^/\\]+)$") or "" end

local function diag_view(d)
  return {
    kind = d.kind, subject = d.subject, message = d.message, flow = d.flow,
    func = d.func, package = d.package, file = d.file, line = d.line, col = d.col,
    cost = d.cost, budget = d.budget, level = d.level, derefs = d.derefs, target = d.target,
    index = d.index,
  }
end

--- Variable sizes from DWARF, when the binary has them: a function
-- (func, name) -> bytes or nil. Variables moved to the heap carry their type
-- but often no size of their own; the type's size is then taken from another
-- variable of that type.
local function dwarf_sizes(binary)
  if not binary or type(binary.dwarf) ~= "function" then return nil end
  local ok, dw = pcall(binary.dwarf, binary)
  if not ok or type(dw) ~= "table" or type(dw.variables) ~= "table" then return nil end
  local by_type, by_var = {}, {}
  for _, v in ipairs(dw.variables) do
    if v.size and v.type and v.type ~= "" then by_type[v.type] = v.size end
  end
  for _, v in ipairs(dw.variables) do
    if v.func and v.name then
      local size = v.size or by_type[v.type]
      if size then by_var[v.func .. "\0" .. v.name] = size end
    end
  end
  return function(func, name) return by_var[(func or "") .. "\0" .. (name or "")] end
end

function M.run(opts)
  if type(opts) ~= "table" then error("hotspots: options table expected", 2) end
  local log, prof = opts.escape, opts.profile
  if not log or type(log.at_line) ~= "function" then error("hotspots: escape log expected", 2) end
  if not prof or type(prof.top) ~= "function" then error("hotspots: profile expected", 2) end
  if opts.binary and type(prof.symbolize) == "function" then
    local ok, err = prof:symbolize(opts.binary)
    if not ok and err then return nil, err end
  end
  local rows, total, code = prof:top { by = "line", sample = opts.sample, n = 0,
    focus = opts.focus, ignore = opts.ignore, hide = opts.hide }
  if not rows then return nil, total, code end
  local _, st = prof:sample_type(opts.sample)
  if type(st) ~= "table" then st = nil end
  local dw = dwarf_sizes(opts.binary)
  local out, matched, files = {}, {}, {}
  local with_diag = 0
  for _, r in ipairs(rows) do
    if r.file and r.line then files[basename(r.file)] = true end
    if r.flat ~= 0 and r.file and r.line and r.line > 0 then
      local fn = r["function"]
      local idx = log:at_line(r.file, r.line, M.func_package(fn))
      local diags, recs = {}, {}
      local best
      for k, i in ipairs(idx) do
        matched[i] = true
        recs[k] = log:get(i)
      end
      for _, d in ipairs(recs) do
        local size = dw and d.kind == "moved_to_heap" and dw(fn, d.subject) or nil
        local v = diag_view(d)
        v.advice = advice.explain(d, size, recs)
        diags[#diags + 1] = v
        if v.advice and (not best or HEAP[d.kind]) then best = v.advice end
      end
      if #diags > 0 then with_diag = with_diag + 1 end
      out[#out + 1] = {
        file = r.file, line = r.line, ["function"] = fn, flat = r.flat, cum = r.cum,
        diagnostics = diags, advice = best,
      }
    end
  end
  local ranked = out
  if opts.n and opts.n > 0 and #out > opts.n then
    ranked = {}
    for i = 1, opts.n do ranked[i] = out[i] end
  end
  -- Heap diagnostics in the profiled files whose line costs nothing: the C
  -- filter picks them by file name first (a std log holds ~30k of them).
  local names = {}
  for b in pairs(files) do names[#names + 1] = b end
  table.sort(names)
  local uncosted = {}
  if #names > 0 then
    for kind in pairs(HEAP) do
      for d in log:each { kind = kind, file = names } do
        if not matched[d.index] then
          local v = diag_view(d)
          v.advice = advice.explain(d)
          uncosted[#uncosted + 1] = v
        end
      end
    end
    table.sort(uncosted, function(a, b) return a.index < b.index end)
  end
  return {
    rows = ranked,
    uncosted = uncosted,
    total = total,
    sample = st and { type = st.type, unit = st.unit } or nil,
    stats = { lines = #out, with_diagnostics = with_diag, uncosted = #uncosted },
  }
end

return M
