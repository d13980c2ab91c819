--- goescape.analysis: joins and analyses built on escape logs, profiles and
-- binaries. Parts load on first use:
--   ge.analysis.hotspots{escape=, profile=, binary=, sample=, n=}
--   ge.analysis.advice   (reason -> explanation and fix)
local M = {}

local parts = { advice = "goescape.analysis.advice" }

function M.hotspots(opts) return require("goescape.analysis.hotspots").run(opts) end

return setmetatable(M, {
  __index = function(t, k)
    local mod = parts[k]
    if mod then
      local v = require(mod)
      rawset(t, k, v)
      return v
    end
  end,
})
