-- ge.heapdump.diff and `goescape retain --diff` on the two dumps of
-- spec/fixtures/heapdump/grow (built with Go 1.19, the machine's Go and
-- Go 1.27): between them the program adds `more` records of `size` bytes
-- to a global slice whose backing array was made big enough up front. The
-- checks: the growth at the records' line is `more` objects of the size
-- class that holds `size` bytes, the global `main.records` holds exactly
-- those bytes more, and the escape log's reason comes with the line.
local H = require "spec.helpers"
local ge = require "goescape"
local cjson = require "cjson"

local PROG = H.root .. "/spec/fixtures/heapdump/grow"

local dumps = H.cached("heapdump-grow", function(dir)
  for _, c in ipairs(H.go_compilers()) do
    local bin = ("%s/grow-%s"):format(dir, c.name)
    H.must(("cd %s && env -u LD_PRELOAD %s build -gcflags=-m=2 -o %s . 2> %s.m2.log")
      :format(H.q(PROG), c.go, H.q(bin), H.q(bin)))
    H.must(("env -u LD_PRELOAD %s %s.1.dump %s.2.dump > %s.json"):format(H.q(bin), H.q(bin), H.q(bin), H.q(bin)))
  end
end)

local LINE
do
  local n = 0
  for line in io.lines(PROG .. "/main.go") do
    n = n + 1
    if line:find("&record{", 1, true) then LINE = n end
  end
end

-- Go's size classes around 1000 bytes (the same in Go 1.19 through 1.27:
-- runtime/sizeclasses.go): a 1000-byte object takes a 1024-byte slot.
local CLASSES = { 640, 704, 768, 896, 1024, 1152, 1280 }
local function slot(size)
  for _, c in ipairs(CLASSES) do if c >= size then return c end end
end

-- The records' row: their line, or the line after when the site is its
-- stack's first frame (Go 1.19: the return address's line).
local function record_row(rows)
  for _, r in ipairs(rows) do
    if r.file:match("grow/main%.go$") and (r.line == LINE or (r.first and r.line == LINE + 1)) then return r end
  end
end

for _, c in ipairs(H.go_compilers()) do
  describe("two heap dumps written by " .. c.name, function()
    local base = ("%s/grow-%s"):format(dumps, c.name)
    local want = cjson.decode(H.read(base .. ".json"))
    local grown = want.more * slot(want.size)

    it("grew at the records' line by the records added, in their size class's slots", function()
      local g = assert(ge.heapdump.diff(base .. ".1.dump", base .. ".2.dump", { binary = base, n = 0 }))
      local r = assert(record_row(g.sites))
      assert.equal(g.sites[1], r) -- the largest growth
      assert.equal(want.more, r.objects)
      assert.equal(want.first, r.old.objects)
      assert.equal(want.first + want.more, r.new.objects)
      assert.equal(1024, r.new.bytes / r.new.objects) -- each record's slot, as the dump sizes it
      assert.equal(grown, r.bytes)
      assert.equal(grown, r.retained)
      assert.is_true(g.reachable.bytes >= grown)
      assert.is_true(g.reachable.objects >= want.more)
    end)

    it("grew under the global that keeps the records, by exactly their bytes", function()
      local g = assert(ge.heapdump.diff(base .. ".1.dump", base .. ".2.dump", { binary = base }))
      local r = g.roots[1]
      assert.equal("main.records", r.label)
      assert.equal("[]*main.record", r.type)
      assert.equal(grown, r.retained)
      assert.equal(0, r.objects) -- one backing array before and after
      -- without the binary, the same root by its segment and offset
      local g2 = assert(ge.heapdump.diff(base .. ".1.dump", base .. ".2.dump"))
      assert.matches("^[bdsat]+%+%d+$", g2.roots[1].label)
      assert.equal(grown, g2.roots[1].retained)
    end)

    it("takes opened dumps too, and the escape log's reason for the line", function()
      local a = assert(ge.heapdump.open(base .. ".1.dump"))
      local b = assert(ge.heapdump.open(base .. ".2.dump"))
      local g = assert(ge.heapdump.diff(a, b, { escape = base .. ".m2.log", n = 1 }))
      assert.equal(1, #g.sites)
      local e = assert(g.sites[1].escape)
      assert.equal(LINE, e.line)
      assert.matches("^&record{...} escapes to heap$", e.message)
      -- the same dump twice: nothing grew
      local same = assert(ge.heapdump.diff(a, a))
      assert.same({}, same.sites)
      assert.same({}, same.roots)
      assert.equal(0, same.reachable.bytes)
      local none, err, code = ge.heapdump.diff(base .. ".missing", b)
      assert.is_nil(none)
      assert.is_string(err)
      assert.equal("io", code)
    end)

    it("goescape retain --diff prints the growth by site and by root, as text and JSON", function()
      local out = H.must(H.cli_cmd(("retain --diff %s %s --binary %s --json -n 0"):format(
        H.q(base .. ".1.dump"), H.q(base .. ".2.dump"), H.q(base))))
      local site, root
      for line in out:gmatch("[^\n]+") do
        local o = cjson.decode(line)
        if o.kind == "site" and not site then site = o end
        if o.kind == "root" and not root then root = o end
      end
      assert.equal(grown, site.bytes)
      assert.equal(want.more, site.objects)
      assert.is_string(site["function"])
      assert.equal("main.records", root.label)
      assert.equal(grown, root.retained)
      local text = H.must(H.cli_cmd(("retain --diff %s %s --binary %s --escape %s"):format(
        H.q(base .. ".1.dump"), H.q(base .. ".2.dump"), H.q(base), H.q(base .. ".m2.log"))))
      assert.matches("by allocation site", text)
      assert.matches("main%.records %(%[%]%*main%.record%)", text)
      assert.matches("escape: &record{%.%.%.} escapes to heap", text)
      local _, rc = H.sh(H.cli_cmd(("retain --diff %s 2>&1"):format(H.q(base .. ".1.dump"))))
      assert.equal(2, rc)
    end)
  end)
end
