/* Go's legacy text profiles, decoded as google/pprof's
 * profile/legacy_profile.go does (without a binary: stacks stay addresses,
 * each adjusted by -1 to land on the call instruction):
 *   heap       "heap profile: 1: 2 [3: 4] @ heap/1048576" (runtime/pprof
 *              debug=1; heap_v2 / heapprofile too), values unsampled with
 *              pprof's scaleHeapSample, numeric label bytes = block size;
 *   contention "--- mutex:" / "--- contention:" with "key = value" headers
 *              (cycles/second, sampling period, ms since reset);
 *   counts     "goroutine profile: total N" / "threadcreate profile: total N"
 *              (debug=1), value = count.
 * The "--- Memory map: ---" section and anything after it is ignored. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/intern.h"
#include "model.h"

typedef struct lrd {
  const char *p, *end;
  size_t lineno;
} lrd;

/* Next line without its newline and surrounding spaces; 0 at the end. */
static int next_line(lrd *r, const char **s, size_t *n) {
  if (r->p >= r->end) return 0;
  const char *b = r->p, *e = memchr(b, '\n', (size_t)(r->end - b));
  r->p = e ? e + 1 : r->end;
  if (!e) e = r->end;
  r->lineno++;
  while (b < e && (*b == ' ' || *b == '\t' || *b == '\r')) b++;
  while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
  *s = b;
  *n = (size_t)(e - b);
  return 1;
}

static int has_prefix(const char *s, size_t n, const char *pre) {
  size_t k = strlen(pre);
  return n >= k && memcmp(s, pre, k) == 0;
}

static int contains(const char *s, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(s + i, needle, k) == 0) return 1;
  return 0;
}

/* " profile: total " counts header: "<word> profile: total <digits>". */
static int count_header(const char *s, size_t n, size_t *wordlen) {
  size_t w = 0;
  while (w < n && s[w] != ' ' && s[w] != '\t') w++;
  if (w == 0 || !has_prefix(s + w, n - w, " profile: total ")) return 0;
  size_t i = w + strlen(" profile: total ");
  if (i >= n) return 0;
  for (; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  *wordlen = w;
  return 1;
}

int ge_prof_is_legacy(const unsigned char *b, size_t n) {
  lrd r = {(const char *)b, (const char *)b + (n > 4096 ? 4096 : n), 0};
  const char *s;
  size_t len, w;
  while (next_line(&r, &s, &len)) {
    if (len == 0 || s[0] == '#') continue;
    return has_prefix(s, len, "heap profile:") || has_prefix(s, len, "--- mutex:") ||
           has_prefix(s, len, "--- contention:") || has_prefix(s, len, "--- contentionz ") ||
           count_header(s, len, &w);
  }
  return 0;
}

/* Signed decimal at *i; -1 when absent or overflowing. */
static int parse_int(const char *s, size_t n, size_t *i, int64_t *out) {
  int neg = 0;
  if (*i < n && s[*i] == '-') {
    neg = 1;
    (*i)++;
  }
  if (*i >= n || s[*i] < '0' || s[*i] > '9') return -1;
  uint64_t v = 0;
  while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
    if (v > (uint64_t)INT64_MAX / 10) return -1;
    v = v * 10 + (uint64_t)(s[*i] - '0');
    if (v > (uint64_t)INT64_MAX) return -1;
    (*i)++;
  }
  *out = neg ? -(int64_t)v : (int64_t)v;
  return 0;
}

static void skip_sp(const char *s, size_t n, size_t *i) {
  while (*i < n && (s[*i] == ' ' || s[*i] == '\t')) (*i)++;
}

static int expect(const char *s, size_t n, size_t *i, char c) {
  skip_sp(s, n, i);
  if (*i >= n || s[*i] != c) return -1;
  (*i)++;
  skip_sp(s, n, i);
  return 0;
}

typedef struct lp {
  ge_profile *P;
  ge_hashidx locs; /* locations by address */
  ge_error *err;
  size_t lineno;
  size_t len;      /* bytes of input */
  uint64_t budget; /* ge_prof_budget for them */
} lp;

static uint32_t addr_hash(uint64_t a) { return (uint32_t)ge_mix64(a); }

static uint32_t loc_hash(const void *ctx, uint32_t i) {
  return addr_hash(((const ge_profile *)ctx)->locs.v[i].address);
}

