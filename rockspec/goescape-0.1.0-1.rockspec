-- Install from a checkout:  luarocks make rockspec/goescape-0.1.0-1.rockspec
-- (offline: add --deps-mode=none when Debian provides lua-cjson and lua-argparse).
package = "goescape"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/goescape/goescape.git",
  tag = "v0.1.0",
}
description = {
  summary = "Why a Go program allocates on the heap, and what it costs",
  detailed = [[
goescape joins the Go compiler's escape-analysis diagnostics (-gcflags=-m=2 or
-json), pprof heap/CPU profiles and Go binaries (ELF, pclntab, buildinfo,
DWARF) in a C core, and exposes them to Lua for short, shareable analyses.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
  "lua-cjson",
  "argparse",
}
external_dependencies = {
  LIBELF = { header = "libelf.h", library = "elf" },
  LIBDWARF = { header = "libdwarf/libdwarf.h", library = "dwarf" },
  ZLIB = { header = "zlib.h", library = "z" },
  LIBDEFLATE = { header = "libdeflate.h", library = "deflate" },
  -- no header check: Debian keeps curl/curl.h in the multiarch include
  -- directory (/usr/include/x86_64-linux-gnu), which the compiler searches
  -- and LuaRocks does not
  LIBCURL = { library = "curl" },
}
build = {
  type = "make",
  build_target = "module",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_CFLAGS = "-I$(LUA_INCDIR)",
    GE_EXTRA_CFLAGS = "-I$(LIBELF_INCDIR) -I$(LIBDWARF_INCDIR) -I$(LIBDWARF_INCDIR)/libdwarf -I$(ZLIB_INCDIR) -I$(LIBDEFLATE_INCDIR) -I$(LIBCURL_INCDIR)",
    GE_EXTRA_LDFLAGS = "-L$(LIBELF_LIBDIR) -L$(LIBDWARF_LIBDIR) -L$(ZLIB_LIBDIR) -L$(LIBDEFLATE_LIBDIR) -L$(LIBCURL_LIBDIR)",
    BUILD = "build/rock$(LUA_INCDIR)", -- one build per Lua
  },
  install_target = "install",
  install_variables = {
    BUILD = "build/rock$(LUA_INCDIR)", -- one build per Lua
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
    INST_BINDIR = "",
  },
  install = {
    bin = { goescape = "bin/goescape" },
  },
  -- the Neovim plugin's plugin/goescape.lua (its Lua modules, goescape.nvim.*,
  -- are under lua/goescape with the others): in the rock's directory, which
  -- LuaRocks-based plugin managers put on Neovim's runtime path
  copy_directories = { "doc", "plugin" },
}
