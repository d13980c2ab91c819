--- goescape trace lifetimes [--escape LOG... [--binary BIN] [--profile PROF]] [--json] [-n N] TRACE
-- Heap objects by type in a trace recorded with GODEBUG=traceallocfree=1
-- (t:lifetimes()): two tables, the types whose objects mostly die before
-- the next GC (short-lived: candidates for the stack, or for reuse) and the
-- others (long-lived), each by bytes allocated; with the escape log of the
-- same build (and its binary, for the types of variables moved to the
-- heap), each type's escapes under it (ge.analysis.lifetimes). --json
-- prints one object: {totals = {...}, types = [{..., class =
-- "short"|"long", survived = [n0, n1, n2, n3plus], escapes = [...]}...]}.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"
local units = require "goescape.report.units"

local M = {}

function M.setup(c)
  local sc = c:command("lifetimes", "Heap objects by type (GODEBUG=traceallocfree=1): short- vs long-lived")
  sc:argument("trace", "Trace file, or -")
  sc:flag("--json", "Print one JSON object")
  sc:option("-n", "Rows per table (0: all)", "20")
  sc:option("--escape", "Escape log(s) of the same build: the escapes that make each type"):count("*"):args(1)
  sc:option("--binary", "The program's binary: the DWARF types of variables moved to the heap")
  sc:option("--profile", "A heap profile of the same run: each escape's bytes, the ones the run "
    .. "allocated at first")
  sc:option("--sample", "The profile's sample type (default: its default)"):convert(cli.sample)
end

--- A type is short-lived when most of its allocations died before the
-- next GC (survived no cycle).
function M.class(r)
  return r.allocs > 0 and r.survived[0] * 2 > r.allocs and "short" or "long"
end

local ORDER = { "totals", "types", "type", "class", "size", "ptr_bytes", "allocs", "bytes", "frees",
  "existing", "live", "live_bytes", "lifetimes", "survived", "median_ns", "p90_ns", "addr", "escapes",
  "file", "line", "col", "func", "package", "kind", "message", "bytes", "advice", "reason", "title",
  "fix" }

local function dur(ns)
  if not ns then return "-" end
  if ns >= 1e9 then return ("%.2fs"):format(ns / 1e9) end
  if ns >= 1e6 then return ("%.2fms"):format(ns / 1e6) end
  if ns >= 1e3 then return ("%.1fus"):format(ns / 1e3) end
  return ("%dns"):format(ns)
end

local function table_of(title, rows, n)
  io.stdout:write("\n", title, ":\n")
  io.stdout:write(("%10s %12s %10s %10s %8s %8s %8s %8s %9s %9s  %s\n"):format("allocs", "bytes", "frees",
    "live", "gc0", "gc1", "gc2", "gc3+", "median", "p90", "type"))
  for i, r in ipairs(rows) do
    if n > 0 and i > n then
      io.stdout:write(("  ... %d more\n"):format(#rows - n))
      break
    end
    io.stdout:write(("%10d %12d %10d %10d %8d %8d %8d %8d %9s %9s  %s\n"):format(r.allocs, r.bytes, r.frees,
      r.live, r.survived[0], r.survived[1], r.survived[2], r.survived[3], dur(r.median_ns), dur(r.p90_ns),
      cli.escape_controls(r.type)))
    local es = r.escapes or {}
    for k = 1, math.min(3, #es) do
      local e = es[k]
      io.stdout:write(("%12s %s:%d: %s%s%s\n"):format("", cli.escape_controls(e.file), e.line,
        cli.escape_controls(e.message), e.advice and (" [" .. e.advice.title .. "]") or "",
        e.bytes and (" (%s in the profile)"):format(units.human(e.bytes, "bytes")) or ""))
    end
    if #es > 3 then io.stdout:write(("%12s ... %d more escapes\n"):format("", #es - 3)) end
  end
end

function M.run(args)
  local t = cli.check(ge.trace.open(args.trace))
  if t.warning then io.stderr:write("goescape: warning: ", cli.escape_controls(t.warning), "\n") end
  local rows
  if #(args.escape or {}) > 0 then
    local paths = {}
    for _, e in ipairs(args.escape) do paths[#paths + 1] = type(e) == "table" and e[1] or e end
    local lt = cli.check(ge.analysis.lifetimes { trace = t, escape = paths, binary = args.binary,
      profile = args.profile, sample = args.sample, n = 0 })
    rows = lt.rows
    rows.totals = lt.totals
  else
    rows = cli.check(t:lifetimes())
  end
  t:close()
  local tot = rows.totals
  if args.json then
    local types = {}
    for i, r in ipairs(rows) do
      r.class = M.class(r)
      if r.escapes and #r.escapes == 0 then setmetatable(r.escapes, json.array_mt) end
      local s = r.survived
      r.survived = { s[0], s[1], s[2], s[3] }
      types[i] = r
    end
    if #types == 0 then types = setmetatable({}, json.array_mt) end
    io.stdout:write(json.encode({ totals = tot, types = types }, ORDER), "\n")
    return
  end
  local n = tonumber(args.n) or 20
  io.stdout:write(("%d objects allocated, %d freed, %d live at the end (%d alive when tracing began); "
    .. "%d GC cycles; %d types\n"):format(tot.allocs, tot.frees, tot.live, tot.existing, tot.gc_cycles, tot.types))
  io.stdout:write(("spans: %d at the start, %d allocated, %d freed; goroutine stacks: %d, %d, %d\n"):format(
    tot.spans, tot.span_allocs, tot.span_frees, tot.stacks, tot.stack_allocs, tot.stack_frees))
  if tot.unknown_frees > 0 then
    io.stdout:write(("%d frees of objects allocated before the trace (no snapshot of them)\n")
      :format(tot.unknown_frees))
  end
  if tot.unknown_types > 0 then
    io.stdout:write(("%d allocations name a type missing from their generation's table "
      .. "(a flight recorder's capture keeps no tables)\n")
      :format(tot.unknown_types))
  end
  local short, long = {}, {}
  for _, r in ipairs(rows) do
    local into = M.class(r) == "short" and short or long
    into[#into + 1] = r
  end
  table_of("short-lived (most die before the next GC: stack candidates)", short, n)
  table_of("long-lived", long, n)
end

return M
