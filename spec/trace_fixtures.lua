-- The traces the trace specs read, recorded once by every Go this machine
-- has (Debian's 1.19, the machine's Go, GOTOOLCHAIN=go1.27.3) and cached in
-- build/fixtures/trace-<go> (spec/helpers.lua's H.cached): traceprog's runs
-- (spec/fixtures/trace/src/traceprog: a task, regions and logs on
-- allocating workers; 50 goroutines, a GC-heavy phase and CPU samples over
-- 20 ms generations; the AllocFree experiment; a /debug/pprof/trace capture;
-- annotations at the trace's edges)
-- and, from Go 1.25, a flight recorder's capture. Shared by
-- spec/trace_spec.lua and spec/trace_annot_spec.lua, so that nothing is
-- recorded twice.
local H = require "spec.helpers"

local M = {}

M.SRC = H.root .. "/spec/fixtures/trace/src/traceprog"
M.FLIGHT = H.root .. "/spec/fixtures/trace/src/flightrec"
M.RUNS = {
  { name = "annot", args = "annot" },
  { name = "gc", args = "gc", env = "GODEBUG=traceadvanceperiod=20000000" },
  { name = "allocfree", args = "annot", env = "GODEBUG=traceallocfree=1" },
  { name = "http", args = "http" }, -- /debug/pprof/trace from a server on 127.0.0.1
  { name = "edges", args = "edges" }, -- annotations begun before the trace, left open, nested
}

--- Runs cmd in dir, which writes the trace `file` there, until Go's own
-- reader takes that trace (`go tool trace -d=parsed`), at most 3 times:
-- the runtime now and then writes a trace whose partial order its reader
-- refuses ("broken trace: failed to advance"; seen with
-- GODEBUG=traceallocfree=1 and 20 ms generations), and the specs compare
-- goescape with oracles built on that reader.
function M.record(dir, cmd, file)
  local err
  for _ = 1, 3 do
    H.must(("cd %s && %s"):format(H.q(dir), cmd))
    local out, rc = H.sh(("env -u LD_PRELOAD go tool trace -d=parsed %s 2>&1 > /dev/null")
      :format(H.q(dir .. "/" .. file)))
    if rc == 0 then return end
    err = out
  end
  error(("%s: Go's reader refused three recordings: %s"):format(file, (err or ""):sub(1, 300)))
end

--- The minor version of a compiler of H.go_compilers().
function M.minor(c) return tonumber(c.version:match("^1%.(%d+)")) end

--- {compiler = c, dir = the directory of its traces} per compiler.
function M.dirs()
  if M.cache then return M.cache end
  local dirs = {}
  for _, c in ipairs(H.go_compilers()) do
    dirs[#dirs + 1] = {
      compiler = c,
      dir = H.cached("trace-" .. c.name, function(dir)
        H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/traceprog main.go"):format(H.q(M.SRC), c.go, H.q(dir)))
        for _, r in ipairs(M.RUNS) do
          M.record(dir, ("env -u LD_PRELOAD %s ./traceprog %s %s.trace"):format(r.env or "", r.args, r.name),
            r.name .. ".trace")
        end
        -- the flight recorder (Go 1.25+): the last generations of a busy run
        if M.minor(c) >= 25 then
          H.must(("cd %s && env -u LD_PRELOAD %s build -o %s/flightrec main.go"):format(H.q(M.FLIGHT), c.go, H.q(dir)))
          M.record(dir, "env -u LD_PRELOAD GODEBUG=traceadvanceperiod=20000000 ./flightrec flight.trace",
            "flight.trace")
        end
      end),
    }
  end
  M.cache = dirs
  return dirs
end

return M
