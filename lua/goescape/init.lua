--- goescape: why a Go program allocates on the heap, and what it costs.
-- `local ge = require "goescape"`; parts load on first use:
--   ge.escape   compiler escape/inlining diagnostics (goescape.escape)
--   ge.profile  pprof profiles (goescape.profile)
--   ge.binary   Go ELF binaries (goescape.binary)
--   ge.trace    Go execution traces (goescape.trace)
--   ge.bench    Go benchmark results and benchstat statistics (goescape.bench)
--   ge.net      HTTP GETs of live services (goescape.net; openers take URLs)
--   ge.memory   GC traces, MemStats snapshots, why RSS grows (goescape.memory)
--   ge.perf     `perf script` output of Go programs (goescape.perf)
--   ge.heapdump Go heap dumps: objects, roots, dominators, paths (goescape.heapdump)
--   ge.analysis joins and reports built on the three (goescape.analysis)
--   ge.report   output writers (goescape.report)
local core = require "goescape.core"

local ge = {
  core = core,
  version = core.version,
  kinds = core.kinds(),
}

--- The default resource limits, or the defaults overridden by `t`.
function ge.limits(t) return core.limits(t) end

return require("goescape.lazy")(ge, "goescape",
  { "escape", "profile", "binary", "trace", "bench", "heapdump", "analysis", "report", "memory", "net",
    "perf" })
