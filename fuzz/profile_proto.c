/* libFuzzer harness: ge_profile_parse over arbitrary bytes (gzip detected and
 * inflated with a small max_inflated_bytes), then top by every grouping,
 * folded, encode and a re-parse of the encoding. Inputs that are not gzip are
 * also gzipped and parsed again, so that mutated profile.proto bytes reach the
 * decoder through the inflate path too (mutating gzip bytes mostly fails the
 * CRC). Seeds: fuzz/corpus/profile_proto/ (runtime profiles, gzipped and plain). */
#include <libdeflate.h>
#include <stdlib.h>

#include "goescape.h"

static void parse_one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_one(data, size);
  if (size < 65536 && !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b)) {
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
    if (!c) return 0;
    size_t bound = libdeflate_gzip_compress_bound(c, size);
    unsigned char *gz = malloc(bound);
    size_t n = gz ? libdeflate_gzip_compress(c, data, size, gz, bound) : 0;
    if (n) parse_one(gz, n);
    free(gz);
    libdeflate_free_compressor(c);
  }
  return 0;
}

static void parse_one(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_inflated_bytes = 16u << 20;
  lim.max_records = 1u << 20;
  ge_error err;
  ge_profile *p;
  if (ge_profile_parse("fuzz", data, size, &lim, &p, &err)) return;
  ge_prof_info in;
  ge_profile_info(p, &in);
  for (int by = GE_PROF_BY_FUNCTION; by <= GE_PROF_BY_STACK && in.nsample_types; by++) {
    ge_prof_query q = {0};
    q.sample = in.default_sample;
    q.by = (ge_prof_by)by;
    if (by == GE_PROF_BY_LINE) q.hide = "runtime";
    if (by == GE_PROF_BY_FILE) q.focus = "main", q.ignore = "x", q.show = ".";
    ge_prof_top *t;
    if (!ge_profile_top(p, &q, &t, &err)) ge_prof_top_free(t);
  }
  if (in.nsample_types) {
    ge_prof_query q = {0};
    char *buf;
    size_t n;
    if (!ge_profile_folded(p, &q, &buf, &n, &err)) free(buf);
  }
  unsigned char *enc;
  size_t n;
  if (!ge_profile_encode(p, 0, &enc, &n, &err)) {
    ge_profile *q;
    if (!ge_profile_parse("re", enc, n, &lim, &q, &err)) ge_profile_free(q);
    free(enc);
  }
  ge_profile_free(p);
}
