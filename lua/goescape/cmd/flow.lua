--- goescape flow LOG [--file F --line N | --func F | --package P] [--format dot|mermaid|text|svg]
-- The -m=2 flow of one line's diagnostics, a function or a package as a graph.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "The -m=2 escape flow of a line, function or package as DOT, Mermaid or text" }

function M.setup(c)
  c:argument("log", "Escape log from go build -gcflags=-m=2 (text or logopt)"):args("+")
  c:option("--file", "Source file (with --line: that line; alone: the whole file)")
  c:option("--line", "Line in --file"):convert(cli.line)
  c:option("--func", "Function: f, pkg.f or (*T).M")
  c:option("--package", "Package import path")
  c:option("--format", "Output format (svg runs Graphviz dot)", "dot")
    :choices { "dot", "mermaid", "text", "svg" }
  c:flag("--no-diagnostics", "Leave out the diagnostic notes (DOT/Mermaid)")
  c:option("-o --output", "Write to this file instead of stdout")
end

function M.run(args)
  if args.line and not args.file then cli.usage("flow: --line needs --file") end
  local fg = ge.analysis.flowgraph
  local recs = cli.check(fg { escape = args.log, file = args.file, line = args.line, func = args.func,
    package = args.package, progress = require("goescape.progress").reporter() })
  if #recs == 0 then
    local where = args.file and (args.file .. (args.line and (":" .. args.line) or ""))
      or args.func or args.package or "the log"
    cli.fail("flow: no -m=2 flow for %s (build with -gcflags=-m=2)", where)
  end
  local text
  if args.format == "text" then
    text = fg.text(recs)
  elseif args.format == "svg" then
    text = cli.check(ge.report.svg.from_dot(fg.dot(recs, { diagnostics = not args.no_diagnostics })))
  else
    text = fg[args.format](recs, { diagnostics = not args.no_diagnostics })
  end
  if args.output then
    cli.check(ge.core.write_file(args.output, text))
  else
    io.stdout:write(text)
  end
end

return M
