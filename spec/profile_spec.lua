-- ge.profile against the toolchain, on profiles made here by the installed
-- Go (spec/fixtures/profile/src, cached in build/fixtures/profile-gen): every
-- kind decodes as `go tool pprof -raw` reads it, pprof reads back what we
-- write, and what needs `go run` or the program's own binary. The unit tier
-- (spec/unit/profile_spec.lua) runs the rest on committed copies.
local H = require "spec.helpers"
local ge = require "goescape"

local FIX = H.root .. "/spec/fixtures/profile"
-- LD_PRELOAD is dropped: under make check-asan it would load ASan into go and cgo.
local GO = "env -u LD_PRELOAD GOTOOLCHAIN=local go"

local DIR = H.cached("profile-gen", function(d)
  H.must(("cd %s/src && %s build -o %s/profgen . && cd %s && ./profgen %s")
    :format(H.q(FIX), GO, H.q(d), H.q(d), H.q(d)))
  H.must(("cd %s && %s tool pprof -proto allocs.pb.gz heap.pb.gz > merged.pb.gz")
    :format(H.q(d), GO))
end)
local O = require("spec.pprof_oracle")(DIR, true)
local oracle_top, oracle_raw, ours_raw, check_top, UNITS =
  O.oracle_top, O.oracle_raw, O.ours_raw, O.check_top, O.UNITS

local PROTO = { "heap", "allocs", "cpu", "mutex", "block", "goroutine", "threadcreate", "merged" }
local LEGACY = { "heap", "mutex", "block", "goroutine", "threadcreate" }

