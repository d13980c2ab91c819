-- The heap dumps the heapdump specs share, each built once per checkout
-- (H.cached) by whichever spec runs first: spec/fixtures/heapdump/retain
-- (five big arrays kept alive five ways, built with -m=2 for its escape
-- log) and spec/fixtures/heapdump/patterns (the retention patterns; a
-- second dump after two collections), by each Go of the machine.
local H = require "spec.helpers"

local M = {}

M.RETAIN = H.root .. "/spec/fixtures/heapdump/retain"
M.PATTERNS = H.root .. "/spec/fixtures/heapdump/patterns"

--- build/fixtures/heapdump-retain: retain-<go>{,.dump,.json,.m2.log}.
function M.retain()
  return H.cached("heapdump-retain", function(dir)
    for _, c in ipairs(H.go_compilers()) do
      local bin = ("%s/retain-%s"):format(dir, c.name)
      H.must(("cd %s && env -u LD_PRELOAD %s build -gcflags=-m=2 -o %s . 2> %s.m2.log")
        :format(H.q(M.RETAIN), c.go, H.q(bin), H.q(bin)))
      H.must(("env -u LD_PRELOAD %s %s.dump > %s.json"):format(H.q(bin), H.q(bin), H.q(bin)))
    end
  end)
end

--- build/fixtures/heapdump-patterns: patterns-<go>{,.dump,.json,.2.dump,.2.json}.
function M.patterns()
  return H.cached("heapdump-patterns", function(dir)
    for _, c in ipairs(H.go_compilers()) do
      local bin = ("%s/patterns-%s"):format(dir, c.name)
      H.must(("cd %s && env -u LD_PRELOAD %s build -o %s ."):format(H.q(M.PATTERNS), c.go, H.q(bin)))
      H.must(("env -u LD_PRELOAD %s %s.dump > %s.json"):format(H.q(bin), H.q(bin), H.q(bin)))
      H.must(("env -u LD_PRELOAD %s %s.2.dump 2 > %s.2.json"):format(H.q(bin), H.q(bin), H.q(bin)))
    end
  end)
end

--- The lines of retain/main.go that make each array (found by their text).
function M.retain_lines()
  local lines, n = {}, 0
  for line in io.lines(M.RETAIN .. "/main.go") do
    n = n + 1
    for k, text in pairs({ subslice = "make([]byte, 4<<20)", map = "make([]byte, 3<<20)",
      chain = "make([]byte, 2<<20)", channel = "make([]byte, 5<<20)", goroutine = "make([]byte, 6<<20)" }) do
      if line:find(text, 1, true) then lines[k] = n end
    end
  end
  return lines
end

--- Whether an allocation's site is on line `want`. The writer takes the
-- line of each caller's PC less one (the call, not the return address),
-- but not of the stack's first frame: when the runtime's own frames are
-- left out of the stack (Go 1.19), the allocating function's frame is
-- first, and its line is that of the return address, the next statement's
-- where the call ends its line.
function M.at_line(stack, site, want)
  if site.line == want then return true end
  local first = stack[1]
  return first.func == site.func and first.line == site.line and site.line == want + 1
end

return M
