/* The two kinds of line of `perf script`: a sample line and a call-graph
 * frame line. Both are printed with fixed printf formats
 * (tools/perf/builtin-script.c, util/evsel_fprintf.c) but with fields that
 * come and go with -F and the perf version, so the sample line is anchored
 * on its time field ("<pid>[/<tid>] [cpu] <secs>.<frac>: "), the only part
 * that cannot be confused with a comm holding spaces, and the rest is read
 * by what each field looks like. */
#include <string.h>

#include "internal.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static const char *skip_sp(const char *s, const char *e) {
  while (s < e && (*s == ' ' || *s == '\t')) s++;
  return s;
}

static const char *tok_end(const char *s, const char *e) {
  while (s < e && *s != ' ' && *s != '\t') s++;
  return s;
}

static int parse_dec(const char *s, const char *e, uint64_t *out) {
  if (s == e || e - s > 19) return -1;
  uint64_t v = 0;
  for (; s < e; s++) {
    if (!is_digit(*s)) return -1;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return 0;
}

static int all_hex(const char *s, const char *e) {
  if (s == e) return 0;
  for (; s < e; s++)
    if (!pf_is_hex(*s)) return 0;
  return 1;
}

/* sym[+0xoff] in [s, e): the offset split off when it is there. */
static void split_symoff(const char *s, const char *e, pf_loc *l) {
  while (e > s && e[-1] == ' ') e--;
  l->sym = s, l->sym_n = (size_t)(e - s), l->has_off = 0, l->off = 0;
  for (const char *q = e; q - s >= 3; q--) {
    if (q[-3] == '+' && q[-2] == '0' && q[-1] == 'x') {
      uint64_t v;
      if (q < e && ge_perf_parse_hex(q, e, &v) == 0) {
        l->off = v, l->has_off = 1, l->sym_n = (size_t)(q - 3 - s);
      }
      break;
    }
    if (!pf_is_hex(q[-1])) break;
  }
}

int ge_perf_frame_line(const char *s, size_t n, pf_loc *out, int *inlined) {
  const char *e = s + n, *p = skip_sp(s, e);
  memset(out, 0, sizeof *out);
  *inlined = 0;
  const char *t = tok_end(p, e);
  if (ge_perf_parse_hex(p, t, &out->hex)) return -1;
  while (e > t && (e[-1] == ' ' || e[-1] == '\r')) e--;
  if (e - t >= 10 && memcmp(e - 10, " (inlined)", 10) == 0) *inlined = 1, e -= 10;
  p = skip_sp(t, e);
  /* the dso is the last parenthesised group: Go symbols hold parentheses */
  const char *dso = NULL;
  if (e > p && e[-1] == ')') {
    for (const char *q = e - 1; q > p; q--)
      if (q[-1] == '(' && (q - 1 == p || q[-2] == ' ')) {
        dso = q - 1;
        break;
      }
  }
  if (dso) {
    out->dso = dso + 1, out->dso_n = (size_t)(e - 1 - (dso + 1));
    split_symoff(p, dso, out);
  } else {
    split_symoff(p, e, out);
  }
  return 0;
}

/* A location of a sample line at *ps: hex [sym[+0xoff]] [(dso)]. The
 * symbol runs to the dso's " (" (Go symbols hold parentheses, but never
 * one after a space); a location with neither ends at its hex. */
static void sample_loc(const char **ps, const char *e, uint64_t hex, const char *t, pf_loc *l) {
  memset(l, 0, sizeof *l);
  l->hex = hex;
  const char *p = skip_sp(t, e);
  *ps = p;
  if (p == e) return;
  const char *u = tok_end(p, e);
  if (all_hex(p, u)) return; /* the next field, not a symbol */
  const char *q = p;
  for (; q < e; q++)
    if (*q == '(' && (q == p || q[-1] == ' ')) break;
  if (q < e) {
    const char *c = q + 1;
    while (c < e && !(*c == ')' && (c + 1 == e || c[1] == ' '))) c++;
    if (c < e) {
      if (q > p) split_symoff(p, q, l);
      l->dso = q + 1, l->dso_n = (size_t)(c - q - 1);
      *ps = c + 1;
      return;
    }
  }
  split_symoff(p, e, l);
  *ps = e;
}

/* perf's decoded data_src after its raw hex: "|OP x|LVL y|...|BLK  z",
 * whose last value may hold spaces ("N/A", "Data or Addr"): it ends at the
 * first word made of hex digits, the next field. */
static const char *skip_data_src(const char *p, const char *e) {
  const char *last = p;
  for (const char *q = p; q < e; q++)
    if (*q == '|') last = q;
  p = tok_end(last, e); /* the label */
  for (;;) {
    const char *w = skip_sp(p, e);
    if (w == e) return e;
    const char *we = tok_end(w, e);
    if (all_hex(w, we)) return w;
    p = we;
  }
}

/* The time anchor: "<digits>[/<digits>] [[cpu]] <digits>.<digits>:" with
 * the colon followed by a space or the end. */
static int find_anchor(const char *s, const char *e, const char **comm_end, pf_sample *o,
                       const char **rest) {
  for (const char *c = s; c < e; c++) {
    if (*c != ':' || !(c + 1 == e || c[1] == ' ')) continue;
    const char *q = c;
    while (q > s && is_digit(q[-1])) q--;
    if (q == c || q == s || q[-1] != '.') continue;
    const char *frac = q, *dot = q - 1;
    q = dot;
    while (q > s && is_digit(q[-1])) q--;
    if (q == dot || q == s || q[-1] != ' ') continue;
    const char *time = q;
    while (q > s && q[-1] == ' ') q--;
    /* [cpu] */
    uint32_t cpu = 0;
    int has_cpu = 0;
    if (q > s && q[-1] == ']') {
      const char *b = q - 1;
      while (b > s && is_digit(b[-1])) b--;
      if (b == s || b[-1] != '[') continue;
      uint64_t v;
      if (parse_dec(b, q - 1, &v) || v > UINT32_MAX) continue;
      cpu = (uint32_t)v, has_cpu = 1;
      q = b - 1;
      while (q > s && q[-1] == ' ') q--;
    }
    /* pid[/tid] */
    const char *te = q;
    while (q > s && is_digit(q[-1])) q--;
    if (q == te) continue;
    uint64_t tid, pid = 0;
    if (parse_dec(q, te, &tid) || tid > UINT32_MAX) continue;
    int has_pid = 0;
    if (q > s && q[-1] == '/') {
      const char *pe = q - 1;
      q = pe;
      while (q > s && is_digit(q[-1])) q--;
      if (q == pe || parse_dec(q, pe, &pid) || pid > UINT32_MAX) continue;
      has_pid = 1;
    }
    if (q > s && q[-1] != ' ') continue;
    /* the comm is what is left, right-aligned in 16 columns */
    const char *ce = q;
    while (ce > s && ce[-1] == ' ') ce--;
    *comm_end = ce;
    o->tid = (uint32_t)tid;
    o->pid = has_pid ? (uint32_t)pid : (uint32_t)tid;
    o->cpu = cpu;
    o->flags |= GE_PERF_HAS_TIME | GE_PERF_HAS_TID | (has_cpu ? GE_PERF_HAS_CPU : 0);
    /* seconds.fraction (micro- or nanoseconds) to ns */
    uint64_t secs, fr;
    if (parse_dec(time, dot, &secs) || parse_dec(frac, c, &fr) || c - frac > 9) continue;
    for (long k = c - frac; k < 9; k++) fr *= 10;
    o->time_ns = secs * 1000000000u + fr;
    *rest = c + 1;
    return 0;
  }
  return -1;
}

int ge_perf_sample_line(ge_perf *p, const char *s, size_t n, pf_sample *o, pf_loc *locs,
                        int *nlocs, const char **why) {
  const char *e = s + n, *comm_end, *r;
  while (e > s && (e[-1] == '\r')) e--;
  memset(o, 0, sizeof *o);
  *nlocs = 0;
  if (find_anchor(s, e, &comm_end, o, &r)) {
    *why = "no \"pid/tid time:\" fields";
    return -1;
  }
  const char *cs = skip_sp(s, comm_end);
  if ((o->comm = ge_perf_str(p, cs, (size_t)(comm_end - cs))) == UINT32_MAX) goto nomem;
  r = skip_sp(r, e);
  const char *t = tok_end(r, e);
  uint64_t v;
  if (t < e && parse_dec(r, t, &v) == 0) {
    o->period = v, o->flags |= GE_PERF_HAS_PERIOD;
    r = skip_sp(t, e);
  }
  /* the event name ends at the first ": " (names hold colons: cpu-clock:ppp) */
  const char *ev = r;
  while (r < e && !(*r == ':' && (r + 1 == e || r[1] == ' '))) r++;
  if (r == e || r == ev) {
    *why = "no event name after the time";
    return -1;
  }
  if ((o->event = ge_perf_str(p, ev, (size_t)(r - ev))) == UINT32_MAX) goto nomem;
  r++;
  int weight_ok = 0;
  for (;;) {
    r = skip_sp(r, e);
    if (r == e) break;
    t = tok_end(r, e);
    const char *nx = skip_sp(t, e);
    if (ge_perf_parse_hex(r, t, &v) == 0 && nx < e && *nx == '|') {
      o->data_src = v, o->flags |= GE_PERF_HAS_DATA_SRC;
      r = skip_data_src(nx, e);
      weight_ok = 1;
      continue;
    }
    if (parse_dec(r, t, &v) == 0 && !(o->flags & GE_PERF_HAS_WEIGHT)) {
      const char *ne = tok_end(nx, e);
      if ((weight_ok && nx < e) || (nx < e && all_hex(nx, ne) && *nlocs < 2)) {
        if (nx == e || all_hex(nx, ne)) {
          o->weight = v, o->flags |= GE_PERF_HAS_WEIGHT;
          r = nx;
          continue;
        }
      }
    }
    if (ge_perf_parse_hex(r, t, &v) == 0 && *nlocs < 2) {
      sample_loc(&r, e, v, t, &locs[(*nlocs)++]);
      continue;
    }
    /* a tracepoint's own text: the rest of the line */
    while (e > r && e[-1] == ' ') e--;
    if ((o->trace = ge_perf_str(p, r, (size_t)(e - r))) == UINT32_MAX) goto nomem;
    break;
  }
  return 0;
nomem:
  *why = NULL;
  return -1;
}
