--- Go execution traces (runtime/trace, go test -trace, /debug/pprof/trace,
-- the flight recorder): the v2 format of Go 1.22 through 1.27.
--
--   local t = assert(ge.trace.open("trace.out"))    -- or "-" for stdin
--   t.go_version, t.generations, t.goroutines, t.gc_cycles, t.warning
--   t:summary()                                      -- counts by event type
--   t:count{type = "GoStart", g = 8}                 -- filtered in C, no tables
--   for ev in t:each{type = "HeapAlloc", g = 8, from = ns, to = ns} do
--     print(ev.time, ev.g, ev.args.heapalloc_value)
--   end
--   t:heap()                  -- {{type, time, heap_alloc, heap_goal, g}...}
--   t:gc()                    -- {cycles = {...}, stw = {...}, totals = {...}}
--   for g in t:each_goroutine() do print(g.id, g.func, g.running, g.blocked_by) end
--
-- Events are tables: type (the name `go tool trace -d=wire` prints), time
-- (ns), gen, g, p, m (absent when none), args by wire name (string ids
-- resolved and named without "_string": reason, name, key, value, kind,
-- label), stack (the event's stack, innermost frame first: {func=, file=,
-- line=, pc=}). Decoding, time ordering and filtering run in C.
local core = require "goescape.core"
local handle = require "goescape.handle"
local options = require "goescape.options"
local remote = require "goescape.remote"

local M = {}
local LIMITS = { limits = true }
local OPEN = { limits = true, timeout = true, connect_timeout = true }
local FILTER = { type = true, g = true, from = true, to = true }

local class = handle.class("goescape.trace", "trace")
local methods = class.methods

-- The attributes of a trace are its info (go_version, generations,
-- goroutines, gc_cycles, events, bytes, start, end, warning, lost_bytes).
local function attach(t, err, code)
  if not t then return nil, err, code end
  return class.attach(t, t:info())
end

--- Opens a trace file ("-" reads stdin) and decodes it once, generation by
-- generation. A trace cut off inside a generation keeps its complete
-- generations and says what was lost in `t.warning`.
-- @param path a path, or "-"
-- @param opts optional {limits = {...}}
-- @return trace, or nil, error message, error code
-- A live service's URL is fetched (`/debug/pprof/trace?seconds=N`; a bare
-- "host:port" means that path: see goescape.remote and doc/live.md); opts
-- then also take timeout and connect_timeout (ns or "30s").
function M.open(path, opts)
  if type(path) ~= "string" then error("bad argument #1 to 'open' (path expected)", 2) end
  opts = options(opts, OPEN, "goescape.trace.open")
  local url, err, code = remote.url(path, "trace")
  if url == false then return nil, err, code end
  if url then return remote.open(url, "trace", opts, M.parse) end
  return attach(core.trace_open(path, opts.limits))
end

--- Decodes a trace held in a Lua string (`name` stands for it in messages).
function M.parse(bytes, name, opts)
  if type(bytes) ~= "string" then error("bad argument #1 to 'parse' (string expected)", 2) end
  return attach(core.trace_parse(bytes, name, options(opts, LIMITS, "goescape.trace.parse").limits))
end

--- t:gens() (C): one row per complete generation: {gen=, offset=, size=,
-- freq=, events=, start=, end=}.

--- t:heap(), t:gc(), t:each_goroutine() (C, src/lua/ltrace_model.c: one
-- walk of the events each): the heap timeline, GC cycles and pauses, and
-- each goroutine's life; see doc/trace.md.

--- t:lifetimes() (C, src/lua/ltrace_allocfree.c): heap objects by type in a
-- trace recorded with GODEBUG=traceallocfree=1, largest bytes first; nil,
-- err, "notfound" for any other trace; see doc/trace.md.

--- The event table: {{name=, id=, event = true|false, args = {names}}...}.
function M.types() return core.trace_types() end

--- Iterates over the events in time order (generation by generation),
-- filtered in C: type (a name or a list of names), g (goroutine id), from
-- and to (ns, inclusive).
function methods:each(filter)
  if filter ~= nil then options(filter, FILTER, "trace:each") end
  return self:iter(filter)
