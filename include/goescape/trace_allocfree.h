/* goescape — heap object lifetimes from a trace recorded with
 * GODEBUG=traceallocfree=1 (Go 1.23+: the AllocFree experiment).
 *
 * With that setting the runtime writes an event for every heap object
 * allocated (HeapObjectAlloc: its address and a type id) and freed by the
 * sweeper (HeapObjectFree: its address), the objects, spans and goroutine
 * stacks alive when tracing began (HeapObject, Span, GoroutineStack), and
 * per generation an experimental batch with the table of the types it
 * named (id -> the type's address, size, pointer bytes and name). A walk
 * over the events matches frees to allocations by address and aggregates
 * them by type: how many were allocated and freed, how many are live at the
 * end, and how long the freed ones lived, in GC cycles survived and in ns.
 */
#ifndef GOESCAPE_TRACE_ALLOCFREE_H
#define GOESCAPE_TRACE_ALLOCFREE_H
#include "heapmap.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_trace_lifetimes ge_trace_lifetimes;

#define GE_TRACE_SURVIVED 4 /* buckets of GC cycles survived: 0, 1, 2, 3 or more */

/* One type (one runtime type: its address in the program; two types of the
 * same name are two rows). Row 0-size types with no name are the objects
 * the runtime recorded without a type (type id 0: raw memory, and objects
 * of the start-of-trace snapshot in spans without pointers). */
typedef struct ge_trace_lt_type {
  ge_strview name;            /* the runtime's type string: "main.node", "[]uint8"... */
  uint64_t addr;              /* the type's address in the traced program (0: none) */
  uint64_t size, ptr_bytes;   /* the type's size and the bytes that may hold pointers */
  uint64_t allocs, bytes;     /* allocations seen; the bytes of their heap slots (a
                                 slice's array is recorded with its element type:
                                 bytes, not size, is what it took); a tiny object
                                 (no pointers, under 16 bytes): its size */
  uint64_t frees;             /* frees matched to an object of this type */
  uint64_t existing;          /* objects alive when tracing began (the snapshot) */
  uint64_t live, live_bytes;  /* objects not freed by the trace's end, their slots' bytes */
  uint64_t lifetimes;         /* freed objects whose allocation was seen */
  uint64_t survived[GE_TRACE_SURVIVED]; /* of those, by GC cycles survived */
  int64_t median_ns, p90_ns;  /* their lifetimes (a histogram's: within 1/16) */
} ge_trace_lt_type;

typedef struct ge_trace_lt_totals {
  uint64_t allocs, frees, existing, live; /* heap objects */
  uint64_t free_events;    /* HeapObjectFree events (a tiny slot's frees more objects) */
  uint64_t unknown_frees;  /* frees of objects the trace never showed alive */
  uint64_t unknown_types;  /* allocations naming a type id not in their table */
  uint64_t gc_cycles;      /* GCBegin events walked */
  uint64_t spans, span_allocs, span_frees;    /* Span / SpanAlloc / SpanFree */
  uint64_t stacks, stack_allocs, stack_frees; /* GoroutineStack* */
  uint64_t types;          /* rows */
  uint64_t min_heap_addr, page_size, heap_align, fixed_stack; /* the info batch */
  int has_info;            /* the info batch was seen (the trace's first generation) */
} ge_trace_lt_totals;

/* Walks t's events. GE_ERR_NOTFOUND when the trace holds no AllocFree
 * events (not recorded with GODEBUG=traceallocfree=1); GE_ERR_LIMIT when
 * more than lim->max_records objects are live at once. */
GE_API ge_err ge_trace_lifetimes_new(const ge_trace *t, ge_trace_lifetimes **out, ge_error *err);
GE_API void ge_trace_lifetimes_free(ge_trace_lifetimes *l);
/* The rows, by bytes allocated (then allocations, then name), largest first. */
GE_API size_t ge_trace_lifetimes_types(const ge_trace_lifetimes *l, const ge_trace_lt_type **out);
GE_API void ge_trace_lifetimes_totals(const ge_trace_lifetimes *l, ge_trace_lt_totals *out);
/* The spans and goroutine stacks the trace showed, as regions of Go memory
 * over time for ge_heapmap_new (units: totals' page_size and fixed_stack):
 * spans of heap objects are GE_HEAPMAP_HEAP, the runtime's other spans
 * (stack spans, GC work buffers) GE_HEAPMAP_MANUAL. None without the info
 * batch that places them (a flight recorder's capture lacks it). */
GE_API size_t ge_trace_lifetimes_regions(const ge_trace_lifetimes *l, const ge_heapmap_region **out);

#ifdef __cplusplus
}
#endif
#endif
