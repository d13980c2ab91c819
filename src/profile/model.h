/* The in-memory pprof model shared by the decoder, the legacy parsers, the
 * aggregation, merge and the writer. Strings are interned ids (0 = ""),
 * cross references are 0-based indices (GE_NONE = unset), samples are flat
 * arrays indexed through offset tables. */
#ifndef GE_PROFILE_MODEL_H
#define GE_PROFILE_MODEL_H
#include "goescape.h"
#include "core/intern.h"
#include "core/vec.h"

typedef struct pvt { uint32_t type, unit; } pvt;

typedef struct pmap {
  uint64_t id, start, limit, offset;
  uint32_t file, build_id;
  uint8_t has_functions, has_filenames, has_line_numbers, has_inline_frames;
} pmap;

typedef struct pfunc {
  uint64_t id;
  uint32_t name, sysname, file;
  int64_t start_line;
} pfunc;

typedef struct pline {
  uint32_t func;
  int64_t line, column;
} pline;

typedef struct ploc {
  uint64_t id, address;
  uint32_t mapping;
  uint32_t line_off, nlines;
  uint8_t folded;
} ploc;

typedef struct plabel {
  uint32_t key, str, unit;
  uint8_t is_num;
  int64_t num;
} plabel;

/* copy.c duplicates every array of this struct: a new array goes there too. */
struct ge_profile {
  ge_intern str;
  ge_limits lim;
  const char *format;
  GE_VEC(pvt) st;
  GE_VEC(pmap) maps;
  GE_VEC(pfunc) funcs;
  GE_VEC(ploc) locs;
  GE_VEC(pline) lines;
  /* samples: sample i has locations s_locs[s_loff[i] .. s_loff[i+1]) and
   * labels labels[s_lab[i] .. s_lab[i+1]); values at values[i*nst ...]. */
  size_t nsamples;
  GE_VEC(uint32_t) s_loff;
  GE_VEC(uint32_t) s_locs;
  GE_VEC(uint32_t) s_lab;
  GE_VEC(plabel) labels;
  GE_VEC(int64_t) values;
  GE_VEC(uint32_t) comments;
  uint32_t drop_frames, keep_frames;
  int64_t time_nanos, duration_nanos, period;
  pvt period_type;
  uint32_t default_st; /* string id of default_sample_type; 0 = unset */
};

/* Arithmetic on untrusted values: wrapping adds/multiplies (no signed
 * overflow), saturating double conversion. */
static inline int64_t ge_add64(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a + (uint64_t)b);
}
static inline int64_t ge_mul64(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a * (uint64_t)b);
}
static inline int64_t ge_d2i(double d) {
  if (!(d == d)) return 0;
  if (d >= 9.2233720368547748e18) return INT64_MAX;
  if (d <= -9.2233720368547748e18) return INT64_MIN;
  return (int64_t)d;
}
static inline int64_t ge_abs64(int64_t v) {
  return v == INT64_MIN ? INT64_MAX : v < 0 ? -v : v;
}
static inline uint64_t ge_sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}
static inline uint64_t ge_sat_mul(uint64_t a, uint64_t b) {
  return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* The memory a profile decoded from n bytes may take (max_profile_ratio
 * bytes per input byte, plus an allowance every profile has whatever its
 * size: small profiles carry fixed costs that no ratio fits). Decoders judge
 * what they would store against it before storing it. */
#define GE_PROF_BUDGET_FLOOR_MIB 1
static inline uint64_t ge_prof_budget(const ge_limits *lim, size_t n) {
  return ge_sat_add(ge_sat_mul(n, lim->max_profile_ratio),
                    (uint64_t)GE_PROF_BUDGET_FLOOR_MIB << 20);
}

ge_profile *ge_prof_new(const ge_limits *lim);
/* pprof's RemoveUninteresting (prune.c): cuts drop_frames from the samples. */
ge_err ge_prof_prune(ge_profile *p, ge_error *err);
extern const char *const ge_prof_alloc_frames, *const ge_prof_alloc_keep_frames;
extern const char *const ge_prof_lock_frames, *const ge_prof_cpu_frames;
/* Appends a sample; its locations/labels must already be pushed to s_locs /
 * labels. Returns -1 when out of memory. */
int ge_prof_end_sample(ge_profile *p);
/* Starts the offset tables (s_loff[0] = s_lab[0] = 0). */
int ge_prof_begin_samples(ge_profile *p);

static inline ge_strview ge_prof_str(const ge_profile *p, uint32_t id) {
  const ge_intern_entry *e = ge_intern_get(&p->str, id);
  return (ge_strview){e->ptr, e->len};
}

/* Decoders (decode.c, legacy.c): fill an empty profile from decompressed
 * bytes; error messages carry no input name (the caller prefixes it). */
ge_err ge_prof_decode_proto(ge_profile *p, const unsigned char *b, size_t n, ge_error *err);
int ge_prof_is_legacy(const unsigned char *b, size_t n);
ge_err ge_prof_decode_legacy(ge_profile *p, const unsigned char *b, size_t n, ge_error *err);
#endif
