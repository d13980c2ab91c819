--- Source lines for the HTML report's annotated view, read only from the
-- source roots: a profile or log names any path it likes, and a report meant
-- to be shared must not copy /etc/passwd or ~/.ssh into it.
local json = require "goescape.report.json"

local M = {}

local function arr(t) return setmetatable(t or {}, json.array_mt) end

--- The key of a (file, line) in the report model's tables.
function M.key(file, line) return (file or "") .. "\0" .. tostring(line or 0) end
local key = M.key

local function read_lines(path, max_bytes)
  local f = io.open(path, "rb")
  if not f then return nil end
  local size = f:seek("end")
  if not size or size > max_bytes then f:close(); return nil end
  f:seek("set", 0)
  local text = f:read("*a")
  f:close()
  if text:find("%z") then return nil end
  local lines = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = (l:gsub("\r$", "")) end
  return lines
end

-- The directories whose files a report may quote, symlinks resolved: the
-- --source-dir roots, the working directory (the module being profiled),
-- GOROOT and the module cache. A profile or log names any path it likes; a
-- report meant to be shared must not copy /etc/passwd or ~/.ssh into it.
local function source_roots(dirs)
  local core = require "goescape.core"
  local roots = {}
  local function add(d)
    local r = d and d ~= "" and core.realpath(d)
    if r then roots[#roots + 1] = r:gsub("/$", "") end
  end
  for _, d in ipairs(dirs or {}) do add(d) end
  add(".")
  add(os.getenv("GOROOT"))
  local home = os.getenv("HOME")
  add(os.getenv("GOMODCACHE") or (os.getenv("GOPATH") or (home and home .. "/go") or "") .. "/pkg/mod")
  if not os.getenv("GOROOT") then
    local p = io.popen("go env GOROOT 2>/dev/null")
    if p then add(p:read("*l")); p:close() end
  end
  return roots
end

local function under_roots(path, roots)
  local r = require("goescape.core").realpath(path)
  if not r then return false end
  for _, root in ipairs(roots) do
    if r == root or r:sub(1, #root + 1) == root .. "/" then return true end
  end
  return false
end

-- The readable copy of a profile's file name: as is, or under one of dirs
-- (trying ever shorter suffixes of the path); only inside the source roots.
-- Returns lines, path; or nil, "outside" when the only copy is elsewhere.
local function find_source(file, dirs, roots)
  local outside
  local function try(p)
    local lines = read_lines(p, 4 * 1024 * 1024)
    if not lines then return nil end
    if under_roots(p, roots) then return lines end
    outside = true
  end
  local lines = try(file)
  if lines then return lines, file end
  for _, dir in ipairs(dirs or {}) do
    local rest = file
    while rest and rest ~= "" do
      local p = dir .. "/" .. rest
      lines = try(p)
      if lines then return lines, p end
      rest = rest:match("^[^/\\]*[/\\](.*)$")
    end
  end
  return nil, outside and "outside" or nil
end

--- Annotated source: for the costliest files, the costed lines with context,
-- each with its cost and the log's diagnostics, like `go tool pprof -list`.
-- Returns the files, and the list of files left out (outside the roots).
function M.annotate(opts, log, lines_by_file, file_cost, objects)
  local files = {}
  for f in pairs(lines_by_file) do files[#files + 1] = f end
  table.sort(files, function(a, b)
    if file_cost[a] ~= file_cost[b] then return math.abs(file_cost[a]) > math.abs(file_cost[b]) end
    return a < b
  end)
  local out, budget = arr(), opts.source_lines or 2500
  local ctx = opts.source_context or 3
  local roots = source_roots(opts.source_dirs)
  local left_out = arr()
  for _, file in ipairs(files) do
    if #out >= (opts.source_files or 8) or budget <= 0 then break end
    local text, path = find_source(file, opts.source_dirs, roots)
    if not text and path == "outside" then left_out[#left_out + 1] = file end
    if text then
      local costed = lines_by_file[file]
      table.sort(costed, function(a, b) return math.abs(a.flat) > math.abs(b.flat) end)
      local want = {}
      for i = 1, math.min(#costed, 60) do
        local l = costed[i].line
        for j = math.max(1, l - ctx), math.min(#text, l + ctx) do want[j] = true end
      end
      local cost = {}
      for _, c in ipairs(costed) do cost[c.line] = c end
      local nums = {}
      for j in pairs(want) do nums[#nums + 1] = j end
      table.sort(nums)
      local rows = arr()
      for _, j in ipairs(nums) do
        if budget <= 0 then break end
        budget = budget - 1
        local c = cost[j]
        local diags = arr()
        if log then
          local seen = {}
          for _, i in ipairs(log:at_line(file, j, c and c.pkg or costed[1].pkg)) do
            local d = log:get(i)
            local k = d.kind .. "\0" .. (d.message or "")
            if not seen[k] and #diags < 8 then
              seen[k] = true
              diags[#diags + 1] = { kind = d.kind, message = d.message, col = d.col }
            end
          end
        end
        rows[#rows + 1] = { line = j, text = text[j], flat = c and c.flat or nil,
          cum = c and c.cum or nil, objects = c and objects[key(file, j)] or nil,
          diags = #diags > 0 and diags or nil }
      end
      out[#out + 1] = { file = file, path = path, flat = file_cost[file], lines = rows }
    end
  end
  return out, left_out
end


return M
