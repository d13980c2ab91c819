--- Where a profile or trace "path" is a live service's URL: the one place
-- every opener (ge.profile.open, ge.trace.open, hence the analyses and
-- commands) asks. The forms are `go tool pprof`'s (cmd/pprof's adjustURL):
--   http://host:port/debug/pprof/heap?gc=1    as written (https:// too, and
--                                             https+insecure://: no certificate
--                                             checks)
--   host:port/debug/pprof/heap                http:// is added
--   host:port, http://host:port, .../         the kind's default path:
--                                             /debug/pprof/profile (pprof's:
--                                             a 30 s CPU profile) for a
--                                             profile, /debug/pprof/trace
--                                             (1 s) for a trace,
--                                             /debug/pprof/heap?debug=1 for
--                                             MemStats
-- The query (`seconds=N`, `gc=1`, `debug=1`) is passed on unchanged. A
-- host:port form that names an existing file is the file. Another scheme
-- (ftp://, file://) is an error, never a path.
local M = {}

M.DEFAULT_PATH = {
  profile = "/debug/pprof/profile", trace = "/debug/pprof/trace",
  heap = "/debug/pprof/heap", -- goescape watch's
  memstats = "/debug/pprof/heap", -- with debug=1: ends with runtime.MemStats
}

-- What a fetch of each kind expects (ge.net.fetch's expect).
local EXPECT = { profile = "profile", trace = "trace", heap = "profile", memstats = "text" }

--- url with its query's `debug` set to 1 (the text form of a heap or
-- allocs profile, which ends with the `# runtime.MemStats` block), every
-- other parameter kept.
function M.debug1(url)
  local base, q = url:match("^([^?#]*)%??([^#]*)")
  local parts = {}
  for kv in q:gmatch("[^&]+") do
    if not kv:match("^debug=") then parts[#parts + 1] = kv end
  end
  parts[#parts + 1] = "debug=1"
  return base .. "?" .. table.concat(parts, "&")
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

--- The URL src stands for (with the kind's default path), or nil when src
-- is a path; false, err, "arg" for a URL of another scheme.
function M.url(src, kind)
  if type(src) ~= "string" then return nil end
  local scheme, rest = src:match("^(%a[%w+.-]*)://(.*)$")
  if scheme then
    scheme = scheme:lower()
    if scheme ~= "http" and scheme ~= "https" and scheme ~= "https+insecure" then
      return false, ("%s: only http:// and https:// URLs can be fetched"):format(src), "arg"
    end
  else
    local host = src:match("^[%w.-]+:%d+") or src:match("^%[[%x:.]+%]:%d+")
    if not host then return nil end
    local after = src:sub(#host + 1, #host + 1)
    if after ~= "" and after ~= "/" and after ~= "?" then return nil end
    if file_exists(src) then return nil end
    scheme, rest = "http", src
  end
  local authority, path = rest:match("^([^/?#]*)(.*)$")
  if authority == "" then return false, ("%s: no host in the URL"):format(src), "arg" end
  local p, tail = path:match("^([^?#]*)(.*)$")
  if (p == "" or p == "/") and M.DEFAULT_PATH[kind] then p = M.DEFAULT_PATH[kind] end
  local url = scheme .. "://" .. authority .. p .. tail
  if kind == "memstats" and (p:match("/debug/pprof/heap$") or p:match("/debug/pprof/allocs$")) then
    url = M.debug1(url)
  end
  return url
end

--- Whether src is a URL (of any form above).
function M.is_url(src) return M.url(src) ~= nil end

--- Fetches the URL src stands for (M.url) and parses the answer with
-- parse(bytes, name, {limits}) (the kind's parse): what parse returns, or
-- nil, err, code. opts: limits (max_fetch_bytes for the answer, the rest
-- for the parser), timeout, connect_timeout. For kind "memstats" a heap or
-- allocs URL is fetched with debug=1 (host:port: /debug/pprof/heap?debug=1),
-- any other (/debug/vars) as it is.
function M.open(src, kind, opts, parse)
  local url, uerr, ucode = M.url(src, kind)
  if not url then return nil, uerr or (tostring(src) .. ": not a URL"), ucode or "arg" end
  opts = opts or {}
  local net = require "goescape.net"
  local body, info, code = net.fetch(url, {
    expect = EXPECT[kind] or "text", limits = opts.limits, timeout = opts.timeout,
    connect_timeout = opts.connect_timeout,
  })
  if not body then return nil, info, code end
  local h, err, perr = parse(body, url, { limits = opts.limits })
  if not h and perr == "format" and (info.content_type or ""):lower():match("^text/plain") then
    -- text the parser does not take (a goroutine dump, some service's own
    -- answer): its first line says more than the parser's complaint
    local first = body:match("^%s*([^\r\n]*)"):sub(1, 80)
    err = ("%s (the answer is text: %q)"):format(err, first)
  end
  return h, err, perr
end

return M
