--- Causes for a costed line whose diagnostics report no heap move: the
-- runtime function that allocated under it (a profile's stack, or the call
-- instruction at the line's address), a "does not escape" subject whose size
-- is decided at run time, or the source line itself. Part of
-- goescape.analysis.advice, which gives these functions to its callers.
local R = require "goescape.analysis.reasons"

local M = {}

-- advice requires this module at load; this one asks advice for its
-- subject rules and ranking only when it runs.
local function advice() return require "goescape.analysis.advice" end

-- Runtime allocators, as a profile's stack names them under the user's
-- frame or the call instruction at the line's address calls them (see
-- binary:call_target), and the reason each one means.
local RUNTIME = {
  growslice = "append", makeslice = "non_constant_size", makeslice64 = "non_constant_size",
  makeslicecopy = "non_constant_size", makemap = "map_growth", makemap_small = "map_growth",
  mapassign = "map_growth", mapassign_fast32 = "map_growth", mapassign_fast64 = "map_growth",
  mapassign_faststr = "map_growth", mapassign_fast64ptr = "map_growth", hashGrow = "map_growth",
  makechan = "make_chan", concatstrings = "concat", concatstring2 = "concat",
  concatstring3 = "concat", concatstring4 = "concat", concatstring5 = "concat",
  concatbytes = "concat", slicebytetostring = "string_bytes", stringtoslicebyte = "string_bytes",
  stringtoslicerune = "string_bytes", slicerunetostring = "string_bytes",
  intstring = "string_bytes", rawstring = "string_bytes", rawbyteslice = "string_bytes",
  newproc = "goroutine", deferproc = "defer", newobject = "new_object",
  chanrecv1 = "chan_wait", chanrecv2 = "chan_wait", chansend1 = "chan_wait", selectgo = "chan_wait",
  convT = "interface", convTnoptr = "interface", convT16 = "interface", convT32 = "interface",
  convT64 = "interface", convTstring = "interface", convTslice = "interface",
  convT2E = "interface", convT2I = "interface",
}
M.runtime_allocators = RUNTIME

--- The reason a runtime function means when a line calls it to allocate
-- ("runtime.growslice" -> "append"), or nil.
function M.runtime_reason(func)
  local name = func:match("^runtime%.([%w_]+)$") or func:match("^internal/runtime/[%w_/]+%.([%w_]+)$")
  return name and RUNTIME[name] or nil
end

-- The reason for a "does not escape" subject that still allocates: its
-- size or growth is decided at run time.
local function silent_reason(subj)
  local by_subj = advice().allocating_subject(subj)
  if by_subj then return by_subj end
  if subj:match("^make%(chan") then return "make_chan" end
  if subj:match("^make%(map") or subj:match("^map%[.*%]") then return "map_growth" end
  local sz = subj:match("^make%(%[%][^,]*,%s*(.-)%)$")
  if sz then
    local len = sz:match("^([^,]*)")
    if not len:match("^%d+$") then return "non_constant_size" end
    return nil
  end
  return nil
end

local SOURCE_PATTERNS = {
  { "make%(%s*chan[%s%(]", "make_chan" }, { "^%s*go%s", "goroutine" },
  { "append%(", "append" }, { "make%(%s*map%[", "map_growth" },
  { "make%(%s*%[%]", "make_slice" }, { "strings%.Builder", "concat" },
  { "<%-", "chan_wait" }, { "^%s*select%s*{", "chan_wait" },
}

-- Whether a line assigns into a map: "m[k] = v" (or op=, ++) where m is
-- declared as a map in the lines above it (the function's own lines, at
-- most 200): a map grows its buckets on the heap as it fills.
local function map_assigned(text, env, file, line)
  local name = text:match("^%s*([%a_][%w_]*)%[.-%]%s*[%+%-%*/|&%^]?=[^=]")
    or text:match("^%s*([%a_][%w_]*)%[.-%]%s*%+%+")
  if not name then return false end
  local f = env.ctx and env.ctx:func_at(file, line)
  local first = f and f.line or math.max(1, line - 200)
  if line - first > 200 then first = line - 200 end
  local pats = { "%f[%w_]" .. name .. "%s*:=%s*map%[", "%f[%w_]" .. name .. "%s*:=%s*make%(%s*map%[",
    "%f[%w_]" .. name .. "%s*=%s*make%(%s*map%[", "%f[%w_]" .. name .. "%s*=%s*map%[",
    "%f[%w_]" .. name .. "%s+map%[" }
  for l = line - 1, first, -1 do
    local t = env.source(file, l)
    if t then
      for _, p in ipairs(pats) do if t:match(p) then return true end end
    end
  end
  return false
end

--- A cause for a costed line whose diagnostics report no heap move, or nil:
-- {reason=, title=, why=, fix=, inferred = "stack"|"log"|"source"}.
-- env.runtime (or env.runtime_of(), asked only here): the runtime function
-- that allocated under this line; recs: the line's diagnostics; env.source as above;
-- not_in_log: the log has nothing for this file (the package was not
-- compiled with -m), so silence is no evidence.
function M.infer(recs, env, file, line, not_in_log)
  local key, via, what
  local rt = env and (env.runtime or (env.runtime_of and env.runtime_of()))
  local rk = rt and M.runtime_reason(rt)
  -- makeslice is also how an escaping make([]T, constant) allocates: only a
  -- log that reports no heap move for the line says the size is the cause
  if rk == "non_constant_size" and not_in_log then rk = "make_slice" end
  if rk then key, via, what = rk, "stack", rt end
  if not key then
    for _, d in ipairs(recs or {}) do
      if d.kind == "does_not_escape" and d.subject then
        local k = silent_reason(d.subject)
        if k and (not key or (advice().rank[k] or 99) < (advice().rank[key] or 99)) then
          key, via, what = k, "log", d.subject .. " does not escape"
        end
      end
    end
  end
  if not key and env and env.source and file and line then
    local text = env.source(file, line)
    if text then
      for _, p in ipairs(SOURCE_PATTERNS) do
        if text:match(p[1]) then key, via, what = p[2], "source", nil break end
      end
      if not key and map_assigned(text, env, file, line) then key, via = "map_growth", "source" end
    end
  end
  if not key then return nil end
  local r = R[key]
  local note
  if via == "stack" then
    note = ("This line calls %s, which allocated; %s. "):format(what, not_in_log
      and "the escape log has no diagnostics for this package (it was not compiled with -m)"
      or "the compiler reported no heap move here")
  elseif via == "log" then
    note = ("The compiler reported no heap move here (%s), but the allocation is made at run "
      .. "time: "):format(what)
  elseif not_in_log then
    note = "The escape log has no diagnostics for this package (it was not compiled with -m); "
      .. "its source line shows the cause: "
  else
    note = "The compiler reported no heap move for this line; its source shows the cause: "
  end
  local fix = r.fix
  if not_in_log then fix = fix .. " " .. R.not_in_log.fix end
  return { reason = key, title = r.title, why = note .. r.why, fix = fix, inferred = via,
    not_in_log = not_in_log or nil }
end

return M
