/* A batch's PCs in address order, for batch.c: a radix sort of packed
 * keys ((pc - lowest) << index bits | input position) over the bits where
 * the PCs differ, or of (pc, position) pairs when a key would not fit in 64
 * bits. The sort is stable, so equal PCs stay in input order. */
#include <stdlib.h>

#include "core/bigmem.h"
#include "pcln.h"

/* LSD radix sort of a[0..n) by pc, 8 bits a pass, skipping the bytes that
 * every pc shares; tmp has room for n. Returns the sorted copy (a or tmp). */
static struct ge_pcsort *radix_sort(struct ge_pcsort *a, struct ge_pcsort *tmp, size_t n) {
  size_t cnt[8][256];
  memset(cnt, 0, sizeof cnt);
  for (size_t k = 0; k < n; k++)
    for (unsigned by = 0; by < 8; by++) cnt[by][(a[k].pc >> (8 * by)) & 255]++;
  for (unsigned by = 0; by < 8; by++) {
    size_t *c = cnt[by];
    if (c[(a[0].pc >> (8 * by)) & 255] == n) continue;
    size_t sum = 0;
    for (unsigned v = 0; v < 256; v++) {
      size_t x = c[v];
      c[v] = sum;
      sum += x;
    }
    for (size_t k = 0; k < n; k++) tmp[c[(a[k].pc >> (8 * by)) & 255]++] = a[k];
    struct ge_pcsort *s = a;
    a = tmp;
    tmp = s;
  }
  return a;
}

/* How packed keys are sorted: by their bits [from, to), in as few passes
 * of at most 12 bits as cover them, each pass taking the same number of
 * bits (23 bits of PC offset: two passes of 12, where digits of 11 bits
 * would need three; a 12-bit count table still fits in L1). */
enum { KEY_MAXBITS = 12, KEY_RADIX = 1 << KEY_MAXBITS };
typedef struct keydigits {
  unsigned from, passes, bits;
  uint64_t mask;
} keydigits;

static keydigits key_digits(unsigned from, unsigned to) {
  keydigits d = {from, 0, 0, 0};
  unsigned span = to > from ? to - from : 0;
  d.passes = (span + KEY_MAXBITS - 1) / KEY_MAXBITS;
  d.bits = d.passes ? (span + d.passes - 1) / d.passes : 0;
  d.mask = ((uint64_t)1 << d.bits) - 1;
  return d;
}

/* LSD radix sort of packed keys; cnt holds, for each pass p, the count of
 * each digit value at cnt[p * KEY_RADIX] (counted while the keys were made:
 * one read of them, not one a pass). The bits below d->from are input
 * positions, already ascending: the sort is stable. tmp has room for n.
 * Returns the sorted copy (a or tmp). */
static uint64_t *radix_keys(uint64_t *a, uint64_t *tmp, size_t n, const keydigits *d,
                            size_t *cnt) {
  size_t r = (size_t)1 << d->bits;
  for (unsigned p = 0, sh = d->from; p < d->passes; p++, sh += d->bits) {
    size_t *c = cnt + (size_t)p * KEY_RADIX;
    if (c[(a[0] >> sh) & d->mask] == n) continue; /* every key has this digit */
    size_t sum = 0;
    for (size_t v = 0; v < r; v++) {
      size_t x = c[v];
      c[v] = sum;
      sum += x;
    }
    for (size_t k = 0; k < n; k++) tmp[c[(a[k] >> sh) & d->mask]++] = a[k];
    uint64_t *s = a;
    a = tmp;
    tmp = s;
  }
  return a;
}

static unsigned bits_of(uint64_t v) {
  unsigned n = 0;
  while (v) {
    n++;
    v >>= 1;
  }
  return n;
}

ge_err ge_sort_pcs(ge_binary *b, const uint64_t *pcs, size_t npcs, ge_pcorder *o,
                   ge_error *err) {
  if (npcs > SIZE_MAX / (2 * sizeof(struct ge_pcsort))) return ge_pcln_nomem(err);
  uint64_t lo = pcs[0], hi = pcs[0];
  for (size_t k = 1; k < npcs; k++) {
    if (pcs[k] < lo) lo = pcs[k];
    if (pcs[k] > hi) hi = pcs[k];
  }
  unsigned ibits = bits_of(npcs - 1), pbits = bits_of(hi - lo);
  int packed = ibits + pbits <= 64;
  size_t need = 2 * npcs * (packed ? sizeof(uint64_t) : sizeof(struct ge_pcsort));
  if (b->sortcap < need) { /* scratch: nothing to keep */
    ge_big_free(b->sortbuf, b->sortcap);
    b->sortbuf = ge_big_alloc(need);
    b->sortcap = b->sortbuf ? need : 0;
    if (!b->sortbuf) return ge_pcln_nomem(err);
  }
  memset(o, 0, sizeof *o);
  if (packed) {
    uint64_t *a = b->sortbuf;
    keydigits d = key_digits(ibits, ibits + pbits);
    size_t *cnt = calloc((size_t)d.passes * KEY_RADIX + 1, sizeof *cnt);
    if (!cnt) return ge_pcln_nomem(err);
    if (d.passes == 2) { /* the usual case (up to 24 bits of offsets), unrolled */
      for (size_t k = 0; k < npcs; k++) {
        uint64_t x = pcs[k] - lo;
        a[k] = x << ibits | k;
        cnt[x & d.mask]++;
        cnt[KEY_RADIX + ((x >> d.bits) & d.mask)]++;
      }
    } else {
      for (size_t k = 0; k < npcs; k++) {
        uint64_t x = pcs[k] - lo;
        a[k] = x << ibits | k;
        for (unsigned p = 0; p < d.passes; p++)
          cnt[p * KEY_RADIX + ((x >> (p * d.bits)) & d.mask)]++;
      }
    }
    o->keys = radix_keys(a, a + npcs, npcs, &d, cnt);
    free(cnt);
    o->base = lo;
    o->ibits = ibits;
    o->imask = ibits ? UINT64_MAX >> (64 - ibits) : 0;
  } else {
    struct ge_pcsort *a = b->sortbuf;
    for (size_t k = 0; k < npcs; k++) {
      a[k].pc = pcs[k];
      a[k].i = k;
    }
    o->pairs = radix_sort(a, a + npcs, npcs);
  }
  return GE_OK;
}
