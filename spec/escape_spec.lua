-- Escape logs made here by the installed compilers (Go 1.19, the machine's,
-- the newest): the same reading as on the committed logs of
-- spec/unit/escape_spec.lua, on output of each compiler made afresh.
local H = require "spec.helpers"
local ge = require "goescape"

describe("logs made by the installed compilers", function()
  local src = [[
package main

import "fmt"

type T struct{ a, b int }

//go:noinline
func newT() *T { t := T{1, 2}; return &t }

func main() {
	x := newT()
	fmt.Println(x.a)
	buf := make([]byte, x.b)
	_ = buf
}
]]
  for _, c in ipairs(H.go_compilers()) do
    it("parses what " .. c.name .. " prints for -m=2", function()
      local dir = H.cached("escape-live-" .. c.name, function(d)
        H.write(d .. "/main.go", src)
        H.write(d .. "/go.mod", "module example.com/live\n\ngo 1.19\n")
        H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 -o app . 2> m2.log")
          :format(H.q(d), H.q(d), c.go))
      end)
      local log = assert(ge.escape.open(dir .. "/m2.log"))
      local moved = log:list { kind = "moved_to_heap" }
      assert.are.equal(1, #moved)
      assert.are.same({ "t", "./main.go", 8 }, { moved[1].subject, moved[1].file, moved[1].line })
      local reasons = {}
      for _, s in ipairs(moved[1].flow) do if s.reason then reasons[s.reason] = true end end
      assert.is_true(reasons["address-of"] and reasons["return"])
      assert.are.equal(1, log:count { kind = "cannot_inline", func = "newT" })
      assert.are.equal("example.com/live", log:get(1).package)
      assert.are.equal(0, log:count { kind = "unknown" })
    end)
  end
end)
