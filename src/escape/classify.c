/* Message classifier: one compiler diagnostic message (the text after
 * "file:line:col: ") to a kind, its subject, target and numbers.
 *
 * Reads the wording of Go 1.13 through 1.27 (cmd/compile/internal/escape,
 * inline, devirtualize, walk, ssa check_bce/nilcheck, liveness, loopvar and
 * the logopt messages). Newer wording adds " in F" to -m=2 headers and
 * " for F" to parameter-leak headers; both forms are read. Anything not
 * recognized stays GE_K_UNKNOWN: the caller keeps the raw message. */
#include <string.h>

#include "log.h"

typedef struct {
  const char *p;
  size_t n;
} str;

static int starts(str s, const char *lit, size_t ln) {
  return s.n >= ln && memcmp(s.p, lit, ln) == 0;
}
static int ends(str s, const char *lit, size_t ln) {
  return s.n >= ln && memcmp(s.p + s.n - ln, lit, ln) == 0;
}
#define STARTS(s, lit) starts(s, lit, sizeof(lit) - 1)
#define ENDS(s, lit) ends(s, lit, sizeof(lit) - 1)

/* Last occurrence of lit in s, or -1. */
static long rfind(str s, const char *lit, size_t ln) {
  if (s.n < ln) return -1;
  for (size_t i = s.n - ln + 1; i-- > 0;)
    if (s.p[i] == lit[0] && memcmp(s.p + i, lit, ln) == 0) return (long)i;
  return -1;
}
static long find(str s, const char *lit, size_t ln) {
  if (s.n < ln) return -1;
  for (size_t i = 0; i + ln <= s.n; i++)
    if (s.p[i] == lit[0] && memcmp(s.p + i, lit, ln) == 0) return (long)i;
  return -1;
}
#define RFIND(s, lit) rfind(s, lit, sizeof(lit) - 1)
#define FIND(s, lit) find(s, lit, sizeof(lit) - 1)

/* Parses a non-negative decimal at s[i..]; -1 when there is none. */
static int64_t num_at(str s, size_t i, size_t *end) {
  int64_t v = 0;
  size_t j = i;
  while (j < s.n && s.p[j] >= '0' && s.p[j] <= '9' && v < (INT64_MAX - 9) / 10)
    v = v * 10 + (s.p[j++] - '0');
  if (end) *end = j;
  return j == i ? -1 : v;
}

static ge_span span(const char *base, const char *p, size_t n) {
  return (ge_span){(uint32_t)(p - base), (uint32_t)n};
}

/* Length of a Go function name at the start of r: up to the first space
 * outside brackets (generic shapes print as "F[go.shape.struct { a int }]"). */
static size_t name_len(str r) {
  int depth = 0;
  for (size_t i = 0; i < r.n; i++) {
    char ch = r.p[i];
    if (ch == '[' || ch == '(' || ch == '{') depth++;
    else if ((ch == ']' || ch == ')' || ch == '}') && depth > 0) depth--;
    else if (ch == ' ' && depth == 0) return i;
  }
  return r.n;
}

/* "F with cost N [as: ...]" / "F" */
static void can_inline(const char *m, str r, ge_class *c) {
  c->kind = GE_K_CAN_INLINE;
  size_t fn = name_len(r);
  c->subject = c->func = span(m, r.p, fn);
  str rest = {r.p + fn, r.n - fn};
  if (STARTS(rest, " with cost ")) c->n1 = num_at(rest, 11, NULL);
}

/* "F: reason" where the reason may say "cost N exceeds budget M". */
static void cannot_inline(const char *m, str r, ge_class *c) {
  c->kind = GE_K_CANNOT_INLINE;
  long colon = FIND(r, ": ");
  size_t fn = colon >= 0 ? (size_t)colon : r.n;
  c->subject = c->func = span(m, r.p, fn);
  if (colon < 0) return;
  str why = {r.p + colon + 2, r.n - (size_t)colon - 2};
  c->target = span(m, why.p, why.n);
  long k = FIND(why, "cost ");
  if (k >= 0) {
    size_t e;
    c->n1 = num_at(why, (size_t)k + 5, &e);
    str rest = {why.p + e, why.n - e};
    long b = FIND(rest, "budget ");
    if (b >= 0) c->n2 = num_at(rest, (size_t)b + 7, NULL);
  }
}

