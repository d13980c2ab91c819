-- The heap, GC and goroutine oracles of the trace specs: `go tool trace
-- -d=parsed` cut down by spec/fixtures/trace/model.awk, summed here the
-- plain way (every transition of -d=parsed in turn), and the same shape
-- made from goescape's t:heap(), t:gc() and t:each_goroutine().
local M = {}

M.AWK = "spec/fixtures/trace/model.awk"

local STATE = { Running = "running", Runnable = "runnable", Syscall = "syscall", Waiting = "waiting" }

-- numbers as integers (LuaJIT prints big ones in floating point)
local function int(v) return v == nil and "-" or ("%d"):format(tonumber(v)) end

local function fmt_heap(time, typ, v, g) return ("%s %s %s %s"):format(int(time), typ, int(v), int(g)) end

--- The oracle from model.awk's lines.
function M.parse(text)
  local heap, cycles, stw, gs, open_stw = {}, {}, {}, {}, {}
  local open_gc
  local trans = {}
  local last
  for line in text:gmatch("[^\n]+") do
    local k = line:sub(1, 1)
    if k == "M" then
      local t, g, a, v = line:match("^M (%d+) (%-?%d+) (%u) (%d+)$")
      heap[#heap + 1] = fmt_heap(t, a == "A" and "HeapAlloc" or "HeapGoal", v, g ~= "-1" and g or nil)
    elseif k == "R" then
      local what, t, scope, name = line:match("^R (%a+) (%d+) (%S+) (.*)$")
      if name == "GC concurrent mark phase" then
        if what == "Begin" or (what == "Active" and not open_gc) then
          open_gc = { start = what == "Begin" and t or "-" }
          cycles[#cycles + 1] = open_gc
        elseif what == "End" and open_gc then
          open_gc["end"] = t
          open_gc = nil
        end
      else
        local kind = name:match("^stop%-the%-world %((.*)%)$")
        if what == "Begin" then
          local s = { kind = kind, start = t, g = scope }
          stw[#stw + 1] = s
          open_stw[scope .. kind] = s
        elseif what == "End" and open_stw[scope .. kind] then
          open_stw[scope .. kind]["end"] = t
          open_stw[scope .. kind] = nil
        end
      end
    elseif k == "S" then
      trans[#trans + 1] = line
    elseif k == "E" then
      last = tonumber(line:match("^E (%d+)"))
    end
  end
  -- goroutine states: each transition charges the time since the one before
  -- to the state it leaves (waiting: to its reason when it had one)
  local cur = {}
  local function charge(id, now)
    local c = cur[id]
    local g = gs[id]
    if not c or not STATE[c.state] then return end
    local d = now - c.since
    if c.state == "Waiting" and c.reason ~= "" then
      g.blocked = g.blocked + d
      g.blocked_by[c.reason] = (g.blocked_by[c.reason] or 0) + d
    else
      local f = STATE[c.state]
      g[f] = g[f] + d
    end
  end
  for _, line in ipairs(trans) do
    local t, id, from, to, reason = line:match("^S (%d+) (%d+) (%a+) (%a+) ?(.*)$")
    t, id = tonumber(t), tonumber(id)
    if from ~= to then
      if not gs[id] then
        gs[id] = { running = 0, runnable = 0, syscall = 0, waiting = 0, blocked = 0, blocked_by = {} }
      end
      charge(id, t)
      if from == "NotExist" then gs[id].created = t; gs[id].ended = nil end
      if to == "NotExist" then gs[id].ended = t end
      cur[id] = { state = to, since = t, reason = reason }
    end
  end
  for id in pairs(gs) do charge(id, last) end
  local cyc = {}
  for _, c in ipairs(cycles) do cyc[#cyc + 1] = c.start .. " " .. (c["end"] or "-") end
  local pauses = {}
  for _, s in ipairs(stw) do
    pauses[#pauses + 1] = ("%s %s %s %s"):format(s.kind, s.start, s["end"] or "-", s.g)
  end
  return { heap = heap, cycles = cyc, stw = pauses, goroutines = gs, ["end"] = last }
end

--- The same shape from goescape's model of trace t.
function M.ours(t)
  local heap = {}
  for _, s in ipairs(t:heap()) do
    heap[#heap + 1] = fmt_heap(s.time, s.type, s.type == "HeapAlloc" and s.heap_alloc or s.heap_goal, s.g)
  end
  local gc = t:gc()
  local cyc, pauses = {}, {}
  for _, c in ipairs(gc.cycles) do cyc[#cyc + 1] = int(c.start) .. " " .. int(c["end"]) end
  for _, s in ipairs(gc.stw) do
    pauses[#pauses + 1] = ("%s %s %s %s"):format(s.kind, int(s.start), int(s["end"]), int(s.g))
  end
  local gs = {}
  for g in t:each_goroutine() do
    gs[g.id] = { running = g.running, runnable = g.runnable, syscall = g.syscall, waiting = g.waiting,
      blocked = g.blocked, blocked_by = g.blocked_by, created = g.created, ended = g.ended }
  end
  return { heap = heap, cycles = cyc, stw = pauses, goroutines = gs, ["end"] = t["end"] }
end

return M
