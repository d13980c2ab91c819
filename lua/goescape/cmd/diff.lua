--- goescape diff --base BASE [--by ...] [--sample S] [-n N] [--json] [-o OUT] PROFILE
-- PROFILE minus BASE, like `go tool pprof -top -diff_base=BASE PROFILE`;
-- -o writes the difference as a gzipped profile.proto.
local cli = require "goescape.cli"
local U = require("goescape.cmd.top").util

local M = { help = "Difference of two pprof profiles (like go tool pprof -diff_base)" }

function M.setup(c)
  c:argument("profile", "pprof profile")
  c:option("--base", "The base profile to subtract"):count(1)
  c:option("--by", "Group by function, line, file or stack", "function")
    :choices { "function", "line", "file", "stack" }
  c:option("-n", "Rows to print (0: all)", "10"):convert(tonumber)
  c:flag("--json", "One JSON object per row")
  c:option("-o --output", "Also write the difference as a profile.proto file")
  U.filters(c)
end

function M.run(args)
  local prof, base = U.open(args.profile), U.open(args.base)
  local d = cli.check(prof:diff(base))
  if args.output then cli.check(d:write(args.output)) end
  local rows, total = d:top(U.query(args, { by = args.by }))
  if not rows then cli.fail(tostring(total)) end
  local n = args.n
  if not n or n < 0 then cli.fail("-n: expected a number >= 0") end
  if n == 0 or n > #rows then n = #rows end
  for i = #rows, n + 1, -1 do rows[i] = nil end
  U.print_top(d, rows, total, args, n)
end

return M
