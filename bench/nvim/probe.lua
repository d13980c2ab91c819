-- Run inside Neovim by bench/nvim.sh: loads GE_LOG and GE_PROF through
-- goescape.nvim while a 5 ms timer measures how long the editor's loop is
-- kept from running it, then times the diagnostics of each file in GE_FILES
-- (colon-separated). Prints one "key value" line per figure to GE_OUT.
local uv = vim.uv or vim.loop
local ge = require("goescape.nvim").setup { watch = false }
local out = assert(io.open(os.getenv("GE_OUT"), "w"))
local function put(k, v) out:write(k, " ", tostring(v), "\n") end

local worst, last = 0, uv.hrtime()
local tick = uv.new_timer()
tick:start(5, 5, function()
  local now = uv.hrtime()
  local gap = (now - last) / 1e6 - 5
  if gap > worst then worst = gap end
  last = now
end)

local t0 = uv.hrtime()
ge.load { escape = os.getenv("GE_LOG"), profile = os.getenv("GE_PROF") }
put("load_returns_ms", (uv.hrtime() - t0) / 1e6)
vim.wait(600000, function() return ge.status().loaded or ge.status().error ~= nil end, 5)
put("rows_shown_ms", (uv.hrtime() - t0) / 1e6)
vim.wait(600000, function() local s = ge.status() return s.error ~= nil or s.complete end, 5)
put("complete_ms", (uv.hrtime() - t0) / 1e6)
tick:stop()
put("worst_loop_stall_ms", worst)
put("rows", ge.status().rows)
if ge.status().error then put("error", ge.status().error) end

local slowest = 0
for f in (os.getenv("GE_FILES") or ""):gmatch("[^:]+") do
  vim.cmd("edit " .. vim.fn.fnameescape(f))
  local buf = vim.api.nvim_get_current_buf()
  local t = uv.hrtime()
  ge.refresh(buf)
  local ms = (uv.hrtime() - t) / 1e6
  if ms > slowest then slowest = ms end
  put("buffer " .. vim.fn.fnamemodify(f, ":t"),
    ("%.1f ms, %d diagnostics"):format(ms, #vim.diagnostic.get(buf, { namespace = ge.ns })))
end
put("slowest_buffer_ms", slowest)
out:close()
vim.cmd("qa!")