static ge_err lnomem(lp *x) { return ge_fail(x->err, GE_ERR_NOMEM, "out of memory"); }

/* Refuses the profile once what it stores exceeds its budget
 * (max_profile_ratio). Judged at each sample and every 4096 new locations
 * (a line may list millions), so little more than a line's location ids
 * (4 bytes for 4 or more of text) is stored past it. */
static ge_err over_budget(lp *x) {
  const ge_profile *P = x->P;
  uint64_t need = ge_sat_mul(P->locs.n, sizeof(ploc) + 2 * sizeof(uint32_t));
  need = ge_sat_add(need, ge_sat_mul(P->s_locs.n, sizeof(uint32_t)));
  need = ge_sat_add(need, ge_sat_mul(P->nsamples, 2 * sizeof(uint32_t)));
  need = ge_sat_add(need, ge_sat_mul(P->values.n, sizeof(int64_t)));
  need = ge_sat_add(need, ge_sat_mul(P->labels.n, sizeof(plabel)));
  if (need <= x->budget) return GE_OK;
  return ge_fail(x->err, GE_ERR_LIMIT,
                 "line %zu: the profile takes more than %llu bytes decoded: %u per byte of its "
                 "%zu plus %d MiB (limit max_profile_ratio = %u)",
                 x->lineno, (unsigned long long)x->budget, P->lim.max_profile_ratio, x->len,
                 GE_PROF_BUDGET_FLOOR_MIB, P->lim.max_profile_ratio);
}

/* Parses " 0x1 0x2 ..." (the stack) from s[i..n), pushing location indices. */
static ge_err stack(lp *x, const char *s, size_t n, size_t i) {
  ge_profile *P = x->P;
  for (;;) {
    skip_sp(s, n, &i);
    if (i >= n) break;
    if (!(i + 1 < n && s[i] == '0' && s[i + 1] == 'x'))
      return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: malformed address", x->lineno);
    i += 2;
    uint64_t a = 0;
    size_t digits = 0;
    for (; i < n && s[i] != ' ' && s[i] != '\t'; i++, digits++) {
      char c = s[i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0 || digits >= 16)
        return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: malformed address", x->lineno);
      a = a << 4 | (uint64_t)d;
    }
    if (!digits) return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: malformed address", x->lineno);
    a--;
    if (ge_hashidx_reserve(&x->locs, P->locs.n, loc_hash, P)) return lnomem(x);
    size_t j = ge_hashidx_first(&x->locs, addr_hash(a));
    uint32_t li;
    while ((li = ge_hashidx_at(&x->locs, j)) != GE_HASHIDX_NONE && P->locs.v[li].address != a)
      j = ge_hashidx_next(&x->locs, j);
    if (li == GE_HASHIDX_NONE) {
      if (P->locs.n >= P->lim.max_records)
        return ge_fail(x->err, GE_ERR_LIMIT,
                       "line %zu: more than %llu locations (limit max_records)", x->lineno,
                       (unsigned long long)P->lim.max_records);
      ploc *l = GE_VEC_PUSH_SLOT(P->locs);
      if (!l) return lnomem(x);
      memset(l, 0, sizeof *l);
      l->id = P->locs.n;
      l->address = a;
      l->mapping = GE_NONE;
      l->line_off = (uint32_t)P->lines.n;
      li = (uint32_t)P->locs.n - 1;
      ge_hashidx_set(&x->locs, j, li);
      ge_err rc;
      if ((P->locs.n & 4095) == 0 && (rc = over_budget(x))) return rc;
    }
    uint32_t *sl = GE_VEC_PUSH_SLOT(P->s_locs);
    if (!sl) return lnomem(x);
    *sl = li;
  }
  return GE_OK;
}

static ge_err push_values(lp *x, const int64_t *v, size_t nv) {
  for (size_t k = 0; k < nv; k++) {
    int64_t *s = GE_VEC_PUSH_SLOT(x->P->values);
    if (!s) return lnomem(x);
    *s = v[k];
  }
  return GE_OK;
}

static uint32_t S(lp *x, const char *s) {
  return ge_intern_add(&x->P->str, s, strlen(s));
}

