-- growth.lua: what grew between two heap profiles (two runs, or two points in
-- time of one process), line by line, and why each line allocates on the heap.
--
--   goescape run examples/growth.lua LOG BEFORE AFTER [SAMPLE [N]]
--
-- SAMPLE: inuse_space for a leak (what is still live), alloc_space for churn.
local ge = ge or require "goescape"
local human = ge.analysis.advice.human_bytes

local log_path, before, after = arg[1], arg[2], arg[3]
local sample, n = arg[4], tonumber(arg[5] or "10")
if not (log_path and before and after) then
  io.stderr:write("usage: growth.lua LOG BEFORE AFTER [SAMPLE [N]]\n")
  os.exit(2)
end

local g = assert(ge.analysis.growth { escape = log_path, before = before, after = after,
  sample = sample, n = n })
local function fmt(v, sign)
  local s = g.sample.unit == "bytes" and human(math.abs(v)) or tostring(math.abs(v))
  return (v < 0 and "-" or (sign and "+" or "")) .. s
end

print(("%s grew by %s (%s -> %s)"):format(g.sample.type, fmt(g.total_delta, true),
  fmt(g.before_total), fmt(g.after_total)))
for _, r in ipairs(g.rows) do
  print(("%12s  %s:%d  %s"):format(fmt(r.delta, true), r.file:match("[^/]*$"), r.line,
    r.func or "?"))
  if r.advice then
    print(("%12s  why: %s"):format("", r.advice.title))
    print(("%12s  fix: %s"):format("", r.advice.fix))
  end
end
