--- Flame graphs: the call tree of a profile, truncated to the frames that
-- hold at least a fraction of the total, and a standalone SVG of it.
--
--   local flame = require "goescape.report.flame"
--   local tree = flame.tree(prof, {sample = "alloc_space", min = 0.001})
--   -- {name = "all", value = total, children = {{name=, value=, children=}...}, nodes=, dropped=}
--   local text = flame.svg(tree, {title = "allocs", unit = "bytes", width = 1200})
--   flame.write(prof, "out.svg", opts)
--
-- flame.tree takes the tree from `p:flame` (aggregated in C from the
-- samples). from_folded builds the same tree from folded-stack text (as
-- `p:folded` prints it): sorted stacks with a common prefix are adjacent, so the tree
-- is built in one pass over the text holding only the open path; a frame's
-- name is cut out of the text only when its subtree is kept. Under LuaJIT the
-- bytes are read through the FFI (the 300k-sample profile's 33 MB of stacks
-- in ~0.1 s); elsewhere through string.byte.
local svg = require "goescape.report.svg"

local M = {}

local byte, sub, floor = string.byte, string.sub, math.floor

local ok_ffi, ffi = pcall(require, "ffi")
if not (ok_ffi and jit) then ffi = nil end

local SEMI, SPACE, NL, MINUS = 59, 32, 10, 45

local function byte_reader(s)
  if ffi then
    local p = ffi.cast("const uint8_t *", s)
    return function(i) return p[i] end
  end
  return function(i) return byte(s, i + 1) end
end

-- Siblings of one name can be split in two runs by the sort ("f 5" sorts
-- before "f.func1;..." which sorts before "f;g 3"): merge them, recursively.
local function merge(children)
  if not children then return nil end
  local by, out = {}, {}
  for _, c in ipairs(children) do
    local o = by[c.name]
    if o then
      o.value = o.value + c.value
      if c.children then
        o.children = o.children or {}
        for _, g in ipairs(c.children) do o.children[#o.children + 1] = g end
      end
    else
      by[c.name] = c
      out[#out + 1] = c
    end
  end
  for _, c in ipairs(out) do c.children = merge(c.children) end
  return out
end

local function prune(node, thr, stats)
  local kept = {}
  for _, c in ipairs(node.children or {}) do
    if math.abs(c.value) >= thr then
      kept[#kept + 1] = c
      prune(c, thr, stats)
    else
      stats.dropped = stats.dropped + 1
    end
  end
  table.sort(kept, function(a, b)
    if a.value ~= b.value then return a.value > b.value end
    return a.name < b.name
  end)
  stats.nodes = stats.nodes + #kept
  node.children = #kept > 0 and kept or nil
end

--- The tree of folded-stack text ("a;b;c 12\n" lines, sorted as p:folded
-- prints them). opts.min: the smallest fraction of the total a frame needs
-- to be kept (default 0.001; 0 keeps everything).
function M.from_folded(text, opts)
  opts = opts or {}
  local min = opts.min or 0.001
  local B = byte_reader(text)
  local n = #text
  -- Pass 1: the total, for the threshold.
  local total, absum = 0, 0
  do
    local i = n - 1
    while i >= 0 do
      while i >= 0 and B(i) == NL do i = i - 1 end
      if i < 0 then break end
      local v, mul = 0, 1
      local c = B(i)
      while c >= 48 and c <= 57 do v = v + (c - 48) * mul; mul = mul * 10; i = i - 1; c = i >= 0 and B(i) or NL end
      if c == MINUS then v = -v; i = i - 1 end
      total = total + v
      absum = absum + (v < 0 and -v or v)
      while i >= 0 and B(i) ~= NL do i = i - 1 end
    end
  end
  -- Build with a quarter of the threshold (a name split by the sort is kept
  -- if its parts reach it), then prune at the threshold after merging.
  local thr = absum * min
  local build_thr = thr / 4
  local fs, fe, fv, fk = {}, {}, {}, {}
  local depth = 0
  local root_kids = {}
  local function close_to(k)
    for d = depth, k, -1 do
      local v = fv[d]
      if (v < 0 and -v or v) >= build_thr and (v ~= 0 or build_thr == 0) then
        local parent
        if d == 1 then parent = root_kids else
          parent = fk[d - 1]
          if not parent then parent = {}; fk[d - 1] = parent end
        end
        parent[#parent + 1] = { name = sub(text, fs[d] + 1, fe[d]), value = v, children = fk[d] }
      end
      fk[d] = nil
    end
    depth = k - 1
  end
  local pos = 0
  while pos < n do
    -- the line [pos, le) and its value after the last space
    local le = pos
    while le < n and B(le) ~= NL do le = le + 1 end
    local vs = le - 1
    while vs >= pos and B(vs) ~= SPACE do vs = vs - 1 end
    if vs > pos then
      local v, j, neg = 0, vs + 1, false
      if B(j) == MINUS then neg = true; j = j + 1 end
      while j < le do v = v * 10 + B(j) - 48; j = j + 1 end
      if neg then v = -v end
      -- walk the frames, comparing with the open path
      local k, p, diverged = 1, pos, false
      while p < vs do
        local q = p
        while q < vs and B(q) ~= SEMI do q = q + 1 end
        if not diverged then
          local same = k <= depth and fe[k] - fs[k] == q - p
          if same then
            local a = fs[k]
            for t = 0, q - p - 1 do
              if B(a + t) ~= B(p + t) then same = false; break end
            end
          end
          if not same then
            diverged = true
            if k <= depth then close_to(k) end
          end
        end
        if diverged then
          depth = k
          fs[k], fe[k], fv[k], fk[k] = p, q, 0, nil
        end
        k = k + 1
        p = q + 1
      end
      local dl = k - 1
      if not diverged and dl < depth then close_to(dl + 1) end
      for d = 1, dl do fv[d] = fv[d] + v end
    end
    pos = le + 1
  end
  if depth > 0 then close_to(1) end
  local root = { name = opts.root or "all", value = total, children = merge(root_kids) }
  local stats = { nodes = 0, dropped = 0 }
  prune(root, thr, stats)
  root.nodes, root.dropped, root.min = stats.nodes, stats.dropped, min
  return root
end

--- The tree of a profile (ge.profile): opts.sample, opts.min, and the
-- profile filters (focus, ignore, hide, show, tagfocus, tagignore).
-- Returns the tree, or nil, err. Built in C by p:flame (the same tree as
-- from_folded on p:folded, without making the text; nodes also carry self);
-- profile objects without :flame go through the folded text.
function M.tree(prof, opts)
  opts = opts or {}
  local q = require("goescape.profile").query(opts)
  if prof.flame then
    q.min, q.root = opts.min or 0.001, opts.root
    return prof:flame(q)
  end
  local text, err = prof:folded(q)
  if not text then return nil, err end
  return M.from_folded(text, opts)
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
