--- goescape in Neovim: each Go line's heap cost and the compiler's reason,
-- where the code is written (doc/nvim.md).
--
--   require("goescape.nvim").setup { ... }   -- options: M.defaults
--   :GoEscape load LOG [PROFILE [BINARY]]     ("-" skips an input)
--   :GoEscape build [PKG...]  :GoEscape explain  :GoEscape hotspots  :GoEscape clear
--
-- Inputs are read and joined in a vim.loop work thread (goescape's C module
-- and ge.analysis.hotspots, in a Lua state of its own) that hands back
-- plain rows; the editor indexes them by file name as they come, and builds
-- a buffer's diagnostics when the buffer is shown.
local paths = require "goescape.nvim.paths"
local view = require "goescape.nvim.view"

local uv = vim.uv or vim.loop

local M = {}

M.defaults = {
  sample = nil,            -- profile sample type (default: alloc_space when present)
  virtual_text = true,     -- cost and reason at the end of costly lines
  virt_min_share = 0.01,   -- ... of lines with at least this share of the total
  signs = true,            -- a sign on every allocating line
  sign_text = "●",
  error_share = 0.10,      -- diagnostic severity: ERROR from this share of the total
  warn_share = 0.01,       -- WARN from this one; INFO below; HINT for lines without cost
  hotspots = 20,           -- quickfix entries of :GoEscape hotspots
  watch = true,            -- reload when an input file changes
  async = true,            -- read inputs in a work thread
  build_on_save = false,   -- rerun :GoEscape build when a Go file is written
  cpath = nil,             -- where goescape/core.so is (a package.cpath entry)
  go = "go",               -- the go command of :GoEscape build
  threads = nil,           -- threads for reading inputs (default: the CPUs but one)
}

M.ns = vim.api.nvim_create_namespace("goescape")
M.marks = vim.api.nvim_create_namespace("goescape_marks")
local SIGNS = "goescape" -- the sign group

-- Where this module's Lua files are (the directory holding goescape/), and
-- the checkout or rock directory above a lua/ one.
local LUADIR = (debug.getinfo(1, "S").source:match("^@(.*)/goescape/nvim/init%.lua$"))
local ROOT = LUADIR and LUADIR:match("^(.*)/lua$")

local S = {
  cfg = vim.deepcopy(M.defaults),
  inputs = nil,     -- {escape=, profile=, binary=} of the model shown
  model = nil,      -- {rows=, total=, unit=, sample=, warnings=, ...}
  by_base = {},     -- base name -> rows
  loading = false, completing = false, generation = 0, err = nil, load_ms = nil, complete_ms = nil,
  watchers = {}, timer = nil,
  build = nil,      -- {dir=, log=, packages=} of the last :GoEscape build
}

