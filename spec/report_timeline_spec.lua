-- The HTML report's trace timeline (goescape.report.timeline, t:timeline)
-- on the traces of spec/trace_fixtures.lua (recorded once for all the
-- trace specs). Each part of the
-- model is recomputed here from the trace's own methods and events: heap and
-- goal buckets from t:heap(), GC bands from t:gc(), goroutine time from
-- t:each_goroutine(), regions and logs from their events (paired and merged
-- here, in Lua). The page must be well-formed (a tag checker here; the
-- standalone SVG through xmllint, Debian's libxml2-utils, when installed),
-- self-contained and small, and draw itself in headless Chromium.
local H = require "spec.helpers"
local ge = require "goescape"
local timeline = require "goescape.report.timeline"

-- The trace fixtures of every trace spec (spec/trace_fixtures.lua).
local function trace_dirs()
  local dirs = {}
  for _, d in ipairs(require("spec.trace_fixtures").dirs()) do
    local c = d.compiler
    if tonumber(c.version:match("^1%.(%d+)")) >= 22 then dirs[#dirs + 1] = { name = c.name, dir = d.dir } end
  end
  return dirs
end

local OUT = H.tmproot .. "/spec-out"
H.mkdir(OUT)

-- The bucket of time x: the last whose first ns is at or before it.
local function bucket_of(edges, n, x)
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if edges[mid] <= x then lo = mid else hi = mid - 1 end
  end
  return lo
end

-- Buckets {i, first, min, max, last, n} of the samples {time, v}.
local function buckets_of(samples, edges, n)
  local by, order = {}, {}
  for _, s in ipairs(samples) do
    local b = bucket_of(edges, n, s.time)
    local e = by[b]
    if not e then
      e = { i = b, first = s.v, min = s.v, max = s.v, n = 0 }
      by[b] = e
      order[#order + 1] = e
    end
    e.min, e.max, e.last, e.n = math.min(e.min, s.v), math.max(e.max, s.v), s.v, e.n + 1
  end
  local c = { i = {}, first = {}, min = {}, max = {}, last = {}, n = {} }
  for k, e in ipairs(order) do
    for f in pairs(c) do c[f][k] = e[f] end
  end
  return c
end

local function plain(c)
  local out = {}
  for f, col in pairs(c) do
    out[f] = {}
    for k, v in ipairs(col) do out[f][k] = v end
  end
  return out
end

-- Merges {start, end} intervals (start order) closer than gap.
local function merged(items, gap)
  local out = {}
  for _, it in ipairs(items) do
    local cur = out[#out]
    if cur and it.start <= cur["end"] + gap then
      cur["end"] = math.max(cur["end"], it["end"])
      cur.n, cur.busy = cur.n + 1, cur.busy + (it["end"] - it.start)
    else
      out[#out + 1] = { start = it.start, ["end"] = it["end"], n = 1, busy = it["end"] - it.start }
    end
  end
  return out
end

local function by_start(a, b)
  if a.start ~= b.start then return a.start < b.start end
  return a["end"] < b["end"]
end

-- Regions (by name) and logs from the trace's events: an end closes the
-- innermost open region of its name on its goroutine.
local function regions_and_logs(t, from, to)
  local open, names, logs = {}, {}, {}
  local function add(name, s, e)
    names[name] = names[name] or {}
    table.insert(names[name], { start = math.max(s, from), ["end"] = math.min(e, to) })
  end
  for ev in t:each { type = { "UserRegionBegin", "UserRegionEnd", "UserLog" } } do
    local g = ev.g or -1
    if ev.type == "UserRegionBegin" then
      open[#open + 1] = { g = g, name = ev.args.name, start = ev.time }
    elseif ev.type == "UserRegionEnd" then
      local found
      for i = #open, 1, -1 do
        if open[i].g == g and open[i].name == ev.args.name then found = table.remove(open, i); break end
      end
      add(ev.args.name, found and found.start or from, ev.time)
    else
      logs[#logs + 1] = { start = ev.time, ["end"] = ev.time }
    end
  end
  for _, o in ipairs(open) do add(o.name, o.start, to) end
  for _, l in pairs(names) do table.sort(l, by_start) end
  return names, logs
end

local function spans_of(m, kind, name)
  local out = {}
  for _, s in ipairs(m.spans) do
    local l = m.lanes[s.lane]
    if l.kind == kind and (name == nil or l.name == name) then
      out[#out + 1] = { start = s.start, ["end"] = s["end"], n = s.n, busy = s.busy }
    end
  end
  return out
end

-- A tag checker for the page: outside <script> and <style>, every element
-- opened is closed in order (HTML's void elements and <.../> excepted).
local VOID = { meta = true, link = true, br = true, img = true, input = true, hr = true, wbr = true,
  col = true, area = true, base = true, source = true, track = true, embed = true, param = true }
local function tags_balance(page)
  local stack, i = {}, 1
  while true do
    local s, e, close, name, rest = page:find("<(/?)([%a][%w%-]*)([^>]*)>", i)
    if not s then break end
    name = name:lower()
    if close == "/" then
      local top = table.remove(stack)
      if top ~= name then return false, ("</%s> at byte %d closes <%s>"):format(name, s, tostring(top)) end
    elseif not VOID[name] and not rest:match("/%s*$") then
      stack[#stack + 1] = name
      if name == "script" or name == "style" then
        local cs = page:find("</" .. name .. ">", e + 1, true)
        if not cs then return false, "unclosed <" .. name .. ">" end
        e = cs - 1
      end
    end
    i = e + 1
  end
  if #stack > 0 then return false, "unclosed: " .. table.concat(stack, " ") end
  return true
end

local function has_xmllint() return select(2, H.sh("command -v xmllint")) == 0 end

describe("the trace timeline", function()
  local dirs = trace_dirs()

  for _, d in ipairs(dirs) do
    for _, name in ipairs({ "annot", "gc", "http" }) do
      local path = d.dir .. "/" .. name .. ".trace"

      it(("buckets the heap and goal of the %s %s trace as t:heap() has them"):format(d.name, name), function()
        local t = assert(ge.trace.open(path))
        for _, n in ipairs({ 1, 7, 300, 1000 }) do
          local m = timeline.model(t, { buckets = n })
          assert.are.equal(n, m.buckets)
          assert.are.equal(n + 1, #m.edges)
          for i = 1, n + 1 do
            assert.are.equal(t.start + math.floor((t["end"] - t.start) * (i - 1) / n), m.edges[i])
          end
          local heap, goal = {}, {}
          for _, r in ipairs(t:heap()) do
            if r.type == "HeapAlloc" then heap[#heap + 1] = { time = r.time, v = r.heap_alloc }
            else goal[#goal + 1] = { time = r.time, v = r.heap_goal } end
          end
          assert.is_true(#heap > 0)
          assert.are.same(buckets_of(heap, m.edges, n), plain(m.heap))
          assert.are.same(buckets_of(goal, m.edges, n), plain(m.goal))
          -- the first and last samples and the peak are kept
          assert.are.equal(heap[1].v, m.heap.first[1])
          assert.are.equal(heap[#heap].v, m.heap.last[#m.heap.last])
          local peak = 0
          for _, s in ipairs(heap) do peak = math.max(peak, s.v) end
          assert.are.equal(peak, m.totals.peak_heap)
          assert.are.equal(#heap, m.totals.heap_samples)
        end
      end)

      it(("keeps to a time range of the %s %s trace"):format(d.name, name), function()
        local t = assert(ge.trace.open(path))
        local span = t["end"] - t.start
        local from, to = t.start + math.floor(span / 3), t["end"] - math.floor(span / 4)
        local n = 250
        local m = timeline.model(t, { buckets = n, from = from, to = to })
        assert.are.equal(from, m.edges[1])
        assert.are.equal(to, m.edges[n + 1])
        local heap = {}
        for _, r in ipairs(t:heap()) do
          if r.type == "HeapAlloc" and r.time >= from and r.time <= to then
            heap[#heap + 1] = { time = r.time, v = r.heap_alloc }
          end
        end
        assert.are.same(buckets_of(heap, m.edges, n), plain(m.heap))
        local cycles = {}
        for _, c in ipairs(t:gc().cycles) do
          local s, e = c.start or t.start, c["end"] or t["end"]
          if e >= from and s <= to then
            cycles[#cycles + 1] = { start = math.max(s, from), ["end"] = math.min(e, to) }
          end
        end
        assert.are.same(merged(cycles, math.floor((to - from) / n)), spans_of(m, "gc"))
        assert.are.equal(#cycles, m.totals.gc_cycles)
      end)

      it(("draws GC cycles, pauses, goroutines, regions and logs of the %s %s trace as the trace has them")
        :format(d.name, name), function()
        local t = assert(ge.trace.open(path))
        local n = 1000
        local m = timeline.model(t, { buckets = n, lanes = 100 })
        local from, to = t.start, t["end"]
        local gap = math.floor((to - from) / n)
        local gc = t:gc()
        local function whole(list)
          local out = {}
          for _, c in ipairs(list) do out[#out + 1] = { start = c.start or from, ["end"] = c["end"] or to } end
          table.sort(out, by_start)
          return out
        end
        -- GC bands: t:gc()'s cycles, one band each unless closer than a bucket
        local cycles = whole(gc.cycles)
        assert.are.same(merged(cycles, gap), spans_of(m, "gc"))
        assert.are.equal(#gc.cycles, m.totals.gc_cycles)
        assert.are.same(merged(whole(gc.stw), gap), spans_of(m, "stw"))
        if name == "gc" then
          assert.is_true(#cycles >= 2)
          local ones = 0
          for _, s in ipairs(spans_of(m, "gc")) do if s.n == 1 then ones = ones + 1 end end
          assert.is_true(ones >= 2)
        end
        -- goroutines: the time in each state, summed, is the goroutine model's
        local run, runnable = 0, 0
        for g in t:each_goroutine() do run, runnable = run + g.running, runnable + g.runnable end
        local G, srun, srunnable = m.goroutines, 0, 0
        for i = 1, n do
          srun, srunnable = srun + G.running[i], srunnable + G.runnable[i]
          local w = m.edges[i + 1] - m.edges[i]
          assert.is_true(G.running[i] <= G.running_max[i] * w)
          assert.is_true(G.runnable[i] <= G.runnable_max[i] * w)
        end
        assert.are.equal(run, srun)
        assert.are.equal(runnable, srunnable)
        assert.is_true(run > 0)
        -- regions by name, and logs
        local names, logs = regions_and_logs(t, from, to)
        local nregions = 0
        for rname, list in pairs(names) do
          nregions = nregions + #list
          assert.are.same(merged(list, gap), spans_of(m, "region", rname))
        end
        assert.are.equal(nregions, m.totals.regions)
        local lspans = spans_of(m, "log")
        for _, s in ipairs(lspans) do s.busy = nil end
        local want = merged(logs, gap)
        for _, s in ipairs(want) do s.busy = nil end
        assert.are.same(want, lspans)
        assert.are.equal(#logs, m.totals.logs)
        if name == "annot" then
          assert.is_true(nregions > 0)
          assert.is_true(#logs > 0)
        end
      end)
    end

    it(("writes a self-contained, well-formed, bounded page for a trace alone (%s)"):format(d.name), function()
      local path = d.dir .. "/gc.trace"
      local out = OUT .. "/timeline-" .. d.name .. ".html"
      local o, rc, err = H.cli(("html --trace %s -o %s"):format(H.q(path), H.q(out)))
      assert.are.equal(0, rc, o .. err)
      local page = H.read(out)
      assert.is_true(tags_balance(page))
      assert.is_nil(page:find("src%s*=%s*[\"']?https?:"))
      assert.is_nil(page:find("href%s*=%s*[\"']?https?:"))
      assert.is_nil(page:gsub("http://www%.w3%.org/2000/svg", ""):find("https?://"))
      assert.is_nil(page:find("innerHTML", 1, true))
      assert.are.equal(2, select(2, page:gsub("<script", "")))
      -- bounded: one svg of at most 4 values per bucket and series
      local svg = assert(page:match('<template id="ge%-timeline">(.-)</template>'))
      for d_ in svg:gmatch(' d="([^"]*)"') do
        assert.is_true(select(2, d_:gsub("[%d.]+", "")) <= 8 * 1000 + 16)
      end
      assert.is_true(#page < 400 * 1024, "page of " .. #page .. " bytes")
      -- the trace's strings are data, not markup
      for l in svg:gmatch('<text class="tl%-name"[^>]*>(.-)</text>') do assert.are.equal("", l) end
      local data = ge.report.json.decode(page:match('<script type="application/json" id="goescape%-data">(.-)</script>'))
      assert.are.equal(path, data.names.trace)
      assert.is_true(#data.timeline.spans > 0)
      -- the standalone SVG, with its lane names, is XML
      local t = assert(ge.trace.open(d.dir .. "/annot.trace"))
      local sfile = OUT .. "/timeline-" .. d.name .. ".svg"
      H.write(sfile, timeline.svg(timeline.model(t)))
      assert.is_true(tags_balance(H.read(sfile)))
      if has_xmllint() then H.must("xmllint --noout " .. H.q(sfile)) end
    end)
  end

  it("adds the timeline to a report with a profile, from a trace path", function()
    local d = dirs[#dirs]
    local prof = assert(ge.profile.open(H.root .. "/spec/fixtures/profile/data/allocs.pb.gz"))
    local out = OUT .. "/timeline-profile.html"
    local data = assert(ge.report.html(out, { profile = prof, trace = d.dir .. "/annot.trace",
      timeline = { buckets = 200, rows = function(s) return { { "kind", s.kind } } end } }))
    assert.is_truthy(data.rows)
    assert.are.equal(200, data.timeline.buckets)
    assert.are.same({ { "kind", data.timeline.spans[1].kind } }, data.timeline.spans[1].rows)
    local page = H.read(out)
    assert.is_true(tags_balance(page))
    assert.is_truthy(page:find('id="ge-timeline"', 1, true))
    local _, err, code = ge.report.html(out, { trace = d.dir .. "/missing.trace" })
    assert.is_truthy(err)
    assert.are.equal(nil, _)
    local _, rc, e = H.cli("html --trace " .. H.q(d.dir .. "/missing.trace") .. " -o " .. H.q(out))
    assert.are.equal(1, rc)
    assert.matches("missing.trace", e)
    local _ = code
  end)

  it("raises on misuse", function()
    local d = dirs[#dirs]
    local t = assert(ge.trace.open(d.dir .. "/annot.trace"))
    assert.has_error(function() timeline.model(t, { bogus = 1 }) end, "timeline.model: unknown option 'bogus'")
    assert.has_error(function() timeline.model(t, { buckets = 0 }) end)
    assert.has_error(function() timeline.model({}) end)
    assert.has_error(function() t:timeline { buckets = 2e6 } end)
    assert.has_error(function() t:timeline { from = 10, to = 5 } end)
    assert.has_error(function() ge.report.html(OUT .. "/x.html", { trace = 42 }) end)
    t:close()
    assert.has_error(function() t:timeline() end)
  end)

  -- A copy of the page with a probe script: it moves the pointer over the
  -- first GC band and over the heap chart, and writes what the tooltip
  -- said into <body data-probe>.
  local PROBE = [[<script>
(function () {
  function over(el, dx) {
    var r = el.getBoundingClientRect();
    el.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: r.left + (dx || 1), clientY: r.top + 2 }));
    return document.querySelector(".tl-tip").textContent;
  }
  var gc = document.querySelector(".tl-span.tl-gc"), hit = document.querySelector('.tl-hit[data-area="heap"]');
  document.body.setAttribute("data-probe", over(gc) + " || " + over(hit, hit.getBoundingClientRect().width / 2));
})();
</script>]]

  it("draws itself in headless Chromium: lanes named from the data, hover shows a span and a slice", function()
    local out = OUT .. "/timeline-" .. dirs[#dirs].name .. ".html"
    local o, rc = H.sh("command -v chromium")
    if rc ~= 0 then pending("chromium is not installed") return end
    local probe = OUT .. "/timeline-probe.html"
    H.write(probe, (H.read(out):gsub("</body>", function() return PROBE .. "</body>" end)))
    local ud = H.tmpdir("chromium-timeline")
    local dom, rc2, err = H.sh(("env -u LD_PRELOAD timeout 90 %s --headless --no-sandbox --disable-gpu --no-first-run "
      .. "--enable-logging=stderr --v=0 --user-data-dir=%s --dump-dom %s"):format(o:gsub("%s+$", ""), H.q(ud),
      H.q("file://" .. probe)))
    H.sh("rm -rf " .. H.q(ud))
    assert.are.equal(0, rc2, err)
    assert.is_truthy(dom:find('data-timeline="1"', 1, true))
    assert.is_truthy(dom:find('<section id="timeline">', 1, true))
    assert.is_truthy(dom:find('data%-lane="1"[^>]*>GC<title>GC</title></text>'))
    assert.is_truthy(dom:find('href="#timeline"', 1, true))
    local said = assert(dom:match('data%-probe="([^"]*)"'))
    assert.matches("^GC cycle 1.- ms", said)
    assert.matches("|| [%d.]+ ms \226\134\146 [%d.]+ ms.-heap [%d.]+ [KM]iB.-running [%d.]+ on average", said)
    for line in err:gmatch("[^\n]+") do
      assert.is_nil(line:find("Uncaught", 1, true), line)
      assert.is_nil(line:find("Refused to", 1, true), line)
    end
  end)
end)
