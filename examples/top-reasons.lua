-- top-reasons.lua: why does this program allocate? Heap diagnostics grouped by
-- their escape reason, weighted by bytes when a profile is given.
--
--   goescape run examples/top-reasons.lua LOG [PROFILE [SAMPLE]]
--
-- LOG: go build -gcflags=-m=2 2> LOG; PROFILE: an allocs/heap profile.
local ge = ge or require "goescape"
local advice = ge.analysis.advice

local log_path, prof_path, sample = arg[1], arg[2], arg[3]
if not log_path then
  io.stderr:write("usage: top-reasons.lua LOG [PROFILE [SAMPLE]]\n")
  os.exit(2)
end
local log = assert(ge.escape.open(log_path))

local by = {}   -- reason key -> {title=, count=, bytes=, example=}
local function add(a, bytes, where)
  local r = by[a.reason] or { title = a.title, count = 0, bytes = 0 }
  by[a.reason] = r
  r.count = r.count + 1
  r.bytes = r.bytes + (bytes or 0)
  if bytes and (not r.top or bytes > r.top) then r.top, r.example = bytes, where end
  r.example = r.example or where
end

if prof_path then
  local prof = assert(ge.profile.open(prof_path))
  local hot = assert(ge.analysis.hotspots { escape = log, profile = prof, sample = sample, n = 0 })
  for _, row in ipairs(hot.rows) do
    if row.advice then add(row.advice, row.flat, row.func) end
  end
else
  for d in log:each { kind = "escape" } do
    local a = advice.explain(d)
    if a then add(a, nil, ("%s:%d %s"):format(d.file, d.line, d.subject or "")) end
  end
end

local list = {}
for key, r in pairs(by) do r.key = key; list[#list + 1] = r end
table.sort(list, function(a, b)
  if a.bytes ~= b.bytes then return a.bytes > b.bytes end
  if a.count ~= b.count then return a.count > b.count end
  return a.key < b.key
end)
print(("%-36s %6s %12s  %s"):format("reason", "count", prof_path and "bytes" or "", "e.g."))
for _, r in ipairs(list) do
  print(("%-36s %6d %12s  %s"):format(r.title, r.count,
    prof_path and advice.human_bytes(r.bytes) or "", r.example or ""))
end
