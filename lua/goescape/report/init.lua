--- goescape.report: output writers, each loaded on first use.
--   ge.report.html(path, opts)         the self-contained HTML report (goescape.report.html)
--   ge.report.flame                    flame-graph trees and standalone SVG (goescape.report.flame)
--   ge.report.svg                      SVG escaping, `dot -Tsvg` (goescape.report.svg)
--   ge.report.json                     JSON with exact numbers and key order
--   ge.report.dot, ge.report.sarif     Graphviz DOT / Mermaid, SARIF 2.1.0
--   ge.report.timeline                 an execution trace's timeline: model, SVG (goescape.report.timeline)
local M = {}


--- Writes the HTML report: ge.report.html(path, opts) (opts.hotspots: a
-- ge.analysis.hotspots result; see goescape.report.html). Returns the data
-- model, or nil, err.
function M.html(path, opts) return require("goescape.report.html").write(path, opts) end

return require("goescape.lazy")(M, "goescape.report", { "flame", "svg", "json", "dot", "sarif", "top", "timeline" })
