-- goescape.nvim in a real Neovim (Debian's, LuaJIT inside): the demo module
-- built with -m=2 by the machine's Go and run to write an allocation
-- profile; Neovim started headless opens its main.go, loads the log and/or
-- the profile with :GoEscape and reports what it shows through its API
-- (spec/fixtures/nvim/probe.lua): diagnostics, end-of-line costs, signs,
-- the explanation float, the hotspots quickfix list. Expected words come
-- from ge.analysis.hotspots on the same inputs. Then a real terminal: tmux
-- runs Neovim with the plugin on its runtime path, and its screen holds
-- the cost (the capture is kept under build/).
local H = require "spec.helpers"
local ge = require "goescape"
local json = require "goescape.report.json"
local cjson = require "cjson"

local DEMO = H.root .. "/examples/demo"
local PROBE = H.root .. "/spec/fixtures/nvim/probe.lua"

-- Neovim embeds LuaJIT: it loads the module built for LuaJIT, whichever
-- interpreter runs busted (built here when this run has not built it).
local function luajit_cpath()
  if H.lua == "luajit" and not H.asan then return H.abs(H.cpath) end
  local so = H.root .. "/build/luajit/goescape/core.so"
  if not H.exists(so) then H.must("cd " .. H.q(H.root) .. " && make --no-print-directory -s module LUA=luajit") end
  return H.root .. "/build/luajit/?.so"
end

local TMP = H.tmproot .. "/nvim"

local have_nvim = select(2, H.sh("command -v nvim")) == 0

local function build_demo(name, flags)
  return H.cached("nvim-demo-" .. name, function(d)
    H.must(("cp %s/main.go %s/go.mod %s/"):format(H.q(DEMO), H.q(DEMO), H.q(d)))
    H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod GOTOOLCHAIN=local go build %s -gcflags=-m=2 -o demo . 2> m2.log")
      :format(H.q(d), H.q(d), flags or ""))
    H.must(("cd %s && ./demo allocs.pb.gz > /dev/null"):format(H.q(d)))
  end)
end

-- Runs the probe in headless Neovim; returns its JSON report.
local function probe(env)
  H.mkdir(TMP)
  local out = TMP .. "/probe-" .. (env.GE_MODE or "load") .. ".json"
  os.remove(out)
  env.GE_OUT = out
  env.GOESCAPE_CPATH = luajit_cpath()
  env.XDG_CACHE_HOME = TMP .. "/cache"
  local vars = {}
  for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. H.q(v) end
  table.sort(vars)
  H.must(("cd %s && %s timeout 300 nvim --headless --clean -u NONE --cmd %s -c %s < /dev/null"):format(
    H.q(TMP), table.concat(vars, " "), H.q("set rtp^=" .. H.root), H.q("luafile " .. PROBE)))
  return cjson.decode(H.read(out))
end

