--- goescape info [--json] BIN: what a Go binary says about itself.
local cli = require "goescape.cli"

local function json_str(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
    return ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function json(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" or t == "number" then return tostring(v) end
  if t == "string" then return json_str(v) end
  if v[1] ~= nil or v.__array then
    local out = {}
    for i = 1, #v do out[i] = json(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do if k ~= "__array" then keys[#keys + 1] = k end end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = json_str(k) .. ":" .. json(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end

local function modline(m)
  local s = m.path .. " " .. (m.version ~= "" and m.version or "-")
  if m.sum ~= "" then s = s .. " " .. m.sum end
  if m.replace then
    s = s .. " => " .. m.replace.path
    if m.replace.version ~= "" then s = s .. " " .. m.replace.version end
  end
  return s
end

return {
  help = "Describe a Go binary: Go version, modules, build settings, pclntab, DWARF.",
  setup = function(c)
    c:argument("binary", "The Go executable.")
    c:flag("--json", "One JSON object.")
  end,
  run = function(args)
    local ge = require "goescape"
    local b = cli.check(ge.binary.open(args.binary))
    local dw = b.has_dwarf and b:dwarf() or nil
    if args.json then
      local deps = { __array = true }
      for i, d in ipairs(b.deps) do deps[i] = d end
      local o = {
        file = b.file, go_version = b.go_version, path = b.path, module = b.module,
        deps = deps, settings = b.settings, pclntab_version = b.pclntab_version,
        pclntab_where = b.pclntab_where, stripped = b.stripped, pie = b.pie,
        dwarf = b.has_dwarf, functions = b.nfuncs, inline = b.inline,
        text_start = ("0x%x"):format(b.text_start),
      }
      if dw then o.dwarf_version = dw.version; o.dwarf_units = #dw.units end
      io.stdout:write(json(o), "\n")
    else
      local w = function(k, v) io.stdout:write(("%-16s%s\n"):format(k, tostring(v))) end
      w("file", b.file)
      w("go_version", b.go_version or "unknown (no buildinfo)")
      if b.path then w("path", b.path) end
      if b.module then w("module", modline(b.module)) end
      w("pclntab", ("Go %s+ format, %s, %d functions%s"):format(b.pclntab_version or "?",
        b.pclntab_where, b.nfuncs, b.inline and ", inline frames" or ""))
      w("stripped", b.stripped and "yes (no .symtab)" or "no")
      w("pie", b.pie and "yes" or "no")
      w("dwarf", dw and ("DWARF %d, %d units"):format(dw.version, #dw.units) or "no")
      for _, d in ipairs(b.deps) do w("dep", modline(d)) end
      local keys = {}
      for k in pairs(b.settings) do keys[#keys + 1] = k end
      table.sort(keys)
      for _, k in ipairs(keys) do w("build", k .. "=" .. b.settings[k]) end
    end
    b:close()
  end,
}
