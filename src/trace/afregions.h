/* The spans and goroutine stacks of an AllocFree trace as regions of Go
 * memory over time (include/goescape/heapmap.h), gathered by the lifetimes
 * walk (allocfree.c) from Span/SpanAlloc/SpanFree and
 * GoroutineStack/GoroutineStackAlloc/GoroutineStackFree. */
#ifndef GE_TRACE_AFREGIONS_H
#define GE_TRACE_AFREGIONS_H
#include <stdint.h>

#include "core/vec.h"
#include "goescape/heapmap.h"
#include "trace/internal.h"

enum { GE_AF_SPANS, GE_AF_STACKS };

typedef struct ge_afregions {
  GE_VEC(ge_heapmap_region) r;
  ge_tr_map ids[2];      /* [GE_AF_SPANS]: span ids, [GE_AF_STACKS]: stack ids -> slot in open */
  GE_VEC(uint32_t) open; /* slot -> the region alive under that id (UINT32_MAX: none) */
} ge_afregions;

/* Region [lo, hi) of kind comes alive at `from` under id of map `which`
 * (INT64_MIN: it was alive when tracing began); one alive under the same
 * id ends there. Returns 0, -1 when out of memory. */
int ge_afregions_alloc(ge_afregions *a, int which, uint64_t id, uint64_t lo, uint64_t hi,
                       uint32_t kind, int64_t from);
/* The region alive under id ends at t (none: nothing happens). */
void ge_afregions_end(ge_afregions *a, int which, uint64_t id, int64_t t);
/* Drops the regions that ended as they began and the id maps. */
void ge_afregions_finish(ge_afregions *a);
void ge_afregions_free(ge_afregions *a);
#endif
