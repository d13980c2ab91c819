--- goescape escapes [--json] [--kind K] [--package P] [--file F] [--func F] LOG...
-- Prints the records of escape logs in log order; with --json one object per
-- line. "-" (stdin) and --stream read in bounded memory.
local ge = require "goescape"
local cli = require "goescape.cli"
local json = require "goescape.report.json"

local M = { help = "Print compiler escape/inlining diagnostics, one per line" }

local ORDER = { "file", "line", "col", "kind", "subject", "message", "package", "func",
  "target", "cost", "budget", "level", "derefs", "size", "flow",
  "type", "dst", "src", "expr", "reason" }

function M.setup(c)
  c:argument("log", "Text log (go build -gcflags=-m=2 2>log), logopt directory or .json, or -")
    :args("+")
  c:flag("--json", "One JSON object per line")
  c:option("--kind", "Only this kind, or a family: escape, inline, other")
  c:option("--package", "Only this package: the one being compiled (the log's # header), "
    .. "not the package of an inlined callee")
  c:option("--file", "Only this file (exact or path suffix)")
  c:option("--func", "Only this function (a generic one by its name alone: New matches "
    .. "New[go.shape.int])")
  c:flag("--stream", "Read text logs in bounded memory (implied for -)")
  c:flag("--no-flow", "Leave out -m=2 explanations")
end

local function text_line(r, with_flow)
  local pos = r.col and r.col > 0 and ("%s:%d:%d"):format(r.file or "?", r.line, r.col)
    or ("%s:%d"):format(r.file or "?", r.line)
  local out = { ("%s: %s: %s"):format(pos, r.kind, r.message) }
  if with_flow and r.flow then
    for _, s in ipairs(r.flow) do
      if s.type == "flow" then
        out[#out + 1] = ("    flow: %s <- %s"):format(s.dst or "", s.src or "")
      elseif s.type == "from" then
        local at = s.file and (" at %s:%d:%d"):format(s.file, s.line or 0, s.col or 0) or ""
        out[#out + 1] = ("      from %s (%s)%s"):format(s.expr or "", s.reason or "", at)
      else
        out[#out + 1] = "    " .. (s.expr or "")
      end
    end
  end
  return table.concat(out, "\n")
end

local function emit(r, args)
  if args.no_flow then r.flow = nil end
  r.index, r.input_line, r.source = nil, nil, nil
  if args.json then
    io.stdout:write(json.encode(r, ORDER), "\n")
  else
    io.stdout:write(text_line(r, not args.no_flow), "\n")
  end
end

function M.run(args)
  if args.kind then
    local ok = args.kind == "escape" or args.kind == "inline" or args.kind == "other"
    for _, k in ipairs(ge.kinds) do ok = ok or k == args.kind end
    if not ok then cli.fail("unknown kind '%s' (see goescape summary, or doc/kinds.md)", args.kind) end
  end
  local filter = { kind = args.kind, package = args.package, file = args.file, func = args.func }
  for _, path in ipairs(args.log) do
    if path == "-" or args.stream then
      local ok, err = ge.escape.stream(path, function(r) emit(r, args) end, { filter = filter })
      if not ok then cli.fail(err) end
    else
      local log = cli.check(ge.escape.open(path))
      for r in log:each(filter) do emit(r, args) end
      log:close()
    end
  end
end

return M
