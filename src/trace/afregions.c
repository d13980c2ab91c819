/* Regions of Go memory over time from an AllocFree trace (afregions.h). */
#include <stdlib.h>

#include "trace/afregions.h"

static int slot_of(ge_afregions *a, int which, uint64_t id, uint32_t *out) {
  uint32_t s = ge_tr_map_get(&a->ids[which], id);
  if (s == UINT32_MAX) {
    if (a->open.n >= UINT32_MAX - 1) return -1;
    s = (uint32_t)a->open.n;
    uint32_t *o = GE_VEC_PUSH_SLOT(a->open);
    if (!o || ge_tr_map_put(&a->ids[which], id, s) == UINT32_MAX) return -1;
    *o = UINT32_MAX;
  }
  *out = s;
  return 0;
}

int ge_afregions_alloc(ge_afregions *a, int which, uint64_t id, uint64_t lo, uint64_t hi,
                       uint32_t kind, int64_t from) {
  uint32_t s;
  if (a->r.n >= UINT32_MAX - 1 || slot_of(a, which, id, &s)) return -1;
  ge_afregions_end(a, which, id, from);
  ge_heapmap_region *r = GE_VEC_PUSH_SLOT(a->r);
  if (!r) return -1;
  *r = (ge_heapmap_region){lo, hi, from, INT64_MAX, kind};
  a->open.v[s] = (uint32_t)(a->r.n - 1);
  return 0;
}

void ge_afregions_end(ge_afregions *a, int which, uint64_t id, int64_t t) {
  uint32_t s = ge_tr_map_get(&a->ids[which], id);
  if (s == UINT32_MAX || a->open.v[s] == UINT32_MAX) return;
  ge_heapmap_region *r = &a->r.v[a->open.v[s]];
  r->to = t > r->from ? t : r->from;
  a->open.v[s] = UINT32_MAX;
}

void ge_afregions_finish(ge_afregions *a) {
  size_t k = 0;
  for (size_t i = 0; i < a->r.n; i++)
    if (a->r.v[i].to > a->r.v[i].from) a->r.v[k++] = a->r.v[i];
  a->r.n = k;
  ge_tr_map_free(&a->ids[0]);
  ge_tr_map_free(&a->ids[1]);
  GE_VEC_FREE(a->open);
}

void ge_afregions_free(ge_afregions *a) {
  ge_afregions_finish(a);
  GE_VEC_FREE(a->r);
}
