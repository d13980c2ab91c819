/* Splits one -m=2 explanation line into fields, on demand (records keep the
 * line as a span; see log.h). Forms, Go 1.14 … 1.27:
 *   flow: DST = SRC:            (before Go 1.22)    flow: DST ← SRC:   (after)
 *   from EXPR (REASON) at POS   (text)              from EXPR (REASON) (logopt,
 *                                                   which we store with " at POS")
 *   warning: truncated explanation due to assignment cycle; see ...       */
#include <string.h>

#include "log.h"

static ge_strview sv(const char *p, size_t n) { return (ge_strview){p, n}; }

static const char *find_sub(const char *s, size_t n, const char *lit, size_t ln) {
  if (n < ln) return NULL;
  for (size_t i = 0; i + ln <= n; i++)
    if (s[i] == lit[0] && memcmp(s + i, lit, ln) == 0) return s + i;
  return NULL;
}
static const char *rfind_sub(const char *s, size_t n, const char *lit, size_t ln) {
  if (n < ln) return NULL;
  for (size_t i = n - ln + 1; i-- > 0;)
    if (s[i] == lit[0] && memcmp(s + i, lit, ln) == 0) return s + i;
  return NULL;
}

static const char *last_colon(const char *p, size_t n) {
  while (n-- > 0)
    if (p[n] == ':') return p + n;
  return NULL;
}

/* "file:line[:col]" -> fields; the file may itself contain ':'. */
static void parse_at(const char *p, size_t n, ge_flow_step *out) {
  uint32_t nums[2] = {0, 0};
  int got = 0;
  size_t end = n;
  while (got < 2) {
    const char *c = last_colon(p, end);
    if (!c) break;
    size_t i = (size_t)(c - p) + 1;
    if (i == end) break;
    uint32_t v = 0;
    size_t j = i;
    while (j < end && p[j] >= '0' && p[j] <= '9' && v < 100000000u) v = v * 10 + (uint32_t)(p[j++] - '0');
    if (j != end) break;
    nums[got++] = v;
    end = (size_t)(c - p);
  }
  out->file = sv(p, end);
  if (got == 2) {
    out->line = nums[1];
    out->col = nums[0];
  } else if (got == 1) {
    out->line = nums[0];
  }
}

/* The callee of a call expression as the compiler prints it: everything
 * before the argument list. The name may itself hold parentheses (a method
 * receiver "(*T).M") and brackets (generic shapes "F[go.shape.int]"), so the
 * argument list is the first '(' at depth 0 that follows a name character,
 * ')' or ']'. Empty when the expression is not a call. */
static ge_strview call_callee(ge_strview e) {
  int depth = 0;
  for (size_t i = 0; i < e.len; i++) {
    char c = e.ptr[i];
    if (c == '"' || c == '`') return sv(NULL, 0); /* a literal before any call */
    if (c == '(' || c == '[') {
      if (c == '(' && depth == 0 && i > 0) {
        char b = e.ptr[i - 1];
        if (b == ')' || b == ']' || b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') ||
            (b >= 'A' && b <= 'Z') || (unsigned char)b >= 0x80)
          return e.ptr[e.len - 1] == ')' ? sv(e.ptr, i) : sv(NULL, 0);
      }
      depth++;
    } else if (c == ')' || c == ']') {
      if (--depth < 0) return sv(NULL, 0);
    } else if (c == ' ' && depth == 0) {
      /* "func literal" is the one callee with a space; any other space at
       * depth 0 means an operator expression, not a call. */
      if (!(i == 4 && memcmp(e.ptr, "func literal", e.len < 12 ? e.len : 12) == 0 && e.len >= 12))
        return sv(NULL, 0);
    }
  }
  return sv(NULL, 0);
}

void ge_step_fields(const char *s, size_t n, int type, ge_flow_step *out) {
  memset(out, 0, sizeof *out);
  out->type = (uint32_t)type;
  if (type == GE_STEP_FLOW && n >= 6) {
    const char *p = s + 6, *e = s + n; /* after "flow: " */
    if (e > p && e[-1] == ':') e--;
    size_t m = (size_t)(e - p);
    const char *arrow = find_sub(p, m, " \xe2\x86\x90 ", 5);
    size_t al = 5;
    if (!arrow) {
      arrow = find_sub(p, m, " = ", 3);
      al = 3;
    }
    if (arrow) {
      out->dst = sv(p, (size_t)(arrow - p));
      out->src = sv(arrow + al, (size_t)(e - arrow - (ptrdiff_t)al));
    } else {
      out->dst = sv(p, m);
    }
    return;
  }
  if (type == GE_STEP_FROM && n >= 5) {
    const char *p = s + 5, *e = s + n; /* after "from " */
    size_t m = (size_t)(e - p);
    const char *at = rfind_sub(p, m, ") at ", 5);
    const char *rp;
    if (at) {
      parse_at(at + 5, (size_t)(e - at - 5), out);
      rp = at;
    } else {
      rp = m && e[-1] == ')' ? e - 1 : NULL;
    }
    if (rp) {
      const char *lp = rfind_sub(p, (size_t)(rp - p), " (", 2);
      if (lp) {
        out->expr = sv(p, (size_t)(lp - p));
        out->reason = sv(lp + 2, (size_t)(rp - lp - 2));
        if (out->reason.len == 14 && memcmp(out->reason.ptr, "call parameter", 14) == 0)
          out->callee = call_callee(out->expr);
        return;
      }
    }
    out->expr = sv(p, m);
    return;
  }
  if (n >= 9 && memcmp(s, "warning: ", 9) == 0) {
    out->reason = sv(s, 7);
    out->expr = sv(s + 9, n - 9);
    return;
  }
  out->reason = sv("note", 4);
  out->expr = sv(s, n);
}
