/* Go memory by address over time (include/goescape/heapmap.h).
 *
 * The regions become a list of allocations and frees in time order; a
 * cursor replays them as the asked times advance into two page maps (one
 * for goroutine stacks, in stack units, one for spans, in page units),
 * each slot the index + 1 of the region that holds it. Stacks get a map of
 * their own because they live inside the runtime's stack spans: a lookup
 * asks the stack map first. A map is a hash of blocks of 512 slots, so its
 * memory follows the address ranges the trace touched, not the address
 * space. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hashidx.h"
#include "core/vec.h"
#include "goescape/heapmap.h"

#define BLOCK_SHIFT 9
#define BLOCK ((size_t)1 << BLOCK_SHIFT)
#define MAX_UNITS ((uint64_t)1 << 26)  /* replay cost: every unit is set and cleared once */
#define MAX_BLOCKS ((size_t)1 << 17)   /* 256 MiB of slots per map */

typedef struct hm_event {
  int64_t t;
  uint32_t region;
  uint8_t alloc; /* frees sort first at equal times: a span freed and reused at once */
} hm_event;

struct ge_heapmap {
  ge_heapmap_region *r;
  size_t n;
  hm_event *ev;
  size_t nev;
  int64_t first, last;
  unsigned span_shift, stack_shift;
};

typedef struct radix {
  unsigned shift;
  ge_hashidx ix;
  GE_VEC(uint64_t) keys; /* block numbers */
  GE_VEC(uint32_t) slots; /* BLOCK a block, region index + 1 */
  int full;
} radix;

struct ge_heapmap_cursor {
  const ge_heapmap *m;
  radix span, stack;
  size_t next; /* the next event to replay */
  int64_t now;
  int failed;  /* out of memory while replaying: answers are NONE from then on */
};

static int log2_of(uint64_t v, unsigned *out) {
  if (v < 16 || v > ((uint64_t)1 << 30) || (v & (v - 1))) return -1;
  unsigned s = 0;
  while (((uint64_t)1 << s) < v) s++;
  *out = s;
  return 0;
}

static int by_time(const void *a, const void *b) {
  const hm_event *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  if (x->alloc != y->alloc) return x->alloc < y->alloc ? -1 : 1;
  return x->region < y->region ? -1 : x->region > y->region;
}

