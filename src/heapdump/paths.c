/* Shortest paths from the roots (one breadth-first search from every root
 * at once: each object's parent and the field it is reached by), the top
 * retainers and the children of a node of the dominator tree. */
#include <stdlib.h>

#include "core/error.h"
#include "internal.h"

ge_err hd_bfs(ge_heapdump *d, ge_error *err) {
  size_t n = d->nobj;
  d->bfs_parent = malloc((n ? n : 1) * sizeof *d->bfs_parent);
  d->bfs_via = malloc((n ? n : 1) * sizeof *d->bfs_via);
  d->bfs_depth = malloc((n ? n : 1) * sizeof *d->bfs_depth);
  uint32_t *queue = malloc((n ? n : 1) * sizeof *queue);
  if (!d->bfs_parent || !d->bfs_via || !d->bfs_depth || !queue) {
    free(queue);
    return ge_fail(err, GE_ERR_NOMEM, "heap dump: out of memory finding paths");
  }
  for (size_t i = 0; i < n; i++) d->bfs_depth[i] = UINT32_MAX;
  size_t head = 0, tail = 0;
  for (size_t r = 0; r < d->roots.n; r++) {
    uint32_t t = d->roots.v[r].target;
    if (d->bfs_depth[t] != UINT32_MAX) continue;
    d->bfs_depth[t] = 0;
    d->bfs_parent[t] = UINT32_MAX;
    d->bfs_via[t] = (uint32_t)r;
    queue[tail++] = t;
  }
  while (head < tail) {
    uint32_t v = queue[head++];
    for (uint64_t k = d->first[v]; k < d->first[v + 1]; k++) {
      uint32_t w = d->edge[k];
      if (d->bfs_depth[w] != UINT32_MAX) continue;
      d->bfs_depth[w] = d->bfs_depth[v] + 1;
      d->bfs_parent[w] = v;
      d->bfs_via[w] = d->field[k];
      queue[tail++] = w;
    }
  }
  free(queue);
  return GE_OK;
}

size_t ge_heapdump_path(const ge_heapdump *d, uint32_t obj, size_t *root, uint32_t *objs,
                        uint64_t *fields, size_t cap) {
  if (!d->analyzed || obj >= d->nobj || d->bfs_depth[obj] == UINT32_MAX) return 0;
  size_t len = (size_t)d->bfs_depth[obj] + 1;
  uint32_t v = obj;
  for (size_t i = len; i-- > 0;) {
    if (i < cap) {
      objs[i] = v;
      fields[i] = i ? d->bfs_via[v] : 0;
    }
    if (i == 0) *root = d->bfs_via[v];
    else v = d->bfs_parent[v];
  }
  return len;
}

/* Larger retained size first, then lower address. */
static int before(const ge_heapdump *d, uint32_t a, uint32_t b) {
  if (d->retained[a] != d->retained[b]) return d->retained[a] > d->retained[b];
  return a < b;
}

/* Keeps the best `cap` of the candidates seen in out[0, *n), sorted (an
 * insertion into a short sorted list: n is a screenful). */
static void offer(const ge_heapdump *d, uint32_t v, uint32_t *out, size_t *n, size_t cap) {
  if (cap == 0) return;
  if (*n == cap && !before(d, v, out[cap - 1])) return;
  size_t i = *n < cap ? (*n)++ : cap - 1;
  while (i > 0 && before(d, v, out[i - 1])) {
    out[i] = out[i - 1];
    i--;
  }
  out[i] = v;
}

size_t ge_heapdump_top(const ge_heapdump *d, size_t n, uint32_t *out) {
  size_t got = 0;
  if (!d->analyzed) return 0;
  for (size_t i = 0; i < d->nobj; i++)
    if (d->idom[i] != HD_UNREACHED) offer(d, (uint32_t)i, out, &got, n);
  return got;
}

size_t ge_heapdump_dominated(const ge_heapdump *d, int64_t obj, uint32_t *out, size_t cap) {
  if (!d->analyzed) return 0;
  uint32_t want = obj < 0 ? HD_SUPER : (uint32_t)obj;
  size_t all = 0, got = 0;
  for (size_t i = 0; i < d->nobj; i++) {
    if (d->idom[i] != want) continue;
    all++;
    offer(d, (uint32_t)i, out, &got, cap);
  }
  return all;
}
