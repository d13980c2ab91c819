--- goescape folded [--sample S] [filters] PROFILE
-- Folded stacks ("root;caller;leaf value", one line per distinct stack) for
-- flame graph tools (flamegraph.pl, inferno, speedscope).
local cli = require "goescape.cli"

local M = { help = "Folded stacks of a pprof profile, for flame graphs" }

function M.setup(c)
  c:argument("profile", "pprof profile, or -")
  cli.profile_options(c)
end

function M.run(args)
  local prof = cli.open_profile(args.profile)
  local q = cli.profile_query(args)
  cli.check_filters(prof, q)
  local text, err = prof:folded(q)
  if not text then cli.fail(tostring(err)) end
  io.stdout:write(text)
end

return M
