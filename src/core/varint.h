/* Unsigned LEB128 varints (protobuf, Go's encoding/binary, the pclntab's
 * pcvalue tables), read against an end pointer. Each reader returns 1 and
 * moves *pp past the varint, or returns 0 and leaves *pp where it was: at
 * the end of the bytes, or at a varint longer than its width allows. */
#ifndef GE_CORE_VARINT_H
#define GE_CORE_VARINT_H
#include <stdint.h>

/* A 64-bit varint: at most 10 bytes, the tenth 0 or 1 (Go's
 * binary.Uvarint refuses the same overflows). One- and two-byte values
 * are most of what profiles and pcvalue tables hold, so they skip the
 * loop. */
static inline int ge_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
  const uint8_t *p = *pp;
  if (p < end && p[0] < 0x80) {
    *v = p[0];
    *pp = p + 1;
    return 1;
  }
  if (end - p >= 2 && p[1] < 0x80) {
    *v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
    *pp = p + 2;
    return 1;
  }
  uint64_t r = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (p >= end) return 0;
    uint8_t c = *p++;
    if (shift == 63 && c > 1) return 0;
    r |= (uint64_t)(c & 0x7f) << shift;
    if (c < 0x80) {
      *v = r;
      *pp = p;
      return 1;
    }
  }
  return 0;
}

/* A 32-bit varint, as the Go runtime reads pcvalue tables: at most 5
 * bytes, bits past 32 dropped. */
static inline int ge_uvarint32(const uint8_t **pp, const uint8_t *end, uint32_t *v) {
  const uint8_t *p = *pp;
  uint64_t r;
  if (!ge_uvarint(&p, end, &r) || p - *pp > 5) return 0;
  *v = (uint32_t)r;
  *pp = p;
  return 1;
}
#endif
