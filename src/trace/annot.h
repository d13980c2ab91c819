/* Shared by the annotation walk (annot.c) and its groupings (growth.c). */
#ifndef GE_TRACE_ANNOT_INTERNAL_H
#define GE_TRACE_ANNOT_INTERNAL_H
#include "core/intern.h"
#include "core/vec.h"
#include "goescape/trace_annot.h"
#include "trace/internal.h"

typedef struct ge_tr_aframe {
  uint64_t pc, line;
  uint32_t func, file; /* interned */
} ge_tr_aframe;

/* A goroutine of the walk (GE_TRACE_NONE for events on none): its innermost open region (index + 1, 0 for
 * none; the enclosing ones follow ge_trace_region.parent) and its growth. */
typedef struct ge_tr_agor {
  uint32_t top;
  ge_trace_growth acc;
} ge_tr_agor;

struct ge_trace_annot {
  ge_intern str; /* names, keys, values, funcs, files */
  GE_VEC(ge_tr_aframe) frames;
  GE_VEC(uint32_t) stackend; /* stack s (from 1) is frames [stackend[s-1], stackend[s]) */
  GE_VEC(ge_trace_task) tasks;
  GE_VEC(ge_trace_region) regions;
  GE_VEC(ge_trace_log) logs;
  GE_VEC(ge_trace_alloc) allocs;
  GE_VEC(ge_tr_agor) gs;
  GE_VEC(uint32_t) taskrow;  /* per taskmap slot: the task id's latest row */
  GE_VEC(uint32_t) taskname; /* per taskmap slot: its last begin's name, or UINT32_MAX */
  ge_tr_map gmap, taskmap;   /* goroutine id -> gs; task id -> taskrow slot */
  ge_tr_map genstk, genstr;  /* the walk's generation: stack / string id -> annot id */
  ge_trace_growth outside;   /* increments outside any region */
  unsigned sums_only;        /* GE_TRACE_ANNOT_SUMS */
  GE_VEC(uint32_t) freeslots; /* sums_only: region slots to reuse */
  ge_intern keys;            /* sums_only: (task, name) -> index in sums */
  GE_VEC(ge_trace_growth) sums; /* sums_only: the ended regions' sums by key */
  GE_VEC(ge_trace_growth) rows[3]; /* by ge_trace_by */
};

/* Adds row r's sums to into's. */
void ge_tr_merge(ge_trace_growth *into, const ge_trace_growth *r);
/* Adds an increment to a row's sums. */
void ge_tr_charge(ge_trace_growth *r, uint64_t up, uint64_t down, int64_t now);
/* Builds a->rows from the walk's sums (growth.c); -1 when out of memory. */
int ge_tr_annot_group(ge_trace_annot *a);
#endif
