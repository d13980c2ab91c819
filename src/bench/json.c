/* `go test -json` input: each line a test2json event. The text of
 * "output" events is the benchmark format; it is joined per (Package,
 * Test) and cut at newlines before the text rules apply, because older Go
 * releases printed a result's name and its numbers in two events. */
#include <string.h>

#include "internal.h"

typedef struct jstr {
  const char *p; /* the raw string between the quotes, escapes undecoded */
  size_t n;
  int found;
} jstr;

static const char *skip_ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
  return p;
}

/* The raw body of the string at p (p at the opening quote); NULL when it
 * does not end on this line. */
static const char *scan_string(const char *p, const char *e, jstr *out) {
  const char *s = ++p;
  while (p < e && *p != '"') {
    if (*p == '\\') p++;
    p++;
  }
  if (p >= e) return NULL;
  out->p = s, out->n = (size_t)(p - s), out->found = 1;
  return p + 1;
}

/* Skips any JSON value; NULL when malformed or cut off. */
static const char *skip_value(const char *p, const char *e, int depth) {
  p = skip_ws(p, e);
  if (p >= e || depth > 64) return NULL;
  if (*p == '"') {
    jstr tmp;
    return scan_string(p, e, &tmp);
  }
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    p = skip_ws(p + 1, e);
    if (p < e && *p == close) return p + 1;
    for (;;) {
      if (close == '}') {
        p = skip_ws(p, e);
        jstr k;
        if (p >= e || *p != '"' || !(p = scan_string(p, e, &k))) return NULL;
        p = skip_ws(p, e);
        if (p >= e || *p != ':') return NULL;
        p++;
      }
      if (!(p = skip_value(p, e, depth + 1))) return NULL;
      p = skip_ws(p, e);
      if (p >= e) return NULL;
      if (*p == close) return p + 1;
      if (*p != ',') return NULL;
      p++;
    }
  }
  const char *s = p;
  while (p < e && (*p == '-' || *p == '+' || *p == '.' || (*p >= '0' && *p <= '9') ||
                   (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
    p++;
  return p > s ? p : NULL;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(char *out, size_t *o, unsigned cp) {
  if (cp < 0x80) {
    out[(*o)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*o)++] = (char)(0xc0 | (cp >> 6));
    out[(*o)++] = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out[(*o)++] = (char)(0xe0 | (cp >> 12));
    out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*o)++] = (char)(0x80 | (cp & 0x3f));
  } else {
    out[(*o)++] = (char)(0xf0 | (cp >> 18));
    out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[(*o)++] = (char)(0x80 | (cp & 0x3f));
  }
}

static unsigned read_u4(const char *p) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0) return 0xfffd;
    v = v * 16 + (unsigned)h;
  }
  return v;
}

/* Decodes s into out (room for s.n bytes: decoding never grows). */
static size_t decode(jstr s, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < s.n; i++) {
    char c = s.p[i];
    if (c != '\\' || i + 1 >= s.n) {
      out[o++] = c;
      continue;
    }
    c = s.p[++i];
    switch (c) {
      case 'n': out[o++] = '\n'; break;
      case 't': out[o++] = '\t'; break;
      case 'r': out[o++] = '\r'; break;
      case 'b': out[o++] = '\b'; break;
      case 'f': out[o++] = '\f'; break;
      case 'u': {
        if (i + 4 >= s.n) {
          out[o++] = '?';
          i = s.n;
          break;
        }
        unsigned cp = read_u4(s.p + i + 1);
        i += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < s.n && s.p[i + 1] == '\\' &&
            s.p[i + 2] == 'u') {
          unsigned lo = read_u4(s.p + i + 3);
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
          }
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
        /* at most 4 bytes out for 6 or 12 in */
        put_utf8(out, &o, cp);
        break;
      }
      default: out[o++] = c; /* \" \\ \/ */
    }
  }
  return o;
}

