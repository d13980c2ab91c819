-- interfaces.lua: values boxed into interfaces (fmt/log arguments, any
-- parameters), grouped by the call that receives them. Only boxing counts:
-- constants (static data) and variadic slices (kept by the callee) are
-- other reasons. Long groups are cut to their first entries.
--
--   goescape run examples/interfaces.lua LOG [PACKAGE]
local ge = ge or require "goescape"
local advice = ge.analysis.advice
local MAX_SUBJECTS, MAX_PLACES = 6, 5

local log_path, pkg = arg[1], arg[2]
if not log_path then
  io.stderr:write("usage: interfaces.lua LOG [PACKAGE]\n")
  os.exit(2)
end
local log = assert(ge.escape.open(log_path))

-- The call that takes the boxed value: the callee of the last call step.
local function callee(d)
  local c
  for _, s in ipairs(d.flow or {}) do c = s.callee or c end
  return c or "(stored or returned, not passed)"
end

-- "a, b, c +N more" from a list, at most `max` entries shown.
local function cut(list, max)
  local shown = {}
  for i = 1, math.min(#list, max) do shown[i] = list[i] end
  local s = table.concat(shown, ", ")
  return #list > max and ("%s +%d more"):format(s, #list - max) or s
end

local calls, order = {}, {}
for d in log:each { kind = "escape", package = pkg } do
  if advice.reason(d) == "interface" then
    local c = callee(d)
    if not calls[c] then calls[c] = { n = 0, subjects = {}, seen = {}, where = {} }; order[#order + 1] = c end
    local e = calls[c]
    e.n = e.n + 1
    if not e.seen[d.subject] then e.seen[d.subject] = true; e.subjects[#e.subjects + 1] = d.subject end
    e.where[#e.where + 1] = ("%s:%d"):format(d.file:match("[^/]*$"), d.line)
  end
end
table.sort(order, function(a, b)
  if calls[a].n ~= calls[b].n then return calls[a].n > calls[b].n end
  return a < b
end)
for _, c in ipairs(order) do
  local e = calls[c]
  print(("%-28s %3d boxed: %s"):format(c, e.n, cut(e.subjects, MAX_SUBJECTS)))
  print(("%-28s     at %s"):format("", cut(e.where, MAX_PLACES)))
end
if #order > 0 then print("fix: " .. advice.reasons.interface.fix) end
