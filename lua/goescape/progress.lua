--- A progress bar on stderr for long work, shown only when stderr is a
-- terminal and the work has lasted a moment; otherwise it prints nothing.
-- The command draws it: analyses report through an `opts.progress`
-- callback (M.reporter makes one) and never write to stderr themselves.
--
--   local bar = progress.new{total = #rows, label = "growth"}
--   for i = 1, #rows do ... bar:update(i) end
--   bar:done()
--
-- GOESCAPE_PROGRESS=0 turns it off, =1 forces it on (for tests and pipes to
-- a pager that shows stderr).
local M = {}

local tty_cache

--- True when stderr is a terminal: TERM is set (and not "dumb") and `test -t 2`
-- succeeds; GOESCAPE_PROGRESS=0/1 overrides both.
function M.enabled()
  local force = os.getenv("GOESCAPE_PROGRESS")
  if force == "0" then return false end
  if force == "1" then return true end
  if tty_cache == nil then
    local term = os.getenv("TERM")
    if not term or term == "" or term == "dumb" then
      tty_cache = false
    else
      local r = os.execute("test -t 2")
      tty_cache = r == true or r == 0
    end
  end
  return tty_cache
end

local Bar = {}
Bar.__index = Bar

--- A bar for `total` steps. opts: total, label, out (default io.stderr),
-- enabled (default M.enabled()), delay (seconds of work before the bar
-- appears; default 0.3), width (default 30).
function M.new(opts)
  opts = opts or {}
  local on = opts.enabled
  if on == nil then on = M.enabled() end
  return setmetatable({
    total = opts.total or 0, label = opts.label or "", out = opts.out or io.stderr,
    on = on and (opts.total or 0) > 0, delay = opts.delay or 0.3, width = opts.width or 30,
    start = os.clock(), shown = false, last = -1,
  }, Bar)
end

--- A progress callback for the analyses' `progress` option:
-- function(done, total, label), drawing one bar per label on stderr when
-- that is a terminal (the command passes it; analyses never draw).
function M.reporter(opts)
  local bar, label
  return function(done, total, lbl)
    if not bar or lbl ~= label then
      if bar then bar:done() end
      local o = {}
      for k, v in pairs(opts or {}) do o[k] = v end
      o.total, o.label = total, lbl
      bar, label = M.new(o), lbl
    end
    bar:update(done)
    if done >= total then bar:done() end
  end
end

--- Reports that `i` of `total` steps are done; redraws at most once per percent.
function Bar:update(i)
  if not self.on then return end
  local pct = math.floor(i * 100 / self.total)
  if pct > 100 then pct = 100 end
  if pct == self.last then return end
  if not self.shown and os.clock() - self.start < self.delay then return end
  self.last, self.shown = pct, true
  local fill = math.floor(pct * self.width / 100)
  self.out:write(("\r%s [%s%s] %3d%%"):format(self.label, ("#"):rep(fill),
    ("."):rep(self.width - fill), pct))
  self.out:flush()
end

--- Clears the bar's line, if it was shown.
function Bar:done()
  if self.shown then
    self.out:write("\r", (" "):rep(#self.label + self.width + 8), "\r")
    self.out:flush()
  end
  self.shown, self.on = false, false
end

return M
