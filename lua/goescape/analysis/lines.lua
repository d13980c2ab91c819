--- Source lines as the analyses join them: the package of a line's
-- function (which picks the log's records when files of several packages
-- share a name), a path without its module version (one line across a
-- dependency upgrade), and the text of source lines, which explanations
-- match patterns against. Shared by hotspots, growth, diff and the HTML
-- report's model.
local M = {}

--- The package of a Go symbol: "example.com/a/b.(*T).M" -> "example.com/a/b",
-- "main.f" -> "main", generic brackets ignored.
function M.func_package(name)
  if not name or name == "" then return nil end
  local plain = name:gsub("%b[]", "")
  local dir, rest = plain:match("^(.*/)([^/]*)$")
  dir, rest = dir or "", rest or plain
  local p = rest:match("^([^.]+)%.")
  return p and (dir .. p) or nil
end

--- A path without the module version of a module-cache directory:
-- ".../mod/example.com/x@v1.2.3/y.go" -> ".../mod/example.com/x/y.go".
function M.unversioned(p)
  if not p then return p end
  return (p:gsub("@v[%w%.%-%+]+/", "/"))
end

--- A reader of source lines for explanations (which statement a func
-- literal belongs to, what a line without a heap diagnostic does): the
-- paths as the profile names them, tried once each, or none when
-- opts.source is false. Only patterns are matched: no text is reported.
function M.source_reader(opts)
  if opts and opts.source == false then return nil end
  local files = {}
  return function(file, line)
    if not file then return nil end
    local lines = files[file]
    if lines == nil then
      lines = false
      local f = io.open(file, "rb")
      if f then
        local size = f:seek("end")
        if size and size < 8 * 1024 * 1024 then
          f:seek("set")
          lines = {}
          for l in f:lines() do lines[#lines + 1] = l end
        end
        f:close()
      end
      files[file] = lines
    end
    return lines and lines[line] or nil
  end
end

return M
