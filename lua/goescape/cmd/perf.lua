--- goescape perf SCRIPT [--binary BIN] [--escape LOG] [--event E] [-n N] [--json]
---   [--data [--trace T] | --mallocs] [--pprof -o OUT]
--- goescape perf --mallocs --run CMD [--save SCRIPT] [same options]
-- `perf script` output of a Go program: the top functions and lines by an
-- event, Go frames re-symbolized through the binary's pclntab (stripped
-- binaries, DWARF 5, inlined frames); with --escape the hot lines with the
-- compiler's escape reasons; --pprof writes the samples as a pprof profile.
-- --mallocs --run records every allocation of the Go program CMD runs,
-- through perf uprobes set up for the run and removed after it.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"
local human = require("goescape.report.units").human

local M = { help = "Hot Go functions and lines of `perf script` output, with escape reasons" }

function M.setup(c)
  c:argument("script", "Output of `perf script` (\"-\" for stdin); see doc/perf.md"):args("?")
  c:option("--binary", "The Go binary perf recorded (default: the sampled dso, when it is a file)")
  c:option("--escape", "Escape log(s) of the same build: hot lines joined with the compiler's reasons")
    :count("*"):args(1)
  c:option("--event", "Event to rank by (default: the first one)")
  c:option("-n", "Rows to show (0: all)", "20"):convert(cli.count)
  c:flag("--json", "One JSON object per function and line")
  c:flag("--pprof", "Write the samples as a pprof profile (every event) to -o")
  c:flag("--data", "Where the samples' data addresses point (page-faults -d, mem-loads): heap, globals, "
    .. "stack; the lines ranked are those whose accesses hit the heap")
  c:option("--trace", "With --data: an execution trace of the same run, recorded with GODEBUG=traceallocfree=1 "
    .. "(Go 1.23+): tells heap objects from goroutine stacks in Go's memory (record perf with -k mono)")
  c:flag("--mallocs", "SCRIPT records an allocation probe (doc/perf.md): rank by the bytes allocated; "
    .. "--pprof writes the exact allocation profile")
  c:option("-o --output", "Where --pprof writes (gzipped profile.proto)")
  c:option("--run", "With --mallocs, instead of SCRIPT: a shell command line running a Go program, recorded "
    .. "with a perf probe on each allocation entry point (root and uprobes needed; the probes are removed after)")
  c:option("--save", "With --run: keep the `perf script` text of the recording here")
end

-- --run: the recording, as if its perf script text had been given
local function record(args)
  if not args.mallocs then cli.usage("perf: --run records allocations: it goes with --mallocs") end
  if args.script then cli.usage("perf: SCRIPT or --run, not both") end
  local r = cli.check(ge.perf.record_mallocs(args.run, { binary = args.binary, script = args.save }))
  if r.status ~= 0 then
    io.stderr:write(("goescape: warning: perf record of %s exited with status %d\n"):format(args.run, r.status))
  end
  args.script = r.script
  args.binary = args.binary or r.binary
  return r
end

local function pct(v, total) return total ~= 0 and v * 100 / total or 0 end

