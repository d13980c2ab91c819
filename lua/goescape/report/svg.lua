--- SVG helpers: XML escaping, colours, and Graphviz `dot -Tsvg`.
--
--   local svg = require "goescape.report.svg"
--   svg.escape(s)            --> s with & < > " ' as entities (text and attributes)
--   svg.from_dot(dot_text)   --> SVG text, or nil, err when `dot` is missing or fails
--   svg.has_dot()            --> true when Graphviz `dot` is on PATH
local M = {}

local ENT = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

--- Text safe inside an XML/HTML element or a quoted attribute. Control
-- characters other than tab and newline (invalid in XML 1.0) become U+FFFD.
function M.escape(s)
  s = tostring(s == nil and "" or s)
  s = s:gsub("[&<>\"']", ENT)
  -- XML 1.0 has no control characters (not even as references), and the
  -- document is UTF-8: bytes that are not read as Latin-1 characters
  s = require("goescape.report.json").valid_utf8(s)
  return (s:gsub("[%z\1-\8\11\12\14-\31\127]", "\239\191\189"):gsub("\194[\128-\159]", "\239\191\189"))
end

--- A number for an SVG attribute (at most 2 decimals, no exponent).
function M.num(n)
  local s = ("%.2f"):format(n):gsub("0+$", ""):gsub("%.$", "")
  return s == "-0" and "0" or s
end

-- A small string hash (djb2), the same as the page's JS, so that one frame
-- gets one colour in the standalone SVG and in the HTML report.
function M.hash(s)
  local h = 5381
  for i = 1, #s do h = (h * 33 + s:byte(i)) % 4294967296 end
  return h
end

--- The fill of a flame-graph frame: Go runtime frames in blue-grey, others
-- warm, the shade picked by the name's hash.
function M.frame_color(name)
  local h = M.hash(name or "")
  if (name or ""):match("^runtime[%.%/]") then
    return ("hsl(%d,28%%,%d%%)"):format(200 + h % 20, 68 + h % 10)
  end
  return ("hsl(%d,%d%%,%d%%)"):format(10 + h % 35, 70 + h % 20, 58 + math.floor(h / 64) % 12)
end

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Graphviz runs without our LD_PRELOAD: a sanitizer runtime preloaded into
-- this process (make check-asan) would otherwise report dot's own leaks.
local NO_PRELOAD = "env -u LD_PRELOAD "

--- True when Graphviz `dot` can be run.
function M.has_dot(cmd)
  local p = io.popen(NO_PRELOAD .. (cmd or "dot") .. " -V 2>&1")
  if not p then return false end
  local out = p:read("*a") or ""
  p:close()
  return out:find("graphviz", 1, true) ~= nil
end

--- Renders DOT text to SVG with Graphviz (`dot -Tsvg`). Returns the SVG
-- text, or nil and an error ("dot: not installed (apt-get install graphviz)"
-- or dot's own message). `cmd` overrides the program (default "dot").
function M.from_dot(dot_text, cmd)
  if type(dot_text) ~= "string" then error("bad argument #1 to 'from_dot' (string expected)", 2) end
  cmd = cmd or "dot"
  if not M.has_dot(cmd) then return nil, "dot: not installed (apt-get install graphviz)" end
  local src, out, err = os.tmpname(), os.tmpname(), os.tmpname()
  local f = assert(io.open(src, "wb"))
  f:write(dot_text)
  f:close()
  local ok = os.execute((NO_PRELOAD .. "%s -Tsvg %s -o %s 2> %s")
    :format(cmd, sh_quote(src), sh_quote(out), sh_quote(err)))
  local function slurp(p)
    local h = io.open(p, "rb"); if not h then return "" end
    local s = h:read("*a"); h:close(); return s
  end
  local svg, msg = slurp(out), slurp(err)
  os.remove(src); os.remove(out); os.remove(err)
  if (ok == true or ok == 0) and svg:find("<svg", 1, true) then return svg end
  msg = msg:gsub("%s+$", "")
  return nil, "dot: " .. (msg ~= "" and msg or "failed")
end

return M
