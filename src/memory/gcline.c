/* One gctrace or scavtrace line, read field by field from the runtime's
 * print statements (src/runtime/mgc.go gcMarkTermination, mgcscavenge.go
 * printScavTrace, mheap.go of Go <= 1.14) rather than with fixed token
 * positions: fields were added between versions (stacks and globals in
 * 1.18, the leak-check note in 1.26), and each optional part is tried where
 * the runtime prints it. */
#include <string.h>

#include "goescape/memory.h"

#define PREFIX_MAX_LINE 1024
#define PREFIX_MAX_TRIES 8

typedef struct cur {
  const char *p, *end;
} cur;

static int lit(cur *c, const char *s) {
  size_t n = strlen(s);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0) return 0;
  c->p += n;
  return 1;
}

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* Decimal digits into *v; 0 when there are none or they overflow. */
static int uint_(cur *c, uint64_t *v) {
  const char *s = c->p;
  uint64_t x = 0;
  while (c->p < c->end && is_digit(*c->p)) {
    unsigned d = (unsigned)(*c->p - '0');
    if (x > (UINT64_MAX - d) / 10) return 0;
    x = x * 10 + d;
    c->p++;
  }
  *v = x;
  return c->p > s;
}

/* digits[.digits] times mult, as a double: the digits as an integer times
 * mult, divided once by a power of ten (one rounding: "0.79" ms is 790000
 * ns exactly). The runtime prints no exponents. */
static int dec(cur *c, double mult, double *v) {
  static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  uint64_t m;
  if (!uint_(c, &m)) return 0;
  unsigned frac = 0;
  if (c->p < c->end && *c->p == '.') {
    c->p++;
    const char *s = c->p;
    while (c->p < c->end && is_digit(*c->p)) {
      if (frac < 9 && m < (1ull << 53) / 10) m = m * 10 + (uint64_t)(*c->p - '0'), frac++;
      c->p++;
    }
    if (c->p == s) return 0;
  }
  *v = (double)m * mult / pow10[frac];
  return 1;
}

/* MiB (or KiB) as bytes, saturating at what a uint64 holds. */
static int size_(cur *c, unsigned shift, uint64_t *v) {
  uint64_t x;
  if (!uint_(c, &x)) return 0;
  *v = x > (UINT64_MAX >> shift) ? UINT64_MAX - 1 : x << shift;
  return 1;
}

/* "a+b+c": up to max numbers in ms (us for Go 1.4), stored in ns. */
static int phases(cur *c, double scale, double *out, uint8_t *n) {
  *n = 0;
  do {
    double v;
    if (*n == GE_GC_MAX_PHASES || !dec(c, scale, &v)) return 0;
    out[(*n)++] = v;
  } while (lit(c, "+"));
  return 1;
}

/* "a+b/c/d+e": groups split at '+', numbers in a group at '/'. */
static int cpu_phases(cur *c, ge_gc_cycle *g) {
  g->ncpu = g->cpu_groups = 0;
  do {
    if (g->cpu_groups == GE_GC_MAX_PHASES) return 0;
    uint8_t len = 0;
    do {
      double v;
      if (g->ncpu == GE_GC_MAX_PHASES * 3 || !dec(c, 1e6, &v)) return 0;
      g->cpu_ns[g->ncpu++] = v;
      len++;
    } while (lit(c, "/"));
    g->cpu_group_len[g->cpu_groups++] = len;
  } while (lit(c, "+"));
  return 1;
}

/* "@12.345s": seconds with up to 9 decimals, exactly, as ns. */
static int stamp(cur *c, int64_t *ns) {
  uint64_t s;
  if (!uint_(c, &s) || s > 9000000000ull) return 0;
  int64_t v = (int64_t)s * 1000000000;
  if (lit(c, ".")) {
    int64_t scale = 100000000;
    const char *d = c->p;
    while (c->p < c->end && is_digit(*c->p)) {
      v += (*c->p - '0') * scale;
      scale /= 10;
      c->p++;
    }
    if (c->p == d) return 0;
  }
  *ns = v;
  return lit(c, "s");
}

static int at_end(cur *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\r' || *c->p == '\t')) c->p++;
  return c->p == c->end;
}

#define NEED(cond, what) \
  do {                   \
    if (!(cond)) {       \
      *why = (what);     \
      return -1;         \
    }                    \
  } while (0)

