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

function M.format(s, v) return ("%." .. s[1] .. "f"):format(v / s[2]) .. s[3] end

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

local function render_table(out, t, labels)
  local binary = M.binary(t.unit)
  local notes, note_ix = {}, {}
  local function foot(ws)
    local f = {}
    for _, w in ipairs(ws or {}) do
      if not note_ix[w] then notes[#notes + 1] = w; note_ix[w] = #notes end
      f[#f + 1] = superscript(note_ix[w])
    end
    return table.concat(f, " ")
  end
  -- cells: name, oc, oci, ow, nc, nci, nw?, delta, note, dw
  local lines = {}
  local rows = {}
  for _, r in ipairs(t.rows) do rows[#rows + 1] = r end
  for _, r in ipairs(rows) do
    local vals = {}
    if r.old then vals[#vals + 1] = r.old.center end
    if r.new then vals[#vals + 1] = r.new.center end
    local sc = M.scaler(vals, binary)
    local c = { r.name, "", "", "", "", "", "", "" }
    if r.old then c[2], c[3] = M.format(sc, r.old.center), r.old.ci_text end
    if r.new then c[5], c[6] = M.format(sc, r.new.center), r.new.ci_text end
    if r.old and r.new then c[7], c[8] = r.delta_text, "(" .. r.note .. ")" end
    c[4] = foot(r.warnings)
    c.has_old, c.has_new = r.old ~= nil, r.new ~= nil
    lines[#lines + 1] = c
  end
  if #t.rows > 1 then
    local g = t.geomean
    local c = { "geomean", "", "", "", "", "", g.delta_text, "" }
    if g.old.center then c[2] = M.format(M.scaler({ g.old.center }, binary), g.old.center) end
    if g.new.center then c[5] = M.format(M.scaler({ g.new.center }, binary), g.new.center) end
    c[4] = foot(g.warnings)
    c.geo = true
    lines[#lines + 1] = c
  end
  local w = { 0, 0, 0, 0, 0, 0, 0, 0 }
  for _, c in ipairs(lines) do
    for i = 1, 8 do w[i] = math.max(w[i], width(c[i])) end
  end
  local oldw = w[2] + 3 + w[3]
  local neww = w[5] + 3 + w[6] + 2 + w[7] + 1 + w[8]
  oldw = math.max(oldw, width(labels[1]), width(t.unit))
  neww = math.max(neww, width(labels[2]), width(t.unit) + 10)
  local name = (" "):rep(w[1])
  out[#out + 1] = ("%s │ %s │ %s │"):format(name, center(labels[1], oldw), center(labels[2], neww))
  local unitrow = pad(center(t.unit, w[5] + 3 + w[6]) .. "  vs base", neww, true)
  out[#out + 1] = ("%s │ %s │ %s │"):format(name, center(t.unit, oldw), unitrow)
  for _, c in ipairs(lines) do
    local o = c[2] ~= "" and (pad(c[2], w[2]) .. (c.geo and "   " or " ± ") .. pad(c[3], w[3])) or ""
    local n = c[5] ~= "" and (pad(c[5], w[5]) .. (c.geo and "   " or " ± ") .. pad(c[6], w[6])) or ""
    local d = c[7] ~= "" and (pad(c[7], w[7]) .. " " .. pad(c[8], w[8], true)) or ""
    local line = pad(c[1], w[1], true) .. "   " .. pad(o, oldw, true) .. "   " ..
      pad(pad(n, w[5] + 3 + w[6], true) .. "  " .. d, neww, true)
    if c[4] ~= "" then line = line .. " " .. c[4] end
    out[#out + 1] = (line:gsub("%s+$", ""))
  end
  for i, n in ipairs(notes) do out[#out + 1] = superscript(i) .. " " .. n end
end

--- The text benchstat prints for a comparison (ge.bench.compare's result).
function M.render(cmp, labels)
  local out = {}
  local last_cfg
  for i, t in ipairs(cmp.tables) do
    if t.ckey ~= last_cfg then
      if i > 1 then out[#out + 1] = "" end
      for _, k in ipairs(t.config_keys) do out[#out + 1] = k .. ": " .. t.config[k] end
      last_cfg = t.ckey
    elseif i > 1 then
      out[#out + 1] = ""
    end
    render_table(out, t, labels or cmp.labels)
  end
  return table.concat(out, "\n") .. "\n"
end

return M