static ge_err emit_lines(ge_bench *b, size_t pi, int all, ge_error *err) {
  ge_bench_pending *pd = &b->pending.v[pi];
  size_t start = 0;
  uint64_t saved = b->line;
  for (;;) {
    char *nl = memchr(pd->text.v + start, '\n', pd->text.n - start);
    size_t end = nl ? (size_t)(nl - pd->text.v) : pd->text.n;
    if (!nl && (!all || end == start)) break;
    ge_err e = ge_bench_line(b, pd->text.v + start, end - start, err);
    pd = &b->pending.v[pi];
    if (e) return e;
    start = nl ? end + 1 : end;
  }
  b->line = saved;
  memmove(pd->text.v, pd->text.v + start, pd->text.n - start);
  pd->text.n -= start;
  if (pd->text.n == 0) { /* drop it: keeps the list to the events in flight */
    GE_VEC_FREE(pd->text);
    b->pending.v[pi] = b->pending.v[--b->pending.n];
  } else if (pd->text.n > b->lim.max_line_bytes) {
    return ge_fail(err, GE_ERR_LIMIT,
                   "%s: line %llu: output of one test over %llu bytes without a newline "
                   "(limit max_line_bytes = %llu)",
                   b->name, (unsigned long long)b->line,
                   (unsigned long long)b->lim.max_line_bytes,
                   (unsigned long long)b->lim.max_line_bytes);
  }
  return GE_OK;
}

ge_err ge_bench_json_line(ge_bench *b, const char *s, size_t n, ge_error *err) {
  const char *p = s, *e = s + n;
  jstr action = {0}, pkg = {0}, test = {0}, output = {0};
  p = skip_ws(p + 1, e); /* past '{' */
  int ok = 1;
  if (p < e && *p == '}') p++;
  else
    for (;;) {
      jstr k;
      if (p >= e || *p != '"' || !(p = scan_string(p, e, &k))) break;
      p = skip_ws(p, e);
      if (p >= e || *p != ':') break;
      p = skip_ws(p + 1, e);
      jstr *dst = NULL;
      if (k.n == 6 && !memcmp(k.p, "Action", 6)) dst = &action;
      else if (k.n == 7 && !memcmp(k.p, "Package", 7)) dst = &pkg;
      else if (k.n == 4 && !memcmp(k.p, "Test", 4)) dst = &test;
      else if (k.n == 6 && !memcmp(k.p, "Output", 6)) dst = &output;
      if (dst && p < e && *p == '"') p = scan_string(p, e, dst);
      else p = skip_value(p, e, 0);
      if (!p) break;
      p = skip_ws(p, e);
      if (p < e && *p == ',') {
        p = skip_ws(p + 1, e);
        continue;
      }
      if (p < e && *p == '}') {
        p++;
        ok = 2;
      }
      break;
    }
  if (ok != 2 || skip_ws(p, e) != e) {
    /* In text output a line like this is a test's log, which benchstat
     * ignores; among test2json events it is one cut off. */
    if (!b->json_events) return GE_OK;
    return ge_bench_skip(b, err, "malformed test2json event (cut off, or not JSON)");
  }
  if (action.found) b->json_events++;
  if (!action.found || action.n != 6 || memcmp(action.p, "output", 6) || !output.found)
    return GE_OK;
  /* the pending text of this (Package, Test) */
  char *key = NULL;
  size_t kn = pkg.n + 1 + test.n;
  if (ge_vec_reserve((void **)&b->scratch.v, &b->scratch.cap, 0, kn + output.n, 1))
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  key = b->scratch.v;
  if (pkg.n) memcpy(key, pkg.p, pkg.n);
  key[pkg.n] = 0;
  if (test.n) memcpy(key + pkg.n + 1, test.p, test.n);
  uint32_t kid = ge_intern_add(&b->strs, key, kn);
  if (kid == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  size_t pi = 0;
  while (pi < b->pending.n && b->pending.v[pi].key != kid) pi++;
  if (pi == b->pending.n) {
    ge_bench_pending *pd = GE_VEC_PUSH_SLOT(b->pending);
    if (!pd) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    memset(pd, 0, sizeof *pd);
    pd->key = kid;
  }
  ge_bench_pending *pd = &b->pending.v[pi];
  if (ge_vec_reserve((void **)&pd->text.v, &pd->text.cap, pd->text.n, output.n + 1, 1))
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  pd->text.n += decode(output, pd->text.v + pd->text.n);
  return emit_lines(b, pi, 0, err);
}

ge_err ge_bench_json_flush(ge_bench *b, ge_error *err) {
  while (b->pending.n) {
    ge_err e = emit_lines(b, b->pending.n - 1, 1, err);
    if (e) return e;
  }
  return GE_OK;
}