/* Go 1.5+: "gc N @Ts P%[ (note)]: ..." from after "gc ". */
static int gc_line(cur *c, ge_gc_cycle *g, const char **why) {
  NEED(uint_(c, &g->n), "a cycle number after 'gc '");
  NEED(lit(c, " @") && stamp(c, &g->t_ns), "'@<seconds>s' after the cycle number");
  uint64_t pct;
  NEED(lit(c, " ") && uint_(c, &pct) && lit(c, "%"), "'<n>%' after the time");
  g->cpu_pct = pct > 100000 ? 100000 : (int32_t)pct;
  if (lit(c, " (")) {
    const char *close = memchr(c->p, ')', (size_t)(c->end - c->p));
    NEED(close, "')' closing the note after '%'");
    g->leak_check = (size_t)(close - c->p) == 28 && !memcmp(c->p, "checking for goroutine leaks", 28);
    c->p = close + 1;
  }
  NEED(lit(c, ": ") && phases(c, 1e6, g->clock_ns, &g->nclock) && lit(c, " ms clock, "),
       "'<a+b+c> ms clock, '");
  NEED(cpu_phases(c, g) && lit(c, " ms cpu, "), "'<a+b/c/d+e> ms cpu, '");
  NEED(size_(c, 20, &g->heap0) && lit(c, "->") && size_(c, 20, &g->heap1) && lit(c, "->") &&
           size_(c, 20, &g->heap2) && lit(c, " MB, "),
       "'<a>-><b>-><c> MB, '");
  NEED(size_(c, 20, &g->goal) && lit(c, " MB goal, "), "'<n> MB goal, '");
  uint64_t v;
  NEED(uint_(c, &v), "'<n> P' or '<n> MB stacks'");
  if (lit(c, " MB stacks, ")) {
    g->stacks = v > (UINT64_MAX >> 20) ? UINT64_MAX - 1 : v << 20;
    NEED(size_(c, 20, &g->globals) && lit(c, " MB globals, ") && uint_(c, &v),
         "'<n> MB globals, <n> P'");
    g->form = GE_GC_FORM_GO118;
  } else {
    g->form = g->nclock == 5 ? GE_GC_FORM_GO15 : GE_GC_FORM_GO16;
  }
  NEED(lit(c, " P"), "' P' after the processor count");
  g->procs = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  if (lit(c, " (forced)")) g->forced = 1;
  NEED(at_end(c), "the end of the line after the processor count");
  double stw = g->clock_ns[0];
  if (g->nclock > 1) stw += g->clock_ns[g->nclock - 1];
  if (g->form == GE_GC_FORM_GO15) stw += g->clock_ns[2];
  g->stw_ns = stw;
  return 1;
}

/* Go <= 1.4: "gcN(P): a+b+c+d us, h0 -> h1 MB, ..." from after "gc". */
static int gc14_line(cur *c, ge_gc_cycle *g, const char **why) {
  uint64_t procs;
  NEED(uint_(c, &g->n) && lit(c, "(") && uint_(c, &procs) && lit(c, "): "), "'gcN(P): '");
  NEED(phases(c, 1e3, g->clock_ns, &g->nclock) && lit(c, " us, "), "'<a+b+c+d> us, '");
  NEED(size_(c, 20, &g->heap0) && lit(c, " -> ") && size_(c, 20, &g->heap1) && lit(c, " MB"),
       "'<a> -> <b> MB'");
  g->heap2 = g->heap1;
  g->procs = procs > UINT32_MAX ? UINT32_MAX : (uint32_t)procs;
  g->form = GE_GC_FORM_GO14;
  g->t_ns = -1, g->cpu_pct = -1;
  for (uint8_t i = 0; i < g->nclock; i++) g->stw_ns += g->clock_ns[i];
  return 1;
}

/* After "scav ": Go 1.21+ (bg)/(eager)/now, or Go 1.15-1.20 work/total. */
static int scav_line(cur *c, ge_scav_line *s, const char **why) {
  uint64_t a;
  NEED(size_(c, 10, &a) && lit(c, " KiB work"), "'<n> KiB work'");
  if (lit(c, " (bg), ")) {
    s->work_bg = a;
    NEED(size_(c, 10, &s->work_eager) && lit(c, " KiB work (eager), ") &&
             size_(c, 10, &s->released) && lit(c, " KiB now, "),
         "'<n> KiB work (eager), <n> KiB now, '");
  } else {
    s->work = a;
    NEED(lit(c, ", ") && size_(c, 10, &s->released) && lit(c, " KiB total, "),
         "', <n> KiB total, '");
  }
  uint64_t u;
  NEED(uint_(c, &u) && lit(c, "% util"), "'<n>% util'");
  s->util_pct = u > 100000 ? 100000 : (int32_t)u;
  for (;;) {
    if (lit(c, " (forced)")) s->forced = 1;
    else if (lit(c, " [controller reset]")) s->reset = 1;
    else break;
  }
  NEED(at_end(c), "the end of the line after '% util'");
  s->kind = GE_SCAV_SCAV;
  return 2;
}

