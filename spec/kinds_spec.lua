-- Every diagnostic the newest compilers print with -m=2 and the -d flags
-- used with it gets a kind of its own (none is "unknown"): keep-alive notes
-- of testing.B.Loop, parameter mutation/call notes, the inliner's "big
-- function", defer and closure notes, and compile errors. Built by the
-- compilers that have B.Loop (Go 1.24+).
local H = require "spec.helpers"
local ge = require "goescape"

local SRC = [[
package nd

import "testing"

var sink int

type S struct{ v []int }

func (s *S) Set(i int) { s.v[i] = 1 }

func Call(f func(int) int) int { return f(1) }

func Mut(p *S) { p.v = nil }

func Defers() {
	defer func() { sink++ }()
	for i := 0; i < 3; i++ {
		defer func() { sink++ }()
	}
}

func Global() func() int { return func() int { return 1 } }

func even(n int) bool { if n == 0 { return true }; return odd(n - 1) }
func odd(n int) bool { if n == 0 { return false }; return even(n - 1) }

func Big(a []int) int {
	x := 0
@BODY@	return x
}

func small(i int) int { return i + 1 }

func CallsBig(a []int) int { return small(Big(a)) }

func BenchmarkLoop(b *testing.B) {
	s := &S{v: make([]int, 4)}
	for b.Loop() {
		s.Set(1)
		_ = small(3)
	}
}
]]

local BAD = "package bad\n\nfunc f() int {\n\tx := 1\n\treturn y\n}\n\nfunc g() { var z int }\n"

local function body()
  local t = {}
  for i = 0, 1199 do t[#t + 1] = ("\tx += a[%d] * %d + sink%%%d\n"):format(i % 7, i, i + 1) end
  return table.concat(t)
end

describe("diagnostic kinds of the newest compilers", function()
  for _, c in ipairs(H.go_compilers()) do
    local major, minor = c.version:match("^(%d+)%.(%d+)")
    if tonumber(major) == 1 and tonumber(minor) >= 24 then
      it("classifies every line of -m=2 -d=escapemutationscalls,defer,closure (" .. c.name .. ")", function()
        local dir = H.cached("kinds-" .. c.name, function(d)
          H.write(d .. "/go.mod", "module example.com/nd\n\ngo 1.24\n")
          H.write(d .. "/nd_test.go", (SRC:gsub("@BODY@", function() return body() end)))
          H.mkdir(d .. "/bad")
          H.write(d .. "/bad/bad.go", BAD)
          H.must(("cd %s && GOCACHE=%s/.cache %s test -c -o /dev/null "
            .. "-gcflags='-m=2 -d=escapemutationscalls=1,defer=1,closure=1' . 2> m2.log")
            :format(H.q(d), H.q(d), c.go))
          H.sh(("cd %s && GOCACHE=%s/.cache %s build -gcflags=-m ./bad 2> err.log"):format(H.q(d), H.q(d), c.go))
        end)
        local log = assert(ge.escape.open { dir .. "/m2.log", dir .. "/err.log" })
        local by = {}
        for d in log:each {} do
          assert.are_not.equal("unknown", d.kind, d.message)
          by[d.kind] = by[d.kind] or {}
          table.insert(by[d.kind], d)
        end
        assert.is_table(by.keep_alive)
        assert.is_table(by.mutates_param)
        assert.is_table(by.closure_global)
        assert.is_table(by.big_function)
        assert.are.equal("Big", by.big_function[1].subject)
        local defers = {}
        for _, d in ipairs(by.defer) do defers[d.target] = true end
        assert.is_true(defers["heap-allocated"] and defers["stack-allocated"] or false)
        local errs = {}
        for _, d in ipairs(by.compile_error) do errs[#errs + 1] = d.message end
        table.sort(errs)
        assert.are.same({ "declared and not used: x", "declared and not used: z", "undefined: y" }, errs)
        assert.are.equal("other", ge.core.kind_family("compile_error"))
        assert.are.equal("escape", ge.core.kind_family("mutates_param"))
      end)
    end
  end

  it("reads the forms it cannot make here from their format strings", function()
    local cases = {
      { "calls param: f derefs=0", "calls_param", "f" },
      { "cannot devirtualize x.M(): shaped receiver go.shape.int", "cannot_devirtualize", "x.M()" },
      { "cannot inline even into odd: repeated recursive cycle", "cannot_inline_call", "even" },
      { "for loop ending at 12:3 was modified", "loopvar" },
      { "open-coded defer", "defer" },
      { "dereference will be kept alive", "keep_alive" },
      { "alias analysis: append using non-aliased slice: s in func F", "debug" },
      { "syntax error: unexpected newline, expected comma or )", "compile_error" },
      { "x redeclared in this block", "compile_error" },
      { "p does not escape, mutate, or call", "does_not_escape", "p" },
    }
    for _, t in ipairs(cases) do
      local log = assert(ge.escape.parse("# p\nx.go:1:2: " .. t[1] .. "\n"))
      local d = log:get(1)
      assert.are.equal(t[2], d.kind, t[1])
      if t[3] then assert.are.equal(t[3], d.subject, t[1]) end
    end
  end)
end)
