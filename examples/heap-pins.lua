-- heap-pins.lua: what pins my big arrays? The large objects of a heap dump
-- that stay alive, each with the path from its root, where it was allocated
-- and (with the build's escape log) why the compiler put it on the heap.
--
--   goescape run examples/heap-pins.lua DUMP BIN [LOG [MIN_BYTES]]
--
-- DUMP: runtime/debug.WriteHeapDump's output (with runtime.MemProfileRate =
-- 1 set early, every object has its allocation line); BIN: the program;
-- LOG: `go build -gcflags=-m=2` output; MIN_BYTES: 64 KiB by default.
local ge = ge or require "goescape"
local human = require("goescape.report.units").bytes

local dump_path, bin_path, log_path = arg[1], arg[2], arg[3]
local min = tonumber(arg[4] or "65536")
if not (dump_path and bin_path) then
  io.stderr:write("usage: heap-pins.lua DUMP BIN [LOG [MIN_BYTES]]\n")
  os.exit(2)
end

local d = assert(ge.heapdump.open(dump_path, { binary = bin_path }))
-- the join of each allocation line with the escape log: its heap diagnostics
local rows = assert(require("goescape.analysis.retain_sites").retainers(d, { n = 200, escape = log_path }))

local big = {}
for _, r in ipairs(rows) do
  if r.size >= min then big[#big + 1] = r end
end
print(("%d objects of %s or more are alive in %s"):format(#big, human(min), dump_path))
for _, r in ipairs(big) do
  local root = r.path[1]
  local pinned = root.target_offset and #r.path == 2
    and (" (the root points %d bytes into it: a slice of it pins all of it)"):format(root.target_offset) or ""
  print(("%s array, retained by %s%s"):format(human(r.size), ge.heapdump.path_text(r.path), pinned))
  if r.site then
    print(("  allocated in %s at %s:%d"):format(r.site.func, r.site.file:match("[^/]*$"), r.site.line))
  end
  for _, why in ipairs(r.escape and r.escape.messages or {}) do print("  escape: " .. why) end
end
