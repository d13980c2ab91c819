--- A trace timeline model (goescape.report.timeline) drawn as SVG: the heap
-- (its least-to-most range per bucket, so no peak is lost, and the level
-- held between samples) under the goal, GC cycles shaded behind it and as
-- bands of their own lane, stop-the-world pauses as ticks, goroutines
-- running and runnable (the bucket's mean, stacked; the most running at
-- once as a line), one lane per region name, logs as markers, a time axis.
--
-- Hover: every span is an element with data-s (its index in m.spans,
-- 1-based) and the two charts have a transparent .tl-hit rect with
-- data-area; the HTML page's script looks them up in its data. With
-- opts.text == false the lane names are left empty (.tl-name, data-lane),
-- for the page to fill from its data: nothing from the trace is markup.
local svg = require "goescape.report.svg"
local units = require "goescape.report.units"

local M = {}

local num = svg.num
local X0, RIGHT = 130, 16
local HEAP_H, GC_H, STW_H, G_H, REGION_H, LOG_H, AXIS_H = 150, 14, 10, 70, 14, 12, 22
local PALETTE = { "#5b8def", "#43a88a", "#c77dba", "#e0a040", "#6bb8c9", "#a88f5b", "#d46a6a", "#7d8fa8", "#9aa0a6" }

