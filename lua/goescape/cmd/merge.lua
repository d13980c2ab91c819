--- goescape merge -o OUT PROFILE...
-- Merges profiles of the same kind into one gzipped profile.proto, like
-- `go tool pprof -proto A B > OUT`; without -o prints the top of the result.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "Merge pprof profiles of the same kind into one" }

function M.setup(c)
  c:argument("profiles", "pprof profiles"):args("+")
  c:option("-o --output", "Write the merged profile (gzipped profile.proto) here")
  c:option("-n", "Rows to print without -o (0: all)", "10"):convert(cli.count)
  c:flag("--json", "One JSON object per row")
  cli.profile_options(c) -- for the printed rows
end

function M.run(args)
  local list = {}
  for i, path in ipairs(args.profiles) do list[i] = cli.open_profile(path) end
  local m = cli.check(ge.profile.merge(list))
  if args.output then
    cli.check(m:write(args.output))
    return
  end
  local q = cli.profile_query(args)
  cli.check_filters(m, q)
  local rows, err, total = m:top(q)
  if not rows then cli.fail(tostring(err)) end
  local n = args.n or 10
  if n == 0 or n > #rows then n = #rows end
  for i = #rows, n + 1, -1 do rows[i] = nil end
  require("goescape.report.top").print(m, rows, total, args, n)
end

return M
