-- goescape run: a recipe gets `ge`, `arg` and `...`; errors print one line and
-- exit 1; a returned number is the exit status; options after the recipe
-- belong to it.
local H = require "spec.helpers"

local dir = H.tmpdir("run")

local function recipe(name, src)
  local p = dir .. "/" .. name
  H.write(p, src)
  return H.q(p)
end

describe("goescape run", function()
  it("gives the recipe ge, arg (arg[0] = the recipe) and ... with options untouched", function()
    local r = recipe("args.lua", [[
print(type(ge), type(ge.escape.open), ge.version ~= nil)
print(arg[0]:match("[^/]*$"), #arg, table.concat(arg, " "))
print(select("#", ...), (...))
]])
    local out, rc, err = H.cli("run " .. r .. " -n 5 --json x")
    assert.are.equal(0, rc, err)
    assert.are.equal("table\tfunction\ttrue\nargs.lua\t4\t-n 5 --json x\n4\t-n\n", out)
  end)

  it("parses a real log through ge", function()
    local r = recipe("parse.lua", [[
local log = assert(ge.escape.parse("./a.go:3:2: moved to heap: x\n", "a.log"))
for d in log:each{kind = "moved_to_heap"} do print(d.file, d.line, d.subject) end
]])
    assert.are.equal("./a.go\t3\tx\n", H.must(H.cli_cmd("run " .. r)))
  end)

  it("prints one line and exits 1 for an error, a syntax error or a missing recipe", function()
    local _, rc, err = H.cli("run " .. recipe("boom.lua", "local x = 1\nerror('boom: ' .. x)\n"))
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: [^\n]*boom%.lua:2: boom: 1\n$"), err)
    _, rc, err = H.cli("run " .. recipe("syntax.lua", "local = 1\n"))
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: [^\n]*syntax%.lua:1:[^\n]*\n$"), err)
    _, rc, err = H.cli("run " .. recipe("obj.lua", "error({})\n"))
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: [^\n]+\n$"), err)
    _, rc, err = H.cli("run /nonexistent/recipe.lua")
    assert.are.equal(1, rc)
    assert.is_truthy(err:match("^goescape: [^\n]*nonexistent/recipe%.lua[^\n]*\n$"), err)
  end)

  it("exits with a returned number, 0 otherwise; flushes output first", function()
    local out, rc = H.cli("run " .. recipe("ret.lua", "io.write('partial')\nreturn 3\n"))
    assert.are.equal(3, rc)
    assert.are.equal("partial", out)
    _, rc = H.cli("run " .. recipe("nil.lua", "return 'text'\n"))
    assert.are.equal(0, rc)
  end)

  it("lets recipes use cli.fail and require goescape themselves", function()
    local _, rc, err = H.cli("run " .. recipe("fail.lua",
      "local ge2 = require 'goescape'\nassert(ge2 == ge)\nrequire('goescape.cli').fail('bad %s', 'input')\n"))
    assert.are.equal(1, rc)
    assert.are.equal("goescape: bad input\n", err)
  end)

  it("prints its help for run --help, and needs a recipe", function()
    local out, rc = H.cli("run --help")
    assert.are.equal(0, rc)
    assert.is_truthy(out:find("Usage: goescape run", 1, true))
    _, rc = H.cli("run")
    assert.are.equal(2, rc)
  end)
end)
