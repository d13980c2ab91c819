--- goescape watch URL [URL...] [--every 10s] [--for 5m] [--count N] [--html OUT] [--json]
-- Samples a live service's heap profile and MemStats at each tick and
-- prints a line per sample: the in-use heap, its growth since the first
-- sample and since the last, the function that grew most since the last,
-- and HeapAlloc, HeapIdle-HeapReleased and Sys. Several URLs are instances
-- of one service: their profiles are merged, their MemStats summed.
local ge = require "goescape"
local cli = require "goescape.cli"
local watch = require "goescape.watch"
local duration = require "goescape.duration"

local M = { help = "Sample a live service's heap and MemStats, one line per sample, as it grows" }

local function dur(s)
  local ns, err = duration.parse(s)
  if not ns then return nil, err end
  if ns < 0 then return nil, ("'%s' is negative"):format(s) end
  return ns
end

function M.setup(c)
  c:argument("urls", "The service: host:port (its /debug/pprof/heap) or a heap profile URL; "
    .. "several are instances, merged"):args("+")
  c:option("--every", "Time between samples (Go's duration: 10s, 1m30s)", "10s"):convert(dur)
  c:option("--for", "Stop after this long (default: until interrupted)"):convert(dur)
  c:option("--count", "Stop after this many samples"):convert(cli.count)
  c:option("--html", "At the end, write the HTML report of the last sample against the first here")
  c:option("--timeout", "Timeout of each fetch (default: 60s)"):convert(dur)
  c:flag("--json", "One JSON object per sample")
  c:epilog([[
  goescape watch 127.0.0.1:6060 --every 10s --for 5m
  goescape watch 'http://127.0.0.1:6060/debug/pprof/heap?gc=1' --every 30s --html growth.html
  goescape watch host1:6060 host2:6060 --json        two instances, merged]])
end

local ORDER = { "n", "time", "inuse", "since_first", "since_last", "top", "func", "file", "line",
  "delta", "memstats", "HeapAlloc", "HeapIdle", "HeapReleased", "Sys", "NumGC" }

function M.run(args)
  if args.every < 1e6 then cli.usage("watch: --every must be at least 1ms") end
  local w = cli.check(watch.new(args.urls, { timeout = args.timeout }))
  local json = args.json and require "goescape.report.json"
  local clock, sleep = ge.core.net_clock, ge.core.net_sleep
  local start = clock()
  local every = args.every / 1e9
  local header_done = false
  local tick = 0
  local function loop()
    while true do
      local s, err = w:sample()
      if not s then
        if tick == 0 then cli.fail(tostring(err)) end
        io.stderr:write("goescape: warning: ", cli.escape_controls(tostring(err)), "\n")
      elseif json then
        io.stdout:write(json.encode(s, ORDER), "\n")
      else
        if not header_done then
          io.stdout:write(watch.header(s.memstats ~= nil), "\n")
          header_done = true
        end
        io.stdout:write(cli.escape_controls(watch.line(s)), "\n")
      end
      io.stdout:flush()
      tick = tick + 1
      if args.count and w.n >= args.count then break end
      -- ticks on a fixed schedule from the start: a slow fetch does not push
      -- the later ones back; ticks already missed are skipped
      local now = clock() - start
      local nxt = math.floor(now / every) + 1
      if args["for"] and nxt * every > args["for"] / 1e9 + 1e-9 then break end
      sleep(nxt * every - now)
    end
  end
  -- Ctrl-C (the interpreter's "interrupted!" error) ends an open-ended
  -- watch as --for would: the report is still written
  local ok, e = pcall(loop)
  if not ok then
    if type(e) ~= "string" or not e:match("interrupted!$") then error(e, 0) end
    io.stderr:write("goescape: watch interrupted after ", w.n, " samples\n")
  end
  if args.html then
    local first, last = w:ends()
    if first and last then
      local names = table.concat(args.urls, ", ")
      local data, err = require("goescape.report.html").write(args.html, {
        profile = last, base_profile = first ~= last and first or nil, sample = "inuse_space",
        title = "goescape watch " .. names,
        names = { profile = names .. " (last sample)", base = first ~= last and (names .. " (first sample)") or nil },
      })
      if not data then cli.fail("watch: --html: %s", tostring(err)) end
      io.stderr:write("goescape: wrote ", args.html, "\n")
    end
  end
  w:close()
end

return M
