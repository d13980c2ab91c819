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

local R = {}
M.reasons = R

R.too_large = {
  title = "too large for the stack",
  why = "Stack frames stay small: a variable over 128 KiB (10 MiB in older releases such as Go 1.19), or an "
    .. "implicit allocation (new, &T{}, make, a closure) over 64 KiB, is always heap-allocated.",
  fix = "Reuse the buffer (a field, a sync.Pool, or a caller-provided slice) instead of "
    .. "declaring it per call; or split it into smaller pieces.",
}
R.non_constant_size = {
  title = "make with a size known only at run time",
  why = "make([]T, n) can live on the stack only when n is a small constant "
    .. "(Go 1.25+ also stack-allocates up to 32 bytes for a variable n).",
  fix = "Use a constant size when there is a bound (make([]T, 0, 64)), or reuse a buffer "
    .. "across calls (sync.Pool, a field, buf = buf[:0]).",
}
R.returned_address = {
  title = "returned to the caller",
  why = "The function returns it, or a pointer, slice, map or closure that refers to it, "
    .. "so it must outlive the call's stack frame.",
  fix = "Return the value instead of a pointer when it is small, or let the caller pass "
    .. "the destination (func fill(p *T)) so it can stay in the caller's frame.",
}
R.interface = {
  title = "converted to an interface",
  why = "Storing a non-pointer value in an interface (any, error, fmt and log arguments) "
    .. "boxes it; when the interface escapes (fmt.Println's ...any does), the box is on "
    .. "the heap.",
  fix = "Keep hot paths free of fmt/log with values: use strconv.Append*, typed loggers "
    .. "(slog.Int, zap.Int), or log only when enabled; avoid any-typed parameters in hot "
    .. "functions.",
}
R.interface_pointer = {
  title = "stored in an interface that escapes",
  why = "A pointer stored in an interface is not boxed, but the interface escapes (an "
    .. "error or any that is returned, stored or passed to fmt/log), so the object it points "
    .. "to must be on the heap.",
  fix = "Keep the concrete type on hot paths (return *T rather than error or any), return "
    .. "sentinel errors (var ErrX = errors.New(...)) instead of new ones per call, or avoid "
    .. "passing the value through any.",
}
R.closure = {
  title = "captured by a closure",
  why = "A closure that outlives its function carries the variables it captures by "
    .. "reference (or the closure itself escapes), so they move to the heap.",
  fix = "Pass the value as an argument instead of capturing it, copy it into a local "
    .. "before the closure when it is not modified, or avoid storing the func value.",
}
R.goroutine = {
  title = "used by a goroutine",
  why = "A go statement's function and everything it captures must outlive the caller: "
    .. "they are heap-allocated.",
  fix = "Pass values as arguments to the goroutine's function (go f(x)), and reuse worker "
    .. "goroutines fed by a channel instead of one goroutine per item.",
}
R.defer = {
  title = "used by a deferred call in a loop",
  why = "A defer inside a loop (or one the compiler cannot open-code) allocates its "
    .. "record and captured values on the heap.",
  fix = "Move the loop body into its own function so that the defer runs once per call.",
}
R.global = {
  title = "stored where the heap can see it",
  why = "It is assigned to a global, a heap object, a map, a channel or a slice that "
    .. "escapes, so it must live on the heap.",
  fix = "Store values instead of pointers, keep the container local, or preallocate the "
    .. "objects in one slice ([]T) and store indexes.",
}
R.map_put = {
  title = "stored in a map",
  why = "Map keys and values that are pointers (or contain them) point into the map's "
    .. "heap storage.",
  fix = "Store values rather than pointers in the map, or keep the objects in a slice "
    .. "and map to indexes.",
}
R.send = {
  title = "sent on a channel",
  why = "A value sent on a channel can be received by any goroutine: what it points to "
    .. "escapes.",
  fix = "Send values, not pointers, when they are small; reuse buffers with a free list.",
}
R.leaking_param = {
  title = "a parameter leaks",
  why = "The function stores or returns what a parameter points to, so callers must "
    .. "heap-allocate whatever they pass.",
  fix = "Copy the data you keep (or take a value), so the parameter does not leak and "
    .. "callers' arguments can stay on their stacks.",
}
R.append = {
  title = "append growth",
  why = "append reallocates the backing array when it is full; the new array escapes "
    .. "when the slice does (it is returned, stored, or too large).",
  fix = "Preallocate: make([]T, 0, n) with the expected length, or reuse the slice "
    .. "(s = s[:0]).",
}
R.method_value = {
  title = "a method value",
  why = "x.M used as a func value binds x into a closure; when the func value escapes, "
    .. "the closure (and x) are heap-allocated.",
  fix = "Call the method directly, or pass a func literal that calls it on a value "
    .. "that does not escape.",
}
R.call_parameter = {
  title = "passed to a function that keeps it",
  why = "It is passed to a function whose parameter leaks (stores it, returns it, or "
    .. "hands it to an interface or goroutine).",
  fix = "Look at the callee's 'leaking param' diagnostic; change the callee to copy what "
    .. "it keeps, or inline-friendly code so escape analysis sees the whole use.",
}
R.string_bytes = {
  title = "string/[]byte conversion",
  why = "Converting between string and []byte copies the bytes to a new heap buffer "
    .. "when the result escapes or is larger than 32 bytes.",
  fix = "Keep one form on hot paths; use strings.Builder / bytes.Buffer, or the "
    .. "zero-copy forms the compiler recognizes (map lookups m[string(b)], comparisons).",
}
R.variadic_slice = {
  title = "variadic slice kept by the callee",
  why = "The call packs its ... arguments into a new slice; the callee's variadic "
    .. "parameter leaks (it stores the slice or passes it on), so the slice is allocated "
    .. "on the heap at every call.",
  fix = "Call a non-variadic form (a fixed-arity method, or a []T you build once and reuse), "
    .. "or change the callee so that it does not retain the slice (copy what it keeps).",
}
R.stored_in = {
  title = "stored in a value that escapes",
  why = "It is stored in another value (a field of a composite literal, an element) that "
    .. "itself lives on the heap, so it must outlive the call too.",
  fix = "Fix the container's escape first; then this value can stay on the stack with it.",
}
R.stored_in_returned = {
  title = "stored in a value returned to the caller",
  why = "It is stored in a value (a struct, slice or closure) that the function returns, "
    .. "so it must outlive the call's stack frame with that value.",
  fix = "Return the container by value, let the caller pass the buffer in, or size it with a "
    .. "constant so it can be embedded ([64]byte) instead of pointed to.",
}
R.go_or_defer = {
  title = "used by a goroutine or a deferred call",
  why = "A func value that the compiler sends to the heap with no other step is the "
    .. "function of a go statement or of a defer in a loop: it and what it captures must "
    .. "outlive the statement.",
  fix = "Pass values as arguments (go f(x)); move a defer out of the loop into a function "
    .. "called per iteration.",
}
R.map_growth = {
  title = "map growth",
  why = "A map allocates its buckets on the heap (runtime.makemap / mapassign) as it grows, "
    .. "whether or not the map itself escapes.",
  fix = "Give make(map[K]V, n) a size hint, reuse the map (clear(m)) instead of making a new "
    .. "one per call, or use a slice when the keys are small integers.",
}
R.make_chan = {
  title = "channel",
  why = "Channels are always allocated on the heap (runtime.makechan), with their buffer.",
  fix = "Create channels once (per worker, per connection) and reuse them, not per item.",
}
R.concat = {
  title = "string concatenation",
  why = "a + b builds a new string (runtime.concatstrings); results that escape or are "
    .. "longer than 32 bytes are allocated on the heap.",
  fix = "Build strings with strings.Builder (Grow once) or append to a reused []byte; "
    .. "avoid concatenation in loops.",
}
R.new_object = {
  title = "heap object",
  why = "runtime.newobject allocated it: the compiler put the value on the heap.",
  fix = "Follow the compiler's reason for the value (build with -gcflags=-m=2).",
}
R.make_slice = {
  title = "make of a slice",
  why = "make([]T, ...) allocates on the heap when its size is known only at run time or "
    .. "when the slice escapes (returned, stored, too large); the compiler's -m output says "
    .. "which.",
  fix = "Reuse the slice across calls (a field, sync.Pool, buf[:0]), or give it a constant "
    .. "size when there is a bound.",
}
R.chan_wait = {
  title = "blocking channel operation",
  why = "A goroutine that blocks on a channel (or in select) is queued with a runtime "
    .. "record (sudog); the runtime allocates these on the heap when its per-P cache is "
    .. "empty, and the profile charges them to the blocking line.",
  fix = "Usually small and amortized; if it grows, many goroutines are blocked at once: "
    .. "bound them (a worker pool) rather than blocking one per item.",
}
R.runtime_internal = {
  title = "allocated by the runtime itself",
  why = "Every frame of these samples is in the runtime (goroutine stacks, timers, "
    .. "profiling and GC metadata): no line of the program's own code allocated it.",
  fix = "Look at the callers in the flame graph; reduce goroutines, timers or profiling "
    .. "rate if this grows.",
}
R.not_in_log = {
  title = "no diagnostics for this package",
  why = "The escape log has no diagnostic for this file: its package was not compiled "
    .. "with -m (the -gcflags pattern covered other packages only).",
  fix = "Build with -gcflags=all=-m=2 (or 'PKG=-m=2' for this dependency) to get the "
    .. "compiler's reasons for this line.",
}
R.escapes = {
  title = "escapes",
  why = "Escape analysis could not prove the value dies with the function; the -m=2 flow "
    .. "shows the path to {heap}.",
  fix = "Follow the flow: the last step names the operation that makes it escape.",
}

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
local function allocating_subject(subj)
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
  local by_subj = allocating_subject(subj)
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
      text = ("passed to %s"):format(st.callee) }
    if not p then
      if ctx:dynamic_call(st.callee) then
        chain[#chain].dynamic = true
        chain[#chain].text = ("passed to %s, a call through an interface or a func value: "
          .. "escape analysis cannot see the callee and assumes it keeps its arguments")
          :format(st.callee)
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
    callee = chain and chain[1].text:match("^passed to (.*)$")
    if key == "variadic_slice" and p then
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
  return { reason = key, title = r.title, why = why, fix = fix, size = size, callee = callee,
    chain = chain }
end

-- How specific a reason is: the line's explanation is the most specific
-- one among its heap diagnostics, so that the order the compiler printed
-- them in (which differs across Go releases) does not change it.
local RANK = {
  too_large = 1, non_constant_size = 2, variadic_slice = 3, goroutine = 4, defer = 5,
  go_or_defer = 6, method_value = 7, stored_in_returned = 8, returned_address = 9, closure = 10,
  interface = 11, interface_pointer = 11, map_put = 12, send = 13, append = 14, string_bytes = 15, concat = 16, make_slice = 16,
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

-- Runtime allocators, as a profile's stack names them under the user's
-- frame or the call instruction at the line's address calls them (see
-- binary:call_target), and the reason each one means.
local RUNTIME = {
  growslice = "append", makeslice = "non_constant_size", makeslice64 = "non_constant_size",
  makeslicecopy = "non_constant_size", makemap = "map_growth", makemap_small = "map_growth",
  mapassign = "map_growth", mapassign_fast32 = "map_growth", mapassign_fast64 = "map_growth",
  mapassign_faststr = "map_growth", mapassign_fast64ptr = "map_growth", hashGrow = "map_growth",
  makechan = "make_chan", concatstrings = "concat", concatstring2 = "concat",
  concatstring3 = "concat", concatstring4 = "concat", concatstring5 = "concat",
  concatbytes = "concat", slicebytetostring = "string_bytes", stringtoslicebyte = "string_bytes",
  stringtoslicerune = "string_bytes", slicerunetostring = "string_bytes",
  intstring = "string_bytes", rawstring = "string_bytes", rawbyteslice = "string_bytes",
  newproc = "goroutine", deferproc = "defer", newobject = "new_object",
  chanrecv1 = "chan_wait", chanrecv2 = "chan_wait", chansend1 = "chan_wait", selectgo = "chan_wait",
  convT = "interface", convTnoptr = "interface", convT16 = "interface", convT32 = "interface",
  convT64 = "interface", convTstring = "interface", convTslice = "interface",
  convT2E = "interface", convT2I = "interface",
}
M.runtime_allocators = RUNTIME

--- The reason a runtime function means when a line calls it to allocate
-- ("runtime.growslice" -> "append"), or nil.
function M.runtime_reason(func)
  local name = func:match("^runtime%.([%w_]+)$") or func:match("^internal/runtime/[%w_/]+%.([%w_]+)$")
  return name and RUNTIME[name] or nil
end

--- {reason=, title=, why=, fix=} of a reason key, as it is written.
function M.fixed(key)
  local r = R[key]
  return { reason = key, title = r.title, why = r.why, fix = r.fix }
end

-- The reason for a "does not escape" subject that still allocates: its
-- size or growth is decided at run time.
local function silent_reason(subj)
  local by_subj = allocating_subject(subj)
  if by_subj then return by_subj end
  if subj:match("^make%(chan") then return "make_chan" end
  if subj:match("^make%(map") or subj:match("^map%[.*%]") then return "map_growth" end
  local sz = subj:match("^make%(%[%][^,]*,%s*(.-)%)$")
  if sz then
    local len = sz:match("^([^,]*)")
    if not len:match("^%d+$") then return "non_constant_size" end
    return nil
  end
  return nil
end

local SOURCE_PATTERNS = {
  { "make%(%s*chan[%s%(]", "make_chan" }, { "^%s*go%s", "goroutine" },
  { "append%(", "append" }, { "make%(%s*map%[", "map_growth" },
  { "make%(%s*%[%]", "make_slice" }, { "strings%.Builder", "concat" },
  { "<%-", "chan_wait" }, { "^%s*select%s*{", "chan_wait" },
}

-- Whether a line assigns into a map: "m[k] = v" (or op=, ++) where m is
-- declared as a map in the lines above it (the function's own lines, at
-- most 200): a map grows its buckets on the heap as it fills.
local function map_assigned(text, env, file, line)
  local name = text:match("^%s*([%a_][%w_]*)%[.-%]%s*[%+%-%*/|&%^]?=[^=]")
    or text:match("^%s*([%a_][%w_]*)%[.-%]%s*%+%+")
  if not name then return false end
  local f = env.ctx and env.ctx:func_at(file, line)
  local first = f and f.line or math.max(1, line - 200)
  if line - first > 200 then first = line - 200 end
  local pats = { "%f[%w_]" .. name .. "%s*:=%s*map%[", "%f[%w_]" .. name .. "%s*:=%s*make%(%s*map%[",
    "%f[%w_]" .. name .. "%s*=%s*make%(%s*map%[", "%f[%w_]" .. name .. "%s*=%s*map%[",
    "%f[%w_]" .. name .. "%s+map%[" }
  for l = line - 1, first, -1 do
    local t = env.source(file, l)
    if t then
      for _, p in ipairs(pats) do if t:match(p) then return true end end
    end
  end
  return false
end

--- A cause for a costed line whose diagnostics report no heap move, or nil:
-- {reason=, title=, why=, fix=, inferred = "stack"|"log"|"source"}.
-- env.runtime (or env.runtime_of(), asked only here): the runtime function
-- that allocated under this line; recs: the line's diagnostics; env.source as above;
-- not_in_log: the log has nothing for this file (the package was not
-- compiled with -m), so silence is no evidence.
function M.infer(recs, env, file, line, not_in_log)
  local key, via, what
  local rt = env and (env.runtime or (env.runtime_of and env.runtime_of()))
  local rk = rt and M.runtime_reason(rt)
  if rk then key, via, what = rk, "stack", rt end
  if not key then
    for _, d in ipairs(recs or {}) do
      if d.kind == "does_not_escape" and d.subject then
        local k = silent_reason(d.subject)
        if k and (not key or (RANK[k] or 99) < (RANK[key] or 99)) then
          key, via, what = k, "log", d.subject .. " does not escape"
        end
      end
    end
  end
  if not key and env and env.source and file and line then
    local text = env.source(file, line)
    if text then
      for _, p in ipairs(SOURCE_PATTERNS) do
        if text:match(p[1]) then key, via, what = p[2], "source", nil break end
      end
      if not key and map_assigned(text, env, file, line) then key, via = "map_growth", "source" end
    end
  end
  if not key then return nil end
  local r = R[key]
  local note
  if via == "stack" then
    note = ("This line calls %s, which allocated; %s. "):format(what, not_in_log
      and "the escape log has no diagnostics for this package (it was not compiled with -m)"
      or "the compiler reported no heap move here")
  elseif via == "log" then
    note = ("The compiler reported no heap move here (%s), but the allocation is made at run "
      .. "time: "):format(what)
  elseif not_in_log then
    note = "The escape log has no diagnostics for this package (it was not compiled with -m); "
      .. "its source line shows the cause: "
  else
    note = "The compiler reported no heap move for this line; its source shows the cause: "
  end
  local fix = r.fix
  if not_in_log then fix = fix .. " " .. R.not_in_log.fix end
  return { reason = key, title = r.title, why = note .. r.why, fix = fix, inferred = via,
    not_in_log = not_in_log or nil }
end

return M
