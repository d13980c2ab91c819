-- ci-gate.lua: fail a CI job when a change makes something escape to the
-- heap (or lose inlining), and leave a SARIF file for code review.
--
--   git stash && go build -gcflags=-m=2 ./... 2> before.log && git stash pop
--   go build -gcflags=-m=2 ./... 2> after.log
--   goescape run examples/ci-gate.lua before.log after.log [escapes.sarif]
--
-- Exits 1 on a new heap escape, a newly leaking parameter or a function that
-- is no longer inlinable; line shifts alone never fail it.
local ge = ge or require "goescape"

local before, after, sarif_path = arg[1], arg[2], arg[3]
if not (before and after) then
  io.stderr:write("usage: ci-gate.lua BEFORE.log AFTER.log [OUT.sarif]\n")
  os.exit(2)
end

local d = assert(ge.analysis.diff { before = before, after = after })
local gates = { "new-escapes", "lost-inline" }
local failed = ge.analysis.diff.gate(d, gates)

local function show(mark, e)
  print(("%s %s:%d:%d %-12s %s"):format(mark, e.file, e.line, e.col, e.category, e.message))
end
for _, e in ipairs(d.added) do
  if e.category == "new-heap" or e.category == "new-leak" then show("+", e) end
end
for _, e in ipairs(d.changed) do
  if e.category == "lost-inline" then show("~", e) end
end
for _, e in ipairs(d.removed) do
  if e.category == "gone-heap" then show("-", e) end
end

if sarif_path then
  local f = assert(io.open(sarif_path, "w"))
  f:write(require("goescape.report.sarif").diff(d, { fail_on = gates }), "\n")
  f:close()
end

local s = d.summary
print(("%d new escapes, %d no longer escape, %d lost inlining"):format(
  s.new_escapes, s.gone_escapes, s.lost_inline))
if #failed > 0 then
  io.stderr:write("escape gate failed: " .. table.concat(failed, ", ") .. "\n")
  return 1
end
return 0
