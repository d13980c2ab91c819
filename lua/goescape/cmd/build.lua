--- goescape build [PKG...] [-o LOG] [--module M ...] [--test] [--binary OUT] [--go GO]
-- `go build` (or `go test -c`) with -m=2 on the named packages and modules
-- only; the compiler's diagnostics go to LOG (the escape log every other
-- command reads), the go command's own output and errors to stderr as they
-- are, and its exit status is this command's.
local cli = require "goescape.cli"
local gobuild = require "goescape.gobuild"

local M = { help = "Build with the compiler's escape diagnostics (-m=2) written to a log" }

function M.setup(c)
  c:argument("packages", "Packages to build (go's patterns; default .)"):args("*")
  c:option("-o --log", "The escape log to write", "escape.log")
  c:option("--module", "Also diagnose every package of this module (repeatable)"):count("*")
  c:flag("--test", "Build the test binary (go test -c) instead of go build")
  c:option("--binary", "Where the go command writes the binary (its -o)")
  c:option("--go", "The go command (default: $GO, else go); run by the shell")
  c:epilog([[
  goescape build ./cmd/server -o escape.log && goescape hotspots --escape escape.log --profile heap.pb.gz
  GO=/usr/lib/go-1.19/bin/go goescape build --test . --module example.com/dep]])
end

function M.run(args)
  local rc, err = gobuild.build { go = args.go, packages = args.packages, modules = args.module,
    test = args.test, output = args.binary, log = args.log }
  if not rc then cli.fail("%s", err) end
  return rc
end

return M
