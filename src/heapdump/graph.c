/* The object graph of a dump once read: objects in address order (the
 * runtime writes them span by span, in the order spans were made, which is
 * not address order), each pointer resolved to the object it lands in
 * (binary search; a pointer inside an object keeps all of it, as the GC
 * does), edges laid out in CSR form, and roots that land nowhere dropped. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "internal.h"

int64_t hd_find(const ge_heapdump *d, uint64_t a) {
  size_t lo = 0, hi = d->nobj; /* first object with addr > a */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->addr[mid] <= a) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return -1;
  size_t i = lo - 1;
  return a - d->addr[i] < d->size[i] ? (int64_t)i : -1;
}

typedef struct keyed {
  uint64_t addr;
  uint64_t idx;
} keyed;

static int by_addr(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int sample_by_obj(const void *a, const void *b) {
  const hd_sample *x = a, *y = b;
  return x->obj < y->obj ? -1 : x->obj > y->obj;
}

static ge_err nomem(const char *name, ge_error *err) {
  return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory building the object graph", name);
}

/* Puts the objects in address order; perm[new] = old (NULL: already in
 * order). */
static ge_err sort_objects(ge_heapdump *d, uint64_t **perm, const char *name, ge_error *err) {
  size_t n = d->nobj;
  *perm = NULL;
  size_t i = 1;
  while (i < n && d->addr[i - 1] <= d->addr[i]) i++;
  if (i >= n) return GE_OK;
  keyed *k = malloc(n * sizeof *k);
  uint64_t *tmp = malloc(n * sizeof *tmp);
  if (!k || !tmp) {
    free(k);
    free(tmp);
    return nomem(name, err);
  }
  for (i = 0; i < n; i++) k[i] = (keyed){d->addr[i], i};
  qsort(k, n, sizeof *k, by_addr);
  for (i = 0; i < n; i++) tmp[i] = d->size[k[i].idx];
  memcpy(d->size, tmp, n * sizeof *tmp);
  for (i = 0; i < n; i++) {
    d->addr[i] = k[i].addr;
    tmp[i] = k[i].idx;
  }
  free(k);
  *perm = tmp;
  return GE_OK;
}

ge_err hd_build(ge_heapdump *d, const char *name, ge_error *err) {
  size_t n = d->nobj;
  if (!d->first) {
    d->first = calloc(1, sizeof *d->first);
    if (!d->first) return nomem(name, err);
  }
  uint64_t *perm;
  ge_err e = sort_objects(d, &perm, name, err);
  if (e) return e;

  /* Each raw pointer becomes its target's index (UINT64_MAX: none). */
  for (size_t k = 0; k < d->nraw; k++) {
    int64_t t = hd_find(d, d->raw[k]);
    d->raw[k] = t < 0 ? UINT64_MAX : (uint64_t)t;
  }
  size_t kept = 0;
  for (size_t k = 0; k < d->nraw; k++) kept += d->raw[k] != UINT64_MAX;
  d->edge = malloc((kept ? kept : 1) * sizeof *d->edge);
  d->field = malloc((kept ? kept : 1) * sizeof *d->field);
  uint64_t *first = malloc((n + 1) * sizeof *first);
  if (!d->edge || !d->field || !first) {
    free(perm);
    free(first);
    return nomem(name, err);
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    size_t old = perm ? perm[i] : i;
    first[i] = m;
    for (uint64_t k = d->first[old]; k < d->first[old + 1]; k++) {
      if (d->raw[k] == UINT64_MAX) continue;
      d->edge[m] = (uint32_t)d->raw[k];
      d->field[m++] = d->rawfield[k];
    }
  }
  first[n] = m;
  d->nedge = m;
  free(perm);
  free(d->first);
  d->first = first;
  free(d->raw);
  free(d->rawfield);
  d->raw = NULL;
  d->rawfield = NULL;
  d->nraw = d->rawcap = d->rawfieldcap = 0;

  size_t r = 0;
  for (size_t k = 0; k < d->roots.n; k++) {
    int64_t t = hd_find(d, d->roots.v[k].ptr);
    if (t < 0) continue;
    d->roots.v[r] = d->roots.v[k];
    d->roots.v[r++].target = (uint32_t)t;
  }
  d->roots.n = r;
  if (d->samples.n) qsort(d->samples.v, d->samples.n, sizeof *d->samples.v, sample_by_obj);

  d->info.objects = n;
  d->info.pointers = m;
  d->info.roots = r;
  return GE_OK;
}
