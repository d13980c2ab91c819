--- The one option convention of goescape's Lua API: a function that opens or
-- parses takes an options table last (`{limits = {...}}` and the function's
-- own keys); an unknown key is misuse and raises, never ignored.
return function(opts, allowed, fname, level)
  if opts == nil then return {} end
  level = (level or 2) + 1
  if type(opts) ~= "table" then
    error(("bad argument to '%s' (options table expected, got %s)"):format(fname, type(opts)), level)
  end
  for k in pairs(opts) do
    if not allowed[k] then
      local hint = type(k) == "string" and k:match("^max_") and
        (" (limits go in {limits = {%s = ...}})"):format(k) or ""
      error(("%s: unknown option '%s'%s"):format(fname, tostring(k), hint), level)
    end
  end
  return opts
end
