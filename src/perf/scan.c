/* Call-graph blocks found and numbered ahead of the parser (scan.h). */
#include <stdlib.h>
#include <string.h>

#include "perf/scan.h"

/* Block texts kept to recognise repeated call graphs: beyond this, blocks
 * are parsed line by line (a text of all-distinct stacks gains nothing). */
#define TEXTS_MAX ((size_t)64 << 20)

/* A block's hash: four independent lanes of ge_hash's step, so that the
 * multiplications overlap (every block is hashed; a hit is confirmed by
 * comparing the text). */
static uint32_t block_hash(const char *s, size_t len) {
  uint64_t h[4] = {0x9e3779b97f4a7c15ull ^ len, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull,
                   0xff51afd7ed558ccdull};
  size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    for (int k = 0; k < 4; k++) {
      uint64_t w;
      memcpy(&w, s + i + 8 * k, 8);
      h[k] = (h[k] ^ w) * 0xbf58476d1ce4e5b9ull;
      h[k] ^= h[k] >> 31;
    }
  }
  uint64_t r = ge_hash(s + i, len - i);
  for (int k = 0; k < 4; k++) r = ge_mix64(r ^ h[k]);
  return (uint32_t)(r ^ (r >> 32));
}

static uint32_t hash_at(const void *ctx, uint32_t i) { return ((const pf_scan *)ctx)->blocks.v[i].hash; }

/* The id of block text b[0, len): an earlier equal one's, or a new one;
 * UINT32_MAX past the cap, -1 (through *oom) out of memory. */
static uint32_t block_id(pf_scan *sc, const char *b, size_t len, int *oom) {
  uint32_t h = block_hash(b, len);
  if (ge_hashidx_reserve(&sc->ix, sc->blocks.n, hash_at, sc)) {
    *oom = 1;
    return UINT32_MAX;
  }
  size_t j = ge_hashidx_first(&sc->ix, h);
  for (uint32_t i; (i = ge_hashidx_at(&sc->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&sc->ix, j)) {
    const pf_sblock *k = &sc->blocks.v[i];
    if (k->hash == h && k->len == len && memcmp(sc->texts.v + k->text, b, len) == 0) return i;
  }
  if (sc->texts.n + len > TEXTS_MAX || sc->blocks.n >= UINT32_MAX - 1) return UINT32_MAX;
  if (ge_vec_reserve((void **)&sc->texts.v, &sc->texts.cap, sc->texts.n, len, 1)) {
    *oom = 1;
    return UINT32_MAX;
  }
  pf_sblock *k = GE_VEC_PUSH_SLOT(sc->blocks);
  if (!k) {
    *oom = 1;
    return UINT32_MAX;
  }
  *k = (pf_sblock){sc->texts.n, (uint32_t)len, h};
  memcpy(sc->texts.v + sc->texts.n, b, len);
  sc->texts.n += len;
  ge_hashidx_set(&sc->ix, j, (uint32_t)sc->blocks.n - 1);
  return (uint32_t)sc->blocks.n - 1;
}

int pf_scan_chunk(pf_scan *sc, const char *s, size_t n, int final, pf_hints *out) {
  out->n = 0;
  const char *end = s + n, *q = s;
  int oom = 0;
  while (q < end) {
    const char *nl = memchr(q, '\n', (size_t)(end - q));
    if (!nl) break;
    const char *b = nl + 1;
    /* a block: the tab lines under a line that is not one of them */
    if (*q == '\t' || *q == '\n' || b >= end || *b != '\t') {
      q = b;
      continue;
    }
    const char *e = b;
    int ok = 1;
    while (e < end && *e == '\t') {
      const char *l = memchr(e, '\n', (size_t)(end - e));
      if (!l || (size_t)(l - e) > sc->max_line_bytes) {
        ok = 0;
        e = l ? l + 1 : end;
        break;
      }
      e = l + 1;
    }
    if (ok && (e == end ? final : *e == '\n') && (size_t)(e - b) <= UINT32_MAX) {
      uint32_t id = block_id(sc, b, (size_t)(e - b), &oom);
      if (oom) return -1;
      if (id != UINT32_MAX) {
        pf_hint *h = GE_VEC_PUSH_SLOT(*out);
        if (!h) return -1;
        *h = (pf_hint){(uint64_t)(b - s), (uint32_t)(e - b), id};
      }
    }
    q = e;
  }
  return 0;
}

void pf_scan_free(pf_scan *sc) {
  GE_VEC_FREE(sc->blocks);
  ge_hashidx_free(&sc->ix);
  GE_VEC_FREE(sc->texts);
}
