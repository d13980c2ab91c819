-- examples/tracedemo built with -gcflags=-m=2 by each Go here that writes
-- Go 1.22+ traces and run (trace.out, allocs.pb.gz, m2.log, and af.trace
-- recorded with GODEBUG=traceallocfree=1, in its
-- build/fixtures/tracedemo-<go> directory): shared by the heap growth and
-- lifetime specs and the recipe's.
local H = require "spec.helpers"

local M = {}

local DEMO = H.root .. "/examples/tracedemo"

--- {compiler = c, dir = d} per Go 1.22+ compiler.
function M.runs()
  if M.cache then return M.cache end
  local runs = {}
  for _, c in ipairs(H.go_compilers()) do
    if tonumber(c.version:match("^1%.(%d+)")) >= 22 then
      runs[#runs + 1] = {
        compiler = c,
        dir = H.cached("tracedemo-" .. c.name, function(d)
          H.must(("cp %s/main.go %s/go.mod %s/"):format(H.q(DEMO), H.q(DEMO), H.q(d)))
          H.must(("cd %s && env -u LD_PRELOAD GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 "
            .. "-o tracedemo . 2> m2.log"):format(H.q(d), H.q(d), c.go))
          local F = require "spec.trace_fixtures"
          F.record(d, "env -u LD_PRELOAD ./tracedemo trace.out allocs.pb.gz > /dev/null", "trace.out")
          -- the AllocFree experiment: every allocation and free
          F.record(d, "env -u LD_PRELOAD GODEBUG=traceallocfree=1 ./tracedemo af.trace af.pb.gz > /dev/null",
            "af.trace")
        end),
      }
    end
  end
  M.cache = runs
  return runs
end

--- The line of examples/tracedemo/main.go that holds `text`.
function M.line_of(text)
  local n = 0
  for l in (H.read(DEMO .. "/main.go") .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if l:find(text, 1, true) then return n end
  end
  error("not in tracedemo: " .. text)
end

return M
