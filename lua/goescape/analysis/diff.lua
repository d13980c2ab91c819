--- ge.analysis.diff{before = LOG, after = LOG [, kinds = {kind...}]
-- [, package = "import/path"]}: what changed between two escape logs of one
-- program (before/after a change, same compiler and flags). Each log is an
-- escape log, a path or a list of paths.
--
-- Records are matched by a key that survives line shifts:
--   package, scope, kind, normalized subject, occurrence
-- where scope is the record's function, else the top-level function whose
-- declaration (a can_inline/cannot_inline record present in both logs)
-- precedes the record in its file, else "@" .. the file's base name;
-- within a function, records are aligned by their sequence (a longest
-- common subsequence), so inserted code is what is new. Lines and columns are never
-- part of the key, and neither are the numbers the compiler gives to
-- closures (F.func2), range-func bodies (F-range1), init functions (init.0)
-- and generic shapes (go.shape.int_0): adding a closure renumbers those
-- that follow it. File paths are compared without a module-cache version
-- (mod@v1.2.3/), so a dependency upgrade does not move every record.
--
-- Returns {added = {...}, removed = {...}, changed = {...}, summary = {...}}:
-- entries {category=, kind=, package=, func=, file=, line=, col=, subject=,
-- message=, key=} (positions from AFTER for added and changed, from BEFORE for
-- removed); changed entries also carry before = {kind=, file=, line=, col=,
-- message=, cost=, target=} and changes = {attr = {before, after}}.
local inputs = require "goescape.analysis.inputs"
local lines = require "goescape.analysis.lines"

local M = {}

local OPTIONS = inputs.keys({ before = "escape", after = "escape" }, { "kinds", "package" })

local HEAP = require("goescape.escape").HEAP
M.LEAK = { leaking_param = true, leaking_param_content = true, leaking_param_result = true }

--- The conditions --fail-on accepts, and what each one tests in a summary.
M.GATES = {
  ["new-escapes"] = function(s) return s.new_escapes > 0 end,
  ["new-heap"] = function(s) return s.new_heap > 0 end,
  ["lost-inline"] = function(s) return s.lost_inline > 0 end,
  any = function(s) return s.added + s.removed + s.changed > 0 end,
}

-- Attributes compared for records with equal keys.
local COMPARED = { "cost", "target", "level", "derefs", "size" }

local function basename(p) return (tostring(p or ""):match("[^/\\]*$")) end

--- A function or subject name without the numbers the compiler assigns in
-- declaration order: "F.func2.func1" -> "F.func#.func#", "init.0" ->
-- "init.#", "F-range2" -> "F-range#", "go.shape.int_0" -> "go.shape.int".
function M.stable_name(n)
  if not n then return n end
  return (n:gsub("%.func%d+", ".func#"):gsub("%-range%d+", "-range#")
    :gsub("%f[%w_]init%.%d+", "init.#"):gsub("(go%.shape%.[%w_%.%*]-)_%d+%f[^%w_]", "%1"))
end

-- The top-level function of a closure or range-func body: "F.func1.func2"
-- -> "F" (a closure's span in its file is unknown, so records after it
-- belong to the enclosing function as much as to it).
local function top_level(n)
  return (n:gsub("%.func%d+.*$", ""):gsub("%-range%d+.*$", ""))
end

local function norm_subject(s)
  if not s then return "" end
  return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

local function decl_name(r)
  if (r.kind == "can_inline" or r.kind == "cannot_inline") and (r.line or 0) > 0 then
    local n = r.func or r.subject
    return n and top_level(n)
  end
end

local function file_key(r) return (r.package or "") .. "\0" .. lines.unversioned(r.file or "") end

-- Function declarations per package+file: name -> true.
local function decl_names(recs)
  local t = {}
  for _, r in ipairs(recs) do
    local n = decl_name(r)
    if n then t[file_key(r) .. "\0" .. n] = true end
  end
  return t
end

-- Per file, the declarations also present in the other log, sorted by position.
local function decl_index(recs, other)
  local idx = {}
  for _, r in ipairs(recs) do
    local n = decl_name(r)
    if n and other[file_key(r) .. "\0" .. n] then
      local fk = file_key(r)
      idx[fk] = idx[fk] or {}
      table.insert(idx[fk], { line = r.line, col = r.col or 0, name = n })
    end
  end
  for _, l in pairs(idx) do
    table.sort(l, function(a, b)
      if a.line ~= b.line then return a.line < b.line end
      return a.col < b.col
    end)
  end
  return idx
