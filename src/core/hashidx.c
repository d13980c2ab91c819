#include "hashidx.h"

#include <stdlib.h>
#include <string.h>

uint32_t ge_hash(const void *p, size_t len) {
  /* Eight bytes per step (multiply-xorshift), then the tail: keys are paths
   * and Go names of 10-100 bytes, or stacks of node ids, hashed once per
   * record. */
  const unsigned char *s = p;
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (len * 0xff51afd7ed558ccdull);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  uint64_t t = 0;
  for (size_t k = 0; i + k < len; k++) t |= (uint64_t)s[i + k] << (8 * k);
  h = (h ^ t) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  return (uint32_t)(h ^ (h >> 32));
}

int ge_hashidx_reserve(ge_hashidx *x, size_t n, ge_hashidx_hash_fn hash_of, const void *ctx) {
  if (n >= UINT32_MAX - 1) return -1;
  size_t nslots = x->slots ? x->mask + 1 : 0;
  if ((n + 1) * 2 <= nslots) return 0;
  /* doubled until it fits, so that a reserve on an empty table indexes
   * entries 0..n-1 in one pass (an index built over existing entries) */
  size_t ns = nslots ? nslots * 2 : 256;
  while ((n + 1) * 2 > ns) ns *= 2;
  uint32_t *sl = calloc(ns, sizeof *sl);
  if (!sl) return -1;
  for (uint32_t i = 0; i < n; i++) {
    size_t j = hash_of(ctx, i) & (ns - 1);
    while (sl[j]) j = (j + 1) & (ns - 1);
    sl[j] = i + 1;
  }
  free(x->slots);
  x->slots = sl;
  x->mask = ns - 1;
  return 0;
}

void ge_hashidx_free(ge_hashidx *x) {
  free(x->slots);
  x->slots = NULL;
  x->mask = 0;
}

void ge_hashidx_clear(ge_hashidx *x) {
  if (x->slots) memset(x->slots, 0, (x->mask + 1) * sizeof *x->slots);
}

void ge_hashidx_remove(ge_hashidx *x, size_t j, ge_hashidx_hash_fn hash_of, const void *ctx) {
  size_t hole = j;
  for (size_t k = j;;) {
    k = (k + 1) & x->mask;
    if (!x->slots[k]) break;
    size_t home = hash_of(ctx, x->slots[k] - 1) & x->mask;
    /* the entry at k may fill the hole unless its home lies after the hole
     * (cyclically, in (hole, k]) */
    int after = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
    if (!after) {
      x->slots[hole] = x->slots[k];
      hole = k;
    }
  }
  x->slots[hole] = 0;
}
