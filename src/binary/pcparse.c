#include "pcparse.h"

#include <string.h>

#include "core/threads.h"

/* Below this a second thread gains nothing: starting it and moving its
 * half down cost about as much as parsing that half saves. */
#ifndef GE_PCPARSE_MT_MIN
#define GE_PCPARSE_MT_MIN ((size_t)8 << 20)
#endif

/* Hex digit values plus one; 0 for a byte that is not a hex digit. */
static const uint8_t hexval1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,
    ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16};

/* Every line but the last takes two bytes at least ("0\n"); a split adds
 * one partial line. */
size_t ge_pcparse_room(size_t len) { return len / 2 + 2; }

/* One pass over s[0..len). */
static ptrdiff_t parse_lines(const char *s, size_t len, uint64_t *pcs) {
  const char *q = s, *end = s + len;
  size_t i = 0;
  while (q < end) {
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
    if (end - q >= 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) q += 2;
    uint64_t pc = 0;
    unsigned nd = 0, d;
    for (; q < end && (d = hexval1[(unsigned char)*q]) != 0; q++, nd++) pc = pc << 4 | (d - 1);
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
    if (!nd || nd > 16 || (q < end && *q != '\n')) return -(ptrdiff_t)i - 1;
    pcs[i++] = pc;
    q++; /* the newline */
  }
  return (ptrdiff_t)i;
}

typedef struct half {
  const char *s;
  size_t len;
  uint64_t *pcs;
  ptrdiff_t got;
} half;

static void parse_half(void *ctx, unsigned thread, size_t k) {
  (void)thread;
  half *h = (half *)ctx + k;
  h->got = parse_lines(h->s, h->len, h->pcs);
}

ptrdiff_t ge_pcparse(const char *s, size_t len, uint64_t *pcs, unsigned threads) {
  if (threads < 2 || len < GE_PCPARSE_MT_MIN) return parse_lines(s, len, pcs);
  /* The second half starts after the first newline past the middle and is
   * parsed into the room the first half cannot use, then moved down. */
  const char *nl = memchr(s + len / 2, '\n', len - len / 2);
  size_t split = nl ? (size_t)(nl - s) + 1 : len;
  if (split >= len) return parse_lines(s, len, pcs);
  size_t room_a = split / 2 + 1;
  half h[2] = {{s, split, pcs, 0}, {s + split, len - split, pcs + room_a, 0}};
  ge_pool_run(2, 2, parse_half, h);
  if (h[0].got < 0) return h[0].got;
  if (h[1].got < 0) return h[1].got - h[0].got; /* its line number, counted from the start */
  memmove(pcs + h[0].got, pcs + room_a, (size_t)h[1].got * sizeof *pcs);
  return h[0].got + h[1].got;
}
