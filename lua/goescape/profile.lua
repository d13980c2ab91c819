--- goescape.profile: pprof profiles (profile.proto, gzipped or not, and Go's
-- legacy text heap / mutex / block / goroutine / threadcreate profiles).
--
--   local prof = assert(ge.profile.open("heap.pb.gz"))
--   prof.sample_types   --> { {type="alloc_objects", unit="count"}, ... }
--   prof:top{by = "line", sample = "alloc_space", n = 20}
--
-- Bad input gives nil, err (err names the input and the offset); misuse
-- (wrong argument types) raises. See doc/profile.md.
local core = require "goescape.core"
local options = require "goescape.options"

local M = {}
local LIMITS = { limits = true }

local Profile = {}
Profile.__index = Profile

local function wrap(h, err, code)
  if not h then return nil, err, code end
  local info = h:info()
  local self = setmetatable({
    _h = h,
    sample_types = info.sample_types,
    default_sample = info.sample_types[info.default_sample] and
      info.sample_types[info.default_sample].type or nil,
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
  }, Profile)
  return self
end

--- Opens a profile file ("-" for stdin). opts: {limits = {max_inflated_bytes=, ...}}.
function M.open(path, opts)
  if type(path) ~= "string" then error("goescape.profile.open: path must be a string", 2) end
  return wrap(core.profile_open(path, options(opts, LIMITS, "goescape.profile.open").limits))
end

--- Decodes a profile held in a string; name is used in error messages.
-- opts: {limits = {...}}.
function M.parse(bytes, name, opts)
  if type(bytes) ~= "string" then error("goescape.profile.parse: bytes must be a string", 2) end
  if name ~= nil and type(name) ~= "string" then
    error("goescape.profile.parse: name must be a string", 2)
  end
  return wrap(core.profile_parse(bytes, name or "profile", options(opts, LIMITS, "goescape.profile.parse").limits))
end

local function handles(list, what)
  if type(list) ~= "table" then error(what .. ": a list of profiles expected", 3) end
  local hs = {}
  for i, p in ipairs(list) do
    if getmetatable(p) ~= Profile then error(what .. ": item " .. i .. " is not a profile", 3) end
    hs[i] = p._h
  end
  return hs
end

--- Merges profiles of the same kind into one (values of equal samples summed).
function M.merge(list)
  local hs = handles(list, "goescape.profile.merge")
  if #hs == 0 then error("goescape.profile.merge: at least one profile expected", 2) end
  return wrap(core.profile_merge(hs))
end

function M.is_profile(v) return getmetatable(v) == Profile end

--- pprof's sample filters, by the names every query, analysis and command
-- option uses.
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

-- Query table for the C side; sample may be a name or a 1-based index.
local function query(q, what)
  if q ~= nil and type(q) ~= "table" then error(what .. ": options table expected", 3) end
  q = q or {}
  local c = {
    by = q.by, focus = q.focus, ignore = q.ignore, hide = q.hide, show = q.show,
  }
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
  c.tag_focus, c.tag_ignore = q.tagfocus, q.tagignore
  return c, q.n
end

--- The samples: { {values={...}, locations={id...}, labels={k=v}, num_labels={k={n...}},
-- num_units={k={unit...}} }, ... } in profile order.
function Profile:samples() return self._h:samples() end
--- Locations: { {id=, address=, mapping=, is_folded=, lines={ {func=, file=, line=, column=} } } }
function Profile:locations() return self._h:locations() end
function Profile:functions() return self._h:functions() end
function Profile:mappings() return self._h:mappings() end

--- Rows like `go tool pprof -top`: { {name=, func=, file=, line=, flat=, cum=} ... },
-- sorted by flat; opts: by ("function"|"line"|"file"|"stack"), sample (name or
-- 1-based index; default: the profile's default), n (0/nil: all), focus, ignore,
-- hide, show (regular expressions), tagfocus / tagignore ("key=regexp").
-- Returns rows, total (sum of the selected values), report_total (what `go
-- tool pprof` takes percentages of: every sample's |value| before
-- focus/ignore, the base's alone for a diff), or nil, err.
function Profile:top(opts)
  local q, n = query(opts, "profile:top")
  local rows, total, report_total = self._h:top(q)
  if not rows then return nil, total, report_total end
  if n and n > 0 and #rows > n then
    for i = #rows, n + 1, -1 do rows[i] = nil end
  end
  return rows, total, report_total
end

--- Folded stacks ("root;caller;leaf value" lines) for flame graphs.
function Profile:folded(opts)
  local q = query(opts, "profile:folded")
  return self._h:folded(q)
end

--- The call tree for flame graphs, computed in C from the samples (the
-- tree of p:folded's lines without building them): { name = opts.root or
-- "all", value = total, self = 0, children = { {name=, value= (cum), self=,
-- children=}... }, nodes = kept nodes, dropped = children left out, min = }.
-- Children are sorted by value (descending), then name. opts: sample, the
-- filters, min (default 0.001): a child whose |value| is under min times
-- the sum of |stack values| is left out with its subtree (its value stays
-- in the parent's value, not in the parent's self). nil, err on bad input.
function Profile:flame(opts)
  local q = query(opts, "profile:flame")
  local min = opts and opts.min or 0.001
  if type(min) ~= "number" or min < 0 or min > 1 then
    error("profile:flame: min must be a number in [0, 1]", 2)
  end
  local root, nodes, dropped = self._h:flame(q, min)
  if not root then return nil, nodes, dropped end
  root.name = opts and opts.root or "all"
  root.nodes, root.dropped, root.min = nodes, dropped, min
  return root
end

--- The difference self - base, as `go tool pprof -diff_base=base` computes it.
function Profile:diff(base)
  if getmetatable(base) ~= Profile then error("profile:diff: base must be a profile", 2) end
  return wrap(self._h:diff(base._h))
end

--- Writes a gzipped profile.proto; true or nil, err.
function Profile:write(path)
  if type(path) ~= "string" then error("profile:write: path must be a string", 2) end
  return self._h:write(path)
end

--- The encoded profile.proto as a string (gzipped unless gzip == false).
function Profile:encode(gzip) return self._h:encode(gzip ~= false) end

--- Fills function/line info of address-only locations. resolver: a function
-- (address) -> { {func=, file=, line=, inlined=}... } (innermost first) or nil,
-- or an object with :lookup(address) returning the same (e.g. a ge.binary).
function Profile:symbolize(resolver)
  local fn = resolver
  if type(resolver) ~= "function" then
    local ok, lookup = pcall(function() return resolver.lookup end)
    if not ok or type(lookup) ~= "function" then
      error("profile:symbolize: a function or an object with :lookup expected", 2)
    end
    fn = function(addr) return lookup(resolver, addr) end
  end
  local ok, err, code = self._h:symbolize(fn)
  if not ok then return nil, err, code end
  return self
end

function Profile:close() self._h:close() end
-- `local p <close> = ge.profile.open(...)` (Lua 5.4); the C handle inside
-- frees itself when collected.
Profile.__close = Profile.close

--- The index (1-based) and description of a sample type by name, or the default.
function Profile:sample_type(name)
  name = index_of(name)
  local want = name or self.default_sample
  for i, st in ipairs(self.sample_types) do
    if st.type == want then return i, st end
  end
  if type(name) == "number" and self.sample_types[name] then return name, self.sample_types[name] end
  return nil, "sample type " .. tostring(name) .. " not found"
end

Profile.__tostring = function(self) return tostring(self._h) end

return M
