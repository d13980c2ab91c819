--- goescape run RECIPE.lua [ARGS...]
-- Runs a user's Lua recipe with the module loaded: the recipe sees `ge` (the
-- goescape module) as a global, `arg` (arg[0] = the recipe, arg[1..] = ARGS)
-- and `...` = ARGS. An error in the recipe prints one line and exits 1; a
-- recipe that returns a number exits with it.
local ge = require "goescape"
local cli = require "goescape.cli"

local M = { help = "Run a Lua recipe with goescape loaded (ge, arg): goescape run r.lua ARGS" }

local unpack = table.unpack or unpack

function M.setup(c)
  c:argument("recipe", "The recipe: a Lua file (see examples/)")
  c:argument("args", "Arguments for the recipe, passed as they are"):args("*")
  -- Everything after the recipe belongs to it, options included.
  c:handle_options(false)
  M.command = c
end

--- Loads a recipe as a function whose globals are `ge`, `arg` and then _G.
function M.load(path, argv)
  local env = setmetatable({ ge = ge, arg = argv }, { __index = _G, __newindex = _G })
  local fn, err
  if setfenv then
    fn, err = loadfile(path)
    if fn then setfenv(fn, env) end
  else
    fn, err = loadfile(path, "bt", env)
  end
  return fn, err
end

local function one_line(e)
  local s = tostring(e)
  return (s:match("^[^\n]*"))
end

function M.run(args)
  if args.recipe == "-h" or args.recipe == "--help" then
    io.stdout:write(M.command:get_help(), "\n")
    return
  end
  local argv = { [0] = args.recipe }
  for i, a in ipairs(args.args or {}) do argv[i] = a end
  local fn, err = M.load(args.recipe, argv)
  if not fn then cli.fail("%s", one_line(err)) end
  local saved = rawget(_G, "arg")
  rawset(_G, "arg", argv)
  local ok, res = xpcall(function() return fn(unpack(argv)) end, function(e)
    if type(e) == "table" and e.msg then return e end
    return one_line(e)
  end)
  rawset(_G, "arg", saved)
  if not ok then
    if type(res) == "table" then error(res, 0) end
    cli.fail("%s", res)
  end
  io.stdout:flush()
  if type(res) == "number" then return math.floor(res) end
end

return M
