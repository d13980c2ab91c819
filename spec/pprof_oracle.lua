-- pprof oracles for the profile specs: `go tool pprof` run on a profile
-- directory, its outputs cached there as oracle.* files. The unit tier reads
-- them from spec/fixtures/profile/data (committed, made by gen.sh there); the
-- integration tier computes them beside freshly made profiles.
local H = require "spec.helpers"
local assert = require "luassert"

local GO = "env -u LD_PRELOAD GOTOOLCHAIN=local go"

return function(DIR, may_run)
-- Runs go tool pprof once per argument list and caches its stdout.
local function pprof(args, file)
  local raw = args .. " " .. file
  local h = 0
  for i = 1, #raw do h = (h * 31 + raw:byte(i)) % 2147483647 end
  local key = raw:gsub("[^%w]", "_"):sub(1, 150) .. "_" .. h -- distinct for distinct punctuation
  local out = DIR .. "/oracle." .. key
  if not H.exists(out) then
    assert(may_run, "no cached pprof output for `go tool pprof " .. raw .. "` in " .. DIR
      .. ": record it with spec/fixtures/profile/gen.sh")
    H.must(("cd %s && PPROF_BINARY_PATH=/nonexistent %s tool pprof %s %s > %s.tmp && mv %s.tmp %s")
      :format(H.q(DIR), GO, args, H.q(file), H.q(out), H.q(out), H.q(out)))
  end
  return H.read(out)
end

local UNITS = { bytes = "B", nanoseconds = "ns" }

-- { [name] = {flat=, cum=} } from `go tool pprof -top` in base units, the
-- row count, and the rows as sorted "name|flat|cum" strings (pprof's -files
-- repeats a file once per function start line, so names are not unique).
local function oracle_top(file, sample, unit, gran)
  local args = ("-top -nodecount=1000000 -nodefraction=0 -edgefraction=0 -sample_index=%s%s%s")
    :format(sample, UNITS[unit] and (" -unit=" .. UNITS[unit]) or "", gran and (" -" .. gran) or "")
  local text = pprof(args, file)
  local rows, list, started, n = {}, {}, false, 0
  for line in text:gmatch("[^\n]+") do
    if started then
      local f, c, name = line:match("^%s*(%-?[%d%.]+)%a*%s+%S+%s+%S+%s+(%-?[%d%.]+)%a*%s+%S+%s+(.-)%s*$")
      assert(f, "unparsed pprof line: " .. line)
      name = name:gsub(" %(partial%-inline%)$", ""):gsub(" %(inline%)$", "")
      rows[name] = { flat = tonumber(f), cum = tonumber(c) }
      list[#list + 1] = ("%s|%d|%d"):format(name, tonumber(f), tonumber(c))
      n = n + 1
    elseif line:match("^%s+flat%s+flat%%") then
      started = true
    end
  end
  table.sort(list)
  return rows, n, list
end

-- Sorted "v1 v2 ...: id id ..." strings from `go tool pprof -raw`.
local function oracle_raw(file)
  local text = pprof("-raw", file)
  local out, state = {}, 0
  for line in text:gmatch("[^\n]+") do
    if state == 0 and line == "Samples:" then state = 1
    elseif state == 1 then state = 2 -- the sample types line
    elseif state == 2 then
      if line:match("^Locations") or line:match("^Mappings") then break end
      local vals, ids = line:match("^%s*([%-%d][%-%d%s]*):%s*([%d%s]*)$")
      if vals then
        out[#out + 1] = vals:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "") .. ":" ..
          ids:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
      end
    end
  end
  table.sort(out)
  return out
end

local function ours_raw(p)
  local out = {}
  for s in p:each_sample() do
    local v = {}
    for i, x in ipairs(s.values) do v[i] = ("%d"):format(x) end
    local ids = {}
    for i, x in ipairs(s.locations) do ids[i] = ("%d"):format(x) end
    out[#out + 1] = table.concat(v, " ") .. ":" .. table.concat(ids, " ")
  end
  table.sort(out)
  return out
end

local function check_top(p, file, gran, by)
  for _, st in ipairs(p.sample_types) do
    local _, n, want = oracle_top(file, st.type, st.unit, gran)
    local rows = assert(p:top { by = by, sample = st.type })
    local got = {}
    for i, r in ipairs(rows) do got[i] = ("%s|%d|%d"):format(r.name, r.flat, r.cum) end
    table.sort(got)
    assert.are.same(want, got, file .. " " .. st.type .. " by " .. by)
    assert.are.equal(n, #rows)
  end
end


return { pprof = pprof, oracle_top = oracle_top, oracle_raw = oracle_raw, ours_raw = ours_raw,
  check_top = check_top, UNITS = UNITS }
end
