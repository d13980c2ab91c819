-- d:sites() and the escape log's join (goescape.analysis.retain_sites,
-- `goescape retain --sites/--escape`) on the dumps of
-- spec/fixtures/heapdump/retain (as spec/heapdump_spec.lua builds them,
-- with Go 1.19, the machine's Go and Go 1.27): each site's counts against
-- a grouping done here object by object (d:object's alloc stack and
-- dominator), each big array at its line with its retainer and the
-- compiler's reason.
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"
local rs = require "goescape.analysis.retain_sites"

local F = require "spec.heapdump_fixtures"
local dumps = F.retain()

local LINES = F.retain_lines()

-- The site of an alloc stack as the grouping picks it: the first frame
-- outside the runtime's allocator (internal/runtime/maps' too).
local function site_of(alloc)
  for _, f in ipairs(alloc or {}) do
    if not (f.func:match("^runtime%.") or f.func:match("^internal/runtime/")) then return f end
  end
end

-- The row of a kept array's site: its line, or (a stack without the
-- runtime's frames, Go 1.19) the line after, the call's return address.
local function row_at(rows, line)
  for _, r in ipairs(rows) do
    if r.line == line and r.file:match("retain/main%.go$") then return r end
  end
  for _, r in ipairs(rows) do
    if r.first and r.line == line + 1 and r.file:match("retain/main%.go$") then return r end
  end
end

