--- Memory over time: GC traces (GODEBUG=gctrace=1,scavtrace=1), MemStats
-- snapshots (heap?debug=1, /debug/vars, runtime/metrics) and the answer to
-- "why does RSS grow" (ge.analysis.rss, also ge.memory.rss).
--
--   local snap = assert(ge.memory.memstats(text, "heap.txt"))   -- or memstats_open(path)
--   print(snap.source, snap.HeapAlloc, snap.HeapIdle - snap.HeapReleased)
--   local gt = assert(ge.memory.gctrace_open("gc.txt"))         -- or gctrace_parse(text, name)
--   for _, c in ipairs(gt.cycles) do print(c.n, c.t, c.heap_live, c.goal, c.forced) end
--   print(gt.summary.gc_count, gt.summary.gc_cpu, gt.summary.pause_p99)
--
-- See doc/memory.md for every field.
local core = require "goescape.core"
local options = require "goescape.options"

local M = {}

local function read_file(path, fname)
  if type(path) ~= "string" then
    error(("bad argument #1 to '%s' (path expected, got %s)"):format(fname, type(path)), 3)
  end
  local f, err
  if path == "-" then f = io.stdin else f, err = io.open(path, "rb") end
  if not f then return nil, tostring(err), "io" end
  local text, rerr = f:read("*a")
  if f ~= io.stdin then f:close() end
  if not text then return nil, path .. ": " .. tostring(rerr), "io" end
  return text
end
M._read_file = read_file

--- One MemStats snapshot from `/debug/pprof/heap?debug=1` text, `/debug/vars`
-- JSON or a runtime/metrics dump (`NAME VALUE` lines), told apart by their
-- content: a table keyed by MemStats field names plus `source` ("pprof",
-- "expvar", "metrics") and `name`; or nil, err, "format".
function M.memstats(text, name)
  return require("goescape.memory.memstats").parse(text, name)
end

--- memstats of a file ("-": stdin); nil, err, "io" when it cannot be read.
-- A live service's URL is fetched (goescape.remote: host:port means
-- /debug/pprof/heap?debug=1; /debug/vars as it is; doc/live.md).
function M.memstats_open(path)
  local remote = require "goescape.remote"
  if type(path) == "string" and remote.url(path, "memstats") ~= nil then
    return remote.open(path, "memstats", nil, M.memstats)
  end
  local text, err, code = read_file(path, "memstats_open")
  if not text then return nil, err, code end
  return require("goescape.memory.memstats").parse(text, path == "-" and "<stdin>" or path)
end

--- Why RSS grows: ge.analysis.rss (see lua/goescape/analysis/rss.lua).
function M.rss(opts) return require("goescape.analysis.rss")(opts) end

local GCTRACE = { limits = true, strict = true }

local function with_summary(t, err, code)
  if not t then return nil, err, code end
  t.summary = require("goescape.memory.summary").summarize(t)
  return t
end

--- A GC log (the stderr of a program run with GODEBUG=gctrace=1, and
-- scavtrace=1): {cycles = {...}, scav = {...}, summary = {...}, inputs,
-- runs, lines, skipped, malformed, warnings}; or nil, err, code. Lines that
-- are neither are skipped (counted in `skipped`); a line that starts like
-- one and does not read as one is counted in `malformed` with its message
-- in `warnings` (with {strict = true} it is the error).
-- @param paths a path ("-": stdin) or a list of paths (each its own run)
-- @param opts optional {limits = {max_line_bytes =, max_records =}, strict = bool}
function M.gctrace_open(paths, opts)
  if type(paths) ~= "string" and type(paths) ~= "table" then
    error("bad argument #1 to 'gctrace_open' (path or list of paths expected)", 2)
  end
  opts = options(opts, GCTRACE, "goescape.memory.gctrace_open")
  return with_summary(core.gctrace_open(paths, opts.limits, opts.strict))
end

--- gctrace_open of a log held in a Lua string (`name` stands for it).
function M.gctrace_parse(text, name, opts)
  if type(text) ~= "string" then error("bad argument #1 to 'gctrace_parse' (string expected)", 2) end
  if name ~= nil and type(name) ~= "string" then
    error("bad argument #2 to 'gctrace_parse' (string expected)", 2)
  end
  opts = options(opts, GCTRACE, "goescape.memory.gctrace_parse")
  return with_summary(core.gctrace_parse(text, name, opts.limits, opts.strict))
end

return M
