-- Hostile inputs that are not parser bytes: directory trees that link back
-- on themselves, files that are not regular files.
local H = require "spec.helpers"
local ge = require "goescape"

describe("hostile inputs", function()
  it("enters each directory of a logopt tree once, whatever symlinks point back into it", function()
    local d = H.tmpdir("hostile-links")
    H.mkdir(d .. "/tree/pkg")
    H.write(d .. "/tree/pkg/a.json",
      '{"version":0,"package":"p","goos":"linux","goarch":"amd64","gc_version":"go1.26.8","file":"/x/a.go"}\n'
      .. '{"range":{"start":{"line":3,"character":2},"end":{"line":3,"character":2}},"severity":3,'
      .. '"code":"escape","source":"go compiler","message":"x escapes to heap"}\n')
    -- twelve links to ancestors: a walk that follows them blindly visits
    -- 2^12 paths per level of nesting
    for i = 1, 6 do
      H.must(("ln -s .. %s/tree/pkg/up%d && ln -s ../pkg %s/tree/pkg/self%d"):format(H.q(d), i, H.q(d), i))
    end
    local log = assert(ge.escape.open(d .. "/tree"))
    assert.are.equal(1, #log)
    assert.are.equal(1, log:stats().sources)
  end)
end)
