--- Which rows of a loaded model belong to a buffer's file, by the path forms
-- the compiler and the runtime print: absolute paths, paths relative to the
-- build directory ("./main.go"), and -trimpath's module paths
-- ("example.com/mod/pkg/file.go", read off the buffer's go.mod). Plain Lua:
-- no Neovim needed.
local M = {}

function M.basename(p) return (p or ""):match("([^/\\]+)$") or "" end

-- Whether the relative path rel names abs: abs ends with it on a path boundary.
local function suffix_of(abs, rel)
  rel = rel:gsub("^%./", "")
  return abs == rel or abs:sub(-#rel - 1) == "/" .. rel
end

local function read_module(gomod)
  local f = io.open(gomod, "rb")
  if not f then return nil end
  local s = f:read(64 * 1024) or ""
  f:close()
  return s:match("^%s*module%s+\"?([^%s\"]+)") or s:match("\n%s*module%s+\"?([^%s\"]+)")
end

--- The -trimpath form of an absolute path: the module path of the nearest
-- go.mod above it joined with the path below that directory, or nil.
function M.module_form(abs)
  local dir = abs:match("^(.*)/[^/]*$")
  local depth = 0
  while dir and dir ~= "" and depth < 64 do
    local mod = read_module(dir .. "/go.mod")
    if mod then return mod .. abs:sub(#dir + 1) end
    dir = dir:match("^(.*)/[^/]*$")
    depth = depth + 1
  end
  return nil
end

--- A matcher for one buffer's absolute path: a function(row_file) -> bool.
-- Absolute row paths must be the buffer's; relative ones match its
-- module form exactly, or else its path's end on a boundary.
function M.matcher(abs)
  local modform = M.module_form(abs)
  return function(file)
    if file == abs or file == modform then return true end
    if file:sub(1, 1) == "/" then return false end
    if modform and file:match("^[%w%-_]+%.[%w%-_.]+/") then return false end -- another module's path
    return suffix_of(abs, file)
  end
end

--- Whether a file can be opened for reading.
function M.exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end
local exists = M.exists

--- A file on disk for a row's path (for the quickfix list): the path when
-- it exists, else the path's ends joined to each of `dirs` (the working
-- directory, the logs' directories), longest first; nil when none exists.
function M.resolve(file, dirs)
  if exists(file) then return file end
  if file:sub(1, 1) == "/" then return nil end
  local parts = {}
  for p in file:gsub("^%./", ""):gmatch("[^/]+") do parts[#parts + 1] = p end
  for i = 1, #parts do
    local rest = table.concat(parts, "/", i)
    for _, d in ipairs(dirs) do
      if exists(d .. "/" .. rest) then return d .. "/" .. rest end
    end
  end
  return nil
end

return M
