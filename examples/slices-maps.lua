-- slices-maps.lua: make, append and map-literal sites that reach the heap,
-- with the compiler's reason, grouped by function.
--
--   goescape run examples/slices-maps.lua LOG [PACKAGE]
local ge = ge or require "goescape"
local advice = ge.analysis.advice
local fg = ge.analysis.flowgraph

local log_path, pkg = arg[1], arg[2]
if not log_path then
  io.stderr:write("usage: slices-maps.lua LOG [PACKAGE]\n")
  os.exit(2)
end
local log = assert(ge.escape.open(log_path))

local function site_kind(d)
  local s = d.subject or ""
  if s:match("^make%(%[%]") then return "make slice" end
  if s:match("^make%(map") then return "make map" end
  if s == "append" or s:match("^append%(") then return "append" end
  if s:match("^map%[.*{") then return "map literal" end
  if s:match("^%[%].*{") then return "slice literal" end
end

local sites, funcs, cache = {}, {}, {}
for d in log:each { kind = "escape", package = pkg } do
  local what = (d.kind == "escapes_to_heap" or d.kind == "non_constant_size") and site_kind(d)
  if what then
    local fn = fg.func_of(d, log, cache) or "?"
    if not sites[fn] then sites[fn] = {}; funcs[#funcs + 1] = fn end
    local a = advice.explain(d)
    table.insert(sites[fn], ("  %s:%d:%d  %-13s %s  [%s]"):format(d.file, d.line, d.col, what,
      d.subject, a and a.title or "escapes"))
  end
end
table.sort(funcs)
local total = 0
for _, fn in ipairs(funcs) do
  print(fn)
  for _, line in ipairs(sites[fn]) do print(line); total = total + 1 end
end
print(("%d slice/map allocation sites on the heap"):format(total))
