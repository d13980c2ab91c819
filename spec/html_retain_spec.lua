-- The HTML report's retention section (goescape html --heapdump): its
-- data (goescape.report.retain_html: the dominator tree's top, bounded,
-- each node with its path and allocation line) on the dump of
-- spec/fixtures/heapdump/retain written by the machine's Go, and the page
-- in headless Chromium: the tree opened three levels deep by its own
-- script (#retain-open=3), the first node's path as breadcrumbs, the
-- sites table with the compiler's messages, no errors.
local H = require "spec.helpers"
local ge = require "goescape"
local html = require "goescape.report.html"
local cjson = require "cjson"
local retain_html = require "goescape.report.retain_html"

local F = require "spec.heapdump_fixtures"
local OUT = H.tmproot .. "/spec-out"
H.mkdir(OUT)

local dumps = F.retain()

local function compiler()
  local comps = H.go_compilers()
  for _, x in ipairs(comps) do if x.go == "GOTOOLCHAIN=local go" then return x end end
  return comps[1]
end

local chromium, FLAGS = H.chromium, H.CHROMIUM_FLAGS
local browse, page_errors = H.browse, H.page_errors

local function depth(nodes, i)
  local k = 0
  while nodes[i].p ~= 0 do i, k = nodes[i].p, k + 1 end
  return k
end

describe("goescape html --heapdump", function()
  local c = compiler()
  local base = ("%s/retain-%s"):format(dumps, c.name)
  local kept = cjson.decode(H.read(base .. ".json"))
  local log = assert(ge.escape.open(base .. ".m2.log"))
  local data = assert(html.data { heapdump = base .. ".dump", binary = base, escape = log })
  local R = data.retain

  it("holds the dominator tree's top: each kept array with its holder's path and its line", function()
    assert.is_true(#R.nodes > 5 and #R.nodes <= 400)
    local by = {}
    for i, n in ipairs(R.nodes) do
      by[n.a] = n
      assert.is_true(n.p < i) -- breadth first: a parent comes before
      if n.p > 0 then assert.is_true(R.nodes[n.p].r >= n.r + R.nodes[n.p].s) end
    end
    for k, want in pairs(kept) do
      local n = assert(by[want.address], k)
      assert.is_true(n.r >= want.size)
      if k == "goroutine" then
        assert.matches("^stack main%.main%.func1 %(goroutine %d+%)", n.path[1])
      else
        assert.equal(want.holder, n.path[1])
      end
      assert.matches("^main%.go:%d+$", n.at)
    end
    -- the sub-slice's array: a first-level node, typed from its global
    local s = by[kept.subslice.address]
    assert.equal(0, s.p)
    assert.equal("[...]uint8", s.t)
    -- and the retention pattern goescape retain gives the same object
    local d = assert(ge.heapdump.open(base .. ".dump", { binary = base }))
    local want
    for _, r in ipairs(assert(d:retainers { n = 20 })) do
      if r.address == kept.subslice.address then want = r end
    end
    d:close()
    assert.equal("subslice_pin", s.pattern)
    assert.equal(assert(want).pattern, s.pattern)
    assert.equal(want.why, s.why)
    assert.matches("bytes%.Clone", s.why)
    -- the sites, with the compiler's message for the arrays' lines
    local msgs = 0
    for _, r in ipairs(R.sites) do
      if r.escape and r.escape.message and r.escape.message:match("^make%(%[%]byte, [^)]+%) escapes to heap$") then
        msgs = msgs + 1
      end
    end
    assert.equal(5, msgs)
  end)

  it("is bounded: per node and in all, with the counts of what is left out", function()
    local d = assert(ge.heapdump.open(base .. ".dump", { binary = base }))
    local m = assert(retain_html.model(d, { per = 2, max = 5, sites = 1 }))
    -- the same walk through d:dominators: breadth first, two children each
    local want, queue = {}, { false }
    local qi = 1
    while queue[qi] ~= nil and #want < 5 do
      local v = queue[qi]
      qi = qi + 1
      for _, r in ipairs(d:dominators(v or nil, { n = 2 })) do
        if #want < 5 then
          want[#want + 1] = r.address
          queue[#queue + 1] = r.address
        end
      end
    end
    local got = {}
    for i, n in ipairs(m.nodes) do got[i] = n.a end
    assert.same(want, got)
    assert.is_true(#m.nodes <= 5)
    local per = {}
    for _, n in ipairs(m.nodes) do per[n.p] = (per[n.p] or 0) + 1 end
    for _, k in pairs(per) do assert.is_true(k <= 2) end
    assert.equal(2, per[0])
    assert.is_true(m.ntop > 2)
    assert.equal(1, #m.sites)
    -- the first level is the largest retainers, largest first
    local top = d:dominators(nil, { n = 2 })
    assert.equal(top[1].address, m.nodes[1].a)
    assert.equal(top[2].address, m.nodes[2].a)
    -- a node's children in all, as d:dominators counts them
    local _, all = d:dominators(m.nodes[1].a, { n = 0 })
    assert.equal(all, m.nodes[1].c)
    d:close()
  end)

  it("renders in headless Chromium: the tree opened three levels, breadcrumbs, sites, no errors", function()
    local report = OUT .. "/retain.html"
    H.must(H.cli_cmd(("html --heapdump %s --binary %s --escape %s -o %s 2>&1"):format(H.q(base .. ".dump"),
      H.q(base), H.q(base .. ".m2.log"), H.q(report))))
    local dom, err = browse("--dump-dom --virtual-time-budget=3000", report, "#retain-open=3")
    assert.are.same({}, page_errors(err))
    assert.is_truthy(dom:find('data-ready="1"', 1, true))
    assert.is_truthy(dom:find('<section id="retention">', 1, true))
    -- the rows drawn: every node of depth 0 to 3 in the page's data
    local page = H.read(report)
    local blob = page:match('<script type="application/json" id="goescape%-data">(.-)</script>')
    local nodes = cjson.decode((blob:gsub("<\\/", "</"))).retain.nodes
    local want = 0
    for i in ipairs(nodes) do if depth(nodes, i) <= 3 then want = want + 1 end end
    local got = 0
    for _ in dom:gmatch('<div class="rt%-node[^"]*" data%-node="%d+"') do got = got + 1 end
    assert.equal(want, got)
    -- the first node's path as breadcrumbs, its root first
    local crumbs = dom:match('<div class="rt%-path" id="retain%-path">(.-)</div>')
    assert.is_truthy(crumbs)
    local first = nodes[1].path[1]:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
    assert.is_truthy(crumbs:find('<span class="rt-step rt-root">' .. first .. "</span>", 1, true))
    -- the sites table, with the escape messages
    local sites = dom:match('<table class="rt%-sites" id="retain%-sites">(.-)</table>')
    assert.is_truthy(sites)
    assert.matches("make%(%[%]byte, [^)]+%) escapes to heap %(too large for the stack%)", sites)
    -- the sub-slice's array, a first-level row: its type and line
    assert.is_truthy(dom:find("held by main%.pinned  ·  %[%.%.%.%]uint8  ·  main%.go:%d+ main%.main  ·  subslice pin</span>"))
    -- the first node's retention pattern, under its path
    if nodes[1].why then
      assert.is_truthy(dom:find('<div class="rt-why" id="retain-why">' .. nodes[1].why:gsub("&", "&amp;")
        :gsub("<", "&lt;"):gsub(">", "&gt;") .. "</div>", 1, true))
    end
    H.sh(("timeout 90 %s %s --user-data-dir=%s --screenshot=%s --window-size=1300,1800 %s > /dev/null 2>&1"):format(
      chromium(), FLAGS, H.q(H.tmpdir("chromium-retain-shot")), H.q(OUT .. "/retain.png"),
      H.q("file://" .. report .. "#retain-open=2")))
  end)

  it("goescape html needs an input; --heapdump alone is one", function()
    local _, rc = H.sh(H.cli_cmd("html -o /dev/null 2>&1"))
    assert.are_not.equal(0, rc)
    local d = assert(html.data { heapdump = base .. ".dump" })
    assert.is_nil(d.rows)
    assert.is_truthy(d.retain.nodes[1])
    assert.has_error(function() html.data { heapdump = 42 } end)
  end)
end)
