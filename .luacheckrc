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
