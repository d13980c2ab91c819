--- SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format), the
-- format code-review tools (GitHub code scanning, GitLab, IDE viewers) read to
-- annotate source lines.
--
--   sarif.encode{rules = {{id=, text=}...}, results = {{rule=, level=,
--     message=, file=, line=, col=}...}, version=}  -> JSON text
--   sarif.diff(diff_result, {fail_on = {...}})      -> JSON text
--   sarif.assertions(check_result)                  -> JSON text
--
-- Relative paths become URIs relative to %SRCROOT% (the directory the build
-- ran in); absolute paths become file:// URIs.
local json = require "goescape.report.json"
local diff = require "goescape.analysis.diff"

local M = {}

M.SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
M.VERSION = "2.1.0"
M.LEVELS = { error = true, warning = true, note = true, none = true }

local ORDER = { "$schema", "version", "runs", "tool", "driver", "name", "informationUri",
  "rules", "id", "shortDescription", "originalUriBaseIds", "results",
  "ruleId", "ruleIndex", "level", "message", "text", "locations", "physicalLocation",
  "artifactLocation", "uri", "uriBaseId", "region", "startLine", "startColumn", "properties" }

local function uri_escape(s)
  return (s:gsub("[^%w%-%._~/]", function(c) return ("%%%02X"):format(c:byte()) end))
end

--- A SARIF artifactLocation for a path from a log or the command line.
function M.artifact(path)
  path = tostring(path or "")
  if path:sub(1, 1) == "/" then return { uri = "file://" .. uri_escape(path) } end
  path = path:gsub("^%./+", "")
  return { uri = uri_escape(path), uriBaseId = "%SRCROOT%" }
end

local function location(r)
  local region = { startLine = math.max(tonumber(r.line) or 1, 1) }
  if (tonumber(r.col) or 0) > 0 then region.startColumn = r.col end
  return { physicalLocation = { artifactLocation = M.artifact(r.file), region = region } }
end

--- Encodes one SARIF log with one run.
-- spec: {rules = {{id=, text=}...}, results = {{rule=, level=, message=,
-- file=, line=, col=, properties=}...}, version = tool version}
function M.encode(spec)
  if type(spec) ~= "table" or type(spec.results) ~= "table" then
    error("bad argument #1 to 'encode' ({results = {...}} expected)", 2)
  end
  local rules, index = {}, {}
  for _, r in ipairs(spec.rules or {}) do
    index[r.id] = #rules
    rules[#rules + 1] = { id = r.id, shortDescription = { text = r.text or r.id } }
  end
  local results = {}
  for _, r in ipairs(spec.results) do
    if not M.LEVELS[r.level] then error("bad SARIF level '" .. tostring(r.level) .. "'", 2) end
    if index[r.rule] == nil then
      index[r.rule] = #rules
      rules[#rules + 1] = { id = r.rule, shortDescription = { text = r.rule } }
    end
    results[#results + 1] = {
      ruleId = r.rule, ruleIndex = index[r.rule], level = r.level,
      message = { text = r.message }, locations = { location(r) },
      properties = r.properties,
    }
  end
  local driver = { name = "goescape", version = spec.version or "0.1.0",
    informationUri = "https://github.com/goescape/goescape",
    rules = setmetatable(rules, json.array_mt) }
  local log = {
    ["$schema"] = M.SCHEMA, version = M.VERSION,
    runs = { {
      tool = { driver = driver },
      originalUriBaseIds = { ["%SRCROOT%"] = { description = { text = "the directory go build ran in" } } },
      results = setmetatable(results, json.array_mt),
    } },
  }
  return json.encode(log, ORDER)
end

M.DIFF_RULES = {
  { id = "new-heap", text = "A value newly moves to or escapes to the heap" },
  { id = "new-leak", text = "A parameter newly leaks" },
  { id = "lost-inline", text = "A function is no longer inlinable" },
  { id = "gained-inline", text = "A function became inlinable" },
  { id = "inline-cost", text = "The inlining cost of a function changed" },
  { id = "new-inlined-call", text = "A call is newly inlined" },
  { id = "new-inlinable", text = "A new inlinable function" },
  { id = "added", text = "Another compiler diagnostic appeared" },
  { id = "changed", text = "A compiler diagnostic changed" },
}

local function diff_message(e)
  local m = e.message or e.kind
  if e.before then
    if e.changes and e.changes.cost then
      m = ("%s (inlining cost %s -> %s)"):format(m, tostring(e.changes.cost[1]), tostring(e.changes.cost[2]))
    else
      m = ("%s (was: %s)"):format(m, e.before.message or e.before.kind)
    end
  end
  if e.func and e.func:sub(1, 1) ~= "@" then m = m .. " [in " .. e.func .. "]" end
  return m
end

--- SARIF for a ge.analysis.diff result: added and changed diagnostics, located
-- in the AFTER sources (removed ones have no line in AFTER and are left out).
-- Entries that a --fail-on condition fails on are errors; new escapes and
-- lost inlining warnings; the rest notes.
function M.diff(result, opts)
  if type(result) ~= "table" or type(result.added) ~= "table" then
    error("bad argument #1 to 'diff' (diff result expected)", 2)
  end
  local fail_on = opts and opts.fail_on or {}
  local res = {}
  for _, l in ipairs { result.added, result.changed } do
    for _, e in ipairs(l) do
      local level = "note"
      if diff.gated(e, fail_on) then
        level = "error"
      elseif e.category == "new-heap" or e.category == "new-leak" or e.category == "lost-inline" then
        level = "warning"
      end
      res[#res + 1] = { rule = e.category, level = level, message = diff_message(e),
        file = e.file, line = e.line, col = e.col,
        properties = { kind = e.kind, func = e.func, package = e.package } }
    end
  end
  return M.encode { rules = M.DIFF_RULES, results = res, version = opts and opts.version }
end

--- SARIF for a ge.analysis.assertions result: one error per failure.
function M.assertions(result, opts)
  if type(result) ~= "table" or type(result.failed) ~= "table" then
    error("bad argument #1 to 'assertions' (check result expected)", 2)
  end
  local res = {}
  for _, f in ipairs(result.failed) do
    res[#res + 1] = { rule = f.directive, level = "error", message = f.message,
      file = f.file, line = f.line, col = f.col }
  end
  return M.encode {
    rules = {
      { id = "noescape", text = "//goescape:noescape: nothing here moves to or escapes to the heap" },
      { id = "inline", text = "//goescape:inline: this function is inlinable / these calls are inlined" },
    },
    results = res, version = opts and opts.version,
  }
end

return M
