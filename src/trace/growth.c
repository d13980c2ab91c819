/* The groupings of the heap growth the annotation walk charged (annot.c):
 * by goroutine (the walk's sums as they are), by region (the sums of every
 * region with the same task and name) and by task (of every region of the
 * task), each with the increments outside any region as one unattributed
 * row, ranked by growth. */
#include <string.h>

#include "trace/annot.h"

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

/* Same key first: task, then name (by task, names are all 0). */
static int by_key(const void *x, const void *y) {
  const ge_trace_growth *a = x, *b = y;
  int c = cmp_u64(a->task, b->task);
  return c ? c : cmp_u64(a->name, b->name);
}

/* Growth descending, then freed descending; attributed rows before the
 * unattributed one on a tie; then the key. */
static int by_rank(const void *x, const void *y) {
  const ge_trace_growth *a = x, *b = y;
  int c = cmp_u64(b->growth, a->growth);
  if (!c) c = cmp_u64(b->freed, a->freed);
  if (!c) c = (int)a->unattributed - (int)b->unattributed;
  if (!c) c = cmp_u64(a->g, b->g);
  return c ? c : by_key(a, b);
}

void ge_tr_merge(ge_trace_growth *into, const ge_trace_growth *r) {
  if (r->samples && (!into->samples || r->first < into->first)) into->first = r->first;
  if (r->samples && (!into->samples || r->last > into->last)) into->last = r->last;
  into->growth += r->growth;
  into->freed += r->freed;
  into->samples += r->samples;
}

static int push(ge_trace_annot *a, ge_trace_by by, const ge_trace_growth *r) {
  if (!r->growth && !r->freed) return 0;
  if (ge_vec_reserve((void **)&a->rows[by].v, &a->rows[by].cap, a->rows[by].n, 1,
                     sizeof *a->rows[by].v))
    return -1;
  a->rows[by].v[a->rows[by].n++] = *r;
  return 0;
}

/* The regions' sums merged by key (by task: the task alone). */
static int group_regions(ge_trace_annot *a, ge_trace_by by) {
  /* the regions' own sums (sums_only: the regions still open, and free
   * slots, whose sums are zero) and, sums_only, the ended ones' by key */
  size_t nr = a->regions.n, n = nr + a->sums.n;
  if (n) {
    ge_trace_growth *tmp = malloc(n * sizeof *tmp);
    if (!tmp) return -1;
    for (size_t i = 0; i < n; i++) {
      tmp[i] = i < nr ? a->regions.v[i].heap : a->sums.v[i - nr];
      tmp[i].g = GE_TRACE_NONE; /* many goroutines run a region */
      if (by == GE_TRACE_BY_TASK) tmp[i].name = 0;
    }
    qsort(tmp, n, sizeof *tmp, by_key);
    for (size_t i = 0; i < n;) {
      ge_trace_growth r = tmp[i];
      size_t j = i + 1;
      for (; j < n && !by_key(&tmp[j], &r); j++) ge_tr_merge(&r, &tmp[j]);
      if (push(a, by, &r)) {
        free(tmp);
        return -1;
      }
      i = j;
    }
    free(tmp);
  }
  ge_trace_growth out = a->outside;
  out.g = GE_TRACE_NONE;
  return push(a, by, &out);
}

int ge_tr_annot_group(ge_trace_annot *a) {
  for (size_t i = 0; i < a->gs.n; i++)
    if (push(a, GE_TRACE_BY_GOROUTINE, &a->gs.v[i].acc)) return -1;
  if (group_regions(a, GE_TRACE_BY_REGION) || group_regions(a, GE_TRACE_BY_TASK)) return -1;
  for (int by = 0; by < 3; by++)
    if (a->rows[by].n) qsort(a->rows[by].v, a->rows[by].n, sizeof *a->rows[by].v, by_rank);
  return 0;
}