-- package.path/cpath entries for the module and its C core: the cpath
-- option, $GOESCAPE_CPATH, this checkout's lua/ and build/luajit/ (or the
-- LuaRocks tree it is installed in), LuaRocks' user tree.
local function search_paths()
  local lpath, cpath = {}, {}
  if LUADIR then lpath[#lpath + 1] = LUADIR .. "/?.lua;" .. LUADIR .. "/?/init.lua" end
  if ROOT then cpath[#cpath + 1] = ROOT .. "/build/luajit/?.so" end
  -- a LuaRocks tree: share/lua/5.1/goescape -> lib/lua/5.1/goescape/core.so
  local tree, ver = (LUADIR or ""):match("^(.*)/share/lua/([%d.]+)$")
  if tree then cpath[#cpath + 1] = tree .. "/lib/lua/" .. ver .. "/?.so" end
  -- the option first, then the environment's
  if os.getenv("GOESCAPE_CPATH") then table.insert(cpath, 1, os.getenv("GOESCAPE_CPATH")) end
  if S.cfg.cpath then table.insert(cpath, 1, S.cfg.cpath) end
  local home = os.getenv("HOME")
  if home then
    lpath[#lpath + 1] = home .. "/.luarocks/share/lua/5.1/?.lua;" .. home .. "/.luarocks/share/lua/5.1/?/init.lua"
    cpath[#cpath + 1] = home .. "/.luarocks/lib/lua/5.1/?.so"
  end
  return table.concat(lpath, ";") .. ";" .. package.path, table.concat(cpath, ";") .. ";" .. package.cpath
end

local function notify(msg, level)
  vim.notify("goescape: " .. msg, level or vim.log.levels.INFO)
end

local function is_go(buf)
  return vim.api.nvim_buf_is_loaded(buf) and vim.api.nvim_buf_get_name(buf):match("%.go$") ~= nil
end

--- The rows of the loaded model that belong to a buffer.
function M.rows_of(buf)
  local name = vim.api.nvim_buf_get_name(buf)
  if name == "" or not S.model then return {} end
  local cands = S.by_base[paths.basename(name)]
  if not cands then return {} end
  local match, out, verdict = paths.matcher(name), {}, {}
  for _, r in ipairs(cands) do
    local ok = verdict[r.file]
    if ok == nil then ok = match(r.file); verdict[r.file] = ok end
    if ok then out[#out + 1] = r end
  end
  return out
end

--- Shows the loaded model in a buffer (diagnostics, virtual text, signs).
function M.refresh(buf)
  buf = buf == nil and vim.api.nvim_get_current_buf() or buf
  if buf == 0 then buf = vim.api.nvim_get_current_buf() end
  if not vim.api.nvim_buf_is_valid(buf) then return end
  vim.diagnostic.reset(M.ns, buf)
  vim.api.nvim_buf_clear_namespace(buf, M.marks, 0, -1)
  vim.fn.sign_unplace(SIGNS, { buffer = buf })
  if not S.model or not is_go(buf) then return end
  vim.b[buf].goescape_gen = S.generation
  local rows = M.rows_of(buf)
  local nlines = vim.api.nvim_buf_line_count(buf)
  local diags, marked = {}, {}
  for _, r in ipairs(rows) do
    -- A line of several functions (inlined code) has a row for each: the
    -- costliest (rows come by cost) gets the line's text and sign.
    if r.line <= nlines then
      for _, d in ipairs(view.diagnostics(r, S.cfg)) do diags[#diags + 1] = d end
    end
    if r.line <= nlines and not marked[r.line] then
      marked[r.line] = true
      if S.cfg.virtual_text and r.flat ~= 0 and r.share >= S.cfg.virt_min_share then
        vim.api.nvim_buf_set_extmark(buf, M.marks, r.line - 1, 0, {
          virt_text = { { view.virt_text(r), view.hl_of(r, S.cfg) } }, virt_text_pos = "eol", priority = 100 })
      end
      -- (signs placed with sign_place: listed by sign_getplaced on every release)
      if S.cfg.signs and view.allocates(r) then
        vim.fn.sign_place(0, SIGNS, view.hl_of(r, S.cfg), buf, { lnum = r.line, priority = 10 })
      end
    end
  end
  vim.diagnostic.set(M.ns, buf, diags)
end

-- The buffers in windows now; the others when they are entered.
local function refresh_all()
  local seen = {}
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    local b = vim.api.nvim_win_get_buf(w)
    if not seen[b] and is_go(b) then seen[b] = true M.refresh(b) end
  end
end

local unwatch, is_url

local function watch(inputs)
  unwatch()
  if not S.cfg.watch or not uv.new_fs_event then return end
  for _, p in pairs(inputs) do
    local w = not is_url(p) and uv.new_fs_event()
    if w then
      w:start(p, {}, vim.schedule_wrap(function()
        -- writers truncate then write, or write a new file and rename it:
        -- one reload once they are done
        if S.timer then S.timer:stop() else S.timer = uv.new_timer() end
        S.timer:start(300, 0, vim.schedule_wrap(function()
          if S.inputs == inputs then M.load(inputs) end
        end))
      end))
      S.watchers[#S.watchers + 1] = w
    end
  end
end

unwatch = function()
  for _, w in ipairs(S.watchers) do
    w:stop()
    if not w:is_closing() then w:close() end
  end
  S.watchers = {}
end

-- The work thread's body: a function without upvalues (luv copies it into
-- a Lua state of its own), returning ok and JSON or an error.
local function work(lpath, cpath, escape, profile, binary, sample, quick, threads)
  package.path, package.cpath = lpath, cpath
  local ok, res, err = pcall(function()
    local model = require "goescape.nvim.model"
    local function opt(s) return s ~= "" and s or nil end
    return model.encode { escape = opt(escape), profile = opt(profile), binary = opt(binary), sample = opt(sample),
      quick = quick == "quick", limits = threads > 0 and { max_threads = threads } or nil }
  end)
  if not ok then
    res = tostring(res)
    if res:find("module 'goescape.core' not found", 1, true) then
      res = "the C module goescape/core.so (built for LuaJIT) is not on package.cpath: run make in the "
        .. "plugin's directory, or set the cpath option or $GOESCAPE_CPATH (doc/nvim.md)\n" .. res
    end
    return false, res
  end
  if not res then return false, tostring(err) end
  return true, res
end

-- A live service's address as goescape.remote takes it ("http://h:6060/...",
-- "h:6060"), not a file: read as given and not watched.
function is_url(p)
  if p:match("^%a[%w+.-]*://") then return true end
  return (p:match("^[%w.-]+:%d+$") or p:match("^[%w.-]+:%d+[/?]")) ~= nil and vim.fn.filereadable(p) == 0
end

-- The threads goescape's C core may use to read inputs: the threads option,
-- else all CPUs but one (big files are read in segments on several
-- threads, which would leave the editor's loop waiting for a CPU).
local function threads()
  if S.cfg.threads then return S.cfg.threads end
  local ok, cpus = pcall(uv.cpu_info)
  return math.max(1, (ok and type(cpus) == "table" and #cpus or 1) - 1)
end

-- Decodes the work thread's JSON lines (goescape.nvim.model.encode), one
-- part per turn of the event loop so that typing goes on, then shows them.
local function decode_parts(gen, text, done)
  local pos = 1
  local function part()
    local e = text:find("\n", pos, true)
    local s = text:sub(pos, (e or 0) - 1)
    pos = e and e + 1 or #text + 1
    return s
  end
  local model = vim.json.decode(part())
  model.rows = {}
  local advices = model.advices or {}
  model.advices = nil
  local by = {} -- rows by file name, indexed as they come
  local function step()
    if gen ~= S.generation then return end
    if pos > #text then return done(model, by) end
    for _, r in ipairs(vim.json.decode(part())) do
      -- each distinct explanation is sent once (model.encode)
      if type(r.advice) == "number" then r.advice = advices[r.advice] end
      model.rows[#model.rows + 1] = r
      local b = paths.basename(r.file)
      local t = by[b]
      if not t then t = {}; by[b] = t end
      t[#t + 1] = r
    end
    -- (a timer, not vim.schedule: callbacks scheduled while the queue is
    -- drained run in the same drain, before any key or timer)
    vim.defer_fn(step, 0)
  end
  step()
end

-- Shows a model the work thread made (or its error), if it is still the
-- one asked for; then, for a quick one, asks for the whole one.
local function finish(job, ok, res)
  if job.gen ~= S.generation then return end
  if not ok then
    S.loading, S.completing, S.err = false, false, res
    notify(res, vim.log.levels.ERROR)
    if job.on_done then job.on_done(false, res) end
    return
  end
  decode_parts(job.gen, res, function(model, by_base)
    local first = S.loading
    S.loading = false
    S.model, S.by_base, S.err = model, by_base, nil
    S.load_ms = S.load_ms or (uv.hrtime() - job.started) / 1e6
    if first then
      for _, w in ipairs(model.warnings or {}) do notify(w, vim.log.levels.WARN) end
      watch(job.inputs)
    end
    refresh_all()
    if model.quick then
      S.completing = true
      job.run("")
    else
      S.completing = false
      S.complete_ms = (uv.hrtime() - job.started) / 1e6
      if job.on_done then job.on_done(true) end
    end
  end)
end

--- Loads inputs {escape=, profile=, binary=} (paths; either of escape and
-- profile may be absent) in the background; on_done(ok, err) once all is
-- shown. A log's lines without cost are first shown explained without
-- following calls into callees (quick on any log), then with.
function M.load(inputs, on_done)
  local abs = {}
  for _, k in ipairs({ "escape", "profile", "binary" }) do
    local p = inputs[k]
    if p and p ~= "" and p ~= "-" then abs[k] = is_url(p) and p or vim.fn.fnamemodify(vim.fn.expand(p), ":p") end
  end
  if not abs.escape and not abs.profile then
    notify("load: give an escape log, a profile, or both", vim.log.levels.ERROR)
    return
  end
  S.inputs = abs
  S.generation = S.generation + 1
  S.loading, S.completing, S.err, S.load_ms, S.complete_ms = true, false, nil, nil, nil
  local lpath, cpath = search_paths()
  local job = { gen = S.generation, started = uv.hrtime(), inputs = abs, on_done = on_done }
  local async = S.cfg.async and uv.new_work
  function job.run(quick)
    local args = { lpath, cpath, abs.escape or "", abs.profile or "", abs.binary or "", S.cfg.sample or "", quick,
      threads() }
    if async then
      uv.new_work(work, vim.schedule_wrap(function(ok, res) finish(job, ok, res) end)):queue(unpack(args))
    else
      -- (the work thread's body, in this state: package paths as it sets them)
      local saved_path, saved_cpath = package.path, package.cpath
      local ok, res = work(unpack(args))
      package.path, package.cpath = saved_path, saved_cpath
      finish(job, ok, res)
    end
  end
  job.run((async and abs.escape) and "quick" or "")
end

--- Removes everything goescape shows, and forgets the inputs.
function M.clear()
  S.generation = S.generation + 1
  S.model, S.by_base, S.inputs, S.loading, S.completing, S.err = nil, {}, nil, false, false, nil
  unwatch()
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_valid(b) then
      vim.diagnostic.reset(M.ns, b)
      vim.api.nvim_buf_clear_namespace(b, M.marks, 0, -1)
      vim.fn.sign_unplace(SIGNS, { buffer = b })
    end
  end
end

--- {loading=, loaded=, complete=, error=, rows=, total=, unit=, sample=,
-- inputs=, load_ms=, complete_ms=}: loaded once rows are shown, complete
-- once every line is explained in full (load_ms, complete_ms: since the load).
function M.status()
  local m = S.model
  return { loading = S.loading, loaded = m ~= nil, complete = m ~= nil and not S.completing, error = S.err,
    rows = m and #m.rows or 0, total = m and m.total, unit = m and m.unit, sample = m and m.sample,
    inputs = S.inputs, load_ms = S.load_ms, complete_ms = S.complete_ms }
end

--- Fills the quickfix list with the top hotspots (costed lines by cost, or
-- the log's heap lines without a profile); returns the number of entries.
function M.hotspots(n)
  if not S.model then notify("nothing loaded (:GoEscape load LOG [PROFILE [BINARY]])") return 0 end
  n = n or S.cfg.hotspots
  local dirs = { vim.fn.getcwd() }
  for _, p in pairs(S.inputs or {}) do dirs[#dirs + 1] = vim.fn.fnamemodify(p, ":h") end
  local items = {}
  for _, r in ipairs(S.model.rows) do
    if #items >= n then break end
    if (r.flat ~= 0 or not S.model.has_profile) and view.allocates(r) then
      local file = paths.resolve(r.file, dirs)
      if file then
        items[#items + 1] = { filename = file, lnum = r.line, col = view.first_col(r),
          text = view.summary(r), type = view.qf_type(r, S.cfg) }
      end
    end
  end
  vim.fn.setqflist({}, " ", { title = "goescape hotspots", items = items })
  return #items
end

--- Opens a floating window with the whole explanation of the cursor's line;
-- returns its buffer and window (nil when the line has nothing).
function M.explain()
  local buf = vim.api.nvim_get_current_buf()
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local here = {}
  for _, r in ipairs(M.rows_of(buf)) do
    if r.line == line then here[#here + 1] = r end
  end
  if #here == 0 then notify("no heap cost or escape on this line") return nil end
  local lines = view.explanation(here, S.model)
  local fbuf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(fbuf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(fbuf, "modifiable", false)
  vim.api.nvim_buf_set_option(fbuf, "bufhidden", "wipe")
  local width = 0
  for _, l in ipairs(lines) do width = math.max(width, vim.fn.strdisplaywidth(l)) end
  width = math.max(20, math.min(width, math.floor(vim.o.columns * 0.8), 100))
  local height = 0
  for _, l in ipairs(lines) do height = height + math.max(1, math.ceil(vim.fn.strdisplaywidth(l) / width)) end
  height = math.max(1, math.min(height, math.floor(vim.o.lines * 0.6)))
  local win = vim.api.nvim_open_win(fbuf, false, { relative = "cursor", row = 1, col = 0, width = width,
    height = height, style = "minimal", border = "single" })
  vim.api.nvim_win_set_option(win, "wrap", true)
  vim.api.nvim_create_autocmd({ "CursorMoved", "BufLeave", "InsertEnter" }, { buffer = buf, once = true,
    callback = function()
      if vim.api.nvim_win_is_valid(win) then vim.api.nvim_win_close(win, true) end
    end })
  return fbuf, win
end

--- Builds the current buffer's package (or PKG patterns) with -m=2 in the
-- background, then loads the log with the profile and binary already
-- loaded; on_done(ok, err).
function M.build(packages, on_done)
  local name = vim.api.nvim_buf_get_name(0)
  local dir = name ~= "" and vim.fn.fnamemodify(name, ":p:h") or vim.fn.getcwd()
  packages = (packages and #packages > 0) and packages or { "." }
  local gobuild = require "goescape.gobuild"
  local cache = vim.fn.stdpath("cache") .. "/goescape"
  vim.fn.mkdir(cache, "p")
  local log = cache .. "/" .. dir:gsub("[^%w]", "_") .. ".m2.log"
  -- one package: its binary (of a main package) goes nowhere; several are
  -- compiled and discarded by go build itself
  local out = (#packages == 1 and not packages[1]:find("...", 1, true)) and " -o /dev/null " or " "
  local cmd = S.cfg.go .. " build " .. gobuild.gcflags(packages) .. out
    .. table.concat(vim.tbl_map(function(p) return vim.fn.shellescape(p) end, packages), " ")
  local chunks = {}
  local stderr = uv.new_pipe(false)
  local stdout = uv.new_pipe(false)
  local handle
  S.build = { dir = dir, packages = packages, log = log }
  handle = uv.spawn("sh", { args = { "-c", cmd }, cwd = dir, stdio = { nil, stdout, stderr } },
    vim.schedule_wrap(function(code)
      handle:close()
      local f = io.open(log, "wb")
      local text = table.concat(chunks)
      if f then f:write(text) f:close() end
      local inputs = S.inputs or {}
      if not text:find(": moved to heap: ", 1, true) and not text:find(" escapes to heap", 1, true)
        and not text:find(": can inline ", 1, true) then
        local msg = ("build in %s failed (exit %d): %s"):format(dir, code, text:sub(-2000))
        if code == 0 then msg = ("build in %s printed no escape diagnostics"):format(dir) end
        notify(msg, vim.log.levels.ERROR)
        if on_done then on_done(false, msg) end
        return
      end
      M.load({ escape = log, profile = inputs.profile, binary = inputs.binary }, on_done)
    end))
  if not handle then
    notify("cannot start sh for " .. cmd, vim.log.levels.ERROR)
    return
  end
  stdout:read_start(function(_, data) if not data then stdout:close() end end)
  stderr:read_start(function(_, data)
    if data then chunks[#chunks + 1] = data else stderr:close() end
  end)
  notify("building " .. table.concat(packages, " ") .. " in " .. dir)
end

local SUB = {
  load = function(a) M.load { escape = a[1], profile = a[2], binary = a[3] } end,
  clear = function() M.clear() end,
  hotspots = function(a)
    if M.hotspots(tonumber(a[1])) > 0 then vim.cmd("copen") end
  end,
  explain = function() M.explain() end,
  build = function(a) M.build(a) end,
  status = function()
    local s = M.status()
    notify(s.loading and "loading" or s.error or (s.loaded and ("%d lines from %s"):format(s.rows,
      table.concat(vim.tbl_values(s.inputs or {}), ", ")) or "nothing loaded"))
  end,
}

local function command(o)
  local a = vim.deepcopy(o.fargs) -- (paths with spaces escaped as for :edit)
  local sub = table.remove(a, 1)
  local f = sub and SUB[sub]
  if not f then
    notify("usage: GoEscape load LOG [PROFILE [BINARY]] | build [PKG...] | explain | hotspots [N] | clear | status",
      vim.log.levels.ERROR)
    return
  end
  f(a)
end

local function complete(arg, line)
  local words = vim.split(line, "%s+", { trimempty = true })
  if #words <= 1 or (#words == 2 and arg ~= "") then
    local t = {}
    for k in pairs(SUB) do if k:sub(1, #arg) == arg then t[#t + 1] = k end end
    table.sort(t)
    return t
  end
  if words[2] == "load" then return vim.fn.getcompletion(arg, "file") end
  return {}
end

--- Configures the plugin (options: M.defaults) and defines :GoEscape.
function M.setup(opts)
  S.cfg = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  M.configured = true
  view.highlights(S.cfg)
  vim.diagnostic.config({ virtual_text = false, signs = false }, M.ns)
  vim.api.nvim_create_user_command("GoEscape", command, { nargs = "+", complete = complete,
    desc = "goescape: heap cost and escape reasons of Go lines" })
  local group = vim.api.nvim_create_augroup("goescape", { clear = true })
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufEnter" }, { group = group, pattern = "*.go",
    callback = function(ev)
      if S.model and vim.b[ev.buf].goescape_gen ~= S.generation then
        vim.b[ev.buf].goescape_gen = S.generation
        M.refresh(ev.buf)
      end
    end })
  vim.api.nvim_create_autocmd("BufWritePost", { group = group, pattern = "*.go",
    callback = function()
      if S.cfg.build_on_save and S.build then M.build(S.build.packages) end
    end })
  return M
end

return M
