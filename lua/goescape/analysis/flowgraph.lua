--- Flow graphs: the -m=2 explanations of escape diagnostics as a graph of
-- locations (variables, results ~r0, {storage for ...}, {heap}) joined by the
-- compiler's flow steps, each edge labelled with the reasons of its "from"
-- lines, so that a chain like `buf -> ~r0 -> {heap}` can be seen.
--
--   local fg = ge.analysis.flowgraph
--   local recs = fg{escape = log_or_paths [, file=, line=] [, func=] [, package=]
--                   [, progress = function(done, total, label)]}  --> records with a flow
--
-- The analysis selects the records; these draw them (a record or a list):
--   fg.dot(rec_or_records [, opts])      --> Graphviz DOT text
--   fg.mermaid(rec_or_records [, opts])  --> Mermaid flowchart text
--   fg.text(rec_or_records)              --> one block per diagnostic with its chains
--   fg.graph(rec_or_records [, opts])    --> the model {nodes=, edges=, clusters=}
--   fg.chains(rec)                       --> { {"p", "~r0"}, ... } location chains
--
-- Drawing opts: diagnostics (default true: a note node per diagnostic,
-- dotted to the start of its flow), name (graph name), rankdir.
--
-- Go prints flow steps as `flow: dst ← src` (Go ≥ 1.22) or `dst = src`
-- (Go ≤ 1.21); the parser gives both as {type="flow", dst=, src=}. Leading
-- `&` / `*` of a source (address-of, dereference) mark the edge, not the node:
-- `~r0 ← &p` is the edge p -> ~r0 marked "&". Locations are scoped to the
-- diagnostic's function (its `func`, or the function declared above it when
-- the log does not say, as Go ≤ 1.21 logs); {heap} is one shared node.
local dot = require "goescape.report.dot"
local inputs = require "goescape.analysis.inputs"
local options = require "goescape.options"

local M = {}

local OPTIONS = inputs.keys({ escape = "escape" }, { "file", "line", "func", "package", "progress" })
local DRAW = inputs.keys { "diagnostics", "name", "rankdir" }

local HEAP = "{heap}"

local function split_derefs(s)
  local pre, name = (s or ""):match("^([&*]*)(.*)$")
  return name, pre
end

local function is_record(x) return type(x) == "table" and type(x.kind) == "string" end

local function as_list(x)
  if is_record(x) then return { x } end
  if type(x) ~= "table" then error("flowgraph: a record or a list of records expected", 3) end
  return x
end

local function basename(p) return (p or ""):match("([^/\\]+)$") or "" end

local function pos(d) return ("%s:%d:%d"):format(d.file or "?", d.line or 0, d.col or 0) end

