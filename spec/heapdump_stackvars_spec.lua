-- Stack roots named by their variable: b:frame_vars (the DWARF locations
-- of a function's locals and parameters, relative to the frame's CFA) and
-- the dump's stack roots named from them, on dumps written in the spec's
-- setup by spec/fixtures/heapdump/patterns (Go 1.19, the machine's Go and
-- Go 1.27; the build is spec/heapdump_patterns_spec.lua's, shared through
-- H.cached). Its goroutine main.main.func1 is blocked on a receive with a
-- local `buf := make([]byte, 6<<20)`: the slot that keeps the array is
-- named `buf`.
local H = require "spec.helpers"
local ge = require "goescape"
local hd = require "goescape.heapdump"
local cjson = require "cjson"

describe("heapdump._frame_var", function()
  local rows = {
    { name = "ready", cfa_offset = -56, offset = 0, bytes = 8, low_pc = 0x100, high_pc = 0x200 },
    { name = "buf", cfa_offset = -24, offset = 0, bytes = 8, low_pc = 0x110, high_pc = 0x200 },
    { name = "s", cfa_offset = -48, offset = 8, bytes = 16 },
  }

  it("finds the variable whose bytes hold the slot at the PC", function()
    local v, inside = hd._frame_var(rows, 0x150, 0, -24)
    assert.equal("buf", v.name)
    assert.equal(0, inside)
    assert.equal("ready", (hd._frame_var(rows, 0x150, 0, -56)).name)
  end)

  it("gives the slot's offset in the variable, pieces placed by their offset", function()
    local v, inside = hd._frame_var(rows, 0x150, 0, -40)
    assert.equal("s", v.name) -- no range: everywhere
    assert.equal(16, inside)  -- 8 into a piece that starts 8 bytes into s
  end)

  it("names nothing outside the ranges and the bytes", function()
    assert.is_nil(hd._frame_var(rows, 0x200, 0, -24))
    assert.is_nil(hd._frame_var(rows, 0x108, 0, -24))
    assert.is_nil(hd._frame_var(rows, 0x150, 0, -16))
    assert.is_nil(hd._frame_var(rows, 0x150, 0, -64))
    assert.is_nil(hd._frame_var(nil, 0x150, 0, -24))
  end)

  it("looks a caller's frame up at its call, one byte before the return address", function()
    -- a range that ends at the return address still holds across the call
    assert.equal("buf", (hd._frame_var(rows, 0x200, 1, -24)).name)
    assert.is_nil(hd._frame_var(rows, 0x110, 1, -24))
  end)
end)

describe("step_text of a named stack root", function()
  it("keeps the frame's label and adds the variable", function()
    local s = { root = "stack", func = "main.worker", goroutine = 7, offset = 64, var = "buf" }
    assert.equal("stack main.worker (goroutine 7) var buf", hd.step_text({ s }, 1))
    s.var_offset = 8
    assert.equal("stack main.worker (goroutine 7) var buf+8", hd.step_text({ s }, 1))
    s.var, s.var_offset = nil, nil
    assert.equal("stack main.worker (goroutine 7)+64", hd.step_text({ s }, 1))
  end)
end)

local dumps = require("spec.heapdump_fixtures").patterns()

