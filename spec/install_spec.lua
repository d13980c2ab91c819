-- `luarocks make` installs the module and the command into a tree, and
-- `require "goescape"` works there in LuaJIT, Lua 5.1 and Lua 5.4.
local H = require "spec.helpers"

describe("luarocks make rockspec/goescape-0.1.0-1.rockspec", function()
  if H.asan then
    pending("skipped under ASan: the installed module is not instrumented")
    return
  end
  local rockspec = H.root .. "/rockspec/goescape-0.1.0-1.rockspec"
  for _, v in ipairs { { "5.1", { "luajit", "lua5.1" } }, { "5.4", { "lua5.4" } } } do
    local ver, luas = v[1], v[2]
    it("installs for Lua " .. ver .. " and loads in " .. table.concat(luas, ", "), function()
      local tree = H.tmpdir("rock-" .. ver)
      H.must(("cd %s && luarocks --lua-version=%s make --deps-mode=none --tree %s %s")
        :format(H.q(H.root), ver, H.q(tree), H.q(rockspec)))
      local env = ("LUA_PATH=%s LUA_CPATH=%s"):format(
        H.q(tree .. "/share/lua/" .. ver .. "/?.lua;" .. tree .. "/share/lua/" .. ver .. "/?/init.lua;;"),
        H.q(tree .. "/lib/lua/" .. ver .. "/?.so;;"))
      for _, lua in ipairs(luas) do
        local out = H.must(env .. " " .. lua .. [[ -e 'local ge = require "goescape"
          local log = assert(ge.escape.parse("# p\n./a.go:3:2: moved to heap: x\n"))
          io.write(ge.version, " ", log:get(1).kind)']])
        assert.are.equal("0.1.0 moved_to_heap", out)
      end
      local out = H.must(env .. " " .. tree .. "/bin/goescape summary --json "
        .. H.q(H.root .. "/spec/fixtures/escape/go1.19.m1.log"))
      assert.is_truthy(out:find('"total":', 1, true))
    end)
  end
end)
