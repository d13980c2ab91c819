--- goescape top [--base BASE [-o OUT]] [--by function|line|file|stack] [-n N] [--nodefraction F]
--                [--json] [profile options] PROFILE
-- Like `go tool pprof -top -nodefraction=0`: flat and cum per function, line
-- or file, sorted by flat; with --base, of PROFILE minus BASE (pprof's
-- -diff_base). Prints 10 rows by default (pprof's interactive
-- `top`); -n 0 prints every row; -n 0 --nodefraction 0.005 is `go tool pprof -top`. --json prints one JSON
-- object per line: name, function (or file/line), flat, cum in the sample's unit.
local cli = require "goescape.cli"
local text = require "goescape.report.top"

local M = { help = "Top functions, lines or files of a pprof profile (like go tool pprof -top)" }

function M.setup(c)
  c:argument("profile", "pprof profile (profile.proto, gzipped or not, or legacy text), -, or a "
    .. "live service's URL (doc/live.md); several are merged"):args("+")
  c:option("--base", "Subtract this profile first (pprof's -diff_base): what changed from BASE to PROFILE")
  c:option("-o --output", "With --base: also write the difference as a gzipped profile.proto")
  c:option("--by", "Group by function, line, file or stack", "function")
    :choices { "function", "line", "file", "stack" }
  c:option("-n", "Rows to print (0: all)", "10"):convert(cli.count)
  c:option("--nodefraction", "Leave out rows with |cum| under this fraction of the total, "
    .. "as pprof does (-n 0 --nodefraction 0.005 prints what go tool pprof -top prints)", "0")
    :convert(cli.number)
  c:flag("--json", "One JSON object per row")
  cli.profile_options(c)
  c:epilog([[
  goescape top --by line -n 20 allocs.pb.gz
  goescape top --base old.pb.gz new.pb.gz      what grew (like go tool pprof -top -diff_base=old.pb.gz new.pb.gz)
  goescape top http://host1:6060/debug/pprof/heap http://host2:6060/debug/pprof/heap   two instances, merged]])
end

function M.run(args)
  local prof = cli.open_profile(#args.profile == 1 and args.profile[1] or args.profile)
  if args.base then
    prof = cli.check(prof:diff(cli.open_profile(args.base)))
    if args.output then cli.check(prof:write(args.output)) end
  elseif args.output then
    cli.usage("-o: only with --base (the difference is what is written)")
  end
  local q = cli.profile_query(args, { by = args.by })
  cli.check_filters(prof, q)
  local rows, selected, total = prof:top(q)
  if not rows then cli.fail(tostring(selected)) end
  local n = args.n
  local frac = args.nodefraction
  if frac < 0 or frac > 1 then cli.usage("--nodefraction: expected a number in [0, 1]") end
  if frac > 0 then
    -- pprof's newTrimmedGraph: the cutoff is a fraction of the graph's own
    -- sum (the selected samples), not of the report total; kept if |cum| >= it
    local cutoff = math.floor(math.abs(selected) * frac)
    local kept = {}
    for _, r in ipairs(rows) do
      if math.abs(r.cum) >= cutoff then kept[#kept + 1] = r end
    end
    -- (the "Dropped" line shows the report total's fraction, as pprof's does)
    args.dropped, args.cutoff = #rows - #kept, math.floor(math.abs(total) * frac)
    rows = kept
  end
  if n == 0 or n > #rows then n = #rows end
  for i = #rows, n + 1, -1 do rows[i] = nil end
  text.print(prof, rows, total, args, n)
end

return M
