/* The top of the dominator tree for a page (ge_heapdump_domtree), and the
 * tree's children lists it and the site grouping (sites.c) walk. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "internal.h"

int hd_dom_children(const ge_heapdump *d, uint32_t **start, uint32_t **kids) {
  size_t n = d->nobj;
  *start = calloc(n + 2, sizeof **start);
  *kids = malloc((n ? n : 1) * sizeof **kids);
  if (!*start || !*kids) return -1;
  uint32_t *st = *start;
  for (size_t i = 0; i < n; i++) {
    uint32_t p = d->idom[i];
    if (p != HD_UNREACHED) st[(p == HD_SUPER ? n : p) + 1]++;
  }
  for (size_t i = 0; i <= n; i++) st[i + 1] += st[i];
  /* st[p] runs from p's first slot to its end, which is where p + 1's begin */
  for (size_t i = 0; i < n; i++) {
    uint32_t p = d->idom[i];
    if (p != HD_UNREACHED) (*kids)[st[p == HD_SUPER ? n : p]++] = (uint32_t)i;
  }
  memmove(st + 1, st, (n + 1) * sizeof *st);
  st[0] = 0;
  return 0;
}

/* Larger retained size first, then lower index (address). */
static int before(const ge_heapdump *d, uint32_t a, uint32_t b) {
  if (d->retained[a] != d->retained[b]) return d->retained[a] > d->retained[b];
  return a < b;
}

/* The best `cap` of v's children into top, sorted; returns how many. */
static size_t best(const ge_heapdump *d, const uint32_t *kids, uint32_t from, uint32_t to, uint32_t *top,
                   size_t cap) {
  size_t n = 0;
  for (uint32_t k = from; k < to && cap; k++) {
    uint32_t v = kids[k];
    if (n == cap && !before(d, v, top[cap - 1])) continue;
    size_t i = n < cap ? n++ : cap - 1;
    while (i > 0 && before(d, v, top[i - 1])) {
      top[i] = top[i - 1];
      i--;
    }
    top[i] = v;
  }
  return n;
}

ge_err ge_heapdump_domtree(ge_heapdump *d, size_t per, size_t max, ge_heapdump_domnode *out, size_t *nout,
                           uint64_t *ntop, ge_error *err) {
  *nout = 0;
  *ntop = 0;
  ge_err e = ge_heapdump_analyze(d, err);
  if (e) return e;
  size_t n = d->nobj;
  uint32_t *start = NULL, *kids = NULL;
  uint32_t *top = malloc((per ? per : 1) * sizeof *top);
  if (!top || hd_dom_children(d, &start, &kids)) {
    free(top); free(start); free(kids);
    return ge_fail(err, GE_ERR_NOMEM, "heap dump: out of memory walking the dominator tree");
  }
  *ntop = start[n + 1] - start[n];
  size_t got = 0;
  /* breadth first: out[] is the queue; node i's children go after it */
  for (size_t i = 0; i <= got && got < max; i++) {
    uint32_t v = i == 0 ? (uint32_t)n : out[i - 1].obj;
    size_t k = best(d, kids, start[v], start[v + 1], top, per);
    for (size_t j = 0; j < k && got < max; j++) {
      uint32_t c = top[j];
      out[got++] = (ge_heapdump_domnode){c, i == 0 ? -1 : (int64_t)(i - 1), start[c + 1] - start[c]};
    }
  }
  free(top); free(start); free(kids);
  *nout = got;
  return GE_OK;
}