for _, c in ipairs(H.go_compilers()) do
  describe("stack roots named by variable in dumps written by " .. c.name, function()
    local base = ("%s/patterns-%s"):format(dumps, c.name)
    local kept = cjson.decode(H.read(base .. ".json"))
    local want = kept.goroutine -- the blocked goroutine's local 6 MiB array

    local function root_to(roots, addr)
      for _, r in ipairs(roots) do
        if r.root == "stack" and r.target == addr then return r end
      end
    end

    it("b:frame_vars gives buf's place in main.main.func1's frame", function()
      local b = assert(ge.binary.open(base))
      local fv = assert(b:frame_vars{ units = { "main" }, funcs = { "main.main.func1" } })
      assert.is_nil(fv["main.main"]) -- only the functions asked for
      local buf
      for _, v in ipairs(assert(fv["main.main.func1"])) do
        assert.is_true(v.cfa_offset < 0) -- a frame lies below its CFA on amd64
        if v.name == "buf" then buf = v end
      end
      assert(buf, "buf")
      assert.equal("[]uint8", buf.type)
      assert.equal(24, buf.size)
      assert.equal(0, buf.offset)
      -- optimized code: a location list, the slice's pointer piece spilled
      assert.equal(8, buf.bytes)
      assert.is_true(buf.low_pc < buf.high_pc)
      b:close()
    end)

    it("b:frame_vars reads the locations even after a load of the same units without them", function()
      local b = assert(ge.binary.open(base))
      local plain = assert(b:dwarf{ units = { "main" } })
      local fv = assert(b:frame_vars{ units = { "main" } })
      assert.is_table(fv["main.main"]) -- no funcs: every function of the units
      assert.is_table(fv["main.main.func1"])
      -- and the plain tables stay as they were
      assert.equal(#plain.variables, #assert(b:dwarf{ units = { "main" } }).variables)
      assert.has_error(function() b:frame_vars{ funcs = 3 } end)
      assert.has_error(function() b:frame_vars{ funcs = { 1 } } end)
      b:close()
    end)

    it("the dump's frame contents end at the CFA: the slot is frame size + cfa_offset past sp", function()
      local b = assert(ge.binary.open(base))
      local fv = assert(b:frame_vars{ units = { "main" }, funcs = { "main.main.func1" } })
      local buf
      for _, v in ipairs(fv["main.main.func1"]) do if v.name == "buf" then buf = v end end
      local d = assert(ge.heapdump.open(base .. ".dump"))
      local r = assert(root_to(d:roots(), want.address))
      assert.equal("main.main.func1", r.func)
      assert.is_nil(r.var) -- no binary: frame and offset
      local size
      for _, g in ipairs(d:goroutines()) do
        if g.id == r.goroutine then
          for _, f in ipairs(g.frames) do if f.depth == r.frame_depth then size = f.size end end
        end
      end
      assert.equal(r.offset, size + buf.cfa_offset)
      assert.is_true(buf.low_pc <= r.pc - 1 and r.pc - 1 < buf.high_pc)
      assert.matches("^stack main%.main%.func1 %(goroutine %d+%)%+%d+$", hd.step_text({ r }, 1))
      b:close()
    end)

    local d = assert(ge.heapdump.open(base .. ".dump", { binary = base }))

    it("the blocked goroutine's array is held by its local buf", function()
      local r = assert(root_to(d:roots(), want.address))
      assert.equal("buf", r.var)
      assert.equal("[]uint8", r.var_type)
      assert.is_nil(r.var_offset)
      assert.equal(("stack main.main.func1 (goroutine %d) var buf"):format(r.goroutine), hd.step_text({ r }, 1))
      local p = assert(d:path(want.address))
      assert.equal("buf", p[1].var)
      assert.matches("^stack main%.main%.func1 %(goroutine %d+%) var buf → 0x%x+ %(6291456 B%)$", hd.path_text(p))
      -- the retainer row and its pattern's holder say it too
      local row
      for _, x in ipairs(assert(d:retainers{ n = 60 })) do
        if x.address == want.address then row = x end
      end
      assert.equal("buf", assert(row).path[1].var)
      assert.equal(hd.step_text(row.path, 1), row.evidence.holder)
    end)

    it("the closure's goroutine names its captured slice", function()
      local r = assert(root_to(d:roots(), kept.closure.address))
      assert.equal("main.main.func2", r.func)
      -- Go 1.27 names the pointer of a captured slice it keeps apart
      assert.matches("^captured", r.var)
    end)

    it("goescape retain labels the path with the variable, in text and JSON", function()
      local args = ("retain %s --binary %s -n 60"):format(H.q(base .. ".dump"), H.q(base))
      local text = H.must(H.cli_cmd(args))
      assert.matches("stack main%.main%.func1 %(goroutine %d+%) var buf → 0x%x+ %(6291456 B%)", text)
      local seen
      for line in H.must(H.cli_cmd(args .. " --json")):gmatch("[^\n]+") do
        local o = cjson.decode(line)
        if o.address == want.address then
          seen = true
          assert.matches("^stack main%.main%.func1 %(goroutine %d+%) var buf$", o.path[1])
          assert.equal("buf", o.steps[1].var)
          assert.equal("[]uint8", o.steps[1].var_type)
        end
      end
      assert.is_true(seen)
    end)
  end)
end
