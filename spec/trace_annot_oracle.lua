-- The task, region, log and heap growth oracles of the trace specs: `go
-- tool trace -d=parsed` cut down by spec/fixtures/trace/annot.awk, paired
-- and summed here the plain way (its lines in turn, a list of open regions
-- per goroutine), and the same shape made from goescape's t:tasks(),
-- t:regions(), t:logs() and t:growth{}.
local M = {}

M.AWK = "spec/fixtures/trace/annot.awk"

local NOTASK = "18446744073709551615" -- Go's NoTask: no parent

-- numbers as integers (LuaJIT prints big ones in floating point)
local function int(v) return v == nil and "-" or ("%d"):format(tonumber(v)) end

local function fields(line)
  local f = {}
  for x in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x end
  return f
end

local function task_line(id, name, parent, start, stop, g, end_g)
  return ("%s %s %s %s %s %s %s"):format(int(id), name or "-", parent and int(parent) or "-", int(start),
    int(stop), g and int(g) or "-", end_g and int(end_g) or "-")
end

local function region_line(r)
  return ("%s %s %s %s %s %d %s | %d %d %d"):format(int(r.g), int(r.task), r.name, int(r.start),
    int(r["end"]), r.depth, r.exited and "exited" or "-", r.growth, r.freed, r.samples)
end

local function growth_line(key, r)
  return ("%s %d %d %d %s %s"):format(key, r.growth, r.freed, r.samples, int(r.first), int(r.last))
end

-- a row's sums, as the C core adds an increment
local function charge(r, up, down, now)
  r.freed = r.freed + down
  if up == 0 then return end
  if r.samples == 0 then r.first = now end
  r.last = now
  r.growth = r.growth + up
  r.samples = r.samples + 1
end

local function new_sums() return { growth = 0, freed = 0, samples = 0 } end

local function rows(map)
  local out = {}
  for k, r in pairs(map) do
    if r.growth > 0 or r.freed > 0 then out[#out + 1] = growth_line(k, r) end
  end
  table.sort(out)
  return out
end

--- The oracle from annot.awk's lines.
function M.parse(text)
  local tasks, latest, regions, logs = {}, {}, {}, {}
  local open = {} -- goroutine -> list of open regions, innermost last
  local by = { goroutine = {}, region = {}, task = {} }
  local function sums(map, k)
    map[k] = map[k] or new_sums()
    return map[k]
  end
  local outside = new_sums()
  local prev
  local function region(g, task, name, start)
    local r = { g = g, task = task, name = name, start = start, depth = 0, growth = 0, freed = 0, samples = 0 }
    regions[#regions + 1] = r
    return r
  end
  for line in text:gmatch("[^\n]+") do
    local f = fields(line)
    local k, t, g = f[1], f[2], f[3]
    if k == "TB" then
      local row = { id = f[4], name = f[6], parent = f[5] ~= NOTASK and f[5] or nil, start = t, g = g }
      tasks[#tasks + 1] = row
      latest[f[4]] = row
    elseif k == "TE" then
      local row = latest[f[4]]
      if not row or row["end"] then
        row = { id = f[4] }
        tasks[#tasks + 1] = row
        latest[f[4]] = row
      end
      row["end"], row.end_g = t, g
    elseif k == "RB" then
      local stk = open[g] or {}
      open[g] = stk
      local r = region(g, f[4], f[5], t)
      r.depth = #stk
      stk[#stk + 1] = r
    elseif k == "RE" then
      local stk = open[g] or {}
      local r = table.remove(stk) or region(g, f[4], f[5], nil)
      r["end"] = t
    elseif k == "X" then
      for _, r in ipairs(open[g] or {}) do r["end"], r.exited = t, true end
      open[g] = nil
    elseif k == "L" then
      logs[#logs + 1] = ("%s %s %s %s %s"):format(int(t), int(g), int(f[4]), f[5], f[6])
    elseif k == "A" then
      local v = tonumber(f[4])
      if prev then
        local up, down = math.max(v - prev, 0), math.max(prev - v, 0)
        local now = tonumber(t)
        charge(sums(by.goroutine, g == "-1" and "none" or int(g)), up, down, now)
        local stk = open[g]
        local r = stk and stk[#stk]
        if r then
          charge(r, up, down, now)
          charge(sums(by.region, int(r.task) .. "/" .. r.name), up, down, now)
          charge(sums(by.task, int(r.task)), up, down, now)
        else
          charge(outside, up, down, now)
        end
      end
      prev = v
    end
  end
  if outside.growth > 0 or outside.freed > 0 then
    by.region.none, by.task.none = outside, outside
  end
  local out = { tasks = {}, regions = {}, logs = logs, growth = {} }
  for _, r in ipairs(tasks) do
    out.tasks[#out.tasks + 1] = task_line(r.id, r.name, r.parent, r.start, r["end"], r.start and r.g, r.end_g)
  end
  for _, r in ipairs(regions) do out.regions[#out.regions + 1] = region_line(r) end
  for name, map in pairs(by) do out.growth[name] = rows(map) end
  return out
end

--- The same shape from goescape's trace t.
function M.ours(t)
  local out = { tasks = {}, regions = {}, logs = {}, growth = {} }
  for _, r in ipairs(t:tasks()) do
    out.tasks[#out.tasks + 1] = task_line(r.id, r.name, r.parent, r.start, r["end"], r.g, r.end_g)
  end
  for _, r in ipairs(t:regions()) do out.regions[#out.regions + 1] = region_line(r) end
  for _, l in ipairs(t:logs()) do
    out.logs[#out.logs + 1] = ("%s %s %s %s %s"):format(int(l.time), int(l.g), int(l.task), l.key, l.value)
  end
  for _, by in ipairs({ "goroutine", "region", "task" }) do
    local rs = {}
    for _, r in ipairs(t:growth { by = by }) do
      local key = r.unattributed and "none" or by == "goroutine" and int(r.g) or
        by == "region" and int(r.task) .. "/" .. r.region or int(r.task)
      rs[#rs + 1] = growth_line(key, r)
    end
    table.sort(rs)
    out.growth[by] = rs
  end
  return out
end

return M
