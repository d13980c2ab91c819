/* The trace reader's id -> index maps (string, stack and M ids; goroutine
 * and GC sets): ids are arbitrary 64-bit numbers from the input, so they are
 * hashed, never used as array indices. */
#include <string.h>

#include "trace/internal.h"

uint32_t ge_tr_map_put(ge_tr_map *m, uint64_t k, uint32_t v) {
  if ((m->n + 1) * 4 > m->cap * 3) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    uint64_t *nk = malloc(ncap * sizeof *nk);
    uint32_t *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
      free(nk);
      free(nv);
      return UINT32_MAX;
    }
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->vals[i]) continue;
      size_t j = ge_tr_hash(m->keys[i]) & (ncap - 1);
      while (nv[j]) j = (j + 1) & (ncap - 1);
      nk[j] = m->keys[i];
      nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
  }
  size_t mask = m->cap - 1;
  for (size_t i = ge_tr_hash(k) & mask;; i = (i + 1) & mask) {
    if (!m->vals[i]) {
      m->keys[i] = k;
      m->vals[i] = v + 1;
      m->n++;
      return v;
    }
    if (m->keys[i] == k) return m->vals[i] - 1;
  }
}

void ge_tr_map_clear(ge_tr_map *m) {
  if (m->cap) memset(m->vals, 0, m->cap * sizeof *m->vals);
  m->n = 0;
}

void ge_tr_map_free(ge_tr_map *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}
