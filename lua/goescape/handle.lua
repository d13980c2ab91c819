--- The one face of every handle (log, profile, binary, and each input kind
-- to come). A handle is the userdata goescape.core returns: its metatable,
-- registered by the C side under the type's name, holds close, __gc,
-- __close, __tostring (and __len for a log) and the C methods. The Lua
-- module of the kind adds its own methods to that same method table (a Lua
-- method that checks options may replace the C method of the same name,
-- keeping it as a local), and may give each handle read-only attributes
-- (profile.sample_types, binary.go_version), which __index reads after the
-- methods. So `#log`, `local p <close> = ...`, `p:close()` and garbage
-- collection work alike for every kind, on every interpreter.
--
--   local class = handle.class("goescape.profile", "profile")
--   function class.methods:top(opts) ... end
--   return class.attach(h, { sample_types = ... })   -- h, or nil, err, code
--   class.is(v) / class.check(v, "profile:diff: base")
local core = require "goescape.core"

local M = {}

function M.class(tname, what)
  local mt = core.metatable(tname)
  local methods = mt.__index
  if type(methods) ~= "table" then
    error("goescape.handle: " .. tname .. " is already a class", 2)
  end
  -- Attributes live in a table keyed weakly by the handle: they go with it.
  local attrs = setmetatable({}, { __mode = "k" })
  mt.__index = function(h, k)
    local m = methods[k]
    if m ~= nil then return m end
    local a = attrs[h]
    if a ~= nil then return a[k] end
  end

  -- The method table stays reachable from the metatable, for tools that
  -- list a kind's methods (fuzz/lua_api.lua, the specs).
  mt.__methods = methods
  local class = { methods = methods, metatable = mt }

  --- Gives a new handle its attributes (a table, read-only through the
  -- handle) and returns it; passes a failure (nil, err, code) on unchanged.
  function class.attach(h, a, code)
    if h == nil then return nil, a, code end
    attrs[h] = a or {}
    return h
  end

  --- The handle's attribute table (the Lua module's own, to cache in).
  function class.attributes(h) return attrs[h] end

  function class.is(v) return getmetatable(v) == mt end

  --- v, or raises "<context> must be a <what>" at the caller's caller.
  function class.check(v, context, level)
    if getmetatable(v) ~= mt then
      error(("%s must be a %s (got %s)"):format(context, what, type(v)), (level or 2) + 1)
    end
    return v
  end

  return class
end

return M
