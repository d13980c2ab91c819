--- One self-contained HTML report: summary, hotspot table (sortable,
-- filterable, rows expand to diagnostics, -m=2 flow chains and graphs,
-- advice), annotated source, a flame graph and, given a base, a diff view.
--
--   local html = require "goescape.report.html"        -- or ge.report.html
--   html.write("report.html", {escape = log, profile = prof [, binary = bin]
--     [, sample = "alloc_space"] [, n = 100] [, min = 0.001]
--     [, base_escape = log0] [, base_profile = prof0] [, source_dirs = {...}]})
--   ge.report.html("report.html", {hotspots = hot, escape = log, profile = prof})
--   ge.report.html("report.html", {trace = t_or_path [, timeline = {buckets =, lanes =, rows =}]})
--     (a trace alone, or with the others: a timeline section, goescape.report.timeline)
--   ge.report.html("report.html", {heapdump = d_or_path [, binary = bin]})
--     (a heap dump alone, or with the others: a retention section, goescape.report.retain_html)
--   local data = html.data(opts); local text = html.render(data)
--
-- Nothing from the inputs is ever markup: all of it travels as JSON in a
-- <script type="application/json"> block (with "</" written "<\/" and "<!--"
-- as "\u003c!--", so no input can close or confuse the block), and the page's
-- script puts it into the DOM with textContent and setAttribute only. A
-- Content-Security-Policy forbids every network request.

local json = require "goescape.report.json"
local svg = require "goescape.report.svg"
local model = require "goescape.report.model"

local M = {}

--- The data model of a report (goescape.report.model): M.data(opts) -> data, or nil, err.
M.data = model.build

--- JSON for a <script type="application/json"> block: "</" -> "<\/" (no
-- end tag can appear) and "<!--" -> "\u003c!--" (no script-data escape state).
function M.embed_json(v)
  local s = json.encode(v)
  s = s:gsub("</", "<\\/"):gsub("<!%-%-", "\\u003c!--")
  return s
end

-- Files whose source the report did not quote because they lie outside the
-- source roots: said on the page, not silently dropped.
local function left_out_note(data)
  local l = data.sources_left_out
  if not l or #l == 0 then return "" end
  local names = {}
  for i = 1, math.min(#l, 20) do names[i] = svg.escape(l[i]) end
  return ('<p class="note">Source left out (outside the source roots: --source-dir, the '
    .. 'working directory, GOROOT, the module cache): %s%s</p>\n'):format(table.concat(names, ", "),
    #l > 20 and (" and %d more"):format(#l - 20) or "")
end

-- The page's script and style sheet: files installed beside this module.
local here = debug.getinfo(1, "S").source:match("^@(.*)[/\\]") or "."
local function asset(name)
  local f, err = io.open(here .. "/assets/" .. name, "rb")
  if not f then error("goescape.report.html: missing asset: " .. tostring(err), 0) end
  local s = f:read("*a")
  f:close()
  return s
end

--- The page for a data model (M.data).
function M.render(data)
  local css, js = asset("report.css"), asset("report.js")
  -- the timeline's SVG holds numbers and fixed words only (its lane names
  -- are set by the script from the data): it can be markup
  local tl = ""
  if data.timeline then
    tl = '<template id="ge-timeline">' .. require("goescape.report.timeline").svg(data.timeline, { text = false })
      .. "</template>\n"
    js = js .. asset("timeline.js")
  end
  if data.retain then js = js .. asset("retain.js") end
  local out = {
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; ',
    'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'; img-src data:">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta name="generator" content="goescape">\n',
    "<title>", svg.escape(data.title or "goescape report"), "</title>\n",
    "<style>\n", css, "</style>\n</head>\n<body>\n",
    '<header class="top"><div class="brand">goescape</div><h1 id="title"></h1>',
    '<nav id="nav"></nav></header>\n',
    '<div id="ge-errors" class="errors" hidden></div>\n',
    left_out_note(data),
    '<main id="app"><noscript>This report draws itself with JavaScript; the data is in the ',
    'goescape-data block of the page source.</noscript></main>\n',
    tl,
    '<script type="application/json" id="goescape-data">', M.embed_json(data), "</script>\n",
    "<script>\n", js, "</script>\n</body>\n</html>\n",
  }
  return table.concat(out)
end

--- Writes the report to path: opts as for M.data (opts.hotspots: a
-- ge.analysis.hotspots result to show instead of computing one). Returns
-- the data model the page was rendered from, or nil, err.
function M.write(path, opts)
  if type(path) ~= "string" then error("report.html: path (string) expected", 2) end
  if opts ~= nil and type(opts) ~= "table" then error("report.html: options table expected", 2) end
  local data, err = M.data(opts or {})
  if not data then return nil, err end
  local ok, werr = require("goescape.core").write_file(path, M.render(data))
  if not ok then return nil, werr end
  return data
end

return M
