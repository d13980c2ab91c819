-- rss-leak.lua: is this RSS growth a leak? MemStats snapshots of one process
-- (curl host:port/debug/pprof/heap?debug=1 > snapN.txt, or /debug/vars),
-- oldest first, split into what the runtime holds; with two heap profiles
-- (curl .../debug/pprof/heap > heapN.pb.gz) and the escape log, the lines
-- that keep the memory and why they are on the heap.
--
--   goescape run examples/rss-leak.lua SNAP1 SNAP2 [SNAP...] [+ BEFORE AFTER [LOG]]
local ge = ge or require "goescape"

local snaps, extra, after_plus = {}, {}, false
for _, a in ipairs(arg) do
  if a == "+" then after_plus = true
  elseif after_plus then extra[#extra + 1] = a
  else snaps[#snaps + 1] = a end
end
if #snaps < 2 or (after_plus and #extra < 2) then
  io.stderr:write("usage: rss-leak.lua SNAP1 SNAP2 [SNAP...] [+ BEFORE AFTER [LOG]]\n")
  os.exit(2)
end

local r = assert(ge.memory.rss { snapshots = snaps, before = extra[1], after = extra[2], escape = extra[3] })
local MiB = 1048576
local v = r.verdict
print(("%s: %s"):format(v.leak and "leak: likely" or "leak: unlikely", v.text))
for _, p in ipairs(r.parts) do
  if p.key ~= "released" then
    local steps = {}
    for i, x in ipairs(p.values) do steps[i] = ("%.1f"):format(x / MiB) end
    print(("  %-46s %s MiB"):format(p.title, table.concat(steps, " -> ")))
  end
end
for _, p in ipairs(r.parts) do
  if p.key == v.key then print("what to do: " .. p.todo) end
end
if r.growth then
  print("who keeps it (heap profile growth):")
  for i, x in ipairs(r.growth.rows) do
    if i > 5 then break end
    print(("  %+.1f MiB  %s:%d  %s%s"):format(x.delta / MiB, (x.file or "?"):match("[^/]*$"), x.line or 0,
      x.func or "?", x.advice and ("  (" .. x.advice.title .. ")") or ""))
  end
end
