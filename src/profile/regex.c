/* Go RE2 syntax (what `go tool pprof` takes) translated into POSIX extended
 * regular expressions. Only whether a string matches is ever asked
 * (REG_NOSUB), so lazy quantifiers become greedy ones and groups need not
 * capture. Translated: \d \w \s \D \W \S (ASCII classes, as RE2's), escaped
 * punctuation, \t \n \r \f \v \a, \xHH and \x{H...}, \Q...\E, \A \z, \C,
 * (?:...), (?P<name>...) and (?<name>...), a leading (?i) (case-insensitive
 * flag), (?s) (?m) (?U) (no effect on names without newlines), bracket
 * classes with escapes and [:name:]. Refused, with the reason: \b \B \pX
 * \PX, backreferences, lookarounds (RE2 has none either), (?i) elsewhere
 * than at the start, non-ASCII characters inside brackets.
 *
 * One file, a little over 500 lines: one translator, whose rules for each
 * construct read best beside the others they must agree with. */
#include "regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

typedef struct out {
  char *v;
  size_t n, cap;
  const char *why;
} out;

static void put(out *o, char c) {
  if (o->n + 1 < o->cap) o->v[o->n++] = c;
  else if (!o->why) o->why = "pattern too long";
}

static void puts_(out *o, const char *s) {
  while (*s) put(o, *s++);
}

/* A byte as an ERE literal. */
static void lit(out *o, unsigned char c) {
  if (c == '^') puts_(o, "\\^");
  else if (c == '\\') puts_(o, "[\\]");
  else if (c == ']') puts_(o, "[]]");
  else if (strchr(".[()*+?{}|$", c) && c) {
    put(o, '[');
    put(o, (char)c);
    put(o, ']');
  } else put(o, (char)c);
}

