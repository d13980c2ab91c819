--- goescape flame PROFILE [-o out.svg] [--min F] [--title T] [profile options]
-- A standalone SVG flame graph of a profile (frames carry tooltips).
local ge = require "goescape"
local cli = require "goescape.cli"
local flame = require "goescape.report.flame"

local M = { help = "A standalone SVG flame graph of a profile" }

function M.setup(c)
  c:argument("profile", "pprof profile")
  c:option("--min", "Leave out frames under this fraction of the total", "0.001"):convert(cli.number)
  c:option("--title", "Title (default: the profile's name and sample type)")
  c:option("--width", "Width in pixels", "1200"):convert(cli.count)
  c:option("-o --output", "Write to this file instead of stdout")
  cli.profile_options(c)
end

function M.run(args)
  if not args.min or args.min < 0 or args.min >= 1 then cli.usage("flame: --min must be in [0, 1)") end
  if not args.width or args.width < 100 then cli.usage("flame: --width must be at least 100") end
  local prof = cli.open_profile(args.profile)
  local si, st = prof:sample_type(args.sample)
  if not si then cli.fail("flame: %s: %s", args.profile, st) end
  local q = cli.profile_query(args, { sample = si, min = args.min })
  cli.check_filters(prof, q)
  local tree = cli.check(flame.tree(prof, q))
  local text = flame.svg(tree, { unit = st.unit, width = args.width,
    title = args.title or (args.profile:match("[^/]*$") .. " \226\128\148 " .. st.type) })
  if args.output then
    cli.check(ge.core.write_file(args.output, text))
  else
    io.stdout:write(text)
  end
end

return M