for _, c in ipairs(H.go_compilers()) do
  describe("allocation sites of heap dumps written by " .. c.name, function()
    local base = ("%s/retain-%s"):format(dumps, c.name)
    local kept = cjson.decode(H.read(base .. ".json"))
    local d = assert(ge.heapdump.open(base .. ".dump", { binary = base }))

    it("counts each site's objects, live bytes and retained bytes as a grouping object by object does", function()
      local want, members = {}, {}
      for o in d:each_object() do
        local x = assert(d:object(o.address))
        local s = site_of(x.alloc)
        if s then
          local key = s.func .. "\0" .. s.file .. "\0" .. s.line
          local g = want[key] or { objects = 0, bytes = 0, live_objects = 0, live_bytes = 0, retained = 0 }
          want[key] = g
          g.objects, g.bytes = g.objects + 1, g.bytes + x.size
          if x.reachable then
            g.live_objects, g.live_bytes = g.live_objects + 1, g.live_bytes + x.size
            members[#members + 1] = { x = x, key = key }
          end
        end
      end
      local key_of = {}
      for _, m in ipairs(members) do key_of[m.x.address] = m.key end
      -- a member counts when no dominator above it is of its site
      for _, m in ipairs(members) do
        local up, top = m.x.idom, true
        while up do
          if key_of[up] == m.key then top = false break end
          up = d:object(up).idom
        end
        if top then want[m.key].retained = want[m.key].retained + m.x.retained end
      end
      local rows = assert(d:sites{ n = 0, reachable = false })
      local n = 0
      for _ in pairs(want) do n = n + 1 end
      assert.equal(n, #rows)
      for _, r in ipairs(rows) do
        local g = assert(want[r.func .. "\0" .. r.file .. "\0" .. r.line], r.func)
        assert.same({ g.objects, g.bytes, g.live_objects, g.live_bytes, g.retained },
          { r.objects, r.bytes, r.live_objects, r.live_bytes, r.retained })
        assert.is_true(r.retained >= r.live_bytes)
      end
      -- largest retained first; the default drops the sites with no live object
      for i = 2, #rows do assert.is_true(rows[i - 1].retained >= rows[i].retained) end
      for _, r in ipairs(assert(d:sites{ n = 0 })) do assert.is_true(r.live_objects > 0) end
      assert.equal(3, #d:sites{ n = 3 })
    end)

    it("finds each big array at its line, retaining at least the array, with its retainer's path", function()
      local rows = assert(rs.sites(d, { n = 0 }))
      for k, want in pairs(kept) do
        local r = assert(row_at(rows, LINES[k]), k)
        assert.is_true(r.live_bytes >= want.size and r.retained >= want.size, k)
        -- the site's member that retains most dominates the array (is it,
        -- or is the node or map that holds it), and the path leads to it
        local up = want.address
        while up and up ~= r.top[1] do up = d:object(up).idom end
        assert.equal(r.top[1], up, k)
        if k ~= "chain" and k ~= "map" then assert.equal(want.address, r.top[1], k) end
        assert.equal(r.top[1], r.path[#r.path].address)
        if k ~= "goroutine" then assert.equal(want.holder, r.path[1].name) end
      end
    end)

    it("joins each array's line with the escape log: the compiler's message and reason", function()
      local rows = assert(rs.sites(d, { n = 0, escape = base .. ".m2.log" }))
      for k, want in pairs(kept) do
        local r = assert(row_at(rows, LINES[k]), k)
        local e = assert(r.escape, k)
        assert.matches("^make%(%[%]byte, [^)]+%) escapes to heap$", e.message)
        assert.equal(LINES[k], e.line)
        assert.equal("too_large", e.reason)
        assert.is_string(e.why)
        local text = rs.text(r)
        assert.matches(("^%s in %%d+ objects? allocated at main%%.go:%d"):format(
          require("goescape.report.units").bytes(want.size):gsub("%.", "%%."), r.line), text)
        assert.matches("escapes to heap: too large for the stack%), retained by ", text)
        if k ~= "goroutine" then assert.matches("retained by " .. want.holder:gsub("%.", "%%.") .. " → ", text) end
      end
      -- a log that does not open: nil, err, code
      local rows2, err, code = rs.sites(d, { escape = base .. ".missing.log" })
      assert.is_nil(rows2)
      assert.is_string(err)
      assert.is_string(code)
    end)

    it("goescape retain --sites --escape --json: one object per site with its escape", function()
      local out = H.must(H.cli_cmd(("retain %s --binary %s --escape %s --sites --json -n 0"):format(
        H.q(base .. ".dump"), H.q(base), H.q(base .. ".m2.log"))))
      local by = {}
      for line in out:gmatch("[^\n]+") do
        local o = cjson.decode(line)
        by[o.line] = by[o.line] or o
      end
      local o = assert(by[LINES.subslice] or by[LINES.subslice + 1])
      assert.equal("main.main", o["function"])
      assert.equal("main.pinned", o.path[1])
      assert.equal(kept.subslice.address, o.top[1])
      assert.equal("too_large", o.escape.reason)
      local text = H.must(H.cli_cmd(("retain %s --binary %s --escape %s --sites -n 3"):format(
        H.q(base .. ".dump"), H.q(base), H.q(base .. ".m2.log"))))
      assert.matches("escape: make%(%[%]byte, [^)]+%) escapes to heap %(too large for the stack%)", text)
    end)

    it("goescape retain --escape gives each retainer the compiler's message and reason", function()
      local out = H.must(H.cli_cmd(("retain %s --binary %s --escape %s --json -n 30"):format(
        H.q(base .. ".dump"), H.q(base), H.q(base .. ".m2.log"))))
      local found = 0
      for line in out:gmatch("[^\n]+") do
        local o = cjson.decode(line)
        for k, want in pairs(kept) do
          if o.address == want.address then
            found = found + 1
            assert.matches("^make%(%[%]byte, [^)]+%) escapes to heap$", o.escape.message, k)
            assert.equal("too_large", o.escape.reason)
          end
        end
      end
      assert.equal(5, found)
      local text = H.must(H.cli_cmd(("retain %s --binary %s --escape %s -n 40"):format(
        H.q(base .. ".dump"), H.q(base), H.q(base .. ".m2.log"))))
      assert.matches("escape: make%(%[%]byte, [^)]+%) escapes to heap %(too large for the stack%)", text)
    end)
  end)
end
