--- One side of `goescape bench`: each package's test binary built with
-- -m=2, its benchmarks run with -benchmem, and a memory profile per
-- benchmark. The command composes two of these (the change and --against)
-- and the benchdiff analysis joins them.
local gorun = require "goescape.gorun"
local gobuild = require "goescape.gobuild"

local M = {}
local q = gorun.q

--- Progress lines on stderr (GOESCAPE_PROGRESS=0 or quiet: none).
function M.progress(quiet)
  if quiet or os.getenv("GOESCAPE_PROGRESS") == "0" then return function() end end
  return function(fmt, ...)
    io.stderr:write("goescape: ", fmt:format(...), "\n")
    io.stderr:flush()
  end
end

--- The packages with test files that `patterns` name in dir: {{path =
-- import path, dir = directory}...}, or nil, err (go list's own errors
-- reach stderr).
function M.packages(go, dir, patterns)
  local pats = {}
  for i, p in ipairs(patterns) do pats[i] = q(p) end
  local out, rc = gorun.read(("cd %s && %s list -f %s %s"):format(q(dir), gorun.go_command(go),
    q("{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}\t{{.Dir}}{{end}}"), table.concat(pats, " ")))
  if rc ~= 0 then return nil, ("go list %s failed (exit status %d)"):format(table.concat(patterns, " "), rc) end
  local pkgs = {}
  for line in out:gmatch("[^\n]+") do
    local path, d = line:match("^(.-)\t(.+)$")
    if path then pkgs[#pkgs + 1] = { path = path, dir = d } end
  end
  return pkgs
end

-- Writes the files' contents into one file, through merge(texts) if given.
local function concat(paths, into, merge)
  local texts = {}
  for _, p in ipairs(paths) do
    local f = io.open(p, "rb")
    if f then texts[#texts + 1] = f:read("*a"); f:close() end
  end
  local out = assert(io.open(into, "wb"))
  out:write(merge and merge(texts) or table.concat(texts))
  out:close()
end

-- Builds package i and runs its benchmarks; appends its benchmarks to side.
local function one_package(opts, side, pkg, i, say)
  local w = opts.work
  local bin, log, res = ("%s/%d.test"):format(w, i), ("%s/%d.log"):format(w, i), ("%s/%d.txt"):format(w, i)
  say("%s: building %s (go test -c, -m=2)", opts.label, pkg.path)
  -- -trimpath: the two sides' paths (a worktree in a temporary directory,
  -- the checkout) are then the same in logs, binaries and profiles, so
  -- that lines and functions of one side meet those of the other.
  local rc, err = gobuild.build { go = opts.go, dir = opts.dir, packages = opts.patterns,
    modules = opts.modules, test = true, output = bin, log = log, flags = "-trimpath", target = pkg.path }
  if not rc then return nil, err end
  if rc ~= 0 then return nil, ("%s: go test -c %s failed (exit status %d)"):format(opts.label, pkg.path, rc) end
  side.logs[#side.logs + 1], side.result_files[#side.result_files + 1] = log, res
  say("%s: running %s benchmarks %s (-count %d%s)", opts.label, pkg.path, opts.bench, opts.count,
    opts.benchtime and (", -benchtime " .. opts.benchtime) or "")
  rc = gobuild.run_benchmarks { binary = bin, dir = pkg.dir, bench = opts.bench,
    count = opts.count, benchtime = opts.benchtime, output = res }
  if rc ~= 0 then
    return nil, ("%s: the benchmarks of %s failed (exit status %d; output in %s)"):format(opts.label,
      pkg.path, rc, res)
  end
  local set
  set, err = require("goescape").bench.open(res)
  if not set then return nil, err end
  local seen = {}
  for r in set:each() do
    if not seen[r.name] then
      seen[r.name] = true
      side.benchmarks[#side.benchmarks + 1] = { name = r.name, package = pkg, binary = bin }
    end
  end
  set:close()
  return true
end

--- Builds and runs one side. opts: dir (the checkout where the patterns
-- are read), packages (go's patterns; default "."), modules, go, work (a
-- directory for the outputs), bench, count, benchtime, memprofilerate,
-- label, say (progress). Returns {dir=, log=, results=, set=,
-- benchmarks = {{name=, key=, package=, binary=, profile=}...}, profiles =
-- {key -> path}}, or nil, err. A benchmark's key is its name as results
-- print it, with its package's import path and a space before it when
-- several packages run. In work: escape.log and bench.txt (all packages),
-- N.test, N.log, N.txt per package, profiles/N.pb.gz and
-- profiles/index.txt ("KEY<tab>N.pb.gz" lines).
function M.run(opts)
  local ge = require "goescape"
  local say = opts.say or function() end
  local w = opts.work
  opts.patterns = (opts.packages and #opts.packages > 0) and opts.packages or { "." }
  local side = { dir = opts.dir, log = w .. "/escape.log", results = w .. "/bench.txt",
    profiles = {}, benchmarks = {}, logs = {}, result_files = {} }
  local pkgs, err = M.packages(opts.go, opts.dir, opts.patterns)
  if not pkgs then return nil, ("%s: %s"):format(opts.label, err) end
  if #pkgs == 0 then
    return nil, ("%s: %s has no test files: no benchmarks to run"):format(opts.label,
      table.concat(opts.patterns, " "))
  end
  for i, pkg in ipairs(pkgs) do
    local ok
    ok, err = one_package(opts, side, pkg, i, say)
    if not ok then return nil, err end
  end
  concat(side.logs, side.log, gobuild.merge_logs)
  concat(side.result_files, side.results)
  if #side.benchmarks == 0 then
    return nil, ("%s: -bench %s matched no benchmark in %s"):format(opts.label, opts.bench,
      table.concat(opts.patterns, " "))
  end
  side.set, err = ge.bench.open(side.results)
  if not side.set then return nil, err end
  -- One profile per benchmark: a process writes one memory profile, of
  -- everything it ran.
  gorun.read("mkdir -p " .. q(w .. "/profiles"))
  local index = {}
  for i, b in ipairs(side.benchmarks) do
    local path = ("%s/profiles/%d.pb.gz"):format(w, i)
    b.key = #pkgs > 1 and (b.package.path .. " " .. b.name) or b.name
    say("%s: profiling %s (%d/%d)", opts.label, b.key, i, #side.benchmarks)
    local rc = gobuild.run_benchmarks { binary = b.binary, dir = b.package.dir,
      bench = gobuild.bench_pattern((b.name:gsub("%-%d+$", ""))), count = 1, benchtime = opts.benchtime,
      memprofile = path, memprofilerate = opts.memprofilerate }
    if rc ~= 0 then
      return nil, ("%s: the profile run of %s failed (exit status %d)"):format(opts.label, b.key, rc)
    end
    b.profile = path
    side.profiles[b.key] = path
    index[#index + 1] = b.key .. "\t" .. ("%d.pb.gz"):format(i)
  end
  -- which profile is which benchmark's, for what reads a --keep directory
  local idx = io.open(w .. "/profiles/index.txt", "wb")
  if idx then idx:write(table.concat(index, "\n"), "\n"); idx:close() end
  return side
end

return M
