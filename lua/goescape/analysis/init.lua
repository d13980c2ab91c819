--- goescape.analysis: joins and analyses built on escape logs, profiles and
-- binaries. Each analysis is a module goescape.analysis.NAME, loaded on first
-- use, and is called one way: ge.analysis.NAME(opts), the same as
-- require("goescape.analysis.NAME").run(opts). Its inputs are fields of
-- opts named alike everywhere (escape, profile, binary, before/after,
-- sources), each an opened object or a path (goescape.analysis.inputs); it
-- returns its result, or nil, err, code; misuse raises; progress, where
-- there is any, goes to opts.progress.
--   ge.analysis.hotspots{escape=, profile=, binary=, ...}  allocating lines with their reasons
--   ge.analysis.growth{before=, after=, escape=, ...}      two heap profiles by line, with reasons
--   ge.analysis.diff{before=, after=, ...}                 two escape logs: what newly escapes
--   ge.analysis.assertions{escape=, sources=}              //goescape:noescape and :inline directives
--   ge.analysis.flowgraph{escape=, file=, line=, ...}      records with -m=2 flows (and their drawing)
--   ge.analysis.heapgrowth{trace=, escape=, profile=, by=}  who grows the heap (a trace's regions...)
--   ge.analysis.lifetimes{trace=, escape=, binary=}        heap objects by type, with their escapes
--   ge.analysis.benchdiff{old=, new=, ...}                 benchmark changes explained by escape diffs
--   ge.analysis.rss{snapshots=, before=, after=, escape=}  why RSS grows: MemStats parts over time
-- Helpers the analyses share: advice (reason -> explanation and fix),
-- logctx, lines, inputs.
return require("goescape.lazy")({}, "goescape.analysis",
  { "hotspots", "growth", "heapgrowth", "lifetimes", "diff", "benchdiff", "rss",
    "assertions", "flowgraph", "advice", "logctx", "lines", "inputs" })
