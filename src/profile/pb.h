/* Protocol-buffer wire format reading: varints (at most 10 bytes), fixed
 * 32/64-bit fields, length-delimited fields, all bounds-checked against an
 * end pointer. A failing read returns -1 and leaves the cursor where the
 * bad field began, so that errors can report its offset. */
#ifndef GE_PROFILE_PB_H
#define GE_PROFILE_PB_H
#include <stddef.h>
#include <stdint.h>

typedef struct pb {
  const unsigned char *p, *end;
} pb;

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

static inline int pb_varint(pb *r, uint64_t *out) {
  const unsigned char *p = r->p;
  if (p < r->end && *p < 0x80) {
    *out = *p;
    r->p = p + 1;
    return 0;
  }
  /* two bytes: location and function ids of profiles with 128 to 16383 of
   * them, most of the ids a sample lists */
  if (r->end - p >= 2 && p[1] < 0x80) {
    *out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
    r->p = p + 2;
    return 0;
  }
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p >= r->end) return -1;
    unsigned char c = *p++;
    if (shift == 63 && c > 1) return -1; /* more than 64 bits */
    v |= (uint64_t)(c & 0x7f) << shift;
    if (c < 0x80) {
      *out = v;
      r->p = p;
      return 0;
    }
  }
  return -1;
}

/* Reads a length-delimited payload into *sub. */
static inline int pb_bytes(pb *r, pb *sub) {
  const unsigned char *start = r->p;
  uint64_t n;
  if (pb_varint(r, &n)) return -1;
  if (n > (uint64_t)(r->end - r->p)) {
    r->p = start;
    return -1;
  }
  sub->p = r->p;
  sub->end = r->p + n;
  r->p += n;
  return 0;
}

/* Skips a field of wire type wt (groups are not used by profile.proto and are
 * rejected). */
static inline int pb_skip(pb *r, unsigned wt) {
  uint64_t v;
  pb sub;
  switch (wt) {
  case PB_VARINT: return pb_varint(r, &v);
  case PB_I64:
    if (r->end - r->p < 8) return -1;
    r->p += 8;
    return 0;
  case PB_I32:
    if (r->end - r->p < 4) return -1;
    r->p += 4;
    return 0;
  case PB_LEN: return pb_bytes(r, &sub);
  default: return -1;
  }
}
#endif
