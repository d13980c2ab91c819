-- Outputs that cannot be lost silently: every command that writes to
-- stdout exits 1 with one line on a full device, and every command that
-- writes a file (-o) writes it whole beside the target and renames it, so a
-- failed write leaves the previous file as it was. A full disk is a 64 KiB
-- tmpfs filled up (root, as CI runs; pending where mounting is refused).
local H = require "spec.helpers"

local PROF = H.root .. "/spec/fixtures/explain"

local function fixture()
  local c = H.go_compilers()[2] or H.go_compilers()[1]
  return H.cached("outputs-" .. c.name, function(d)
    H.must(("cp -r %s/. %s"):format(H.q(PROF), H.q(d)))
    H.must(("cd %s/app && GOCACHE=%s/.cache GOFLAGS=-mod=mod %s test -gcflags='example.com/explain/...=-m=2' "
      .. "-run x -bench . -benchtime 50x -memprofile %s/mem.pb.gz -memprofilerate 1 . > /dev/null 2> %s/m2.log")
      :format(H.q(d), H.q(d), c.go, H.q(d), H.q(d)))
  end)
end

describe("outputs", function()
  local dir
  setup(function() dir = fixture() end)

  it("exits 1 with a one-line error when stdout is a full device", function()
    local cmds = {
      "summary " .. H.q(dir .. "/m2.log"),
      "escapes --json " .. H.q(dir .. "/m2.log"),
      "top -n 0 " .. H.q(dir .. "/mem.pb.gz"),
      "hotspots --escape " .. H.q(dir .. "/m2.log") .. " --profile " .. H.q(dir .. "/mem.pb.gz"),
      "flame " .. H.q(dir .. "/mem.pb.gz"),
      "folded " .. H.q(dir .. "/mem.pb.gz"),
    }
    for _, c in ipairs(cmds) do
      local _, rc, err = H.sh(H.cli_cmd(c) .. " > /dev/full")
      assert.are.equal(1, rc, c)
      assert.matches("^goescape: [^\n]*write error[^\n]*\n$", err, nil, false, c)
    end
  end)

  it("keeps the previous file when writing the new one fails, and leaves no temporary file", function()
    local mnt = H.tmpdir("outputs-full")
    local _, rc = H.sh("mount -t tmpfs -o size=64k tmpfs " .. H.q(mnt))
    if rc ~= 0 then return pending("cannot mount a small tmpfs here") end
    local ok, e = pcall(function()
      local target = mnt .. "/out"
      local writers = {
        "flame -o " .. H.q(target) .. " " .. H.q(dir .. "/mem.pb.gz"),
        "merge -o " .. H.q(target) .. " " .. H.q(dir .. "/mem.pb.gz") .. " " .. H.q(dir .. "/mem.pb.gz"),
        "diff -o " .. H.q(target) .. " --base " .. H.q(dir .. "/mem.pb.gz") .. " " .. H.q(dir .. "/mem.pb.gz"),
        "html -o " .. H.q(target) .. " --escape " .. H.q(dir .. "/m2.log") .. " --profile " .. H.q(dir .. "/mem.pb.gz"),
        "flow -o " .. H.q(target) .. " " .. H.q(dir .. "/m2.log"),
      }
      H.write(target, "the previous good file\n")
      H.must("dd if=/dev/zero of=" .. H.q(mnt .. "/fill") .. " bs=1k count=100 2>/dev/null || true")
      for _, c in ipairs(writers) do
        local out, rc2, err = H.cli(c)
        assert.are.equal(1, rc2, c .. "\n" .. out)
        assert.matches("write error", err, 1, true)
        assert.are.equal("the previous good file\n", H.read(target), c)
      end
      local ls = H.must("ls -A " .. H.q(mnt))
      assert.are.equal("fill\nout\n", ls)
      -- with room, the file is replaced whole
      H.must("rm " .. H.q(mnt .. "/fill"))
      local _, rc3 = H.cli(writers[1])
      assert.are.equal(0, rc3)
      assert.matches("^<%?xml", H.read(target))
      assert.are.equal("out\n", H.must("ls -A " .. H.q(mnt)))
    end)
    H.sh("umount " .. H.q(mnt))
    if not ok then error(e, 0) end
  end)

  it("writes to a special file in place (-o /dev/stdout)", function()
    local out, rc = H.cli("flame -o /dev/stdout " .. H.q(dir .. "/mem.pb.gz"))
    assert.are.equal(0, rc)
    assert.matches("<svg", out, 1, true)
  end)
end)
