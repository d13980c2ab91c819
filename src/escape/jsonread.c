/* The JSON reader of logopt files (jsonread.h). */
#include <string.h>

#include "core/vec.h"
#include "jsonread.h"

int ge_jr_reserve(ge_jr *j, size_t n) {
  if (ge_vec_reserve((void **)&j->out, &j->ocap, j->on, n, 1)) {
    j->oom = 1;
    return -1;
  }
  return 0;
}
int ge_jr_put(ge_jr *j, const char *s, size_t n) {
  if (ge_jr_reserve(j, n)) return -1;
  memcpy(j->out + j->on, s, n);
  j->on += n;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int ge_jr_string(ge_jr *j, ge_span *sp) {
  ge_jr_ws(j);
  if (j->p >= j->end || *j->p != '"') return -1;
  j->p++;
  size_t start = j->on;
  while (j->p < j->end && *j->p != '"') {
    const char *q = j->p;
    while (q < j->end && *q != '"' && *q != '\\' && *q != '\n') q++;
    if (ge_jr_put(j, j->p, (size_t)(q - j->p))) return -1;
    j->p = q;
    if (q >= j->end || *q == '\n') return -1;
    if (*q == '\\') {
      if (q + 1 >= j->end) return -1;
      char e = q[1], c;
      j->p = q + 2;
      switch (e) {
      case '"': c = '"'; break;
      case '\\': c = '\\'; break;
      case '/': c = '/'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'u': {
        if (j->end - j->p < 4) return -1;
        unsigned cp = 0;
        for (int k = 0; k < 4; k++) {
          int h = hexval(j->p[k]);
          if (h < 0) return -1;
          cp = cp * 16 + (unsigned)h;
        }
        j->p += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
          unsigned lo = 0;
          int ok = 1;
          for (int k = 0; k < 4; k++) {
            int h = hexval(j->p[2 + k]);
            if (h < 0) ok = 0;
            lo = lo * 16 + (unsigned)(h < 0 ? 0 : h);
          }
          if (ok && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            j->p += 6;
          }
        }
        char u[4];
        size_t un;
        if (cp < 0x80) { u[0] = (char)cp; un = 1; }
        else if (cp < 0x800) { u[0] = (char)(0xc0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3f)); un = 2; }
        else if (cp < 0x10000) { u[0] = (char)(0xe0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[2] = (char)(0x80 | (cp & 0x3f)); un = 3; }
        else { u[0] = (char)(0xf0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)); u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); un = 4; }
        if (ge_jr_put(j, u, un)) return -1;
        continue;
      }
      default: return -1;
      }
      if (ge_jr_put(j, &c, 1)) return -1;
    }
  }
  if (j->p >= j->end) return -1;
  j->p++;
  if (j->on - start > UINT32_MAX) return -1;
  sp->off = (uint32_t)start;
  sp->len = (uint32_t)(j->on - start);
  return 0;
}

int ge_jr_number(ge_jr *j, int64_t *v) {
  ge_jr_ws(j);
  int neg = 0;
  if (j->p < j->end && *j->p == '-') {
    neg = 1;
    j->p++;
  }
  const char *s = j->p;
  int64_t x = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    if (x < INT64_MAX / 10) x = x * 10 + (*j->p - '0');
    j->p++;
  }
  if (j->p == s) return -1;
  /* fractions/exponents do not occur in logopt; skip them if they do */
  while (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E' || *j->p == '+' ||
                           *j->p == '-' || (*j->p >= '0' && *j->p <= '9')))
    j->p++;
  *v = neg ? -x : x;
  return 0;
}

int ge_jr_object(ge_jr *j, ge_jr_key_fn fn, void *ud) {
  if (!ge_jr_eat(j, '{')) return -1;
  if (++j->depth > 64) return -1;
  if (ge_jr_eat(j, '}')) {
    j->depth--;
    return 0;
  }
  for (;;) {
    ge_span k;
    size_t mark = j->on;
    if (ge_jr_string(j, &k)) return -1;
    if (!ge_jr_eat(j, ':')) return -1;
    char key[32];
    size_t kl = k.len < sizeof key - 1 ? k.len : sizeof key - 1;
    memcpy(key, j->out + k.off, kl);
    key[kl] = 0;
    j->on = mark; /* keys are not kept */
    int r = fn ? fn(j, key, k.len, ud) : 1;
    if (r < 0) return -1;
    if (r == 1 && ge_jr_skip(j)) return -1;
    if (ge_jr_eat(j, ',')) continue;
    if (ge_jr_eat(j, '}')) break;
    return -1;
  }
  j->depth--;
  return 0;
}

int ge_jr_skip(ge_jr *j) {
  ge_jr_ws(j);
  if (j->p >= j->end) return -1;
  char c = *j->p;
  if (c == '{') return ge_jr_object(j, NULL, NULL);
  if (c == '[') {
    j->p++;
    if (++j->depth > 64) return -1;
    if (ge_jr_eat(j, ']')) {
      j->depth--;
      return 0;
    }
    do {
      if (ge_jr_skip(j)) return -1;
    } while (ge_jr_eat(j, ','));
    j->depth--;
    return ge_jr_eat(j, ']') ? 0 : -1;
  }
  if (c == '"') {
    size_t mark = j->on;
    ge_span s;
    int r = ge_jr_string(j, &s);
    j->on = mark;
    return r;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    int64_t v;
    return ge_jr_number(j, &v);
  }
  static const char *lits[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(lits[i]);
    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, lits[i], n) == 0) {
      j->p += n;
      return 0;
    }
  }
  return -1;
}

