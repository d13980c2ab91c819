/* The heap spans of an AllocFree trace (Span, SpanAlloc, SpanFree), for
 * the slot each object occupies: its size (the slot, not the type: a
 * slice's backing array is recorded with its element type) and where the
 * runtime's events put its address within it (allocfree.c). */
#ifndef GE_TRACE_AFSPANS_H
#define GE_TRACE_AFSPANS_H
#include <stdint.h>

#include "core/hashidx.h"

/* One page of a span that holds objects: every page of a span of small
 * objects, the first page of a large object's. */
typedef struct ge_afpage {
  uint64_t page, base; /* page ids: (address - min_heap_addr) / page_size */
  uint64_t elemsize;   /* its objects' slot size */
  uint32_t npages;
  uint8_t noscan, large;
} ge_afpage;

typedef struct ge_afspans {
  ge_afpage *v;
  size_t n, cap;
  ge_hashidx ix;
} ge_afspans;

/* A span at page base: kindclass as the event has it (spanclass << 1 for a
 * span of heap objects, 1 for any other kind, which holds none). Returns 0,
 * -1 when out of memory. */
int ge_afspans_add(ge_afspans *s, uint64_t base, uint64_t npages, uint64_t kindclass,
                   uint64_t page_size);
void ge_afspans_remove(ge_afspans *s, uint64_t base);
/* The span page holding `page`, or NULL. */
const ge_afpage *ge_afspans_find(const ge_afspans *s, uint64_t page);
void ge_afspans_free(ge_afspans *s);
#endif
