/* gzip for every input read whole (profiles, escape logs) and for written
 * profiles: whole-buffer inflate/deflate with libdeflate (about 3x faster
 * than zlib's inflate on profile.proto in bench/profile.sh runs).
 * Reads single- and multi-member gzip (RFC 1952). The output size is guessed
 * from the ISIZE trailer and grown on demand, never past `max`
 * (ge_limits.max_inflated_bytes), so a decompression bomb fails with a
 * GE_ERR_LIMIT error instead of exhausting memory. */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/gzip.h"

int ge_is_gzip(const unsigned char *b, size_t n) {
  return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

ge_err ge_gunzip(const unsigned char *b, size_t n, uint64_t max, unsigned char **out,
                      size_t *outn, ge_error *err) {
  *out = NULL;
  *outn = 0;
  if (n < 18) return ge_fail(err, GE_ERR_FORMAT, "gzip: truncated header at offset 0");
  if (max > SIZE_MAX / 2) max = SIZE_MAX / 2;
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  if (!d) return ge_fail(err, GE_ERR_NOMEM, "gzip: out of memory");
  size_t isize = (size_t)b[n - 4] | (size_t)b[n - 3] << 8 | (size_t)b[n - 2] << 16 |
                 (size_t)b[n - 1] << 24;
  size_t cap = isize + 64;
  if (cap < 4096) cap = 4096;
  if (cap > max) cap = (size_t)max;
  unsigned char *buf = NULL;
  size_t used = 0, in_off = 0;
  ge_err rc = GE_OK;
  while (in_off < n) {
    if (in_off > 0 && !ge_is_gzip(b + in_off, n - in_off)) {
      if (b[in_off] == 0) break; /* zero padding after the last member */
      rc = ge_fail(err, GE_ERR_FORMAT, "gzip: trailing garbage at offset %zu", in_off);
      break;
    }
    for (;;) {
      if (!buf || used == cap) {
        if (buf && cap >= max) {
          rc = ge_fail(err, GE_ERR_LIMIT,
                       "gzip: inflated size exceeds max_inflated_bytes (%llu)",
                       (unsigned long long)max);
          break;
        }
        size_t ncap = buf ? (cap > max / 2 ? (size_t)max : cap * 2) : cap;
        unsigned char *nb = realloc(buf, ncap ? ncap : 1);
        if (!nb) {
          rc = ge_fail(err, GE_ERR_NOMEM, "gzip: out of memory inflating %zu bytes", ncap);
          break;
        }
        buf = nb;
        cap = ncap;
      }
      size_t in_used = 0, out_used = 0;
      enum libdeflate_result r = libdeflate_gzip_decompress_ex(
          d, b + in_off, n - in_off, buf + used, cap - used, &in_used, &out_used);
      if (r == LIBDEFLATE_SUCCESS) {
        in_off += in_used;
        used += out_used;
        break;
      }
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        if (cap >= max) {
          rc = ge_fail(err, GE_ERR_LIMIT,
                       "gzip: inflated size exceeds max_inflated_bytes (%llu)",
                       (unsigned long long)max);
          break;
        }
        size_t ncap = cap > max / 2 ? (size_t)max : cap * 2;
        unsigned char *nb = realloc(buf, ncap);
        if (!nb) {
          rc = ge_fail(err, GE_ERR_NOMEM, "gzip: out of memory inflating %zu bytes", ncap);
          break;
        }
        buf = nb;
        cap = ncap;
        continue;
      }
      rc = ge_fail(err, GE_ERR_FORMAT, "gzip: %s in the member at offset %zu",
                   r == LIBDEFLATE_SHORT_OUTPUT ? "short output" : "corrupt or truncated data",
                   in_off);
      break;
    }
    if (rc) break;
  }
  libdeflate_free_decompressor(d);
  if (rc) {
    free(buf);
    return rc;
  }
  *out = buf;
  *outn = used;
  return GE_OK;
}

ge_err ge_gzip(const unsigned char *b, size_t n, unsigned char **out, size_t *outn,
                    ge_error *err) {
  *out = NULL;
  *outn = 0;
  struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
  if (!c) return ge_fail(err, GE_ERR_NOMEM, "gzip: out of memory");
  size_t bound = libdeflate_gzip_compress_bound(c, n);
  unsigned char *buf = malloc(bound ? bound : 1);
  if (!buf) {
    libdeflate_free_compressor(c);
    return ge_fail(err, GE_ERR_NOMEM, "gzip: out of memory");
  }
  size_t got = libdeflate_gzip_compress(c, b, n, buf, bound);
  libdeflate_free_compressor(c);
  if (!got) {
    free(buf);
    return ge_fail(err, GE_ERR_NOMEM, "gzip: compression failed");
  }
  *out = buf;
  *outn = got;
  return GE_OK;
}
