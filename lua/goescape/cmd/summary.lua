--- goescape summary [--json] [-n N] LOG...
-- Parses the logs in full and prints counts by kind and by package.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"

local M = { help = "Count diagnostics by kind and by package" }

function M.setup(c)
  c:argument("log", "Text log, logopt directory or .json, or -"):args("+")
  c:flag("--json", "Print one JSON object")
  c:option("-n", "Packages to list (0: all)", "20"):convert(cli.count)
end

function M.run(args)
  local log = cli.check(ge.escape.open(args.log))
  local s = log:summary()
  if args.json then
    local pk = {}
    for _, r in ipairs(s.packages) do pk[#pk + 1] = { package = r.key, records = r.count, heap = r.heap } end
    io.stdout:write(json.encode({ total = s.total, stats = s.stats, by_kind = s.by_kind, packages = pk },
      { "total", "stats", "by_kind", "packages", "package", "records", "heap" }), "\n")
    return
  end
  local st = s.stats
  io.stdout:write(("%d records from %d input(s): %d lines, %d explanation steps, "
    .. "%d -m=2 duplicates folded, %d lines skipped\n")
    :format(s.total, st.sources, st.lines, st.flow_steps, st.merged, st.skipped))
  io.stdout:write("\nby kind:\n")
  for _, r in ipairs(s.kinds) do
    io.stdout:write(("  %-24s %10d\n"):format(r.key, r.count))
  end
  local n = args.n == 0 and #s.packages or math.min(args.n, #s.packages)
  io.stdout:write(("\nby package (%d of %d; heap = moved_to_heap + escapes_to_heap):\n")
    :format(n, #s.packages))
  io.stdout:write(("  %-50s %10s %10s\n"):format("package", "records", "heap"))
  for i = 1, n do
    local r = s.packages[i]
    io.stdout:write(("  %-50s %10d %10d\n"):format(r.key ~= "" and r.key or "(none)", r.count, r.heap))
  end
end

return M