ge_err ge_heapmap_new(const ge_heapmap_region *r, size_t n, int64_t first, int64_t last,
                      uint64_t span_unit, uint64_t stack_unit, ge_heapmap **out, ge_error *err) {
  *out = NULL;
  unsigned ss, ks;
  if (log2_of(span_unit, &ss) || log2_of(stack_unit, &ks))
    return ge_fail(err, GE_ERR_FORMAT, "heap map: page size %llu or stack unit %llu is not a power of two in 16..2^30",
                   (unsigned long long)span_unit, (unsigned long long)stack_unit);
  if (n >= UINT32_MAX / 2) return ge_fail(err, GE_ERR_LIMIT, "heap map: %zu regions", n);
  uint64_t units = 0;
  for (size_t i = 0; i < n; i++) {
    if (r[i].hi <= r[i].lo || r[i].to <= r[i].from || r[i].kind < GE_HEAPMAP_HEAP ||
        r[i].kind > GE_HEAPMAP_MANUAL)
      return ge_fail(err, GE_ERR_FORMAT, "heap map: region %zu [%#llx, %#llx) is empty or of no kind", i,
                     (unsigned long long)r[i].lo, (unsigned long long)r[i].hi);
    unsigned s = r[i].kind == GE_HEAPMAP_STACK ? ks : ss;
    units += ((r[i].hi - 1) >> s) - (r[i].lo >> s) + 1;
    if (units > MAX_UNITS)
      return ge_fail(err, GE_ERR_LIMIT, "heap map: the regions cover over %llu pages",
                     (unsigned long long)MAX_UNITS);
  }
  ge_heapmap *m = calloc(1, sizeof *m);
  if (!m) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  m->r = malloc((n ? n : 1) * sizeof *m->r);
  m->ev = malloc((n ? 2 * n : 1) * sizeof *m->ev);
  if (!m->r || !m->ev) {
    ge_heapmap_free(m);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  if (n) memcpy(m->r, r, n * sizeof *r);
  m->n = n;
  for (size_t i = 0; i < n; i++) {
    m->ev[m->nev++] = (hm_event){r[i].from, (uint32_t)i, 1};
    if (r[i].to != INT64_MAX) m->ev[m->nev++] = (hm_event){r[i].to, (uint32_t)i, 0};
  }
  qsort(m->ev, m->nev, sizeof *m->ev, by_time);
  m->first = first, m->last = last;
  m->span_shift = ss, m->stack_shift = ks;
  *out = m;
  return GE_OK;
}

void ge_heapmap_free(ge_heapmap *m) {
  if (!m) return;
  free(m->r);
  free(m->ev);
  free(m);
}

size_t ge_heapmap_regions(const ge_heapmap *m, const ge_heapmap_region **out) {
  *out = m->r;
  return m->n;
}

static uint32_t block_hash(const void *ctx, uint32_t i) {
  return (uint32_t)ge_mix64(((const radix *)ctx)->keys.v[i]);
}

/* The slots of block b, or NULL when it has none yet. */
static uint32_t *find_block(const radix *x, uint64_t b) {
  size_t j = ge_hashidx_first(&x->ix, (uint32_t)ge_mix64(b));
  for (uint32_t i; (i = ge_hashidx_at(&x->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&x->ix, j))
    if (x->keys.v[i] == b) return x->slots.v + (size_t)i * BLOCK;
  return NULL;
}

/* The slots of block b, made when new; NULL over the cap (the map is
 * marked full) or out of memory (*oom set). */
static uint32_t *block(radix *x, uint64_t b, int *oom) {
  uint32_t *s = find_block(x, b);
  if (s) return s;
  if (x->keys.n >= MAX_BLOCKS) {
    x->full = 1;
    return NULL;
  }
  size_t k = x->keys.n;
  if (ge_hashidx_reserve(&x->ix, k, block_hash, x) ||
      ge_vec_reserve((void **)&x->keys.v, &x->keys.cap, k, 1, sizeof *x->keys.v) ||
      ge_vec_reserve((void **)&x->slots.v, &x->slots.cap, k * BLOCK, BLOCK, sizeof *x->slots.v)) {
    *oom = 1;
    return NULL;
  }
  size_t j = ge_hashidx_first(&x->ix, (uint32_t)ge_mix64(b));
  while (ge_hashidx_at(&x->ix, j) != GE_HASHIDX_NONE) j = ge_hashidx_next(&x->ix, j);
  x->keys.v[k] = b;
  x->keys.n++;
  memset(x->slots.v + k * BLOCK, 0, BLOCK * sizeof *x->slots.v);
  x->slots.n += BLOCK;
  ge_hashidx_set(&x->ix, j, (uint32_t)k);
  return x->slots.v + k * BLOCK;
}

/* Sets the units of [lo, hi) to region + 1 (alloc), or clears those that
 * still hold it (a free: a later region may have taken a unit since). */
static int mark(radix *x, uint64_t lo, uint64_t hi, uint32_t region, int alloc) {
  uint64_t u = lo >> x->shift, e = (hi - 1) >> x->shift;
  int oom = 0;
  while (u <= e) {
    uint64_t b = u >> BLOCK_SHIFT;
    uint64_t end = ((b + 1) << BLOCK_SHIFT) - 1;
    if (end > e) end = e;
    uint32_t *s = alloc ? block(x, b, &oom) : find_block(x, b);
    if (oom) return -1;
    if (s) {
      for (uint64_t k = u; k <= end; k++) {
        uint32_t *slot = &s[k & (BLOCK - 1)];
        if (alloc) *slot = region + 1;
        else if (*slot == region + 1) *slot = 0;
      }
    }
    if (end == UINT64_MAX) break;
    u = end + 1;
  }
  return 0;
}

ge_err ge_heapmap_cursor_new(const ge_heapmap *m, ge_heapmap_cursor **out, ge_error *err) {
  ge_heapmap_cursor *c = calloc(1, sizeof *c);
  if (!c) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  c->m = m;
  c->span.shift = m->span_shift;
  c->stack.shift = m->stack_shift;
  c->now = INT64_MIN;
  *out = c;
  return GE_OK;
}

static void radix_free(radix *x) {
  ge_hashidx_free(&x->ix);
  GE_VEC_FREE(x->keys);
  GE_VEC_FREE(x->slots);
}

void ge_heapmap_cursor_free(ge_heapmap_cursor *c) {
  if (!c) return;
  radix_free(&c->span);
  radix_free(&c->stack);
  free(c);
}

static uint32_t lookup(const radix *x, uint64_t addr) {
  uint64_t u = addr >> x->shift;
  const uint32_t *s = find_block(x, u >> BLOCK_SHIFT);
  return s ? s[u & (BLOCK - 1)] : 0;
}

ge_heapmap_kind ge_heapmap_cursor_at(ge_heapmap_cursor *c, uint64_t addr, int64_t t, unsigned *flags) {
  const ge_heapmap *m = c->m;
  *flags = 0;
  if (t < m->first || t > m->last) *flags |= GE_HEAPMAP_OUTSIDE;
  if (t < c->now) *flags |= GE_HEAPMAP_BEHIND;
  else c->now = t;
  while (!c->failed && c->next < m->nev && m->ev[c->next].t <= c->now) {
    const hm_event *e = &m->ev[c->next++];
    const ge_heapmap_region *r = &m->r[e->region];
    radix *x = r->kind == GE_HEAPMAP_STACK ? &c->stack : &c->span;
    if (mark(x, r->lo, r->hi, e->region, e->alloc)) c->failed = 1;
  }
  if (c->failed || c->span.full || c->stack.full) *flags |= GE_HEAPMAP_FULL;
  if (c->failed) return GE_HEAPMAP_NONE;
  uint32_t i = lookup(&c->stack, addr);
  if (i) return GE_HEAPMAP_STACK;
  i = lookup(&c->span, addr);
  return i ? (ge_heapmap_kind)m->r[i - 1].kind : GE_HEAPMAP_NONE;
}
