--- goescape diff BEFORE AFTER [--fail-on C] [--format text|json|sarif]
-- goescape diff --base BASE [--by ...] [--sample S] [-n N] [--json] [-o OUT] PROFILE
--
-- Two escape logs (text or logopt): what newly escapes, what no longer does,
-- what changed inlining, keyed so that line shifts are no change; --fail-on
-- makes it a CI gate (exit 1). Two pprof profiles (told apart by their first
-- bytes: gzip, protobuf, legacy text headers): AFTER minus BEFORE, like
-- `go tool pprof -top -diff_base=BEFORE AFTER`; -o writes the difference as a
-- gzipped profile.proto.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"
local U = require("goescape.cmd.top").util

local M = { help = "Compare two escape logs (CI gate, SARIF) or two pprof profiles" }

function M.setup(c)
  c:argument("inputs", "BEFORE AFTER: two escape logs or two profiles (PROFILE with --base)")
    :args("1-2"):argname("<input>")
  c:option("--fail-on", "Exit 1 on: new-escapes, new-heap, lost-inline, any (repeatable, or a,b)")
    :count("*")
  c:option("--format", "Output format: text, json, sarif (sarif: escape logs only)")
    :choices { "text", "json", "sarif" }
  c:option("--base", "Profiles: the base profile to subtract")
  c:option("--by", "Profiles: group by function, line, file or stack", "function")
    :choices { "function", "line", "file", "stack" }
  c:option("-n", "Profiles: rows to print (0: all)", "10"):convert(cli.count)
  c:flag("--json", "One JSON object per row (profiles); same as --format json")
  c:option("-o --output", "Profiles: also write the difference as a profile.proto file")
  U.filters(c)
  c:epilog([[
Escape logs (go build -gcflags=-m=2 2> LOG, or a -json=0,DIR logopt directory):
  goescape diff before.log after.log --fail-on new-escapes --format sarif > escapes.sarif
Profiles (gzipped profile.proto, legacy text):
  goescape diff old.pb.gz new.pb.gz      same as: goescape diff --base old.pb.gz new.pb.gz]])
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

local function profile_diff(args, base_path, path)
  local prof, base = U.open(path), U.open(base_path)
  local d = cli.check(prof:diff(base))
  if args.output then cli.check(d:write(args.output)) end
  local rows, err, total = d:top(U.query(args, { by = args.by }))
  if not rows then cli.fail(tostring(err)) end
  local n = args.n
  if not n or n < 0 then cli.usage("-n: expected a number >= 0") end
  if n == 0 or n > #rows then n = #rows end
  for i = #rows, n + 1, -1 do rows[i] = nil end
  U.print_top(d, rows, total, args, n)
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
  local d = cli.check(A.diff(blog, alog))
  local hit = A.diff.gate(d, fail_on)
  local format = args.format or (args.json and "json") or "text"
  if format == "sarif" then
    io.stdout:write(require("goescape.report.sarif").diff(d, { fail_on = fail_on, version = ge.version }), "\n")
  elseif format == "json" then
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
  local inputs = args.inputs
  if args.base then
    if #inputs ~= 1 then cli.usage("diff --base BASE takes one PROFILE") end
    if args.format == "sarif" then cli.usage("--format sarif: only for escape logs") end
    if args.format == "json" then args.json = true end
    return profile_diff(args, args.base, inputs[1])
  end
  if #inputs ~= 2 then cli.usage("diff: expected BEFORE AFTER (or --base BASE PROFILE)") end
  local k1, k2 = M.sniff(inputs[1]), M.sniff(inputs[2])
  if k1 ~= k2 then
    cli.fail("diff: cannot compare %s (%s) with %s (%s)", inputs[1],
      k1 == "profile" and "a profile" or "an escape log", inputs[2],
      k2 == "profile" and "a profile" or "an escape log")
  end
  if k1 == "profile" then
    if args.format == "sarif" then cli.usage("--format sarif: only for escape logs") end
    if #(args.fail_on or {}) > 0 then cli.usage("--fail-on: only for escape logs") end
    if args.format == "json" then args.json = true end
    return profile_diff(args, inputs[1], inputs[2])
  end
  return escape_diff(args, inputs[1], inputs[2])
end

return M
