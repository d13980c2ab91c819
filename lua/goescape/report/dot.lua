--- Graph writers: Graphviz DOT and Mermaid text for a small graph model.
--
--   local dot = require "goescape.report.dot"
--   local g = { name = "flow", rankdir = "LR",
--     clusters = { {id = "c1", label = "main.f"} },
--     nodes = { {id = "n1", label = "p", cluster = "c1", shape = "box", tooltip = "..."} },
--     edges = { {from = "n1", to = "n2", label = "address-of", tooltip = "..."} } }
--   dot.render(g)     --> "digraph ... }" (valid for `dot -Tsvg`)
--   dot.mermaid(g)    --> "flowchart LR ..."
--   dot.write(g, path [, "mermaid"])
--
-- Every label is escaped: in DOT, quotes and backslashes are backslash-escaped
-- and newlines become \n; in Mermaid, quotes, #, <, >, | become entities.
local M = {}

--- A DOT double-quoted string for any text.
function M.quote(s)
  s = tostring(s or "")
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\r", ""):gsub("\n", "\\n")
  return '"' .. s .. '"'
end

local function attrs(t, keys)
  local parts = {}
  for _, k in ipairs(keys) do
    if t[k] ~= nil then parts[#parts + 1] = k .. "=" .. M.quote(t[k]) end
  end
  if #parts == 0 then return "" end
  return " [" .. table.concat(parts, ", ") .. "]"
end

local NODE_KEYS = { "label", "shape", "style", "fillcolor", "color", "tooltip", "fontname" }
local EDGE_KEYS = { "label", "style", "color", "tooltip" }

--- The graph as Graphviz DOT text.
function M.render(g)
  local out = {}
  local function w(s) out[#out + 1] = s end
  w("digraph " .. M.quote(g.name or "goescape") .. " {")
  w("  rankdir=" .. (g.rankdir or "LR") .. ";")
  w('  node [fontname="Helvetica", fontsize=10, shape=box, style=rounded];')
  w('  edge [fontname="Helvetica", fontsize=9];')
  local by_cluster = {}
  for _, n in ipairs(g.nodes or {}) do
    local k = n.cluster or false
    by_cluster[k] = by_cluster[k] or {}
    table.insert(by_cluster[k], n)
  end
  for _, c in ipairs(g.clusters or {}) do
    w("  subgraph " .. M.quote("cluster_" .. c.id) .. " {")
    w("    label=" .. M.quote(c.label) .. "; style=dashed; color=gray50;")
    for _, n in ipairs(by_cluster[c.id] or {}) do
      w("    " .. M.quote(n.id) .. attrs(n, NODE_KEYS) .. ";")
    end
    w("  }")
  end
  for _, n in ipairs(by_cluster[false] or {}) do
    w("  " .. M.quote(n.id) .. attrs(n, NODE_KEYS) .. ";")
  end
  for _, e in ipairs(g.edges or {}) do
    w("  " .. M.quote(e.from) .. " -> " .. M.quote(e.to) .. attrs(e, EDGE_KEYS) .. ";")
  end
  w("}")
  return table.concat(out, "\n") .. "\n"
end

--- Mermaid label text: entities for the characters Mermaid would read.
function M.mermaid_text(s)
  s = tostring(s or ""):gsub("[\r\n]+", " ")
  return (s:gsub('[#"<>|]', function(c)
    return "#" .. c:byte() .. ";"
  end))
end

local MERMAID_SHAPE = {
  cylinder = { '[("', '")]' },
  note = { '>"', '"]' },
  ellipse = { '(["', '"])' },
}

--- The graph as a Mermaid flowchart.
function M.mermaid(g)
  local out = { "flowchart " .. (g.rankdir or "LR") }
  local function node(n, ind)
    local sh = MERMAID_SHAPE[n.shape] or { '["', '"]' }
    out[#out + 1] = ind .. n.id .. sh[1] .. M.mermaid_text(n.label) .. sh[2]
  end
  local by_cluster = {}
  for _, n in ipairs(g.nodes or {}) do
    local k = n.cluster or false
    by_cluster[k] = by_cluster[k] or {}
    table.insert(by_cluster[k], n)
  end
  for _, c in ipairs(g.clusters or {}) do
    out[#out + 1] = "  subgraph " .. c.id .. '["' .. M.mermaid_text(c.label) .. '"]'
    for _, n in ipairs(by_cluster[c.id] or {}) do node(n, "    ") end
    out[#out + 1] = "  end"
  end
  for _, n in ipairs(by_cluster[false] or {}) do node(n, "  ") end
  for _, e in ipairs(g.edges or {}) do
    local arrow = e.style == "dotted" and " -.-> " or " --> "
    if e.label and e.label ~= "" then
      arrow = arrow .. '|"' .. M.mermaid_text(e.label) .. '"| '
    end
    out[#out + 1] = "  " .. e.from .. arrow .. e.to
  end
  return table.concat(out, "\n") .. "\n"
end

--- Writes the graph to a file as DOT (or Mermaid when format == "mermaid").
function M.write(g, path, format)
  local text = format == "mermaid" and M.mermaid(g) or M.render(g)
  return require("goescape.core").write_file(path, text)
end

return M
