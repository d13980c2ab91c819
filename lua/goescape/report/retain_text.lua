--- `goescape retain`'s outputs beyond the retainers: --sites (objects by
-- allocation site, with the escape log's reasons) and --diff (two dumps:
-- what grew), as text or JSON lines.
local human = require("goescape.report.units").bytes
local signed = require("goescape.report.units").signed
local json = require "goescape.report.json"

local M = {}

local function basename(p) return (p or ""):match("[^/\\]*$") end

local ESCAPE_ORDER = { "message", "reason", "title", "why", "fix", "line", "messages" }

--- The JSON form of a row's escape: the compiler's message and reason.
function M.escape_json(e)
  if not e then return nil end
  local o = {}
  for _, k in ipairs(ESCAPE_ORDER) do o[k] = e[k] end
  if o.messages and #o.messages == 0 then o.messages = nil end
  return o
end

--- The text line under a retainer: "escape: MESSAGE (TITLE)".
function M.escape_line(e)
  if not e then return nil end
  return ("escape: %s%s"):format(e.message or "no heap diagnostic at the line",
    e.title and (" (%s)"):format(e.title) or "")
end

local SITE_ORDER = { "function", "file", "line", "objects", "bytes", "live_objects", "live_bytes", "retained",
  "top", "path", "escape", "old", "new" }

local function path_labels(hd, p)
  if not p then return nil end
  local labels = {}
  for i in ipairs(p) do labels[i] = hd.step_text(p, i) end
  return labels
end

--- goescape retain DUMP --sites [--escape LOG] [--json] [-n N]
function M.sites(args)
  local rs = require "goescape.analysis.retain_sites"
  local cli = require "goescape.cli"
  local hd = require("goescape").heapdump
  local d = cli.check(hd.open(args.dump, { binary = args.binary }))
  local rows = cli.check(rs.sites(d, { n = args.n, escape = args.escape }))
  if args.json then
    for _, r in ipairs(rows) do
      local o = { ["function"] = r.func, file = r.file, line = r.line, objects = r.objects, bytes = r.bytes,
        live_objects = r.live_objects, live_bytes = r.live_bytes, retained = r.retained,
        top = setmetatable(r.top, json.array_mt), path = path_labels(hd, r.path), escape = M.escape_json(r.escape) }
      io.stdout:write(json.encode(o, SITE_ORDER), "\n")
    end
    return
  end
  io.stdout:write(("%12s %12s %9s  %s\n"):format("retained", "live", "objects", "allocation site"))
  for _, r in ipairs(rows) do
    io.stdout:write(("%12d %12d %9d  %s:%d %s\n"):format(r.retained, r.live_bytes, r.live_objects,
      basename(r.file), r.line, r.func))
    if r.escape then io.stdout:write(("%37s%s\n"):format("", M.escape_line(r.escape))) end
    if r.path then io.stdout:write(("%37sretained by %s\n"):format("", hd.path_text(r.path))) end
  end
end

local DIFF_ORDER = { "kind", "label", "function", "file", "line", "root", "type", "objects", "bytes", "retained",
  "escape", "old", "new" }

--- goescape retain --diff OLD NEW [--binary BIN] [--escape LOG] [--json] [-n N]
function M.diff(args)
  local cli = require "goescape.cli"
  local ge = require "goescape"
  local bin
  if args.binary then bin = cli.check(ge.binary.open(args.binary)) end
  local g = cli.check(ge.heapdump.diff(args.dump, args.new, { binary = bin, n = args.n, escape = args.escape }))
  if args.json then
    for _, r in ipairs(g.sites) do
      local o = { kind = "site", label = r.label, ["function"] = r.func, file = r.file, line = r.line,
        objects = r.objects, bytes = r.bytes, retained = r.retained, escape = M.escape_json(r.escape),
        old = { objects = r.old.objects, bytes = r.old.bytes, retained = r.old.retained },
        new = { objects = r.new.objects, bytes = r.new.bytes, retained = r.new.retained } }
      io.stdout:write(json.encode(o, DIFF_ORDER), "\n")
    end
    for _, r in ipairs(g.roots) do
      local o = { kind = "root", label = r.label, root = r.root.root, type = r.type, objects = r.objects,
        retained = r.retained, old = r.old, new = r.new }
      io.stdout:write(json.encode(o, DIFF_ORDER), "\n")
    end
    return
  end
  local x = g.reachable
  io.stdout:write(("%s → %s: reachable %s → %s (%s, %+d objects)\n"):format(args.dump, args.new,
    human(x.old.bytes), human(x.new.bytes), signed(x.bytes, "bytes"), x.objects))
  io.stdout:write("\nby allocation site (live bytes, objects, retained):\n")
  for _, r in ipairs(g.sites) do
    io.stdout:write(("%12s %+9d %12s  %s:%d %s\n"):format(signed(r.bytes, "bytes"), r.objects,
      signed(r.retained, "bytes"), basename(r.file), r.line, r.func))
    if r.escape then io.stdout:write(("%37s%s\n"):format("", M.escape_line(r.escape))) end
  end
  io.stdout:write("\nby root (bytes it holds alone, objects):\n")
  for _, r in ipairs(g.roots) do
    io.stdout:write(("%12s %+9d  %s%s\n"):format(signed(r.retained, "bytes"), r.objects, r.label,
      r.type and (" (%s)"):format(r.type) or ""))
  end
end

return M