/* "P leaks to DST [for F] with derefs=N" (after "parameter "). */
static void param_leaks(const char *m, str r, ge_class *c) {
  long lt = FIND(r, " leaks to ");
  long wd = RFIND(r, " with derefs=");
  if (lt < 0 || wd < lt) return;
  c->kind = GE_K_PARAM_LEAKS;
  c->subject = span(m, r.p, (size_t)lt);
  str dst = {r.p + lt + 10, (size_t)(wd - lt - 10)};
  /* DST is "{heap}", "{storage for X}", "~r0" or a name; " for F" may
   * follow, and F (generic shapes) may contain spaces. */
  size_t dn = 0;
  if (dst.n && dst.p[0] == '{') {
    int depth = 0;
    for (; dn < dst.n; dn++) {
      if (dst.p[dn] == '{') depth++;
      else if (dst.p[dn] == '}' && --depth == 0) {
        dn++;
        break;
      }
    }
  } else {
    while (dn < dst.n && dst.p[dn] != ' ') dn++;
  }
  if (dn + 5 <= dst.n && memcmp(dst.p + dn, " for ", 5) == 0) {
    c->func = span(m, dst.p + dn + 5, dst.n - dn - 5);
    dst.n = dn;
  }
  c->target = span(m, dst.p, dst.n);
  c->n2 = num_at(r, (size_t)wd + 13, NULL);
}

/* "X to T" (devirtualization): subject X, target T. */
static void subject_to_target(const char *m, str r, ge_kind kind, ge_class *c) {
  long to = RFIND(r, " to ");
  c->kind = kind;
  c->subject = span(m, r.p, to >= 0 ? (size_t)to : r.n);
  if (to >= 0) c->target = span(m, r.p + to + 4, r.n - (size_t)to - 4);
}

/* Messages recognized by their start alone. */
static const struct {
  const char *prefix;
  size_t len;
  ge_kind kind;
} prefixes[] = {
    {"index bounds check elided", 25, GE_K_BOUNDS_CHECK_ELIDED},
    {"zero-copy ", 10, GE_K_ZERO_COPY},
    {"Found IsInBounds", 16, GE_K_BOUNDS_CHECK},
    {"Found IsSliceInBounds", 21, GE_K_SLICE_BOUNDS_CHECK},
    {"generated nil check", 19, GE_K_NIL_CHECK},
    {"removed nil check", 17, GE_K_NIL_CHECK},
    {"Before inlining", 15, GE_K_TRACE},
    {"After inlining", 14, GE_K_TRACE},
};

/* "p derefs=N" after "mutates param: " / "calls param: " (-d=escapemutationscalls). */
static void param_effect(const char *m, str r, ge_kind kind, ge_class *c) {
  c->kind = kind;
  long d = RFIND(r, " derefs=");
  c->subject = span(m, r.p, d >= 0 ? (size_t)d : r.n);
  if (d >= 0) c->n2 = num_at(r, (size_t)d + 8, NULL);
}

/* Notes that -d debug flags print (cmd/compile/internal: escape alias
 * analysis, ssagen, walk, noder): kept apart from unknown text. */
static const char *const debug_prefixes[] = {
    "alias analysis: ", "rewriting OCONVIFACE value from ", "intrinsic substitution for ",
    "append: len-only update", "slice: omit slice operation", "convert: ",
    "type assertion inlined", "type assertion not inlined", "tail call emitted for ",
    "imprecise interface call", "reshaping ", "skipping shaping of ", "buildssa: ",
    "concreteType", "assignments(): ", "analyze(): ", "cheap call is also intrinsic",
    "intrinsic call, ", "costly OCALL", "doNode ",
};

/* The compiler's errors (types2 and the parser), by their usual openings:
 * a log of a failed build holds them at positions like diagnostics. */
static const char *const error_prefixes[] = {
    "syntax error", "undefined: ", "declared and not used", "imported and not used",
    "cannot use ", "invalid operation", "missing return", "too many errors",
    "not enough arguments", "too many arguments", "assignment mismatch", "cannot assign",
    "mismatched types", "cannot convert", "cannot range over", "invalid argument",
    "cannot infer ", "cannot call non-function", "invalid recursive type", "import cycle not allowed",
    "could not import ", "initialization cycle", "missing function body", "invalid composite literal",
    "non-boolean condition", "unexpected ", "cannot use _ as value", "missing argument",
    "undefined (type ", "no new variables on left side", "non-name ", "invalid character",
    "string literal not terminated", "newline in string", "label ", "duplicate case",
    "first argument to append", "invalid type", "cannot index", "cannot slice",
};
static const char *const error_infixes[] = {
    " redeclared in this block", " is not used", " has no field or method ",
    " does not implement ", " (no value) used as value", " is not a type",
    " declared and not used", " imported and not used", " not declared by package ",
};

