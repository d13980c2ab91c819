/* Growable flat arrays (amortized doubling): records live in one block per
 * array, not one allocation per record. */
#ifndef GE_CORE_VEC_H
#define GE_CORE_VEC_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Ensures room for `need` more elements of size `elem` in *data (capacity *cap,
 * length len). Returns 0 on success, -1 when out of memory or on overflow. */
static inline int ge_vec_reserve(void **data, size_t *cap, size_t len, size_t need,
                                 size_t elem) {
  if (need <= *cap - len) return 0;
  if (len > SIZE_MAX / elem - need) return -1;
  size_t ncap = *cap ? *cap : 16;
  while (ncap < len + need) {
    if (ncap > SIZE_MAX / 2 / elem) return -1;
    ncap *= 2;
  }
  void *p = realloc(*data, ncap * elem);
  if (!p) return -1;
  *data = p;
  *cap = ncap;
  return 0;
}

/* Capacity for exactly `total` elements, for an array whose final length is
 * known beforehand (no doubling slack). Returns 0 on success, -1 when out of
 * memory or on overflow. */
static inline int ge_vec_reserve_exact(void **data, size_t *cap, size_t total, size_t elem) {
  if (total <= *cap) return 0;
  if (total > SIZE_MAX / elem) return -1;
  void *p = realloc(*data, total * elem);
  if (!p) return -1;
  *data = p;
  *cap = total;
  return 0;
}

#define GE_VEC(T) struct { T *v; size_t n, cap; }
#define GE_VEC_PUSH_SLOT(vec) \
  (ge_vec_reserve((void **)&(vec).v, &(vec).cap, (vec).n, 1, sizeof *(vec).v) ? NULL \
   : &(vec).v[(vec).n++])
#define GE_VEC_FREE(vec) (free((vec).v), (vec).v = NULL, (vec).n = (vec).cap = 0)
#endif
