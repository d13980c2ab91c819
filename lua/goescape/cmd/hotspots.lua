--- goescape hotspots --escape LOG --profile PROF [--binary BIN] [-n N] [--json] [profile options]
-- Each allocating source line with its cost (flat/cum as `go tool pprof -top
-- -lines`) and every compiler diagnostic about it, with the -m=2 flow and advice.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"

local M = { help = "Allocating lines of a profile with the compiler's reasons and advice" }

function M.setup(c)
  c:option("--escape", "Escape log(s): text, logopt dir or .json (.gz too)"):count("+"):args(1)
  c:option("--profile", "pprof profile (allocs/heap; any sample type), or a live service's URL "
    .. "(doc/live.md); repeated: merged"):count("+"):args(1)
  c:option("--binary", "Go binary: symbolizes address-only profiles, sizes from DWARF")
  c:option("-n", "Lines to show (0: all)", "20"):convert(cli.count)
  c:flag("--json", "One JSON object per line")
  c:flag("--no-advice", "Leave out explanations")
  c:flag("--uncosted", "Also list heap diagnostics of profiled files that cost nothing")
  cli.profile_options(c)
end

local ORDER = { "file", "line", "func", "flat", "cum", "diagnostics", "kind", "subject",
  "message", "count", "flow", "type", "dst", "src", "expr", "reason", "callee", "col", "advice",
  "title", "why", "fix", "inferred", "chain", "text", "others" }

local function pct(v, total) return total ~= 0 and v * 100 / total or 0 end

local fmt_value = require("goescape.report.units").human

local function flow_text(flow)
  local parts = {}
  for _, s in ipairs(flow or {}) do
    if s.type == "from" and s.reason then parts[#parts + 1] = s.reason end
  end
  return table.concat(parts, " -> ")
end

function M.run(args)
  local paths = {}
  for _, e in ipairs(args.escape) do paths[#paths + 1] = type(e) == "table" and e[1] or e end
  local log = cli.check(ge.escape.open(paths))
  local profs = {}
  for _, p in ipairs(args.profile) do profs[#profs + 1] = type(p) == "table" and p[1] or p end
  local prof = cli.check(ge.profile.open(#profs == 1 and profs[1] or profs))
  args.profile = table.concat(profs, ", ")
  -- Heap costs are what the compiler's reasons explain: a profile without an
  -- allocation sample type (a CPU, block or mutex profile) needs an explicit
  -- --sample, so that a wrong file is not reported as if it were allocations.
  if not args.sample then
    local heap, names = false, {}
    for _, st in ipairs(prof.sample_types or {}) do
      names[#names + 1] = st.type .. "/" .. st.unit
      if st.type:match("^alloc_") or st.type:match("^inuse_") or st.unit == "bytes" then heap = true end
    end
    if not heap then
      cli.usage("hotspots: %s has no allocation sample type (it has %s): give an allocs or heap "
        .. "profile, or choose one of its sample types with --sample", args.profile,
        table.concat(names, ", "))
    end
  end
  local bin
  if args.binary then bin = cli.check(ge.binary.open(args.binary)) end
  local q = cli.profile_query(args, { escape = log, profile = prof, binary = bin, n = args.n })
  cli.check_filters(prof, q)
  local hot = cli.check(ge.analysis.hotspots(q))
  for _, w in ipairs(hot.warnings or {}) do io.stderr:write("goescape: warning: ", w, "\n") end
  local unit = hot.sample and hot.sample.unit
  if args.json then
    json.write_rows(hot.rows, ORDER, args.no_advice)
    if args.uncosted then
      for _, d in ipairs(hot.uncosted) do
        d.uncosted = true
        io.stdout:write(json.encode(d, ORDER), "\n")
      end
    end
    return
  end
  local out = io.stdout
  out:write(("%s: total %s\n"):format(hot.sample and hot.sample.type or "sample",
    fmt_value(hot.total, unit)))
  out:write(("%10s %6s %10s %6s  %s\n"):format("flat", "flat%", "cum", "cum%", "line"))
  for _, r in ipairs(hot.rows) do
    out:write(("%10s %5.1f%% %10s %5.1f%%  %s:%d %s\n"):format(fmt_value(r.flat, unit),
      pct(r.flat, hot.total), fmt_value(r.cum, unit), pct(r.cum, hot.total),
      r.file, r.line, r.func or ""))
    for _, d in ipairs(r.diagnostics) do
      if ge.core.kind_family(d.kind) == "escape" then
        out:write(("%40s %s: %s%s\n"):format("", d.kind, d.message,
          d.count and (" (x%d)"):format(d.count) or ""))
        local f = flow_text(d.flow)
        if f ~= "" then out:write(("%42s flow: %s\n"):format("", f)) end
      end
    end
    if r.advice and not args.no_advice then
      out:write(("%40s reason: %s%s\n"):format("", r.advice.title,
        r.advice.not_in_log and " (from the source: the package has no diagnostics)"
        or r.advice.inferred and " (no heap move reported by the compiler)" or ""))
      out:write(("%40s why: %s\n%40s fix: %s\n"):format("", r.advice.why, "", r.advice.fix))
      if r.others then
        local t = {}
        for _, o in ipairs(r.others) do t[#t + 1] = o.title end
        out:write(("%40s also: %s\n"):format("", table.concat(t, "; ")))
      end
    end
  end
  if args.uncosted and #hot.uncosted > 0 then
    out:write(("\n%d heap diagnostics in profiled files with no cost:\n"):format(#hot.uncosted))
    for _, d in ipairs(hot.uncosted) do
      out:write(("  %s:%d: %s%s\n"):format(d.file, d.line, d.message,
        d.advice and (" (" .. d.advice.title .. ")") or ""))
    end
  end
end

return M
