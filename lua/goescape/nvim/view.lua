--- The words goescape puts in a Go buffer, from a model row (see
-- goescape.nvim.model): diagnostics, the end-of-line cost, the quickfix
-- text and the floating window's explanation.
local M = {}

local S = vim.diagnostic.severity

--- Whether the row's line allocates: it has a cost, or the compiler moves
-- something of it to the heap.
function M.allocates(r)
  if r.flat ~= 0 then return true end
  for _, d in ipairs(r.diags or {}) do
    if d.heap then return true end
  end
  return false
end

--- The line's leading reason: its first heap diagnostic's message, else
-- its explanation's title.
function M.reason(r)
  for _, d in ipairs(r.diags or {}) do
    if d.heap then return d.message end
  end
  return r.advice and r.advice.title or "allocates"
end

--- "12.4 MiB 18% · moved to heap: buf" (the cost only with a profile).
function M.virt_text(r)
  return (r.cost and (r.cost .. " · ") or "") .. M.reason(r)
end

--- The quickfix text: cost, reason and explanation title.
function M.summary(r)
  local t = M.virt_text(r)
  if r.advice and r.advice.title and r.advice.title ~= M.reason(r) then t = t .. " (" .. r.advice.title .. ")" end
  return t
end

function M.first_col(r)
  for _, d in ipairs(r.diags or {}) do
    if d.heap and d.col then return d.col end
  end
  return 1
end

--- The severity of a row by its share of the profile's total.
function M.severity(r, cfg)
  local share = r.share or 0
  if r.flat == 0 then return S.HINT end
  if share >= cfg.error_share then return S.ERROR end
  if share >= cfg.warn_share then return S.WARN end
  return S.INFO
end

local HL = { [S.ERROR] = "GoEscapeHigh", [S.WARN] = "GoEscapeMedium", [S.INFO] = "GoEscapeLow",
  [S.HINT] = "GoEscapeNoCost" }

function M.hl_of(r, cfg) return HL[M.severity(r, cfg)] end

function M.qf_type(r, cfg)
  local s = M.severity(r, cfg)
  return s == S.ERROR and "E" or s == S.WARN and "W" or s == S.INFO and "I" or "N"
end

--- Highlight groups (linked to the diagnostic ones unless set) and the
-- signs of each severity, named as the groups.
function M.highlights(cfg)
  local links = { GoEscapeHigh = "DiagnosticError", GoEscapeMedium = "DiagnosticWarn",
    GoEscapeLow = "DiagnosticInfo", GoEscapeNoCost = "DiagnosticHint" }
  for name, to in pairs(links) do
    vim.api.nvim_set_hl(0, name, { link = to, default = true })
    vim.fn.sign_define(name, { text = cfg.sign_text, texthl = name })
  end
end

--- vim.diagnostic entries of a row: one per heap diagnostic (the compiler's
-- message after the line's cost), or one for a costed line the compiler
-- reported no heap move for (its inferred cause).
function M.diagnostics(r, cfg)
  local out = {}
  local sev = M.severity(r, cfg)
  local prefix = r.cost and (r.cost .. " · ") or ""
  for _, d in ipairs(r.diags or {}) do
    if d.heap then
      local msg = prefix .. d.message .. (d.count and (" (x%d)"):format(d.count) or "")
      if d.title then msg = msg .. " [" .. d.title .. "]" end
      out[#out + 1] = { lnum = r.line - 1, col = math.max((d.col or 1) - 1, 0), severity = sev,
        source = "goescape", message = msg, code = d.kind }
    end
  end
  if #out == 0 and r.flat ~= 0 then
    out[1] = { lnum = r.line - 1, col = 0, severity = sev, source = "goescape",
      message = prefix .. (r.advice and r.advice.title or "allocates")
        .. (r.advice and r.advice.inferred and " (no heap move reported by the compiler)" or "") }
  end
  return out
end

--- The floating window's lines for the rows of one source line.
function M.explanation(rows, model)
  local L = {}
  local function add(s) L[#L + 1] = s end
  for i, r in ipairs(rows) do
    if i > 1 then add("") end
    add(("%s:%d %s"):format(r.file, r.line, r.func or ""))
    if r.cost then
      add(("cost: %s of %s (cum %s)"):format(r.cost, model.sample or "the profile",
        r.cum and require("goescape.report.units").human(r.cum, model.unit) or "?"))
    elseif model.has_profile then
      add("cost: none in this profile")
    end
    for _, d in ipairs(r.diags or {}) do
      add(("%s%s (col %d)%s"):format(d.heap and "heap: " or "", d.message, d.col or 0,
        d.count and (" x%d"):format(d.count) or ""))
      if d.flow then add("  flow: " .. d.flow) end
    end
    local a = r.advice
    if a then
      add("reason: " .. (a.title or a.reason or "?")
        .. (a.not_in_log and " (from the source: the package has no diagnostics)"
          or a.inferred and " (no heap move reported by the compiler)" or ""))
      if a.callee then add("callee: " .. a.callee) end
      for _, c in ipairs(a.chain or {}) do add("  " .. c) end
      if a.why then add("why: " .. a.why) end
      if a.fix then add("fix: " .. a.fix) end
    end
    if r.others and #r.others > 0 then add("also: " .. table.concat(r.others, "; ")) end
  end
  return L
end

return M
