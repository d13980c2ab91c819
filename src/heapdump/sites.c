/* Objects grouped by allocation site (ge_heapdump_sites) and the bytes
 * each root holds alone (ge_heapdump_root_retained).
 *
 * A site is a bucket's first frame outside the runtime; buckets with the
 * same site (other callers above it) share a group. Objects meet their
 * samples in one merge walk (both are sorted by address). A group's
 * retained bytes count only its members that no other member dominates:
 * one depth-first walk of the dominator tree keeps, per group, how many of
 * the walk's open ancestors belong to it. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/goname.h"
#include "internal.h"

#define NONE UINT32_MAX
#define EXIT 0x80000000u

static int sv_cmp(ge_strview a, ge_strview b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
  if (c) return c;
  return a.len < b.len ? -1 : a.len > b.len;
}

static int site_cmp(const ge_heapdump_site *a, const ge_heapdump_site *b) {
  int c = sv_cmp(a->func, b->func);
  if (!c) c = sv_cmp(a->file, b->file);
  if (!c) c = a->line < b->line ? -1 : a->line > b->line;
  return c;
}

/* A bucket with a site: its address, its site, then its group. */
typedef struct bsite {
  uint64_t addr;
  const ge_heapdump_site *site;
  uint32_t group;
  int first;
} bsite;