describe("ge.profile on profiles of the installed Go", function()
  for _, name in ipairs(PROTO) do
    it("decodes " .. name .. ".pb.gz as go tool pprof -raw reads it, and tops as -top does", function()
      local p = assert(ge.profile.open(DIR .. "/" .. name .. ".pb.gz"))
      assert.are.same(oracle_raw(name .. ".pb.gz"), ours_raw(p))
      check_top(p, name .. ".pb.gz", nil, "function")
    end)
  end
  for _, name in ipairs(LEGACY) do
    it("decodes the legacy " .. name .. ".txt as go tool pprof -raw reads it", function()
      local p = assert(ge.profile.open(DIR .. "/" .. name .. ".txt"))
      assert.are.same(oracle_raw(name .. ".txt"), ours_raw(p))
    end)
  end

  describe("top", function()
    -- Repetitions: Go's regexp (pprof's parser) is the oracle for what RE2
    -- refuses; nested "+" 30 deep is valid RE2 but would make regcomp copy
    -- its operand 2^30 times (the fuzzer's first finding: 4 GB for a 40-byte
    -- hide pattern), so that one we refuse beyond Go.
    it("refuses the repetitions Go's regexp refuses, and accepts the rest", function()
      local pats = { "a**", "a++", "a*+", "a?*", "*a", "a|*", "(*)", "(?:+)", "{2}a", "a{2}{3}",
        "a{2}*", "a{1001}", "a{1000}", "a{2,1000}", "a{1001,}", "(a{100}){100}", "(a{10}){100}",
        "((a{10}){10}){10}", "((a{10}){10}){11}", "(a{10}b{100}){10}", "(a{10}b{100}){11}",
        "a*?", "a+?b", "a{2}?", "()*", "a{2,}", "(a+)+", "x(?s)*", "a{", "a{,3}", "a{2",
        "main\\.(mid|leaf)+" }
      local d = H.tmpdir("re2-verdicts")
      local lines = {}
      for _, s in ipairs(pats) do lines[#lines + 1] = ("%q,"):format(s) end
      H.write(d .. "/main.go", ([[
package main

import (
	"fmt"
	"regexp"
)

func main() {
	for _, s := range []string{%s} {
		_, err := regexp.Compile(s)
		fmt.Println(err == nil)
	}
}
]]):format(table.concat(lines, " ")))
      local verdict = {}
      for v in H.must(("cd %s && %s run main.go"):format(H.q(d), GO)):gmatch("%a+") do
        verdict[#verdict + 1] = v == "true"
      end
      assert.are.equal(#pats, #verdict)
      local p = assert(ge.profile.open(DIR .. "/allocs.pb.gz"))
      for i, s in ipairs(pats) do
        local rows, err = p:top { focus = s }
        assert.are.equal(verdict[i], rows ~= nil, s .. ": " .. tostring(err))
        if not rows then assert.matches("^focus: bad regular expression .*repe", err) end
      end
      local deep = ("("):rep(30) .. "a" .. (")+"):rep(30)
      local rows, err = p:top { hide = deep }
      assert.is_nil(rows)
      assert.matches("^hide: .*expression too large", err)
    end)
  end)

  describe("write", function()
    for _, name in ipairs { "cpu", "allocs", "merged" } do
      it("writes a " .. name .. " profile that go tool pprof reads back with the same totals", function()
        local p = assert(ge.profile.open(DIR .. "/" .. name .. ".pb.gz"))
        local out = H.tmpdir("profile-write-" .. name .. "-" .. H.lua) .. "/out.pb.gz"
        assert(p:write(out))
        local q = assert(ge.profile.open(out))
        assert.are.same(ours_raw(p), ours_raw(q))
        for _, st in ipairs(p.sample_types) do
          local want = oracle_top(name .. ".pb.gz", st.type, st.unit, nil)
          local text = H.must(("%s tool pprof -top -nodecount=1000000 -nodefraction=0 -sample_index=%s %s %s")
            :format(GO, st.type, UNITS[st.unit] and ("-unit=" .. UNITS[st.unit]) or "", H.q(out)))
          local got, started = {}, false
          for line in text:gmatch("[^\n]+") do
            if started then
              local fl, c, nm = line:match("^%s*(%-?[%d%.]+)%a*%s+%S+%s+%S+%s+(%-?[%d%.]+)%a*%s+%S+%s+(.-)%s*$")
              got[(nm:gsub(" %(inline%)$", ""):gsub(" %(partial%-inline%)$", ""))] =
                { flat = tonumber(fl), cum = tonumber(c) }
            elseif line:match("^%s+flat%s+flat%%") then started = true end
          end
          assert.are.same(want, got)
        end
      end)
    end
  end)

  describe("flame", function()
    -- Go names generic instances by their shape: a struct shape holds "; "
    -- (runtime's atomic.(*Pointer[go.shape.struct { ...; ... }]).StoreNoWB
    -- showed up in a CPU profile of the fixture and split a folded frame).
    it("writes a ';' inside a frame name as ':' so that folded lines keep one frame per ';'", function()
      local d = H.tmpdir("profile-shape")
      H.write(d .. "/go.mod", "module shape\n\ngo 1.21\n")
      H.write(d .. "/main.go", [[
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

//go:noinline
func Alloc[T any]() *T { return new(T) }

var sink []any

func main() {
	runtime.MemProfileRate = 1
	for i := 0; i < 100; i++ {
		sink = append(sink, Alloc[struct {
			a int
			b [64]byte
		}]())
	}
	runtime.GC()
	f, _ := os.Create(os.Args[1])
	pprof.Lookup("allocs").WriteTo(f, 0)
	f.Close()
}
]])
      H.must(("cd %s && %s run . %s"):format(H.q(d), GO, H.q(d .. "/allocs.pb.gz")))
      local p = assert(ge.profile.open(d .. "/allocs.pb.gz"))
      local shaped
      for _, f in ipairs(p:functions()) do
        if f.name:find("Alloc[", 1, true) then shaped = f.name end
      end
      assert.matches("go%.shape%.struct {.*; .*}", shaped) -- the name itself keeps its ';'
      local folded = assert(p:folded { sample = "alloc_objects" })
      local want = shaped:gsub(";", ":")
      local found
      for line in folded:gmatch("[^\n]+") do
        local st = line:match("^(.*) %-?%d+$")
        for fr in st:gmatch("[^;]+") do
          assert.is_falsy(fr:find("go.shape.struct {", 1, true) and not fr:find("}", 1, true), fr)
          if fr == want then found = true end
        end
      end
      assert.is_true(found, "no frame " .. want)
      local function walk(n)
        if n.name == want then found = "flame" end
        for _, c in ipairs(n.children or {}) do walk(c) end
      end
      walk(assert(p:flame { sample = "alloc_objects", min = 0 }))
      assert.are.equal("flame", found)
    end)
  end)

  describe("symbolize", function()
    -- go tool pprof drops the allocator's frames (runtime\..* for Go) from
    -- legacy heap profiles once they are symbolized, so cost lands on the
    -- callers; pprof's objfile symbolizer does not expand inlined calls, so
    -- the comparison is on functions that no inlining touches.
    it("drops the allocator's frames of a symbolized legacy heap profile as pprof does", function()
      local p = assert(ge.profile.open(DIR .. "/heap.txt"))
      assert.matches("runtime\\%.%.%*", p.drop_frames)
      p = assert(p:symbolize(assert(ge.binary.open(DIR .. "/profgen"))))
      local out = H.must(("cd %s && %s tool pprof -top -nodefraction=0 -unit=B -sample_index=alloc_space "
        .. "profgen heap.txt 2>/dev/null"):format(H.q(DIR), GO))
      local want = {}
      for flat, cum, name in out:gmatch("\n%s*(%d+)B?%s+[%d.e+-]+%%%s+[%d.e+-]+%%%s+(%d+)B?%s+[%d.e+-]+%%%s+(%S+)") do
        want[name] = { tonumber(flat), tonumber(cum) }
      end
      local rows, total = p:top { sample = "alloc_space", n = 0 }
      assert.are.equal(tonumber(out:match("of (%d+)B total")), total)
      local got = {}
      for _, r in ipairs(rows) do got[r.name] = { r.flat, r.cum } end
      for _, name in ipairs { "main.leaf", "main.mid", "main.main", "main.rec", "runtime.mallocgc" } do
        assert.are.same(want[name], got[name], name)
      end
      assert.is_true(got["main.leaf"][1] > total / 2) -- not on runtime.mallocgc
    end)

    it("gives the same profile from a binary (in C) as from a resolver calling its lookup", function()
      local bin = assert(ge.binary.open(DIR .. "/profgen"))
      for _, name in ipairs { "heap.txt", "mutex.txt", "goroutine.txt" } do
        local p = assert(ge.profile.open(DIR .. "/" .. name))
        local viac = assert(p:symbolize(bin))
        local vialua = assert(p:symbolize(function(a) return bin:lookup(a) end))
        assert.are.same(vialua:locations(), viac:locations(), name)
        for _, by in ipairs { "function", "line" } do
          local a = { viac:top { by = by, n = 10 } }
          assert.are.same({ vialua:top { by = by, n = 10 } }, a, name)
          assert.is_true(#a[1] > 0)
        end
        for l in p:each_location() do assert.are.equal(0, #l.lines) end -- p unchanged
      end
    end)
  end)
end)