end

local function scope_of(r, idx)
  if r.func and r.func ~= "" then return M.stable_name(r.func) end
  local l = idx[file_key(r)]
  local best
  if l then
    local line, col = r.line or 0, r.col or 0
    for _, d in ipairs(l) do
      if d.line < line or (d.line == line and d.col <= col) then best = d.name else break end
    end
  end
  return M.stable_name(best) or ("@" .. basename(r.file))
end

local function pos_less(a, b)
  if (a.file or "") ~= (b.file or "") then return (a.file or "") < (b.file or "") end
  if (a.line or 0) ~= (b.line or 0) then return (a.line or 0) < (b.line or 0) end
  if (a.col or 0) ~= (b.col or 0) then return (a.col or 0) < (b.col or 0) end
  return (a.index or 0) < (b.index or 0)
end

local function keep(r, opts)
  if r.kind == "trace" then return false end
  if opts.kinds and not opts.kinds[r.kind] then return false end
  if opts.package and r.package ~= opts.package then return false end
  return true
end

-- The records a diff compares, in source order, each with its scope and
-- base key (package, scope, kind, subject).
local function selected(recs, idx, opts, scopes)
  local sel = {}
  for _, r in ipairs(recs) do if keep(r, opts) then sel[#sel + 1] = r end end
  table.sort(sel, pos_less)
  local bases = {}
  for i, r in ipairs(sel) do
    scopes[r] = scope_of(r, idx)
    bases[i] = table.concat({ r.package or "", scopes[r], r.kind,
      M.stable_name(norm_subject(r.subject)) }, "\0")
  end
  return sel, bases
end

-- Positions in a scope: the record indexes of each package+scope, in order.
local function by_scope(sel, scopes)
  local t = {}
  for i, r in ipairs(sel) do
    local s = (r.package or "") .. "\0" .. scopes[r]
    t[s] = t[s] or {}
    table.insert(t[s], i)
  end
  return t
end

-- Longest common subsequence of two lists of base keys: pairs (i, j).
-- Within one function this aligns the records that stayed around the ones
-- that were inserted, so a new closure before old ones is reported as new
-- instead of shifting every occurrence number after it.
local function lcs(a, b)
  local n, m = #a, #b
  local L = {}
  for i = n + 1, 1, -1 do
    local row, next = {}, L[i + 1]
    for j = m + 1, 1, -1 do
      if i > n or j > m then row[j] = 0
      elseif a[i] == b[j] then row[j] = next[j + 1] + 1
      else
        local x, y = next[j], row[j + 1]
        row[j] = x > y and x or y
      end
    end
    L[i] = row
  end
  local pairs_, i, j = {}, 1, 1
  while i <= n and j <= m do
    if a[i] == b[j] then pairs_[#pairs_ + 1] = { i, j }; i = i + 1; j = j + 1
    elseif L[i + 1][j] >= L[i][j + 1] then i = i + 1
    else j = j + 1 end
  end
  return pairs_
end

-- Above this many cells a scope's alignment falls back to occurrence
-- numbers (equal keys paired in source order).
local MAX_LCS_CELLS = 4000000

-- Keys for both logs: paired records share a key, the others get keys of
-- their own. Returns map and order for each side.
local function pair_keys(bsel, bbases, asel, abases, scopes)
  local bkeys, akeys = {}, {}
  local bscopes, ascopes = by_scope(bsel, scopes), by_scope(asel, scopes)
  local function occurrence(sel_idx, bases, keys, tag, seen)
    for _, i in ipairs(sel_idx) do
      local n = (seen[bases[i]] or 0) + 1
      seen[bases[i]] = n
      keys[i] = bases[i] .. "\0" .. tag .. n
    end
  end
  for s, bi in pairs(bscopes) do
    local ai = ascopes[s]
    if ai and #bi * #ai <= MAX_LCS_CELLS then
      local ta, tb = {}, {}
      for k, i in ipairs(bi) do tb[k] = bbases[i] end
      for k, i in ipairs(ai) do ta[k] = abases[i] end
      local seen = {}
      for _, p in ipairs(lcs(tb, ta)) do
        local i, j = bi[p[1]], ai[p[2]]
        local n = (seen[bbases[i]] or 0) + 1
        seen[bbases[i]] = n
        bkeys[i] = bbases[i] .. "\0" .. n
        akeys[j] = bkeys[i]
      end
      -- Records left over on both sides with one base key moved within the
      -- function (reordered code): pair them in source order.
      local left = {}
      for _, i in ipairs(bi) do
        if not bkeys[i] then
          left[bbases[i]] = left[bbases[i]] or {}
          table.insert(left[bbases[i]], i)
        end
      end
      local bs, as = {}, {}
      for _, j in ipairs(ai) do
        if not akeys[j] then
          local q = left[abases[j]]
          if q and #q > 0 then
            local i = table.remove(q, 1)
            local n = (seen[bbases[i]] or 0) + 1
            seen[bbases[i]] = n
            bkeys[i] = bbases[i] .. "\0" .. n
            akeys[j] = bkeys[i]
          else
            as[#as + 1] = j
          end
        end
      end
      for _, i in ipairs(bi) do if not bkeys[i] then bs[#bs + 1] = i end end
      occurrence(bs, bbases, bkeys, "-", {})
      occurrence(as, abases, akeys, "+", {})
    elseif ai then
      occurrence(bi, bbases, bkeys, "", {})
      occurrence(ai, abases, akeys, "", {})
    else
      occurrence(bi, bbases, bkeys, "-", {})
    end
  end
  for s, ai in pairs(ascopes) do
    if not bscopes[s] then occurrence(ai, abases, akeys, "+", {}) end
  end
  local function maps(sel, keys)
    local map, order = {}, {}
    for i, r in ipairs(sel) do
      map[keys[i]] = r
      order[#order + 1] = keys[i]
    end
    return map, order
  end
  local bmap, border = maps(bsel, bkeys)
  local amap, aorder = maps(asel, akeys)
  return bmap, border, amap, aorder
end

local function entry(category, r, key, scopes)
  return {
    category = category, kind = r.kind, package = r.package, func = scopes[r],
    file = r.file, line = r.line, col = r.col, subject = r.subject, message = r.message,
    cost = r.cost, target = r.target, key = key and key:gsub("%z", "|"),
  }
end

local function brief(r)
  return { kind = r.kind, file = r.file, line = r.line, col = r.col, message = r.message,
    cost = r.cost, target = r.target }
end

local function added_category(k)
  if HEAP[k] then return "new-heap" end
  if M.LEAK[k] then return "new-leak" end
  if k == "inlining_call" then return "new-inlined-call" end
  if k == "can_inline" then return "new-inlinable" end
  return "added"
end

local function removed_category(k, after_has_cannot)
  if HEAP[k] then return "gone-heap" end
  if M.LEAK[k] then return "gone-leak" end
  if k == "inlining_call" then return "gone-inlined-call" end
  -- A plain -m log never says "cannot inline": a can_inline that disappears
  -- is then read as a function that lost inlining.
  if k == "can_inline" then return after_has_cannot and "gone-inlinable" or "lost-inline" end
  return "removed"
end

local function set_of(v, name)
  if v == nil then return nil end
  if type(v) == "string" then return { [v] = true } end
  if type(v) ~= "table" then error(("diff: %s must be a kind or a list of kinds (got %s)"):format(name, type(v)), 4) end
  local t = {}
  for k, x in pairs(v) do
    if type(k) == "number" then t[x] = true else t[k] = x and true or nil end
  end
  return t
end

-- Compares the two escape logs of opts (see the top of this file):
-- {added=, removed=, changed=, summary=}, or nil, err, code.
local function diff(inp, opts)
  local o = { kinds = set_of(opts.kinds, "kinds"), package = opts.package }
  if o.package ~= nil and type(o.package) ~= "string" then
    error("diff: package must be a string (got " .. type(o.package) .. ")", 3)
  end
  local before, err, code = inp:open_escape("before")
  if not before then return nil, err, code end
  local after
  after, err, code = inp:open_escape("after")
  if not after then return nil, err, code end
  local brecs, arecs = before:list(), after:list()

  local bnames, anames = decl_names(brecs), decl_names(arecs)
  local scopes = {}
  local bsel, bbases = selected(brecs, decl_index(brecs, anames), o, scopes)
  local asel, abases = selected(arecs, decl_index(arecs, bnames), o, scopes)
  local bmap, border, amap, aorder = pair_keys(bsel, bbases, asel, abases, scopes)
  local after_has_cannot = false
  for _, r in ipairs(arecs) do
    if r.kind == "cannot_inline" then after_has_cannot = true; break end
  end

  local added, removed, changed = {}, {}, {}
  local unchanged = 0
  -- Pair can_inline <-> cannot_inline of one function (package + name).
  local inl_removed, inl_added, paired = {}, {}, {}
  for _, k in ipairs(aorder) do
    local a, b = amap[k], bmap[k]
    if not b then
      if a.kind == "cannot_inline" or a.kind == "can_inline" then
        inl_added[(a.package or "") .. "\0" .. a.kind .. "\0" .. (a.subject or "")] = k
      end
    end
  end
  for _, k in ipairs(border) do
    local b = bmap[k]
    if not amap[k] and (b.kind == "can_inline" or b.kind == "cannot_inline") then
      local other = b.kind == "can_inline" and "cannot_inline" or "can_inline"
      local ak = inl_added[(b.package or "") .. "\0" .. other .. "\0" .. (b.subject or "")]
      if ak then
        inl_removed[k] = ak
        paired[ak] = true
      end
    end
  end

  for _, k in ipairs(aorder) do
    local a, b = amap[k], bmap[k]
    if b then
      local changes
      for _, f in ipairs(COMPARED) do
        if a[f] ~= b[f] then
          changes = changes or {}
          changes[f] = { b[f], a[f] }
        end
      end
      if changes then
        local cat = changes.cost and a.kind == "can_inline" and "inline-cost" or "changed"
        local e = entry(cat, a, k, scopes)
        e.before, e.changes = brief(b), changes
        changed[#changed + 1] = e
      else
        unchanged = unchanged + 1
      end
    elseif not paired[k] then
      added[#added + 1] = entry(added_category(a.kind), a, k, scopes)
    end
  end
  for _, k in ipairs(border) do
    local b = bmap[k]
    local ak = inl_removed[k]
    if ak then
      local a = amap[ak]
      local e = entry(b.kind == "can_inline" and "lost-inline" or "gained-inline", a, ak, scopes)
      e.before = brief(b)
      e.changes = { kind = { b.kind, a.kind } }
      changed[#changed + 1] = e
    elseif not amap[k] then
      removed[#removed + 1] = entry(removed_category(b.kind, after_has_cannot), b, k, scopes)
    end
  end

  local s = { added = #added, removed = #removed, changed = #changed, unchanged = unchanged,
    new_escapes = 0, new_heap = 0, gone_escapes = 0, gone_heap = 0, lost_inline = 0,
    gained_inline = 0, cost_changes = 0, inlined_calls_added = 0, inlined_calls_removed = 0 }
  local count = {
    ["new-heap"] = { "new_heap", "new_escapes" }, ["new-leak"] = { "new_escapes" },
    ["gone-heap"] = { "gone_heap", "gone_escapes" }, ["gone-leak"] = { "gone_escapes" },
    ["lost-inline"] = { "lost_inline" }, ["gained-inline"] = { "gained_inline" },
    ["inline-cost"] = { "cost_changes" }, ["new-inlined-call"] = { "inlined_calls_added" },
    ["gone-inlined-call"] = { "inlined_calls_removed" },
  }
  for _, l in ipairs { added, removed, changed } do
    for _, e in ipairs(l) do
      for _, f in ipairs(count[e.category] or {}) do s[f] = s[f] + 1 end
    end
  end
  return { added = added, removed = removed, changed = changed, summary = s }
end

--- The --fail-on conditions (names of M.GATES) that the result meets.
function M.gate(result, conditions)
  if type(result) ~= "table" or type(result.summary) ~= "table" then
    error("bad argument #1 to 'gate' (diff result expected)", 2)
  end
  local hit = {}
  for _, c in ipairs(conditions or {}) do
    local f = M.GATES[c]
    if not f then error("bad argument #2 to 'gate' (unknown condition '" .. tostring(c) .. "')", 2) end
    if f(result.summary) then hit[#hit + 1] = c end
  end
  return hit
end

--- Whether an entry is one that the given conditions fail on.
function M.gated(e, conditions)
  for _, c in ipairs(conditions or {}) do
    if c == "any" then return true end
    if c == "new-heap" and e.category == "new-heap" then return true end
    if c == "new-escapes" and (e.category == "new-heap" or e.category == "new-leak") then return true end
    if c == "lost-inline" and e.category == "lost-inline" then return true end
  end
  return false
end

return inputs.analysis(M, "diff", OPTIONS, diff)
