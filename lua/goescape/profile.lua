--- goescape.profile: pprof profiles (profile.proto, gzipped or not, and Go's
-- legacy text heap / mutex / block / goroutine / threadcreate profiles).
--
--   local prof = assert(ge.profile.open("heap.pb.gz"))   -- or: local prof <close> = ...
--   prof.sample_types   --> { {type="alloc_objects", unit="count"}, ... }
--   prof:top{by = "line", sample = "alloc_space", n = 20}
--   for s in prof:each_sample() do ... end
--   local sym = assert(prof:symbolize(bin))             -- a new profile; prof unchanged
--
-- A profile is the goescape.core handle itself (goescape.handle): the C
-- methods, the Lua methods below, and read-only attributes. Bad input gives
-- nil, err, code (err names the input and the offset); misuse (wrong
-- argument types, a closed profile) raises. See doc/profile.md.
local core = require "goescape.core"
local handle = require "goescape.handle"
local options = require "goescape.options"
local remote = require "goescape.remote"

local M = {}
local LIMITS = { limits = true }

local class = handle.class("goescape.profile", "profile")
local methods = class.methods
local BINARY = core.metatable("goescape.binary")

-- A new handle with its attributes, or the failure passed on.
local function attach(h, err, code)
  if not h then return nil, err, code end
  local info = h:info()
  local st = info.sample_types
  return class.attach(h, {
    sample_types = st,
    default_sample = st[info.default_sample] and st[info.default_sample].type or nil,
    period = info.period,
    period_type = info.period_type ~= "" and
      { type = info.period_type, unit = info.period_unit } or nil,
    time_nanos = info.time_nanos,
    duration_nanos = info.duration_nanos,
    comments = info.comments,
    drop_frames = info.drop_frames ~= "" and info.drop_frames or nil,
    keep_frames = info.keep_frames ~= "" and info.keep_frames or nil,
    format = info.format,
    nsamples = info.nsamples,
  })
end

local OPEN = { limits = true, timeout = true, connect_timeout = true }

local function open_one(path, opts)
  local url, err, code = remote.url(path, "profile")
  if url == false then return nil, err, code end
  if url then return remote.open(url, "profile", opts, M.parse) end
  return attach(core.profile_open(path, opts.limits))
end

