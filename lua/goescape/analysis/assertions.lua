--- ge.analysis.assertions: `//goescape:` directives in Go sources, checked
-- against an existing escape log (no rebuild), in the spirit of gcassert.
--
--   //goescape:noescape        on a statement: nothing on that line moves to or
--                              escapes to the heap; on a func declaration: nothing
--                              in the function does, and no parameter leaks
--   //goescape:inline          on a func declaration: the function is inlinable;
--                              on a statement: a call on that line is inlined
--   //goescape:inline F G      on a statement: the calls to F and G are inlined
--
-- A directive applies to its own line when code precedes it (trailing
-- comment), else to the next line with code (so it can sit in a doc comment).
--
--   local res = ge.analysis.assertions{escape = log_or_paths, sources = {dir_or_file...}}
--   res.ok, res.passed (count), res.failed = {{file=, line=, directive=, message=}...},
--   res.checked (count), res.directives (every directive found)
local inputs = require "goescape.analysis.inputs"

local M = {}

local OPTIONS = inputs.keys({ escape = "escape" }, { "sources" })

local HEAP = require("goescape.escape").HEAP
local LEAK = { leaking_param = true, leaking_param_content = true }
M.DIRECTIVES = { noescape = true, inline = true }

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("*a")
  f:close()
  if not s then return nil, path .. ": cannot read" end
  return s
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function is_dir(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local ok, _, code = f:read(1)
  f:close()
  return ok == nil and code == 21 -- EISDIR
end

-- The .go files under a directory (recursively, skipping hidden directories,
-- testdata and vendor, as the go command does), sorted.
local function go_files(dir)
  local p = io.popen("find " .. q(dir) .. " \\( -name '.?*' -o -name testdata -o -name vendor \\)"
    .. " -prune -o -type f -name '*.go' -print 2>/dev/null | LC_ALL=C sort")
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
end

--- Scans Go source text: directives and top-level func declarations.
-- Returns {directives = {{line=, col=, name=, args={}, target=}...},
--          funcs = {[decl_line] = {first=, last=, name=}}}
function M.scan(src)
  if type(src) ~= "string" then error("bad argument #1 to 'scan' (string expected)", 2) end
  local n = #src
  local i, line = 1, 1
  local depth, paren = 0, 0
  local code_lines = {}     -- line -> true when a token other than a comment is on it
  local first_tok = {}      -- line -> first token on it
  local directives = {}
  local funcs = {}
  local cur                 -- the func declaration being read
  local prev_ident
  local function tok(t)
    if not code_lines[line] then code_lines[line] = true; first_tok[line] = t end
  end
  while i <= n do
    local c = src:sub(i, i)
    if c == "\n" then
      line = line + 1; i = i + 1
    elseif c == " " or c == "\t" or c == "\r" then
      i = i + 1
    elseif c == "/" and src:sub(i + 1, i + 1) == "/" then
      local e = src:find("\n", i, true) or n + 1
      local text = src:sub(i + 2, e - 1)
      local name, rest = text:match("^goescape:([%w_%-]+)(.*)$")
      if name then
        local args = {}
        for a in rest:gmatch("%S+") do args[#args + 1] = a end
        directives[#directives + 1] = { line = line, col = i - (src:sub(1, i):match(".*\n()") or 1) + 1,
          name = name, args = args, trailing = code_lines[line] or false }
      end
      i = e
    elseif c == "/" and src:sub(i + 1, i + 1) == "*" then
      local _, e = src:find("*/", i + 2, true)
      e = e or n
      for _ in src:sub(i, e):gmatch("\n") do line = line + 1 end
      i = e + 1
    elseif c == '"' or c == "'" then
      tok(c)
      local j = i + 1
      while j <= n do
        local d = src:sub(j, j)
        if d == "\\" then j = j + 2
        elseif d == c or d == "\n" then break
        else j = j + 1 end
      end
      i = j + 1
    elseif c == "`" then
      tok(c)
      local e = src:find("`", i + 1, true) or n
      for _ in src:sub(i, e):gmatch("\n") do line = line + 1 end
      i = e + 1
    elseif c:match("[%a_]") then
      local id = src:match("^[%w_]+", i)
      tok(id)
      if id == "func" and depth == 0 and paren == 0 and first_tok[line] == "func" and not cur then
        cur = { first = line, depth = 0 }
        local name = src:match("^func%s*%b()%s*([%w_]+)", i) or src:match("^func%s+([%w_]+)", i)
        cur.name = name
      end
      prev_ident = id
      i = i + #id
    elseif c:match("%d") then
      tok(c)
      i = i + #src:match("^[%w_%.]+", i)
    else
      tok(c)
      if c == "(" then paren = paren + 1
      elseif c == ")" then paren = paren - 1
      elseif c == "{" then
        if cur and not cur.body and paren == 0 and prev_ident ~= "interface" and prev_ident ~= "struct" then
          cur.body = depth + 1
        end
        depth = depth + 1
      elseif c == "}" then
        depth = depth - 1
        if cur and cur.body and depth < cur.body then
          cur.last = line
          funcs[cur.first] = cur
          cur = nil
        end
      end
      prev_ident = nil
      i = i + 1
    end
  end
  if cur then -- a declaration without a body (assembly) ends at its line
    cur.last = cur.first
    funcs[cur.first] = cur
  end
  for _, d in ipairs(directives) do
    if d.trailing then
      d.target = d.line
    else
      local l = d.line + 1
      while l <= line and not code_lines[l] do l = l + 1 end
      d.target = code_lines[l] and l or nil
    end
  end
  return { directives = directives, funcs = funcs }
end

local function components(p)
  local t = {}
  for c in tostring(p):gmatch("[^/\\]+") do
    if c ~= "." then t[#t + 1] = c end
  end
  return t
end

-- Number of equal trailing path components.
local function common_tail(a, b)
  local n = 0
  while n < #a and n < #b and a[#a - n] == b[#b - n] do n = n + 1 end
  return n
end

-- log file names -> records; source path -> the log file(s) naming it.
local function index_log(log)
  local by_file, comps = {}, {}
  for r in log:each() do
    local f = r.file
    if f and f ~= "" then
      if not by_file[f] then by_file[f] = {}; comps[f] = components(f) end
      table.insert(by_file[f], r)
    end
  end
  return by_file, comps
end

local function records_for(path, by_file, comps)
  local pc = components(path)
  local best, recs = 0, nil
  for f, c in pairs(comps) do
    local s = common_tail(pc, c)
    if s > best then
      best, recs = s, {}
      for _, r in ipairs(by_file[f]) do recs[#recs + 1] = r end
    elseif s == best and s > 0 then
      for _, r in ipairs(by_file[f]) do recs[#recs + 1] = r end
    end
  end
  return recs
end

local function why(r)
  local reasons = {}
  for _, s in ipairs(r.flow or {}) do
    if s.type == "from" and s.reason then reasons[#reasons + 1] = s.reason end
  end
  local m = r.message or r.kind
  if #reasons > 0 then m = m .. " (" .. table.concat(reasons, " -> ") .. ")" end
  return m
end

-- A `parameter p leaks to {heap}` / `{storage for ...}` header (logopt gives
-- only these, no `leaking param:` line); leaks to results are not escapes.
local function heap_leak(r)
  local t = r.target or ""
  return t == "{heap}" or t:sub(1, 12) == "{storage for"
end

local function callee_matches(subject, want)
  if subject == want then return true end
  local n = #want
  if #subject > n then
    local tail = subject:sub(-n)
    local sep = subject:sub(-n - 1, -n - 1)
    return tail == want and (sep == "." or sep == ")")
  end
  return false
end

-- Checks one directive; returns nil when it holds, else the failure message.
local function check_one(d, funcs, recs)
  if not M.DIRECTIVES[d.name] then
    return ("unknown directive //goescape:%s (known: inline, noescape)"):format(d.name)
  end
  if not d.target then return "directive applies to no code" end
  if not recs then
    return "no diagnostics for this file in the log (was it built with -gcflags=-m?)"
  end
  local fn = funcs[d.target]
  local first, last = d.target, d.target
  if fn then first, last = fn.first, fn.last end
  if d.name == "noescape" then
    local bad, leaks = {}, {}
    for _, r in ipairs(recs) do
      if LEAK[r.kind] then leaks[(r.line or 0) .. ":" .. (r.col or 0)] = true end
    end
    for _, r in ipairs(recs) do
      local l = r.line or 0
      if l >= first and l <= last and (HEAP[r.kind] or (fn and (LEAK[r.kind]
          or (r.kind == "param_leaks" and heap_leak(r) and not leaks[l .. ":" .. (r.col or 0)])))) then
        bad[#bad + 1] = ("%d:%d: %s"):format(l, r.col or 0, why(r))
      end
    end
    if #bad > 0 then return table.concat(bad, "; ") end
    return nil
  end
  -- inline
  if fn then
    for _, r in ipairs(recs) do
      if r.line == fn.first and r.kind == "can_inline" then return nil end
    end
    for _, r in ipairs(recs) do
      if r.line == fn.first and r.kind == "cannot_inline" then
        return ("%s is not inlinable: %s"):format(fn.name or r.subject, r.target or r.message)
      end
    end
    return ("%s is not inlinable (the log has no 'can inline' for it)"):format(fn.name or "function")
  end
  local calls = {}
  for _, r in ipairs(recs) do
    if r.line == d.target and r.kind == "inlining_call" then calls[#calls + 1] = r.subject or "" end
  end
  if #d.args == 0 then
    if #calls == 0 then return "no call on this line is inlined" end
    return nil
  end
  local missing = {}
  for _, want in ipairs(d.args) do
    local found = false
    for _, s in ipairs(calls) do if callee_matches(s, want) then found = true; break end end
    if not found then missing[#missing + 1] = want end
  end
  if #missing > 0 then
    local got = #calls > 0 and (" (inlined here: " .. table.concat(calls, ", ") .. ")") or ""
    return ("call to %s not inlined%s"):format(table.concat(missing, ", "), got)
  end
  return nil
end

-- Checks every //goescape: directive of the sources against the log.
-- opts: {escape = escape log, path or list of paths, sources = {file or
-- directory...}}. Returns {ok=, passed=, checked=, failed = {{file=, line=,
-- col=, directive=, message=}...}, directives = {{file=, line=, directive=,
-- args=, target=}...}}, or nil, err, code for unreadable input.
local function check(inp, opts)
  local sources = opts.sources
  if type(sources) == "string" then sources = { sources } end
  if type(sources) ~= "table" then
    error("assertions: sources must be a path or a list of paths (got " .. type(sources) .. ")", 3)
  end
  for _, p in ipairs(sources) do
    if type(p) ~= "string" then error("assertions: sources must be paths (got " .. type(p) .. ")", 3) end
  end
  local log, lerr, code = inp:open_escape("escape")
  if not log then return nil, lerr, code end
  local files = {}
  for _, p in ipairs(sources) do
    if is_dir(p) then
      for _, f in ipairs(go_files(p)) do files[#files + 1] = f end
    else
      files[#files + 1] = p
    end
  end
  local by_file, comps = index_log(log)
  local res = { passed = 0, checked = 0, failed = {}, directives = {} }
  for _, path in ipairs(files) do
    local src, err = read(path)
    if not src then return nil, tostring(err) end
    if src:find("//goescape:", 1, true) then
      local s = M.scan(src)
      local recs = records_for(path, by_file, comps)
      for _, d in ipairs(s.directives) do
        res.checked = res.checked + 1
        res.directives[#res.directives + 1] = { file = path, line = d.line, directive = d.name,
          args = d.args, target = d.target, func = s.funcs[d.target or 0] and s.funcs[d.target].name }
        local msg = check_one(d, s.funcs, recs)
        if msg then
          res.failed[#res.failed + 1] = { file = path, line = d.target or d.line, col = d.col,
            directive = d.name, message = msg, directive_line = d.line }
        else
          res.passed = res.passed + 1
        end
      end
    end
  end
  res.ok = #res.failed == 0
  return res
end

return inputs.analysis(M, "assertions", OPTIONS, check)
