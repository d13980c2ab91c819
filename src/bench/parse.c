/* The benchmark format, one line at a time, with the rules of benchfmt's
 * reader (golang.org/x/perf/benchfmt/reader.go): result lines, `Unit`
 * metadata lines, `key: value` configuration lines; anything else is
 * ignored. Fields split on ASCII white space (benchfmt also splits on
 * Unicode spaces; result lines never hold them). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* benchfmt's splitField: the field up to the first space, the rest after
 * the run of spaces that follows it. */
static void split_field(const char **s, const char *end, const char **f, size_t *fn) {
  const char *p = *s;
  while (p < end && !is_space((unsigned char)*p)) p++;
  *f = *s, *fn = (size_t)(p - *s);
  while (p < end && is_space((unsigned char)*p)) p++;
  *s = p;
}

ge_err ge_bench_skip(ge_bench *b, ge_error *err, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (b->strict)
    return ge_fail(err, GE_ERR_FORMAT, "%s: line %llu: %s", b->name, (unsigned long long)b->line,
                   msg);
  b->skipped++;
  if (b->nwarn < GE_BENCH_MAX_WARNINGS) {
    char full[700];
    int n = snprintf(full, sizeof full, "%s: line %llu: %s", b->name,
                     (unsigned long long)b->line, msg);
    if (n < 0) return GE_OK;
    size_t len = (size_t)n < sizeof full ? (size_t)n : sizeof full - 1;
    const char *w = ge_arena_strndup(&b->arena, full, len);
    if (!w) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    b->warnings[b->nwarn++] = w;
  }
  return GE_OK;
}

/* Go's strconv.Atoi on a field: optional sign, decimal digits, no
 * overflow. */
static const char *parse_iters(const char *s, size_t n) {
  size_t i = 0;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) i = 1;
  if (i == n) return "invalid syntax";
  unsigned long long v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return "invalid syntax";
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (9223372036854775807ull - d) / 10) return "value out of range";
    v = v * 10 + d;
  }
  return NULL;
}

/* strconv.ParseFloat's accepted syntax, near enough: strtod over the whole
 * field (decimal, exponent, hex, inf, nan). Plain decimals of up to 15
 * digits take Clinger's fast path first: both the digits and the power of
 * ten are exact doubles, so one division rounds correctly, as strtod
 * would. */
static const char *parse_value(const char *s, size_t n, double *out) {
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  uint64_t m = 0;
  size_t digits = 0, frac = 0, i = 0;
  int dot = 0;
  for (; i < n; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (++digits > 15) break;
      m = m * 10 + (uint64_t)(c - '0');
      frac += (size_t)dot;
    } else if (c == '.' && !dot) {
      dot = 1;
    } else {
      break;
    }
  }
  if (i == n && digits > 0) {
    *out = (double)m / pow10[frac];
    return NULL;
  }
  char buf[128];
  if (n == 0 || n >= sizeof buf) return "invalid syntax";
  memcpy(buf, s, n);
  buf[n] = 0;
  for (size_t k = 0; k < n; k++)
    if (buf[k] == '_') return "invalid syntax";
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (end != buf + n) return "invalid syntax";
  if (errno == ERANGE && isinf(v)) return "value out of range";
  *out = v;
  return NULL;
}

