/* profile.proto decoder (google/pprof proto/profile.proto, every field of
 * the 2016–2024 schema incl. Line.column; unknown fields skipped by wire
 * type). Repeated scalars are read packed or unpacked.
 *
 * A counting pass first stores nothing: it counts every entity decoding
 * would store (down to the lines of each location and the location ids and
 * labels of each sample), so that the memory the profile will take is
 * judged against max_profile_ratio before any of it is allocated, and every
 * array is then sized once. Then two passes over the top-level
 * message: the first decodes everything but samples (mappings, locations,
 * functions and the string table may come in any order), the second decodes
 * samples with ids already resolvable, so each sample's location ids become
 * indices while it is read.
 *
 * One file, though long: the counting pass and the decoding passes read the
 * same fields of the same messages, and what the first counts the others
 * must store exactly (the arrays are sized by it); side by side, a field
 * added to one is seen missing from the other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model.h"
#include "pb.h"

typedef struct sv {
  const unsigned char *p;
  size_t n;
} sv;

/* id -> index: dense table when ids are small (Go writes 1..N), else sorted
 * pairs and binary search. */
typedef struct idpair {
  uint64_t id;
  uint32_t idx;
} idpair;

typedef struct idmap {
  uint32_t *dense; /* idx+1, 0 = absent */
  size_t ndense;
  idpair *pairs;
  size_t npairs;
} idmap;

static int idpair_cmp(const void *a, const void *b) {
  uint64_t x = ((const idpair *)a)->id, y = ((const idpair *)b)->id;
  return x < y ? -1 : x > y;
}

/* ids[i*stride] read as uint64 (first field of each record). Returns -1 on
 * out of memory, or the record index + 1 of a duplicate id as a positive
 * number via *dup. */
static int idmap_build(idmap *m, const void *recs, size_t n, size_t stride, size_t *dup) {
  memset(m, 0, sizeof *m);
  *dup = SIZE_MAX;
  uint64_t max = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t id = *(const uint64_t *)((const char *)recs + i * stride);
    if (id > max) max = id;
  }
  if (n == 0) return 0;
  if (max <= 2 * (uint64_t)n + 1024) {
    m->ndense = (size_t)max + 1;
    m->dense = calloc(m->ndense, sizeof *m->dense);
    if (!m->dense) return -1;
    for (size_t i = 0; i < n; i++) {
      uint64_t id = *(const uint64_t *)((const char *)recs + i * stride);
      if (m->dense[id]) {
        if (*dup == SIZE_MAX) *dup = i;
        continue;
      }
      m->dense[id] = (uint32_t)i + 1;
    }
    return 0;
  }
  m->pairs = malloc(n * sizeof *m->pairs);
  if (!m->pairs) return -1;
  for (size_t i = 0; i < n; i++)
    m->pairs[i] = (idpair){*(const uint64_t *)((const char *)recs + i * stride), (uint32_t)i};
  qsort(m->pairs, n, sizeof *m->pairs, idpair_cmp);
  m->npairs = n;
  for (size_t i = 1; i < n; i++)
    if (m->pairs[i].id == m->pairs[i - 1].id && *dup == SIZE_MAX) *dup = m->pairs[i].idx;
  return 0;
}

