-- luacheck: the module, the command, specs (busted globals) and recipes
-- (which get `ge` from `goescape run`).
std = "max"
max_line_length = 120
exclude_files = { "build/", "spec/fixtures/" }
-- Specs: long assertion lines read better whole; `_` collects ignored results.
files["spec/"] = { std = "+busted", max_line_length = false, ignore = { "111/_" } }
files["examples/"] = { read_globals = { "ge" } }
-- CSS and JavaScript held in Lua strings follow their own line lengths.
files["lua/goescape/report/assets/"] = { max_line_length = false }
-- The Neovim plugin runs inside Neovim, whose API is the `vim` global
-- (buffer variables are set through it).
files["lua/goescape/nvim/"] = { globals = { "vim" } }
files["plugin/"] = { globals = { "vim" } }