static int set_types(lp *x, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i += 2) {
    pvt *t = GE_VEC_PUSH_SLOT(x->P->st);
    if (!t) return -1;
    t->type = S(x, names[i]);
    t->unit = S(x, names[i + 1]);
    if (t->type == UINT32_MAX || t->unit == UINT32_MAX) return -1;
  }
  return 0;
}

static void scale_heap(int64_t *count, int64_t *size, int64_t rate) {
  if (*count == 0 || *size == 0) {
    *count = *size = 0;
    return;
  }
  if (rate <= 1) return;
  double avg = (double)*size / (double)*count;
  double scale = 1 / (1 - exp(-avg / (double)rate));
  *count = ge_d2i((double)*count * scale);
  *size = ge_d2i((double)*size * scale);
}

static ge_err heap(lp *x, lrd *r, const char *h, size_t hn) {
  ge_profile *P = x->P;
  size_t i = strlen("heap profile:");
  int64_t hv[4];
  skip_sp(h, hn, &i);
  if (parse_int(h, hn, &i, &hv[0]) || expect(h, hn, &i, ':') || parse_int(h, hn, &i, &hv[1]) ||
      expect(h, hn, &i, '[') || parse_int(h, hn, &i, &hv[2]) || expect(h, hn, &i, ':') ||
      parse_int(h, hn, &i, &hv[3]) || expect(h, hn, &i, ']') || expect(h, hn, &i, '@'))
    return ge_fail(x->err, GE_ERR_FORMAT, "line 1: malformed heap profile header");
  size_t w = i;
  while (i < hn && h[i] != '/' && h[i] != ' ') i++;
  int64_t period = 0;
  int v2 = 0;
  if (i < hn && h[i] == '/') {
    i++;
    if (i < hn && parse_int(h, hn, &i, &period))
      return ge_fail(x->err, GE_ERR_FORMAT, "line 1: malformed heap sampling period");
  }
  size_t kl = 0;
  while (w + kl < hn && h[w + kl] != '/' && h[w + kl] != ' ') kl++;
  if (kl == 4 && !memcmp(h + w, "heap", 4)) {
    v2 = 1;
    period /= 2;
  } else if ((kl == 7 && !memcmp(h + w, "heap_v2", 7)) || (kl == 8 && !memcmp(h + w, "heapz_v2", 8))) {
    v2 = 1;
  } else if (kl == 11 && !memcmp(h + w, "heapprofile", 11)) {
    period = 1;
  } else if (kl == 7 && !memcmp(h + w, "growthz", 7)) {
    period = 1;
  } else {
    return ge_fail(x->err, GE_ERR_FORMAT, "line 1: unknown heap profile kind '%.*s'", (int)kl, h + w);
  }
  int has_alloc = (hv[2] != hv[0] && hv[2] != 0) || (hv[3] != hv[1] && hv[3] != 0);
  static const char *const four[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                     "inuse_objects", "count", "inuse_space", "bytes"};
  static const char *const two[] = {"objects", "count", "space", "bytes"};
  if (has_alloc ? set_types(x, four, 8) : set_types(x, two, 4)) return lnomem(x);
  P->period = period;
  P->period_type.type = S(x, "space");
  P->period_type.unit = S(x, "bytes");
  uint32_t kbytes = S(x, "bytes");
  if (kbytes == UINT32_MAX || P->period_type.type == UINT32_MAX) return lnomem(x);
  const char *s;
  size_t n;
  while (next_line(r, &s, &n)) {
    x->lineno = r->lineno;
    if (n == 0 || s[0] == '#') continue;
    if (contains(s, n, "--- Memory map: ---") || contains(s, n, "MAPPED_LIBRARIES:")) break;
    int64_t v[4];
    size_t j = 0;
    if (parse_int(s, n, &j, &v[0]) || expect(s, n, &j, ':') || parse_int(s, n, &j, &v[1]) ||
        expect(s, n, &j, '[') || parse_int(s, n, &j, &v[2]) || expect(s, n, &j, ':') ||
        parse_int(s, n, &j, &v[3]) || expect(s, n, &j, ']') || j >= n || s[j] != '@')
      return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: malformed heap sample", r->lineno);
    j++;
    if (P->nsamples >= P->lim.max_records)
      return ge_fail(x->err, GE_ERR_LIMIT, "line %zu: more than %llu samples (limit max_records)",
                     r->lineno, (unsigned long long)P->lim.max_records);
    int64_t out[4], blocksize = 0;
    size_t nv = 0;
    for (int pass = has_alloc ? 0 : 1; pass < 2; pass++) {
      int64_t c = pass == 0 ? v[2] : v[0], sz = pass == 0 ? v[3] : v[1];
      if (c == 0 && sz != 0)
        return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: count is 0 but bytes is %lld",
                       r->lineno, (long long)sz);
      if (c != 0) {
        blocksize = sz / c;
        if (v2) scale_heap(&c, &sz, period);
      }
      out[nv++] = c;
      out[nv++] = sz;
    }
    ge_err rc;
    if ((rc = push_values(x, out, nv)) || (rc = stack(x, s, n, j))) return rc;
    plabel *lb = GE_VEC_PUSH_SLOT(P->labels);
    if (!lb) return lnomem(x);
    *lb = (plabel){kbytes, 0, 0, 1, blocksize};
    if (ge_prof_end_sample(P)) return lnomem(x);
    if ((rc = over_budget(x))) return rc;
  }
  P->format = "legacy-heap";
  return GE_OK;
}

