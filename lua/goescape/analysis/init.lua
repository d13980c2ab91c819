--- goescape.analysis: joins and analyses built on escape logs, profiles and
-- binaries. Each part is a module goescape.analysis.NAME, loaded on first use:
--   ge.analysis.hotspots{escape=, profile=, binary=, sample=, n=}
--   ge.analysis.advice      reason -> explanation and fix
--   ge.analysis.diff        two escape logs: what newly escapes, what no longer does
--   ge.analysis.assertions  //goescape:noescape and //goescape:inline directives
--   ge.analysis.growth      two heap profiles by line, joined with escape reasons
--   ge.analysis.flowgraph   -m=2 flows as Graphviz DOT / Mermaid
local M = {}


function M.hotspots(opts) return require("goescape.analysis.hotspots").run(opts) end

return require("goescape.lazy")(M, "goescape.analysis", { "advice", "diff", "assertions", "growth", "flowgraph" })
