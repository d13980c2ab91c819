--- goescape diff BEFORE AFTER [--fail-on C] [--json | --sarif]
--
-- Two escape logs (text or logopt): what newly escapes, what no longer does,
-- what changed inlining, keyed so that line shifts are no change; --fail-on
-- makes it a CI gate (exit 1). Profiles are compared the way pprof does it,
-- by `goescape top --base BEFORE AFTER`: given profiles, diff says so.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"

local M = { help = "Compare two escape logs: what newly escapes (CI gate, SARIF)" }

function M.setup(c)
  c:argument("before", "Escape log before the change (text -m/-m=2, or a -json=0,DIR logopt directory)")
  c:argument("after", "Escape log after the change")
  c:option("--fail-on", "Exit 1 on: new-escapes, new-heap, lost-inline, any (repeatable, or a,b)")
    :count("*")
  c:mutex(c:flag("--json", "One JSON object"), c:flag("--sarif", "A SARIF 2.1.0 log (code scanning)"))
  c:epilog([[
  goescape diff before.log after.log --fail-on new-escapes --sarif > escapes.sarif
Profiles: goescape top --base before.pb.gz after.pb.gz]])
end

local function is_profile_text(s)
  return s:sub(1, 13) == "heap profile:" or s:sub(1, 10) == "--- mutex:"
    or s:sub(1, 15) == "--- contention:" or s:sub(1, 16) == "--- contentionz "
    or s:match("^%w+ profile: total ") ~= nil
end

--- "profile" or "escape" from a path's first bytes (directories are logopt).
function M.sniff(path)
  if path == "-" then return "escape" end
  local f = io.open(path, "rb")
  if not f then cli.fail("%s: cannot open", path) end
  local head, _, code = f:read(512)
  f:close()
  if head == nil and code == 21 then return "escape" end -- a logopt directory
  head = head or ""
  if head:sub(1, 2) == "\31\139" then return "profile" end -- gzip
  if is_profile_text(head) then return "profile" end
  -- A log names Go files at positions from its first lines on, whatever
  -- bytes its messages carry (a corrupt log may hold control characters).
  if head:match("^#") or head:find("%.go:%d+") or head:match("^%s*{") then return "escape" end
  -- An ungzipped profile.proto is binary (Go writes its fields in any order,
  -- so no fixed first byte); escape logs and logopt JSON are text.
  if head:find("[%z\1-\8\14-\26\28-\31]") then return "profile" end
  return "escape"
end

local GLYPH = { added = "+", removed = "-", changed = "~" }
local SECTIONS = {
  { title = "New escapes", cats = { ["new-heap"] = true, ["new-leak"] = true } },
  { title = "No longer escaping", cats = { ["gone-heap"] = true, ["gone-leak"] = true } },
  { title = "Inlining", cats = { ["lost-inline"] = true, ["gained-inline"] = true,
    ["inline-cost"] = true, ["new-inlined-call"] = true, ["gone-inlined-call"] = true,
    ["new-inlinable"] = true, ["gone-inlinable"] = true } },
  { title = "Other diagnostics", cats = nil },
}

local function pos(e)
  if (e.col or 0) > 0 then return ("%s:%d:%d"):format(e.file or "?", e.line or 0, e.col) end
  return ("%s:%d"):format(e.file or "?", e.line or 0)
end

local function describe(e)
  local m = e.message or e.kind
  if e.changes then
    if e.changes.kind then
      m = ("%s (was: %s)"):format(m, e.before.message)
    else
      local parts = {}
      for _, f in ipairs { "cost", "target", "level", "derefs", "size" } do
        local c = e.changes[f]
        if c then parts[#parts + 1] = ("%s %s -> %s"):format(f, tostring(c[1]), tostring(c[2])) end
      end
      m = m .. " (" .. table.concat(parts, ", ") .. ")"
    end
  end
  if e.func and e.func:sub(1, 1) ~= "@" then m = m .. "  [" .. e.func .. "]" end
  return m
end

local function print_text(d, before, after, hit, fail_on)
  local out = { ("escape diff: %s -> %s"):format(before, after) }
  local done = {}
  for _, sec in ipairs(SECTIONS) do
    local lines = {}
    for _, which in ipairs { "added", "removed", "changed" } do
      for _, e in ipairs(d[which]) do
        if not done[e] and (sec.cats == nil or sec.cats[e.category]) then
          done[e] = true
          local mark = require("goescape.analysis.diff").gated(e, fail_on) and "!" or " "
          lines[#lines + 1] = ("%s%s %-16s %s  %s"):format(GLYPH[which], mark, e.category, pos(e), describe(e))
        end
      end
    end
    if #lines > 0 then
      out[#out + 1] = ""
      out[#out + 1] = sec.title .. ":"
      for _, l in ipairs(lines) do out[#out + 1] = l end
    end
  end
  local s = d.summary
  out[#out + 1] = ""
  out[#out + 1] = ("%d new escapes (%d to the heap), %d no longer escape, %d lost inlining, "
    .. "%d gained inlining, %d cost changes; %d added, %d removed, %d changed, %d unchanged")
    :format(s.new_escapes, s.new_heap, s.gone_escapes, s.lost_inline, s.gained_inline,
      s.cost_changes, s.added, s.removed, s.changed, s.unchanged)
  if #hit > 0 then out[#out + 1] = "FAIL: " .. table.concat(hit, ", ") end
  io.stdout:write(table.concat(out, "\n"), "\n")
end

local function fail_on_list(args)
  local t = {}
  local gates = require("goescape.analysis.diff").GATES
  for _, v in ipairs(args.fail_on or {}) do
    for c in tostring(v):gmatch("[^,%s]+") do
      if not gates[c] then
        cli.usage("--fail-on: unknown condition '%s' (new-escapes, new-heap, lost-inline, any)", c)
      end
      t[#t + 1] = c
    end
  end
  return t
end

local function escape_diff(args, before, after)
  local fail_on = fail_on_list(args)
  local A = ge.analysis
  local blog = cli.check(ge.escape.open(before))
  local alog = cli.check(ge.escape.open(after))
  local d = cli.check(A.diff { before = blog, after = alog })
  local hit = A.diff.gate(d, fail_on)
  if args.sarif then
    io.stdout:write(require("goescape.report.sarif").diff(d, { fail_on = fail_on, version = ge.version }), "\n")
  elseif args.json then
    local o = { before = before, after = after, summary = d.summary, failed = setmetatable(hit, json.array_mt),
      added = setmetatable(d.added, json.array_mt), removed = setmetatable(d.removed, json.array_mt),
      changed = setmetatable(d.changed, json.array_mt) }
    io.stdout:write(json.encode(o, { "before", "after", "failed", "summary", "added", "removed", "changed",
      "category", "kind", "file", "line", "col", "package", "func", "subject", "message" }), "\n")
  else
    print_text(d, before, after, hit, fail_on)
  end
  return #hit > 0 and 1 or 0
end

function M.run(args)
  for _, path in ipairs { args.before, args.after } do
    if M.sniff(path) == "profile" then
      cli.usage("diff: %s is a profile: compare profiles with goescape top --base BEFORE AFTER", path)
    end
  end
  return escape_diff(args, args.before, args.after)
end

return M