static ge_err contention(lp *x, lrd *r) {
  ge_profile *P = x->P;
  static const char *const t[] = {"contentions", "count", "delay", "nanoseconds"};
  if (set_types(x, t, 4)) return lnomem(x);
  P->period_type = P->st.v[0];
  P->period = 1;
  int64_t cpuhz = 0;
  const char *s;
  size_t n;
  int have = 0;
  while ((have = next_line(r, &s, &n))) {
    x->lineno = r->lineno;
    if (n == 0 || s[0] == '#') continue;
    if (has_prefix(s, n, "---")) return GE_OK;
    const char *eq = memchr(s, '=', n);
    if (!eq) break;
    size_t kn = (size_t)(eq - s);
    while (kn && (s[kn - 1] == ' ' || s[kn - 1] == '\t')) kn--;
    size_t j = (size_t)(eq - s) + 1;
    skip_sp(s, n, &j);
    int64_t v;
    if (parse_int(s, n, &j, &v) && !(kn == 17 && !memcmp(s, "discarded samples", 17)))
      return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: malformed header value", r->lineno);
    if (kn == 13 && !memcmp(s, "cycles/second", 13)) cpuhz = v;
    else if (kn == 15 && !memcmp(s, "sampling period", 15)) P->period = v;
    else if (kn == 14 && !memcmp(s, "ms since reset", 14)) P->duration_nanos = ge_mul64(v, 1000000);
    else if (!(kn == 17 && !memcmp(s, "discarded samples", 17)))
      return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: unknown header '%.*s'", r->lineno,
                     (int)kn, s);
  }
  while (have) {
    if (has_prefix(s, n, "---")) break;
    if (n && s[0] != '#') {
      int64_t v1, v2;
      size_t j = 0;
      if (parse_int(s, n, &j, &v1)) goto bad;
      skip_sp(s, n, &j);
      if (parse_int(s, n, &j, &v2)) goto bad;
      skip_sp(s, n, &j);
      if (j >= n || s[j] != '@') goto bad;
      j++;
      if (P->period > 0) {
        if (cpuhz > 0) v1 = ge_d2i((double)v1 * (double)P->period / ((double)cpuhz / 1e9));
        v2 = ge_mul64(v2, P->period);
      }
      if (P->nsamples >= P->lim.max_records)
        return ge_fail(x->err, GE_ERR_LIMIT, "line %zu: more than %llu samples (limit max_records)",
                       r->lineno, (unsigned long long)P->lim.max_records);
      int64_t out[2] = {v2, v1};
      ge_err rc;
      if ((rc = push_values(x, out, 2)) || (rc = stack(x, s, n, j))) return rc;
      if (ge_prof_end_sample(P)) return lnomem(x);
      if ((rc = over_budget(x))) return rc;
    }
    have = next_line(r, &s, &n);
    x->lineno = r->lineno;
  }
  P->format = "legacy-contention";
  return GE_OK;
bad:
  return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: malformed contention sample", r->lineno);
}

