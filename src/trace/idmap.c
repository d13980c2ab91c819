/* The trace reader's id -> index maps (string, stack and M ids; goroutine
 * and GC sets): ids are arbitrary 64-bit numbers from the input, so they are
 * hashed, never used as array indices. */
#include <string.h>

#include "core/vec.h"
#include "trace/internal.h"

static uint32_t entry_hash(const void *ctx, uint32_t i) {
  return ge_tr_hash(((const ge_tr_entry *)ctx)[i].key);
}

uint32_t ge_tr_map_put(ge_tr_map *m, uint64_t k, uint32_t v) {
  uint32_t h = ge_tr_hash(k), i;
  size_t j = ge_hashidx_first(&m->ix, h);
  for (; (i = ge_hashidx_at(&m->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&m->ix, j))
    if (m->v[i].key == k) return m->v[i].val;
  if (ge_hashidx_reserve(&m->ix, m->n, entry_hash, m->v)) return UINT32_MAX;
  if (ge_vec_reserve((void **)&m->v, &m->cap, m->n, 1, sizeof *m->v)) return UINT32_MAX;
  /* the reserve may have grown the index: probe again for the empty slot */
  j = ge_hashidx_first(&m->ix, h);
  while (ge_hashidx_at(&m->ix, j) != GE_HASHIDX_NONE) j = ge_hashidx_next(&m->ix, j);
  m->v[m->n] = (ge_tr_entry){k, v};
  ge_hashidx_set(&m->ix, j, (uint32_t)m->n++);
  return v;
}

void ge_tr_map_clear(ge_tr_map *m) {
  ge_hashidx_clear(&m->ix);
  m->n = 0;
}

void ge_tr_map_free(ge_tr_map *m) {
  free(m->v);
  ge_hashidx_free(&m->ix);
  memset(m, 0, sizeof *m);
}
