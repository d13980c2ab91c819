-- Flow graphs: -m=2 explanations of a generated program (built in the test
-- setup by each installed compiler: Go 1.19 prints `flow: p = &t`, newer ones
-- `flow: p ← &t` and name the function) and of the demo, as chains, DOT
-- (checked with Graphviz `dot -Tsvg` when installed), Mermaid and text; the
-- goescape flow command.
local H = require "spec.helpers"
local ge = require "goescape"
local dot = require "goescape.report.dot"

local fg = ge.analysis.flowgraph

local SRC = [[
package main

import "fmt"

type T struct{ a, b int }

var sink *T
var sinkB []byte
var sinkS string

//go:noinline
func chain() {
	t := T{1, 2}
	p := &t
	q := p
	sink = q
}

//go:noinline
func mk(n int) []byte {
	buf := make([]byte, n)
	return buf
}

//go:noinline
func keep(n int) { sinkB = mk(n) }

//go:noinline
func quoted(v int) {
	sinkS = fmt.Sprint("q\"x\\y", v)
}

func main() { chain(); keep(3); quoted(1) }
]]

local function build(c)
  return H.cached("flow-gen-" .. c.name, function(d)
    H.write(d .. "/main.go", SRC)
    H.write(d .. "/go.mod", "module example.com/flowgen\n\ngo 1.19\n")
    H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 -o flowgen . 2> m2.log")
      :format(H.q(d), H.q(d), c.go))
  end)
end

local have_dot = select(2, H.sh("command -v dot")) == 0

-- Runs dot -Tsvg on the text; returns the number of nodes and edges drawn.
local function svg_counts(text, name)
  local f = H.tmproot .. "/flow-" .. name .. ".dot"; H.mkdir(H.tmproot)
  H.write(f, text)
  local svg = H.must("dot -Tsvg " .. H.q(f))
  local _, nodes = svg:gsub('class="node"', "")
  local _, edges = svg:gsub('class="edge"', "")
  return nodes, edges, svg
end

local function one(log, file, line, subject)
  for _, d in ipairs(fg { escape = log, file = file, line = line }) do
    if d.subject == subject then return d end
  end
end

