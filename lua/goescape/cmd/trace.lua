--- goescape trace summary [--json] TRACE
-- Decodes a Go execution trace ("-" is stdin) and prints what it holds:
-- Go version, generations, goroutines, GC cycles, and the count of each
-- event type by the name `go tool trace -d=wire` prints.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"

local M = { help = "Read a Go execution trace (summary)" }

function M.setup(c)
  c:command_target("trace_command")
  c:require_command(true)
  local s = c:command("summary", "Go version, generations, goroutines, GC cycles, events by type")
  s:argument("trace", "Trace file (runtime/trace, go test -trace, /debug/pprof/trace), or -")
  s:flag("--json", "Print one JSON object")
end

local ORDER = { "go_version", "generations", "goroutines", "gc_cycles", "events", "tables", "total",
  "bytes", "start", "end", "duration", "max_generation_bytes", "warning", "lost_bytes" }

local function sorted_rows(counts)
  local rows = {}
  for name, n in pairs(counts) do rows[#rows + 1] = { name = name, n = n } end
  table.sort(rows, function(a, b)
    if a.n ~= b.n then return a.n > b.n end
    return a.name < b.name
  end)
  return rows
end

local function summary(args)
  local t = cli.check(ge.trace.open(args.trace))
  local s = t:summary()
  t:close()
  if s.warning then io.stderr:write("goescape: warning: ", cli.escape_controls(s.warning), "\n") end
  if args.json then
    io.stdout:write(json.encode(s, ORDER), "\n")
    return
  end
  io.stdout:write(("go %s trace: %d generation(s), %d goroutines, %d GC cycles, %d events over %.3f s\n")
    :format(s.go_version, s.generations, s.goroutines, s.gc_cycles, s.total, s.duration / 1e9))
  io.stdout:write("\nevents:\n")
  for _, r in ipairs(sorted_rows(s.events)) do
    io.stdout:write(("  %-24s %12d\n"):format(r.name, r.n))
  end
  io.stdout:write("\nbatches and tables:\n")
  for _, r in ipairs(sorted_rows(s.tables)) do
    io.stdout:write(("  %-24s %12d\n"):format(r.name, r.n))
  end
end

function M.run(args)
  if args.summary then return summary(args) end
end

return M
