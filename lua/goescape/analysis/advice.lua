--- Why a value lives on the heap, and the usual fix: one short, correct
-- explanation per escape reason, read off a diagnostic's kind, subject and
-- -m=2 flow (the "from ... (REASON)" steps). Written for Go engineers.
--
--   local a = advice.explain(diag [, size])  --> {reason=, title=, why=, fix=} or nil
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

--- The reason key of a diagnostic (a key of M.reasons), or nil when the
-- diagnostic is not about a heap allocation. `siblings` are the other
-- diagnostics of the same line, when known (they tell go statements apart).
function M.reason(d, siblings)
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
  if has_reason(d, "too large for stack") then return "too_large" end
  if has_reason(d, "non-constant size") then return "non_constant_size" end
  local subj = d.subject or ""
  if has_expr_prefix(d, "go ") or is_go_wrapper(d, siblings) then return "goroutine" end
  if is_method_value(d) then return "method_value" end
  if has_expr_prefix(d, "defer ") then return "defer" end
  if has_reason(d, "captured by a closure") then return "closure" end
  if has_reason(d, "interface-converted") or subj:match("%.%.%. argument$") then
    return "interface"
  end
  -- An element of a variadic "... argument" slice that escapes on its own is
  -- boxed into the slice's interface elements (fmt.Println(x), log.Printf).
  local va = has_expr_prefix(d, "... argument")
  if va and va.reason == "slice-literal-element" and subj:sub(1, 1) ~= "&" then
    return "interface"
  end
  if has_reason(d, "return") and (has_reason(d, "address-of") or k == "moved_to_heap") then
    return "returned_address"
  end
  if has_reason(d, "key of map put") or has_reason(d, "map literal key")
    or has_reason(d, "map literal value") then
    return "map_put"
  end
  if has_reason(d, "send") then return "send" end
  if subj == "append" or subj:match("^append%(") then return "append" end
  if subj:match("^string%(") or subj:match("^%(%[%]byte%)") or subj:match("^%[%]byte%(") then
    return "string_bytes"
  end
  if has_reason(d, "call parameter") and not has_reason(d, "assign") then
    return "call_parameter"
  end
  if flows_to_heap(d) and has_reason(d, "assign") then return "global" end
  if subj:match("^make%(") and not d.flow then return "non_constant_size" end
  if subj:match("^func literal$") then return "closure" end
  if has_reason(d, "call parameter") then return "call_parameter" end
  if has_reason(d, "return") then return "returned_address" end
  return "escapes"
end

local function human_bytes(n)
  if n >= 1024 * 1024 then return ("%.1f MiB"):format(n / 1024 / 1024) end
  if n >= 1024 then return ("%.1f KiB"):format(n / 1024) end
  return ("%d bytes"):format(n)
end
M.human_bytes = human_bytes

--- {reason=, title=, why=, fix=, size=} for a diagnostic, or nil. `size` (bytes,
-- from DWARF or the caller) is mentioned in `why` when given; `siblings` as
-- for M.reason.
function M.explain(d, size, siblings)
  local key = M.reason(d, siblings)
  if not key then return nil end
  local r = R[key]
  local why = r.why
  if size and size > 0 then
    why = ("%s (%s: %s per allocation)"):format(why, d.subject or "it", human_bytes(size))
  end
  return { reason = key, title = r.title, why = why, fix = r.fix, size = size }
end

return M
