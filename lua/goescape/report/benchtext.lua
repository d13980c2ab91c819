--- benchstat's text tables for ge.bench.compare results: the same columns,
-- the same scaling of values (benchunit's SI / IEC prefixes and digits),
-- ± intervals, deltas, "(p=… n=…)" notes and footnoted warnings. Column
-- spacing follows benchstat's closely, not byte for byte.
local M = {}

local function si_factors()
  local f, exp = {}, 12
  for _, p in ipairs({ "T", "G", "M", "k", "", "m", "µ", "n" }) do
    f[#f + 1] = { factor = 10 ^ exp, prefix = p, t100 = tonumber(("99.995e%d"):format(exp)),
                  t10 = tonumber(("9.9995e%d"):format(exp)), t1 = tonumber((".99995e%d"):format(exp)) }
    exp = exp - 3
  end
  return f
end

local function iec_factors()
  local f, exp = {}, 40
  for _, p in ipairs({ "Ti", "Gi", "Mi", "Ki", "" }) do
    -- benchunit's hex constants are the doubles nearest 99.995 etc. times 2^exp
    f[#f + 1] = { factor = 2 ^ exp, prefix = p, t100 = 99.995 * 2 ^ exp, t10 = 9.9995 * 2 ^ exp,
                  t1 = 0.99995 * 2 ^ exp }
    exp = exp - 10
  end
  return f
end

local SI, IEC = si_factors(), iec_factors()
local SIGFIGS = {}
for exp = -1, -8, -1 do SIGFIGS[#SIGFIGS + 1] = tonumber(("9.9995e%d"):format(exp)) end

--- benchunit.ClassOf: binary when a numerator token is B, MB or bytes.
function M.binary(unit)
  local denom = false
  for sep, tok in unit:gmatch("([%*/%-%s]*)([^%*/%-%s]+)") do
    if sep:find("/", 1, true) then denom = true end
    if sep:find("*", 1, true) then denom = false end
    if not denom and (tok == "B" or tok == "MB" or tok == "bytes") then return true end
  end
  return false
end

--- benchunit.CommonScale: {prec, factor, prefix} for values shown together.
function M.scaler(vals, binary)
  local min = 0
  for _, v in ipairs(vals) do
    v = math.abs(v)
    if v ~= 0 and (min == 0 or v < min) then min = v end
  end
  if min == 0 then return { 3, 1, "" } end
  local fs = binary and IEC or SI
  for _, f in ipairs(fs) do
    if min >= f.t100 then return { 1, f.factor, f.prefix } end
    if min >= f.t10 then return { 2, f.factor, f.prefix } end
    if min >= f.t1 then return { 3, f.factor, f.prefix } end
  end
  local f = fs[#fs]
  local val = min / f.factor
  for i, t in ipairs(SIGFIGS) do
    if val >= t or i == #SIGFIGS then return { i + 2, f.factor, f.prefix } end
  end
end

local fmt = require("goescape.core").bench_fmt
function M.format(s, v) return fmt("%." .. s[1] .. "f", v / s[2]) .. s[3] end

local SUP = { "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹" }
local function superscript(i)
  local s = tostring(i):gsub("%d", function(d) return SUP[tonumber(d) + 1] end)
  return s
end

-- Display width: UTF-8 characters.
local function width(s) return #s:gsub("[\128-\191]", "") end
local function pad(s, w, right)
  local n = w - width(s)
  if n <= 0 then return s end
  return right and (s .. (" "):rep(n)) or ((" "):rep(n) .. s)
end
local function center(s, w)
  local n = w - width(s)
  if n <= 0 then return s end
  local l = math.floor(n / 2)
  return (" "):rep(l) .. s .. (" "):rep(n - l)
end

-- One table: a label column, then per column present (old, new) its
-- center, ± interval and footnotes, and for the second column the delta,
-- "(p=… n=…)" and footnotes.
local function render_table(out, t, labels)
  local binary = M.binary(t.unit)
  local sides = {}
  if t.sides.old then sides[#sides + 1] = "old" end
  if t.sides.new then sides[#sides + 1] = "new" end
  local two = #sides == 2
  local notes, note_ix = {}, {}
  local function foot(ws)
    local f = {}
    for _, w in ipairs(ws or {}) do
      if not note_ix[w] then notes[#notes + 1] = w; note_ix[w] = #notes end
      f[#f + 1] = superscript(note_ix[w])
    end
    return table.concat(f, " ")
  end
  -- per line: name, then per side {center, ci, foot}, then delta, note, foot
  local lines = {}
  for _, r in ipairs(t.rows) do
    local vals = {}
    for _, sd in ipairs(sides) do if r[sd] then vals[#vals + 1] = r[sd].center end end
    local sc = M.scaler(vals, binary)
    local c = { name = r.name }
    for i, sd in ipairs(sides) do
      if r[sd] then c[i] = { M.format(sc, r[sd].center), r[sd].ci_text, foot(r[sd].warnings) } end
    end
    if two and r.old and r.new then c.d = { r.delta_text, "(" .. r.note .. ")", foot(r.compare_warnings) } end
    lines[#lines + 1] = c
  end
  if #t.rows > 1 then
    local g = t.geomean
    local c = { name = "geomean", geo = true }
    for i, sd in ipairs(sides) do
      local s = g[sd]
      c[i] = { s.center and M.format(M.scaler({ s.center }, binary), s.center) or "", "",
               foot(s.warnings) }
    end
    if two then
      -- benchstat puts the new column's geomean footnotes after the delta
      c.d = { g.delta_text or "", "", c[2][3] }
      c[2][3] = ""
    end
    lines[#lines + 1] = c
  end
  local wn, wc, wi, wf, wd, wp = 0, { 0, 0 }, { 0, 0 }, { 0, 0 }, 0, 0
  for _, c in ipairs(lines) do
    wn = math.max(wn, width(c.name))
    for i = 1, #sides do
      if c[i] then
        wc[i] = math.max(wc[i], width(c[i][1]))
        wi[i] = math.max(wi[i], width(c[i][2]))
        wf[i] = math.max(wf[i], width(c[i][3]))
      end
    end
    if c.d then wd, wp = math.max(wd, width(c.d[1])), math.max(wp, width(c.d[2])) end
  end
  local colw = {}
  for i = 1, #sides do
    local inner = wc[i] + 3 + wi[i] + (wf[i] > 0 and wf[i] + 1 or 0)
    if i == 2 then inner = math.max(inner + 2 + wd + 1 + wp, width(t.unit) + 10) end
    colw[i] = math.max(inner, width(labels[sides[i] == "old" and 1 or 2]), width(t.unit))
  end
  local name = (" "):rep(wn)
  local h1, h2 = { name }, { name }
  for i, sd in ipairs(sides) do
    h1[#h1 + 1] = center(labels[sd == "old" and 1 or 2], colw[i])
    if i == 2 then
      h2[#h2 + 1] = pad(center(t.unit, wc[i] + 3 + wi[i]) .. "  vs base", colw[i], true)
    else
      h2[#h2 + 1] = center(t.unit, colw[i])
    end
  end
  out[#out + 1] = table.concat(h1, " │ ") .. " │"
  out[#out + 1] = table.concat(h2, " │ ") .. " │"
  for _, c in ipairs(lines) do
    local parts = { pad(c.name, wn, true) }
    for i = 1, #sides do
      local cell = ""
      if c[i] and c[i][1] ~= "" then
        cell = pad(c[i][1], wc[i]) .. (c.geo and "   " or " ± ") .. pad(c[i][2], wi[i])
      end
      if c[i] and c[i][3] ~= "" then cell = pad(cell, wc[i] + 3 + wi[i], true) .. " " .. c[i][3] end
      if i == 2 and c.d then
        cell = pad(cell, wc[i] + 3 + wi[i] + (wf[i] > 0 and wf[i] + 1 or 0), true) .. "  " ..
          pad(c.d[1], wd) .. " " .. pad(c.d[2], wp, true)
        if c.d[3] ~= "" then cell = cell .. " " .. c.d[3] end
      end
      parts[#parts + 1] = pad(cell, colw[i], true)
    end
    out[#out + 1] = (table.concat(parts, "   "):gsub("%s+$", ""))
  end
  for i, n in ipairs(notes) do out[#out + 1] = superscript(i) .. " " .. n end
end

--- The text benchstat prints for a comparison (ge.bench.compare's result).
function M.render(cmp, labels)
  local out = {}
  local prev
  for i, t in ipairs(cmp.tables) do
    if i > 1 then out[#out + 1] = "" end
    -- the configuration keys whose value changed since the last table
    for _, k in ipairs(t.all_keys) do
      local v = t.config[k] or ""
      if not prev or v ~= (prev.config[k] or "") then out[#out + 1] = k .. ": " .. v end
    end
    prev = t
    render_table(out, t, labels or cmp.labels)
  end
  return table.concat(out, "\n") .. "\n"
end

return M
