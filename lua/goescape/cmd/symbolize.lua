--- goescape symbolize [--json] BIN < pcs: one answer per input line (hex PC),
-- in order, inlined frames first and the physical function last.
local cli = require "goescape.cli"

return {
  help = "Map hex PCs (one per line on stdin) to functions, files and lines, with inlined frames.",
  setup = function(c)
    c:argument("binary", "The Go executable.")
    c:flag("--json", 'JSON lines: {"pc":"0x..","frames":[{"func","file","line","inlined"}]}.')
  end,
  run = function(args)
    local binary = require "goescape.binary"
    local b = cli.check(binary.open(args.binary))
    cli.check(b:symbolize_text(io.stdin, args.json, io.stdout))
    b:close()
  end,
}
