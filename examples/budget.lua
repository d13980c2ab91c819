-- budget.lua: a per-package escape budget. Counts heap allocations the
-- compiler reports (moved to heap, escapes to heap) per package and fails
-- when a package is over its budget.
--
--   goescape run examples/budget.lua LOG MAX [PACKAGE=MAX ...]
--
-- Exits 1 when a package is over budget, so it can gate a CI job.
local ge = ge or require "goescape"

local log_path, default = arg[1], tonumber(arg[2] or "")
if not (log_path and default) then
  io.stderr:write("usage: budget.lua LOG MAX [PACKAGE=MAX ...]\n")
  os.exit(2)
end
local budget = {}
for i = 3, #arg do
  local pkg, max = arg[i]:match("^(.+)=(%d+)$")
  if not pkg then error("bad budget '" .. arg[i] .. "' (want PACKAGE=MAX)") end
  budget[pkg] = tonumber(max)
end

local log = assert(ge.escape.open(log_path))
local count = {}
for _, kind in ipairs { "moved_to_heap", "escapes_to_heap" } do
  for _, g in ipairs(log:group { by = "package", kind = kind }) do
    count[g.key] = (count[g.key] or 0) + g.count
  end
end

local pkgs = {}
for pkg in pairs(count) do pkgs[#pkgs + 1] = pkg end
table.sort(pkgs)
local over = 0
for _, pkg in ipairs(pkgs) do
  local max = budget[pkg] or default
  local ok = count[pkg] <= max
  if not ok then over = over + 1 end
  print(("%-4s %-40s %5d / %d"):format(ok and "ok" or "OVER", pkg, count[pkg], max))
end
if over > 0 then
  io.stderr:write(("%d package(s) over their escape budget\n"):format(over))
  return 1
end
return 0
