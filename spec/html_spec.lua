-- The HTML report, the flame graph and the DOT -> SVG helper. The demo's
-- report is opened in headless Chromium (Debian's package, installed here
-- with apt-get when running as root): the page's own script must build the
-- hotspot table, expand a row to its -m=2 flow chain (#expand=1), draw the
-- flame graph, and log no error; a screenshot goes to build/spec-tmp/LUA/spec-out/report.png.
-- A crafted log and profile whose names are markup must not inject anything.
local H = require "spec.helpers"
local ge = require "goescape"
local html = require "goescape.report.html"
local flame = require "goescape.report.flame"
local svg = require "goescape.report.svg"

local DEMO = H.root .. "/examples/demo"
local OUT = H.tmproot .. "/spec-out"
H.mkdir(OUT)

-- The demo built by the machine's Go (else the first compiler found), run
-- once to write its allocation profile.
local function demo()
  local comps = H.go_compilers()
  local c = comps[1]
  for _, x in ipairs(comps) do if x.go == "GOTOOLCHAIN=local go" then c = x end end
  assert(c, "no Go compiler")
  return H.cached("html-demo-" .. c.name, function(d)
    H.must(("cp %s/main.go %s/go.mod %s/"):format(H.q(DEMO), H.q(DEMO), H.q(d)))
    H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 -o demo . 2> m2.log")
      :format(H.q(d), H.q(d), c.go))
    H.must(("cd %s && ./demo allocs.pb.gz > /dev/null"):format(H.q(d)))
  end), c
end

local browse, page_errors = H.browse, H.page_errors

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

local function json_block(page)
  return page:match('<script type="application/json" id="goescape%-data">(.-)</script>')
end

-- The page without the text of its JSON data block (which holds the input's
-- strings verbatim, as inert text).
local function markup(page)
  return (page:gsub('(<script type="application/json" id="goescape%-data">).-(</script>)', "%1%2"))
end

