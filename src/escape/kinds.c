/* The closed set of diagnostic kinds: names (the API) and families.
 * doc/kinds.md documents every kind with an example message. */
#include <string.h>

#include "goescape.h"

static const struct {
  const char *name, *family;
} kinds[GE_K__COUNT] = {
    [GE_K_UNKNOWN] = {"unknown", "other"},
    [GE_K_MOVED_TO_HEAP] = {"moved_to_heap", "escape"},
    [GE_K_ESCAPES_TO_HEAP] = {"escapes_to_heap", "escape"},
    [GE_K_DOES_NOT_ESCAPE] = {"does_not_escape", "escape"},
    [GE_K_LEAKING_PARAM] = {"leaking_param", "escape"},
    [GE_K_LEAKING_PARAM_CONTENT] = {"leaking_param_content", "escape"},
    [GE_K_LEAKING_PARAM_RESULT] = {"leaking_param_result", "escape"},
    [GE_K_PARAM_LEAKS] = {"param_leaks", "escape"},
    [GE_K_TOO_LARGE_FOR_STACK] = {"too_large_for_stack", "escape"},
    [GE_K_NON_CONSTANT_SIZE] = {"non_constant_size", "escape"},
    [GE_K_CLOSURE_CAPTURE] = {"closure_capture", "escape"},
    [GE_K_UNSAFE_UINTPTR] = {"unsafe_uintptr", "escape"},
    [GE_K_ESCAPING_UINTPTR] = {"escaping_uintptr", "escape"},
    [GE_K_SELF_ASSIGNMENT] = {"self_assignment", "escape"},
    [GE_K_ZERO_COPY] = {"zero_copy", "escape"},
    [GE_K_STACK_COPY] = {"stack_copy", "other"},
    [GE_K_CAN_INLINE] = {"can_inline", "inline"},
    [GE_K_CANNOT_INLINE] = {"cannot_inline", "inline"},
    [GE_K_CANNOT_INLINE_CALL] = {"cannot_inline_call", "inline"},
    [GE_K_INLINING_CALL] = {"inlining_call", "inline"},
    [GE_K_DEVIRTUALIZED] = {"devirtualized", "inline"},
    [GE_K_PGO_DEVIRTUALIZED] = {"pgo_devirtualized", "inline"},
    [GE_K_BOUNDS_CHECK] = {"bounds_check", "other"},
    [GE_K_SLICE_BOUNDS_CHECK] = {"slice_bounds_check", "other"},
    [GE_K_BOUNDS_CHECK_ELIDED] = {"bounds_check_elided", "other"},
    [GE_K_NIL_CHECK] = {"nil_check", "other"},
    [GE_K_LIVE] = {"live", "other"},
    [GE_K_STACK_OBJECT] = {"stack_object", "other"},
    [GE_K_LOOPVAR] = {"loopvar", "other"},
    [GE_K_TRACE] = {"trace", "other"},
    [GE_K_MUTATES_PARAM] = {"mutates_param", "escape"},
    [GE_K_CALLS_PARAM] = {"calls_param", "escape"},
    [GE_K_BIG_FUNCTION] = {"big_function", "inline"},
    [GE_K_CANNOT_DEVIRTUALIZE] = {"cannot_devirtualize", "inline"},
    [GE_K_KEEP_ALIVE] = {"keep_alive", "other"},
    [GE_K_CLOSURE_GLOBAL] = {"closure_global", "other"},
    [GE_K_DEFER] = {"defer", "other"},
    [GE_K_COMPILE_ERROR] = {"compile_error", "other"},
    [GE_K_DEBUG] = {"debug", "other"},
};

const char *ge_kind_name(ge_kind k) {
  return (unsigned)k < GE_K__COUNT ? kinds[k].name : "unknown";
}

const char *ge_kind_family(ge_kind k) {
  return (unsigned)k < GE_K__COUNT ? kinds[k].family : "other";
}

ge_kind ge_kind_from_name(const char *name, size_t len) {
  for (int k = 0; k < GE_K__COUNT; k++)
    if (strlen(kinds[k].name) == len && memcmp(kinds[k].name, name, len) == 0)
      return (ge_kind)k;
  return GE_K__COUNT;
}
