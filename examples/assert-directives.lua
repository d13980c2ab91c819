-- assert-directives.lua: check //goescape:noescape and //goescape:inline
-- directives against the build log you already have, and list every
-- directive with its verdict (the `goescape assert` command prints only
-- failures).
--
--   go build -gcflags=-m=2 ./... 2> build.log
--   goescape run examples/assert-directives.lua build.log ./...dirs or files
--
-- In Go sources:
--   //goescape:inline            (before a func: it must stay inlinable)
--   x := f(1) //goescape:inline f  (this call to f must be inlined)
--   //goescape:noescape          (before a func: nothing in it escapes, no
--                                 parameter leaks; on a line: nothing there)
local ge = ge or require "goescape"

local log_path = arg[1]
if not log_path or not arg[2] then
  io.stderr:write("usage: assert-directives.lua LOG SRC...\n")
  os.exit(2)
end
local sources = {}
for i = 2, #arg do sources[#sources + 1] = arg[i] end

local res = assert(ge.analysis.assertions { escape = log_path, sources = sources })
local failed = {}
for _, f in ipairs(res.failed) do failed[f.file .. ":" .. f.directive_line] = f end

for _, d in ipairs(res.directives) do
  local f = failed[d.file .. ":" .. d.line]
  local what = "//goescape:" .. d.directive .. (#d.args > 0 and (" " .. table.concat(d.args, " ")) or "")
  local on = d.func and ("func " .. d.func) or ("line " .. tostring(d.target))
  print(("%-4s %s:%d %s (%s)%s"):format(f and "FAIL" or "ok", d.file, d.line, what, on,
    f and ("\n       " .. f.message) or ""))
end
print(("%d of %d hold"):format(res.passed, res.checked))
return res.ok and 0 or 1