static ge_err counts(lp *x, lrd *r, const char *h, size_t wl) {
  ge_profile *P = x->P;
  uint32_t ty = ge_intern_add(&P->str, h, wl), unit = S(x, "count");
  pvt *t = GE_VEC_PUSH_SLOT(P->st);
  if (!t || ty == UINT32_MAX || unit == UINT32_MAX) return lnomem(x);
  *t = (pvt){ty, unit};
  P->period_type = *t;
  P->period = 1;
  const char *s;
  size_t n;
  while (next_line(r, &s, &n)) {
    x->lineno = r->lineno;
    if (n == 0 || s[0] == '#') continue;
    if (has_prefix(s, n, "---")) break;
    int64_t v;
    size_t j = 0;
    if (parse_int(s, n, &j, &v) || v < 0 || expect(s, n, &j, '@'))
      return ge_fail(x->err, GE_ERR_FORMAT, "line %zu: malformed count sample", r->lineno);
    if (P->nsamples >= P->lim.max_records)
      return ge_fail(x->err, GE_ERR_LIMIT, "line %zu: more than %llu samples (limit max_records)",
                     r->lineno, (unsigned long long)P->lim.max_records);
    ge_err rc;
    if ((rc = push_values(x, &v, 1)) || (rc = stack(x, s, n, j))) return rc;
    if (ge_prof_end_sample(P)) return lnomem(x);
    if ((rc = over_budget(x))) return rc;
  }
  P->format = "legacy-count";
  return GE_OK;
}

/* pprof's addLegacyFrameInfo: the frames its reports drop from legacy
 * profiles, chosen by the sample types (heap, contention, anything else). */
static ge_err frame_info(lp *x) {
  ge_profile *P = x->P;
  static const char *const heap_types[][4] = {
      {"allocations", "size", NULL, NULL}, {"objects", "space", NULL, NULL},
      {"inuse_objects", "inuse_space", NULL, NULL}, {"alloc_objects", "alloc_space", NULL, NULL},
      {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}};
  int heap = 0;
  for (size_t t = 0; t < sizeof heap_types / sizeof heap_types[0] && !heap; t++) {
    size_t n = 0;
    while (n < 4 && heap_types[t][n]) n++;
    if (P->st.n != n) continue;
    heap = 1;
    for (size_t i = 0; i < n && heap; i++) {
      ge_strview s = ge_prof_str(P, P->st.v[i].type);
      heap = s.len == strlen(heap_types[t][i]) && !memcmp(s.ptr, heap_types[t][i], s.len);
    }
  }
  int contention = 0;
  if (P->st.n == 2) {
    ge_strview a = ge_prof_str(P, P->st.v[0].type), b = ge_prof_str(P, P->st.v[1].type);
    contention = a.len == 11 && !memcmp(a.ptr, "contentions", 11) && b.len == 5 && !memcmp(b.ptr, "delay", 5);
  }
  const char *drop = heap ? ge_prof_alloc_frames : contention ? ge_prof_lock_frames : ge_prof_cpu_frames;
  P->drop_frames = S(x, drop);
  P->keep_frames = heap ? S(x, ge_prof_alloc_keep_frames) : 0;
  if (P->drop_frames == UINT32_MAX || P->keep_frames == UINT32_MAX) return lnomem(x);
  return GE_OK;
}

ge_err ge_prof_decode_legacy(ge_profile *P, const unsigned char *b, size_t n, ge_error *err) {
  lp x = {P, {NULL, 0}, err, 0, n, ge_prof_budget(&P->lim, n)};
  lrd r = {(const char *)b, (const char *)b + n, 0};
  if (ge_prof_begin_samples(P)) return lnomem(&x);
  const char *s;
  size_t len, wl;
  ge_err rc = GE_OK;
  while (next_line(&r, &s, &len))
    if (len && s[0] != '#') break;
  x.lineno = r.lineno;
  if (has_prefix(s, len, "heap profile:")) rc = heap(&x, &r, s, len);
  else if (count_header(s, len, &wl)) rc = counts(&x, &r, s, wl);
  else rc = contention(&x, &r);
  ge_hashidx_free(&x.locs);
  if (!rc) rc = frame_info(&x);
  if (rc) {
    char pre[64];
    snprintf(pre, sizeof pre, "legacy profile");
    ge_error_prefix(err, pre);
  }
  return rc;
}
