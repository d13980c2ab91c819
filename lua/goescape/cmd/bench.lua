--- goescape bench [PKG...] [-bench RE] [-count N] [-benchtime D] [--memprofilerate N]
--   [--against REV|DIR] [--keep DIR] [--json]
-- Builds each package's test binary with -m=2, runs its benchmarks with
-- -benchmem and a memory profile per benchmark, and prints each benchmark's
-- B/op and allocs/op (benchstat's center ± interval) with its hotspots and
-- the compiler's reasons. With --against, the same for another revision or
-- checkout, benchstat's comparison, and each significant allocation change
-- explained by the escape diff of the two builds (ge.analysis.benchdiff).
local ge = require "goescape"
local cli = require "goescape.cli"
local gorun = require "goescape.gorun"
local gobench = require "goescape.gobench"
local json = require "goescape.report.json"

local M = { help = "Run benchmarks with escape logs and profiles; compare revisions (--against)" }

-- go test's single-dash spellings, as Go users type them.
local GO_FLAGS = { ["-bench"] = "--bench", ["-count"] = "--count", ["-benchtime"] = "--benchtime" }

function M.argv(args)
  local out = {}
  for i, a in ipairs(args) do
    local name, val = a:match("^(%-%a+)(=.*)$")
    out[i] = GO_FLAGS[name or a] and (GO_FLAGS[name or a] .. (val or "")) or a
  end
  return out
end

function M.setup(c)
  c:argument("packages", "Packages whose benchmarks run (go's patterns; default .)"):args("*")
  c:option("--bench", "Benchmarks to run (go test -bench)", ".")
  c:option("--count", "Runs of each benchmark (>= 6 for intervals)", "6"):convert(cli.count)
  c:option("--benchtime", "go test -benchtime (1s, 2000x, ...)")
  c:option("--memprofilerate", "runtime.MemProfileRate of the profile runs (1: every allocation)", "1")
    :convert(cli.count)
  c:option("--module", "Also diagnose every package of this module (repeatable)"):count("*")
  c:option("--against", "A git revision (checked out in a temporary worktree) or a directory")
  c:option("--keep", "Keep the logs, binaries, results and profiles in this directory")
  c:option("-n", "Hotspots per benchmark", "3"):convert(cli.count)
  c:option("--go", "The go command (default: $GO, else go); run by the shell")
  c:flag("-q --quiet", "No progress lines")
  c:flag("--json", "JSON Lines: benchstat's rows, then hotspots or changes")
  c:epilog([[
  goescape bench ./codec -bench Encode -count 10
  goescape bench --against HEAD~1 -benchtime 2000x     # did my change add allocations, and why]])
end

-- The directory of both sides' outputs (--keep's, or a temporary one
-- removed at the end) and its cleanup.
local function side_dirs(keep)
  local root = keep
  local cleanup = function() end
  if not root then
    local err
    root, err = gorun.tmpdir("goescape-bench")
    if not root then cli.fail("%s", err) end
    cleanup = function() gorun.remove_tree(root) end
  end
  gorun.read("mkdir -p " .. gorun.q(root .. "/new") .. " " .. gorun.q(root .. "/old"))
  return root, cleanup
end

local function hotspots(side, b, n)
  local hot = ge.analysis.hotspots { escape = side.log, profile = b.profile,
    binary = b.binary, sample = "alloc_space", n = n, focus = ge.analysis.benchdiff.focus(b.name),
    ignore = ge.analysis.benchdiff.HARNESS }
  return hot and hot.rows or {}
end

local function side_opts(args, dir, work, label, say)
  return { dir = dir, packages = args.packages, modules = args.module, go = args.go, work = work,
    bench = args.bench, count = args.count, benchtime = args.benchtime,
    memprofilerate = args.memprofilerate, label = label, say = say }
end

local HOT_ORDER = { "hotspots", "file", "line", "func", "flat", "cum", "reason" }

local function print_alone(args, side)
  local empty = assert(ge.bench.parse("", "none"))
  local cmp = cli.check(ge.bench.compare(side.set, empty))
  if args.json then
    for _, r in ipairs(cmp.rows) do
      local o = r.old or {}
      io.stdout:write(json.encode({ name = r.name, unit = r.unit, center = o.center,
        ci = o.ci == nil and json.null or o.ci }, { "name", "unit", "center", "ci" }), "\n")
    end
  else
    -- the column is the packages benchmarked, not the temporary results file
    io.stdout:write(require("goescape.report.benchtext").render(cmp,
      { #(args.packages or {}) > 0 and table.concat(args.packages, " ") or "." }))
  end
  for _, b in ipairs(side.benchmarks) do
    local name = b.key
    local rows = hotspots(side, b, args.n)
    if args.json then
      local t = {}
      for i, r in ipairs(rows) do
        t[i] = { file = r.file, line = r.line, func = r.func, flat = r.flat, cum = r.cum,
          reason = r.advice and r.advice.title or json.null }
      end
      io.stdout:write(json.encode({ hotspots = name, rows = setmetatable(t, json.array_mt) }, HOT_ORDER), "\n")
    else
      io.stdout:write("\n", name, ": allocating lines (alloc_space)\n")
      if #rows == 0 then io.stdout:write("  no allocations in this benchmark's own stacks\n") end
      for _, r in ipairs(rows) do
        io.stdout:write(("  %10s  %s:%d %s%s\n"):format(require("goescape.report.units").human(r.flat, "bytes"),
          r.file, r.line, r.func or "", r.advice and ("  (" .. r.advice.title .. ")") or ""))
      end
    end
  end
end

local CHANGE_ORDER = { "change", "package", "unit", "old", "new", "delta", "p", "text", "escapes", "growth",
  "category", "kind", "file", "line", "func", "subject", "message", "called_by", "before", "after" }

local function print_compare(args, r)
  if args.json then
    local null = json.null
    local function s(x) return x and { center = x.center, ci = x.ci == nil and null or x.ci } or null end
    for _, row in ipairs(r.comparison.rows) do
      local o = { name = row.name, unit = row.unit, old = s(row.old), new = s(row.new),
        delta = row.delta == nil and null or row.delta, p = row.p == nil and null or row.p }
      if row.geomean then o.old.ci, o.new.ci = nil, nil end
      io.stdout:write(json.encode(o, { "name", "unit", "old", "new", "delta", "p", "center", "ci" }), "\n")
    end
    for _, c in ipairs(r.changes) do
      local es = {}
      for i, e in ipairs(c.escapes) do
        es[i] = { category = e.category, kind = e.kind, file = e.file, line = e.line, func = e.func,
          subject = e.subject, message = e.message, called_by = e.called_by }
      end
      io.stdout:write(json.encode({ change = c.name, package = c.package, unit = c.unit,
        old = c.old.center, new = c.new.center,
        delta = c.delta, p = c.p, text = c.text, escapes = setmetatable(es, json.array_mt) },
        CHANGE_ORDER), "\n")
    end
    return
  end
  io.stdout:write(require("goescape.report.benchtext").render(r.comparison, { args.against, "new" }))
  io.stdout:write("\n")
  if #r.changes == 0 then
    io.stdout:write("No significant change of B/op or allocs/op.\n")
    return
  end
  io.stdout:write("Allocation changes:\n")
  local pkgs = {}
  for _, row in ipairs(r.comparison.rows) do pkgs[row.config.pkg or ""] = true end
  local several = next(pkgs, next(pkgs)) ~= nil
  for _, c in ipairs(r.changes) do
    io.stdout:write(several and c.package and (c.package .. " ") or "", c.name, ": ", c.text, "\n")
    for _, g in ipairs(c.growth or {}) do
      io.stdout:write(("    %+d  %s:%d %s%s\n"):format(g.delta, g.file or "?", g.line or 0, g.func or "",
        g.advice and ("  (" .. g.advice.title .. ")") or ""))
    end
  end
end

function M.run(args)
  if args.count < 1 then cli.usage("-count must be at least 1") end
  local say = gobench.progress(args.quiet)
  local root, cleanup = side_dirs(args.keep)
  return gorun.finally(cleanup, function()
    local here = gorun.abs_dir(".")
    if not args.against then
      local side, err = gobench.run(side_opts(args, here, root .. "/new", "bench", say))
      if not side then cli.fail("%s", err) end
      print_alone(args, side)
      return
    end
    local other, wt = args.against, nil
    if gorun.is_dir(other) then
      other = gorun.abs_dir(other)
    else
      local err
      wt, err = gorun.worktree(here, args.against)
      if not wt then cli.fail("%s", err) end
      other = wt.path
    end
    return gorun.finally(function() if wt then wt.remove() end end, function()
      local old, err = gobench.run(side_opts(args, other, root .. "/old", "old (" .. args.against .. ")", say))
      if not old then cli.fail("%s", err) end
      local new
      new, err = gobench.run(side_opts(args, here, root .. "/new", "new", say))
      if not new then cli.fail("%s", err) end
      local r = cli.check(ge.analysis.benchdiff {
        old = { bench = old.set, escape = old.log, profiles = old.profiles },
        new = { bench = new.set, escape = new.log, profiles = new.profiles } })
      print_compare(args, r)
    end)
  end)
end

return M
