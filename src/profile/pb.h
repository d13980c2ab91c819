/* Protocol-buffer wire format reading: varints (core/varint.h), fixed
 * 32/64-bit fields, length-delimited fields, all bounds-checked against an
 * end pointer. A failing read returns -1 and leaves the cursor where the
 * bad field began, so that errors can report its offset. */
#ifndef GE_PROFILE_PB_H
#define GE_PROFILE_PB_H
#include <stddef.h>
#include <stdint.h>

#include "core/varint.h"

typedef struct pb {
  const unsigned char *p, *end;
} pb;

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

static inline int pb_varint(pb *r, uint64_t *out) {
  return ge_uvarint(&r->p, r->end, out) ? 0 : -1;
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