describe("ge.analysis.flowgraph", function()
  for _, c in ipairs(H.go_compilers()) do
    describe("on a generated program built by " .. c.name, function()
      local dir = build(c)
      local raw = H.read(dir .. "/m2.log")
      local log = assert(ge.escape.open(dir .. "/m2.log"))
      local old = c.version == "1.19"

      it("reads the compiler's own flow wording", function()
        if old then
          assert.is_truthy(raw:find("flow: p = &t:", 1, true))
        else
          assert.is_truthy(raw:find("flow: p ← &t:", 1, true))
        end
      end)

      it("follows t -> p -> q -> {heap}, with address-of on the first hop", function()
        local d = one(log, "main.go", 13, "t")
        assert.is_table(d)
        assert.are.equal("moved_to_heap", d.kind)
        assert.are.same({ { "t", "p", "q", "{heap}" } }, fg.chains(d))
        local hops = fg.hops(d)
        assert.are.equal("&", hops[1].derefs)
        assert.are.equal("address-of", hops[1].from[1].reason)
        assert.are.equal("assign", hops[3].from[1].reason)
        assert.are.equal("chain", d.func)   -- named by the log, or found above the line (1.19)
        local text = fg.text(d)
        assert.is_truthy(text:find("  t -> p -> q -> {heap}\n", 1, true), text)
      end)

      it("selects a function's diagnostics by name, qualified or not", function()
        local a = fg { escape = log, func = "chain" }
        local b = fg { escape = log, func = "main.chain" }
        assert.are.equal(1, #a)
        assert.are.equal(1, #b)
        assert.are.equal(a[1].index, b[1].index)
        assert.is_true(#fg { escape = log, func = "quoted" } >= 2)
      end)

      it("draws a package as valid DOT, escaping quotes and backslashes", function()
        local recs = fg { escape = log, package = "example.com/flowgen" }
        assert.is_true(#recs >= 4)
        local g = fg.graph(recs)
        local text = fg.dot(recs)
        assert.is_truthy(text:match("^digraph \"goescape flow\" {\n"))
        -- The Go literal "q\"x\\y" in a label: every quote and backslash escaped.
        assert.is_truthy(text:find([[{storage for \"q\\\"x\\\\y\"}]], 1, true), text)
        local heaps = 0
        for _, n in ipairs(g.nodes) do if n.label == "{heap}" then heaps = heaps + 1 end end
        assert.are.equal(1, heaps)
        if have_dot then
          local nodes, edges, svg = svg_counts(text, c.name)
          assert.are.equal(#g.nodes, nodes)
          assert.are.equal(#g.edges, edges)
          assert.is_truthy(svg:find("q\\&quot;x\\\\y", 1, true), "label text survives dot")
        end
        local chain_cluster
        for _, cl in ipairs(g.clusters) do if cl.label == "chain" then chain_cluster = cl end end
        assert.is_table(chain_cluster)
      end)

      it("draws Mermaid with entities for quotes and no raw quote inside a label", function()
        local text = fg.mermaid(fg { escape = log, func = "quoted" })
        assert.is_truthy(text:match("^flowchart LR\n"))
        assert.is_truthy(text:find([[#34;q\#34;x\\y#34;]], 1, true), text)
        for line in text:gmatch("[^\n]+") do
          local inner = line:match('%["(.*)"%]$') or line:match('%(%["(.*)"%]%)$')
          if inner then assert.is_nil(inner:find('"', 1, true), line) end
        end
      end)

      if not old then
        it("shows make's storage flowing through buf to the result", function()
          local d = one(log, "main.go", 21, "make([]byte, n)")
          assert.are.same({ { "{storage for make([]byte, n)}", "buf", "~r0" } }, fg.chains(d))
        end)
      end
    end)
  end

  describe("on the demo", function()
    local c = H.go_compilers()[#H.go_compilers()]
    local dir = H.cached("flow-demo-" .. c.name, function(d)
      H.must(("cp %s/examples/demo/main.go %s/examples/demo/go.mod %s/"):format(H.q(H.root), H.q(H.root), H.q(d)))
      H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 -o demo . 2> m2.log")
        :format(H.q(d), H.q(d), c.go))
    end)
    local log = assert(ge.escape.open(dir .. "/m2.log"))

    it("shows the too-large array going straight to {heap}", function()
      local d = one(log, "main.go", 46, "a")
      if c.version == "1.19" then return end
      assert.are.same({ { "a", "{heap}" } }, fg.chains(d))
      assert.is_truthy(fg.dot(d):find('label="& too large for stack"', 1, true))
    end)

    it("keeps one {heap} node and one cluster per function for the whole package", function()
      local recs = fg { escape = log, package = "example.com/demo" }
      local g = fg.graph(recs, { diagnostics = false })
      local names = {}
      for _, cl in ipairs(g.clusters) do names[cl.label] = true end
      for _, f in ipairs { "newPoint", "logLine", "bigArray", "counter", "fanOut", "main" } do
        assert.is_true(names[f], f)
      end
      for _, n in ipairs(g.nodes) do assert.are_not.equal("note", n.shape) end
      if have_dot then
        local nodes = svg_counts(fg.dot(recs), "demo")
        assert.are.equal(#fg.graph(recs).nodes, nodes)
      end
    end)

    it("raises on a non-record", function()
      assert.has_error(function() fg.dot(42) end)
    end)
  end)
end)

describe("goescape.report.dot", function()
  it("quotes labels for DOT and Mermaid", function()
    assert.are.equal([["a\"b\\c\nd"]], dot.quote('a"b\\c\nd'))
    assert.are.equal("a#34;b #60;x#62; #35;1 #124;", dot.mermaid_text('a"b <x> #1 |'))
  end)

  it("renders a small graph that dot accepts", function()
    local g = { clusters = { { id = "c1", label = 'f "x"' } },
      nodes = { { id = "n1", label = "a\\", cluster = "c1" }, { id = "n2", label = "{heap}", shape = "cylinder" } },
      edges = { { from = "n1", to = "n2", label = 'say "hi"' } } }
    if have_dot then
      local nodes, edges = svg_counts(dot.render(g), "small")
      assert.are.equal(2, nodes)
      assert.are.equal(1, edges)
    end
    assert.is_truthy(dot.mermaid(g):find('n1 --> |"say #34;hi#34;"| n2', 1, true))
  end)
end)

describe("goescape flow", function()
  local c = H.go_compilers()[#H.go_compilers()]
  local dir = build(c)
  local log = H.q(dir .. "/m2.log")

  it("prints DOT for a line, text and Mermaid on request, and writes -o", function()
    local out = H.must(H.cli_cmd("flow " .. log .. " --file main.go --line 13"))
    assert.is_truthy(out:match("^digraph "))
    out = H.must(H.cli_cmd("flow " .. log .. " --func chain --format text"))
    assert.is_truthy(out:find("moved to heap: t [chain]\n  t -> p -> q -> {heap}\n", 1, true), out)
    out = H.must(H.cli_cmd("flow " .. log .. " --package example.com/flowgen --format mermaid --no-diagnostics"))
    assert.is_truthy(out:match("^flowchart LR\n"))
    assert.is_nil(out:find(">\"", 1, true))
    local f = H.tmproot .. "/flow-cli.dot"; H.mkdir(H.tmproot)
    os.remove(f)
    H.must(H.cli_cmd("flow " .. log .. " --func mk -o " .. H.q(f)))
    assert.is_truthy(H.read(f):match("^digraph "))
  end)

  it("draws SVG through Graphviz with --format svg", function()
    if not H.exists("/usr/bin/dot") then return pending("graphviz is not installed") end
    local out = H.must(H.cli_cmd("flow " .. log .. " --func mk --format svg"))
    assert.is_truthy(out:find("<svg", 1, true))
    assert.is_truthy(out:find("{heap}", 1, true) or out:find("~r0", 1, true))
  end)

  it("exits 1 with one line when there is no flow, 2 on bad usage", function()
    local _, rc, err = H.cli("flow " .. log .. " --file main.go --line 3")
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: flow: no %-m=2 flow for main.go:3[^\n]*\n$"), err)
    _, rc = H.cli("flow " .. log .. " --line 3")
    assert.are.equal(2, rc)  -- --line without --file: bad usage
    _, rc = H.cli("flow " .. log .. " --format png")
    assert.are.equal(2, rc)
  end)
end)
