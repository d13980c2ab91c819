-- benchstat as the oracle of ge.bench.compare: its `-format csv` output
-- (every center in full precision, the ± and delta texts, the p notes, the
-- geomean row) and its messages (cell warnings "B7: msg", positions in the
-- CSV; syntax errors "file:line: msg"), parsed and checked against a
-- comparison, cell by cell.
local M = {}

local function csv_fields(line)
  local out, i, n = {}, 1, #line
  while i <= n + 1 do
    if line:sub(i, i) == '"' then
      local s, j = {}, i + 1
      while j <= n do
        local ch = line:sub(j, j)
        if ch == '"' and line:sub(j + 1, j + 1) == '"' then s[#s + 1] = '"'; j = j + 2
        elseif ch == '"' then j = j + 1; break
        else s[#s + 1] = ch; j = j + 1 end
      end
      out[#out + 1] = table.concat(s)
      i = j + 1
    else
      local j = line:find(",", i, true) or n + 1
      out[#out + 1] = line:sub(i, j - 1)
      i = j + 1
    end
  end
  return out
end

--- Parses benchstat -format csv: {tables = {{config = {k = v}, labels, unit,
-- rows = {{name, line, f = fields}}}}}.
function M.parse_csv(text)
  local tables, config, cur, ln, pending_labels = {}, {}, nil, 0, nil
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    ln = ln + 1
    if line == "" then
      cur = nil
    elseif line:sub(1, 1) == "," and not cur and not pending_labels then
      pending_labels = csv_fields(line)
    elseif line:sub(1, 1) == "," and pending_labels then
      local f = csv_fields(line)
      local cfg = {}
      for k, v in pairs(config) do cfg[k] = v end
      cur = { config = cfg, labels = pending_labels, unit = f[2], rows = {} }
      tables[#tables + 1] = cur
      pending_labels = nil
    elseif cur then
      local f = csv_fields(line)
      cur.rows[#cur.rows + 1] = { name = f[1], line = ln, f = f }
    else
      local k, v = line:match("^([^:]+): ?(.*)$")
      if k then config[k] = v end
    end
  end
  return { tables = tables }
end

--- Parses benchstat's stderr: {cells = {["LINE:COL"] = {msg...}}, syntax = {{file, line, msg}}}.
function M.parse_stderr(text)
  local cells, syntax, seen = {}, {}, {}
  for line in text:gmatch("[^\n]+") do
    local col, row, msg = line:match("^([A-Z]+)(%d+): (.*)$")
    if col then
      local k = row .. ":" .. col
      cells[k] = cells[k] or {}
      table.insert(cells[k], msg)
    else
      local file, ln, m = line:match("^(.-):(%d+): (.*)$")
      if file and not seen[line] then -- benchstat -format csv reads its inputs twice
        seen[line] = true
        syntax[#syntax + 1] = { file = file, line = tonumber(ln), msg = m }
      end
    end
  end
  return { cells = cells, syntax = syntax }
end

local function same_list(a, b)
  a, b = a or {}, b or {}
  local x, y = {}, {}
  for i, v in ipairs(a) do x[i] = v end
  for i, v in ipairs(b) do y[i] = v end
  table.sort(x); table.sort(y)
  return table.concat(x, "|") == table.concat(y, "|")
end

--- Checks cmp (ge.bench.compare's result) against benchstat's csv and
-- stderr texts. Returns the list of differences and the number of values
-- compared.
function M.check(cmp, csv_text, stderr_text)
  local want = M.parse_csv(csv_text)
  local msgs = M.parse_stderr(stderr_text or "")
  local bad, n = {}, 0
  local function diff(fmt, ...) bad[#bad + 1] = fmt:format(...) end
  local function eq(what, got, exp)
    n = n + 1
    if got ~= exp then diff("%s: got %s, benchstat %s", what, tostring(got), tostring(exp)) end
  end
  local function num(what, got, exp, geo)
    n = n + 1
    exp = exp ~= "" and tonumber(exp) or nil
    if got == nil or exp == nil then
      if got ~= exp then diff("%s: got %s, benchstat %s", what, tostring(got), tostring(exp)) end
    elseif geo then
      if math.abs(got - exp) > 1e-12 * math.abs(exp) then diff("%s: got %.17g, benchstat %.17g", what, got, exp) end
    elseif got ~= exp then
      diff("%s: got %.17g, benchstat %.17g", what, got, exp)
    end
  end
  if #cmp.tables ~= #want.tables then
    diff("%d tables, benchstat %d", #cmp.tables, #want.tables)
    return bad, n
  end
  for ti, t in ipairs(cmp.tables) do
    local w = want.tables[ti]
    local where = ("table %d (%s)"):format(ti, w.unit)
    eq(where .. " unit", t.unit, w.unit)
    for k, v in pairs(w.config) do eq(where .. " config " .. k, t.config[k] or "", v) end
    local sides = {}
    if t.sides.old then sides[#sides + 1] = "old" end
    if t.sides.new then sides[#sides + 1] = "new" end
    local rows = {}
    for _, r in ipairs(t.rows) do rows[#rows + 1] = r end
    rows[#rows + 1] = t.geomean
    eq(where .. " rows", #rows, #w.rows)
    for ri = 1, math.min(#rows, #w.rows) do
      local r, wr = rows[ri], w.rows[ri]
      local at = ("%s %s"):format(where, wr.name)
      eq(at .. " name", r.name, wr.name)
      local f = wr.f
      for si, sd in ipairs(sides) do
        local c, ci, col = f[2 + (si - 1) * 2], f[3 + (si - 1) * 2], si == 1 and "B" or "D"
        local s = r[sd]
        num(at .. " " .. sd .. " center", s and s.center, c or "", r.geomean)
        if not r.geomean then eq(at .. " " .. sd .. " ±", s and s.ci_text or "", ci or "") end
        if not same_list(s and s.warnings, msgs.cells[wr.line .. ":" .. col]) then
          diff("%s %s warnings: got {%s}, benchstat {%s}", at, sd, table.concat(s and s.warnings or {}, "; "),
            table.concat(msgs.cells[wr.line .. ":" .. col] or {}, "; "))
        end
      end
      if #sides == 2 then
        eq(at .. " delta", r.delta_text or "", f[6] or "")
        if not r.geomean then
          eq(at .. " p", r.note or "", f[7] or "")
          if not same_list(r.compare_warnings, msgs.cells[wr.line .. ":F"]) then
            diff("%s compare warnings: got {%s}, benchstat {%s}", at, table.concat(r.compare_warnings or {}, "; "),
              table.concat(msgs.cells[wr.line .. ":F"] or {}, "; "))
          end
        end
      end
    end
  end
  return bad, n
end

--- Checks a set's skipped-line messages ("name: line N: msg") against
-- benchstat's syntax errors for the file called `file` there.
function M.check_syntax(set, stderr_text, file)
  local want = {}
  for _, s in ipairs(M.parse_stderr(stderr_text).syntax) do
    if s.file == file then want[#want + 1] = ("line %d: %s"):format(s.line, s.msg) end
  end
  local got = {}
  for _, w in ipairs(set.warnings) do got[#got + 1] = w:match("^.-: (line %d+: .*)$") end
  return got, want
end

return M
