--- goescape growth --escape LOG BEFORE AFTER [--sample inuse_space] [-n N] [--json]
-- What grew between two heap profiles, line by line, and why it lives on the heap.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "Lines whose heap use grew between two profiles, with the escape reasons" }

function M.setup(c)
  c:argument("before", "The earlier heap/allocs profile")
  c:argument("after", "The later heap/allocs profile")
  c:option("--escape", "Escape log(s) from go build -gcflags=-m=2"):count("*"):args(1)
  c:option("-n", "Lines to show (0: all)", "20"):convert(cli.count)
  c:flag("--json", "One JSON object per line")
  c:flag("--no-advice", "Leave out explanations")
  cli.profile_options(c)
end

local ORDER = { "file", "line", "func", "before", "after", "delta", "diagnostics", "kind",
  "subject", "message", "flow", "type", "dst", "src", "expr", "reason", "col", "advice",
  "title", "why", "fix" }

local units = require "goescape.report.units"
local fmt_value, signed = units.human, units.signed

function M.run(args)
  local log
  if args.escape and #args.escape > 0 then
    local paths = {}
    for _, e in ipairs(args.escape) do paths[#paths + 1] = type(e) == "table" and e[1] or e end
    log = cli.check(ge.escape.open(paths))
  end
  local before = cli.open_profile(args.before)
  local after = cli.open_profile(args.after)
  cli.check_filters(before, cli.profile_query(args), "before")
  cli.check_filters(after, cli.profile_query(args), "after")
  local g = cli.check(ge.analysis.growth(cli.profile_query(args,
    { escape = log, before = before, after = after, n = args.n,
      progress = require("goescape.progress").reporter() })))
  local unit = g.sample.unit
  if args.json then
    require("goescape.report.json").write_rows(g.rows, ORDER, args.no_advice)
    return
  end
  local out = io.stdout
  out:write(("%s: %s -> %s (%s)\n"):format(g.sample.type, fmt_value(g.before_total, unit),
    fmt_value(g.after_total, unit), signed(g.total_delta, unit)))
  out:write(("%11s %10s %10s  %s\n"):format("delta", "before", "after", "line"))
  for _, r in ipairs(g.rows) do
    out:write(("%11s %10s %10s  %s:%d %s\n"):format(signed(r.delta, unit), fmt_value(r.before, unit),
      fmt_value(r.after, unit), r.file or "?", r.line or 0, r.func or ""))
    for _, d in ipairs(r.diagnostics) do
      if ge.core.kind_family(d.kind) == "escape" then
        out:write(("%36s %s: %s%s\n"):format("", d.kind, d.message,
          d.advice and (" (" .. d.advice.title .. ")") or ""))
      end
    end
    if r.advice and not args.no_advice then
      out:write(("%36s fix: %s\n"):format("", r.advice.fix))
    end
  end
end

return M
