--- goescape retain DUMP [--binary BIN] [--json] [-n N] [--escape LOG] [--sites]
-- goescape retain --diff OLD NEW [--binary BIN] [--escape LOG] [--json] [-n N]
-- The objects of a Go heap dump that retain most memory (their own bytes
-- and those of every object they dominate), each with the shortest path
-- from a root: a global (named with --binary), a goroutine's frame, a
-- finalizer, a runtime root.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "Top retainers of a Go heap dump, with their paths from the roots" }

function M.setup(c)
  c:argument("dump", "Heap dump written by runtime/debug.WriteHeapDump (gzip too)")
  c:option("--binary", "The program's binary: names data and bss roots by their global")
  c:option("-n", "Retainers to print", "20"):convert(cli.count)
  c:flag("--json", "One JSON object per retainer")
  c:option("--escape", "Escape log of the build (-gcflags=-m=2): why each allocation line went to the heap")
  c:flag("--sites", "Objects grouped by allocation site instead of the top retainers")
  c:flag("--diff", "Two dumps, DUMP then NEW: what grew between them, by allocation site and by root")
  c:argument("new", "With --diff: the later dump"):args("?")
end

local ORDER = { "address", "size", "retained", "type", "path", "steps", "alloc", "root", "name", "function", "func",
  "goroutine", "offset", "slot", "field", "file", "line" }
-- a stack root named by its variable (heapdump roots: var, var_type, var_offset)
ORDER[#ORDER + 1] = "var"
ORDER[#ORDER + 1] = "var_type"
ORDER[#ORDER + 1] = "var_offset"

-- The issue's JSON contract names the allocating function `function`
-- (as `goescape perf --json` does); the Lua rows say `func`.
local function alloc_site(r)
  local f = r.site
  if f then return { ["function"] = f.func, file = f.file, line = f.line } end
end

function M.run(args)
  local more = require "goescape.report.retain_text"
  if args.diff then
    if not args.new then cli.usage("retain --diff: two dumps expected (OLD NEW)") end
    return more.diff(args)
  end
  if args.new then cli.usage("retain: one dump expected (two with --diff)") end
  if args.sites then return more.sites(args) end
  local d = cli.check(ge.heapdump.open(args.dump, { binary = args.binary }))
  local rows = cli.check(d:retainers{ n = args.n })
  local hd = ge.heapdump
  if args.escape then cli.check(require("goescape.analysis.retain_sites").add_escape(rows, args.escape)) end
  if args.json then
    local json = require "goescape.report.json"
    for _, r in ipairs(rows) do
      local labels = {}
      for i in ipairs(r.path) do labels[i] = hd.step_text(r.path, i) end
      local o = { address = r.address, size = r.size, retained = r.retained, path = labels,
                  steps = r.path, type = r.type, alloc = alloc_site(r) }
      o.escape = more.escape_json(r.escape)
      o.pattern, o.why, o.evidence = r.pattern, r.why, r.evidence -- goescape.analysis.retention
      io.stdout:write(json.encode(o, ORDER), "\n")
    end
    return
  end
  local info = d:info()
  local reach = d:reachable()
  io.stdout:write(("%s: %s, %d objects (%d reachable, %d bytes)\n"):format(args.dump,
    info.go_version, info.objects, reach.objects, reach.bytes))
  io.stdout:write(("%12s %12s  %s\n"):format("retained", "size", "path from a root"))
  for _, r in ipairs(rows) do
    io.stdout:write(("%12d %12d  %s\n"):format(r.retained, r.size, hd.path_text(r.path)))
    local a = alloc_site(r)
    if a then io.stdout:write(("%27s allocated in %s at %s:%d\n"):format("", a["function"], a.file, a.line)) end
    if r.escape then io.stdout:write(("%27s %s\n"):format("", more.escape_line(r.escape))) end
    if r.why then io.stdout:write(("%27s %s: %s\n"):format("", r.pattern, r.why)) end
  end
end

return M
