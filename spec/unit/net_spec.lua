-- The offline parts of live services: which "paths" are URLs and what each
-- form means (goescape.remote, as cmd/pprof's adjustURL), timeouts, option
-- misuse, durations, ge.net.disable. spec/net_spec.lua fetches for real.
local ge = require "goescape"
local remote = require "goescape.remote"
local duration = require "goescape.duration"

describe("goescape.remote.url", function()
  it("maps each form as go tool pprof does, with the kind's default path", function()
    local cases = {
      { "http://h:6060/debug/pprof/heap?gc=1", "profile", "http://h:6060/debug/pprof/heap?gc=1" },
      { "https://h/debug/pprof/heap", "profile", "https://h/debug/pprof/heap" },
      { "h:6060/debug/pprof/allocs?seconds=5", "profile", "http://h:6060/debug/pprof/allocs?seconds=5" },
      { "127.0.0.1:6060", "profile", "http://127.0.0.1:6060/debug/pprof/profile" },
      { "http://h:6060", "profile", "http://h:6060/debug/pprof/profile" },
      { "http://h:6060/", "profile", "http://h:6060/debug/pprof/profile" },
      { "http://h:6060?seconds=5", "profile", "http://h:6060/debug/pprof/profile?seconds=5" },
      { "h:6060", "trace", "http://h:6060/debug/pprof/trace" },
      { "[::1]:6060/debug/pprof/heap", "profile", "http://[::1]:6060/debug/pprof/heap" },
      { "HTTP://h:1/x", "profile", "http://h:1/x" },
      { "https+insecure://h:1", "profile", "https+insecure://h:1/debug/pprof/profile" },
      { "h:1", "memstats", "http://h:1/debug/pprof/heap?debug=1" },
      { "h:1/debug/pprof/allocs?gc=1", "memstats", "http://h:1/debug/pprof/allocs?gc=1&debug=1" },
      { "h:1/debug/pprof/heap?debug=1", "memstats", "http://h:1/debug/pprof/heap?debug=1" },
      { "h:1/debug/vars", "memstats", "http://h:1/debug/vars" },
    }
    for _, c in ipairs(cases) do assert.equal(c[3], remote.url(c[1], c[2]), c[1]) end
  end)

  it("leaves paths alone", function()
    for _, p in ipairs { "heap.pb.gz", "-", "", "/tmp/x:1", "dir/h:6060", "h:port", "h:6060x", "C:\\x" } do
      assert.is_nil(remote.url(p, "profile"), p)
    end
  end)

  it("a host:port that names an existing file is the file", function()
    local name = "localhost:1"
    local f = io.open(name, "wb")
    if f then
      f:close()
      assert.is_nil(remote.url(name, "profile"))
      os.remove(name)
      assert.equal("http://localhost:1/debug/pprof/profile", remote.url(name, "profile"))
    end
  end)

  it("refuses other schemes and a URL without a host", function()
    local u, err, code = remote.url("ftp://h/x", "profile")
    assert.is_false(u)
    assert.equal("arg", code)
    assert.equal("ftp://h/x: only http:// and https:// URLs can be fetched", err)
    local p, err2, code2 = ge.profile.open("file:///tmp/heap.pb.gz")
    assert.is_nil(p)
    assert.equal("arg", code2)
    assert.truthy(err2:find("only http://", 1, true))
    assert.is_false((remote.url("http:///x", "profile")))
  end)
end)

describe("ge.net", function()
  it("timeouts: N + N/2 + 5 s for ?seconds=N, 60 s otherwise", function()
    assert.equal(60e9, ge.net.default_timeout("http://h:1/debug/pprof/heap"))
    assert.equal(50e9, ge.net.default_timeout("http://h:1/debug/pprof/profile?seconds=30"))
    assert.equal(6.5e9, ge.net.default_timeout("http://h:1/debug/pprof/trace?seconds=1&x=2"))
    assert.equal(30, ge.net.query_seconds("http://h:1/x?gc=1&seconds=30"))
    assert.is_nil(ge.net.query_seconds("http://h:1/x?gc=1"))
  end)

  it("misuse raises", function()
    assert.has_error(function() ge.net.fetch(42) end)
    assert.has_error(function() ge.net.fetch("http://h:1/", { nope = 1 }) end)
    assert.has_error(function() ge.net.fetch("http://h:1/", { expect = "pdf" }) end)
    assert.has_error(function() ge.net.fetch("http://h:1/", { timeout = "ten" }) end)
    assert.has_error(function() ge.net.fetch("http://h:1/", { timeout = 5 }) end) -- 5 ns: a unit mistake
    assert.has_error(function() ge.profile.open("h:1", { max_fetch_bytes = 1 }) end)
    assert.has_error(function() ge.profile.open({ "a", 1 }) end)
  end)

  it("max_fetch_bytes is a limit like the others", function()
    assert.equal(2 ^ 30, ge.limits().max_fetch_bytes)
    assert.equal(5, ge.limits({ max_fetch_bytes = 5 }).max_fetch_bytes)
  end)

  it("a URL of another scheme is refused by the C core too", function()
    local b, err, code = ge.core.net_get("gopher://h/x")
    assert.is_nil(b)
    assert.equal("arg", code)
    assert.equal("gopher://h/x: not an http:// or https:// URL", err)
  end)
end)

describe("durations", function()
  it("parse Go's forms and refuse the rest", function()
    assert.equal(5400e9, duration.parse("1h30m"))
    assert.equal(10e9, ge.net.parse_duration("10s"))
    local ns, err, code = duration.parse("10")
    assert.is_nil(ns)
    assert.equal("arg", code)
    assert.equal('invalid duration "10": missing unit', err)
    assert.has_error(function() duration.parse(10) end)
  end)

  it("print as Go prints them", function()
    assert.equal("10s", duration.format(10e9))
    assert.equal("1h30m0s", duration.format(5400e9))
    assert.equal("250ms", duration.format(250e6))
    assert.equal("0s", duration.format(0))
    assert.equal("-5m0s", duration.format(-300e9))
  end)
end)

describe("goescape.watch", function()
  local watch = require "goescape.watch"
  it("samples /debug/pprof/heap of a host:port, and MemStats from its debug=1 form", function()
    assert.same({ heap = "http://h:1/debug/pprof/heap", memstats = "http://h:1/debug/pprof/heap?debug=1" },
      watch.target("h:1"))
    assert.same({ heap = "http://h:1/debug/pprof/heap?gc=1&debug=0",
      memstats = "http://h:1/debug/pprof/heap?gc=1&debug=1" }, watch.target("http://h:1/debug/pprof/heap?gc=1&debug=0"))
    local t, err, code = watch.target("heap.pb.gz")
    assert.is_nil(t)
    assert.equal("arg", code)
    assert.truthy(err:find("not a URL", 1, true))
  end)
  it("formats a sample as one line", function()
    local l = watch.line { time = 0, inuse = 2048, since_first = 1024, since_last = -512,
      top = { func = "main.leak", delta = 1024 }, memstats = { HeapAlloc = 4096, HeapIdle = 3072, HeapReleased = 1024, Sys = 8192 } }
    assert.truthy(l:match("^%d%d:%d%d:%d%d +2%.0 KiB +%+1%.0 KiB +%-512 bytes +main%.leak %+1%.0 KiB +4%.0 KiB +2%.0 KiB +8%.0 KiB$"), l)
  end)
end)