/* After "scvg": "N: M MB released", "N: inuse: ..., consumed: M (MB)",
 * "-1: ..." (forced), or Go 1.13/1.14 ": M KB released". */
static int scvg_line(cur *c, ge_scav_line *s, const char **why) {
  s->kind = GE_SCAV_SCVG;
  if (lit(c, "-1")) s->forced = 1;
  else {
    uint64_t k;
    (void)uint_(c, &k);
  }
  NEED(lit(c, ": "), "'scvgN: '");
  if (lit(c, "inuse: ")) {
    NEED(size_(c, 20, &s->inuse) && lit(c, ", idle: ") && size_(c, 20, &s->idle) &&
             lit(c, ", sys: ") && size_(c, 20, &s->sys) && lit(c, ", released: ") &&
             size_(c, 20, &s->released) && lit(c, ", consumed: ") && size_(c, 20, &s->consumed) &&
             lit(c, " (MB)"),
         "'inuse: <n>, idle: <n>, sys: <n>, released: <n>, consumed: <n> (MB)'");
  } else {
    uint64_t v;
    NEED(uint_(c, &v), "'<n> MB released'");
    if (lit(c, " MB released")) s->work = v > (UINT64_MAX >> 20) ? UINT64_MAX - 1 : v << 20;
    else {
      NEED(lit(c, " KB released"), "'<n> MB released' or '<n> KB released'");
      s->work = v > (UINT64_MAX >> 10) ? UINT64_MAX - 1 : v << 10;
    }
  }
  NEED(at_end(c), "the end of the scvg line");
  return 2;
}

static void clear(ge_gc_cycle *g, ge_scav_line *s) {
  memset(g, 0, sizeof *g);
  g->goal = g->stacks = g->globals = GE_GC_ABSENT;
  memset(s, 0, sizeof *s);
  s->work = s->work_bg = s->work_eager = s->released = GE_GC_ABSENT;
  s->inuse = s->idle = s->sys = s->consumed = GE_GC_ABSENT;
  s->util_pct = -1;
}

/* The line from p, when a known form starts there. */
static int line_at(const char *p, const char *end, ge_gc_cycle *g, ge_scav_line *s,
                   const char **why) {
  cur c = {p, end};
  clear(g, s);
  if (lit(&c, "gc ")) {
    if (c.p < end && is_digit(*c.p)) return gc_line(&c, g, why);
    return 0;
  }
  if (lit(&c, "gc")) return c.p < end && is_digit(*c.p) ? gc14_line(&c, g, why) : 0;
  if (lit(&c, "scav ")) return c.p < end && is_digit(*c.p) ? scav_line(&c, s, why) : 0;
  if (lit(&c, "scvg")) {
    if (c.p < end && (is_digit(*c.p) || *c.p == '-' || *c.p == ':')) return scvg_line(&c, s, why);
    return 0;
  }
  return 0;
}

int ge_gctrace_line(const char *s, size_t n, ge_gc_cycle *c, ge_scav_line *sc, const char **why) {
  const char *end = s + n, *p = s;
  *why = NULL;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  int r = line_at(p, end, c, sc, why);
  if (r != 0) return r;
  /* a prefix (a log collector's timestamp): the first known form after a
   * space that reads in full. Tried on short lines only, at the first few
   * spaces that could start one: a GC line is under 300 bytes, and a
   * crafted long line of "gc 1 @1s 1% (" pieces must not cost a scan to
   * its end per piece. */
  if (n > PREFIX_MAX_LINE) return 0;
  int tries = 0;
  for (const char *q = p; q < end && tries < PREFIX_MAX_TRIES; q++) {
    if (*q != ' ' || q + 1 == end || (q[1] != 'g' && q[1] != 's')) continue;
    tries++;
    const char *w;
    int r2 = line_at(q + 1, end, c, sc, &w);
    if (r2 > 0) return r2;
  }
  clear(c, sc);
  return 0;
}
