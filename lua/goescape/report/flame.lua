--- Flame graphs: the call tree of a profile, truncated to the frames that
-- hold at least a fraction of the total, and a standalone SVG of it.
--
--   local flame = require "goescape.report.flame"
--   local tree = flame.tree(prof, {sample = "alloc_space", min = 0.001})
--   -- {name = "all", value = total, children = {{name=, value=, children=}...}, nodes=, dropped=}
--   local text = flame.svg(tree, {title = "allocs", unit = "bytes", width = 1200})
--   flame.write(prof, "out.svg", opts)
--
-- The tree is built in C from the samples (p:flame), the one place that
-- aggregates stacks; this module only lays it out.
local svg = require "goescape.report.svg"

local M = {}

local floor = math.floor

--- The tree of a profile (ge.profile): opts.sample, opts.min, and the
-- profile filters (focus, ignore, hide, show, tagfocus, tagignore).
-- Returns the tree of p:flame, or nil, err.
function M.tree(prof, opts)
  opts = opts or {}
  local q = require("goescape.profile").query(opts)
  q.min, q.root = opts.min or 0.001, opts.root
  return prof:flame(q)
end

--- A value in its unit, short (goescape.report.units).
M.human = require("goescape.report.units").human

--- A standalone SVG flame graph of a tree (root at the bottom). opts: title,
-- unit, width (1200), frame height (16). Every name is XML-escaped; each
-- frame carries a <title> tooltip with its value and share.
function M.svg(tree, opts)
  opts = opts or {}
  local W, FH = opts.width or 1200, opts.frame_height or 16
  local pad, top = 10, 44
  local maxd = 0
  local function depth_of(node, d)
    if d > maxd then maxd = d end
    for _, c in ipairs(node.children or {}) do depth_of(c, d + 1) end
  end
  depth_of(tree, 0)
  local H = top + (maxd + 1) * FH + 28
  local total = math.abs(tree.value) > 0 and math.abs(tree.value) or 1
  local scale = (W - 2 * pad) / total
  local out = {}
  local function w(s) out[#out + 1] = s end
  w(('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
    .. 'width="%d" height="%d" viewBox="0 0 %d %d" font-family="Verdana, sans-serif" font-size="11">\n')
    :format(W, H, W, H))
  w(('<rect width="%d" height="%d" fill="#fdfcf8"/>\n'):format(W, H))
  local title = opts.title or "Flame graph"
  w(('<text x="%d" y="22" font-size="16" text-anchor="middle" fill="#222">%s</text>\n')
    :format(W / 2, svg.escape(title)))
  w(('<text x="%d" y="38" fill="#666" text-anchor="middle">total %s; frames under %.2g%% '
    .. 'of the total left out; root at the bottom</text>\n')
    :format(W / 2, svg.escape(M.human(tree.value, opts.unit)), (tree.min or 0) * 100))
  local function draw(node, x, d)
    local wd = math.abs(node.value) * scale
    local y = H - 28 - (d + 1) * FH
    local pct = math.abs(node.value) * 100 / total
    local label = ("%s (%s, %.2f%%)"):format(node.name, M.human(node.value, opts.unit), pct)
    w(('<g><title>%s</title><rect x="%s" y="%s" width="%s" height="%d" rx="2" fill="%s" '
      .. 'stroke="#fdfcf8" stroke-width="0.5"/>')
      :format(svg.escape(label), svg.num(x), svg.num(y), svg.num(wd), FH - 1,
        d == 0 and "hsl(40,10%,75%)" or svg.frame_color(node.name)))
    local chars = floor((wd - 6) / 6.6)
    if chars >= 3 then
      local name = node.name
      if #name > chars then name = name:sub(1, chars - 2) .. ".." end
      w(('<text x="%s" y="%s" fill="#111">%s</text>'):format(svg.num(x + 3), svg.num(y + FH - 5),
        svg.escape(name)))
    end
    w("</g>\n")
    local cx = x
    for _, c in ipairs(node.children or {}) do
      draw(c, cx, d + 1)
      cx = cx + math.abs(c.value) * scale
    end
  end
  draw(tree, pad, 0)
  w("</svg>\n")
  return table.concat(out)
end

--- Writes the SVG flame graph of a profile to path; true or nil, err.
function M.write(prof, path, opts)
  local tree, err = M.tree(prof, opts)
  if not tree then return nil, err end
  return require("goescape.core").write_file(path, M.svg(tree, opts))
end

return M
