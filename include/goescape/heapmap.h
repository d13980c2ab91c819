/* goescape — what Go memory an address was at a time: heap spans,
 * goroutine stacks and the spans the runtime manages by hand (stack spans,
 * GC work buffers), each alive over an interval of time.
 *
 * perf sees all of Go's arenas as one anonymous mapping; an execution
 * trace recorded with GODEBUG=traceallocfree=1 in the same run names every
 * span and goroutine stack with its address, size and the times it was
 * allocated and freed (ge_trace_lifetimes_regions builds the regions). A
 * cursor then answers "what was addr at time t" for samples read in time
 * order, as `perf script` prints them: it replays the allocations and frees
 * up to t into two page maps, so a lookup costs the same whatever the
 * trace's length. */
#ifndef GOESCAPE_HEAPMAP_H
#define GOESCAPE_HEAPMAP_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ge_heapmap_kind {
  GE_HEAPMAP_NONE = 0, /* no region: memory outside the heap's spans */
  GE_HEAPMAP_HEAP,     /* a span of heap objects */
  GE_HEAPMAP_STACK,    /* a goroutine's stack */
  GE_HEAPMAP_MANUAL    /* a span the runtime manages by hand, outside any live goroutine stack */
} ge_heapmap_kind;

typedef struct ge_heapmap_region {
  uint64_t lo, hi;  /* [lo, hi) */
  int64_t from, to; /* alive over [from, to), ns on the trace's clock; INT64_MIN:
                       alive when the trace began, INT64_MAX: never freed in it */
  uint32_t kind;    /* ge_heapmap_kind */
} ge_heapmap_region;

typedef struct ge_heapmap ge_heapmap;

/* Copies n regions. [first, last] is the time the trace covers. Stack
 * regions are mapped in units of stack_unit bytes, the others in units of
 * span_unit (the runtime's fixed stack size and page size; powers of two).
 * GE_ERR_LIMIT when the regions cover more than 2^26 units in all (the
 * replay's cost), GE_ERR_FORMAT for a region that ends before it begins. */
GE_API ge_err ge_heapmap_new(const ge_heapmap_region *r, size_t n, int64_t first, int64_t last,
                             uint64_t span_unit, uint64_t stack_unit, ge_heapmap **out,
                             ge_error *err);
GE_API void ge_heapmap_free(ge_heapmap *m);
GE_API size_t ge_heapmap_regions(const ge_heapmap *m, const ge_heapmap_region **out);

typedef struct ge_heapmap_cursor ge_heapmap_cursor;

GE_API ge_err ge_heapmap_cursor_new(const ge_heapmap *m, ge_heapmap_cursor **out, ge_error *err);
GE_API void ge_heapmap_cursor_free(ge_heapmap_cursor *c);

enum {
  GE_HEAPMAP_OUTSIDE = 1, /* t is outside the trace's time: the state at its start or end */
  GE_HEAPMAP_BEHIND = 2,  /* t is before a time asked earlier: the state at that later time */
  GE_HEAPMAP_FULL = 4     /* the page maps hit their memory cap: some regions are missing */
};

/* What addr was at time t (ns on the trace's clock; t of 0 and no time:
 * pass INT64_MAX for the state at the trace's end). Times should come in
 * order; *flags (GE_HEAPMAP_*) says when the answer is not exact. The
 * cursor belongs to its map, which must outlive it. */
GE_API ge_heapmap_kind ge_heapmap_cursor_at(ge_heapmap_cursor *c, uint64_t addr, int64_t t,
                                            unsigned *flags);

#ifdef __cplusplus
}
#endif
#endif