describe("goescape html", function()
  local dir = demo()
  local report = OUT .. "/report.html"
  local out, rc, err = H.cli(("html --escape %s --profile %s -n 30 -o %s"):format(
    H.q(dir .. "/m2.log"), H.q(dir .. "/allocs.pb.gz"), H.q(report)))
  local log = assert(ge.escape.open(dir .. "/m2.log"))
  local prof = assert(ge.profile.open(dir .. "/allocs.pb.gz"))
  local data = assert(html.data { escape = log, profile = prof, n = 30 })

  it("writes one self-contained page", function()
    assert.are.equal(0, rc, out .. err)
    local page = H.read(report)
    assert.is_truthy(page:find("Content-Security-Policy", 1, true))
    -- no CDN, no external reference (the SVG namespace name is not fetched)
    assert.is_nil(page:gsub("http://www%.w3%.org/2000/svg", ""):find("https?://"))
    assert.is_nil(page:find("<link", 1, true))
    assert.is_nil(page:find("innerHTML", 1, true))
    assert.is_nil(page:find("insertAdjacentHTML", 1, true))
    assert.is_nil(page:find("document.write", 1, true))
    assert.are.equal(2, count(page, "<script"))
    local block = assert(json_block(page))
    local decoded = ge.report.json.decode(block)
    assert.are.equal(#data.rows, #decoded.rows)
    assert.are.equal(data.rows[1].file, decoded.rows[1].file)
    assert.is_true(#page < 400 * 1024)
  end)

  it("renders in headless Chromium: rows, an expanded flow chain, the flame graph, no errors", function()
    local dom, log_err = browse("--dump-dom --virtual-time-budget=3000", report, "#expand=1&noscroll")
    assert.are.same({}, page_errors(log_err))
    assert.is_truthy(dom:find('data-ready="1"', 1, true))
    assert.is_truthy(dom:find('id="ge-errors" class="errors" hidden', 1, true))
    -- the table has the expected rows, in rank order
    assert.are.equal(#data.rows, count(dom, '<tr class="row[^"]*" data%-rank="%d+"'))
    for i = 1, math.min(5, #data.rows) do
      local r = data.rows[i]
      local loc = r.file:match("[^/]*$") .. ":" .. r.line
      assert.is_truthy(dom:find('data-rank="' .. i .. '"><td class="num">' .. i .. "</td>", 1, true), loc)
      assert.is_truthy(dom:find(">" .. loc .. "<", 1, true), loc)
    end
    -- the demo's heaviest lines are there
    local want = { ["main.go:34"] = "main.collect", ["main.go:41"] = "main.buffer", ["main.go:21"] = "main.newPoint" }
    for loc, fn in pairs(want) do
      assert.is_truthy(dom:find(">" .. loc .. "<", 1, true), loc)
      assert.is_truthy(dom:find(">" .. fn .. "<", 1, true), fn)
    end
    -- #expand=1 opened the first row: its diagnostics and the -m=2 chain
    local detail = dom:match('<tr class="detail" id="detail%-1">(.-)</tr>')
    assert.is_truthy(detail, "row 1 expanded")
    local r1 = data.rows[1]
    local with_flow
    for _, d in ipairs(r1.diags) do if #d.flow > 0 then with_flow = d; break end end
    assert.is_truthy(with_flow, "row 1 has a -m=2 flow")
    assert.is_truthy(detail:find('class="flowchain"', 1, true))
    for _, st in ipairs(with_flow.flow) do
      if st.type == "from" then
        assert.is_truthy(detail:find("(" .. st.reason .. ")", 1, true), st.reason)
      end
    end
    assert.is_truthy(detail:find('<svg', 1, true), "flow graph drawn")
    assert.is_truthy(detail:find("{heap}", 1, true))
    assert.is_truthy(detail:find('class="advice"', 1, true))
    -- the flame graph: one frame per kept node, with the demo's functions
    local flame_svg = assert(dom:match('<div id="flamegraph">(.-)</div>'))
    local nodes = 0
    local function walk(t) nodes = nodes + 1; for _, k in ipairs(t[3] or {}) do walk(k) end end
    walk(data.flame.root)
    assert.are.equal(nodes, count(flame_svg, '<g class="frame">'))
    for _, fn in ipairs { "runtime.main", "main.main", "main.collect", "main.buffer" } do
      assert.is_truthy(flame_svg:find("<title>" .. fn .. " (", 1, true), fn)
    end
    -- annotated source of main.go with its diagnostics
    assert.is_truthy(dom:find('id="src-0-34"', 1, true))
    assert.is_truthy(dom:find("moved to heap", 1, true))
  end)

  it("leaves a screenshot for a person to look at", function()
    local png = OUT .. "/report.png"
    os.remove(png)
    local _, log_err = browse(("--screenshot=%s --window-size=1400,2000 --hide-scrollbars"):format(H.q(png)),
      report, "#expand=1&noscroll")
    assert.are.same({}, page_errors(log_err))
    local s = H.read(png)
    assert.are.equal("\137PNG", s:sub(1, 4))
    assert.is_true(#s > 20000)
  end)
end)

describe("crafted input", function()
  local EVIL = "<img src=x onerror=alert(1)>"
  local d = H.tmpdir("html-evil")
  local file = d .. "/x<script>alert(1)</script>&\"'.go"
  local text = ("# evil/pkg\n%s:3:6: moved to heap: %s\n%s:3:6: %s escapes to heap:\n"
    .. "%s:3:6:   flow: {heap} \226\134\144 &%s:\n%s:3:6:     from &%s (address-of) at %s:3:9\n")
    :format(file, EVIL, file, EVIL, file, EVIL, file, EVIL, file)
  H.write(d .. "/evil.log", text)
  local p = assert(ge.profile.parse("heap profile: 1: 4096 [1: 4096] @ heap/1\n"
    .. "1: 4096 [1: 4096] @ 0x401000 0x402000\n", "evil"))
  p = assert(p:symbolize(function(a)
    if a < 0x401500 then return { { func = "main." .. EVIL, file = file, line = 3 } } end
    return { { func = "main.</script><script>alert(2)</script><!--", file = file, line = 9 } }
  end))
  assert(p:write(d .. "/evil.pb.gz"))
  local report = OUT .. "/evil.html"
  local out, rc, err = H.cli(("html --escape %s --profile %s --title %s -o %s"):format(H.q(d .. "/evil.log"),
    H.q(d .. "/evil.pb.gz"), H.q("t</title><script>alert(3)</script>"), H.q(report)))

  it("stays data: JSON with </ escaped, no markup from the input", function()
    assert.are.equal(0, rc, out .. err)
    local page = H.read(report)
    assert.are.equal(2, count(markup(page), "<script"))
    assert.are.equal(0, count(markup(page), "<img"))
    local block = assert(json_block(page))
    assert.is_nil(block:find("</", 1, true))
    assert.is_nil(block:find("<!--", 1, true))
    assert.is_truthy(block:find("<\\/script>", 1, true))
    local data = ge.report.json.decode(block)
    assert.are.equal(file, data.rows[1].file)
    assert.are.equal("main." .. EVIL, data.rows[1].func)
    assert.are.equal(EVIL, data.rows[1].diags[1].subject)
    assert.is_truthy(page:find("<title>t&lt;/title&gt;&lt;script&gt;", 1, true))
  end)

  it("injects no element in the browser", function()
    local dom, log_err = browse("--dump-dom --virtual-time-budget=3000", report, "#expand=1&noscroll")
    assert.are.same({}, page_errors(log_err))
    assert.is_truthy(dom:find('data-ready="1"', 1, true))
    assert.are.equal(0, count(markup(dom), "<img"))
    assert.are.equal(2, count(markup(dom), "<script"))
    assert.is_truthy(dom:find("&lt;img src=x onerror=alert(1)&gt;", 1, true))
    assert.is_truthy(dom:find('id="detail-1"', 1, true))
  end)
end)

describe("ge.report.flame", function()
  it("matches a plain trie on the demo's profile", function()
    local dir = demo()
    local prof = assert(ge.profile.open(dir .. "/allocs.pb.gz"))
    local folded = prof:folded { sample = "alloc_space" }
    local tree = assert(flame.tree(prof, { sample = "alloc_space", min = 0 }))
    local root = H.folded_trie(folded)
    assert.are.equal(root.v, tree.value)
    local function same(a, b)
      local n = 0
      for _, c in ipairs(a.children or {}) do
        n = n + 1
        assert.are.equal(b.c[c.name].v, c.value, c.name)
        same(c, b.c[c.name])
      end
      local m = 0
      for _ in pairs(b.c) do m = m + 1 end
      assert.are.equal(m, n)
    end
    same(tree, root)
  end)

  it("goescape flame writes an escaped standalone SVG", function()
    local dir = demo()
    local path = OUT .. "/flame.svg"
    local out, rc, err = H.cli(("flame %s -o %s"):format(H.q(dir .. "/allocs.pb.gz"), H.q(path)))
    assert.are.equal(0, rc, out .. err)
    local s = H.read(path)
    assert.is_truthy(s:find("<svg", 1, true))
    assert.is_truthy(s:find("<title>main.collect (", 1, true))
    local evil = flame.svg({ name = "all", value = 10, children = { { name = "<a>&\"'", value = 10 } } }, {})
    assert.is_truthy(evil:find("&lt;a&gt;&amp;&quot;&#39;", 1, true))
    assert.is_nil(evil:find("<a>", 1, true))
    local _, rc2 = H.cli("flame --min 2 " .. H.q(dir .. "/allocs.pb.gz"))
    assert.are.equal(2, rc2)
  end)
end)

describe("ge.report.svg.from_dot", function()
  it("renders DOT through Graphviz, or says that dot is missing", function()
    local text, err = svg.from_dot('digraph g { a -> "<b>" [label="x&y"]; }')
    if not svg.has_dot() then
      assert.is_nil(text); assert.is_truthy(err:find("not installed", 1, true))
      return
    end
    assert.is_truthy(text and text:find("<svg", 1, true), err)
    assert.is_truthy(text:find("&lt;b&gt;", 1, true))
    local none, err2 = svg.from_dot("digraph {", "dot")
    assert.is_nil(none)
    assert.is_truthy(err2:find("^dot: "))
    local missing, err3 = svg.from_dot("digraph {}", "no-such-dot-program")
    assert.is_nil(missing)
    assert.is_truthy(err3:find("not installed", 1, true))
  end)
end)
