--- Why a value lives on the heap, and the usual fix: one short, correct
-- explanation per escape reason, read off a diagnostic's kind, subject and
-- -m=2 flow (the "from ... (REASON)" steps). Written for Go engineers.
--
--   local a = advice.explain(diag [, size [, siblings [, env]]])
--     --> {reason=, title=, why=, fix=, size=, callee=, chain=} or nil
--   local l = advice.line(records, env)   --> the line's explanation (see below)
--   local a = advice.infer(records, env)  --> a cause for a line the compiler
--                                              reported no heap move for
--
-- env (optional): {ctx = logctx.new(log), source = function(file, line) -> text,
-- no_chain = true} lets an explanation follow a record into the callee's
-- "leaking param" (not with no_chain), into the container it is stored in,
-- or into the source line.
local M = {}

local R = require "goescape.analysis.reasons"
M.reasons = R

local function has_reason(d, reason)
  for _, s in ipairs(d.flow or {}) do
    if s.reason == reason then return s end
  end
end

local function has_expr_prefix(d, prefix)
  for _, s in ipairs(d.flow or {}) do
    if s.expr and s.expr:sub(1, #prefix) == prefix then return s end
  end
end

local function flows_to_heap(d)
  for _, s in ipairs(d.flow or {}) do
    if s.type == "flow" and s.dst == "{heap}" then return true end
  end
end

-- The last hop of the flow: where the value ends up ("{heap}", "~r0",
-- "{storage for &T{...}}").
local function final_dst(d)
  local last
  for _, s in ipairs(d.flow or {}) do
    if s.dst then last = s.dst end
  end
  return last
end

local function last_step(d, pred)
  local flow = d.flow or {}
  for i = #flow, 1, -1 do
    if flow[i].type == "from" and (not pred or pred(flow[i])) then return flow[i] end
  end
end

-- "append", "string_bytes" or "concat" when the subject itself is an
-- append, a string/[]byte/[]rune conversion or a concatenation; else nil.
function M.allocating_subject(subj)
  if subj == "append" or subj:match("^append%(") then return "append" end
  if subj:match("^string%(") or subj:match("^%(%[%]byte%)") or subj:match("^%[%]byte%(")
    or subj:match("^%(%[%]rune%)") then
    return "string_bytes"
  end
  if subj:match(" %+ ") and not subj:match("^&") and not subj:match("^func") then return "concat" end
  return nil
end

-- A func literal that goes to the heap with no step but its own spill: the
-- function of a go statement, or of a defer the compiler cannot open-code.
local function spill_only(d)
  local flow = d.flow
  if not flow or #flow == 0 then return false end
  for _, s in ipairs(flow) do
    if s.type == "from" and s.reason ~= "spill" then return false end
    if s.type == "flow" and s.dst ~= "{heap}" then return false end
  end
  return true
end

--- True when the subject is a constant (a string, number, rune or bool
-- literal, possibly under conversions such as "(interface {})(string(\"x\"))"):
-- converting a constant to an interface points at static data and allocates
-- nothing, although the compiler reports it as escaping.
function M.is_constant(subj)
  local s = subj or ""
  for _ = 1, 8 do
    local inner = s:match("^%b()%((.*)%)$") or s:match("^[%w_%.]+%((.*)%)$")
    if not inner then break end
    s = inner
  end
  -- (the compiler cuts long literals: "expected an error when ...)
  return s:match('^"') ~= nil and (s:match('"$') ~= nil or s:match('%.%.%.$') ~= nil)
    or s:match("^`.*`$") ~= nil
    or s:match("^'.*'$") ~= nil
    or s:match("^%-?%d[%w%.%+%-]*$") ~= nil
    or s == "true" or s == "false"
end

-- A go statement's wrapper closure (Go 1.21+): a "func literal" at a
-- position where the compiler also reports capturing compiler temporaries.
local function is_go_wrapper(d, siblings)
  if d.subject ~= "func literal" then return false end
  for _, o in ipairs(siblings or {}) do
    if o.kind == "closure_capture" and (o.subject or ""):match("^%.autotmp_")
      and o.line == d.line and o.col == d.col then
      return true
    end
  end
  return false
end

-- A method value x.M: the first hop stores "{storage for x.M}" and the value
-- is not an interface element.
local function is_method_value(d)
  local subj = d.subject or ""
  if not subj:match("^[%w_]+%.[%a_][%w_]*$") then return false end
  local first = d.flow and d.flow[1]
  return first and first.type == "flow" and first.src == "&{storage for " .. subj .. "}"
    and not has_reason(d, "slice-literal-element") and not has_reason(d, "interface-converted")
end

-- "goroutine", "defer" or nil for a func literal that only spills to the
-- heap: the source line says which statement it is; without it, the
-- enclosing function's inliner verdict ("unhandled op GO") does.
local function go_or_defer(d, env)
  if env and env.source and d.line then
    local text = env.source(d.file, d.line)
    if text then
      local before = d.col and d.col > 0 and text:sub(1, d.col - 1) or text
      if before:match("go%s*$") then return "goroutine" end
      if before:match("defer%s*$") then return "defer" end
    end
  end
  local f = env and env.ctx and d.file and d.line and env.ctx:func_at(d.file, d.line)
  -- The closure itself may be the function found ("F.func1" at the literal).
  if f and f.line == d.line and f.name:match("%.func%d+$") and env.ctx then
    local outer = env.ctx:func_at(d.file, d.line - 1)
    f = outer or f
  end
  if f and f.unhandled == "GO" then return "goroutine" end
  if f and f.unhandled == "DEFER" then return "defer" end
  return nil
end

local reason_of

-- For a value captured by a closure: the reason of that closure when it is a
-- go statement's or a deferred function ("goroutine"/"defer"), else nil.
local function captured_by(d, env, depth)
  local st = has_reason(d, "captured by a closure")
  if not st or not env or not env.ctx or not st.file then return nil end
  local lit = env.ctx:storage("func literal", st.file, st.line)
  if not lit or lit.index == d.index then return nil end
  local r = reason_of(lit, nil, env, depth + 1)
  if r == "goroutine" or r == "defer" then return r end
  return nil
end

-- The container a value is stored in ("{storage for &T{...}}"), with its
-- own record when the log has it.
local function container(d, env)
  local dst = final_dst(d)
  local subj = dst and dst:match("^{storage for (.*)}$")
  if not subj or subj == d.subject then return nil end
  local st = last_step(d)
  local rec = env and env.ctx and env.ctx:storage(subj, st and st.file or d.file, st and st.line or d.line)
  return subj, rec
end

reason_of = function(d, siblings, env, depth)
  depth = depth or 0
  local k = d.kind
  if k == "leaking_param" or k == "leaking_param_content" or k == "leaking_param_result"
    or k == "param_leaks" then
    return "leaking_param"
  end
  if k == "too_large_for_stack" then return "too_large" end
  if k == "non_constant_size" then return "non_constant_size" end
  if k == "closure_capture" then return d.target == "ref" and "closure" or nil end
  if k == "zero_copy" then return "string_bytes" end
  if k ~= "moved_to_heap" and k ~= "escapes_to_heap" then return nil end
  local subj = d.subject or ""
  if M.is_constant(subj) then return nil end
  if has_reason(d, "too large for stack") then return "too_large" end
  if has_reason(d, "non-constant size") then return "non_constant_size" end
  if subj == "... argument" and not has_reason(d, "slice-literal-element") then
    return "variadic_slice"
  end
  if has_expr_prefix(d, "go ") or is_go_wrapper(d, siblings) then return "goroutine" end
  if subj == "func literal" and spill_only(d) then
    return go_or_defer(d, env) or "go_or_defer"
  end
  if is_method_value(d) then return "method_value" end
  if has_expr_prefix(d, "defer ") then return "defer" end
  if has_reason(d, "captured by a closure") then
    return depth < 4 and captured_by(d, env, depth) or "closure"
  end
  if has_reason(d, "interface-converted") or subj:match("%.%.%. argument$") then
    -- A pointer, func or map stored in an interface is not boxed: what it
    -- points to escapes with the interface.
    if subj:match("^&") or subj:match("^new%(") or subj == "func literal" or subj:match("^make%(") then
      return "interface_pointer"
    end
    return "interface"
  end
  -- An element of a variadic "... argument" slice that escapes on its own is
  -- boxed into the slice's interface elements (fmt.Println(x), log.Printf).
  local va = has_expr_prefix(d, "... argument")
  if va and va.reason == "slice-literal-element" and subj:sub(1, 1) ~= "&" then
    return "interface"
  end
  -- The subject names what allocates when it is an append, a conversion or
  -- a concatenation, whatever makes the result escape (return, store).
  local by_subj = M.allocating_subject(subj)
  if by_subj then return by_subj end
  if has_reason(d, "return") and (has_reason(d, "address-of") or k == "moved_to_heap") then
    return "returned_address"
  end
  if has_reason(d, "key of map put") or has_reason(d, "map literal key")
    or has_reason(d, "map literal value") then
    return "map_put"
  end
  if has_reason(d, "send") then return "send" end
  if has_reason(d, "call parameter") and not has_reason(d, "assign") then
    return "call_parameter"
  end
  if flows_to_heap(d) and has_reason(d, "assign") then return "global" end
  if subj:match("^make%(") and not d.flow then return "non_constant_size" end
  if subj:match("^func literal$") then return "closure" end
  if has_reason(d, "call parameter") then return "call_parameter" end
  if has_reason(d, "return") then return "returned_address" end
  local csubj, crec = container(d, env)
  if csubj then
    if crec and depth < 4 then
      local cr = reason_of(crec, nil, env, depth + 1)
      if cr == "returned_address" or cr == "stored_in_returned" then return "stored_in_returned" end
    end
    return "stored_in"
  end
  return "escapes"
end

--- The reason key of a diagnostic (a key of M.reasons), or nil when the
-- diagnostic is not about a heap allocation (constants converted to an
-- interface are not: they point at static data). `siblings` are the other
-- diagnostics of the same line, when known (they tell go statements apart);
-- `env` as in the module comment.
function M.reason(d, siblings, env) return reason_of(d, siblings, env, 0) end

local human_bytes = require("goescape.report.units").bytes
M.human_bytes = human_bytes

local function pos(file, line, col)
  if not file then return "?" end
  if col and col > 0 then return ("%s:%d:%d"):format(file, line or 0, col) end
  return ("%s:%d"):format(file, line or 0)
end

-- The chain of a call-parameter escape: the call in the caller, the
-- callee's parameter, where the callee leaks it; followed through callees
-- that pass it on (a few levels, no cycles). Each link {file=, line=, col=,
-- func=, text=}.
local function call_chain(d, env, hint)
  local ctx = env and env.ctx
  if not ctx then return nil end
  local chain, seen = {}, {}
  local rec, pkg = d, d.package
  for _ = 1, 5 do
    local st = last_step(rec, function(s) return s.callee ~= nil end)
    if not st then break end
    local prev
    for i, s in ipairs(rec.flow) do
      if s == st then prev = rec.flow[i - 1] break end
    end
    -- The argument: the previous step's expression, or the hop's source
    -- when the call is the hop's first step ("{heap} <- fields").
    local arg = hint or (prev and prev.type == "from" and prev.expr)
      or (st.src and st.src:gsub("^[&*]+", "")) or nil
    hint = nil
    local p = ctx:callee_param(st, pkg, arg)
    chain[#chain + 1] = { file = st.file, line = st.line, col = st.col, func = rec.func,
      target = st.callee, text = ("passed to %s"):format(st.callee) }
    if not p then
      local dyn = ctx:dynamic_call(st.callee, pkg)
      if dyn == "value" then
        chain[#chain].dynamic, chain[#chain].certain = true, true
        chain[#chain].text = ("passed to %s, a func value: escape analysis cannot see the "
          .. "callee and assumes it keeps its arguments"):format(st.callee)
      elseif dyn then
        chain[#chain].dynamic = true
        chain[#chain].text = ("passed to %s, which the log has no parameter records for: a "
          .. "call through an interface or a func value (escape analysis cannot see the callee "
          .. "and assumes it keeps its arguments), or a function of a package built without "
          .. "-m=2 whose export data says it keeps them"):format(st.callee)
      end
      break
    end
    local key = p.package .. "\0" .. p.func .. "\0" .. p.name
    if seen[key] then break end
    seen[key] = true
    chain[#chain + 1] = { file = p.file, line = p.line, col = p.col, func = p.func,
      package = p.package, param = p.name, callee = st.callee,
      text = ("parameter %s of %s leaks%s"):format(p.name, st.callee,
        p.leaks_to and (" to " .. p.leaks_to) or "") }
    local fr = p.flow_record
    local leak = fr and last_step(fr)
    if not leak then break end
    if not leak.callee then
      chain[#chain + 1] = { file = leak.file, line = leak.line, col = leak.col, func = p.func,
        text = ("%s (%s)"):format(leak.expr or "?", leak.reason or "?") }
      break
    end
    rec, pkg = fr, p.package
  end
  return #chain > 0 and chain or nil
end
M.call_chain = call_chain

local function chain_text(chain)
  local parts = {}
  for _, c in ipairs(chain) do parts[#parts + 1] = ("%s (%s)"):format(c.text, pos(c.file, c.line, c.col)) end
  return table.concat(parts, ", then ")
end

--- {reason=, title=, why=, fix=, size=, callee=, chain=} for a diagnostic,
-- or nil. `size` (bytes, from DWARF or the caller) is mentioned in `why`
-- when given; `siblings`, `env` as for M.reason.
function M.explain(d, size, siblings, env)
  local key = M.reason(d, siblings, env)
  if not key then return nil end
  local r = R[key]
  local why, fix, callee, chain = r.why, r.fix, nil, nil
  if (key == "variadic_slice" or key == "call_parameter") and not (env and env.no_chain) then
    chain = call_chain(d, env, key == "variadic_slice" and "... argument" or nil)
    local p = chain and chain[2]
    callee = chain and chain[1].target
    if chain and chain[1].certain then
      -- The first callee is unknown to the compiler: the advice is about the call.
      local slice = key == "variadic_slice"
      key = "dynamic_call"
      why = ("%s %s, a func value: escape analysis "
        .. "cannot see the callee, so it assumes the callee keeps %s, which is therefore "
        .. "allocated on the heap at every call."):format(slice
          and "The call packs its ... arguments into a new slice and passes it to"
          or "It is passed to", callee, slice and "the slice" or "it")
      fix = ("On a hot path, call a function or method directly instead of %s (escape analysis "
        .. "then sees what the callee does with %s), or pass %s built once and reused.")
        :format(callee, slice and "the slice" or "it", slice and "a slice" or "a value")
    elseif key == "variadic_slice" and p then
      local rest = {}
      for i = 2, #chain do rest[#rest + 1] = chain[i] end
      why = ("The call packs its ... arguments into a new slice and passes it to %s, which "
        .. "keeps it: %s. So the slice is allocated on the heap at every call.")
        :format(callee, chain_text(rest))
      fix = ("Call a non-variadic form of %s (a fixed-arity method, or a []T built once and "
        .. "reused), or change %s so that it does not retain %s (copy what it keeps).")
        :format(callee, p.func, p.param)
    elseif key == "variadic_slice" and callee then
      why = ("The call packs its ... arguments into a new slice, and %s's variadic parameter "
        .. "leaks (the log has no diagnostics for its package to say where), so the slice is "
        .. "allocated on the heap at every call."):format(callee)
    elseif key == "call_parameter" and p then
      local rest = {}
      for i = 2, #chain do rest[#rest + 1] = chain[i] end
      why = ("It is passed to %s, which keeps it: %s."):format(callee, chain_text(rest))
      fix = ("Change %s to copy what it keeps of %s (or take a value), or avoid passing a "
        .. "pointer on this path."):format(p.func, p.param)
    end
  elseif key == "stored_in" or key == "stored_in_returned" then
    local csubj = container(d, env)
    if csubj then
      why = ("It is stored in %s, which %s."):format(csubj, key == "stored_in_returned"
        and "the function returns (directly or through another value), so it must outlive the call"
        or "lives on the heap itself, so it must too")
    end
  end
  if size and size > 0 then
    why = ("%s (%s: %s per allocation)"):format(why, d.subject or "it", human_bytes(size))
  end
  return { reason = key, title = R[key].title, why = why, fix = fix, size = size, callee = callee,
    chain = chain }
end

-- How specific a reason is: the line's explanation is the most specific
-- one among its heap diagnostics, so that the order the compiler printed
-- them in (which differs across Go releases) does not change it.
local RANK = {
  too_large = 1, non_constant_size = 2, variadic_slice = 3, dynamic_call = 3, goroutine = 4, defer = 5,
  go_or_defer = 6, method_value = 7, stored_in_returned = 8, returned_address = 9, closure = 10,
  interface = 11, interface_pointer = 11, map_put = 12, send = 13, append = 14, string_bytes = 15,
  concat = 16, make_slice = 16,
  map_growth = 17, make_chan = 18, call_parameter = 19, global = 20, stored_in = 21,
  leaking_param = 22, new_object = 23, escapes = 24, chan_wait = 25, runtime_internal = 26, not_in_log = 27,
}
M.rank = RANK

-- Heap kinds, and the older wordings that annotate one (they carry its reason).
local HEAP = { too_large_for_stack = true, non_constant_size = true }
for k in pairs(require("goescape.escape").HEAP) do HEAP[k] = true end

--- Folds identical diagnostics of a line (generic instantiations repeat a
-- record; logs concatenated from several builds repeat lines): one view per
-- (kind, message, col), with `count`.
function M.fold(recs)
  local out, at = {}, {}
  for _, d in ipairs(recs) do
    local key = d.kind .. "\0" .. (d.message or "") .. "\0" .. (d.col or 0)
    local v = at[key]
    if v then
      v.count = v.count + 1
    else
      v = { rec = d, count = 1 }
      at[key] = v
      out[#out + 1] = v
    end
  end
  return out
end

--- The explanation of a source line from its diagnostics: {best=,
-- others={advice...}, folded={ {rec=, count=, advice=}... }, heap=}. `best` is the
-- advice of the heap diagnostic with the most specific reason (ties: the
-- lower column, then the subject), or of any diagnostic with advice when
-- no heap diagnostic has one (heap = false then); `others` are the other
-- distinct reasons.
-- env.size(d) may give a byte size for a record.
function M.line(recs, env)
  local folded = M.fold(recs)
  local cands = {}
  for _, v in ipairs(folded) do
    local d = v.rec
    v.advice = M.explain(d, env and env.size and env.size(d) or nil, recs, env)
    if v.advice then cands[#cands + 1] = v end
  end
  table.sort(cands, function(a, b)
    local ha, hb = HEAP[a.rec.kind] and 0 or 1, HEAP[b.rec.kind] and 0 or 1
    if ha ~= hb then return ha < hb end
    local ra, rb = RANK[a.advice.reason] or 99, RANK[b.advice.reason] or 99
    if ra ~= rb then return ra < rb end
    local ca, cb = a.rec.col or 0, b.rec.col or 0
    if ca ~= cb then return ca < cb end
    return (a.rec.subject or "") < (b.rec.subject or "")
  end)
  local best = cands[1] and cands[1].advice
  local others, seen = {}, { [best and best.reason or ""] = true }
  for i = 2, #cands do
    local a = cands[i].advice
    if not seen[a.reason] then
      seen[a.reason] = true
      others[#others + 1] = { reason = a.reason, title = a.title, subject = cands[i].rec.subject }
    end
  end
  return { best = best, others = others, folded = folded,
    heap = cands[1] ~= nil and HEAP[cands[1].rec.kind] == true }
end

--- The explanation of a costed source line: M.line's, or, when no
-- diagnostic of the line reports a heap move, the cause M.infer finds (the
-- line's own reason then joins `others`). Returns the M.line table with
-- `best` set accordingly; `absent` as infer's not_in_log.
function M.row(recs, env, file, line, absent)
  local l = M.line(recs, env)
  if not l.heap then
    local inferred = M.infer(recs, env, file, line, absent)
    if inferred then
      if l.best then table.insert(l.others, 1, { reason = l.best.reason, title = l.best.title }) end
      l.best = inferred
    end
  end
  return l
end

-- Causes for lines the compiler reported no heap move for live in
-- goescape.analysis.silent; they are part of this module's face.
local silent = require "goescape.analysis.silent"
M.runtime_allocators = silent.runtime_allocators
M.runtime_reason = silent.runtime_reason
M.infer = silent.infer

--- A line's advice when most of its allocations are a sync.Pool refilling
-- itself (New called from sync.(*Pool).Get): the escape is what the pool
-- needs, so the fix is about how often New runs, not about the escape.
-- `a` is the line's advice (or nil), `share` the fraction of the line's
-- allocations under Get. Returns a copy with `pool` = share.
M.POOL_GET = "sync.(*Pool).Get"
function M.pooled(a, share)
  local out = {}
  for k, v in pairs(a or R.escapes) do out[k] = v end
  if not a then out.reason = "escapes" end
  out.pool = share
  out.title = (out.title or "on the heap") .. ", made by a sync.Pool's New"
  out.why = ("%s %d%% of this line's allocations are a sync.Pool's New function, called by "
    .. "sync.(*Pool).Get when the pool is empty: the pool hands the object out to be reused, "
    .. "so it has to be on the heap."):format(out.why or "", math.floor(share * 100 + 0.5))
    :gsub("^ ", "")
  out.fix = "The escape is what a pool is for; what costs is how often New runs. Get finds the "
    .. "pool empty after garbage collections (an object not taken again within two cycles is "
    .. "dropped) and when more objects are out at once than were put back. Make GCs rarer "
    .. "(GOGC, GOMEMLIMIT), Put every object back when done (a Get without a Put is an "
    .. "allocation on the next Get), and leave out of the pool the buffers that grew far "
    .. "beyond the usual size."
  return out
end

--- {reason=, title=, why=, fix=} of a reason key, as it is written.
function M.fixed(key)
  local r = R[key]
  return { reason = key, title = r.title, why = r.why, fix = r.fix }
end

return M
