-- flow-line.lua: the -m=2 flow of one source line as a graph: how each value
-- on that line reaches the heap (e.g. buf -> ~r0 -> {heap}).
--
--   goescape run examples/flow-line.lua LOG FILE:LINE [dot|mermaid|text] > flow.dot
--   dot -Tsvg flow.dot > flow.svg
local ge = ge or require "goescape"
local fg = ge.analysis.flowgraph

local log_path, where, format = arg[1], arg[2], arg[3] or "dot"
local file, line = (where or ""):match("^(.+):(%d+)$")
if not (log_path and file) then
  io.stderr:write("usage: flow-line.lua LOG FILE:LINE [dot|mermaid|text]\n")
  os.exit(2)
end
if format ~= "dot" and format ~= "mermaid" and format ~= "text" then
  error("format must be dot, mermaid or text, not " .. format)
end

local recs = assert(fg { escape = log_path, file = file, line = tonumber(line) })
if #recs == 0 then
  error(("no -m=2 flow at %s:%s (build with -gcflags=-m=2)"):format(file, line))
end

-- A summary on stderr, the graph on stdout.
for _, d in ipairs(recs) do
  for _, chain in ipairs(fg.chains(d)) do
    io.stderr:write(("%s: %s\n"):format(d.message, table.concat(chain, " -> ")))
  end
end
io.stdout:write(fg[format](recs))
