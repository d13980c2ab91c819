-- goescape watch end to end on the live service of spec/fixtures/net/server
-- (main.leak keeps 16 KiB every 20 ms and nothing else is kept): three
-- samples a second apart of `heap?gc=1` (a GC before each, so that each
-- profile is current), each with the service's MemStats.
local H = require "spec.helpers"
local S = require "spec.live_server"
local cjson = require "cjson"

describe("goescape watch", function()
  local srv, dir
  setup(function()
    srv = S.start()
    dir = H.tmpdir("watch")
  end)
  teardown(function() if srv then srv.stop() end end)

  it("prints a JSON object per sample: the heap, its growth, who grew, MemStats", function()
    local url = srv.url .. "/debug/pprof/heap?gc=1"
    local out, rc, err = H.cli(("watch --every 1s --count 3 --json --html %s %s")
      :format(H.q(dir .. "/w.html"), H.q(url)))
    assert.equal(0, rc, err)
    local s = {}
    for line in out:gmatch("[^\n]+") do s[#s + 1] = cjson.decode(line) end
    assert.equal(3, #s)
    for i, x in ipairs(s) do
      assert.equal(i, x.n)
      assert.is_true(x.inuse > 0)
      assert.equal(x.inuse - s[1].inuse, x.since_first)
      assert.equal(i == 1 and 0 or x.inuse - s[i - 1].inuse, x.since_last)
      local m = x.memstats
      assert.is_true(m.HeapAlloc > 0 and m.Sys >= m.HeapAlloc and m.HeapIdle >= m.HeapReleased)
      assert.is_true(m.NumGC >= i, "gc=1 ran a GC before each sample")
      if i > 1 then
        assert.is_true(x.time > s[i - 1].time)
        assert.equal("main.leak", x.top.func)
        assert.truthy(x.top.file:match("spec/fixtures/net/server/main%.go$"), x.top.file)
        assert.is_true(x.top.delta > 0 and x.since_last > 0)
      else
        assert.is_nil(x.top)
      end
    end
    local html = H.read(dir .. "/w.html")
    assert.truthy(html:find("main.leak", 1, true))
    assert.truthy(err:find("wrote " .. dir .. "/w.html", 1, true))
  end)

  it("prints a terminal line per sample; two instances are merged", function()
    local out, rc, err = H.cli(("watch --every 1s --count 2 %s %s/debug/pprof/heap"):format(srv.addr, srv.addr))
    assert.equal(0, rc, err)
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(3, #lines, out) -- the header, then two samples
    -- --for 0s: the first sample only (the next tick is past the end)
    local once = H.cli("watch --for 0s " .. srv.addr)
    assert.equal(2, select(2, once:gsub("\n", "")))
    assert.truthy(lines[1]:match("^time%s+inuse%s+since first%s+since last%s+grew most since last%s+HeapAlloc%s+idle%-rel%s+Sys$"))
    assert.truthy(lines[2]:match("^%d%d:%d%d:%d%d%s+[%d.]+ %a+%s+0 bytes%s+0 bytes%s+%-%s+"), lines[2])
  end)

  it("says what is wrong in one line", function()
    local port = S.free_port()
    local _, rc, err = H.cli(("watch --count 1 127.0.0.1:%d"):format(port))
    assert.equal(1, rc)
    assert.equal(("goescape: http://127.0.0.1:%d/debug/pprof/heap: connection refused by 127.0.0.1:%d "
      .. "(is the service listening there?)\n"):format(port, port), err)
    _, rc, err = H.cli("watch --count 1 heap.pb.gz")
    assert.equal(1, rc)
    assert.truthy(err:find("heap.pb.gz: not a URL", 1, true), err)
    _, rc = H.cli("watch --every 1x " .. srv.addr)
    assert.equal(2, rc)
    _, rc, err = H.cli("watch --count 1 " .. srv.url .. "/html")
    assert.equal(1, rc)
    assert.truthy(err:find("answered HTML, not a profile", 1, true), err)
  end)
end)
