-- Cuts a real heap dump down to a fuzz seed (under 64 KiB): every record
-- kind kept, the objects whose contents are at most MAXOBJ bytes (the first
-- NOBJ of them), data and bss contents cut to SEG bytes with their pointer
-- fields inside; everything else copied byte for byte.
-- Usage: lua fuzz/seed-heapdump.lua IN.dump OUT.dump
local NOBJ, MAXOBJ, SEG = 200, 512, 4096
local f = assert(io.open(arg[1], "rb"))
local s = f:read("*a")
f:close()
local pos = 17 -- after "go1.7 heap dump\n"
local out = { s:sub(1, 16) }

local function uv() -- value (exact below 2^53, enough for lengths) and its bytes
  local v, mul, start = 0, 1, pos
  repeat
    local b = assert(s:byte(pos), "truncated")
    pos = pos + 1
    v = v + (b % 128) * mul
    mul = mul * 128
  until b < 128
  return v, s:sub(start, pos - 1)
end
local function enc(v)
  local t = {}
  repeat
    local b = v % 128
    v = (v - b) / 128
    t[#t + 1] = string.char(v > 0 and b + 128 or b)
  until v == 0
  return table.concat(t)
end
local function skip(n) for _ = 1, n do uv() end end
local function str() local n = uv(); pos = pos + n end
local function fields(limit) -- the field list's bytes, fields past limit dropped
  local t = {}
  while true do
    local k, kb = uv()
    if k == 0 then t[#t + 1] = kb; return table.concat(t) end
    local off, ob = uv()
    if not limit or off + 8 <= limit then t[#t + 1] = kb .. ob end
  end
end

local kept = 0
while true do
  local start = pos
  local tag = uv()
  if tag == 0 then out[#out + 1] = enc(0); break end
  if tag == 1 or tag == 12 or tag == 13 then
    local _, ab = uv()
    local n = uv()
    local body = s:sub(pos, pos + n - 1)
    pos = pos + n
    if tag == 1 then
      local fl = fields()
      if n <= MAXOBJ and kept < NOBJ then
        kept = kept + 1
        out[#out + 1] = s:sub(start, pos - 1)
      end
      local _ = fl
    else
      local cut = math.min(n, SEG)
      out[#out + 1] = enc(tag) .. ab .. enc(cut) .. body:sub(1, cut) .. fields(cut)
    end
  else
    if tag == 2 then str(); skip(1)
    elseif tag == 3 then skip(2); str(); skip(1)
    elseif tag == 4 then skip(8); str(); skip(4)
    elseif tag == 5 then skip(3); str(); skip(3); str(); fields()
    elseif tag == 6 then skip(4); str(); str(); skip(1)
    elseif tag == 7 or tag == 11 then skip(5)
    elseif tag == 8 then skip(2)
    elseif tag == 9 then skip(3)
    elseif tag == 10 then skip(281)
    elseif tag == 14 then skip(7)
    elseif tag == 15 then skip(6)
    elseif tag == 16 then
      skip(2)
      local n = uv()
      for _ = 1, n do str(); str(); skip(1) end
      skip(2)
    elseif tag == 17 then skip(2)
    else error("unknown record " .. tag .. " at " .. start) end
    out[#out + 1] = s:sub(start, pos - 1)
  end
end
local o = assert(io.open(arg[2], "wb"))
o:write(table.concat(out))
o:close()
