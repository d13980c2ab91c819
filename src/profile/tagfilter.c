/* pprof's -tagfocus / -tagignore (internal/driver/driver_focus.go
 * compileTagFilter and parseTagFilterRange, Go 1.26's vendored pprof):
 *   "[key=]value". A value that reads as a number range -- "64", "1kb",
 *   "1kb:", ":512", "2ms:1s", "-5:+7" (([+-]?digits)(letters)?, at most
 *   two, nothing else) -- tests numeric labels: each label value is
 *   converted with internal/measurement from its key's unit (the first
 *   num_unit seen for the key; else "bytes" for keys alignment and request;
 *   else the key itself) to the filter's unit and compared as float64. Any
 *   other value is a comma-separated list of regexps on string labels: with
 *   a key, any regexp matching any value of that key; without, every regexp
 *   must match some "key:value". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "regex.h"
#include "select.h"

/* internal/measurement's unit types: canonical name, aliases, factor. */
typedef struct munit {
  int type;
  const char *canon;
  const char *alias[3];
  double factor;
} munit;

static const munit UNITS[] = {
    {0, "B", {"b", "byte"}, 1},
    {0, "kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
    {0, "MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
    {0, "GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
    {0, "TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
    {0, "PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0},
    {1, "ns", {"ns", "nanosecond"}, 1},
    {1, "us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
    {1, "ms", {"ms", "millisecond"}, 1e6},
    {1, "s", {"s", "sec", "second"}, 1e9},
    {1, "hrs", {"hour", "hr"}, 3.6e12},
    {2, "n*GCU", {"nanogcu"}, 1e-9},
    {2, "u*GCU", {"microgcu"}, 1e-6},
    {2, "m*GCU", {"milligcu"}, 1e-3},
    {2, "GCU", {"gcu"}, 1},
    {2, "k*GCU", {"kilogcu"}, 1e3},
    {2, "M*GCU", {"megagcu"}, 1e6},
    {2, "G*GCU", {"gigagcu"}, 1e9},
    {2, "T*GCU", {"teragcu"}, 1e12},
    {2, "P*GCU", {"petagcu"}, 1e15},
};
static const struct {
  const char *canon;
  double factor;
} DEFAULT_UNIT[3] = {{"B", 1}, {"s", 1e9}, {"GCU", 1}};

/* UnitType.sniffUnit: lower-cased, one trailing 's' dropped when longer
 * than 2 bytes. Returns the UNITS index or -1. */
static int sniff(int type, const char *s, size_t n) {
  char low[32];
  if (n >= sizeof low) return -1;
  for (size_t i = 0; i < n; i++) low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
  if (n > 2 && low[n - 1] == 's') n--;
  for (size_t u = 0; u < sizeof UNITS / sizeof *UNITS; u++) {
    if (UNITS[u].type != type) continue;
    for (int a = 0; a < 3 && UNITS[u].alias[a]; a++)
      if (strlen(UNITS[u].alias[a]) == n && !memcmp(UNITS[u].alias[a], low, n)) return (int)u;
  }
  return -1;
}

/* measurement.Scale(value, from, to) as a conversion: value * mul / div,
 * named *su (NUL-terminated, owned by the table or by `to`). */
typedef struct conv {
  double mul, div;
  const char *su;
  size_t sulen;
} conv;

static conv scale_conv(const char *from, size_t fromlen, const char *to, size_t tolen) {
  for (int t = 0; t < 3; t++) {
    int fu = sniff(t, from, fromlen);
    if (fu < 0) continue;
    int tu = sniff(t, to, tolen);
    if (tu < 0) return (conv){UNITS[fu].factor, DEFAULT_UNIT[t].factor, DEFAULT_UNIT[t].canon,
                              strlen(DEFAULT_UNIT[t].canon)};
    return (conv){UNITS[fu].factor, UNITS[tu].factor, UNITS[tu].canon, strlen(UNITS[tu].canon)};
  }
  static const char *const plain[] = {"count", "sample", "unit", "minimum", "auto"};
  for (size_t k = 0; k < sizeof plain / sizeof *plain; k++)
    if (strlen(plain[k]) == tolen && !memcmp(plain[k], to, tolen)) return (conv){1, 1, "", 0};
  return (conv){1, 1, to, tolen};
}

static double apply(const conv *c, int64_t v) { return (double)v * c->mul / c->div; }

/* One match of ([+-]?[[:digit:]]+)([[:alpha:]]+)? in s from `from`. */
static int find_num(const char *s, size_t n, size_t from, size_t *a, size_t *d, size_t *e) {
  for (size_t i = from; i < n; i++) {
    size_t j = i;
    if ((s[j] == '+' || s[j] == '-') && j + 1 < n && s[j + 1] >= '0' && s[j + 1] <= '9') j++;
    if (!(s[j] >= '0' && s[j] <= '9')) continue;
    while (j < n && s[j] >= '0' && s[j] <= '9') j++;
    *a = i;
    *d = j;
    while (j < n && ((s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z')) j++;
    *e = j;
    return 1;
  }
  return 0;
}

/* strconv.ParseInt(s[a:d], 10, 64). */
static int parse_i64(const char *s, size_t a, size_t d, int64_t *v) {
  int neg = s[a] == '-';
  if (s[a] == '+' || s[a] == '-') a++;
  uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (size_t i = a; i < d; i++) {
    uint64_t dg = (uint64_t)(s[i] - '0');
    if (x > (lim - dg) / 10) return -1;
    x = x * 10 + dg;
  }
  *v = neg ? (int64_t)(0 - x) : (int64_t)x;
  return 0;
}

enum { OP_EQ, OP_GE, OP_LE, OP_RANGE };

/* parseTagFilterRange: 1 when `s` is a range (fills t), 0 when it is a
 * regexp, -1 (err set) for a number out of int64 range. */
static int parse_range(tagflt *t, const char *s, const char *what, ge_error *err) {
  size_t n = strlen(s), a[2], d[2], e[2];
  int m = 0;
  size_t from = 0;
  while (m < 2 && find_num(s, n, from, &a[m], &d[m], &e[m])) from = e[m++];
  if (m == 0) return 0;
  int op;
  if (m == 1) {
    if (a[0] == 0 && e[0] == n) op = OP_EQ;
    else if (a[0] == 0 && e[0] + 1 == n && s[n - 1] == ':') op = OP_GE;
    else if (a[0] == 1 && e[0] == n && s[0] == ':') op = OP_LE;
    else return 0;
  } else {
    if (!(a[0] == 0 && a[1] == e[0] + 1 && s[e[0]] == ':' && e[1] == n)) return 0;
    op = OP_RANGE;
  }
  int64_t v;
  if (parse_i64(s, a[0], d[0], &v))
    return ge_fail(err, GE_ERR_ARG, "%s: number out of range in '%s'", what, s), -1;
  conv c0 = scale_conv(s + d[0], e[0] - d[0], s + d[0], e[0] - d[0]);
  double lo = apply(&c0, v), hi = 0;
  if (c0.sulen >= sizeof t->unit)
    return ge_fail(err, GE_ERR_ARG, "%s: unit too long in '%s'", what, s), -1;
  memcpy(t->unit, c0.su, c0.sulen);
  t->unit[c0.sulen] = 0;
  t->unitlen = c0.sulen;
  if (op == OP_RANGE) {
    if (parse_i64(s, a[1], d[1], &v))
      return ge_fail(err, GE_ERR_ARG, "%s: number out of range in '%s'", what, s), -1;
    conv c1 = scale_conv(s + d[1], e[1] - d[1], t->unit, t->unitlen);
    if (c1.sulen != t->unitlen || memcmp(c1.su, t->unit, t->unitlen)) return 0;
    hi = apply(&c1, v);
  }
  t->op = op;
  t->lo = lo;
  t->hi = hi;
  return 1;
}

void ge_tagflt_free(tagflt *t) {
  for (size_t i = 0; i < t->nre; i++) regfree(&t->re[i]);
  free(t->re);
  free(t->kconv);
  free(t->str_hit);
  free(t->lab_hit);
  memset(t, 0, sizeof *t);
}

/* The unit of every numeric label key (profile.NumLabelUnits), then the
 * conversion of its values to the filter's unit. */
static ge_err numeric_setup(tagflt *t, const ge_profile *p, ge_error *err) {
  size_t ns = p->str.n;
  uint32_t *unit = calloc(ns + 1, sizeof *unit); /* key id -> unit id + 1; 0 = none */
  uint8_t *seen = calloc(ns + 1, 1);
  t->kconv = calloc(ns + 1, sizeof *t->kconv);
  t->nkconv = ns;
  if (!unit || !seen || !t->kconv) {
    free(unit);
    free(seen);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < p->labels.n; i++) {
    const plabel *lb = &p->labels.v[i];
    if (!lb->is_num || lb->key >= ns) continue;
    seen[lb->key] = 1;
    if (lb->unit && !unit[lb->key]) unit[lb->key] = lb->unit + 1;
  }
  for (size_t k = 0; k < ns; k++) {
    if (!seen[k]) continue;
    ge_strview key = ge_prof_str(p, (uint32_t)k), u;
    if (unit[k]) u = ge_prof_str(p, unit[k] - 1);
    else if ((key.len == 9 && !memcmp(key.ptr, "alignment", 9)) ||
             (key.len == 7 && !memcmp(key.ptr, "request", 7)))
      u = (ge_strview){"bytes", 5};
    else u = key;
    conv c = scale_conv(u.ptr, u.len, t->unit, t->unitlen);
    tkconv *kc = &t->kconv[k];
    kc->mul = c.mul;
    kc->div = c.div;
    kc->ok = c.sulen == t->unitlen && !memcmp(c.su, t->unit, c.sulen) ? 1 : 2;
  }
  free(unit);
  free(seen);
  return GE_OK;
}

static ge_err strings_setup(tagflt *t, const ge_profile *p, const char *v, const char *what,
                            ge_error *err) {
  size_t n = 1;
  for (const char *c = v; *c; c++) n += *c == ',';
  if (n > 32) return ge_fail(err, GE_ERR_ARG, "%s: at most 32 comma-separated regexps", what);
  t->re = calloc(n, sizeof *t->re);
  char *one = malloc(strlen(v) + 1);
  if (!t->re || !one) {
    free(one);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  ge_err rc = GE_OK;
  const char *s = v;
  for (size_t i = 0; i < n && !rc; i++) {
    const char *c = strchr(s, ',');
    size_t len = c ? (size_t)(c - s) : strlen(s);
    memcpy(one, s, len);
    one[len] = 0;
    rc = ge_re_compile(&t->re[i], one, what, err);
    if (!rc) t->nre++;
    s = c ? c + 1 : s + len;
  }
  free(one);
  if (rc) return rc;
  if (!t->any_key) {
    /* per string id: bit0 = some regexp matches it */
    t->str_hit = calloc(p->str.n + 1, 1);
    if (!t->str_hit) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->labels.n; i++) {
      const plabel *lb = &p->labels.v[i];
      if (lb->is_num || lb->key != t->key || (t->str_hit[lb->str] & 0x80)) continue;
      uint8_t b = 0x80;
      const char *str = ge_intern_get(&p->str, lb->str)->ptr;
      for (size_t k = 0; k < t->nre && !(b & 1); k++)
        if (regexec(&t->re[k], str, 0, NULL, 0) == 0) b |= 1;
      t->str_hit[lb->str] = b;
    }
    return GE_OK;
  }
  /* no key: per label, the regexps matching "key:value" (bit k) */
  t->lab_hit = calloc(p->labels.n + 1, sizeof *t->lab_hit);
  if (!t->lab_hit) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  char *buf = NULL;
  size_t cap = 0;
  for (size_t i = 0; i < p->labels.n; i++) {
    const plabel *lb = &p->labels.v[i];
    if (lb->is_num) continue;
    ge_strview k = ge_prof_str(p, lb->key), s2 = ge_prof_str(p, lb->str);
    if (k.len + s2.len + 2 > cap) {
      free(buf);
      cap = (k.len + s2.len + 2) * 2;
      buf = malloc(cap);
      if (!buf) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    }
    memcpy(buf, k.ptr, k.len);
    buf[k.len] = ':';
    memcpy(buf + k.len + 1, s2.ptr, s2.len);
    buf[k.len + 1 + s2.len] = 0;
    for (size_t r = 0; r < t->nre; r++)
      if (regexec(&t->re[r], buf, 0, NULL, 0) == 0) t->lab_hit[i] |= (uint32_t)1 << r;
  }
  free(buf);
  return GE_OK;
}

ge_err ge_tagflt_init(tagflt *t, const ge_profile *p, const char *spec, const char *what,
                      ge_error *err) {
  memset(t, 0, sizeof *t);
  if (!spec || !*spec) return GE_OK;
  t->on = 1;
  const char *eq = strchr(spec, '=');
  const char *v = spec;
  t->any_key = eq == NULL;
  if (eq) {
    t->key = ge_intern_find(&p->str, spec, (size_t)(eq - spec));
    v = eq + 1;
  }
  int r = parse_range(t, v, what, err);
  ge_err rc = GE_OK;
  if (r < 0) rc = err->code;
  else if (r == 1) {
    t->numeric = 1;
    rc = numeric_setup(t, p, err);
  } else {
    rc = strings_setup(t, p, v, what, err);
  }
  if (rc) ge_tagflt_free(t);
  return rc;
}

static int num_hit(const tagflt *t, const plabel *lb) {
  if (lb->key >= t->nkconv) return 0;
  const tkconv *kc = &t->kconv[lb->key];
  if (kc->ok != 1) return 0;
  double sv = (double)lb->num * kc->mul / kc->div;
  switch (t->op) {
  case OP_EQ: return sv == t->lo;
  case OP_GE: return sv >= t->lo;
  case OP_LE: return sv <= t->lo;
  default: return sv >= t->lo && sv <= t->hi;
  }
}

int ge_tagflt_match(const tagflt *t, const ge_profile *p, size_t i) {
  uint32_t s = p->s_lab.v[i], e = p->s_lab.v[i + 1];
  if (t->numeric) {
    for (uint32_t k = s; k < e; k++) {
      const plabel *lb = &p->labels.v[k];
      if (lb->is_num && (t->any_key || lb->key == t->key) && num_hit(t, lb)) return 1;
    }
    return 0;
  }
  if (!t->any_key) {
    for (uint32_t k = s; k < e; k++) {
      const plabel *lb = &p->labels.v[k];
      if (!lb->is_num && lb->key == t->key && (t->str_hit[lb->str] & 1)) return 1;
    }
    return 0;
  }
  uint32_t all = t->nre >= 32 ? UINT32_MAX : ((uint32_t)1 << t->nre) - 1, got = 0;
  for (uint32_t k = s; k < e; k++) got |= t->lab_hit[k];
  return (got & all) == all;
}
