-- Loaded by Neovim from the runtime path (plugin managers point it at this
-- repository or the rock): defines :GoEscape with the default options,
-- unless a config called require("goescape.nvim").setup{...} first.
if vim.g.loaded_goescape or vim.fn.has("nvim-0.7") == 0 then return end
vim.g.loaded_goescape = true
local goescape = require "goescape.nvim"
if not goescape.configured then goescape.setup(vim.g.goescape_options) end