static void lit_utf8(out *o, unsigned long cp) {
  if (cp < 0x80) lit(o, (unsigned char)cp);
  else if (cp < 0x800) {
    put(o, (char)(0xC0 | (cp >> 6)));
    put(o, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    put(o, (char)(0xE0 | (cp >> 12)));
    put(o, (char)(0x80 | ((cp >> 6) & 0x3F)));
    put(o, (char)(0x80 | (cp & 0x3F)));
  } else {
    put(o, (char)(0xF0 | (cp >> 18)));
    put(o, (char)(0x80 | ((cp >> 12) & 0x3F)));
    put(o, (char)(0x80 | ((cp >> 6) & 0x3F)));
    put(o, (char)(0x80 | (cp & 0x3F)));
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* \xHH or \x{H...} at s (just after the 'x'); returns the characters read
 * or 0 when malformed. */
static size_t hexesc(const char *s, unsigned long *cp) {
  *cp = 0;
  if (s[0] == '{') {
    size_t i = 1;
    for (; hexval(s[i]) >= 0; i++) {
      *cp = *cp * 16 + (unsigned long)hexval(s[i]);
      if (*cp > 0x10FFFF) return 0;
    }
    return i > 1 && s[i] == '}' ? i + 1 : 0;
  }
  if (hexval(s[0]) < 0 || hexval(s[1]) < 0) return 0;
  *cp = (unsigned long)(hexval(s[0]) * 16 + hexval(s[1]));
  return 2;
}

static const char *simple_escape(char c) {
  switch (c) {
  case 't': return "\t";
  case 'n': return "\n";
  case 'r': return "\r";
  case 'f': return "\f";
  case 'v': return "\v";
  case 'a': return "\a";
  }
  return NULL;
}

/* The ASCII members of \d \w \s (RE2's Perl classes). */
static int in_perl_class(char cls, int c) {
  switch (cls) {
  case 'd': return c >= '0' && c <= '9';
  case 'w':
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  case 's': return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
  }
  return 0;
}

static const char *why_escape(char c) {
  switch (c) {
  case 'b': case 'B': return "word boundaries (\\b, \\B) have no POSIX equivalent";
  case 'p': case 'P': return "Unicode classes (\\pL, \\p{Greek}) are not supported";
  case 'z': return NULL;
  }
  if (c >= '0' && c <= '9') return "backreferences and octal escapes are not supported";
  return "unknown escape sequence";
}

/* A bracket expression starting after '[' at *pi; emits an ERE one. */
static void bracket(const char *p, size_t *pi, out *o) {
  unsigned char set[256];
  memset(set, 0, sizeof set);
  const char *classes[16];
  size_t nclasses = 0;
  size_t i = *pi;
  int neg = 0;
  if (p[i] == '^') {
    neg = 1;
    i++;
  }
  int first = 1;
  while (!o->why) {
    if (p[i] == 0) {
      o->why = "missing closing ]";
      break;
    }
    if (p[i] == ']' && !first) {
      i++;
      break;
    }
    first = 0;
    if (p[i] == '[' && p[i + 1] == ':') {
      const char *end = strstr(p + i + 2, ":]");
      static const char *names[] = {"alnum", "alpha", "ascii", "blank", "cntrl", "digit",
                                    "graph", "lower", "print", "punct", "space", "upper",
                                    "word",  "xdigit"};
      size_t len = end ? (size_t)(end - (p + i + 2)) : 0;
      const char *nm = NULL;
      for (size_t k = 0; end && k < sizeof names / sizeof *names; k++)
        if (strlen(names[k]) == len && !memcmp(names[k], p + i + 2, len)) nm = names[k];
      if (!nm) {
        o->why = "unknown or negated [:class:] in brackets";
        break;
      }
      if (!strcmp(nm, "ascii")) {
        for (int c = 1; c < 128; c++) set[c] = 1;
      } else if (!strcmp(nm, "word")) {
        for (int c = 1; c < 128; c++) set[c] |= (unsigned char)in_perl_class('w', c);
      } else if (nclasses < sizeof classes / sizeof *classes) {
        classes[nclasses++] = nm;
      }
      i += 2 + len + 2;
      continue;
    }
    /* one character (or a Perl class), maybe the start of a range */
    int lo = -1;
    if (p[i] == '\\') {
      char e = p[i + 1];
      const char *se = simple_escape(e);
      unsigned long cp;
      size_t hn;
      if (e == 'd' || e == 'w' || e == 's' || e == 'D' || e == 'W' || e == 'S') {
        char cls = (char)(e | 0x20);
        int want = e == cls;
        for (int c = 1; c < 128; c++)
          if (in_perl_class(cls, c) == want) set[c] = 1;
        i += 2;
        continue;
      } else if (se) {
        lo = (unsigned char)se[0];
        i += 2;
      } else if (e == 'x' && (hn = hexesc(p + i + 2, &cp)) && cp < 0x80) {
        lo = (int)cp;
        i += 2 + hn;
      } else if (e && (unsigned char)e < 0x80 && !(e >= '0' && e <= '9') &&
                 !(e >= 'a' && e <= 'z') && !(e >= 'A' && e <= 'Z')) {
        lo = (unsigned char)e;
        i += 2;
      } else {
        o->why = e == 'x' ? "non-ASCII characters in brackets are not supported"
                          : why_escape(e) ? why_escape(e) : "unknown escape sequence";
        break;
      }
    } else {
      lo = (unsigned char)p[i++];
    }
    int hi = lo;
    if (p[i] == '-' && p[i + 1] != ']' && p[i + 1] != 0) {
      i++;
      if (p[i] == '\\') {
        char e = p[i + 1];
        const char *se = simple_escape(e);
        if (se) hi = (unsigned char)se[0];
        else if (e && (unsigned char)e < 0x80 && !((e | 0x20) >= 'a' && (e | 0x20) <= 'z') &&
                 !(e >= '0' && e <= '9'))
          hi = (unsigned char)e;
        else {
          o->why = "unsupported escape at the end of a range";
          break;
        }
        i += 2;
      } else {
        hi = (unsigned char)p[i++];
      }
      if (hi < lo) {
        o->why = "invalid character class range";
        break;
      }
    }
    if (lo >= 0x80 || hi >= 0x80) {
      o->why = "non-ASCII characters in brackets are not supported";
      break;
    }
    for (int c = lo; c <= hi; c++) set[c] = 1;
  }
  *pi = i;
  if (o->why) return;
  int any = 0;
  for (int c = 1; c < 256; c++) any |= set[c];
  if (!any && !nclasses) {
    o->why = "empty character class";
    return;
  }
  /* A lone ^ (not negated) cannot be written as a bracket: "[^]". */
  if (!neg && !nclasses && set['^']) {
    int others = 0;
    for (int c = 1; c < 256; c++) others |= c != '^' && set[c];
    if (!others) {
      puts_(o, "\\^");
      return;
    }
  }
  put(o, '[');
  if (neg) put(o, '^');
  size_t start = o->n;
  if (set[']']) put(o, ']');
  for (int c = 1; c < 256; c++) {
    if (!set[c] || c == ']' || c == '^' || c == '-') continue;
    int e = c;
    while (e + 1 < 256 && set[e + 1] && e + 1 != ']' && e + 1 != '^' && e + 1 != '-') e++;
    put(o, (char)c);
    if (e >= c + 2) {
      put(o, '-');
      put(o, (char)e);
    } else if (e == c + 1) {
      put(o, (char)e);
    }
    c = e;
  }
  for (size_t k = 0; k < nclasses; k++) {
    puts_(o, "[:");
    puts_(o, classes[k]);
    puts_(o, ":]");
  }
  if (set['^']) {
    /* never first unless negated: "[^^]", "[a^]", "[-^]" read it literally */
    if (!neg && o->n == start && set['-']) {
      put(o, '-');
      set['-'] = 0;
    }
    put(o, '^');
  }
  if (set['-']) put(o, '-');
  put(o, ']');
}

/* What RE2 refuses about repetitions, and what glibc's regcomp cannot
 * afford: regcomp copies the operand of "+" and "{n,m}" (duplicate_tree), so
 * "((a+)+)+..." or "(a{1000}){1000}" grow its tree exponentially -- a
 * 40-byte pattern took 4 GB. Like Go's regexp/syntax (checkSize/checkHeight)
 * we refuse stacked repetition operators ("a**", "a++"), a repetition with
 * no operand, counts over 1000 (also as the product of nested counts:
 * "(a{100}){100}", Go's repeatIsValid), nesting deeper than 1000 groups,
 * and -- beyond Go, for regcomp's sake -- patterns whose repetitions expand
 * past MAX_TERMS terms ("((a+)+)+..." 30 deep). */
enum { MAX_TERMS = 100000, MAX_REPEAT = 1000, MAX_DEPTH = 1000 };

typedef struct shape {
  double group[MAX_DEPTH + 1]; /* terms so far in each open group; [0] the whole */
  double count[MAX_DEPTH + 1]; /* largest product of nested {n,m} counts in it */
  double last;                 /* terms of the previous operand, 0: none */
  double last_count;           /* its product of nested {n,m} counts */
  size_t depth;
  int after_repeat;            /* the previous token was a repetition operator */
} shape;

static void shape_atom(shape *sh, double terms, double count) {
  sh->group[sh->depth] += terms;
  if (count > sh->count[sh->depth]) sh->count[sh->depth] = count;
  sh->last = terms;
  sh->last_count = count;
  sh->after_repeat = 0;
}

static const char *shape_open(shape *sh) {
  if (sh->depth == MAX_DEPTH) return "expression nests too deeply";
  sh->depth++;
  sh->group[sh->depth] = sh->count[sh->depth] = 0;
  sh->last = 0;
  sh->after_repeat = 0;
  return NULL;
}

static void shape_close(shape *sh) {
  if (!sh->depth) { /* unmatched: regcomp will say so */
    shape_atom(sh, 1, 1);
    return;
  }
  double g = sh->group[sh->depth], c = sh->count[sh->depth];
  sh->depth--;
  shape_atom(sh, g > 0 ? g : 1, c > 1 ? c : 1);
}

static void shape_alternate(shape *sh) {
  sh->last = 0;
  sh->after_repeat = 0;
}

/* A repetition of the previous operand that makes `copies` copies of it;
 * count is RE2's count of a {n,m} (m, or n for "{n,}"), 0 for * + ?. */
static const char *shape_repeat(shape *sh, double copies, double count) {
  if (sh->after_repeat) return "invalid nested repetition operator";
  if (sh->last <= 0) return "missing argument to repetition operator";
  if (count > 0) {
    sh->last_count *= count;
    if (sh->last_count > MAX_REPEAT)
      return "invalid repeat count (nested repetitions multiply past 1000, which RE2 refuses)";
    if (sh->last_count > sh->count[sh->depth]) sh->count[sh->depth] = sh->last_count;
  }
  sh->group[sh->depth] += sh->last * (copies - 1);
  sh->last *= copies;
  sh->after_repeat = 1;
  if (sh->group[sh->depth] > MAX_TERMS || sh->last > MAX_TERMS)
    return "expression too large (its repetitions expand past 100000 terms)";
  return NULL;
}

/* "{n}", "{n,}", "{n,m}" at p: its length, else 0 (RE2 reads '{' literally). */
static size_t repetition(const char *p) {
  size_t i = 1, d = 0;
  while (p[i] >= '0' && p[i] <= '9') i++, d++;
  if (!d) return 0;
  if (p[i] == '}') return i + 1;
  if (p[i] != ',') return 0;
  i++;
  while (p[i] >= '0' && p[i] <= '9') i++;
  return p[i] == '}' ? i + 1 : 0;
}

/* Flags of "(?flags)" or "(?flags:" at p+2: returns the position after the
 * flags, with *icase set when they include i; 0 when not a flag group. */
static size_t flags(const char *p, int *icase) {
  size_t i = 2;
  *icase = 0;
  for (; p[i] == 'i' || p[i] == 's' || p[i] == 'm' || p[i] == 'U'; i++)
    if (p[i] == 'i') *icase = 1;
  if (i == 2 || (p[i] != ')' && p[i] != ':')) return 0;
  return i;
}

/* The copies regcomp makes for "{n}", "{n,}", "{n,m}" (length r) at p, or
 * -1 past MAX_REPEAT; "{n,}" makes n + 1 (n copies and a star). *count gets
 * RE2's count: m, or n for "{n,}". */
static double repeat_copies(const char *p, size_t r, double *count) {
  double n = 0, m = -1, *d = &n;
  for (size_t k = 1; k + 1 < r; k++) {
    if (p[k] == ',') {
      m = 0;
      d = &m;
      continue;
    }
    *d = *d * 10 + (p[k] - '0');
    if (*d > MAX_REPEAT) return -1;
  }
  if (m < 0) return *count = n;                   /* {n} */
  if (p[r - 2] == ',') return (*count = n) + 1;   /* {n,} */
  *count = m;
  return m > n ? m : n;                           /* {n,m}: regcomp rejects m < n */
}

int ge_re_translate(const char *p, char *buf, size_t cap, int *icase, char *why,
                    size_t whycap) {
  out o = {buf, 0, cap, NULL};
  size_t i = 0;
  shape *sh = calloc(1, sizeof *sh);
  if (!sh) {
    snprintf(why, whycap, "out of memory");
    return -1;
  }
  *icase = 0;
  /* leading flags: (?i) (?is) ... */
  for (;;) {
    int ic;
    size_t f = p[i] == '(' && p[i + 1] == '?' ? flags(p + i, &ic) : 0;
    if (!f || p[i + f] != ')') break;
    *icase |= ic;
    i += f + 1;
  }
  while (p[i] && !o.why) {
    char c = p[i];
    if (c == '\\') {
      char e = p[i + 1];
      const char *se = simple_escape(e);
      unsigned long cp;
      size_t hn;
      i += 2;
      if (e != 'E' && e != 'Q') shape_atom(sh, 1, 1);
      switch (e) {
      case 'd': puts_(&o, "[0-9]"); break;
      case 'D': puts_(&o, "[^0-9]"); break;
      case 'w': puts_(&o, "[0-9A-Za-z_]"); break;
      case 'W': puts_(&o, "[^0-9A-Za-z_]"); break;
      case 's': puts_(&o, "[\t\n\f\r ]"); break;
      case 'S': puts_(&o, "[^\t\n\f\r ]"); break;
      case 'A': put(&o, '^'); break;
      case 'z': put(&o, '$'); break;
      case 'C': put(&o, '.'); break;
      case 'E': break;
      case 'Q':
        while (p[i] && !(p[i] == '\\' && p[i + 1] == 'E')) {
          lit(&o, (unsigned char)p[i++]);
          shape_atom(sh, 1, 1);
        }
        if (p[i]) i += 2;
        break;
      case 'x':
        if (!(hn = hexesc(p + i, &cp))) o.why = "bad \\x escape";
        else {
          lit_utf8(&o, cp);
          i += hn;
        }
        break;
      case 0: o.why = "trailing backslash"; i--; break;
      default:
        if (se) put(&o, se[0]);
        else if ((unsigned char)e < 0x80 && !(e >= '0' && e <= '9') && !(e >= 'a' && e <= 'z') &&
                 !(e >= 'A' && e <= 'Z'))
          lit(&o, (unsigned char)e);
        else o.why = why_escape(e) ? why_escape(e) : "unknown escape sequence";
      }
      continue;
    }
    if (c == '[') {
      i++;
      bracket(p, &i, &o);
      shape_atom(sh, 1, 1);
      continue;
    }
    if (c == '(' && p[i + 1] == '?') {
      int ic;
      size_t f;
      if (p[i + 2] == ':') {
        put(&o, '(');
        i += 3;
        o.why = shape_open(sh);
      } else if (p[i + 2] == '=' || p[i + 2] == '!' ||
                 (p[i + 2] == '<' && (p[i + 3] == '=' || p[i + 3] == '!'))) {
        o.why = "lookarounds are not supported (RE2 has none either)";
      } else if ((p[i + 2] == 'P' && p[i + 3] == '<') || p[i + 2] == '<') {
        const char *end = strchr(p + i, '>');
        if (!end) o.why = "unterminated group name";
        else {
          put(&o, '(');
          i = (size_t)(end - p) + 1;
          o.why = shape_open(sh);
        }
      } else if ((f = flags(p + i, &ic))) {
        if (ic) o.why = "(?i) is only supported at the start of the expression";
        else {
          if (p[i + f] == ':') {
            put(&o, '(');
            o.why = shape_open(sh);
          }
          i += f + 1;
        }
      } else {
        o.why = "unsupported (? group";
      }
      continue;
    }
    if (c == '{') {
      size_t r = repetition(p + i);
      if (!r) {
        lit(&o, '{');
        shape_atom(sh, 1, 1);
        i++;
        continue;
      }
      double count = 0, copies = repeat_copies(p + i, r, &count);
      o.why = copies < 0 ? "invalid repeat count (RE2 allows at most 1000)"
                         : shape_repeat(sh, copies > 0 ? copies : 1, count > 0 ? count : 1);
      for (size_t k = 0; k < r; k++) put(&o, p[i + k]);
      i += r;
      if (p[i] == '?') i++; /* lazy: same matches */
      continue;
    }
    if (c == '}') {
      lit(&o, '}');
      shape_atom(sh, 1, 1);
      i++;
      continue;
    }
    if (c == '(') o.why = shape_open(sh);
    else if (c == ')') shape_close(sh);
    else if (c == '|') shape_alternate(sh);
    else if (c == '*' || c == '?') o.why = shape_repeat(sh, 1, 0);
    else if (c == '+') o.why = shape_repeat(sh, 2, 0);
    else shape_atom(sh, 1, 1);
    put(&o, c);
    i++;
    if ((c == '*' || c == '+' || c == '?') && p[i] == '?') i++; /* lazy */
  }
  free(sh);
  if (o.why) {
    snprintf(why, whycap, "%s", o.why);
    return -1;
  }
  buf[o.n] = 0;
  return 0;
}

ge_err ge_re_compile(regex_t *re, const char *pat, const char *what, ge_error *err) {
  size_t len = strlen(pat);
  if (len > (SIZE_MAX - 16) / 16) return ge_fail(err, GE_ERR_ARG, "%s: regular expression too long", what);
  size_t cap = len * 16 + 16;
  char *buf = malloc(cap);
  if (!buf) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  char why[128];
  int icase = 0;
  if (ge_re_translate(pat, buf, cap, &icase, why, sizeof why)) {
    free(buf);
    return ge_fail(err, GE_ERR_ARG, "%s: bad regular expression '%s': %s", what, pat, why);
  }
  int rc = regcomp(re, buf, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
  free(buf);
  if (rc) {
    char msg[128];
    regerror(rc, re, msg, sizeof msg);
    return ge_fail(err, GE_ERR_ARG, "%s: bad regular expression '%s': %s", what, pat, msg);
  }
  return GE_OK;
}