local function symbolize(p, args, info)
  local bin, dso
  if args.binary then
    bin = cli.check(ge.binary.open(args.binary))
  else
    bin, dso = p:find_binary()
    if not bin then return nil end
  end
  local s = cli.check(p:symbolize(bin, { dso = dso }))
  if s.samples == 0 then
    io.stderr:write(("goescape: warning: no sample has a frame in %s (dsos: %s)\n"):format(
      bin.file, (function()
        local t = {}
        for _, d in ipairs(info.dsos) do t[#t + 1] = d.name end
        return table.concat(t, ", ")
      end)()))
  end
  return bin, s
end

local function event_of(info, args)
  if not args.event then return info.events[1] end
  for _, e in ipairs(info.events) do if e.name == args.event then return e end end
  for _, e in ipairs(info.events) do if e.name:match("^[^:]*") == args.event then return e end end
  local t = {}
  for _, e in ipairs(info.events) do t[#t + 1] = e.name end
  cli.fail("%s: no event %s (events: %s)", args.script, args.event, table.concat(t, ", "))
end

local ORDER = { "by", "function", "file", "line", "value", "percent", "event", "unit",
  "diagnostics", "kind", "message", "advice", "title", "why", "fix" }

function M.run(args)
  if args.pprof and not args.output then cli.usage("perf: --pprof needs -o OUT.pb.gz") end
  if args.output and not args.pprof then cli.usage("perf: -o goes with --pprof") end
  if args.data and args.mallocs then cli.usage("perf: --data or --mallocs, not both") end
  if args.save and not args.run then cli.usage("perf: --save goes with --run") end
  if args.trace and not args.data then cli.usage("perf: --trace goes with --data") end
  local rec = args.run and record(args)
  if not args.script then cli.usage("perf: a `perf script` text is needed (or --mallocs --run CMD)") end
  -- the command reads profiles of the samples, never one sample: memory
  -- grows with the distinct stacks, not with the samples
  local p, err, code = ge.perf.open(args.script, { aggregate = true, trace = args.trace })
  if rec and rec.dir then require("goescape.gorun").remove_tree(rec.dir) end
  p = cli.check(p, err, code)
  local info = p:info()
  if info.samples == 0 then cli.fail("%s: no samples (is it `perf script` output?)", args.script) end
  local bin, sym = symbolize(p, args, info)
  local ev, prof
  if args.mallocs then
    prof = cli.check(p:allocs { event = args.event })
    -- the samples of the probes p:allocs counted (one event per entry point)
    local n = 0
    for _, pe in ipairs(p:probe_events(args.event)) do n = n + pe.event.samples end
    ev = { name = "alloc_space", samples = n }
    if args.pprof then cli.check(prof:write(args.output)) end
  else
    if args.pprof then
      local all = cli.check(p:pprof())
      cli.check(all:write(args.output))
      all:close()
    end
    ev = event_of(info, args)
    prof = cli.check(p:pprof { event = ev.name, data = args.data and "heap" or nil })
  end
  local st = args.mallocs and 2 or 1
  local unit = prof.sample_types[st].unit
  local funcs, total = cli.check(prof:top { by = "function", n = args.n, sample = st })
  local lines = cli.check(prof:top { by = "line", n = args.n, sample = st })
  local hot
  if args.escape and #args.escape > 0 then
    local paths = {}
    for _, e in ipairs(args.escape) do paths[#paths + 1] = type(e) == "table" and e[1] or e end
    local log = cli.check(ge.escape.open(paths))
    hot = cli.check(ge.analysis.hotspots { escape = log, profile = prof, binary = bin, n = args.n, sample = st })
  end
  if args.json then
    for _, r in ipairs(funcs) do
      io.stdout:write(json.encode({ by = "function", ["function"] = r.func or r.name,
        file = r.file or "", line = r.line or 0, value = r.flat, percent = pct(r.flat, total),
        event = ev.name, unit = unit }, ORDER), "\n")
    end
    for _, r in ipairs(hot and hot.rows or lines) do
      local o = { by = "line", ["function"] = r.func or r.name, file = r.file or "",
        line = r.line or 0, value = r.flat, percent = pct(r.flat, total), event = ev.name, unit = unit }
      if hot then
        local ds = {}
        for _, d in ipairs(r.diagnostics or {}) do
          if ge.core.kind_family(d.kind) == "escape" then ds[#ds + 1] = { kind = d.kind, message = d.message } end
        end
        if #ds > 0 then o.diagnostics = ds end
        if r.advice then o.advice = { title = r.advice.title, why = r.advice.why, fix = r.advice.fix } end
      end
      io.stdout:write(json.encode(o, ORDER), "\n")
    end
    return
  end
  local out = io.stdout
  if args.data then
    local d = cli.check(p:data { event = ev.name })
    local sum = 0
    for _, c in pairs(d.classes) do sum = sum + c.period end
    if sum == 0 then
      cli.fail("%s: no sample of %s has a data address (record with -d; doc/perf.md)", args.script, ev.name)
    end
    out:write(("%s: data addresses\n"):format(ev.name))
    for _, k in ipairs { "heap", "goroutine_stack", "off_heap", "global", "stack", "c_heap", "other" } do
      local c = d.classes[k]
      if c then out:write(("%10d %5.1f%%  %s\n"):format(c.period, pct(c.period, sum), k)) end
    end
    local hm = d.heap_map
    if hm then
      out:write(("%s: %d samples in Go's memory placed by the trace's spans and stacks")
        :format(args.trace, hm.samples))
      if hm.outside > 0 then
        out:write((", %d of them outside its time (the state at its start or end)"):format(hm.outside))
      end
      out:write("\n")
      if hm.outside * 2 > hm.samples then
        io.stderr:write(("goescape: warning: most samples fall outside %s's time: was it recorded in the same run, "
          .. "and perf with -k mono (doc/perf.md)?\n"):format(args.trace))
      end
    elseif args.trace then
      out:write(("%s: no sample's data address is in Go's anonymous memory\n"):format(args.trace))
    end
    out:write("hot globals:\n")
    for i, g in ipairs(d.globals) do
      if args.n > 0 and i > args.n then break end
      out:write(("%10d %5.1f%%  %s (%s)\n"):format(g.period, pct(g.period, sum), g.sym, g.dso))
    end
    out:write("accesses that hit the heap, by line:\n")
  end
  out:write(("%s: %d samples, total %s"):format(ev.name, ev.samples, human(total, unit)))
  if sym then
    out:write(("; %s: %d of %d samples with a Go line"):format(bin.file, sym.samples_resolved, sym.samples))
  end
  out:write("\n")
  out:write(("%10s %6s %10s %6s  %s\n"):format("flat", "flat%", "cum", "cum%", "function"))
  for _, r in ipairs(funcs) do
    out:write(("%10s %5.1f%% %10s %5.1f%%  %s\n"):format(human(r.flat, unit), pct(r.flat, total),
      human(r.cum, unit), pct(r.cum, total), r.func or r.name))
  end
  out:write(("\n%10s %6s %10s %6s  %s\n"):format("flat", "flat%", "cum", "cum%", "line"))
  for _, r in ipairs(hot and hot.rows or lines) do
    out:write(("%10s %5.1f%% %10s %5.1f%%  %s:%d %s\n"):format(human(r.flat, unit), pct(r.flat, total),
      human(r.cum, unit), pct(r.cum, total), r.file or "?", r.line or 0, r.func or r.name or ""))
    for _, d in ipairs(hot and r.diagnostics or {}) do
      if ge.core.kind_family(d.kind) == "escape" then
        out:write(("%40s %s: %s\n"):format("", d.kind, d.message))
      end
    end
    if hot and r.advice then out:write(("%40s reason: %s\n"):format("", r.advice.title)) end
  end
end

return M