local function diag_at(shown, line)
  local t = {}
  for _, d in ipairs(shown.diags) do
    if d.lnum == line - 1 then t[#t + 1] = d end
  end
  return t
end

local function mark_at(shown, line)
  for _, m in ipairs(shown.marks) do
    if m.row == line - 1 and m.virt_text then return m.virt_text end
  end
end

local function has_sign(shown, line)
  for _, l in ipairs(shown.signs) do if l == line then return true end end
  return false
end

local function pct(r, total) return ("%d%%"):format(math.floor(r.flat / total * 100 + 0.5)) end

-- "10.0 MiB 79%" of each row, as Neovim's LuaJIT formats it (its "%.1f"
-- rounds halves up where C's printf rounds them to even: 31.25 KiB).
local function luajit_costs(rows, total)
  local flats = {}
  for _, r in ipairs(rows) do flats[#flats + 1] = ("%d"):format(r.flat) end
  H.mkdir(TMP)
  H.write(TMP .. "/costs.lua", [[local u = require "goescape.report.units"
    local total = tonumber(arg[1])
    for i = 2, #arg do
      local f = tonumber(arg[i])
      io.write(arg[i], "=", u.human(f, "bytes"), " ", ("%d%%"):format(math.floor(f / total * 100 + 0.5)), "\n")
    end]])
  local out = H.must(("LUA_PATH=%s luajit %s %d %s"):format(H.q(H.root .. "/lua/?.lua;;"),
    H.q(TMP .. "/costs.lua"), total, table.concat(flats, " ")))
  local t = {}
  for f, c in out:gmatch("(%d+)=([^\n]+)") do t[tonumber(f)] = c end
  return function(r) return assert(t[r.flat], r.flat) end
end

local function heap_diag(r)
  for _, d in ipairs(r.diagnostics) do
    if d.kind == "moved_to_heap" or d.kind == "escapes_to_heap" then return d end
  end
end

describe("goescape.nvim in Neovim", function()
  if not have_nvim then
    pending("nvim is not installed (tools/deps.sh test installs Debian's neovim)")
    return
  end
  local dir, hot, main, cost_of
  setup(function()
    dir = build_demo("plain")
    main = dir .. "/main.go"
    hot = assert(ge.analysis.hotspots { escape = dir .. "/m2.log", profile = dir .. "/allocs.pb.gz",
      sample = "alloc_space" })
    cost_of = luajit_costs(hot.rows, hot.total)
  end)

  -- The costliest line of main.go with a heap diagnostic, and its words.
  local function top_row()
    for _, r in ipairs(hot.rows) do
      if r.file == main and heap_diag(r) then return r end
    end
  end

  describe("with a log and a profile", function()
    local res
    setup(function()
      res = probe { GE_FILE = main, GE_LOG = dir .. "/m2.log", GE_PROF = dir .. "/allocs.pb.gz",
        GE_LINE = tostring(top_row().line) }
    end)

    it("loads in the background: the command returns before the rows are shown", function()
      assert.is_true(res.loading_after_command)
      assert.is_true(res.status.loaded)
      assert.are.equal("alloc_space", res.status.sample)
      assert.are.equal(hot.total, res.status.total)
    end)

    it("gives each heap escape a diagnostic with the compiler's message and the line's cost", function()
      local n = 0
      for _, r in ipairs(hot.rows) do
        if r.file == main and r.flat > 0 then
          for _, d in ipairs(r.diagnostics) do
            if d.kind == "moved_to_heap" or d.kind == "escapes_to_heap" then
              n = n + 1
              local cost = cost_of(r)
              local found
              for _, g in ipairs(diag_at(res.shown, r.line)) do
                if g.message:find(d.message, 1, true) and g.message:find(cost, 1, true) and g.col == d.col - 1 then found = g end
              end
              assert.is_table(found, ("%d: %s, %s"):format(r.line, d.message, cost))
              local share = r.flat / hot.total
              assert.are.equal(share >= 0.10 and 1 or share >= 0.01 and 2 or 3, found.severity, r.line)
            end
          end
        end
      end
      assert.is_true(n >= 5, n)
      assert.is_true(res.refresh_ms < 50, res.refresh_ms)
    end)

    it("writes cost and reason at the end of costly lines, and signs allocating lines", function()
      local r = top_row()
      assert.are.equal(("%s · %s"):format(cost_of(r), heap_diag(r).message),
        mark_at(res.shown, r.line))
      for _, row in ipairs(hot.rows) do
        if row.file == main and row.flat > 0 then assert.is_true(has_sign(res.shown, row.line), row.line) end
        if row.file == main and row.flat > 0 and row.flat / hot.total < 0.01 then assert.is_nil(mark_at(res.shown, row.line)) end
      end
      -- a line with no heap diagnostic and no cost has no sign
      assert.is_false(has_sign(res.shown, 1))
    end)

    it("opens a float with the whole explanation of the cursor's line", function()
      local r = top_row()
      assert.is_table(res.float)
      local text = table.concat(res.float.lines, "\n")
      assert.truthy(text:find(heap_diag(r).message, 1, true))
      assert.truthy(text:find("reason: " .. r.advice.title, 1, true))
      assert.truthy(text:find("why: " .. r.advice.why, 1, true))
      assert.truthy(text:find("fix: " .. r.advice.fix, 1, true))
      assert.truthy(text:find("flow: ", 1, true))
      assert.truthy(text:find(("%s:%d"):format(main, r.line), 1, true))
    end)

    it("lists the top hotspots in the quickfix list, in cost order", function()
      assert.is_true(#res.qf >= 3)
      local k = 0
      for _, r in ipairs(hot.rows) do
        if k >= 3 then break end
        if r.file == main then
          k = k + 1
          assert.are.equal(main, res.qf[k].file)
          assert.are.equal(r.line, res.qf[k].lnum)
        elseif r.file:sub(1, 1) == "/" and H.exists(r.file) then
          k = k + 1
          assert.are.equal(r.line, res.qf[k].lnum)
        end
      end
    end)

    it("clears diagnostics, marks and signs", function()
      assert.are.same({}, res.cleared.diags)
      assert.are.same({}, res.cleared.marks)
      assert.are.same({}, res.cleared.signs)
    end)
  end)

  it("takes a binary: variable sizes from its DWARF in the explanation", function()
    local bhot = assert(ge.analysis.hotspots { escape = dir .. "/m2.log", profile = dir .. "/allocs.pb.gz",
      binary = dir .. "/demo", sample = "alloc_space" })
    local r
    for _, row in ipairs(bhot.rows) do
      if row.file == main and row.advice and row.advice.size then r = row break end
    end
    assert.is_table(r, "no row with a DWARF size")
    local res = probe { GE_MODE = "binary", GE_FILE = main, GE_LOG = dir .. "/m2.log", GE_PROF = dir .. "/allocs.pb.gz",
      GE_BIN = dir .. "/demo", GE_LINE = tostring(r.line) }
    assert.are.equal(dir .. "/demo", res.status.inputs.binary)
    local text = table.concat(res.float.lines, "\n")
    assert.truthy(text:find("why: " .. r.advice.why, 1, true), text)
    assert.truthy(r.advice.why:find("per allocation", 1, true))
  end)

  it("shows the log's reasons without a profile (no cost, no end-of-line text)", function()
    local log = assert(ge.escape.open(dir .. "/m2.log"))
    local want = {}
    for d in log:each { kind = "moved_to_heap" } do
      if d.file == "./main.go" then want[#want + 1] = d end
    end
    assert.is_true(#want >= 3)
    local res = probe { GE_MODE = "log", GE_FILE = main, GE_LOG = dir .. "/m2.log", GE_LINE = tostring(want[1].line) }
    for _, d in ipairs(want) do
      local found
      for _, g in ipairs(diag_at(res.shown, d.line)) do
        if g.message:find("^" .. d.message:gsub("%p", "%%%0")) then found = g end
      end
      assert.is_table(found, d.message)
      assert.are.equal(4, found.severity)
      assert.is_true(has_sign(res.shown, d.line))
    end
    for _, m in ipairs(res.shown.marks) do assert.is_nil(m.virt_text) end
    assert.truthy(table.concat(res.float.lines, "\n"):find(want[1].message, 1, true))
    assert.is_nil(table.concat(res.float.lines, "\n"):find("cost:", 1, true))
    assert.is_true(#res.qf >= #want)
  end)

  it("reads the log again when it is written again", function()
    local tmp = H.tmpdir("nvim/watch")
    local full = H.read(dir .. "/m2.log")
    -- the log of a package whose first half is all there is
    local half = full:sub(1, (full:find("\n", math.floor(#full / 2), true)))
    H.write(tmp .. "/m2.log", half)
    local res = probe { GE_MODE = "watch", GE_FILE = main, GE_LOG = tmp .. "/m2.log", GE_NEWLOG = dir .. "/m2.log" }
    local n_half, n_full = select(2, half:gsub("\n[^\n]*main%.go:%d+:%d+: moved to heap", "")),
      select(2, full:gsub("\n[^\n]*main%.go:%d+:%d+: moved to heap", ""))
    assert.is_true(n_full > n_half, n_full .. " " .. n_half)
    assert.is_true(res.reloaded)
    assert.is_true(#res.after_write.diags > #res.shown.diags)
  end)

  -- spec/fixtures/explain: a logger whose variadic parameter leaks through a
  -- second function. The first view explains lines without cost without
  -- following calls; the float then shows the callee chain.
  it("replaces the first view of a log by the one that follows calls into callees", function()
    local edir = H.cached("nvim-explain", function(d)
      H.must(("cp -r %s/. %s"):format(H.q(H.root .. "/spec/fixtures/explain"), H.q(d)))
      H.must(("cd %s && GOCACHE=%s/.cache GOFLAGS=-mod=mod GOTOOLCHAIN=local go build -gcflags='example.com/explain/...=-m=2' ./... 2> m2.log")
        :format(H.q(d), H.q(d)))
    end)
    local model = require "goescape.nvim.model"
    local app = edir .. "/app/app.go"
    local function row(m)
      for _, r in ipairs(m.rows) do
        if r.file == app and r.line == 18 then return r end
      end
    end
    local full = row(assert(model.build { escape = edir .. "/m2.log" }))
    local quick = row(assert(model.build { escape = edir .. "/m2.log", quick = true }))
    assert.are.equal("variadic_slice", full.advice.reason)
    assert.is_string(full.advice.callee)
    assert.is_true(#full.advice.chain >= 2)
    assert.is_nil(quick.advice and quick.advice.chain)
    local res = probe { GE_MODE = "log", GE_FILE = app, GE_LOG = edir .. "/m2.log", GE_LINE = "18" }
    assert.is_true(res.status.complete)
    local text = table.concat(res.float.lines, "\n")
    assert.truthy(text:find("callee: " .. full.advice.callee, 1, true), text)
    for _, c in ipairs(full.advice.chain) do assert.truthy(text:find(c, 1, true), c) end
    assert.truthy(text:find("why: " .. full.advice.why, 1, true), text)
  end)

  it("shows the profile's costs without a log", function()
    local r = top_row()
    local res = probe { GE_MODE = "prof", GE_FILE = main, GE_PROF = dir .. "/allocs.pb.gz" }
    local cost = cost_of(r)
    local g = diag_at(res.shown, r.line)
    assert.are.equal(1, #g)
    assert.truthy(g[1].message:find(cost, 1, true), g[1].message)
    assert.truthy(mark_at(res.shown, r.line):find(cost, 1, true))
    assert.is_nil(g[1].message:find(heap_diag(r).message, 1, true))
  end)

  -- spec/fixtures/net/server: a live service whose heap grows at main.leak.
  it("reads a live service's profile by its URL", function()
    local S = require "spec.live_server"
    local srv = S.start("2m")
    local ok, err = pcall(function()
      local url = srv.url .. "/debug/pprof/heap"
      local src = H.root .. "/spec/fixtures/net/server/main.go"
      local prof = assert(ge.profile.open(url))
      local lines = {}
      for _, r in ipairs(assert(prof:top { by = "line", n = 0, sample = "alloc_space" })) do
        if r.file and r.file:match("/spec/fixtures/net/server/main%.go$") and r.flat > 0 then lines[r.line] = true end
      end
      assert.is_not_nil(next(lines), "no allocating line of main.go in the live profile")
      local res = probe { GE_MODE = "url", GE_FILE = src, GE_PROF = url }
      assert.are.equal(url, res.status.inputs.profile)
      local hit = 0
      for _, d in ipairs(res.shown.diags) do
        if lines[d.lnum + 1] then hit = hit + 1 end
        assert.truthy(d.message:find("^[%d.]+ %a+ %d+%% · "), d.message)
      end
      assert.is_true(hit > 0)
    end)
    srv.stop()
    assert(ok, err)
  end)

  it("maps a -trimpath profile's module paths onto the buffer's file", function()
    local tdir = build_demo("trimpath", "-trimpath")
    local prof = assert(ge.profile.open(tdir .. "/allocs.pb.gz"))
    local thot = assert(ge.analysis.hotspots { escape = tdir .. "/m2.log", profile = prof, sample = "alloc_space" })
    local r
    for _, row in ipairs(thot.rows) do
      if row.file == "example.com/demo/main.go" and heap_diag(row) then r = row break end
    end
    assert.is_table(r, "no trimpath row of main.go")
    local res = probe { GE_MODE = "trim", GE_FILE = tdir .. "/main.go", GE_LOG = tdir .. "/m2.log",
      GE_PROF = tdir .. "/allocs.pb.gz" }
    local found
    for _, g in ipairs(diag_at(res.shown, r.line)) do
      if g.message:find(heap_diag(r).message, 1, true) and g.message:find(pct(r, thot.total), 1, true) then found = g end
    end
    assert.is_table(found)
    assert.are.equal(tdir .. "/main.go", res.qf[1].file)
  end)

  it("builds the buffer's package with -m=2 in the background and shows the log", function()
    local bdir = H.tmpdir("nvim/build-src")
    H.must(("cp %s/main.go %s/go.mod %s/"):format(H.q(DEMO), H.q(DEMO), H.q(bdir)))
    local res = probe { GE_MODE = "build", GE_FILE = bdir .. "/main.go", GOFLAGS = "-mod=mod",
      GOCACHE = H.build .. "/nvim-demo-plain/.cache", GOTOOLCHAIN = "local" }
    assert.is_true(res.status.loaded, tostring(res.status.error))
    local log = assert(ge.escape.open(res.status.inputs.escape))
    local n = 0
    for d in log:each { kind = "moved_to_heap" } do
      n = n + 1
      local found
      for _, g in ipairs(diag_at(res.shown, d.line)) do
        if g.message:find(d.message, 1, true) then found = g end
      end
      assert.is_table(found, d.message)
    end
    assert.is_true(n >= 3)
  end)

  it("shows the cost at the end of the line in a real terminal (tmux)", function()
    if select(2, H.sh("command -v tmux")) ~= 0 then pending("tmux is not installed") return end
    local r = top_row()
    local want = ("%s · %s"):format(cost_of(r), heap_diag(r).message)
    H.mkdir(TMP)
    local init = TMP .. "/init.lua"
    -- a user's config: the plugin on the runtime path (plugin/goescape.lua
    -- sets it up), inputs loaded once Neovim has started
    H.write(init, ("vim.opt.rtp:prepend(%q)\nvim.opt.signcolumn = 'yes'\n"
      .. "vim.api.nvim_create_autocmd('VimEnter', { callback = function() vim.cmd('GoEscape load %s %s') end })\n")
      :format(H.root, dir .. "/m2.log", dir .. "/allocs.pb.gz"))
    local sock = "goescape-nvim-" .. (os.getenv("GOESCAPE_LUA") or "lua")
    local tmux = "tmux -u -L " .. H.q(sock)
    H.sh(tmux .. " kill-server")
    H.must(("cd %s && LANG=C.UTF-8 GOESCAPE_CPATH=%s XDG_CACHE_HOME=%s %s new-session -d -x 180 -y 50 %s"):format(
      H.q(TMP), H.q(luajit_cpath()), H.q(TMP .. "/cache"), tmux,
      H.q(("nvim -u %s +%d %s"):format(H.q(init), r.line, H.q(main)))))
    local screen = ""
    for _ = 1, 100 do
      screen = H.sh(tmux .. " capture-pane -p")
      if screen:find(want, 1, true) then break end
      H.sh("sleep 0.2")
    end
    H.sh(tmux .. " kill-server")
    local art = H.root .. "/build/nvim-screen-" .. (os.getenv("GOESCAPE_LUA") or "lua") .. ".txt"
    H.write(art, screen)
    assert.truthy(screen:find(want, 1, true), screen)
    -- the sign column marks the line
    local line = screen:match("[^\n]*" .. want:gsub("%p", "%%%0") .. "[^\n]*")
    assert.truthy(line:find("●", 1, true), line)
  end)

  -- As a LuaRocks-based plugin manager sets it up: the rock's directory
  -- (plugin/) on the runtime path, the tree's share/lua/5.1 on package.path;
  -- the plugin finds the C module of its tree (built for Lua 5.1's ABI,
  -- LuaJIT's). One interpreter checks it (it builds the C module again).
  it("runs from the LuaRocks rock's directory on the runtime path", function()
    if H.lua ~= "luajit" or H.asan then pending("checked under LuaJIT (the rock for Lua 5.1 is the same)") return end
    local tree = H.tmpdir("nvim/rock")
    H.must(("cd %s && luarocks --lua-version=5.1 make --deps-mode=none --tree %s %s")
      :format(H.q(H.root), H.q(tree), H.q(H.root .. "/rockspec/goescape-0.1.0-1.rockspec")))
    local rockdir = tree .. "/lib/luarocks/rocks-5.1/goescape/0.1.0-1"
    local luadir = tree .. "/share/lua/5.1"
    assert.is_true(H.exists(rockdir .. "/plugin/goescape.lua"))
    local init = TMP .. "/rock-init.lua"
    local out = TMP .. "/rock.txt"
    H.write(init, ([[
vim.opt.rtp:prepend(%q)
package.path = %q .. "/?.lua;" .. %q .. "/?/init.lua;" .. package.path
vim.api.nvim_create_autocmd("VimEnter", { callback = function()
  local ge = require "goescape.nvim"
  vim.cmd("GoEscape load %s %s")
  vim.wait(60000, function() return not ge.status().loading end, 20)
  local f = io.open(%q, "w")
  f:write(debug.getinfo(ge.setup, "S").source, "\n")
  for _, d in ipairs(vim.diagnostic.get(0, { namespace = ge.ns })) do f:write(d.lnum + 1, " ", d.message, "\n") end
  f:close()
  vim.cmd("qa!")
end })
]]):format(rockdir, luadir, luadir, dir .. "/m2.log", dir .. "/allocs.pb.gz", out))
    os.remove(out)
    -- no GOESCAPE_CPATH, no checkout on any path: the rock alone
    H.must(("cd %s && env -u GOESCAPE_CPATH XDG_CACHE_HOME=%s timeout 120 nvim --headless -u %s %s < /dev/null"):format(
      H.q(TMP), H.q(TMP .. "/cache"), H.q(init), H.q(main)))
    local text = H.read(out)
    assert.truthy(text:find("@" .. luadir .. "/goescape/nvim/init.lua", 1, true), text)
    local r = top_row()
    assert.truthy(text:find("\n" .. r.line .. " [^\n]*" .. heap_diag(r).message:gsub("%p", "%%%0")), text)
  end)

  it("hands the model over as JSON lines: the rows in parts, each explanation once", function()
    local model = require "goescape.nvim.model"
    local saved = model.CHUNK
    model.CHUNK = 5
    local s = assert(model.encode { escape = dir .. "/m2.log", profile = dir .. "/allocs.pb.gz" })
    model.CHUNK = saved
    local parts = {}
    for l in s:gmatch("[^\n]+") do parts[#parts + 1] = cjson.decode(l) end
    local m, rows = parts[1], {}
    for i = 2, #parts do
      assert.is_true(#parts[i] <= 5)
      for _, r in ipairs(parts[i]) do rows[#rows + 1] = r end
    end
    assert.is_true(#parts > 3)
    assert.are.equal(hot.total, m.total)
    -- every costed line of hotspots, in its order, then the log's other heap lines
    for i, r in ipairs(hot.rows) do
      assert.are.equal(("%s:%d"):format(r.file, r.line), ("%s:%d"):format(rows[i].file, rows[i].line))
      assert.are.equal(json.encode(r.flat), json.encode(rows[i].flat))
      if r.advice then assert.are.equal(r.advice.why, m.advices[rows[i].advice].why) end
    end
    assert.is_true(#rows > #hot.rows)
    local n = 0
    for _, a in ipairs(m.advices) do if a.reason == "returned_address" then n = n + 1 end end
    assert.are.equal(1, n)
    local _, err = model.build { escape = dir .. "/nonexistent.log" }
    assert.is_string(err)
    _, err = model.build {}
    assert.is_string(err)
  end)
end)
