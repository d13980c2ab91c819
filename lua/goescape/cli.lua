--- The goescape command: argument parsing, dispatch to lua/goescape/cmd/*.lua,
-- and the error conventions: bad input prints one line "goescape: ..." and
-- exits 1; usage errors exit 2; never a Lua traceback for bad data.
local argparse = require "argparse"

local M = {}

-- Commands in the order `goescape --help` lists them. A command is a module
-- goescape.cmd.NAME returning {help=, setup=function(cmd), run=function(args, io)}.
M.commands = {
  "escapes", "summary", "top", "folded", "diff", "merge", "info", "symbolize",
  "hotspots", "assert", "growth", "flow", "html", "flame", "trace", "run", "benchstat", "build", "bench",
  "watch", "gctrace", "memory", "perf", "retain",
}

--- Errors raised with M.fail carry this marker so that main can tell bad input
-- (exit 1, one line) from a bug (traceback).
local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(e) return e.msg end

function M.fail(msg, ...)
  if select("#", ...) > 0 then msg = msg:format(...) end
  error(setmetatable({ msg = msg }, Failure), 0)
end

--- A limit error from the binding says how to raise the limit in Lua
-- ("{limits = {max_x = N}}"); the command's user raises it in GOESCAPE_LIMITS.
function M.limit_hint(msg)
  return (msg:gsub("raise it with {limits = {(max_[%w_]+) = N}}",
    "raise it with GOESCAPE_LIMITS=%1=N (doc/limits.md)"))
end

--- A usage error (an unknown option value, options that do not go
-- together): exits 2 with the command's usage, like argparse's own errors.
function M.usage(msg, ...)
  if select("#", ...) > 0 then msg = msg:format(...) end
  error(setmetatable({ msg = msg, code = 2 }, Failure), 0)
end

--- argparse converters for numbers: NaN, infinities and (for counts)
-- fractions and negatives are usage errors, never values that reach C.
function M.count(s)
  local n = tonumber(s)
  if not n or n ~= n or n < 0 or n == math.huge or n ~= math.floor(n) then
    return nil, ("'%s' is not a whole number >= 0"):format(tostring(s))
  end
  return n
end
function M.number(s)
  local n = tonumber(s)
  if not n or n ~= n or n == math.huge or n == -math.huge then
    return nil, ("'%s' is not a finite number"):format(tostring(s))
  end
  return n
end
function M.line(s)
  local n = M.count(s)
  if not n or n < 1 then return nil, ("'%s' is not a line number"):format(tostring(s)) end
  return n
end

--- --sample: a sample type's name, or its 1-based index (as in Lua).
function M.sample(s)
  if s:match("^%d+$") and tonumber(s) < 1 then
    return nil, "sample indexes start at 1 (the profile's first sample type)"
  end
  return s
end

--- Returns v, or fails with its error message (for `nil, err` returns).
function M.check(v, err, ...)
  if v == nil then M.fail(tostring(err)) end
  return v, err, ...
end

--- The one option block of every command that reads a profile: the sample
-- type and pprof's filters, with pprof's names.
function M.profile_options(c)
  c:option("--sample", "Sample type (alloc_space, inuse_objects, cpu, delay, ...; "
    .. "default: the profile's default)"):convert(M.sample)
  c:option("--focus", "Keep samples with a frame matching this regexp")
  c:option("--ignore", "Drop samples with a frame matching this regexp")
  c:option("--hide", "Remove frames matching this regexp")
  c:option("--show", "Keep only frames matching this regexp")
  c:option("--tagfocus", "Keep samples with a label [key=]regexp or [key=]range (1kb:, :512b, 2ms:1s)")
  c:option("--tagignore", "Drop samples with a label [key=]regexp or [key=]range")
end

--- The query of profile_options' values, plus `extra` fields.
function M.profile_query(args, extra) return require("goescape.profile").query(args, extra) end

-- Each filter is tested alone through the filter that selects by the same
-- pattern: a removing filter (ignore, hide, tagignore) matches something
-- exactly when its selecting twin keeps something.
local TWIN = { focus = "focus", ignore = "focus", hide = "show", show = "show",
  tagfocus = "tagfocus", tagignore = "tagfocus" }

--- pprof's "no matches found for regexp": a filter of q that matches no
-- frame (no label) of prof. One that selects (focus, show, tagfocus) would
-- leave an empty report: an error. One that removes leaves the report
-- whole: a warning on stderr.
function M.check_filters(prof, q, what)
  for _, k in ipairs(require("goescape.profile").FILTERS) do
    local pat = q[k]
    if pat and pat ~= "" then
      local rows, err = prof:top { sample = q.sample, by = "function", n = 1, [TWIN[k]] = pat }
      if not rows then M.fail(tostring(err)) end
      if #rows == 0 then
        local msg = ("%s--%s: no matches found for %s: %s"):format(what and (what .. ": ") or "", k,
          k:match("^tag") and "label" or "regexp", pat)
        if TWIN[k] == k then M.fail(msg) end
        io.stderr:write("goescape: warning: ", M.escape_controls(msg), "\n")
      end
    end
  end
end

--- Opens a profile for a command (fails with the usual one line).
function M.open_profile(path)
  return M.check(require("goescape").profile.open(path))
end

local function load_command(name)
  local ok, mod = pcall(require, "goescape.cmd." .. name)
  if ok then return mod end
  if tostring(mod):find("module 'goescape.cmd." .. name .. "' not found", 1, true) then
    return nil
  end
  error(mod, 0)
end

--- The parser with every command, or only the command `only` (the one that
-- will run: its module alone is loaded, which keeps startup short).
function M.parser(only)
  local p = argparse("goescape",
    "Why a Go program allocates on the heap, and what it costs.")
    :help_max_width(100)
  p:command_target("command")
  p:require_command(true)
  local cmds, parsers = {}, {}
  for _, name in ipairs(M.commands) do
    local mod = (only == nil or only == name) and load_command(name)
    if mod then
      local c = p:command(name, mod.help)
      if mod.setup then mod.setup(c) end
      cmds[name] = mod
      parsers[name] = c
    end
  end
  return p, cmds, parsers
end

--- GOESCAPE_LIMITS="max_line_bytes=268435456,max_inflated_bytes=8e9": the
-- resource limits (doc/limits.md) for every input the command reads.
-- Returns the table, nil when unset, or nil and an error.
function M.env_limits(s)
  if s == nil or s == "" then return nil end
  local t, known = {}, require("goescape.core").limits()
  for item in s:gmatch("[^,%s]+") do
    local k, v = item:match("^(max_[%w_]+)=(.+)$")
    local n = tonumber(v)
    if k and known[k] == nil then
      return nil, ("GOESCAPE_LIMITS: no limit named %s (see doc/limits.md)"):format(k)
    end
    if not k or not n or n < 1 then
      return nil, ("GOESCAPE_LIMITS: '%s' is not NAME=NUMBER (e.g. max_line_bytes=268435456)")
        :format(item)
    end
    t[k] = n
  end
  local ok, err = pcall(require("goescape.core").set_default_limits, t)
  if not ok then return nil, "GOESCAPE_LIMITS: " .. tostring(err):gsub("^.-: ", "") end
  return t
end

-- Control characters that inputs carry (names in a crafted profile, text in
-- a corrupt log) reach the reader's terminal as commands: title changes,
-- screen clears, OSC 52 clipboard writes, carriage returns that overwrite
-- a line. Every text the command prints shows them as \u00XX escapes (C0
-- but tab and newline, DEL, C1), which JSON reads as the same characters.
local escape_controls = require("goescape.core").escape_controls
M.escape_controls = escape_controls

-- Each argument written on its own (no table per call): strings escaped,
-- numbers as they are.
local function write_stdout(write, f, ...)
  local n = select("#", ...)
  if n == 1 then
    local s = ...
    return write(f, type(s) == "string" and escape_controls(s) or s)
  end
  for i = 1, n do
    local s = (select(i, ...))
    local r, e = write(f, type(s) == "string" and escape_controls(s) or s)
    if not r then return r, e end
  end
  return f
end

-- Writes to stdout that fail (a full disk, a closed pipe) are remembered:
-- stdio reports a failed large write only to that call, so the command's
-- outcome is checked here and not only by the final flush.
local function watch_stdout()
  local state = {}
  local mt = getmetatable(io.stdout)
  local methods = mt and mt.__index
  if type(methods) ~= "table" or type(methods.write) ~= "function" then return state end
  local write = methods.write
  methods.write = function(f, ...)
    local r, e
    if f == io.stdout then r, e = write_stdout(write, f, ...) else r, e = write(f, ...) end
    if not r and f == io.stdout and not state.err then state.err = e end
    return r, e
  end
  -- the recipes' and commands' io.write and print go through the watch too
  io.write = function(...) return io.stdout:write(...) end -- luacheck: ignore 122
  print = function(...) -- luacheck: ignore 121
    local n, t = select("#", ...), {}
    for i = 1, n do t[i] = tostring((select(i, ...))) end
    io.stdout:write(table.concat(t, "\t"), "\n")
  end
  -- bytes that are data, not text (a profile written to stdout): unescaped
  M.write_bytes = function(s)
    local r, e = write(io.stdout, s)
    if not r and not state.err then state.err = e end
    return r, e
  end
  return state
end

function M.main(argv)
  local _, lerr = M.env_limits(os.getenv("GOESCAPE_LIMITS"))
  if lerr then
    io.stderr:write("goescape: ", lerr, "\n")
    return 2
  end
  local args = {}
  for i = 1, #(argv or {}) do args[i] = argv[i] end
  -- `goescape CMD ...` needs CMD alone; anything else (--help, a typo) lists all.
  local only
  for _, name in ipairs(M.commands) do
    if args[1] == name then only = name end
  end
  local parser, cmds, parsers = M.parser(only)
  -- a command may take go's single-dash flags (bench: -bench, -count)
  if only and cmds[only] and cmds[only].argv then args = cmds[only].argv(args) end
  local ok, parsed = parser:pparse(args)
  -- A subcommand's usage error shows that subcommand's usage.
  local usage_of = only and parsers[only] or parser
  if not ok then
    io.stderr:write(usage_of:get_usage(), "\n\ngoescape: ", tostring(parsed), "\n")
    return 2
  end
  local cmd = cmds[parsed.command]
  local out = watch_stdout()
  local done, err = xpcall(function() return cmd.run(parsed) end, function(e)
    if getmetatable(e) == Failure then return e end
    return debug.traceback(tostring(e), 2)
  end)
  if done then
    -- A full disk or a closed pipe shows at the latest here: a report that
    -- did not reach its reader is a failure, not exit 0.
    local flushed, werr = io.stdout:flush()
    if not flushed or out.err then
      io.stderr:write("goescape: write error: ", tostring(out.err or werr), "\n")
      return 1
    end
    return err == nil and 0 or err
  end
  if getmetatable(err) == Failure then
    io.stdout:flush()
    if err.code == 2 then
      io.stderr:write(usage_of:get_usage(), "\n\ngoescape: ", err.msg, "\n")
      return 2
    end
    io.stderr:write("goescape: ", M.limit_hint(err.msg), "\n")
    return 1
  end
  io.stderr:write("goescape: internal error: ", tostring(err), "\n")
  return 3
end

return M
