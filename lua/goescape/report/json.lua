--- JSON output. Strings are escaped by lua-cjson; numbers and key order are
-- ours: Debian's lua-cjson 2.1.0 prints at most 14 significant digits (byte
-- counts and addresses need more) and orders keys at random. Objects print
-- their keys in the order given by `order` first, the rest sorted.
local cjson = require("cjson").new()

local M = {}

local encode_value

-- Bytes that are not UTF-8 (a Latin-1 path, a corrupt log) would make the
-- output invalid JSON: each one is read as the Latin-1 character it would
-- be (so "caf\xe9" prints "café"), valid sequences are kept.
local function valid_utf8(s)
  if not s:find("[\128-\255]") then return s end
  local out, i, n, start = {}, 1, #s, 1
  local byte, char = string.byte, string.char
  while i <= n do
    local c = byte(s, i)
    local len = 0
    if c < 0x80 then len = 1
    elseif c >= 0xC2 and c <= 0xDF then len = 2
    elseif c >= 0xE0 and c <= 0xEF then len = 3
    elseif c >= 0xF0 and c <= 0xF4 then len = 4 end
    local ok = len > 0 and i + len - 1 <= n
    if ok and len > 1 then
      local c2 = byte(s, i + 1)
      local lo, hi = 0x80, 0xBF
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F
      elseif c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
      ok = c2 >= lo and c2 <= hi
      for k = 2, len - 1 do
        local ck = byte(s, i + k)
        if ck < 0x80 or ck > 0xBF then ok = false end
      end
    end
    if ok then
      i = i + len
    else
      out[#out + 1] = s:sub(start, i - 1)
      out[#out + 1] = char(0xC0 + math.floor(c / 64), 0x80 + c % 64)
      i = i + 1
      start = i
    end
  end
  out[#out + 1] = s:sub(start)
  return table.concat(out)
end
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

return M
