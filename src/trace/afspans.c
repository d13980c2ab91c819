/* The span table of an AllocFree trace: page id -> the span over it. */
#include <string.h>

#include "core/vec.h"
#include "trace/afspans.h"

/* Slot sizes by size class (internal/runtime/gc/sizeclasses.go; the same
 * 68 classes in every Go that writes AllocFree traces, 1.23 to 1.27). */
static const uint16_t CLASS_SIZE[] = {
    0,     8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,
    160,   176,   192,   208,   224,   240,   256,   288,   320,   352,   384,   416,
    448,   480,   512,   576,   640,   704,   768,   896,   1024,  1152,  1280,  1408,
    1536,  1792,  2048,  2304,  2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,
    6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
    18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};
#define NCLASSES (sizeof CLASS_SIZE / sizeof CLASS_SIZE[0])
/* A span of small objects has at most 10 pages (SizeClassToNPages); more
 * is a corrupt trace, whose other pages are left out. */
#define MAX_SMALL_PAGES 16

static uint32_t page_hash(const void *ctx, uint32_t i) {
  return (uint32_t)ge_mix64(((const ge_afpage *)ctx)[i].page);
}

static size_t slot_of(const ge_afspans *s, uint64_t page) {
  size_t j = ge_hashidx_first(&s->ix, (uint32_t)ge_mix64(page));
  for (uint32_t i; (i = ge_hashidx_at(&s->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&s->ix, j))
    if (s->v[i].page == page) return j;
  return SIZE_MAX;
}

const ge_afpage *ge_afspans_find(const ge_afspans *s, uint64_t page) {
  size_t j = slot_of(s, page);
  return j == SIZE_MAX ? NULL : &s->v[ge_hashidx_at(&s->ix, j)];
}

static void remove_page(ge_afspans *s, uint64_t page) {
  size_t j = slot_of(s, page);
  if (j == SIZE_MAX) return;
  uint32_t i = ge_hashidx_at(&s->ix, j);
  ge_hashidx_remove(&s->ix, j, page_hash, s->v);
  size_t last = --s->n;
  if (last == i) return;
  s->v[i] = s->v[last];
  size_t k = ge_hashidx_first(&s->ix, page_hash(s->v, i));
  while (ge_hashidx_at(&s->ix, k) != last) k = ge_hashidx_next(&s->ix, k);
  ge_hashidx_set(&s->ix, k, i);
}

void ge_afspans_remove(ge_afspans *s, uint64_t base) {
  const ge_afpage *p = ge_afspans_find(s, base);
  if (!p || p->base != base) return;
  uint64_t n = p->large || p->npages > MAX_SMALL_PAGES ? 1 : p->npages;
  for (uint64_t k = 0; k < n; k++) remove_page(s, base + k);
}

int ge_afspans_add(ge_afspans *s, uint64_t base, uint64_t npages, uint64_t kindclass,
                   uint64_t page_size) {
  if (kindclass & 1) return 0; /* not a span of heap objects */
  uint64_t spanclass = kindclass >> 1, sizeclass = spanclass >> 1;
  if (sizeclass >= NCLASSES || npages == 0 || npages > UINT32_MAX) return 0;
  ge_afspans_remove(s, base); /* a span freed without its event */
  ge_afpage pg = {0, base, sizeclass ? CLASS_SIZE[sizeclass] : npages * page_size,
                  (uint32_t)npages, (uint8_t)(spanclass & 1), (uint8_t)(sizeclass == 0)};
  uint64_t n = pg.large || npages > MAX_SMALL_PAGES ? 1 : npages;
  for (uint64_t k = 0; k < n; k++) {
    if (slot_of(s, base + k) != SIZE_MAX) continue; /* overlaps a span we hold: keep that one */
    if (ge_hashidx_reserve(&s->ix, s->n, page_hash, s->v) ||
        ge_vec_reserve((void **)&s->v, &s->cap, s->n, 1, sizeof *s->v))
      return -1;
    pg.page = base + k;
    size_t j = ge_hashidx_first(&s->ix, page_hash(&pg, 0));
    while (ge_hashidx_at(&s->ix, j) != GE_HASHIDX_NONE) j = ge_hashidx_next(&s->ix, j);
    s->v[s->n] = pg;
    ge_hashidx_set(&s->ix, j, (uint32_t)s->n++);
  }
  return 0;
}

void ge_afspans_free(ge_afspans *s) {
  free(s->v);
  ge_hashidx_free(&s->ix);
  memset(s, 0, sizeof *s);
}
