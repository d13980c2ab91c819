--- The one entry shape of every analysis: `ge.analysis.NAME(opts)` (also
-- `require("goescape.analysis.NAME").run(opts)`), its inputs named fields of
-- opts with the same names everywhere (`escape`, `profile`, `binary`,
-- `before`/`after` for two inputs of one kind, `sources`), each an opened
-- object or a path (a list of paths for an escape log). Opening is done here,
-- once for all analyses, so that each one takes paths and objects alike,
-- never closes or changes what its caller opened, and closes what it opened
-- itself whatever way it returns.
--
--   local function growth(inp, opts)
--     local log, err, code = inp:open_escape("escape")   -- nil: absent (optional)
--     if err then return nil, err, code end
--     ...
--   end
--   local OPTIONS = inputs.keys({ escape = "escape?", before = "profile", ... }, { "n", ... })
--   return inputs.analysis(M, "growth", OPTIONS, growth)   -- sets M.run, makes M callable
--
-- open_escape / open_profile / open_binary / open_trace return the object, nil when an
-- optional field is absent, or nil, err, code when a path cannot be opened.
-- A value of the wrong type, or a required input that is absent, raises
-- before anything is opened, naming the analysis and the field.
local options = require "goescape.options"

local M = {}

--- pprof's sample filters, accepted by every analysis that reads a profile.
M.FILTERS = require("goescape.profile").FILTERS

--- The options an analysis accepts, from tables that list plain option
-- names ({"n", "sample"}) and name input fields with their kind ({before =
-- "profile", binary = "binary?"}; "?": optional): name -> true, or the
-- input's kind.
function M.keys(...)
  local set = {}
  for i = 1, select("#", ...) do
    for k, v in pairs((select(i, ...))) do
      if type(k) == "number" then set[v] = true else set[k] = v end
    end
  end
  return set
end

local function is_path_list(v)
  if type(v) ~= "table" or v[1] == nil then return false end
  for _, p in ipairs(v) do
    if type(p) ~= "string" then return false end
  end
  return true
end

-- Per kind: what an opened object looks like, what a path may be, how to
-- open one, and how misuse is described.
local KINDS = {
  escape = {
    what = "an escape log, a path or a list of paths",
    is = function(v) return require("goescape.escape").is_log(v) end,
    path = function(v) return type(v) == "string" or is_path_list(v) end,
    open = function(v) return require("goescape.escape").open(v) end,
  },
  profile = {
    what = "a profile, a path or URL, or a list of them (merged)",
    is = function(v) return require("goescape.profile").is_profile(v) end,
    path = function(v) return type(v) == "string" or is_path_list(v) end,
    open = function(v) return require("goescape.profile").open(v) end,
  },
  binary = {
    what = "a binary or a path",
    is = function(v) return require("goescape.binary").is_binary(v) end,
    path = function(v) return type(v) == "string" end,
    open = function(v) return require("goescape.binary").open(v) end,
  },
  trace = {
    what = "a trace, a path or a URL",
    is = function(v) return require("goescape.trace").is_trace(v) end,
    path = function(v) return type(v) == "string" end,
    open = function(v) return require("goescape.trace").open(v) end,
  },
}

-- "<analysis>: <field> must be ..." for a value that is neither an opened
-- object of the kind nor a path.
local function misuse(name, field, k, v)
  return ("%s: %s must be %s (got %s)"):format(name, field, k.what, type(v))
end

local Inputs = {}
Inputs.__index = Inputs

-- opts[field] as an object of the kind (its type was checked on entry).
local function opener(kind)
  local k = KINDS[kind]
  return function(self, field)
    local v = self.opts[field]
    if v == nil or k.is(v) then return v end
    local h, err, code = k.open(v)
    if not h then return nil, err, code end
    self.opened[#self.opened + 1] = h
    return h
  end
end

--- The escape log of opts[field]: the log, nil when optional and absent,
-- or nil, err, code.
Inputs.open_escape = opener("escape")

--- The profile of opts[field] (see open_escape).
Inputs.open_profile = opener("profile")

--- The binary of opts[field] (see open_escape).
Inputs.open_binary = opener("binary")

--- The execution trace of opts[field] (see open_escape).
Inputs.open_trace = opener("trace")

--- Closes what this analysis opened from paths (never its caller's objects).
function Inputs:close()
  for i = #self.opened, 1, -1 do
    self.opened[i]:close()
    self.opened[i] = nil
  end
end

local function finish(self, ...)
  self:close()
  return ...
end

-- opts checked (a table whose keys are all in `allowed`, its inputs present
-- and of the right types, before any is opened), raising at the level of
-- the entry's caller: check (1), entry (2), caller (3). The entries are not
-- tail calls of one another: LuaJIT counts a tail call as a level, Lua 5.4
-- does not.
local function check(name, opts, allowed)
  if type(opts) ~= "table" then
    error(("bad argument #1 to '%s' (options table expected, got %s)"):format(name, type(opts)), 3)
  end
  options(opts, allowed, name, 3)
  for field, kind in pairs(allowed) do
    local k = type(kind) == "string" and KINDS[kind:match("^%a+")]
    local v = opts[field]
    if k and v == nil and not kind:match("%?$") then
      error(("%s: %s is required (%s)"):format(name, field, k.what), 3)
    end
    if k and v ~= nil and not k.is(v) and not k.path(v) then error(misuse(name, field, k, v), 3) end
  end
  return setmetatable({ name = name, opts = opts, opened = {} }, Inputs)
end

--- Makes mod an analysis and returns it: mod.run(opts) and mod(opts)
-- check opts (a table whose keys are all in `allowed`, a set from M.keys;
-- an unknown key raises, as for every function of the API), then
-- body(inputs, opts) does the work, raising misuse at level 3 (the
-- analysis's caller); what it returns is returned after the inputs it
-- opened are closed.
function M.analysis(mod, name, allowed, body)
  function mod.run(opts)
    local self = check(name, opts, allowed)
    return finish(self, body(self, opts))
  end
  -- the same for ge.analysis.NAME(opts), written out (not a call of run)
  -- for the error levels above
  return setmetatable(mod, { __call = function(_, opts)
    local self = check(name, opts, allowed)
    return finish(self, body(self, opts))
  end })
end

return M
