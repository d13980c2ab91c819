--- goescape assert --escape LOG [--json | --sarif] SRC_DIR_OR_FILES...
-- Checks //goescape:noescape and //goescape:inline directives in Go sources
-- against an existing escape log (go build -gcflags=-m=2 2> LOG), without
-- rebuilding. Exit status 1 when an assertion fails.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"

local M = { help = "Check //goescape:noescape and //goescape:inline directives against an escape log" }

function M.setup(c)
  c:argument("sources", "Go source files or directories (searched recursively)"):args("+")
  c:option("--escape", "Escape log(s): text (-gcflags=-m or -m=2), logopt dir or .json"):count("+"):args(1)
  c:mutex(c:flag("--json", "One JSON object"), c:flag("--sarif", "A SARIF 2.1.0 log (code scanning)"))
end

function M.run(args)
  local res = cli.check(ge.analysis.assertions { escape = args.escape, sources = args.sources })
  if args.json then
    local out = { ok = res.ok, passed = res.passed, checked = res.checked,
      failed = setmetatable(res.failed, json.array_mt) }
    io.stdout:write(json.encode(out, { "ok", "checked", "passed", "failed", "file", "line", "col",
      "directive", "message" }), "\n")
  elseif args.sarif then
    io.stdout:write(require("goescape.report.sarif").assertions(res, { version = ge.version }), "\n")
  else
    for _, f in ipairs(res.failed) do
      io.stdout:write(("%s:%d: //goescape:%s failed: %s\n"):format(f.file, f.line, f.directive, f.message))
    end
    io.stdout:write(("%d of %d assertions hold, %d failed\n"):format(res.passed, res.checked, #res.failed))
  end
  return res.ok and 0 or 1
end

return M
