--- Values in their unit, short, for people (text reports, SVG labels, advice):
-- the one formatter of goescape's own reports. (`goescape top` prints as
-- `go tool pprof -top` does instead: goescape.report.top.)
local M = {}

local BYTES = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" }

--- 536 bytes, 1.5 KiB, 3.0 MiB (negative values keep their sign).
function M.bytes(n)
  local a, i = math.abs(n), 1
  while a >= 1024 and i < #BYTES do a = a / 1024; i = i + 1 end
  local s = i == 1 and ("%d"):format(a) or ("%.1f"):format(a)
  return (n < 0 and "-" or "") .. s .. " " .. BYTES[i]
end

--- A value of a profile's sample unit: bytes as M.bytes, nanoseconds as
-- 4.20 ms or 1.20 s, counts as 950, 12.3k, 1.5M.
function M.human(v, unit)
  if unit == "bytes" then return M.bytes(v) end
  local a = math.abs(v)
  if unit == "nanoseconds" then
    if a >= 1e9 then return ("%.2f s"):format(v / 1e9) end
    return ("%.2f ms"):format(v / 1e6)
  end
  if a >= 1e6 then return ("%.1fM"):format(v / 1e6) end
  if a >= 1e4 then return ("%.1fk"):format(v / 1e3) end
  return ("%d"):format(v)
end

--- M.human with a sign: +1.5 KiB, -300.
function M.signed(v, unit) return (v > 0 and "+" or "") .. M.human(v, unit) end

return M
