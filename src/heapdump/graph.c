/* The object graph of a dump once read: objects in address order (the
 * runtime writes them span by span, in the order spans were made, which is
 * not address order), each pointer resolved to the object it lands in
 * (binary search; a pointer inside an object keeps all of it, as the GC
 * does), edges laid out in CSR form, and roots that land nowhere dropped. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "internal.h"

#define PAGE_SHIFT 13

/* The last object starting at or before a, within [lo, hi) (lo: none). */
static int64_t find_in(const ge_heapdump *d, uint64_t a, size_t lo, size_t hi) {
  size_t from = lo;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->addr[mid] <= a) lo = mid + 1;
    else hi = mid;
  }
  if (lo == from) return from > 0 && d->addr[from - 1] <= a ? (int64_t)from - 1 : -1;
  return (int64_t)lo - 1;
}

int64_t hd_find(const ge_heapdump *d, uint64_t a) {
  int64_t i;
  if (d->page && a >= d->page_base) {
    uint64_t p = (a - d->page_base) >> PAGE_SHIFT;
    if (p >= d->npages) p = d->npages - 1;
    i = find_in(d, a, d->page[p], d->page[p + 1]);
  } else {
    i = find_in(d, a, 0, d->nobj);
  }
  if (i < 0) return -1;
  return a - d->addr[i] < d->size[i] ? i : -1;
}

/* A page table over the objects' address range: page[p] is the first
 * object starting at or after page p, so a lookup searches one page's
 * objects (a binary search over all of them misses the cache at every
 * step: most of the load time of a dump of millions of objects). Left
 * out when the range is sparse next to the objects. */
static void build_pages(ge_heapdump *d) {
  size_t n = d->nobj;
  if (n == 0) return;
  uint64_t base = d->addr[0] & ~(((uint64_t)1 << PAGE_SHIFT) - 1);
  uint64_t np = ((d->addr[n - 1] - base) >> PAGE_SHIFT) + 1;
  if (np > 4 * (uint64_t)n + 4096) return;
  d->page = malloc((np + 1) * sizeof *d->page);
  if (!d->page) return; /* a slower lookup, not an error */
  size_t i = 0;
  for (uint64_t p = 0; p <= np; p++) {
    uint64_t start = base + (p << PAGE_SHIFT);
    while (i < n && d->addr[i] < start) i++;
    d->page[p] = (uint32_t)i;
  }
  d->page_base = base;
  d->npages = np;
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

typedef struct run {
  uint64_t addr;
  size_t start, len;
} run;

static int run_by_addr(const void *a, const void *b) {
  const run *x = a, *y = b;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* A run: objects that start in one page, in ascending order. */
static inline int run_breaks(const uint64_t *addr, size_t i) {
  return addr[i] < addr[i - 1] || addr[i] >> PAGE_SHIFT != addr[i - 1] >> PAGE_SHIFT;
}

/* perm as the order of the runs of addr, each run kept whole, runs by
 * first address; 0 when that does not sort everything (runs that
 * interleave), 1 when it does, -1 out of memory. */
static int order_runs(const ge_heapdump *d, uint32_t *perm) {
  size_t n = d->nobj, nruns = 1;
  for (size_t i = 1; i < n; i++) nruns += run_breaks(d->addr, i);
  run *r = malloc(nruns * sizeof *r);
  if (!r) return -1;
  size_t k = 0;
  r[0] = (run){d->addr[0], 0, 0};
  for (size_t i = 1; i < n; i++) {
    if (!run_breaks(d->addr, i)) continue;
    r[k].len = i - r[k].start;
    r[++k] = (run){d->addr[i], i, 0};
  }
  r[k].len = n - r[k].start;
  qsort(r, nruns, sizeof *r, run_by_addr);
  size_t m = 0;
  for (k = 0; k < nruns; k++)
    for (size_t i = 0; i < r[k].len; i++) perm[m++] = (uint32_t)(r[k].start + i);
  free(r);
  for (size_t i = 1; i < n; i++)
    if (d->addr[perm[i]] < d->addr[perm[i - 1]]) return 0;
  return 1;
}

/* Puts the objects in address order; perm[new] = old (NULL: already in
 * order). The runtime writes each span's objects in address order, span
 * after span, and a span owns whole pages: cut where an object starts in
 * another page than the one before, the input is runs that never
 * interleave (one per page at most), and ordering the runs (as many as the
 * heap's pages) orders every object. Runs that interleave (crafted input)
 * are sorted object by object. */
static ge_err sort_objects(ge_heapdump *d, uint32_t **perm, const char *name, ge_error *err) {
  size_t n = d->nobj;
  *perm = NULL;
  size_t i = 1;
  while (i < n && d->addr[i - 1] <= d->addr[i]) i++;
  if (i >= n) return GE_OK;
  uint32_t *p = malloc(n * sizeof *p);
  uint64_t *tmp = malloc(n * sizeof *tmp);
  int ok = p && tmp ? order_runs(d, p) : -1;
  if (ok == 0) {
    keyed *k = malloc(n * sizeof *k);
    if (k) {
      for (i = 0; i < n; i++) k[i] = (keyed){d->addr[i], i};
      qsort(k, n, sizeof *k, by_addr);
      for (i = 0; i < n; i++) p[i] = (uint32_t)k[i].idx;
      free(k);
      ok = 1;
    } else {
      ok = -1;
    }
  }
  if (ok < 0) {
    free(p);
    free(tmp);
    return nomem(name, err);
  }
  for (i = 0; i < n; i++) tmp[i] = d->size[p[i]];
  memcpy(d->size, tmp, n * sizeof *tmp);
  for (i = 0; i < n; i++) tmp[i] = d->addr[p[i]];
  memcpy(d->addr, tmp, n * sizeof *tmp);
  free(tmp);
  *perm = p;
  return GE_OK;
}

ge_err hd_build(ge_heapdump *d, const char *name, ge_error *err) {
  size_t n = d->nobj;
  if (!d->first) {
    d->first = calloc(1, sizeof *d->first);
    if (!d->first) return nomem(name, err);
  }
  if (n >= UINT32_MAX)
    return ge_fail(err, GE_ERR_LIMIT, "%s: more than %u objects", name, UINT32_MAX - 1);
  uint32_t *perm;
  ge_err e = sort_objects(d, &perm, name, err);
  if (e) return e;

  build_pages(d);
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
