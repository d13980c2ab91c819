-- Advice: each escape reason read off real -m=2 output of a program that
-- makes every classic mistake once, built by each installed compiler.
local H = require "spec.helpers"
local ge = require "goescape"
local advice = require "goescape.analysis.advice"

local SRC = [[
package main

import "fmt"

type T struct{ n int }

func (t *T) Inc() { t.n++ }

var sinkF func()
var sinkM = map[string]*T{}
var ch = make(chan *T, 1)

func ret() *T { t := T{}; return &t }

func big() int { var a [1 << 18]int64; a[1] = 2; return int(a[1]) }

func mk(n int) []byte { b := make([]byte, n); sinkF = func() { _ = b }; return nil }

func box(x int) { fmt.Println(x) }

func closure() func() int { c := 0; return func() int { c++; return c } }

func store(k string) { v := T{}; sinkM[k] = &v }

func send() { v := T{}; ch <- &v }

func keep(p *T) { sinkM["k"] = p }

func main() {
	t := &T{}
	sinkF = t.Inc
	go t.Inc()
	_ = ret()
	_ = big()
	mk(3)
	box(1)
	_ = closure()()
	store("a")
	send()
	keep(t)
}
]]

local function reasons_by_line(log)
  local got = {}
  for d in log:each { kind = "escape" } do
    local sib = {}
    for _, i in ipairs(log:at_line(d.file, d.line)) do sib[#sib + 1] = log:get(i) end
    local r = advice.reason(d, sib)
    if r then
      got[d.line] = got[d.line] or {}
      got[d.line][r] = true
    end
  end
  return got
end

describe("ge.analysis.advice", function()
  for _, c in ipairs(H.go_compilers()) do
    it("names the reason of each classic escape (" .. c.name .. ")", function()
      local dir = H.cached("advice-" .. c.name, function(d)
        H.write(d .. "/main.go", SRC)
        H.write(d .. "/go.mod", "module example.com/adv\n\ngo 1.19\n")
        H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s build -gcflags=-m=2 -o app . 2> m2.log")
          :format(H.q(d), H.q(d), c.go))
      end)
      local got = reasons_by_line(assert(ge.escape.open(dir .. "/m2.log")))
      local want = {
        [13] = "returned_address",   -- return &t
        [19] = "interface",          -- fmt.Println(x)
        [21] = "closure",            -- c captured by the returned closure
        [23] = "global",             -- sinkM[k] = &v: the value is assigned into the map
        [25] = "send",               -- ch <- &v
        [27] = "leaking_param",      -- keep(p) stores p
        [31] = "method_value",       -- sinkF = t.Inc
      }
      if c.version ~= "1.19" then
        want[15] = "too_large"       -- 2 MiB array: over 128 KiB (1.19 allowed 10 MiB)
        want[32] = "goroutine"       -- go t.Inc(): the wrapper closure (Go 1.21+)
      end
      for line, reason in pairs(want) do
        assert.is_table(got[line], ("line %d: no escape"):format(line))
        assert.is_true(got[line][reason] or false,
          ("line %d: want %s, got %s"):format(line, reason, table.concat((function()
            local t = {}
            for k in pairs(got[line]) do t[#t + 1] = k end
            return t
          end)(), ",")))
      end
    end)
  end

  it("explains with a size when one is given, and nothing for non-heap kinds", function()
    local d = { kind = "moved_to_heap", subject = "buf", message = "moved to heap: buf",
      flow = { { type = "flow", dst = "{heap}", src = "&buf" },
        { type = "from", expr = "buf", reason = "too large for stack" } } }
    local a = advice.explain(d, 3 * 1024 * 1024)
    assert.are.equal("too_large", a.reason)
    assert.is_truthy(a.why:find("buf: 3.0 MiB per allocation", 1, true))
    assert.is_nil(advice.explain { kind = "can_inline", message = "can inline f" })
  end)
end)