static ge_err result_line(ge_bench *b, const char *s, const char *end, ge_error *err) {
  const char *p = s + 9; /* "Benchmark" */
  size_t rest_len = (size_t)(end - p);
  const char *name, *f;
  size_t name_n, fn;
  split_field(&p, end, &name, &name_n);
  if (p == end && name_n == rest_len) return GE_OK; /* a name alone: -v, or a parent */
  split_field(&p, end, &f, &fn);
  if (fn == 0) return ge_bench_skip(b, err, "missing iteration count");
  const char *why = parse_iters(f, fn);
  if (why) return ge_bench_skip(b, err, "parsing iteration count: %s", why);
  /* Read the whole line before keeping any value of it: benchfmt drops a
   * line with an error in full. */
  b->fields.n = 0;
  for (;;) {
    split_field(&p, end, &f, &fn);
    if (fn == 0) {
      if (b->fields.n) break;
      return ge_bench_skip(b, err, "missing measurements");
    }
    double v = 0;
    why = parse_value(f, fn, &v);
    if (why) return ge_bench_skip(b, err, "parsing measurement: %s", why);
    const char *u;
    size_t un;
    split_field(&p, end, &u, &un);
    if (un == 0) return ge_bench_skip(b, err, "missing units");
    ge_bench_field *fl = GE_VEC_PUSH_SLOT(b->fields);
    if (!fl) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    fl->v = v, fl->unit = u, fl->len = un;
  }
  uint32_t nid = ge_intern_add(&b->strs, name, name_n);
  if (nid == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < b->fields.n; i++) {
    const ge_bench_field *fl = &b->fields.v[i];
    uint32_t uid = ge_intern_add(&b->strs, fl->unit, fl->len);
    if (uid == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    ge_err e = ge_bench_add_value(b, nid, uid, fl->v, err);
    if (e) return e;
  }
  b->results++;
  return GE_OK;
}

static ge_err unit_line(ge_bench *b, const char *p, const char *end, ge_error *err) {
  const char *unit, *f;
  size_t un, fn;
  split_field(&p, end, &unit, &un);
  if (un == 0) return ge_bench_skip(b, err, "missing unit");
  char tidied[256];
  if (un >= sizeof tidied / 2) return ge_bench_skip(b, err, "unit longer than 127 bytes");
  ge_bench_tidy(unit, un, tidied);
  uint32_t tid = ge_intern_add(&b->strs, tidied, strlen(tidied));
  if (tid == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  for (;;) {
    split_field(&p, end, &f, &fn);
    if (fn == 0) break;
    const char *eq = memchr(f, '=', fn);
    if (!eq || eq == f) {
      ge_err e = ge_bench_skip(b, err, "expected key=value");
      if (e) return e;
      continue;
    }
    uint32_t k = ge_intern_add(&b->strs, f, (size_t)(eq - f));
    uint32_t v = ge_intern_add(&b->strs, eq + 1, fn - (size_t)(eq - f) - 1);
    if (k == UINT32_MAX || v == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    int seen = 0;
    for (size_t i = 0; i < b->meta.n && !seen; i++) {
      ge_bench_meta *m = &b->meta.v[i];
      if (m->unit != tid || m->key != k) continue;
      seen = 1;
      if (m->value != v) {
        const ge_intern_entry *ke = ge_intern_get(&b->strs, k);
        const ge_intern_entry *ve = ge_intern_get(&b->strs, m->value);
        ge_err e = ge_bench_skip(b, err, "metadata %.*s of unit %.*s already set to %.*s",
                                 (int)ke->len, ke->ptr, (int)un, unit, (int)ve->len, ve->ptr);
        if (e) return e;
      }
    }
    if (seen) continue;
    ge_bench_meta *m = GE_VEC_PUSH_SLOT(b->meta);
    if (!m) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    m->unit = tid, m->key = k, m->value = v;
  }
  return GE_OK;
}

/* benchfmt's parseKeyValueLine: a key of lower-case start and no spaces or
 * upper-case letters, ':', then spaces/tabs and the value (or nothing). */
static int config_line(const char *s, const char *end, const char **key, size_t *kn,
                       const char **val, size_t *vn) {
  if (s == end || !(*s >= 'a' && *s <= 'z')) return 0;
  const char *p = s;
  while (p < end && *p != ':') {
    unsigned char c = (unsigned char)*p;
    if (is_space(c) || (c >= 'A' && c <= 'Z')) return 0;
    p++;
  }
  if (p == end) return 0;
  *key = s, *kn = (size_t)(p - s);
  p++;
  if (p == end) {
    *val = p, *vn = 0;
    return 1;
  }
  if (*p != ' ' && *p != '\t') return 0;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  *val = p, *vn = (size_t)(end - p);
  return 1;
}

static ge_err set_config(ge_bench *b, const char *k, size_t kn, const char *v, size_t vn,
                         ge_error *err) {
  uint32_t kid = ge_intern_add(&b->strs, k, kn);
  if (kid == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  size_t i = 0;
  while (i < b->cfg.n && b->cfg.v[i].key != kid) i++;
  if (vn == 0) {
    if (i < b->cfg.n) {
      memmove(&b->cfg.v[i], &b->cfg.v[i + 1], (b->cfg.n - i - 1) * sizeof *b->cfg.v);
      b->cfg.n--;
      b->cfg_dirty = 1;
    }
    return GE_OK;
  }
  uint32_t vid = ge_intern_add(&b->strs, v, vn);
  if (vid == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  if (i == b->cfg.n) {
    ge_bench_kv *kv = GE_VEC_PUSH_SLOT(b->cfg);
    if (!kv) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    kv->key = kid, kv->value = vid;
    b->cfg_dirty = 1;
  } else if (b->cfg.v[i].value != vid) {
    b->cfg.v[i].value = vid;
    b->cfg_dirty = 1;
  }
  return GE_OK;
}

ge_err ge_bench_line(ge_bench *b, const char *s, size_t n, ge_error *err) {
  b->lines++;
  if (n > b->lim.max_line_bytes)
    return ge_fail(err, GE_ERR_LIMIT, "%s: line %llu: %zu bytes long (limit max_line_bytes = %llu)",
                   b->name, (unsigned long long)b->line, n,
                   (unsigned long long)b->lim.max_line_bytes);
  if (n && s[n - 1] == '\r') n--; /* bufio.ScanLines drops it */
  const char *end = s + n;
  if (n >= 9 && memcmp(s, "Benchmark", 9) == 0) return result_line(b, s, end, err);
  if (n && s[0] == 'U') {
    const char *p = s, *f;
    size_t fn;
    split_field(&p, end, &f, &fn);
    if (fn == 4 && memcmp(f, "Unit", 4) == 0) return unit_line(b, p, end, err);
  }
  const char *k, *v;
  size_t kn, vn;
  if (config_line(s, end, &k, &kn, &v, &vn)) return set_config(b, k, kn, v, vn, err);
  return GE_OK;
}