static uint32_t idmap_search(const idmap *m, uint64_t id) {
  size_t lo = 0, hi = m->npairs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->pairs[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < m->npairs && m->pairs[lo].id == id ? m->pairs[lo].idx : GE_NONE;
}

/* The dense case stays small enough to be inlined into the sample loop,
 * which looks up every location id a sample lists. */
static inline uint32_t idmap_get(const idmap *m, uint64_t id) {
  if (m->dense) return id < m->ndense && m->dense[id] ? m->dense[id] - 1 : GE_NONE;
  return idmap_search(m, id);
}

static void idmap_free(idmap *m) {
  free(m->dense);
  free(m->pairs);
}

typedef struct dec {
  ge_profile *P;
  const unsigned char *base;
  size_t len; /* bytes of input */
  ge_error *err;
  GE_VEC(sv) strs;
  uint32_t *smap;              /* string index -> interned id */
  GE_VEC(uint64_t) loc_map_id; /* raw mapping id per location */
  GE_VEC(uint64_t) line_fn_id; /* raw function id per line */
  size_t nsample_fields;
  idmap locm, funcm, mapm;
} dec;

#define OFF(d, r) ((size_t)((r)->p - (d)->base))

static ge_err bad(dec *d, const pb *r, const char *what) {
  return ge_fail(d->err, GE_ERR_FORMAT, "profile.proto: %s at offset %zu", what, OFF(d, r));
}

static ge_err nomem(dec *d) { return ge_fail(d->err, GE_ERR_NOMEM, "profile.proto: out of memory"); }

/* A string-table index as read; checked against the table later. */
static int str_index(dec *d, pb *r, uint32_t *out, ge_err *rc) {
  const unsigned char *at = r->p;
  uint64_t v;
  if (pb_varint(r, &v)) {
    *rc = bad(d, r, "bad varint");
    return -1;
  }
  if (v >= UINT32_MAX) {
    r->p = at;
    *rc = bad(d, r, "string index out of range");
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

/* ------------------------------------------------------------ counting */

/* What decoding will store. Each count is at least what the decoding passes
 * push (they stop at the same malformed top-level field, and within a
 * message push no more than is counted), so the memory judged here bounds
 * the memory taken. */
typedef struct counts {
  size_t st, maps, funcs, locs, lines, strs, str_bytes, comments;
  size_t samples, locrefs, labels;
  uint64_t budget;           /* ge_prof_budget of the input */
  size_t fields;             /* fields counted, to judge the budget every so many */
  const unsigned char *over; /* where the counts passed the budget; NULL: they did not */
} counts;

/* Bytes one entity takes once decoded: its record in the model plus the
 * decoder's tables for it (raw ids, id maps, string views). Sample types and
 * comments are charged their listing too: every open lists them whole (the
 * Lua binding builds a table per type and a list slot per comment), which
 * costs far more than their model record. */
enum {
  COST_ST = sizeof(pvt) + 128,
  COST_MAP = sizeof(pmap) + sizeof(idpair),
  COST_FUNC = sizeof(pfunc) + sizeof(idpair),
  COST_LOC = sizeof(ploc) + sizeof(uint64_t) + sizeof(idpair),
  COST_LINE = sizeof(pline) + sizeof(uint64_t),
  /* view, index -> id, intern entry and two hash slots, the NUL */
  COST_STR = sizeof(sv) + sizeof(uint32_t) + sizeof(ge_intern_entry) + 2 * sizeof(uint32_t) + 1,
  COST_COMMENT = sizeof(uint32_t) + 16,
  COST_SAMPLE = 2 * sizeof(uint32_t), /* plus its values: one per sample type */
  COST_LOCREF = sizeof(uint32_t),
  COST_LABEL = sizeof(plabel),
};

typedef struct cost {
  const char *what;
  size_t count;
  uint64_t bytes;
} cost;

enum { NCOSTS = 10 };

/* The bytes the counted entities take, by kind; returns their sum. */
static uint64_t costs_of(const counts *c, cost k[NCOSTS]) {
  cost all[NCOSTS] = {
      {"sample types", c->st, ge_sat_mul(c->st, COST_ST)},
      {"samples", c->samples,
       ge_sat_mul(c->samples, ge_sat_add(COST_SAMPLE, ge_sat_mul(c->st, sizeof(int64_t))))},
      {"location ids in samples", c->locrefs, ge_sat_mul(c->locrefs, COST_LOCREF)},
      {"labels", c->labels, ge_sat_mul(c->labels, COST_LABEL)},
      {"mappings", c->maps, ge_sat_mul(c->maps, COST_MAP)},
      {"locations", c->locs, ge_sat_mul(c->locs, COST_LOC)},
      {"lines", c->lines, ge_sat_mul(c->lines, COST_LINE)},
      {"functions", c->funcs, ge_sat_mul(c->funcs, COST_FUNC)},
      {"strings", c->strs, ge_sat_add(ge_sat_mul(c->strs, COST_STR), c->str_bytes)},
      {"comments", c->comments, ge_sat_mul(c->comments, COST_COMMENT)},
  };
  uint64_t sum = 0;
  for (size_t i = 0; i < NCOSTS; i++) {
    sum = ge_sat_add(sum, all[i].bytes);
    if (k) k[i] = all[i];
  }
  return sum;
}

/* Judged every 65536 fields (counts only grow): a gzip bomb of empty
 * entries is refused once its first part is counted, not its whole. */
static inline int past_budget(counts *c, const unsigned char *at) {
  if ((++c->fields & 0xffff) || costs_of(c, NULL) <= c->budget) return 0;
  c->over = at;
  return 1;
}

/* Little-endian whatever the host: compilers make this one load. */
static inline uint64_t load64le(const unsigned char *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
         (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
         (uint64_t)p[7] << 56;
}

/* Bytes of w without their top bit. */
static inline size_t clear_tops(uint64_t w) {
  w = (~w & 0x8080808080808080ull) >> 7;
  return (size_t)((w * 0x0101010101010101ull) >> 56);
}

/* Varints in the packed payload p[0..n): one per byte without the
 * continuation bit, an upper bound on what reading it yields. Packed
 * location ids are most of a real profile's bytes, in payloads of a few
 * dozen bytes, so eight bytes go per step and the tail is one more load:
 * ahead into the input when it holds eight more bytes (they are forced to
 * 0xff), else back over bytes already counted (they are forced likewise). */
static inline size_t count_varints(const unsigned char *p, size_t n,
                                   const unsigned char *input_end) {
  size_t c = 0, i = 0;
  for (; i + 8 <= n; i += 8) c += clear_tops(load64le(p + i));
  size_t rest = n - i;
  if (!rest) return c;
  if ((size_t)(input_end - (p + i)) >= 8)
    return c + clear_tops(load64le(p + i) | ~0ull << (8 * rest));
  if (n >= 8) return c + clear_tops(load64le(p + n - 8) | ((1ull << (8 * (8 - rest))) - 1));
  for (; i < n; i++) c += p[i] < 0x80;
  return c;
}

static void count_lines(pb r, counts *c) {
  uint64_t key;
  while (r.p < r.end && !pb_varint(&r, &key)) {
    if (key == (4 << 3 | PB_LEN)) {
      c->lines++;
      if (past_budget(c, r.p)) return;
    }
    if (pb_skip(&r, (unsigned)(key & 7))) return;
  }
}

/* A sample's values are not counted: a valid sample has one per sample
 * type, and decoding refuses a sample with more before storing it. The
 * budget is judged at labels only: location ids take at most 4 bytes per
 * byte, and count_all judges it after each sample. */
static inline void count_sample(pb r, const unsigned char *input_end, counts *c) {
  uint64_t key;
  pb sub;
  while (r.p < r.end && !pb_varint(&r, &key)) {
    if ((key & 7) == PB_LEN) {
      if (pb_bytes(&r, &sub)) return;
      if (key == (1 << 3 | PB_LEN)) {
        c->locrefs += count_varints(sub.p, (size_t)(sub.end - sub.p), input_end);
      } else if (key == (3 << 3 | PB_LEN)) {
        c->labels++;
        if (past_budget(c, r.p)) return;
      }
    } else {
      if (key == (1 << 3 | PB_VARINT)) c->locrefs++;
      if (pb_skip(&r, (unsigned)(key & 7))) return;
    }
  }
}

/* Counts up to the first top-level field that pass1 refuses (a bad key,
 * field 0, a known field of the wrong wire type, a truncated field), so
 * that an input refused by its first bytes is not scanned to its end; or
 * until the counts pass the budget. */
static void count_all(const unsigned char *b, size_t n, uint64_t budget, counts *c) {
  pb r = {b, b + n};
  uint64_t key;
  memset(c, 0, sizeof *c);
  c->budget = budget;
  while (r.p < r.end && !pb_varint(&r, &key) && !c->over) {
    unsigned wt = (unsigned)(key & 7);
    uint64_t fno = key >> 3;
    pb sub;
    if (fno == 0) return;
    if ((fno >= 1 && fno <= 6) || fno == 11) {
      if (wt != PB_LEN || pb_bytes(&r, &sub)) return;
      switch (fno) {
      case 1: c->st++; break;
      case 2: c->samples++; count_sample(sub, r.end, c); break;
      case 3: c->maps++; break;
      case 4: c->locs++; count_lines(sub, c); break;
      case 5: c->funcs++; break;
      case 6: c->strs++; c->str_bytes += (size_t)(sub.end - sub.p); break;
      }
    } else if (fno == 13 && wt == PB_LEN) {
      if (pb_bytes(&r, &sub)) return;
      c->comments += count_varints(sub.p, (size_t)(sub.end - sub.p), r.end);
    } else if (fno <= 14 && wt != PB_VARINT) {
      return;
    } else {
      if (fno == 13) c->comments++;
      if (pb_skip(&r, wt)) return;
    }
    if (!c->over) past_budget(c, r.p);
  }
}

/* Refuses a profile whose decoding would take more than its budget
 * (max_profile_ratio), naming the entity that takes most. */
static ge_err check_budget(const counts *c, const unsigned char *b, size_t n,
                           const ge_limits *lim, ge_error *err) {
  cost k[NCOSTS];
  uint64_t need = costs_of(c, k);
  if (!c->over && need <= c->budget) return GE_OK;
  size_t most = 0;
  for (size_t i = 1; i < NCOSTS; i++)
    if (k[i].bytes > k[most].bytes) most = i;
  char by[48] = "";
  if (c->over) snprintf(by, sizeof by, " by offset %zu", (size_t)(c->over - b));
  return ge_fail(err, GE_ERR_LIMIT,
                 "profile.proto: its %zu bytes would take %s%llu bytes decoded (%zu %s take "
                 "%llu%s): more than %u per byte plus %d MiB (limit max_profile_ratio = %u)",
                 n, c->over ? "over " : "", (unsigned long long)need, k[most].count, k[most].what,
                 (unsigned long long)k[most].bytes, by, lim->max_profile_ratio,
                 GE_PROF_BUDGET_FLOOR_MIB, lim->max_profile_ratio);
}

/* Sizes the arrays pass1 fills for what was counted. */
static int reserve_pass1(dec *d, const counts *c) {
  ge_profile *P = d->P;
#define EXACT(vec, total) \
  ge_vec_reserve_exact((void **)&(vec).v, &(vec).cap, (total), sizeof *(vec).v)
  return EXACT(P->st, c->st) || EXACT(P->maps, c->maps) || EXACT(P->funcs, c->funcs) ||
         EXACT(P->locs, c->locs) || EXACT(d->loc_map_id, c->locs) ||
         EXACT(P->lines, c->lines) || EXACT(d->line_fn_id, c->lines) ||
         EXACT(d->strs, c->strs) || EXACT(P->comments, c->comments);
}

/* Sizes the sample arrays; a valid sample has one value per sample type. */
static int reserve_pass2(dec *d, const counts *c) {
  ge_profile *P = d->P;
  size_t nst = P->st.n;
  if (nst && c->samples > SIZE_MAX / nst) return -1;
  return EXACT(P->s_loff, c->samples + 1) || EXACT(P->s_lab, c->samples + 1) ||
         EXACT(P->s_locs, c->locrefs) || EXACT(P->labels, c->labels) ||
         EXACT(P->values, c->samples * nst);
#undef EXACT
}

#define FIELD_LOOP(r)                                                   \
  while ((r)->p < (r)->end) {                                           \
    const unsigned char *field_at = (r)->p;                             \
    uint64_t key;                                                       \
    if (pb_varint((r), &key)) return bad(d, (r), "bad field key");      \
    unsigned wt = (unsigned)(key & 7);                                  \
    uint64_t fno = key >> 3;                                            \
    /* field 0 does not exist: zeros are not a profile (a sparse file  \
     * would otherwise be skipped to its end, a varint at a time) */     \
    if (fno == 0) {                                                     \
      (r)->p = field_at;                                                \
      return bad(d, (r), "field number 0");                            \
    }                                                                   \
    (void)field_at;

#define FIELD_LOOP_END }

#define WANT(r, w)                                              \
  do {                                                          \
    if (wt != (w)) {                                            \
      (r)->p = field_at;                                        \
      return bad(d, (r), "unexpected wire type");               \
    }                                                           \
  } while (0)

#define VARINT(r, dst)                                          \
  do {                                                          \
    uint64_t v_;                                                \
    WANT(r, PB_VARINT);                                         \
    if (pb_varint((r), &v_)) return bad(d, (r), "bad varint"); \
    dst = v_;                                                   \
  } while (0)

#define SKIP(r)                                                       \
  do {                                                                \
    if (pb_skip((r), wt)) {                                           \
      (r)->p = field_at;                                              \
      return bad(d, (r), "truncated or bad field");                   \
    }                                                                 \
  } while (0)

static ge_err dec_vt(dec *d, pb *r, pvt *out) {
  ge_err rc = GE_OK;
  FIELD_LOOP(r)
    if (fno == 1 || fno == 2) {
      WANT(r, PB_VARINT);
      if (str_index(d, r, fno == 1 ? &out->type : &out->unit, &rc)) return rc;
    } else SKIP(r);
  FIELD_LOOP_END
  return GE_OK;
}

static ge_err dec_mapping(dec *d, pb *r, pmap *m) {
  ge_err rc = GE_OK;
  uint64_t b;
  FIELD_LOOP(r)
    switch (fno) {
    case 1: VARINT(r, m->id); break;
    case 2: VARINT(r, m->start); break;
    case 3: VARINT(r, m->limit); break;
    case 4: VARINT(r, m->offset); break;
    case 5: WANT(r, PB_VARINT); if (str_index(d, r, &m->file, &rc)) return rc; break;
    case 6: WANT(r, PB_VARINT); if (str_index(d, r, &m->build_id, &rc)) return rc; break;
    case 7: VARINT(r, b); m->has_functions = b != 0; break;
    case 8: VARINT(r, b); m->has_filenames = b != 0; break;
    case 9: VARINT(r, b); m->has_line_numbers = b != 0; break;
    case 10: VARINT(r, b); m->has_inline_frames = b != 0; break;
    default: SKIP(r);
    }
  FIELD_LOOP_END
  return GE_OK;
}

static ge_err dec_function(dec *d, pb *r, pfunc *f) {
  ge_err rc = GE_OK;
  uint64_t v;
  FIELD_LOOP(r)
    switch (fno) {
    case 1: VARINT(r, f->id); break;
    case 2: WANT(r, PB_VARINT); if (str_index(d, r, &f->name, &rc)) return rc; break;
    case 3: WANT(r, PB_VARINT); if (str_index(d, r, &f->sysname, &rc)) return rc; break;
    case 4: WANT(r, PB_VARINT); if (str_index(d, r, &f->file, &rc)) return rc; break;
    case 5: VARINT(r, v); f->start_line = (int64_t)v; break;
    default: SKIP(r);
    }
  FIELD_LOOP_END
  return GE_OK;
}

static ge_err dec_line(dec *d, pb *r, pline *l, uint64_t *fid) {
  uint64_t v;
  FIELD_LOOP(r)
    switch (fno) {
    case 1: VARINT(r, *fid); break;
    case 2: VARINT(r, v); l->line = (int64_t)v; break;
    case 3: VARINT(r, v); l->column = (int64_t)v; break;
    default: SKIP(r);
    }
  FIELD_LOOP_END
  return GE_OK;
}

static ge_err dec_location(dec *d, pb *r, ploc *l, uint64_t *mid) {
  ge_profile *P = d->P;
  uint64_t v;
  ge_err rc;
  l->line_off = (uint32_t)P->lines.n;
  FIELD_LOOP(r)
    switch (fno) {
    case 1: VARINT(r, l->id); break;
    case 2: VARINT(r, *mid); break;
    case 3: VARINT(r, l->address); break;
    case 4: {
      pb sub;
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated line");
      if (P->lines.n >= UINT32_MAX - 1) return ge_fail(d->err, GE_ERR_LIMIT, "profile.proto: too many lines");
      pline *ln = GE_VEC_PUSH_SLOT(P->lines);
      uint64_t *fid = GE_VEC_PUSH_SLOT(d->line_fn_id);
      if (!ln || !fid) return nomem(d);
      *ln = (pline){GE_NONE, 0, 0};
      *fid = 0;
      if ((rc = dec_line(d, &sub, ln, fid))) return rc;
      l->nlines++;
      break;
    }
    case 5: VARINT(r, v); l->folded = v != 0; break;
    default: SKIP(r);
    }
  FIELD_LOOP_END
  return GE_OK;
}

/* Reads one value of a repeated scalar field, packed or not, calling the
 * block for each value in v. */
#define REPEATED(r, v, BLOCK)                                                \
  do {                                                                       \
    if (wt == PB_VARINT) {                                                   \
      if (pb_varint((r), &(v))) return bad(d, (r), "bad varint");            \
      BLOCK;                                                                 \
    } else if (wt == PB_LEN) {                                               \
      pb pk_;                                                                \
      if (pb_bytes((r), &pk_)) return bad(d, (r), "truncated packed field"); \
      while (pk_.p < pk_.end) {                                              \
        if (pb_varint(&pk_, &(v))) return bad(d, &pk_, "bad packed varint"); \
        BLOCK;                                                               \
      }                                                                      \
    } else {                                                                 \
      (r)->p = field_at;                                                     \
      return bad(d, (r), "unexpected wire type");                            \
    }                                                                        \
  } while (0)

static ge_err pass1(dec *d, pb *r) {
  ge_profile *P = d->P;
  ge_err rc;
  uint64_t v;
  FIELD_LOOP(r)
    pb sub;
    switch (fno) {
    case 1: {
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated sample_type");
      pvt *t = GE_VEC_PUSH_SLOT(P->st);
      if (!t) return nomem(d);
      *t = (pvt){0, 0};
      if ((rc = dec_vt(d, &sub, t))) return rc;
      break;
    }
    case 2:
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated sample");
      d->nsample_fields++;
      break;
    case 3: {
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated mapping");
      pmap *m = GE_VEC_PUSH_SLOT(P->maps);
      if (!m) return nomem(d);
      memset(m, 0, sizeof *m);
      if ((rc = dec_mapping(d, &sub, m))) return rc;
      break;
    }
    case 4: {
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated location");
      if (P->locs.n >= UINT32_MAX - 1)
        return ge_fail(d->err, GE_ERR_LIMIT, "profile.proto: too many locations");
      ploc *l = GE_VEC_PUSH_SLOT(P->locs);
      uint64_t *mid = GE_VEC_PUSH_SLOT(d->loc_map_id);
      if (!l || !mid) return nomem(d);
      memset(l, 0, sizeof *l);
      *mid = 0;
      if ((rc = dec_location(d, &sub, l, mid))) return rc;
      break;
    }
    case 5: {
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated function");
      if (P->funcs.n >= UINT32_MAX - 1) return ge_fail(d->err, GE_ERR_LIMIT, "profile.proto: too many functions");
      pfunc *f = GE_VEC_PUSH_SLOT(P->funcs);
      if (!f) return nomem(d);
      memset(f, 0, sizeof *f);
      if ((rc = dec_function(d, &sub, f))) return rc;
      break;
    }
    case 6: {
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated string");
      if (d->strs.n >= UINT32_MAX - 1) return ge_fail(d->err, GE_ERR_LIMIT, "profile.proto: too many strings");
      sv *s = GE_VEC_PUSH_SLOT(d->strs);
      if (!s) return nomem(d);
      *s = (sv){sub.p, (size_t)(sub.end - sub.p)};
      break;
    }
    case 7: WANT(r, PB_VARINT); if (str_index(d, r, &P->drop_frames, &rc)) return rc; break;
    case 8: WANT(r, PB_VARINT); if (str_index(d, r, &P->keep_frames, &rc)) return rc; break;
    case 9: VARINT(r, v); P->time_nanos = (int64_t)v; break;
    case 10: VARINT(r, v); P->duration_nanos = (int64_t)v; break;
    case 11:
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated period_type");
      if ((rc = dec_vt(d, &sub, &P->period_type))) return rc;
      break;
    case 12: VARINT(r, v); P->period = (int64_t)v; break;
    case 13:
      REPEATED(r, v, {
        if (v >= UINT32_MAX) return bad(d, r, "comment string index out of range");
        uint32_t *c = GE_VEC_PUSH_SLOT(P->comments);
        if (!c) return nomem(d);
        *c = (uint32_t)v;
      });
      break;
    case 14: WANT(r, PB_VARINT); if (str_index(d, r, &P->default_st, &rc)) return rc; break;
    default: SKIP(r);
    }
  FIELD_LOOP_END
  return GE_OK;
}

/* Converts a string index into an interned id; false when out of range. */
static inline int sfix(const dec *d, uint32_t *s) {
  if (*s >= d->strs.n) return 0;
  *s = d->smap[*s];
  return 1;
}

/* A string index past the table: the message names the field, the index
 * and the table's size. */
static ge_err bad_sindex(dec *d, uint32_t ix, const char *what) {
  return ge_fail(d->err, GE_ERR_FORMAT,
                 "profile.proto: %s: string index %u out of range (string_table holds %zu)", what,
                 ix, d->strs.n);
}

#define SFIX(field, ...)                                                                    \
  do {                                                                                      \
    if (!sfix(d, &(field))) {                                                               \
      char what_[96];                                                                       \
      snprintf(what_, sizeof what_, __VA_ARGS__);                                           \
      return bad_sindex(d, (field), what_);                                                 \
    }                                                                                       \
  } while (0)

static ge_err resolve(dec *d) {
  ge_profile *P = d->P;
  size_t ns = d->strs.n;
  if (ns == 0)
    return ge_fail(d->err, GE_ERR_FORMAT,
                   "profile.proto: offset %zu (the end): no string_table (field 6); expected "
                   "at least its empty first string",
                   d->len);
  if (d->strs.v[0].n != 0)
    return ge_fail(d->err, GE_ERR_FORMAT, "profile.proto: string_table[0] is not empty");
  d->smap = malloc(ns * sizeof *d->smap);
  if (!d->smap) return nomem(d);
  for (size_t i = 0; i < ns; i++) {
    uint32_t id = ge_intern_add(&P->str, (const char *)d->strs.v[i].p, d->strs.v[i].n);
    if (id == UINT32_MAX) return nomem(d);
    d->smap[i] = id;
  }
  for (size_t i = 0; i < P->st.n; i++) {
    SFIX(P->st.v[i].type, "sample_type %zu: type", i);
    SFIX(P->st.v[i].unit, "sample_type %zu: unit", i);
  }
  SFIX(P->period_type.type, "period_type: type");
  SFIX(P->period_type.unit, "period_type: unit");
  SFIX(P->drop_frames, "drop_frames");
  SFIX(P->keep_frames, "keep_frames");
  SFIX(P->default_st, "default_sample_type");
  for (size_t i = 0; i < P->comments.n; i++)
    SFIX(P->comments.v[i], "comment %zu", i);
  for (size_t i = 0; i < P->maps.n; i++) {
    SFIX(P->maps.v[i].file, "mapping %zu: filename", i);
    SFIX(P->maps.v[i].build_id, "mapping %zu: build_id", i);
  }
  for (size_t i = 0; i < P->funcs.n; i++) {
    pfunc *f = &P->funcs.v[i];
    SFIX(f->name, "function %zu: name", i);
    SFIX(f->sysname, "function %zu: system_name", i);
    SFIX(f->file, "function %zu: filename", i);
  }
  size_t dup;
  if (idmap_build(&d->funcm, P->funcs.v, P->funcs.n, sizeof(pfunc), &dup)) return nomem(d);
  if (dup != SIZE_MAX)
    return ge_fail(d->err, GE_ERR_FORMAT, "profile.proto: function %zu: duplicate id %llu", dup,
                   (unsigned long long)P->funcs.v[dup].id);
  if (idmap_build(&d->mapm, P->maps.v, P->maps.n, sizeof(pmap), &dup)) return nomem(d);
  if (dup != SIZE_MAX)
    return ge_fail(d->err, GE_ERR_FORMAT, "profile.proto: mapping %zu: duplicate id %llu", dup,
                   (unsigned long long)P->maps.v[dup].id);
  if (idmap_build(&d->locm, P->locs.v, P->locs.n, sizeof(ploc), &dup)) return nomem(d);
  if (dup != SIZE_MAX)
    return ge_fail(d->err, GE_ERR_FORMAT, "profile.proto: location %zu: duplicate id %llu", dup,
                   (unsigned long long)P->locs.v[dup].id);
  for (size_t i = 0; i < P->locs.n; i++) {
    ploc *l = &P->locs.v[i];
    if (l->id == 0)
      return ge_fail(d->err, GE_ERR_FORMAT, "profile.proto: location %zu: id 0", i);
    uint64_t mid = d->loc_map_id.v[i];
    l->mapping = GE_NONE;
    if (mid) {
      l->mapping = idmap_get(&d->mapm, mid);
      if (l->mapping == GE_NONE)
        return ge_fail(d->err, GE_ERR_FORMAT,
                       "profile.proto: location %llu: mapping id %llu not found",
                       (unsigned long long)l->id, (unsigned long long)mid);
    }
    for (uint32_t k = 0; k < l->nlines; k++) {
      uint64_t fid = d->line_fn_id.v[l->line_off + k];
      if (!fid) continue;
      uint32_t fi = idmap_get(&d->funcm, fid);
      if (fi == GE_NONE)
        return ge_fail(d->err, GE_ERR_FORMAT,
                       "profile.proto: location %llu: function id %llu not found",
                       (unsigned long long)l->id, (unsigned long long)fid);
      P->lines.v[l->line_off + k].func = fi;
    }
  }
  return GE_OK;
}

static ge_err dec_label(dec *d, pb *r, plabel *lb, size_t sidx) {
  uint64_t v;
  FIELD_LOOP(r)
    switch (fno) {
    case 1: case 2: case 4: {
      WANT(r, PB_VARINT);
      const unsigned char *at = r->p;
      if (pb_varint(r, &v)) return bad(d, r, "bad varint");
      if (v >= d->strs.n) {
        r->p = at;
        return ge_fail(d->err, GE_ERR_FORMAT,
                       "profile.proto: sample %zu: label string index %llu out of range at offset %zu",
                       sidx, (unsigned long long)v, OFF(d, r));
      }
      uint32_t id = d->smap[v];
      if (fno == 1) lb->key = id;
      else if (fno == 2) lb->str = id;
      else lb->unit = id;
      break;
    }
    case 3: VARINT(r, v); lb->num = (int64_t)v; break;
    default: SKIP(r);
    }
  FIELD_LOOP_END
  lb->is_num = lb->str == 0;
  return GE_OK;
}

static ge_err dec_sample(dec *d, pb *r, size_t sidx) {
  ge_profile *P = d->P;
  size_t nst = P->st.n, nv = 0;
  uint64_t v;
  ge_err rc;
  FIELD_LOOP(r)
    switch (fno) {
    case 1:
      REPEATED(r, v, {
        uint32_t li = idmap_get(&d->locm, v);
        if (li == GE_NONE)
          return ge_fail(d->err, GE_ERR_FORMAT,
                         "profile.proto: sample %zu: location id %llu not found (offset %zu)", sidx,
                         (unsigned long long)v, (size_t)(field_at - d->base));
        if (P->s_locs.n >= UINT32_MAX - 1)
          return ge_fail(d->err, GE_ERR_LIMIT, "profile.proto: too many sample locations");
        uint32_t *s = GE_VEC_PUSH_SLOT(P->s_locs);
        if (!s) return nomem(d);
        *s = li;
      });
      break;
    case 2:
      REPEATED(r, v, {
        if (nv >= nst)
          return ge_fail(d->err, GE_ERR_FORMAT,
                         "profile.proto: sample %zu: more values than the %zu sample types (offset %zu)",
                         sidx, nst, (size_t)(field_at - d->base));
        int64_t *s = GE_VEC_PUSH_SLOT(P->values);
        if (!s) return nomem(d);
        *s = (int64_t)v;
        nv++;
      });
      break;
    case 3: {
      pb sub;
      WANT(r, PB_LEN);
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated label");
      if (P->labels.n >= UINT32_MAX - 1)
        return ge_fail(d->err, GE_ERR_LIMIT, "profile.proto: too many labels");
      plabel *lb = GE_VEC_PUSH_SLOT(P->labels);
      if (!lb) return nomem(d);
      memset(lb, 0, sizeof *lb);
      if ((rc = dec_label(d, &sub, lb, sidx))) return rc;
      break;
    }
    default: SKIP(r);
    }
  FIELD_LOOP_END
  if (nv != nst)
    return ge_fail(d->err, GE_ERR_FORMAT,
                   "profile.proto: sample %zu: %zu values for %zu sample types", sidx, nv, nst);
  if (ge_prof_end_sample(P)) return nomem(d);
  return GE_OK;
}

static ge_err pass2(dec *d, pb *r) {
  ge_profile *P = d->P;
  ge_err rc;
  size_t sidx = 0;
  FIELD_LOOP(r)
    if (fno == 2 && wt == PB_LEN) {
      pb sub;
      if (pb_bytes(r, &sub)) return bad(d, r, "truncated sample");
      if ((rc = dec_sample(d, &sub, sidx++))) return rc;
    } else SKIP(r);
  FIELD_LOOP_END
  (void)P;
  return GE_OK;
}

ge_err ge_prof_decode_proto(ge_profile *P, const unsigned char *b, size_t n, ge_error *err) {
  dec d;
  memset(&d, 0, sizeof d);
  d.P = P;
  d.base = b;
  d.len = n;
  d.err = err;
  P->format = "proto";
  counts c;
  count_all(b, n, ge_prof_budget(&P->lim, n), &c);
  /* the limits that need no decoding are judged before anything is stored */
  ge_err rc = GE_OK;
  if (c.samples > P->lim.max_records)
    rc = ge_fail(err, GE_ERR_LIMIT, "profile.proto: %zu samples exceed max_records", c.samples);
  else if (c.locs > P->lim.max_records)
    rc = ge_fail(err, GE_ERR_LIMIT, "profile.proto: %zu locations exceed max_records", c.locs);
  if (!rc) rc = check_budget(&c, b, n, &P->lim, err);
  if (!rc && reserve_pass1(&d, &c)) rc = nomem(&d);
  pb r = {b, b + n};
  if (!rc) rc = pass1(&d, &r);
  if (!rc && P->st.n == 0 && d.nsample_fields)
    rc = ge_fail(err, GE_ERR_FORMAT,
                 "profile.proto: %zu samples but no sample_type (field 1); expected one per value",
                 d.nsample_fields);
  if (!rc) rc = resolve(&d);
  if (!rc && (reserve_pass2(&d, &c) || ge_prof_begin_samples(P))) rc = nomem(&d);
  if (!rc) {
    r = (pb){b, b + n};
    rc = pass2(&d, &r);
  }
  GE_VEC_FREE(d.strs);
  GE_VEC_FREE(d.loc_map_id);
  GE_VEC_FREE(d.line_fn_id);
  free(d.smap);
  idmap_free(&d.locm);
  idmap_free(&d.funcm);
  idmap_free(&d.mapm);
  return rc;
}
