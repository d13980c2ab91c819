-- Live services: ge.net.fetch, and ge.profile.open / ge.trace.open / the
-- commands on URLs, against a real net/http/pprof server started here
-- (spec/fixtures/net/server, built with the machine's Go). Oracles: `go tool
-- pprof` fetching the same URLs (a profile whose bytes hold still, /fixed,
-- two of it merged), `go tool pprof` reading what goescape fetched and wrote
-- back, cjson on /debug/vars, Go's own server answers for the errors.
local H = require "spec.helpers"
local S = require "spec.live_server"
local ge = require "goescape"
local cjson = require "cjson"

local GO = "env -u LD_PRELOAD GOTOOLCHAIN=local go"

-- flat bytes by function from `go tool pprof -top` over the args (URLs or files)
local function pprof_top(dir, sample, args)
  local out = H.must(("cd %s && PPROF_TMPDIR=%s %s tool pprof -top -nodecount=1000000 -nodefraction=0 " ..
    "-edgefraction=0 -unit=B -sample_index=%s %s 2>/dev/null"):format(H.q(dir), H.q(dir), GO, sample, args))
  local rows, started = {}, false
  for line in out:gmatch("[^\n]+") do
    if started then
      local flat, name = line:match("^%s*(%-?%d+)B?%s+%S+%s+%S+%s+%-?%d+B?%s+%S+%s+(.-)%s*$")
      assert(flat, "unparsed pprof line: " .. line)
      name = name:gsub(" %(partial%-inline%)$", ""):gsub(" %(inline%)$", "") -- pprof's marks, not goescape's names
      rows[name] = (rows[name] or 0) + tonumber(flat)
    elseif line:match("^%s*flat%s+flat%%") then
      started = true
    end
  end
  return rows, out
end

local function ours_top(prof, sample)
  local rows = {}
  for _, r in ipairs(assert(prof:top { sample = sample, n = 0 })) do rows[r.name] = (rows[r.name] or 0) + r.flat end
  return rows
end

describe("live services", function()
  local srv, dir
  setup(function()
    srv = S.start()
    dir = H.tmpdir("net")
  end)
  teardown(function() if srv then srv.stop() end end)

  it("a heap profile from its URL: read as go tool pprof reads the same bytes", function()
    local p = assert(ge.profile.open(srv.url .. "/debug/pprof/heap?gc=1"))
    assert.equal("proto", p.format)
    local names = {}
    for i, st in ipairs(p.sample_types) do names[i] = st.type .. "/" .. st.unit end
    assert.same({ "alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes" }, names)
    -- written back and read by pprof: the same rows
    local file = dir .. "/heap.pb.gz"
    assert(p:write(file))
    local want = pprof_top(dir, "alloc_space", H.q(file))
    assert.same(want, ours_top(p, "alloc_space"))
    assert.truthy(want["main.leak"], "the growing function is in the profile")
  end)

  it("two URLs (instances of one service) merged, as go tool pprof merges them", function()
    local u = srv.url .. "/fixed"
    local m = assert(ge.profile.open({ u, srv.addr .. "/fixed" }))
    local one = assert(ge.profile.open(u))
    local want = pprof_top(dir, "inuse_space", H.q(u) .. " " .. H.q(u))
    assert.same(want, ours_top(m, "inuse_space"))
    for name, v in pairs(ours_top(one, "inuse_space")) do assert.equal(2 * v, want[name]) end
    -- the command: top of both
    local out, rc, err = H.cli(("top --json -n 0 --sample inuse_space %s %s"):format(H.q(u), H.q(u)))
    assert.equal(0, rc, err)
    local got = {}
    for line in out:gmatch("[^\n]+") do
      local r = cjson.decode(line)
      got[r.name] = (got[r.name] or 0) + r.flat
    end
    assert.same(want, got)
  end)

  it("hotspots joins the compiler's reasons with two instances' profiles", function()
    local log = H.cached(S.key() .. "-m2", function(d)
      H.must(("cd %s && %s build -gcflags=-m=2 -o /dev/null . 2> %s/m2.log"):format(
        H.q(H.root .. "/spec/fixtures/net/server"), GO, H.q(d)))
    end) .. "/m2.log"
    local u = srv.url .. "/fixed"
    local out, rc, err = H.cli(("hotspots --json -n 0 --sample inuse_space --escape %s --profile %s --profile %s")
      :format(H.q(log), H.q(u), H.q(srv.addr .. "/fixed")))
    assert.equal(0, rc, err)
    local want = ours_top(assert(ge.profile.open(u)), "inuse_space")["main.leak"]
    local found
    for line in out:gmatch("[^\n]+") do
      local r = cjson.decode(line)
      if r.func == "main.leak" then
        found = r
        assert.equal(2 * want, r.flat)
        local msgs = {}
        for _, d in ipairs(r.diagnostics) do msgs[#msgs + 1] = d.message end
        assert.truthy(table.concat(msgs, "\n"):find("escapes to heap", 1, true), table.concat(msgs, "\n"))
      end
    end
    assert.truthy(found, out)
  end)

  it("a legacy text heap profile (debug=1) and the form without a scheme", function()
    local p = assert(ge.profile.open(srv.addr .. "/debug/pprof/heap?debug=1"))
    assert.equal("legacy-heap", p.format)
  end)

  it("a delta profile (?seconds=1) covers the second asked for", function()
    local p = assert(ge.profile.open(srv.url .. "/debug/pprof/allocs?seconds=1"))
    assert.equal("proto", p.format)
    assert.is_true(p.duration_nanos >= 1e9, tostring(p.duration_nanos))
  end)

  it("an execution trace (/debug/pprof/trace?seconds=1)", function()
    local t = assert(ge.trace.open(srv.url .. "/debug/pprof/trace?seconds=1"))
    local want = H.must(GO .. " env GOVERSION"):match("go(%d+%.%d+)")
    assert.equal(want, t.go_version)
    assert.is_true(t.generations >= 1)
    assert.is_true(t:count { type = "HeapAlloc" } > 0)
  end)

  it("/debug/vars as JSON with ge.net.fetch, its answer described", function()
    local body, info = assert(ge.net.fetch(srv.url .. "/debug/vars", { expect = "json" }))
    assert.equal(200, info.status)
    assert.truthy(info.content_type:find("application/json", 1, true))
    assert.equal(#body, info.bytes)
    local v = cjson.decode(body)
    assert.is_true(v.memstats.HeapAlloc > 0)
  end)

  it("MemStats from a URL (ge.memory.memstats_open): heap?debug=1 and /debug/vars agree on what holds still", function()
    local a = assert(ge.memory.memstats_open(srv.addr)) -- /debug/pprof/heap?debug=1
    local b = assert(ge.memory.memstats_open(srv.url .. "/debug/pprof/allocs"))
    local v = assert(ge.memory.memstats_open(srv.url .. "/debug/vars"))
    assert.equal("pprof", a.source)
    assert.equal("pprof", b.source)
    assert.equal("expvar", v.source)
    for _, s in ipairs { a, b, v } do assert.is_true(s.HeapAlloc > 0 and s.Sys >= s.HeapAlloc) end
    assert.is_true(v.NumGC >= a.NumGC and v.TotalAlloc >= a.TotalAlloc)
    local _, err, code = ge.memory.memstats_open(srv.url .. "/html")
    assert.equal("format", code)
    assert.equal(srv.url .. "/html answered HTML, not text", err)
  end)

  it("follows a redirect and says where the answer came from", function()
    local _, info = assert(ge.net.fetch(srv.url .. "/redirect"))
    assert.equal(srv.url .. "/debug/pprof/heap", info.url)
  end)

  it("https: the certificate is checked, unless https+insecure:// (pprof's) says not to", function()
    local p, err, code = ge.profile.open("https://" .. srv.tls .. "/fixed")
    assert.is_nil(p)
    assert.equal("io", code)
    assert.truthy(err:lower():find("certificate", 1, true), err)
    local q = assert(ge.profile.open("https+insecure://" .. srv.tls .. "/fixed"))
    assert.same(ours_top(assert(ge.profile.open(srv.url .. "/fixed")), "inuse_space"), ours_top(q, "inuse_space"))
  end)

  it("a refused connection names host:port", function()
    local port = S.free_port()
    local p, err, code = ge.profile.open(("http://127.0.0.1:%d/debug/pprof/heap"):format(port))
    assert.is_nil(p)
    assert.equal("io", code)
    assert.truthy(err:find(("connection refused by 127.0.0.1:%d"):format(port), 1, true), err)
    local _, rc, stderr = H.cli(("top 127.0.0.1:%d/debug/pprof/heap"):format(port))
    assert.equal(1, rc)
    assert.truthy(stderr:match("^goescape: http://127%.0%.0%.1:%d+/debug/pprof/heap: connection refused by"), stderr)
  end)

  it("an HTML answer is not a profile (a page of the service, the pprof index)", function()
    for _, path in ipairs { "/html", "/debug/pprof/" } do
      local p, err, code = ge.profile.open(srv.url .. path)
      assert.is_nil(p)
      assert.equal("format", code)
      assert.equal(srv.url .. path .. " answered HTML, not a profile", err)
    end
    local _, err, code = ge.trace.open(srv.url .. "/html")
    assert.equal("format", code)
    assert.equal(srv.url .. "/html answered HTML, not an execution trace", err)
    _, err, code = ge.profile.open(srv.url .. "/slow?ms=0")
    assert.equal("format", code)
    assert.equal(srv.url .. "/slow?ms=0: ", err:sub(1, #srv.url + 12))
    assert.equal(' (the answer is text: "late")', err:sub(-29))
    _, err, code = ge.profile.open(srv.url .. "/debug/vars")
    assert.equal("format", code)
    assert.equal(srv.url .. "/debug/vars answered JSON, not a profile", err)
  end)

  it("a status that is not 2xx quotes the server's first line", function()
    local p, err, code = ge.profile.open(srv.url .. "/debug/pprof/nosuch")
    assert.is_nil(p)
    assert.equal("io", code)
    assert.equal(srv.url .. "/debug/pprof/nosuch: HTTP 404 Not Found: Unknown profile", err)
  end)

  it("a server slower than the timeout", function()
    local b, err, code = ge.net.fetch(srv.url .. "/slow?ms=5000", { timeout = "300ms" })
    assert.is_nil(b)
    assert.equal("io", code)
    assert.truthy(err:find("no complete answer from " .. srv.addr .. " within 0.3 s (timeout)", 1, true), err)
    local _, err2 = ge.profile.open(srv.url .. "/slow?ms=5000", { timeout = 0.3e9 })
    assert.truthy(err2:find("(timeout)", 1, true), err2)
  end)

  it("an answer over max_fetch_bytes", function()
    local b, err, code = ge.net.fetch(srv.url .. "/big?bytes=2000000", { limits = { max_fetch_bytes = 1000000 } })
    assert.is_nil(b)
    assert.equal("limit", code)
    assert.truthy(err:find("limit max_fetch_bytes = 1000000", 1, true), err)
    assert.truthy(err:find("raise it with {limits = {max_fetch_bytes = N}}", 1, true), err)
    assert(ge.net.fetch(srv.url .. "/big?bytes=1000000", { limits = { max_fetch_bytes = 1000000 } }))
    -- chunked, no Content-Length: stopped as the body passes the limit
    b, err, code = ge.net.fetch(srv.url .. "/big?chunked=1&bytes=3000000", { limits = { max_fetch_bytes = 1000000 } })
    assert.is_nil(b)
    assert.equal("limit", code)
    assert.truthy(err:find("the answer is over 1000000 bytes (limit max_fetch_bytes = 1000000)", 1, true), err)
    local whole = assert(ge.net.fetch(srv.url .. "/big?chunked=1&bytes=1000000", { limits = { max_fetch_bytes = 1000000 } }))
    assert.equal(1000000, #whole)
    local _, rc, stderr = H.sh("GOESCAPE_LIMITS=max_fetch_bytes=1000 " ..
      H.cli_cmd("top " .. H.q(srv.url .. "/debug/pprof/heap")))
    assert.equal(1, rc)
    assert.truthy(stderr:find("GOESCAPE_LIMITS=max_fetch_bytes=N", 1, true), stderr)
  end)

  it("ge.net.disable: no fetch after it", function()
    local script = dir .. "/off.lua"
    H.write(script, ([[
      local ge = require "goescape"
      ge.net.disable()
      local p, err, code = ge.profile.open(%q)
      io.write(tostring(p), "|", err, "|", code, "|", tostring(ge.net.disabled()))
    ]]):format(srv.url .. "/debug/pprof/heap"))
    local out = H.must(H.lua_cmd(script, ""))
    assert.equal("nil|" .. srv.url .. "/debug/pprof/heap: network access is disabled (ge.net.disable)|io|true", out)
  end)
end)

describe("durations", function()
  it("parse as Go's time.ParseDuration does", function()
    local cases = { "10s", "5m", "1h30m", "1.5h", "300ms", "2us", "2µs", "-5m", "0", "+.5s", "1.s",
      "1h2m3.5s", "", "1", "s", "1x", "1h30", ".s", "3.000000001s" }
    local d = H.tmpdir("durations")
    H.write(d .. "/main.go", [[
package main

import (
	"bufio"
	"fmt"
	"os"
	"time"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		d, err := time.ParseDuration(sc.Text())
		if err != nil {
			fmt.Println("error")
		} else {
			fmt.Println(int64(d))
		}
	}
}
]])
    H.write(d .. "/in", table.concat(cases, "\n") .. "\n")
    local out = H.must(("cd %s && %s run main.go < in"):format(H.q(d), GO))
    local i = 0
    for line in out:gmatch("[^\n]+") do
      i = i + 1
      local ns, err, code = ge.net.parse_duration(cases[i])
      if line == "error" then
        assert.is_nil(ns, cases[i])
        assert.equal("arg", code)
        assert.truthy(err:find("invalid duration", 1, true))
      else
        assert.equal(tonumber(line), ns, cases[i])
      end
    end
    assert.equal(#cases, i)
  end)
end)
