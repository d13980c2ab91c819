/* Go function names as profiles and stacks print them. */
#ifndef GE_CORE_GONAME_H
#define GE_CORE_GONAME_H
#include <string.h>

#include "goescape.h"

/* A function of the runtime: runtime.mallocgc, makeslice, ... and, since Go
 * 1.24, internal/runtime/maps.newarray and its kin. Allocation sites skip
 * these frames, as Go's heap profiles hide them. */
static inline int ge_is_runtime_func(ge_strview f) {
  return (f.len >= 8 && memcmp(f.ptr, "runtime.", 8) == 0) ||
         (f.len >= 17 && memcmp(f.ptr, "internal/runtime/", 17) == 0);
}
#endif
