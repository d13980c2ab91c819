--- One side of `goescape bench`: a package's test binary built with -m=2,
-- its benchmarks run with -benchmem, and a memory profile per benchmark.
-- The command composes two of these (the change and --against) and the
-- benchdiff analysis joins them.
local gorun = require "goescape.gorun"
local gobuild = require "goescape.gobuild"

local M = {}

--- Progress lines on stderr (GOESCAPE_PROGRESS=0 or quiet: none).
function M.progress(quiet)
  if quiet or os.getenv("GOESCAPE_PROGRESS") == "0" then return function() end end
  return function(fmt, ...)
    io.stderr:write("goescape: ", fmt:format(...), "\n")
    io.stderr:flush()
  end
end

--- Builds and runs one side. opts: dir (the package's checkout), package,
-- modules, go, work (a directory for the outputs), bench, count,
-- benchtime, memprofilerate, label, say (progress). Returns {dir=, log=,
-- binary=, results=, set=, names=, profiles = {name -> path}}, or nil, err.
-- In work: escape.log, bench.test, bench.txt (the raw results),
-- profiles/N.pb.gz and profiles/index.txt ("NAME<tab>N.pb.gz" lines).
function M.run(opts)
  local ge = require "goescape"
  local say = opts.say or function() end
  local w = opts.work
  local side = { dir = opts.dir, log = w .. "/escape.log", binary = w .. "/bench.test",
    results = w .. "/bench.txt", profiles = {}, names = {} }
  local pkg = opts.package or "."
  say("%s: building %s (go test -c, -m=2) in %s", opts.label, pkg, opts.dir)
  -- -trimpath: the two sides' paths (a worktree in a temporary directory,
  -- the checkout) are then the same in logs, binaries and profiles, so
  -- that lines and functions of one side meet those of the other.
  local rc, err = gobuild.build { go = opts.go, dir = opts.dir, packages = { pkg },
    modules = opts.modules, test = true, output = side.binary, log = side.log, flags = "-trimpath" }
  if not rc then return nil, err end
  if rc ~= 0 then return nil, ("%s: go test -c %s failed (exit status %d)"):format(opts.label, pkg, rc) end
  local f = io.open(side.binary, "rb")
  if not f then return nil, ("%s: %s has no test files: no benchmarks to run"):format(opts.label, pkg) end
  f:close()
  say("%s: running benchmarks %s (-count %d%s)", opts.label, opts.bench, opts.count,
    opts.benchtime and (", -benchtime " .. opts.benchtime) or "")
  rc = gobuild.run_benchmarks { binary = side.binary, dir = opts.dir, bench = opts.bench,
    count = opts.count, benchtime = opts.benchtime, output = side.results }
  if rc ~= 0 then
    return nil, ("%s: the benchmarks of %s failed (exit status %d; output in %s)"):format(opts.label,
      pkg, rc, side.results)
  end
  local set
  set, err = ge.bench.open(side.results)
  if not set then return nil, err end
  side.set = set
  local seen = {}
  for r in set:each() do
    if not seen[r.name] then seen[r.name] = true; side.names[#side.names + 1] = r.name end
  end
  if #side.names == 0 then
    return nil, ("%s: -bench %s matched no benchmark in %s"):format(opts.label, opts.bench, pkg)
  end
  -- One profile per benchmark: a process writes one memory profile, of
  -- everything it ran.
  gorun.read("mkdir -p " .. gorun.q(w .. "/profiles"))
  local index = {}
  for i, name in ipairs(side.names) do
    local path = ("%s/profiles/%d.pb.gz"):format(w, i)
    say("%s: profiling %s (%d/%d)", opts.label, name, i, #side.names)
    rc = gobuild.run_benchmarks { binary = side.binary, dir = opts.dir,
      bench = gobuild.bench_pattern((name:gsub("%-%d+$", ""))), count = 1, benchtime = opts.benchtime,
      memprofile = path, memprofilerate = opts.memprofilerate }
    if rc ~= 0 then
      return nil, ("%s: the profile run of %s failed (exit status %d)"):format(opts.label, name, rc)
    end
    side.profiles[name] = path
    index[#index + 1] = name .. "\t" .. ("%d.pb.gz"):format(i)
  end
  -- which profile is which benchmark's, for what reads a --keep directory
  local idx = io.open(w .. "/profiles/index.txt", "wb")
  if idx then idx:write(table.concat(index, "\n"), "\n"); idx:close() end
  return side
end

return M
