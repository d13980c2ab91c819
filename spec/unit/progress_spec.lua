-- goescape.progress: the bar the command draws on a terminal, and the
-- callback through which analyses report (they never draw themselves).
local H = require "spec.helpers"
local ge = require "goescape"
local progress = require "goescape.progress"

describe("goescape.progress", function()
  local function capture(opts, steps)
    local f = io.tmpfile()
    opts.out = f
    local bar = progress.new(opts)
    for i = 1, steps do bar:update(i) end
    bar:done()
    f:seek("set")
    local s = f:read("*a")
    f:close()
    return s
  end

  it("draws a bar and clears it when enabled", function()
    local s = capture({ total = 4, label = "work", enabled = true, delay = 0 }, 4)
    assert.is_truthy(s:find("\rwork [" .. ("#"):rep(30) .. "] 100%", 1, true), s)
    assert.is_truthy(s:find(" 25%", 1, true))
    assert.is_truthy(s:match("\r$"))
  end)

  it("prints nothing when disabled, for quick work, or without steps", function()
    assert.are.equal("", capture({ total = 4, enabled = false, delay = 0 }, 4))
    assert.are.equal("", capture({ total = 4, enabled = true, delay = 60 }, 4))
    assert.are.equal("", capture({ total = 0, enabled = true, delay = 0 }, 0))
  end)

  it("reports through a callback: analyses never draw, the command's reporter does", function()
    local seen = {}
    local log = assert(ge.escape.parse("./a.go:3:2: x escapes to heap:\n./a.go:3:2:   flow: {heap} = &x:\n"
      .. "./a.go:3:2: x escapes to heap\n", "a.log"))
    ge.analysis.flowgraph { escape = log, progress = function(done, total, label)
      seen[#seen + 1] = ("%s %d/%d"):format(label, done, total)
    end }
    assert.are.same({ "flow 1/1" }, seen)
    local f = io.tmpfile()
    local r = progress.reporter { out = f, enabled = true, delay = 0 }
    r(1, 2, "a"); r(2, 2, "a"); r(1, 1, "b")
    f:seek("set")
    local s = f:read("*a")
    f:close()
    assert.is_truthy(s:find("\ra [", 1, true), s)
    assert.is_truthy(s:find("\rb [", 1, true), s)
  end)

  it("is off when stderr is not a terminal", function()
    local out = H.must(("GOESCAPE_PROGRESS= TERM=xterm %s -e %s 2>/dev/null"):format(H.lua,
      H.q("package.path='" .. H.root .. "/lua/?.lua;'..package.path; "
        .. "print(require('goescape.progress').enabled())")))
    assert.are.equal("false\n", out)
  end)
end)
