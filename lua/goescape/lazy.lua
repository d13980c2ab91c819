--- Module tables whose parts load on first use: `lazy(t, "goescape.report",
-- {"html", "flame"})` makes t.html require "goescape.report.html" the first
-- time it is read (keeps `require "goescape"` and the command's startup
-- short: a command loads only the parts it touches).
return function(t, prefix, names)
  local parts = {}
  for _, n in ipairs(names) do parts[n] = true end
  return setmetatable(t, {
    __index = function(self, k)
      if parts[k] then
        local v = require(prefix .. "." .. k)
        rawset(self, k, v)
        return v
      end
    end,
  })
end
