--- Running other programs (the go command, test binaries, git) from the
-- goescape command: shell quoting, exit statuses, output captured to files,
-- stderr streamed line by line, temporary directories, and a detached git
-- worktree of a revision.
--
-- Every command goes through io.popen with `; echo __rc=$?` appended: the
-- one way to read an exit status that works alike on LuaJIT, PUC Lua 5.1
-- (whose pclose and os.execute give no status, or a raw wait status) and
-- 5.4 (true/nil, "exit", code).
local M = {}

--- Quotes s for sh.
function M.q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local RC = "__goescape_rc="

-- A sanitizer runtime preloaded into goescape (make check-asan tests the C
-- core that way) is not meant for the programs goescape runs: in them it
-- reports the leaks of mktemp or git and changes their exit status.
local function child_env()
  local pre = os.getenv("LD_PRELOAD")
  if pre and (pre:find("libasan", 1, true) or pre:find("libclang_rt", 1, true)
      or pre:find("libubsan", 1, true) or pre:find("liblsan", 1, true)) then
    return "unset LD_PRELOAD; "
  end
  return ""
end

--- Runs `cmd` (a shell command line) and calls on_line(line) for each line
-- it writes to stdout (cmd redirects what it wants there, e.g. `2>&1`).
-- Returns the exit status (a number; 128+N for a signal, as sh reports it).
function M.stream(cmd, on_line)
  local p = assert(io.popen(child_env() .. "(" .. cmd .. "); echo " .. RC .. "$?", "r"))
  local rc, pending
  for line in p:lines() do
    local n = line:match("^" .. RC .. "(%d+)$")
    if n then
      rc = tonumber(n)
    else
      -- A line of the command printed before our status line, even when it
      -- lacked a newline, reaches on_line whole.
      if pending then on_line(pending) end
      pending = line
      local pre, n2 = line:match("^(.-)" .. RC .. "(%d+)$")
      if pre then pending, rc = pre ~= "" and pre or nil, tonumber(n2) end
    end
  end
  if pending then on_line(pending) end
  p:close()
  return rc or 1
end

--- Runs `cmd` with its stdout captured; stderr goes where the caller's goes.
-- Returns stdout, status.
function M.read(cmd)
  local out = {}
  local rc = M.stream(cmd, function(l) out[#out + 1] = l end)
  return table.concat(out, "\n") .. (#out > 0 and "\n" or ""), rc
end

--- Runs `cmd` with nothing captured (stdout and stderr are the caller's).
-- Returns its status.
function M.run(cmd)
  local _, rc = M.read("(" .. cmd .. ") >&2")
  return rc
end

--- The go command: opts.go (--go), else $GO, else "go". A command line
-- (it may hold environment assignments: "GOTOOLCHAIN=go1.27.3 go").
function M.go_command(explicit)
  if explicit and explicit ~= "" then return explicit end
  local env = os.getenv("GO")
  if env and env ~= "" then return env end
  return "go"
end

--- A new empty directory under $TMPDIR, or nil, err.
function M.tmpdir(prefix)
  local out, rc = M.read("mktemp -d -t " .. M.q((prefix or "goescape") .. ".XXXXXXXX") .. " 2>&1")
  local dir = out:match("^([^\n]+)")
  if rc ~= 0 or not dir then
    if dir and dir:match("^/") then M.remove_tree(dir) end
    return nil, "cannot make a temporary directory: " .. out
  end
  return dir
end

--- Removes a directory tree (best effort).
function M.remove_tree(dir)
  if dir and dir ~= "" and dir ~= "/" then M.read("rm -rf " .. M.q(dir) .. " 2>/dev/null") end
end

--- True when path is a directory.
function M.is_dir(path)
  local _, rc = M.read("test -d " .. M.q(path))
  return rc == 0
end

--- The absolute path of a directory (relative to the current one), or nil.
function M.abs_dir(path)
  local out, rc = M.read("cd " .. M.q(path) .. " 2>/dev/null && pwd -P")
  if rc ~= 0 then return nil end
  return (out:gsub("\n$", ""))
end

--- Calls fn(...) and then cleanup(), whether fn returned or raised; returns
-- what fn returned, or raises its error again after the cleanup.
function M.finally(cleanup, fn, ...)
  local res = { pcall(fn, ...) }
  cleanup()
  if not res[1] then error(res[2], 0) end
  return (table.unpack or unpack)(res, 2, table.maxn and table.maxn(res) or #res)
end

--- A git worktree of revision `rev` of the repository that holds `dir`,
-- checked out detached in a new temporary directory. Returns {path =
-- the directory in the worktree that corresponds to `dir`, remove =
-- function() ... end}, or nil, err.
function M.worktree(dir, rev)
  local top, rc = M.read("cd " .. M.q(dir) .. " && git rev-parse --show-toplevel 2>&1")
  top = top:gsub("\n$", "")
  if rc ~= 0 then return nil, ("--against %s: %s is not in a git repository: %s"):format(rev, dir, top) end
  local here = M.abs_dir(dir)
  local rtop = M.abs_dir(top)
  if not here or not rtop then return nil, "cannot resolve " .. dir end
  local sub = here:sub(#rtop + 2)
  local commit
  commit, rc = M.read("cd " .. M.q(top) .. " && git rev-parse --verify --quiet "
    .. M.q(rev .. "^{commit}") .. " 2>/dev/null")
  commit = commit:gsub("\n$", "")
  if rc ~= 0 or commit == "" then
    return nil, ("--against %s: not a directory, nor a revision of the git repository %s"):format(rev, top)
  end
  local tmp, err = M.tmpdir("goescape-against")
  if not tmp then return nil, err end
  local wt = tmp .. "/src"
  local out
  out, rc = M.read("cd " .. M.q(top) .. " && git worktree add --detach " .. M.q(wt) .. " "
    .. M.q(commit) .. " 2>&1")
  if rc ~= 0 then
    M.remove_tree(tmp)
    return nil, ("--against %s: git worktree add failed: %s"):format(rev, out:gsub("\n$", ""))
  end
  return {
    path = sub ~= "" and (wt .. "/" .. sub) or wt,
    commit = commit,
    remove = function()
      M.read("cd " .. M.q(top) .. " && git worktree remove --force " .. M.q(wt) .. " >/dev/null 2>&1")
      M.remove_tree(tmp)
      M.read("cd " .. M.q(top) .. " && git worktree prune >/dev/null 2>&1")
    end,
  }
end

return M
