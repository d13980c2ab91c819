-- interfaces.lua: values boxed into interfaces (fmt/log arguments, any
-- parameters), grouped by the call that receives them.
--
--   goescape run examples/interfaces.lua LOG [PACKAGE]
local ge = ge or require "goescape"
local advice = ge.analysis.advice

local log_path, pkg = arg[1], arg[2]
if not log_path then error("usage: interfaces.lua LOG [PACKAGE]") end
local log = assert(ge.escape.open(log_path))

-- The call that takes the boxed value: the last "call parameter" step.
local function callee(d)
  local call
  for _, s in ipairs(d.flow or {}) do
    if s.reason == "call parameter" and s.expr then call = s.expr end
  end
  return call and (call:match("^([%w_%.%(%)%*]-)%(") or call) or "(no call in the flow)"
end

local calls, order = {}, {}
for d in log:each { kind = "escape", package = pkg } do
  local a = advice.explain(d)
  if a and a.reason == "interface" then
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
  print(("%-28s %3d boxed: %s"):format(c, e.n, table.concat(e.subjects, ", ")))
  print(("%-28s     at %s"):format("", table.concat(e.where, " ")))
end
if #order > 0 then print("fix: " .. advice.reasons.interface.fix) end