-- A step path through the buckets with samples (columns c) whose vertical
-- segment at each bucket runs over its least and most values and ends at
-- its last; the level is held between buckets and after the last one.
local function level_path(c, bx, y, xend)
  local p = {}
  for k = 1, #c.i do
    local x = num(bx(c.i[k]))
    p[#p + 1] = (k == 1 and ("M" .. x .. "," .. num(y(c.first[k]))) or ("H" .. x))
      .. "V" .. num(y(c.min[k])) .. "V" .. num(y(c.max[k])) .. "V" .. num(y(c.last[k]))
  end
  if #p > 0 then p[#p + 1] = "H" .. num(xend) end
  return table.concat(p)
end

-- A filled step area over every bucket of the values v (per bucket).
local function area_path(v, bx, y, base, n)
  local p = { "M" .. num(bx(1)) .. "," .. num(base) }
  for i = 1, n do
    p[#p + 1] = "V" .. num(y(v[i])) .. "H" .. num(bx(i + 1))
  end
  p[#p + 1] = "V" .. num(base) .. "Z"
  return table.concat(p)
end

local function step_line(v, bx, y, n)
  local p = {}
  for i = 1, n do
    p[#p + 1] = (i == 1 and ("M" .. num(bx(1)) .. "," .. num(y(v[1]))) or ("V" .. num(y(v[i]))))
      .. "H" .. num(bx(i + 1))
  end
  return table.concat(p)
end

-- A round step for about `want` ticks over span ns: 1, 2 or 5 times 10^k.
local function tick_step(span, want)
  local raw = math.max(span / want, 1)
  local p = 10 ^ math.floor(math.log10(raw))
  for _, m in ipairs({ 1, 2, 5, 10 }) do
    if m * p >= raw then return m * p end
  end
  return 10 * p
end

local function ns_label(ns, step)
  if step >= 1e9 then return ("%g s"):format(ns / 1e9) end
  if step >= 1e6 then return ("%g ms"):format(ns / 1e6) end
  if step >= 1e3 then return ("%g \194\181s"):format(ns / 1e3) end
  return ("%d ns"):format(ns)
end

local function max_of(list, init)
  local m = init or 0
  for _, v in ipairs(list) do if v > m then m = v end end
  return m
end

--- The SVG text of model m. opts: width (the plot's, px; default
-- m.buckets, at least 300), text (false: lane names left empty).
function M.render(m, opts)
  opts = opts or {}
  local n = m.buckets
  local PW = opts.width or math.max(n, 300)
  local span = m.to - m.from
  local function tx(t) return X0 + (span > 0 and (t - m.from) / span or 0) * PW end
  local function bx(i) return X0 + (i - 1) * PW / n end
  local out = {}
  local function add(s) out[#out + 1] = s end
  local y = 8

  -- the heap chart
  local top = max_of(m.heap.max, max_of(m.goal.max, 1)) * 1.05
  local hy0, hy1 = y, y + HEAP_H
  local function hy(v) return hy1 - v / top * HEAP_H end
  add(('<text x="%d" y="%s" class="tl-axis" font-size="11" fill="#555">heap</text>'):format(8, num(hy0 + 12)))
  for k = 0, 4 do
    local v = top * k / 4
    add(('<line x1="%d" x2="%s" y1="%s" y2="%s" stroke="#e6e6e6"/>'):format(X0, num(X0 + PW), num(hy(v)), num(hy(v))))
    if k > 0 then
      add(('<text x="%d" y="%s" font-size="10" fill="#777" text-anchor="end">%s</text>')
        :format(X0 - 4, num(hy(v) + 3), units.bytes(math.floor(v))))
    end
  end
  local gcy0 = hy1 + 6
  for _, s in ipairs(m.spans) do
    if s.kind == "gc" then
      local x = tx(s.start)
      add(('<rect x="%s" y="%s" width="%s" height="%d" fill="#7a5fb5" fill-opacity="0.10" pointer-events="none"/>')
        :format(num(x), num(hy0), num(math.max(1, tx(s["end"]) - x)), HEAP_H))
    end
  end
  local hp = level_path(m.heap, bx, hy, X0 + PW)
  if hp ~= "" then
    add(('<path class="tl-heap-area" d="%sV%sH%sZ" fill="#cfe0f5" stroke="none"/>')
      :format(hp, num(hy1), num(bx(m.heap.i[1]))))
    add(('<path class="tl-heap" d="%s" fill="none" stroke="#3b6fb6" stroke-width="1"/>'):format(hp))
  end
  local gp = level_path(m.goal, bx, hy, X0 + PW)
  if gp ~= "" then
    add(('<path class="tl-goal" d="%s" fill="none" stroke="#d9822b" stroke-width="1.2" stroke-dasharray="4 2"/>')
      :format(gp))
  end
  add(('<rect class="tl-hit" data-area="heap" x="%d" y="%s" width="%s" height="%d" fill="transparent"/>')
    :format(X0, num(hy0), num(PW), HEAP_H))
  y = gcy0

  -- lanes: GC, STW, regions, logs (in m.lanes' order), goroutines after STW
  local lane_y, lane_h = {}, {}
  local function lane_label(k, ly, h)
    local name = opts.text == false and "" or svg.escape(m.lanes[k].name)
    add(('<text class="tl-name" data-lane="%d" x="8" y="%s" font-size="10" fill="#555">%s</text>')
      :format(k, num(ly + h - 3), name))
  end
  local gy0, gy1
  local region_colour = 0
  local colour = {}
  for k, l in ipairs(m.lanes) do
    local h = l.kind == "gc" and GC_H or l.kind == "stw" and STW_H or l.kind == "log" and LOG_H or REGION_H
    if l.kind == "region" and not gy0 then
      -- the goroutine chart sits between GC/STW and the regions
      gy0 = y + 4
      gy1 = gy0 + G_H
      y = gy1 + 8
    end
    if l.kind == "region" then
      region_colour = region_colour + 1
      colour[k] = PALETTE[(region_colour - 1) % #PALETTE + 1]
    end
    lane_y[k], lane_h[k] = y, h
    lane_label(k, y, h)
    add(('<rect x="%d" y="%s" width="%s" height="%d" fill="#f6f6f6"/>'):format(X0, num(y), num(PW), h))
    y = y + h + 3
  end
  if not gy0 then
    gy0 = y + 4
    gy1 = gy0 + G_H
    y = gy1 + 8
  end
  for k, s in ipairs(m.spans) do
    local l = m.lanes[s.lane]
    local ly, h = lane_y[s.lane], lane_h[s.lane]
    local x = tx(s.start)
    local w = math.max(l.kind == "log" and 2 or 1, tx(s["end"]) - x)
    if l.kind == "log" then x = x - 1 end
    local fill = l.kind == "gc" and "#7a5fb5" or l.kind == "stw" and "#c0392b" or l.kind == "log" and "#444"
      or colour[s.lane]
    add(('<rect class="tl-span tl-%s" data-s="%d" x="%s" y="%s" width="%s" height="%d" fill="%s"/>')
      :format(l.kind, k, num(x), num(ly), num(w), h, fill))
  end

  -- goroutines: running and runnable, the bucket's mean, stacked
  local gs = m.goroutines
  local run, both = {}, {}
  for i = 1, n do
    local w = m.edges[i + 1] - m.edges[i]
    run[i] = w > 0 and gs.running[i] / w or 0
    both[i] = run[i] + (w > 0 and gs.runnable[i] / w or 0)
  end
  local gtop = math.max(max_of(both, 1), max_of(gs.running_max, 1))
  local function gyv(v) return gy1 - v / gtop * G_H end
  add(('<text x="8" y="%s" font-size="11" fill="#555">goroutines</text>'):format(num(gy0 + 12)))
  add(('<text x="8" y="%s" font-size="9" fill="#777">running, runnable</text>'):format(num(gy0 + 24)))
  add(('<text x="%d" y="%s" font-size="10" fill="#777" text-anchor="end">%s</text>')
    :format(X0 - 4, num(gy0 + 8), ("%g"):format(math.floor(gtop * 10 + 0.5) / 10)))
  add(('<line x1="%d" x2="%s" y1="%s" y2="%s" stroke="#e6e6e6"/>'):format(X0, num(X0 + PW), num(gy1), num(gy1)))
  add(('<path class="tl-runnable" d="%s" fill="#f0ad4e" fill-opacity="0.7"/>'):format(area_path(both, bx, gyv, gy1, n)))
  add(('<path class="tl-running" d="%s" fill="#4caf50" fill-opacity="0.8"/>'):format(area_path(run, bx, gyv, gy1, n)))
  add(('<path class="tl-running-max" d="%s" fill="none" stroke="#2e7d32" stroke-width="0.8"/>')
    :format(step_line(gs.running_max, bx, gyv, n)))
  add(('<rect class="tl-hit" data-area="goroutines" x="%d" y="%s" width="%s" height="%d" fill="transparent"/>')
    :format(X0, num(gy0), num(PW), G_H))

  -- the time axis, from the trace's start
  local ay = y + 2
  add(('<line x1="%d" x2="%s" y1="%s" y2="%s" stroke="#999"/>'):format(X0, num(X0 + PW), num(ay), num(ay)))
  local step = tick_step(span, 10)
  local t = 0
  while t <= span do
    local x = tx(m.from + t)
    add(('<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#999"/>'):format(num(x), num(x), num(ay), num(ay + 4)))
    add(('<text x="%s" y="%s" font-size="10" fill="#555" text-anchor="middle">%s</text>')
      :format(num(x), num(ay + 14), ns_label(t, step)))
    t = t + step
  end
  local H = ay + AXIS_H
  add(('<line class="tl-cursor" x1="0" x2="0" y1="%s" y2="%s" stroke="#000" stroke-opacity="0.4" '
    .. 'visibility="hidden" pointer-events="none"/>')
    :format(num(hy0), num(ay)))
  local W = X0 + PW + RIGHT
  return ('<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 %s %s" width="%s" height="%s" '
    .. 'data-x0="%d" data-pw="%s" font-family="sans-serif">\n%s\n</svg>\n')
    :format(num(W), num(H), num(W), num(H), X0, num(PW), table.concat(out, "\n"))
end

return M
