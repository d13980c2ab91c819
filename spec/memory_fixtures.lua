--- The real runs of spec/fixtures/memory/ programs, built and run once per
-- checkout and Go (build/fixtures/memory-PROG-goX.Y), shared by
-- spec/memory_spec.lua and the rss-leak recipe's spec.
local H = require "spec.helpers"

local M = {}
local SRC = H.root .. "/spec/fixtures/memory/"
M.src = SRC

local function build(c, prog, d, flags, env)
  H.must(("cp %s/main.go %s/go.mod %s/ && cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s %s build %s -o prog . %s")
    :format(H.q(SRC .. prog), H.q(SRC .. prog), H.q(d), H.q(d), H.q(d), env or "", c.go, flags or "",
      flags and "2> m2.log" or ""))
end

--- phases under GODEBUG=gctrace=1,scavtrace=1: DIR/gc.log, DIR/oracle.json.
function M.phases(c)
  return H.cached("memory-phases-" .. c.name, function(d)
    build(c, "phases", d)
    H.must(("cd %s && GODEBUG=gctrace=1,scavtrace=1 ./prog > oracle.json 2> gc.log"):format(H.q(d)))
  end)
end

--- snap's answers: DIR/{heap.txt,vars.json,metrics.txt}, DIR/oracle.json.
function M.snap(c)
  return H.cached("memory-snap-" .. c.name, function(d)
    build(c, "snap", d)
    H.must(("cd %s && ./prog . > oracle.json"):format(H.q(d)))
  end)
end

--- rss built with -m=2 (DIR/m2.log): DIR/snap{1..5}.txt, DIR/heap{1,3}.pb.gz, DIR/oracle.json.
function M.rss(c)
  return H.cached("memory-rss-" .. c.name, function(d)
    build(c, "rss", d, "-gcflags=-m=2")
    H.must(("cd %s && ./prog . > oracle.json"):format(H.q(d)))
  end)
end

--- leakcheck (Go 1.26+, GOEXPERIMENT=goroutineleakprofile) under
-- GODEBUG=gctrace=1: DIR/gc.log, DIR/oracle.json; nil before Go 1.26.
function M.leakcheck(c)
  local major, minor = c.version:match("^(%d+)%.(%d+)")
  if tonumber(major) == 1 and tonumber(minor) < 26 then return nil end
  return H.cached("memory-leakcheck-" .. c.name, function(d)
    -- an experiment in Go 1.26, no longer one in Go 1.27 (which refuses the name)
    local ok = pcall(build, c, "leakcheck", d, nil, "GOEXPERIMENT=goroutineleakprofile")
    if not ok then build(c, "leakcheck", d) end
    H.must(("cd %s && GODEBUG=gctrace=1 ./prog > oracle.json 2> gc.log"):format(H.q(d)))
  end)
end

return M
