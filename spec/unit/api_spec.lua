-- One way for the Lua faces: every open/parse takes an options table last
-- ({limits = {...}}), unknown keys raise; every handle closes with close(),
-- and with <close> under Lua 5.4.
local H = require "spec.helpers"
local ge = require "goescape"

local LOG = H.root .. "/spec/fixtures/escape/go1.26.m1.log"
local PROF = H.root .. "/spec/fixtures/profile/data/heap.pb.gz"
package.path = H.root .. "/bench/?.lua;" .. package.path
local BIN = H.tmpdir("api-bin") .. "/pie"
require("shapes").crafted_pie(BIN, 4, "relocated") -- a small binary goescape opens

describe("options of open and parse", function()
  it("take {limits = {...}} in every module", function()
    local _, err, code = ge.escape.open(LOG, { limits = { max_line_bytes = 10 } })
    assert.are.equal("limit", code, err)
    _, err, code = ge.profile.open(PROF, { limits = { max_inflated_bytes = 100 } })
    assert.are.equal("limit", code, err)
    _, err, code = ge.profile.parse(H.read(PROF), "heap.pb.gz", { limits = { max_inflated_bytes = 100 } })
    assert.are.equal("limit", code, err)
    _, err, code = ge.escape.parse(H.read(LOG), "m1.log", { limits = { max_line_bytes = 10 } })
    assert.are.equal("limit", code, err)
  end)

  it("raise on an unknown key, naming it (and where limits go)", function()
    local calls = {
      function() ge.escape.open(LOG, { limit = {} }) end,
      function() ge.escape.parse("", "x", { bogus = true }) end,
      function() ge.escape.stream(LOG, function() end, { filters = {} }) end,
      function() ge.profile.open(PROF, { max_inflated_bytes = 1 }) end,
      function() ge.profile.parse("", "x", { max_records = 1 }) end,
      function() ge.binary.open("/nonexistent", { max_threads = 1 }) end,
    }
    for i, f in ipairs(calls) do
      local ok, err = pcall(f)
      assert.is_false(ok, i)
      assert.matches("unknown option '", tostring(err), 1, true)
    end
    local _, err = pcall(ge.profile.open, PROF, { max_inflated_bytes = 1 })
    assert.matches("limits go in {limits = {max_inflated_bytes = ...}}", tostring(err), 1, true)
    assert.has_error(function() ge.binary.open("/x", 5) end)
  end)
end)

describe("handles", function()
  it("close with close(), and their methods then raise", function()
    local log = assert(ge.escape.open(LOG))
    log:close()
    assert.has_error(function() log:count() end)
    local p = assert(ge.profile.open(PROF))
    p:close()
    assert.has_error(function() p:top() end)
    local b = assert(ge.binary.open(BIN))
    b:close()
    assert.has_error(function() b:funcs() end)
  end)

  if _VERSION == "Lua 5.4" then
    it("close at the end of a <close> block (Lua 5.4)", function()
      local chunk = assert(load([[
        local ge, LOG, PROF, BIN = ...
        local kept
        do
          local log <close> = assert(ge.escape.open(LOG))
          local p <close> = assert(ge.profile.open(PROF))
          local b <close> = assert(ge.binary.open(BIN))
          kept = { log, p, b }
        end
        return kept
      ]]))
      local kept = chunk(ge, LOG, PROF, BIN)
      assert.has_error(function() kept[1]:count() end)
      assert.has_error(function() kept[2]:top() end)
      assert.has_error(function() kept[3]:funcs() end)
    end)
  end
end)
