--- ge.net: HTTP GETs of live Go services (net/http/pprof, expvar), with
-- libcurl in the C core (src/net/http.c).
--
--   local bytes, info = assert(ge.net.fetch("http://127.0.0.1:6060/debug/vars"))
--   info  --> {status = 200, content_type = "application/json; ...", url = ..., seconds = ..., bytes = ...}
--
-- Profiles and traces need no call of this: ge.profile.open and
-- ge.trace.open take the URL themselves (goescape.remote).
local core = require "goescape.core"
local options = require "goescape.options"
local duration = require "goescape.duration"

local M = {}
local FETCH = { timeout = true, connect_timeout = true, expect = true, limits = true }

--- Every later fetch of this Lua state fails with code "io": nothing
-- reaches the network (the Lua fuzzer calls this first; so can a host
-- that must stay offline). Kept per Lua state by the C core, which checks
-- it on every fetch.
M.disable = core.net_disable

--- Whether fetches are disabled (ge.net.disable).
M.disabled = core.net_disabled

--- Go's time.ParseDuration ("10s", "1h30m"): nanoseconds, or nil, err, "arg".
M.parse_duration = duration.parse

-- A timeout option in ns (a number) or a Go duration string, as ms for C.
local function ms(v, what)
  if v == nil then return nil end
  local ns = v
  if type(v) == "string" then
    local err
    ns, err = duration.parse(v)
    if not ns then error(what .. ": " .. err, 4) end
  elseif type(v) ~= "number" then
    error(what .. ": a duration in ns or a string like \"30s\" expected", 4)
  end
  if ns ~= ns or ns < 1e6 then error(what .. ": must be at least 1ms", 4) end
  return math.floor(ns / 1e6)
end

--- The seconds a `?seconds=N` query asks the server to wait (a delta
-- profile, a CPU profile, a trace), or nil.
function M.query_seconds(url)
  local q = url:match("%?([^#]*)")
  if not q then return nil end
  for k, v in q:gmatch("([^&=]+)=([^&]*)") do
    if k == "seconds" then return tonumber(v) end
  end
  return nil
end

--- The total timeout of a fetch of url, in ns: `go tool pprof`'s, N + N/2
-- for a `?seconds=N` request plus 5 s for the answer, 60 s otherwise (a
-- CPU profile without seconds takes the server's default 30 s).
function M.default_timeout(url)
  local n = M.query_seconds(url)
  if n and n > 0 then return math.floor((n * 1.5 + 5) * 1e9) end
  return 60e9
end

local WHAT = { profile = "a profile", trace = "an execution trace", text = "text", json = "JSON" }

-- What the body looks like when it is plainly not what was asked for:
-- "HTML" (a wrong port, an index page, a proxy's error page), "JSON" (an
-- expvar or API endpoint where a profile or trace was asked for).
local function looks_like(body, ctype, expect)
  ctype = (ctype or ""):lower()
  if ctype:find("text/html", 1, true) then return "HTML" end
  local head = body:sub(1, 512):lower():gsub("^%s+", "")
  if head:sub(1, 9) == "<!doctype" or head:sub(1, 5) == "<html" then return "HTML" end
  if (expect == "profile" or expect == "trace") and ctype:find("application/json", 1, true) then
    return "JSON"
  end
  return nil
end

--- GETs url (http:// or https://; "host:port/path" means http://;
-- https+insecure:// is https without certificate checks, as in pprof) into
-- a string. opts: timeout, connect_timeout (ns, or a Go duration string:
-- "90s"; defaults: see default_timeout, 10 s), limits = {max_fetch_bytes
-- = N}, expect = "profile" | "trace" | "text" | "json" (an HTML answer is
-- then an error, code "format": "URL answered HTML, not a profile").
-- @return bytes, info {status, content_type, url, seconds, bytes}, or nil,
-- err, code ("io": network, status; "format"; "limit"; "arg": not a URL)
function M.fetch(url, opts)
  if type(url) ~= "string" then error("bad argument #1 to 'fetch' (URL string expected)", 2) end
  opts = options(opts, FETCH, "goescape.net.fetch")
  if opts.expect ~= nil and not WHAT[opts.expect] then
    error("goescape.net.fetch: expect must be profile, trace, text or json", 2)
  end
  if not url:match("^%a[%w+.-]*://") then url = "http://" .. url end
  -- pprof's https+insecure://: https without checking the certificate
  local insecure = false
  if url:lower():match("^https%+insecure://") then
    insecure, url = true, "https" .. url:sub(#"https+insecure" + 1)
  end
  local timeout = ms(opts.timeout, "goescape.net.fetch: timeout") or
    math.floor(M.default_timeout(url) / 1e6)
  local connect = ms(opts.connect_timeout, "goescape.net.fetch: connect_timeout")
  local body, info, code = core.net_get(url, connect, timeout, opts.limits, insecure)
  if not body then return nil, info, code end
  if opts.expect then
    local got = looks_like(body, info.content_type, opts.expect)
    if got then
      return nil, ("%s answered %s, not %s"):format(url, got, WHAT[opts.expect]), "format"
    end
  end
  return body, info
end

return M