--- The hops of a record's flow: { {src=, dst=, derefs=, from={step...}} ... }.
function M.hops(d)
  local hops, cur = {}, nil
  for _, s in ipairs(d.flow or {}) do
    if s.type == "flow" then
      local src, pre = split_derefs(s.src)
      cur = { src = src, dst = split_derefs(s.dst), derefs = pre, from = {} }
      hops[#hops + 1] = cur
    elseif s.type == "from" and cur then
      cur.from[#cur.from + 1] = s
    end
  end
  return hops
end

--- The location chains of a record: consecutive hops whose destination is
-- the next hop's source form one chain, e.g. { {"key", "{storage for ... argument}", "{heap}"} }.
function M.chains(d)
  local chains, cur = {}, nil
  for _, h in ipairs(M.hops(d)) do
    if cur and cur[#cur] == h.src then
      cur[#cur + 1] = h.dst
    else
      cur = { h.src, h.dst }
      chains[#chains + 1] = cur
    end
  end
  return chains
end

-- Function declarations of a log by file, for logs whose escape records do
-- not name their function: {basename = { {line=, name=}... sorted }}.
local function decl_index(log)
  local idx = {}
  for _, kind in ipairs { "can_inline", "cannot_inline" } do
    for d in log:each { kind = kind } do
      local name = d.subject or d.func
      if name and not name:match("%.func%d+") and d.line then
        local k = basename(d.file)
        idx[k] = idx[k] or {}
        table.insert(idx[k], { line = d.line, name = name })
      end
    end
  end
  for _, l in pairs(idx) do table.sort(l, function(a, b) return a.line < b.line end) end
  return idx
end

local function enclosing(idx, d)
  local best
  for _, f in ipairs(idx[basename(d.file)] or {}) do
    if f.line <= d.line then best = f.name else break end
  end
  return best
end

--- The function of a record: d.func, or (given a log) the function declared
-- last above the record's line in its file.
function M.func_of(d, log, cache)
  if d.func and d.func ~= "" then return d.func end
  if not log then return nil end
  cache = cache or {}
  cache.decls = cache.decls or decl_index(log)
  return enclosing(cache.decls, d)
end

local function func_matches(want, have)
  if not have then return false end
  if want == have then return true end
  return #want > #have and want:sub(-#have - 1) == "." .. have
    or #have > #want and have:sub(-#want - 1) == "." .. want
end

-- Records with a -m=2 flow: at file:line (opts.file and opts.line), in a
-- function (opts.func: "f", "pkg.f" or "(*T).M"), in a package
-- (opts.package), or all of them; opts.progress(done, total, "flow") is
-- called as records are read. Each record gets `func` filled in when the
-- log did not name it. Returns the list (possibly empty), or nil, err,
-- code when the log cannot be read.
local function flows(inp, sel)
  local log, err, code = inp:open_escape("escape")
  if not log then return nil, err, code end
  local out, cache = {}, {}
  local function take(d)
    if d.flow and #d.flow > 0 then
      d.func = M.func_of(d, log, cache)
      if not sel.func or func_matches(sel.func, d.func) then out[#out + 1] = d end
    end
  end
  if sel.file and sel.line then
    for _, i in ipairs(log:at_line(sel.file, sel.line, sel.package)) do take(log:get(i)) end
    table.sort(out, function(a, b) return a.index < b.index end)
    return out
  end
  local filter = { kind = "escape", package = sel.package, file = sel.file }
  local report = sel.progress
  local total = report and log:count(filter)
  local n = 0
  for d in log:each(filter) do
    take(d)
    n = n + 1
    if report then report(n, total, "flow") end
  end
  return out
end

local function node_shape(name)
  if name == HEAP then return "cylinder", "filled", "#f4cccc" end
  if name:match("^~[rR]%d+$") then return "ellipse", "filled", "#d9ead3" end
  if name:match("^{") then return "box", "dashed", nil end
  return "box", "rounded", nil
end

--- The graph model of the records' flows (see goescape.report.dot).
function M.graph(input, opts)
  local list = as_list(input)
  opts = options(opts, DRAW, "flowgraph.graph")
  local show_diag = opts.diagnostics ~= false
  local g = { name = opts.name or "goescape flow", rankdir = opts.rankdir or "LR",
    nodes = {}, edges = {}, clusters = {} }
  local nodes, edges, clusters = {}, {}, {}
  local function cluster(scope)
    if not scope then return nil end
    if not clusters[scope] then
      local c = { id = "c" .. (#g.clusters + 1), label = scope }
      clusters[scope] = c
      g.clusters[#g.clusters + 1] = c
    end
    return clusters[scope].id
  end
  local function node(scope, name)
    local key = name == HEAP and HEAP or (scope or "") .. "\0" .. name
    local n = nodes[key]
    if not n then
      local shape, style, fill = node_shape(name)
      n = { id = "n" .. (#g.nodes + 1), label = name, shape = shape, style = style,
        fillcolor = fill, cluster = name ~= HEAP and cluster(scope) or nil, name = name }
      nodes[key] = n
      g.nodes[#g.nodes + 1] = n
    end
    return n
  end
  for _, d in ipairs(list) do
    local scope = d.func or (d.flow and #d.flow > 0 and pos(d)) or nil
    local hops = M.hops(d)
    if show_diag then
      local dn = { id = "n" .. (#g.nodes + 1), shape = "note", style = "filled",
        fillcolor = "#fff2cc", label = pos(d) .. "\n" .. (d.message or d.kind),
        tooltip = d.kind, cluster = cluster(scope) }
      g.nodes[#g.nodes + 1] = dn
      if hops[1] then
        g.edges[#g.edges + 1] = { from = dn.id, to = node(scope, hops[1].src).id, style = "dotted" }
      end
    end
    for _, h in ipairs(hops) do
      local a, b = node(scope, h.src), node(scope, h.dst)
      local key = a.id .. ">" .. b.id
      local e = edges[key]
      if not e then
        e = { from = a.id, to = b.id, reasons = {}, seen = {}, lines = {}, derefs = h.derefs }
        edges[key] = e
        g.edges[#g.edges + 1] = e
      end
      for _, s in ipairs(h.from) do
        if s.reason and not e.seen[s.reason] then
          e.seen[s.reason] = true
          e.reasons[#e.reasons + 1] = s.reason
        end
        local line = ("%s (%s) at %s:%d:%d"):format(s.expr or "", s.reason or "",
          s.file or "?", s.line or 0, s.col or 0)
        if not e.seen[line] then
          e.seen[line] = true
          e.lines[#e.lines + 1] = line
        end
      end
      local label = table.concat(e.reasons, ", ")
      if e.derefs ~= "" then label = e.derefs .. (label ~= "" and " " .. label or "") end
      e.label, e.tooltip = label, table.concat(e.lines, "\n")
    end
  end
  for _, e in ipairs(g.edges) do e.seen = nil end
  return g
end

--- Graphviz DOT text of the records' flows.
function M.dot(input, opts) return dot.render(M.graph(input, opts)) end

--- Mermaid flowchart text of the records' flows.
function M.mermaid(input, opts) return dot.mermaid(M.graph(input, opts)) end

--- Plain text: each diagnostic, its chains, and each hop with its reasons.
function M.text(input)
  local out = {}
  for _, d in ipairs(as_list(input)) do
    out[#out + 1] = ("%s: %s%s"):format(pos(d), d.message or d.kind,
      d.func and (" [" .. d.func .. "]") or "")
    for _, c in ipairs(M.chains(d)) do out[#out + 1] = "  " .. table.concat(c, " -> ") end
    for _, h in ipairs(M.hops(d)) do
      local why = {}
      for _, s in ipairs(h.from) do
        why[#why + 1] = ("%s at %s:%d:%d"):format(s.reason or "?", s.file or "?", s.line or 0, s.col or 0)
      end
      out[#out + 1] = ("    %s%s -> %s: %s"):format(h.derefs, h.src, h.dst, table.concat(why, ", "))
    end
  end
  return table.concat(out, "\n") .. (#out > 0 and "\n" or "")
end

return inputs.analysis(M, "flowgraph", OPTIONS, flows)
