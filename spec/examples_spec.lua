-- The recipes in examples/: each runs as `goescape run examples/NAME.lua ARGS`
-- on the demo's real outputs (examples/demo built by the machine's Go with
-- -gcflags=-m=2, run to write an allocs profile; a second build with twice
-- the iterations writes the "after" profile for growth), and its output
-- states facts of the demo.
local H = require "spec.helpers"

local DEMO = H.root .. "/examples/demo"
local EX = H.root .. "/examples"

local function go()
  local cs = H.go_compilers()
  for _, c in ipairs(cs) do if c.go == "GOTOOLCHAIN=local go" then return c end end
  return cs[#cs]
end

local c = go()
local dir = H.cached("examples-demo-" .. c.name, function(d)
  H.must(("cp %s/main.go %s/go.mod %s/"):format(H.q(DEMO), H.q(DEMO), H.q(d)))
  H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 -o demo . 2> m2.log")
    :format(H.q(d), H.q(d), c.go))
  H.must(("cd %s && ./demo allocs.pb.gz > /dev/null"):format(H.q(d)))
  -- The same program with twice the iterations, built at the same path (the
  -- profiles' file names must meet), line numbers unchanged.
  H.must(("cd %s && cp main.go main.go.orig && sed 's/i < 2000/i < 4000/' main.go.orig > main.go"
    .. " && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -o demo2 . && mv main.go.orig main.go"
    .. " && ./demo2 allocs2.pb.gz > /dev/null"):format(H.q(d), H.q(d), c.go))
end)
local LOG, P1, P2 = dir .. "/m2.log", dir .. "/allocs.pb.gz", dir .. "/allocs2.pb.gz"

local function recipe(name, args)
  local out, rc, err = H.cli("run " .. H.q(EX .. "/" .. name) .. " " .. args)
  return out, rc, err
end

local function ok(name, args)
  local out, rc, err = recipe(name, args)
  assert(rc == 0, ("%s exited %s: %s%s"):format(name, tostring(rc), out, err))
  return out, err
end

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

local function first_data_line(out) return lines(out)[2] or "" end

-- Go 1.19 kept the demo's 512 KiB array on the stack.
local modern = c.version ~= "1.19"

describe("examples/", function()
  it("lists every recipe in examples/README.md; each without arguments prints its usage, exit 2", function()
    local readme = H.read(EX .. "/README.md")
    local n = 0
    for name in H.must("ls " .. H.q(EX)):gmatch("([%w%-]+)%.lua\n") do
      assert.is_truthy(readme:find("(" .. name .. ".lua)", 1, true), name .. " not in the README")
      local out, rc, err = recipe(name .. ".lua", "")
      assert.are.equal(2, rc, name .. ": " .. out .. err)
      assert.matches("^usage: " .. name:gsub("%-", "%%-") .. "%.lua ", err)
      n = n + 1
    end
    assert.is_true(n >= 10, n)
  end)

  it("html-report: one page and a flame graph, with the demo's hotspots", function()
    local page = H.tmpdir("examples-html") .. "/r.html"
    local out = ok("html-report.lua", H.q(LOG) .. " " .. H.q(P1) .. " " .. H.q(page))
    assert.matches("^wrote .-r%.html: %d+ hotspot rows, %d+ flame frames, %d+ annotated files\n", out)
    local html = H.read(page)
    assert.is_truthy(html:find("main.bigArray", 1, true) or not modern)
    assert.matches("<svg", H.read(page:gsub("%.html$", "") .. ".flame.svg"))
  end)

  it("heap-growth: tracedemo's regions ranked, index first at main.grow's append", function()
    local TD = require "spec.tracedemo"
    local run = TD.runs()[1]
    if not run then pending("no Go that writes Go 1.22+ traces") return end
    local d = run.dir
    local out = ok("heap-growth.lua", ("%s %s %s"):format(H.q(d .. "/trace.out"), H.q(d .. "/m2.log"),
      H.q(d .. "/allocs.pb.gz")))
    local ls = lines(out)
    assert.matches("^heap growth by region: ", ls[1])
    assert.matches("^%s*[%d.]+%%%s+[%d.]+ %a+B?%s+index %(task serve%)$", ls[2])
    assert.matches("main%.go:" .. TD.line_of("out = append(out, i)") .. " main%.grow %(.- in the profile%): append growth",
      ls[3])
    assert.is_truthy(out:find("decode (task serve)", 1, true))
    assert.is_truthy(out:find("render (task serve)", 1, true))
    -- by goroutine, trace alone: the allocating frames with their allocator
    out = ok("heap-growth.lua", H.q(d .. "/trace.out") .. " '' '' goroutine")
    assert.matches("goroutine %d+", out)
    assert.is_truthy(out:find("via runtime.growslice", 1, true))
  end)

  it("top-reasons: bytes by reason, led by the too-large array of main.bigArray", function()
    local out = ok("top-reasons.lua", H.q(LOG) .. " " .. H.q(P1))
    local top = first_data_line(out)
    if modern then
      assert.is_truthy(top:find("too large for the stack", 1, true), top)
      assert.is_truthy(top:find("main.bigArray", 1, true), top)
    end
    assert.is_truthy(out:find("returned to the caller", 1, true))
    assert.is_truthy(out:find("converted to an interface", 1, true))
    -- Without a profile: counts only.
    out = ok("top-reasons.lua", H.q(LOG))
    assert.is_truthy(out:find("captured by a closure", 1, true))
  end)

  it("hotspots: the top lines with their reasons and fixes", function()
    local out = ok("hotspots.lua", H.q(LOG) .. " " .. H.q(P1) .. " 3")
    assert.is_truthy(out:match("^alloc_space, total "))
    local ranked = {}
    for l in out:gmatch("\n%s*%d+%. [^\n]+") do ranked[#ranked + 1] = l end
    assert.are.equal(3, #ranked)
    if modern then
      assert.is_truthy(ranked[1]:find("main.go:46  main.bigArray", 1, true), ranked[1])
      assert.is_truthy(out:find("moved to heap: a  [too large for the stack]", 1, true))
    end
    assert.is_truthy(out:find("main.collect", 1, true))
    assert.is_truthy(out:find("fix: ", 1, true))
  end)

  it("slices-maps: make, append and map literal sites with their reasons", function()
    local out = ok("slices-maps.lua", H.q(LOG))
    assert.is_truthy(out:find("main.go:41:%d+%s+make slice%s+make%(%[%]byte, n%)"), out)
    assert.is_truthy(out:find("main.go:69:%d+%s+make slice%s+make%(%[%]int, n%)"), out)
    assert.is_truthy(out:find("main.go:60:%d+%s+map literal%s+map%[string%]%*Point{}"), out)
    if modern then
      assert.is_truthy(out:find("main.go:34:%d+%s+append%s+append%s+%[append growth%]"), out)
    end
    assert.is_truthy(out:find("\nbuffer\n", 1, true) or out:find("^buffer\n"))
    assert.is_truthy(out:match("\n(%d+) slice/map allocation sites on the heap\n$"))
  end)

  it("interfaces: values boxed for fmt.Fprintf, grouped by the call", function()
    local out = ok("interfaces.lua", H.q(LOG))
    local line = out:match("fmt%.Fprintf%s+%d+ boxed: [^\n]*")
    assert.is_string(line, out)
    assert.is_truthy(line:find("key", 1, true))
    assert.is_truthy(line:find("value", 1, true))
    assert.is_truthy(out:find("main.go:27", 1, true))
    assert.is_truthy(out:find("fix: Keep hot paths free of fmt/log", 1, true))
  end)

  it("growth: twice the iterations, led by the too-large array", function()
    local out = ok("growth.lua", H.q(LOG) .. " " .. H.q(P1) .. " " .. H.q(P2) .. " alloc_space 5")
    assert.is_truthy(out:match("^alloc_space grew by %+"), out)
    local l = lines(out)
    if modern then
      assert.is_truthy(l[2]:find("main.go:46  main.bigArray", 1, true), l[2])
      assert.is_truthy(l[3]:find("why: too large for the stack", 1, true), l[3])
    end
    assert.is_truthy(out:find("append growth", 1, true) or not modern)
  end)

  it("budget: exits 0 within budget, 1 with the package over it", function()
    local out = ok("budget.lua", H.q(LOG) .. " 1000")
    assert.is_truthy(out:match("ok%s+example%.com/demo%s+%d+ / 1000"), out)
    local out2, rc, err = recipe("budget.lua", H.q(LOG) .. " 1000 example.com/demo=2")
    assert.are.equal(1, rc)
    assert.is_truthy(out2:match("OVER%s+example%.com/demo%s+%d+ / 2"), out2)
    assert.is_truthy(err:find("1 package(s) over their escape budget", 1, true))
    local _, rc3, err3 = recipe("budget.lua", H.q(LOG) .. " 10 bogus")
    assert.are.equal(1, rc3)
    assert.is_truthy(err3:match("^goescape: [^\n]*bad budget 'bogus'[^\n]*\n$"), err3)
  end)

  it("flow-line: the graph of one line, valid for dot, and its chain", function()
    local out, err = ok("flow-line.lua", H.q(LOG) .. " main.go:21")
    assert.is_truthy(out:match("^digraph "))
    assert.is_truthy(err:find("moved to heap: p: p -> ~r0", 1, true), err)
    if H.sh("command -v dot")
      and select(2, H.sh("command -v dot")) == 0 then
      local f = H.tmproot .. "/flow21.dot"; H.mkdir(H.tmproot)
      H.write(f, out)
      H.must("dot -Tsvg " .. H.q(f) .. " > /dev/null")
    end
    out = ok("flow-line.lua", H.q(LOG) .. " main.go:27 mermaid")
    assert.is_truthy(out:match("^flowchart LR\n"))
    assert.is_truthy(out:find("{heap}", 1, true))
    local _, rc, err2 = recipe("flow-line.lua", H.q(LOG) .. " main.go:3")
    assert.are.equal(1, rc)
    assert.is_truthy(err2:find("no -m=2 flow at main.go:3", 1, true))
  end)
end)

describe("examples/rss-leak.lua", function()
  local F = require "spec.memory_fixtures"
  local d = F.rss(c)
  it("says a leak is likely while spec/fixtures/memory/rss keeps memory, and names its line", function()
    local out = ok("rss-leak.lua", ("%s/snap1.txt %s/snap2.txt %s/snap3.txt + %s/heap1.pb.gz %s/heap3.pb.gz %s/m2.log")
      :format(d, d, d, d, d, d))
    assert.matches("^leak: likely: live heap", out)
    assert.matches("main%.go:%d+  main%.newRecord", out)
  end)
  it("says it is unlikely once the program dropped what it kept", function()
    local out = ok("rss-leak.lua", ("%s/snap1.txt %s/snap4.txt"):format(d, d))
    assert.matches("^leak: unlikely", out)
  end)
end)
