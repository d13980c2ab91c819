--- goescape html [--escape LOG...] [--profile PROF | --perf SCRIPT] [--binary BIN] [--trace TRACE] [-o report.html] ...
-- One self-contained HTML file: summary, hotspots (with diagnostics, -m=2
-- flows and advice), annotated source, flame graph, a diff against a
-- base log or profile, and an execution trace's timeline. --perf takes
-- `perf script` text in place of the profile: its samples (or, for a
-- recording of allocation probes, every allocation) become one, with Go
-- frames symbolized through --binary.
local ge = require "goescape"
local cli = require "goescape.cli"
local html = require "goescape.report.html"

local M = { help = "A self-contained HTML report: hotspots, flows, annotated source, flame graph, diff" }

function M.setup(c)
  c:option("--escape", "Escape log(s): text, logopt dir or .json"):count("*"):args(1)
  c:option("--profile", "pprof profile (allocs/heap; any sample type)")
  c:option("--perf", "`perf script` text in place of --profile (doc/perf.md): CPU samples, or every allocation "
    .. "of a --mallocs recording")
  c:option("--perf-event", "With --perf: the event to show (default: the first; probes: all of them)")
  c:option("--binary", "Go binary: symbolizes address-only profiles and perf's frames, sizes from DWARF")
  c:option("--trace", "Execution trace (runtime/trace): a timeline of heap, GC, goroutines, regions, logs")
  c:option("--heapdump", "Heap dump (runtime/debug.WriteHeapDump): the dominator tree, with --binary its globals")
  c:option("-n", "Hotspot rows in the table", "100"):convert(cli.count)
  c:option("--min", "Flame graph: leave out frames under this fraction of the total", "0.001")
    :convert(cli.number)
  c:option("--base-escape", "Diff: the escape log before the change"):count("*"):args(1)
  c:option("--base-profile", "Diff: the profile before the change")
  c:option("--source-dir", "Where to look for sources the profile names (repeatable)"):count("*"):args(1)
  c:flag("--no-source", "Leave out the annotated source")
  c:option("--title", "Page title", "goescape report")
  c:option("-o --output", "Output file", "goescape-report.html")
  cli.profile_options(c)
end

local function flat(list)
  local out = {}
  for _, e in ipairs(list or {}) do out[#out + 1] = type(e) == "table" and e[1] or e end
  return out
end

--- The profile a `perf script` text makes: every allocation when it is a
-- recording of allocation probes only, else the samples of one event;
-- Go frames symbolized through bin, or the Go binary perf recorded when
-- it still opens (as `goescape perf` does). Returns it and the binary.
function M.perf_profile(path, bin, event)
  local p = cli.check(ge.perf.open(path, { aggregate = true }))
  local info = p:info()
  if info.samples == 0 then cli.fail("html: %s: no samples", path) end
  local dso
  if not bin then bin, dso = p:find_binary() end
  if bin then cli.check(p:symbolize(bin, { dso = dso })) end
  if not event and #p:probe_events() == #info.events then return cli.check(p:allocs()), bin end
  return cli.check(p:pprof { event = event or info.events[1].name }), bin
end

function M.run(args)
  local escapes, bases = flat(args.escape), flat(args.base_escape)
  if #escapes == 0 and not args.profile and not args.perf and not args.trace and not args.heapdump then
    cli.fail("html: give --escape LOG, --profile PROF (or --perf SCRIPT), --trace TRACE and/or --heapdump DUMP")
  end
  if args.perf and args.profile then cli.usage("html: --profile or --perf, not both") end
  if args.perf_event and not args.perf then cli.usage("html: --perf-event goes with --perf") end
  if #bases > 0 and #escapes == 0 then cli.usage("html: --base-escape needs --escape") end
  if args.base_profile and not args.profile then cli.usage("html: --base-profile needs --profile") end
  if args.min and (args.min < 0 or args.min >= 1) then cli.usage("html: --min must be in [0, 1)") end
  local log = #escapes > 0 and cli.check(ge.escape.open(escapes)) or nil
  local prof = args.profile and cli.check(ge.profile.open(args.profile)) or nil
  local bin = args.binary and cli.check(ge.binary.open(args.binary)) or nil
  if args.perf then prof, bin = M.perf_profile(args.perf, bin, args.perf_event) end
  local base_log = #bases > 0 and cli.check(ge.escape.open(bases)) or nil
  local base_prof = args.base_profile and cli.check(ge.profile.open(args.base_profile)) or nil
  local trace = args.trace and cli.check(ge.trace.open(args.trace)) or nil
  if trace and trace.warning then io.stderr:write("goescape: warning: ", trace.warning, "\n") end
  if prof and args.sample and not prof:sample_type(args.sample) then
    cli.fail("html: %s: no sample type %s", args.profile, args.sample)
  end
  local base_name
  if base_log or base_prof then
    base_name = table.concat(bases, ", ") .. (base_prof and ((#bases > 0 and ", " or "") .. args.base_profile) or "")
  end
  if prof then cli.check_filters(prof, cli.profile_query(args)) end
  local data, err = html.write(args.output, cli.profile_query(args, {
    escape = log, profile = prof, binary = bin, n = args.n, min = args.min,
    base_escape = base_log, base_profile = base_prof, source = not args.no_source, trace = trace,
    heapdump = args.heapdump,
    source_dirs = flat(args.source_dir), title = args.title,
    names = { escape = #escapes > 0 and table.concat(escapes, ", ") or nil, profile = args.profile or args.perf,
      binary = args.binary, base = base_name, trace = args.trace, heapdump = args.heapdump },
  }))
  if not data then cli.fail("html: %s", tostring(err)) end
  io.stderr:write("goescape: wrote ", args.output, "\n")
end

return M
