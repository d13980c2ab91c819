--- `perf script` output of Go programs: samples, call graphs, events,
-- data addresses, re-symbolized through the Go binary's own tables.
--
--   local p = assert(ge.perf.open("perf.txt"))          -- perf script > perf.txt
--   local bin = assert(ge.binary.open("./prog"))
--   local s = assert(p:symbolize(bin))                  -- {samples, samples_resolved, ...}
--   for smp in p:each{event = "cpu-clock"} do print(smp.period, smp.frames[1].go[1].func) end
--   local prof = assert(p:pprof{event = "cpu-clock"})   -- a ge.profile: top, flame, hotspots
--
-- A sample is {comm, pid, tid, cpu?, time (ns)?, event, period, addr?,
-- addr_sym?, addr_dso?, addr_off?, data_src?, weight?, trace?, frames}; a
-- frame {ip, sym, off, dso, vaddr?, go?}: ip is the hex column as perf
-- printed it, vaddr the binary's link address it stands for, go the Go
-- frames at it (innermost first, inlined ones before their function:
-- {func, file, line, inlined}), both after p:symbolize. Reading, the
-- symbolization and the profile run in C (src/perf/). Opened with
-- {aggregate = true}, samples that differ only in what profiles do not read
-- (time, pid, tid, cpu, the data address, data_src, weight) are kept as one
-- record with `count` (periods summed; time, tid and address its first's):
-- memory grows with the distinct stacks, not the samples. Opened with
-- {trace = T} (a ge.trace or a path: an execution trace of the same run
-- recorded with GODEBUG=traceallocfree=1), the data addresses in Go's
-- anonymous memory are told apart as heap, goroutine_stack or off_heap by
-- what they were at the sample's time (see p:data).
local core = require "goescape.core"
local handle = require "goescape.handle"
local options = require "goescape.options"

local M = {}
local OPEN = { limits = true, aggregate = true, trace = true }
local EACH = { event = true }
local PPROF = { event = true, data = true }
local DATA_CLASS = { heap = 1, global = 2, stack = 3, c_heap = 4, other = 5, goroutine_stack = 6, off_heap = 7 }
local SYMBOLIZE = { dso = true }

local class = handle.class("goescape.perf", "perf script")
local methods = class.methods
M.is_perf = class.is

local function attach(h, err, code, name)
  if not h then return nil, err, code end
  return class.attach(h, { name = name })
end

-- The options of open and parse checked; the heap map of opts.trace (a
-- trace handle or a path), or nil, err, code when the trace cannot give one.
local function open_opts(opts, fname)
  opts = options(opts, OPEN, fname)
  if opts.aggregate ~= nil and type(opts.aggregate) ~= "boolean" then
    error(fname .. ": aggregate must be a boolean", 3)
  end
  local tr = opts.trace
  if tr == nil then return opts end
  local trace = require "goescape.trace"
  if type(tr) ~= "string" and not trace.is_trace(tr) then
    error(fname .. ": trace must be a ge.trace or a path", 3)
  end
  local t = tr
  if type(tr) == "string" then
    local err, code
    t, err, code = trace.open(tr)
    if not t then return nil, err, code end
  end
  local hm, err, code = t:_heapmap()
  if t ~= tr then t:close() end
  if not hm then
    return nil, ("%s: %s"):format(type(tr) == "string" and tr or "trace", err), code
  end
  return opts, hm
end

local function opened(h, err, code, name, hm)
  if hm then hm:close() end
  return attach(h, err, code, name)
end

--- Reads a `perf script` text file ("-" is stdin).
-- @param opts optional {limits = {max_line_bytes =, max_records =, max_inflated_bytes =},
--   aggregate = true (see above), trace = T (see above)}
-- @return the handle, or nil, message, code
function M.open(path, opts)
  if type(path) ~= "string" then error("goescape.perf.open: path must be a string", 2) end
  local o, hm, code = open_opts(opts, "goescape.perf.open")
  if not o then return nil, hm, code end
  local h, err, c2 = core.perf_open(path, o.limits, o.aggregate, hm)
  return opened(h, err, c2, path, hm)
end

--- Reads `perf script` text held in a Lua string (`name` stands for it).
function M.parse(text, name, opts)
  if type(text) ~= "string" then error("goescape.perf.parse: text must be a string", 2) end
  if name ~= nil and type(name) ~= "string" then error("goescape.perf.parse: name must be a string", 2) end
  local o, hm, code = open_opts(opts, "goescape.perf.parse")
  if not o then return nil, hm, code end
  local h, err, c2 = core.perf_parse(text, name or "<string>", o.limits, o.aggregate, hm)
  return opened(h, err, c2, name or "<string>", hm)
end

--- The 0-based index of event `name` (as perf prints it, or without its
-- ":modifiers": "cpu-clock" is "cpu-clock:ppp"), or nil, message.
local function event_index(self, name)
  local evs = self:info().events
  for i, e in ipairs(evs) do if e.name == name then return i - 1 end end
  for i, e in ipairs(evs) do if e.name:match("^[^:]*") == name then return i - 1 end end
  local names = {}
  for _, e in ipairs(evs) do names[#names + 1] = e.name end
  return nil, ("%s: no event %s (events: %s)"):format(self.name or "perf",
    name, #names > 0 and table.concat(names, ", ") or "none")
end

local function event_opt(self, opts, fname)
  if opts.event == nil then return -1 end
  if type(opts.event) ~= "string" then error(fname .. ": event must be a string", 3) end
  return event_index(self, opts.event)
end

--- Iterates the samples (of one event with {event = NAME}), in input order.
-- An unknown event is nil, message, "notfound".
function methods:each(opts)
  opts = options(opts, EACH, "perf:each")
  local ev, err = event_opt(self, opts, "perf:each")
  if not ev then return nil, err, "notfound" end
  local i = 0
  return function()
    local s, nxt = self:_sample(i, ev)
    if s == nil then return nil end
    i = nxt
    return s
  end
end

--- The samples as a list (of one event with {event = NAME}).
function methods:samples(opts)
  local it, err, code = self:each(opts)
  if not it then return nil, err, code end
  local out = {}
  for s in it do out[#out + 1] = s end
  return out
end

--- Gives every frame that lies in the Go binary its link address and Go
-- frames (full paths, lines, inlined frames) from the binary's pclntab:
-- stripped binaries and Go versions whose DWARF perf cannot read work
-- alike. `bin` is a ge.binary handle or a path; {dso = PATH} names the
-- binary as perf printed it (default: any dso of the binary's base name).
-- Returns {frames, resolved, samples, samples_resolved, chain_addresses,
-- ip_addresses}: frames in the binary and those given a Go line, samples
-- with a frame in it and those whose first such frame got one, and how the
-- hex columns were read ("offset", "address", "biased", "unknown").
function methods:symbolize(bin, opts)
  opts = options(opts, SYMBOLIZE, "perf:symbolize")
  if opts.dso ~= nil and type(opts.dso) ~= "string" then error("perf:symbolize: dso must be a string", 2) end
  local binary = require "goescape.binary"
  local own
  if type(bin) == "string" then
    local b, err, code = binary.open(bin)
    if not b then return nil, err, code end
    own, bin = b, b
  elseif not binary.is_binary(bin) then
    error("perf:symbolize: a binary or a path expected", 2)
  end
  local ok, err, code = self:_symbolize(bin, bin.file or "", opts.dso)
  if own then own:close() end
  if not ok then return nil, err, code end
  local info = self:info()
  local b = info.binary
  return { frames = b.frames, resolved = b.resolved, samples = b.samples,
    samples_resolved = b.samples_resolved, chain_addresses = info.chain_addresses,
    ip_addresses = info.ip_addresses }
end

--- The Go binary the samples ran in, found by the path perf printed for
-- it: of the file-backed dsos with samples, most samples first, the first
-- that still opens as a Go binary. Returns a ge.binary handle (the
-- caller's to close) and the dso's name, or nil when none does.
function methods:find_binary()
  local dsos = {}
  for _, d in ipairs(self:info().dsos) do
    if d.name:sub(1, 1) == "/" and d.samples > 0 then dsos[#dsos + 1] = d end
  end
  table.sort(dsos, function(a, b)
    if a.samples ~= b.samples then return a.samples > b.samples end
    return a.name < b.name
  end)
  local binary = require "goescape.binary"
  for _, d in ipairs(dsos) do
    local b = binary.open(d.name) -- nil for a path gone since the recording
    if b and b.go_version then return b, d.name end
    if b then b:close() end
  end
  return nil
end

--- The samples as a ge.profile: one sample type per event (or the one of
-- {event = NAME}), each sample worth its period (ns for cpu-clock and
-- task-clock, counts otherwise), a mapping per dso; Go frames as
-- p:symbolize made them, other frames with perf's symbols. {data = CLASS}
-- keeps the samples whose data address is of that class (see p:data): the
-- instructions whose accesses hit the heap with {data = "heap"}.
function methods:pprof(opts)
  opts = options(opts, PPROF, "perf:pprof")
  local ev, err = event_opt(self, opts, "perf:pprof")
  if not ev then return nil, err, "notfound" end
  local dc = 0
  if opts.data ~= nil then
    dc = DATA_CLASS[opts.data]
    if not dc then
      error("perf:pprof: data must be heap, goroutine_stack, off_heap, global, stack, c_heap or other", 2)
    end
  end
  local h, e2, code = self:_pprof(ev, false, dc)
  if not h then return nil, e2, code end
  return require("goescape.profile")._attach(h)
end

--- The events p:allocs counts for {event = E}: E itself, every event of
-- group G for "G:*", and for nil every probe event ("probe_*:" as perf
-- probe names them, "goescape_*:" as ge.perf.record_mallocs does).
-- Returns {{index = 0-based, event = info's event}...}.
function methods:probe_events(event)
  if event ~= nil and type(event) ~= "string" then error("perf:probe_events: event must be a string", 2) end
  local out = {}
  local group = event and event:match("^(.-):%*$")
  for i, e in ipairs(self:info().events) do
    local g = e.name:match("^([^:]*):")
    if (event == nil and g and (g:match("^probe_") or g:match("^goescape_")))
        or (group and g == group) or e.name == event then
      out[#out + 1] = { index = i - 1, event = e }
    end
  end
  return out
end

--- The samples of allocation probes as an exact allocation profile
-- (every allocation, not a sample): alloc_objects/count and
-- alloc_space/bytes, the bytes read from each sample's "size=" field, a
-- stack's leading runtime frames left out (cost on the line that
-- allocates, as in Go's heap profiles).
-- The probes: ge.perf.record_mallocs (or `goescape perf --mallocs --run`)
-- sets them up; by hand, as doc/perf.md says:
--   perf probe -x ./prog 'mallocgc=runtime.mallocgc size=%ax:u64'
--   perf record -g -e probe_prog:mallocgc ./prog; perf script > mallocs.txt
-- {event = NAME}: one probe's event, or "GROUP:*" every event of a group
-- (default: every probe event, "probe_*:" and "goescape_*:": a newer
-- runtime allocates through several entry points, one probe each).
function methods:allocs(opts)
  opts = options(opts, EACH, "perf:allocs")
  if opts.event ~= nil and type(opts.event) ~= "string" then error("perf:allocs: event must be a string", 2) end
  local evs = {}
  for k, pe in ipairs(self:probe_events(opts.event)) do evs[k] = pe.index end
  if #evs == 0 then
    if opts.event then return nil, ("%s: no event %s"):format(self.name or "perf", opts.event), "notfound" end
    return nil, ("%s: no probe event (goescape perf --mallocs --run CMD sets probes up; see doc/perf.md)")
      :format(self.name or "perf"), "notfound"
  end
  local h, e2, code = self:_pprof(evs, true)
  if not h then return nil, e2, code end
  return require("goescape.profile")._attach(h)
end

--- Where the data addresses of the samples (page-faults -d, mem-loads,
-- mem-stores) point, by the mapping perf resolved each in: "heap" (Go's
-- arenas: anonymous memory, the heap and goroutine stacks alike), "global"
-- (a file's data: the binary's globals, with perf's symbol), "stack" (the
-- main thread's), "c_heap" (brk: C's malloc), "other". Opened with {trace
-- = T}, Go's anonymous memory is "heap" (a span of heap objects),
-- "goroutine_stack" or "off_heap" (neither: the runtime's own memory, GC
-- work buffers, idle stack spans, cgo's mmap), and heap_map says how the
-- samples met the trace ({samples, outside (timed outside the trace: the
-- state at its start or end), behind, full}). Returns {classes = {heap =
-- {samples, period}, ...}, globals = {{sym, dso, samples, period}...}
-- (hottest first), heap_map?} for all samples or those of {event = NAME}.
function methods:data(opts)
  opts = options(opts, EACH, "perf:data")
  local ev, err = event_opt(self, opts, "perf:data")
  if not ev then return nil, err, "notfound" end
  local d = self:_data(ev)
  local globals = {}
  for _, g in pairs(d.globals) do globals[#globals + 1] = g end
  table.sort(globals, function(a, b)
    if a.period ~= b.period then return a.period > b.period end
    if a.sym ~= b.sym then return a.sym < b.sym end
    return a.dso < b.dso
  end)
  return { classes = d.classes, globals = globals, heap_map = self:info().heap_map }
end

--- Records every allocation of a Go program run by the shell command line
-- cmd, through perf uprobes set up for the recording and removed after it
-- (goescape.perf_record): {script, binary, probes, group, status, dir} or
-- nil, err, code. Open the script and call p:allocs() on it.
function M.record_mallocs(cmd, opts)
  return require("goescape.perf_record").mallocs(cmd, opts)
end

M.Perf = methods
return M