void ge_classify(const char *msg, size_t len, ge_class *c) {
  memset(c, 0, sizeof *c);
  c->kind = GE_K_UNKNOWN;
  c->n1 = c->n2 = -1;
  str s = {msg, len};
  if (s.n == 0) return;
  if (s.p[s.n - 1] == ':') {
    /* -m=2 block headers end with ':' ("x escapes to heap:"). */
    str h = {s.p, s.n - 1};
    if (STARTS(h, "parameter ")) {
      param_leaks(msg, (str){h.p + 10, h.n - 10}, c);
      if (c->kind) {
        c->header = 1;
        return;
      }
    }
    long e = RFIND(h, " escapes to heap");
    if (e > 0) {
      str tail = {h.p + e + 16, h.n - (size_t)e - 16};
      if (tail.n == 0 || STARTS(tail, " in ")) {
        c->kind = GE_K_ESCAPES_TO_HEAP;
        c->header = 1;
        c->subject = span(msg, h.p, (size_t)e);
        if (tail.n) c->func = span(msg, tail.p + 4, tail.n - 4);
        return;
      }
    }
  }
  switch (s.p[0]) {
  case 'm':
    if (STARTS(s, "mutates param: ")) {
      param_effect(msg, (str){s.p + 15, s.n - 15}, GE_K_MUTATES_PARAM, c);
      return;
    }
    if (STARTS(s, "moved to heap: ")) {
      c->kind = GE_K_MOVED_TO_HEAP;
      c->subject = span(msg, s.p + 15, s.n - 15);
      return;
    }
    if (STARTS(s, "marking ") && (ENDS(s, " as escaping uintptr") || ENDS(s, " as escaping ...uintptr"))) {
      c->kind = GE_K_ESCAPING_UINTPTR;
      long a = RFIND(s, " as escaping ");
      c->subject = span(msg, s.p + 8, (size_t)a - 8);
      return;
    }
    break;
  case 'l':
    if (STARTS(s, "leaking param content: ")) {
      c->kind = GE_K_LEAKING_PARAM_CONTENT;
      c->subject = span(msg, s.p + 23, s.n - 23);
      return;
    }
    if (STARTS(s, "leaking param: ")) {
      str r = {s.p + 15, s.n - 15};
      long tr = FIND(r, " to result ");
      long lv = RFIND(r, " level=");
      if (tr >= 0 && lv > tr) {
        c->kind = GE_K_LEAKING_PARAM_RESULT;
        c->subject = span(msg, r.p, (size_t)tr);
        c->target = span(msg, r.p + tr + 11, (size_t)(lv - tr - 11));
        c->n1 = num_at(r, (size_t)lv + 7, NULL);
      } else {
        c->kind = GE_K_LEAKING_PARAM;
        c->subject = span(msg, r.p, r.n);
      }
      return;
    }
    if (STARTS(s, "live at ")) {
      c->kind = GE_K_LIVE;
      str r = {s.p + 8, s.n - 8};
      long colon = FIND(r, ": ");
      size_t wn = colon >= 0 ? (size_t)colon : (ENDS(r, ":") ? r.n - 1 : r.n);
      c->subject = span(msg, r.p, wn);
      if (colon >= 0) c->target = span(msg, r.p + colon + 2, r.n - (size_t)colon - 2);
      return;
    }
    if (STARTS(s, "loop variable ")) {
      str r = {s.p + 14, s.n - 14};
      long nw = FIND(r, " now per-iteration, ");
      if (nw >= 0) {
        c->kind = GE_K_LOOPVAR;
        c->subject = span(msg, r.p, (size_t)nw);
        str how = {r.p + nw + 20, r.n - (size_t)nw - 20};
        long sp = FIND(how, " ");
        c->target = span(msg, how.p, sp >= 0 ? (size_t)sp : how.n);
        return;
      }
    }
    break;
  case 'p':
    if (STARTS(s, "parameter ")) {
      param_leaks(msg, (str){s.p + 10, s.n - 10}, c);
      if (c->kind) return;
    }
    if (STARTS(s, "partially devirtualizing ")) {
      subject_to_target(msg, (str){s.p + 25, s.n - 25}, GE_K_DEVIRTUALIZED, c);
      return;
    }
    break;
  case 'f':
    if (STARTS(s, "function ") && ENDS(s, " considered 'big'; reducing max cost of inlinees")) {
      c->kind = GE_K_BIG_FUNCTION;
      c->subject = span(msg, s.p + 9, s.n - 9 - 48);
      return;
    }
    break;
  case 'P':
    if (STARTS(s, "PGO devirtualizing ")) {
      str r = {s.p + 19, s.n - 19};
      if (STARTS(r, "interface call ")) r = (str){r.p + 15, r.n - 15};
      else if (STARTS(r, "function call ")) r = (str){r.p + 14, r.n - 14};
      subject_to_target(msg, r, GE_K_PGO_DEVIRTUALIZED, c);
      return;
    }
    break;
  case 'c':
    if (STARTS(s, "can inline ")) {
      can_inline(msg, (str){s.p + 11, s.n - 11}, c);
      return;
    }
    if (STARTS(s, "cannot inline call to ")) {
      c->kind = GE_K_CANNOT_INLINE_CALL;
      str r = {s.p + 22, s.n - 22};
      long colon = FIND(r, ": ");
      c->subject = span(msg, r.p, colon >= 0 ? (size_t)colon : r.n);
      if (colon >= 0) c->target = span(msg, r.p + colon + 2, r.n - (size_t)colon - 2);
      return;
    }
    if (STARTS(s, "cannot inline ")) {
      /* "cannot inline F into G: repeated recursive cycle": a call site. */
      str r = {s.p + 14, s.n - 14};
      long into = FIND(r, " into "), colon = FIND(r, ": ");
      if (into > 0 && colon > into) {
        c->kind = GE_K_CANNOT_INLINE_CALL;
        c->subject = span(msg, r.p, (size_t)into);
        c->target = span(msg, r.p + colon + 2, r.n - (size_t)colon - 2);
        return;
      }
      cannot_inline(msg, r, c);
      return;
    }
    if (STARTS(s, "cannot devirtualize ")) {
      str r = {s.p + 20, s.n - 20};
      long colon = RFIND(r, ": ");
      c->kind = GE_K_CANNOT_DEVIRTUALIZE;
      c->subject = span(msg, r.p, colon >= 0 ? (size_t)colon : r.n);
      if (colon >= 0) c->target = span(msg, r.p + colon + 2, r.n - (size_t)colon - 2);
      return;
    }
    if (STARTS(s, "calls param: ")) {
      param_effect(msg, (str){s.p + 13, s.n - 13}, GE_K_CALLS_PARAM, c);
      return;
    }
    if (STARTS(s, "closure converted to global")) {
      c->kind = GE_K_CLOSURE_GLOBAL;
      return;
    }
    break;
  case 'i':
    if (STARTS(s, "inlining call to ")) {
      c->kind = GE_K_INLINING_CALL;
      str r = {s.p + 17, s.n - 17};
      c->subject = span(msg, r.p, name_len(r));
      long sc = FIND(r, " with score ");
      if (sc >= 0) c->n1 = num_at(r, (size_t)sc + 12, NULL);
      return;
    }
    break;
  case 'd':
    if (STARTS(s, "devirtualizing ")) {
      subject_to_target(msg, (str){s.p + 15, s.n - 15}, GE_K_DEVIRTUALIZED, c);
      return;
    }
    break;
  case 'a':
    if (STARTS(s, "assuming ") && ENDS(s, " is unsafe uintptr")) {
      c->kind = GE_K_UNSAFE_UINTPTR;
      c->subject = span(msg, s.p + 9, s.n - 9 - 18);
      return;
    }
    break;
  case 's':
    if (STARTS(s, "stack object ")) {
      str r = {s.p + 13, s.n - 13};
      long sp = FIND(r, " ");
      c->kind = GE_K_STACK_OBJECT;
      c->subject = span(msg, r.p, sp >= 0 ? (size_t)sp : r.n);
      if (sp >= 0) c->target = span(msg, r.p + sp + 1, r.n - (size_t)sp - 1);
      return;
    }
    break;
  case '[': {
    /* -m=3 escape trace "[depth] F stmt: ..." (not "[]int{...} does not escape") */
    size_t e;
    if (num_at(s, 1, &e) >= 0 && e + 1 < s.n && s.p[e] == ']' && s.p[e + 1] == ' ') {
      c->kind = GE_K_TRACE;
      return;
    }
    break;
  }
  default:
    break;
  }
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (starts(s, prefixes[i].prefix, prefixes[i].len)) {
      c->kind = prefixes[i].kind;
      return;
    }
  /* Suffix forms: "X escapes to heap", "X does not escape", ... */
  static const struct {
    const char *suffix;
    size_t len;
    ge_kind kind;
  } suffixes[] = {
      {" escapes to heap", 16, GE_K_ESCAPES_TO_HEAP},
      {" does not escape", 16, GE_K_DOES_NOT_ESCAPE},
      {" does not escape, mutate, or call", 33, GE_K_DOES_NOT_ESCAPE},
      {" too large for stack", 20, GE_K_TOO_LARGE_FOR_STACK},
      {" with non-constant size", 23, GE_K_NON_CONSTANT_SIZE},
  };
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (ends(s, suffixes[i].suffix, suffixes[i].len)) {
      c->kind = suffixes[i].kind;
      c->subject = span(msg, s.p, s.n - suffixes[i].len);
      return;
    }
  /* -d=loopvar=4: "for loop ending at 12:3 was modified" (target: the loop kind). */
  long le = FIND(s, " loop ending at ");
  if (le > 0 && FIND(s, " was modified") > le && FIND(s, " ") == le) {
    c->kind = GE_K_LOOPVAR;
    c->target = span(msg, s.p, (size_t)le);
    return;
  }
  /* testing.B.Loop's keep-alive pass (Go 1.24+, -m=2). */
  if (ENDS(s, " will be kept alive") || STARTS(s, "expr is unknown to bloop pass") ||
      STARTS(s, "unrecognized shape for assign list stmt")) {
    c->kind = GE_K_KEEP_ALIVE;
    long k = FIND(s, " will be kept alive");
    if (k > 0) c->subject = span(msg, s.p, (size_t)k);
    return;
  }
  /* -d=defer */
  if (ENDS(s, " defer") && (STARTS(s, "open-coded ") || STARTS(s, "stack-allocated ") ||
                            STARTS(s, "heap-allocated "))) {
    c->kind = GE_K_DEFER;
    c->target = span(msg, s.p, s.n - 6);
    return;
  }
  for (size_t i = 0; i < sizeof debug_prefixes / sizeof debug_prefixes[0]; i++)
    if (starts(s, debug_prefixes[i], strlen(debug_prefixes[i]))) {
      c->kind = GE_K_DEBUG;
      return;
    }
  for (size_t i = 0; i < sizeof error_prefixes / sizeof error_prefixes[0]; i++)
    if (starts(s, error_prefixes[i], strlen(error_prefixes[i]))) {
      c->kind = GE_K_COMPILE_ERROR;
      return;
    }
  for (size_t i = 0; i < sizeof error_infixes / sizeof error_infixes[0]; i++)
    if (find(s, error_infixes[i], strlen(error_infixes[i])) >= 0) {
      c->kind = GE_K_COMPILE_ERROR;
      return;
    }
  long cap = FIND(s, " capturing by ");
  if (cap > 0) {
    str r = {s.p + cap + 14, s.n - (size_t)cap - 14};
    long colon = FIND(r, ": ");
    if (colon > 0) {
      c->kind = GE_K_CLOSURE_CAPTURE;
      c->func = span(msg, s.p, (size_t)cap);
      c->target = span(msg, r.p, (size_t)colon);
      str v = {r.p + colon + 2, r.n - (size_t)colon - 2};
      long par = FIND(v, " (");
      c->subject = span(msg, v.p, par >= 0 ? (size_t)par : v.n);
      long w = FIND(v, "width=");
      if (w >= 0) c->n1 = num_at(v, (size_t)w + 6, NULL);
      return;
    }
  }
  long self = FIND(s, " ignoring self-assignment in ");
  if (self > 0) {
    c->kind = GE_K_SELF_ASSIGNMENT;
    c->subject = span(msg, s.p, (size_t)self);
    c->target = span(msg, s.p + self + 29, s.n - (size_t)self - 29);
    return;
  }
  if (ENDS(s, "non-looping label") || ENDS(s, " looping label")) {
    c->kind = GE_K_TRACE;
    return;
  }
}
