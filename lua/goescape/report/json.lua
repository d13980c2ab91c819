--- JSON output. Strings are escaped by lua-cjson; numbers and key order are
-- ours: Debian's lua-cjson 2.1.0 prints at most 14 significant digits (byte
-- counts and addresses need more) and orders keys at random. Objects print
-- their keys in the order given by `order` first, the rest sorted.
local cjson = require("cjson").new()

local M = {}

local encode_value

-- Bytes that are not UTF-8 (a Latin-1 path, a corrupt log) would make the
-- output invalid JSON: each one is read as the Latin-1 character it would
-- be (so "caf\xe9" prints "café"), valid sequences are kept (in C: the
-- clean case, nearly every string, costs a scan and no copy).
local valid_utf8 = require("goescape.core").utf8_latin1
M.valid_utf8 = valid_utf8

-- lua-cjson 2.1.0 escapes "/" as "\/": valid JSON, but paths read badly.
local function encode_string(s)
  local e = cjson.encode(valid_utf8(s))
  if e:find("\\/", 1, true) then e = e:gsub("\\/", "/") end
  return e
end

local function encode_number(n)
  if n ~= n or n == math.huge or n == -math.huge then return "null" end
  if n == math.floor(n) and n > -2^63 and n < 2^63 then
    return ("%d"):format(n)
  end
  return ("%.17g"):format(n)
end

local function is_array(t)
  local n = #t
  if n > 0 then return true end
  return next(t) == nil and getmetatable(t) == M.array_mt
end

local function encode_table(t, order, out)
  if is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], order, out)
    end
    out[#out + 1] = "]"
    return
  end
  local keys, seen = {}, {}
  for _, k in ipairs(order or {}) do
    if t[k] ~= nil then keys[#keys + 1] = k; seen[k] = true end
  end
  local rest = {}
  for k in pairs(t) do
    if not seen[k] then rest[#rest + 1] = tostring(k) end
  end
  table.sort(rest)
  for _, k in ipairs(rest) do keys[#keys + 1] = k end
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then out[#out + 1] = "," end
    out[#out + 1] = encode_string(k)
    out[#out + 1] = ":"
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    encode_value(v, order, out)
  end
  out[#out + 1] = "}"
end

encode_value = function(v, order, out)
  local tv = type(v)
  if tv == "string" then
    out[#out + 1] = encode_string(v)
  elseif tv == "number" then
    out[#out + 1] = encode_number(v)
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif tv == "table" then
    encode_table(v, order, out)
  elseif v == nil or v == M.null then
    out[#out + 1] = "null"
  else
    error("cannot encode a " .. tv .. " as JSON", 3)
  end
end

--- A marker for an empty JSON array: setmetatable({}, json.array_mt).
M.array_mt = {}
M.null = cjson.null

--- Encodes v; `order` lists keys to print first in every object.
function M.encode(v, order)
  local out = {}
  encode_value(v, order, out)
  return table.concat(out)
end

M.decode = cjson.decode

--- Writes analysis rows (hotspots, growth) to stdout as JSON lines, keys in
-- `order`: advice left out with no_advice, an empty diagnostics list kept
-- as [].
--- Writes rows to stdout as JSON Lines (one object per line, keys in
-- order), a few thousand lines per write.
function M.write_lines(rows, order)
  local out = {}
  for i, r in ipairs(rows) do
    out[#out + 1] = M.encode(r, order)
    if i % 4096 == 0 then io.stdout:write(table.concat(out, "\n"), "\n"); out = {} end
  end
  if #out > 0 then io.stdout:write(table.concat(out, "\n"), "\n") end
end

function M.write_rows(rows, order, no_advice)
  for _, r in ipairs(rows) do
    if no_advice then
      r.advice = nil
      for _, d in ipairs(r.diagnostics) do d.advice = nil end
    end
    if #r.diagnostics == 0 then r.diagnostics = setmetatable({}, M.array_mt) end
    io.stdout:write(M.encode(r, order), "\n")
  end
end

return M
