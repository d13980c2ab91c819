--- goescape folded [--sample S] [filters] PROFILE
-- Folded stacks ("root;caller;leaf value", one line per distinct stack) for
-- flame graph tools (flamegraph.pl, inferno, speedscope).
local cli = require "goescape.cli"
local U = require("goescape.cmd.top").util

local M = { help = "Folded stacks of a pprof profile, for flame graphs" }

function M.setup(c)
  c:argument("profile", "pprof profile, or -")
  U.filters(c)
end

function M.run(args)
  local prof = U.open(args.profile)
  local text, err = prof:folded(U.query(args))
  if not text then cli.fail(tostring(err)) end
  io.stdout:write(text)
end

return M
