--- The words of every escape reason: a title, why the value lives on the
-- heap, and the usual fix, written for Go engineers. goescape.analysis.advice
-- picks the reason of a diagnostic; this table is all it says about each
-- (doc/explanations.md lists when each applies).
local R = {}

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
R.dynamic_call = {
  title = "passed to a func value",
  why = "It is passed to a call through a func value: escape analysis cannot see the "
    .. "callee, so it assumes the callee keeps its arguments.",
  fix = "On a hot path, call a function or method directly instead (escape analysis then "
    .. "sees what the callee does with the argument), or pass a value built once and reused.",
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

return R
