-- did-my-change-allocate.lua: did my change add allocations, and why? Each
-- benchmark whose B/op or allocs/op changed significantly (benchstat's U
-- test), with the escape-analysis changes in the functions it allocates in.
--
--   goescape bench --against main --keep runs    # writes runs/old and runs/new
--   goescape run examples/did-my-change-allocate.lua runs/old runs/new
--
-- OLD and NEW are directories as `goescape bench --keep` writes them:
-- bench.txt (the results), escape.log (-m=2), profiles/index.txt and the
-- profiles it names. Exits 1 when a benchmark allocates more.
local ge = ge or require "goescape"

local old_dir, new_dir = arg[1], arg[2]
if not (old_dir and new_dir) then
  io.stderr:write("usage: did-my-change-allocate.lua OLD NEW (directories of goescape bench --keep)\n")
  os.exit(2)
end

local function side(dir)
  local profiles = {}
  local f = io.open(dir .. "/profiles/index.txt", "rb")
  if f then
    for line in f:lines() do
      local name, file = line:match("^(.-)\t(.+)$")
      if name then profiles[name] = dir .. "/profiles/" .. file end
    end
    f:close()
  end
  return { bench = dir .. "/bench.txt", escape = dir .. "/escape.log", profiles = profiles }
end

local r = assert(ge.analysis.benchdiff { old = side(old_dir), new = side(new_dir) })
if #r.changes == 0 then
  print("no significant change of B/op or allocs/op")
  return 0
end
local more = false
for _, c in ipairs(r.changes) do
  more = more or c.new.center > c.old.center
  print(c.name .. ": " .. c.text)
  for _, g in ipairs(c.growth or {}) do
    print(("    %+d  %s:%d %s%s"):format(g.delta, g.file:match("[^/]*$"), g.line, g.func or "?",
      g.advice and ("  (" .. g.advice.title .. ")") or ""))
  end
end
return more and 1 or 0
