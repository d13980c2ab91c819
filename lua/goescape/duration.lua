--- Go's time.ParseDuration: "10s", "1.5h", "1h30m", "300ms", "2us" (or
-- "µs"), "-5m", "0". Returns nanoseconds (a number; whole, as Go truncates
-- each term to the nanosecond), or nil, message, "arg".
local M = {}

local UNITS = {
  ns = 1, us = 1e3, ["µs"] = 1e3, ["μs"] = 1e3, ms = 1e6, s = 1e9, m = 60e9, h = 3600e9,
}

function M.parse(s)
  if type(s) ~= "string" then error("bad argument #1 to 'duration' (string expected)", 2) end
  local function bad(why)
    return nil, ("invalid duration %q%s"):format(s, why and (": " .. why) or ""), "arg"
  end
  local sign, rest = s:match("^([-+]?)(.*)$")
  if rest == "0" then return 0 end
  if rest == "" then return bad() end
  local total, pos = 0, 1
  while pos <= #rest do
    -- a number ("1", "1.5", ".5", "1."), then a unit of letters or µ/μ
    local num, unit, nxt = rest:match("^(%d*%.?%d*)([^%d%.]+)()", pos)
    if not num and rest:sub(pos):match("^%d*%.?%d*$") then return bad("missing unit") end
    if not num or num == "" or num == "." then return bad() end
    local cut = unit:find("[%d%.]")
    if cut then unit = unit:sub(1, cut - 1) end
    local mul = UNITS[unit]
    if not mul then return bad(unit == "" and "missing unit" or ("unknown unit " .. ("%q"):format(unit))) end
    total = total + math.floor(tonumber(num) * mul + 0.5)
    pos = nxt
  end
  if total >= 2 ^ 63 then return bad("out of range") end
  return sign == "-" and -total or total
end

--- A duration in ns as Go prints it, in whole units ("1h30m0s", "10s",
-- "250ms"): for messages and for the command's output.
function M.format(ns)
  if ns == 0 then return "0s" end
  local neg = ns < 0
  ns = math.abs(ns)
  local out
  if ns < 1e3 then out = ("%dns"):format(ns)
  elseif ns < 1e6 then out = (("%.3f"):format(ns / 1e3):gsub("%.?0+$", "")) .. "µs"
  elseif ns < 1e9 then out = (("%.6f"):format(ns / 1e6):gsub("%.?0+$", "")) .. "ms"
  else
    local h = math.floor(ns / 3600e9)
    local m = math.floor((ns - h * 3600e9) / 60e9)
    local sec = (ns - h * 3600e9 - m * 60e9) / 1e9
    local ss = (("%.9f"):format(sec):gsub("%.?0+$", ""))
    if ss == "" then ss = "0" end
    out = (h > 0 and (h .. "h") or "") .. ((h > 0 or m > 0) and (m .. "m") or "") .. ss .. "s"
  end
  return neg and ("-" .. out) or out
end

return M