end

local count_c = methods.count
--- The number of events that pass the filter (as each's), counted in C:
-- the full decode and goroutine attribution without a table per event.
function methods:count(filter)
  if filter ~= nil then options(filter, FILTER, "trace:count") end
  return count_c(self, filter)
end

--- One table of what the trace holds: go_version, generations, goroutines,
-- gc_cycles, events (name -> count for every event type that occurs),
-- tables (batch and table markers: EventBatch, Strings, String, Stacks,
-- Stack, CPUSamples, Sync, ExperimentalBatch, EndOfGeneration), total
-- (events in all), bytes, start, end, duration (ns), and warning /
-- lost_bytes for a cut-off trace.
function methods:summary()
  local info, counts = self:info(), self:counts()
  return {
    go_version = info.go_version,
    generations = info.generations,
    goroutines = info.goroutines,
    gc_cycles = info.gc_cycles,
    events = counts.events,
    tables = counts.tables,
    total = info.events,
    bytes = info.bytes,
    start = info.start,
    ["end"] = info["end"],
    duration = info["end"] - info.start,
    max_generation_bytes = info.max_generation_bytes,
    warning = info.warning,
    lost_bytes = info.warning and info.lost_bytes or nil,
  }
end

--- t:tasks(), t:regions(), t:logs() (C, src/lua/ltrace_annot.c: one walk
-- each): the user annotations, paired as Go's reader pairs them; see
-- doc/trace.md.

local GROWTH = { by = true }
local growth_c = methods.growth
--- The heap growth charged to goroutines, regions or tasks (by =
-- "goroutine", the default, "region" or "task"): rows ranked by growth,
-- {g | region, task, task_name | task, name; growth, freed, samples, first,
-- last}, an `unattributed` row for growth outside any region (or on no
-- goroutine). The rule is in doc/trace.md.
function methods:growth(opts)
  if opts ~= nil then options(opts, GROWTH, "trace:growth") end
  return growth_c(self, opts and opts.by)
end

local TIMELINE = { buckets = true, from = true, to = true }
local timeline_c = methods.timeline
--- The trace in buckets over time (C, src/lua/ltrace_timeline.c: one walk):
-- heap and goal per bucket (first, min, max, last, n), goroutines running
-- and runnable (ns summed, most at once), GC cycles and pauses. opts:
-- buckets (default 1000), from, to (ns; default the trace's start and end).
function methods:timeline(opts)
  opts = options(opts, TIMELINE, "trace:timeline")
  local info = self:info()
  return timeline_c(self, opts.from or info.start, opts.to or info["end"], opts.buckets or 1000)
end

local PPROF = { sched = true, sync = true, net = true, syscall = true, cpu = true }
local PPROF_OPTS = { period = true }
M.PPROF = { "sched", "sync", "net", "syscall", "cpu" }

--- A profile of the trace (a goescape profile handle: prof:top,
-- prof:folded, prof:write...), or nil, err, code. kind: "sched" (time
-- runnable), "sync" (blocked on channels, select, sync), "net" (blocked on
-- the network), "syscall" (in syscalls) -- `go tool trace -pprof=kind`'s
-- contentions/count and delay/nanoseconds by stack -- or "cpu" (the trace's
-- CPU samples: samples/count and cpu/nanoseconds, opts.period ns a sample,
-- default 10 ms). Walked in C, one pass over the events.
function methods:pprof(kind, opts)
  if type(kind) ~= "string" or not PPROF[kind] then
    error(("trace:pprof: unknown profile type %s (sched, sync, net, syscall, cpu)"):format(tostring(kind)), 2)
  end
  opts = options(opts, PPROF_OPTS, "trace:pprof")
  if opts.period ~= nil and (type(opts.period) ~= "number" or opts.period <= 0) then
    error("trace:pprof: period must be a positive number of ns", 2)
  end
  local bytes, err, code = self:_pprof(kind, opts.period)
  if not bytes then return nil, err, code end
  return require("goescape.profile").parse(bytes, ("%s (%s)"):format(self.name or "trace", kind))
end

M.Trace = methods
M.is_trace = class.is
return M
