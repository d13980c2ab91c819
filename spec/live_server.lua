--- The live service of spec/fixtures/net/server (net/http/pprof, expvar, a
-- growing heap, /html, /slow, /big, /redirect), built once per checkout
-- with the machine's Go and started on 127.0.0.1 on a port the kernel
-- picks. start() returns {addr = "127.0.0.1:PORT", url = "http://...",
-- stop = function}; the server also exits by itself after 5 minutes.
local H = require "spec.helpers"

local S = {}

local SRC = H.root .. "/spec/fixtures/net/server"

--- A name for build/fixtures that changes with the server's source (a
-- binary and a log built from an older main.go are not reused).
function S.key()
  local src = H.read(SRC .. "/main.go")
  local h = 0
  for i = 1, #src do h = (h * 31 + src:byte(i)) % 2147483647 end
  return "net-server-" .. h
end

function S.binary()
  return H.cached(S.key(), function(dir)
    H.must(("cd %s && env -u LD_PRELOAD GOTOOLCHAIN=local go build -o %s/server ."):format(H.q(SRC), H.q(dir)))
  end) .. "/server"
end

function S.start(life)
  local bin = S.binary()
  local dir = H.tmpdir("net-server-" .. tostring(os.time()) .. "-" .. tostring(math.random(1e6)))
  local out, pidf = dir .. "/out", dir .. "/pid"
  H.must(("%s -for %s > %s 2> %s/err < /dev/null & echo $! > %s"):format(
    H.q(bin), life or "5m", H.q(out), H.q(dir), H.q(pidf)))
  local addr, tls
  for _ = 1, 100 do
    local f = io.open(out)
    local s = f and f:read("*a") or ""
    if f then f:close() end
    addr, tls = s:match("listening (%S+)"), s:match("tls (%S+)")
    if addr then break end
    H.sh("sleep 0.1")
  end
  local pid = H.read(pidf):match("%d+")
  assert(addr, "the live server did not start: " .. H.read(dir .. "/err"))
  return {
    addr = addr,
    url = "http://" .. addr,
    tls = tls, -- host:port of the same handlers over TLS (self-signed)
    stop = function() H.sh("kill " .. pid .. " 2>/dev/null") end,
  }
end

--- A port nothing listens on: one the kernel gave a listener that is closed.
function S.free_port()
  local out = H.must("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1]); s.close()'")
  return tonumber(out:match("%d+"))
end

return S