--- Opens a profile file ("-" for stdin) or a live service's URL as `go
-- tool pprof` takes it ("http://host:6060/debug/pprof/heap", "host:6060":
-- see goescape.remote and doc/live.md); a list of them is opened and
-- merged (instances of one service). opts: {limits = {max_inflated_bytes=,
-- max_fetch_bytes=, ...}, timeout =, connect_timeout = (for URLs: ns or
-- "30s")}.
function M.open(path, opts)
  opts = options(opts, OPEN, "goescape.profile.open")
  if type(path) == "table" and path[1] ~= nil then
    for i, p in ipairs(path) do
      if type(p) ~= "string" then error("goescape.profile.open: item " .. i .. " must be a string", 2) end
    end
    local parts = {}
    local function close_all() for _, p in ipairs(parts) do p:close() end end
    for i, p in ipairs(path) do
      local h, err, code = open_one(p, opts)
      if not h then close_all(); return nil, err, code end
      parts[i] = h
    end
    if #parts == 1 then return parts[1] end
    local m, err, code = M.merge(parts)
    close_all()
    return m, err, code
  end
  if type(path) ~= "string" then
    error("goescape.profile.open: path must be a string (a path or URL) or a list of them", 2)
  end
  return open_one(path, opts)
end

--- Decodes a profile held in a string; name is used in error messages.
-- opts: {limits = {...}}.
function M.parse(bytes, name, opts)
  if type(bytes) ~= "string" then error("goescape.profile.parse: bytes must be a string", 2) end
  if name ~= nil and type(name) ~= "string" then
    error("goescape.profile.parse: name must be a string", 2)
  end
  return attach(core.profile_parse(bytes, name or "profile", options(opts, LIMITS, "goescape.profile.parse").limits))
end

--- Merges profiles of the same kind into one (values of equal samples summed).
function M.merge(list)
  if type(list) ~= "table" then error("goescape.profile.merge: a list of profiles expected", 2) end
  local ps = {}
  for i, p in ipairs(list) do
    ps[i] = class.check(p, "goescape.profile.merge: item " .. i)
  end
  if #ps == 0 then error("goescape.profile.merge: at least one profile expected", 2) end
  return attach(core.profile_merge(ps))
end

M.is_profile = class.is
-- For kinds that build a profile handle in C (perf:pprof).
M._attach = attach

--- pprof's sample filters, by the names every query, analysis and command
-- option uses (the C query reads the same names).
M.FILTERS = { "focus", "ignore", "hide", "show", "tagfocus", "tagignore" }

--- A query of opts' sample type and filters, plus `extra` fields: how an
-- analysis passes its caller's filters on to the profile.
function M.query(opts, extra)
  local q = { sample = opts.sample }
  for _, k in ipairs(M.FILTERS) do q[k] = opts[k] end
  for k, v in pairs(extra or {}) do q[k] = v end
  return q
end

-- A sample type given as digits ("2", from the command line) is the same
-- 1-based index as the number 2: one meaning for both.
local function index_of(s)
  if type(s) == "string" and s:match("^%d+$") then return tonumber(s) end
  return s
end

-- Query table for the C side; sample may be a name or a 1-based index (C
-- takes 0-based ones).
local function query(q, what)
  if q ~= nil and type(q) ~= "table" then error(what .. ": options table expected", 3) end
  q = q or {}
  local c = { by = q.by }
  for _, k in ipairs(M.FILTERS) do c[k] = q[k] end
  local s = index_of(q.sample)
  if type(s) == "number" then
    if s ~= s or s < 1 or s ~= math.floor(s) then
      error(what .. ": sample index must be a whole number >= 1 (1 is the first type)", 3)
    end
    c.sample = s - 1
  else
    c.sample = s
  end
  for _, f in ipairs { "tagfocus", "tagignore" } do
    if q[f] ~= nil and type(q[f]) ~= "string" then
      error(what .. ": " .. f .. " must be a string ('[key=]regexp' or '[key=]range')", 3)
    end
  end
  return c, q.n
end

-- C methods (goescape.core), kept by this module's methods of the same name.
local top_c, folded_c, flame_c = methods.top, methods.folded, methods.flame
local diff_c, write_c, symbolize_c = methods.diff, methods.write, methods.symbolize

-- From C as they are: info(), samples() / locations() / functions() /
-- mappings() (lists, for random access), each_sample() / each_location()
-- (iterators: one record per step, nothing built to be walked), encode(gzip),
-- close(). Records: see doc/profile.md.

--- Rows like `go tool pprof -top`: { {name=, func=, file=, line=, flat=, cum=} ... },
-- sorted by flat; opts: by ("function"|"line"|"file"|"stack"), sample (name or
-- 1-based index; default: the profile's default), n (0/nil: all), focus, ignore,
-- hide, show (regular expressions), tagfocus / tagignore ("key=regexp").
-- Returns rows, total (sum of the selected values), report_total (what `go
-- tool pprof` takes percentages of: every sample's |value| before
-- focus/ignore, the base's alone for a diff), or nil, err.
function methods:top(opts)
  local q, n = query(opts, "profile:top")
  local rows, total, report_total = top_c(self, q)
  if not rows then return nil, total, report_total end
  if n and n > 0 and #rows > n then
    for i = #rows, n + 1, -1 do rows[i] = nil end
  end
  return rows, total, report_total
end

--- Folded stacks ("root;caller;leaf value" lines) for flame graphs.
function methods:folded(opts)
  return folded_c(self, (query(opts, "profile:folded")))
end

--- The call tree for flame graphs, computed in C from the samples (the
-- tree of p:folded's lines without building them): { name = opts.root or
-- "all", value = total, self = 0, children = { {name=, value= (cum), self=,
-- children=}... }, nodes = kept nodes, dropped = children left out, min = }.
-- Children are sorted by value (descending), then name. opts: sample, the
-- filters, min (default 0.001): a child whose |value| is under min times
-- the sum of |stack values| is left out with its subtree (its value stays
-- in the parent's value, not in the parent's self). nil, err on bad input.
function methods:flame(opts)
  local q = query(opts, "profile:flame")
  local min = opts and opts.min or 0.001
  if type(min) ~= "number" or min < 0 or min > 1 then
    error("profile:flame: min must be a number in [0, 1]", 2)
  end
  local root, nodes, dropped = flame_c(self, q, min)
  if not root then return nil, nodes, dropped end
  root.name = opts and opts.root or "all"
  root.nodes, root.dropped, root.min = nodes, dropped, min
  return root
end

--- The difference self - base, as `go tool pprof -diff_base=base` computes it.
function methods:diff(base)
  class.check(base, "profile:diff: base")
  return attach(diff_c(self, base))
end

--- Writes a gzipped profile.proto; true or nil, err.
function methods:write(path)
  if type(path) ~= "string" then error("profile:write: path must be a string", 2) end
  return write_c(self, path)
end

--- A new profile whose address-only locations have functions and lines
-- (the receiver is unchanged), or nil, err, code. resolver: a ge.binary
-- (looked up in C, in one batch), a function (address) -> { {func=, file=,
-- line=, inlined=}... } (innermost first) or nil, or an object with
-- :lookup(address) returning the same.
function methods:symbolize(resolver)
  local arg = resolver
  if type(resolver) ~= "function" and getmetatable(resolver) ~= BINARY then
    local ok, lookup = pcall(function() return resolver.lookup end)
    if not ok or type(lookup) ~= "function" then
      error("profile:symbolize: a binary, a function or an object with :lookup expected", 2)
    end
    arg = function(addr) return lookup(resolver, addr) end
  end
  return attach(symbolize_c(self, arg))
end

--- The index (1-based) and description of a sample type by name, or the default.
function methods:sample_type(name)
  name = index_of(name)
  local want = name or self.default_sample
  for i, st in ipairs(self.sample_types) do
    if st.type == want then return i, st end
  end
  if type(name) == "number" and self.sample_types[name] then return name, self.sample_types[name] end
  return nil, "sample type " .. tostring(name) .. " not found"
end

M.Profile = methods
return M
