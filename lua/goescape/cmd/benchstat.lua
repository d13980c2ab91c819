--- goescape benchstat OLD NEW [--json]
-- benchstat's comparison of two sets of `go test -bench` results: medians
-- with 95% intervals, the Mann-Whitney U test, deltas and geomeans.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "Compare two sets of Go benchmark results, as benchstat does" }

function M.setup(c)
  c:argument("old", "Benchmark output of the baseline (go test -bench, text or -json)")
  c:argument("new", "Benchmark output to compare with it")
  c:option("--alpha", "Significance level of the U test", "0.05"):convert(tonumber)
  c:option("--confidence", "Confidence level of the intervals", "0.95"):convert(tonumber)
  c:flag("--json", "One JSON object per row")
end

local ORDER = { "name", "unit", "old", "new", "delta", "p", "center", "ci" }

function M.run(args)
  local old = cli.check(ge.bench.open(args.old))
  local new = cli.check(ge.bench.open(args.new))
  for _, s in ipairs({ old, new }) do
    for _, w in ipairs(s.warnings) do io.stderr:write(cli.escape_controls(w), "\n") end
  end
  local cmp = cli.check(ge.bench.compare(old, new, { alpha = args.alpha, confidence = args.confidence }))
  if args.json then
    local json = require "goescape.report.json"
    local null = json.null
    local function side(s)
      if not s then return null end
      if s.center == nil then return { center = null, ci = null } end
      return { center = s.center, ci = s.ci == nil and (s.ci_text and null or nil) or s.ci }
    end
    for _, r in ipairs(cmp.rows) do
      local o = { name = r.name, unit = r.unit, old = side(r.old), new = side(r.new),
                  delta = r.delta == nil and null or r.delta, p = r.p == nil and null or r.p }
      if r.geomean then o.old.ci, o.new.ci = nil, nil end
      if next(r.config) then o.config = r.config end
      io.stdout:write(json.encode(o, ORDER), "\n")
    end
    return
  end
  io.stdout:write(require("goescape.report.benchtext").render(cmp, { args.old, args.new }))
end

return M