static int by_site(const void *a, const void *b) {
  const bsite *x = a, *y = b;
  int c = site_cmp(x->site, y->site);
  if (c) return c;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int by_addr(const void *a, const void *b) {
  const bsite *x = a, *y = b;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static uint32_t group_of_bucket(const bsite *b, size_t n, uint64_t addr) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (b[mid].addr < addr) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && b[lo].addr == addr ? b[lo].group : NONE;
}

static int group_before(const void *a, const void *b) {
  const ge_heapdump_group *x = a, *y = b;
  if (x->retained != y->retained) return x->retained > y->retained ? -1 : 1;
  if (x->live_bytes != y->live_bytes) return x->live_bytes > y->live_bytes ? -1 : 1;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return site_cmp(&x->site, &y->site);
}

/* Keeps g's members retaining most in g->top, largest first (ties: lower
 * address, which the walk order does not give). */
static void offer(const ge_heapdump *d, ge_heapdump_group *g, uint32_t v) {
  size_t cap = GE_HD_GROUP_TOP;
#define BEFORE(a, b) (d->retained[a] != d->retained[b] ? d->retained[a] > d->retained[b] : (a) < (b))
  if (g->ntop == cap && !BEFORE(v, g->top[cap - 1])) return;
  size_t i = g->ntop < cap ? g->ntop++ : cap - 1;
  while (i > 0 && BEFORE(v, g->top[i - 1])) {
    g->top[i] = g->top[i - 1];
    i--;
  }
  g->top[i] = v;
#undef BEFORE
}

/* Walks the dominator tree from the super-root; a member whose group has
 * no open ancestor adds its retained size. */
static int walk(const ge_heapdump *d, const uint32_t *group, ge_heapdump_group *gs, size_t ngroups) {
  size_t n = d->nobj;
  uint32_t *start, *kids;
  uint32_t *open = calloc(ngroups ? ngroups : 1, sizeof *open);
  uint32_t *stack = malloc((2 * n + 1) * sizeof *stack);
  int rc = hd_dom_children(d, &start, &kids);
  if (rc || !open || !stack) {
    free(start); free(kids); free(open); free(stack);
    return -1;
  }
  size_t sp = 0;
  for (uint32_t k = start[n]; k < start[n + 1]; k++) stack[sp++] = kids[k];
  while (sp) {
    uint32_t v = stack[--sp];
    if (v & EXIT) {
      open[group[v & ~EXIT]]--;
      continue;
    }
    uint32_t g = group[v];
    if (g != NONE) {
      if (open[g] == 0) {
        gs[g].retained += d->retained[v];
        offer(d, &gs[g], v);
      }
      open[g]++;
      stack[sp++] = v | EXIT;
    }
    for (uint32_t k = start[v]; k < start[v + 1]; k++) stack[sp++] = kids[k];
  }
  free(start); free(kids); free(open); free(stack);
  return 0;
}

ge_err ge_heapdump_sites(ge_heapdump *d, ge_heapdump_group **out, size_t *nout, ge_error *err) {
  *out = NULL;
  *nout = 0;
  ge_err e = ge_heapdump_analyze(d, err);
  if (e) return e;
  size_t nb = 0, n = d->nobj;
  bsite *b = malloc((d->buckets.n ? d->buckets.n : 1) * sizeof *b);
  uint32_t *group = malloc((n ? n : 1) * sizeof *group);
  ge_heapdump_group *gs = NULL;
  if (!b || !group) goto nomem;
  for (size_t i = 0; i < d->buckets.n; i++) {
    const hd_memprof *m = &d->buckets.v[i];
    if (m->first_site > d->sites.n || m->nsites > d->sites.n - m->first_site) continue;
    for (size_t k = 0; k < m->nsites; k++) {
      const ge_heapdump_site *s = &d->sites.v[m->first_site + k];
      if (ge_is_runtime_func(s->func)) continue;
      b[nb++] = (bsite){m->addr, s, 0, k == 0};
      break;
    }
  }
  qsort(b, nb, sizeof *b, by_site);
  size_t ng = 0;
  for (size_t i = 0; i < nb; i++) {
    if (i == 0 || site_cmp(b[i - 1].site, b[i].site)) ng++;
    b[i].group = (uint32_t)(ng - 1);
  }
  gs = calloc(ng ? ng : 1, sizeof *gs);
  if (!gs) goto nomem;
  for (size_t i = 0; i < nb; i++) {
    gs[b[i].group].site = *b[i].site;
    gs[b[i].group].first |= b[i].first;
  }
  qsort(b, nb, sizeof *b, by_addr);

  for (size_t i = 0; i < n; i++) group[i] = NONE;
  size_t o = 0;
  for (size_t s = 0; s < d->samples.n && o < n; s++) {
    uint64_t a = d->samples.v[s].obj;
    while (o < n && d->addr[o] < a) o++;
    if (o < n && d->addr[o] == a) group[o] = group_of_bucket(b, nb, d->samples.v[s].bucket);
  }
  for (size_t i = 0; i < n; i++) {
    if (group[i] == NONE) continue;
    ge_heapdump_group *g = &gs[group[i]];
    g->objects++;
    g->bytes += d->size[i];
    if (d->idom[i] != HD_UNREACHED) {
      g->live_objects++;
      g->live_bytes += d->size[i];
    }
  }
  if (walk(d, group, gs, ng)) goto nomem;
  free(b);
  free(group);
  qsort(gs, ng, sizeof *gs, group_before);
  *out = gs;
  *nout = ng;
  return GE_OK;
nomem:
  free(b);
  free(group);
  free(gs);
  return ge_fail(err, GE_ERR_NOMEM, "heap dump: out of memory grouping objects by site");
}

ge_err ge_heapdump_root_retained(ge_heapdump *d, uint64_t *retained, uint64_t *objects,
                                 ge_error *err) {
  ge_err e = ge_heapdump_analyze(d, err);
  if (e) return e;
  for (size_t r = 0; r < d->roots.n; r++) retained[r] = objects[r] = 0;
  /* the root each object's shortest path starts at, found once per
   * object: a walk up the path's parents stops at an object already known */
  uint32_t *root = malloc((d->nobj ? d->nobj : 1) * sizeof *root);
  if (!root) return ge_fail(err, GE_ERR_NOMEM, "heap dump: out of memory finding roots");
  for (size_t i = 0; i < d->nobj; i++) root[i] = NONE;
  for (size_t i = 0; i < d->nobj; i++) {
    if (d->bfs_depth[i] == UINT32_MAX || root[i] != NONE) continue;
    uint32_t v = (uint32_t)i;
    while (root[v] == NONE && d->bfs_depth[v] != 0) v = d->bfs_parent[v];
    uint32_t r = root[v] != NONE ? root[v] : d->bfs_via[v];
    for (uint32_t w = (uint32_t)i; root[w] == NONE; w = d->bfs_parent[w]) {
      root[w] = r;
      if (d->bfs_depth[w] == 0) break;
    }
  }
  for (size_t i = 0; i < d->nobj; i++) {
    if (d->idom[i] != HD_SUPER || root[i] >= d->roots.n) continue;
    retained[root[i]] += d->retained[i];
    objects[root[i]]++;
  }
  free(root);
  return GE_OK;
}
