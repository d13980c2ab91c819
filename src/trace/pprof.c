/* Profiles of a trace, as `go tool trace -pprof=TYPE` makes them
 * (cmd/trace/pprof.go, Go 1.22 to 1.27), built as a ge_profile so that every
 * profile operation applies (ge_profile_encode writes it).
 *
 * sched, sync, net, syscall: one walk replays the goroutine state
 * transitions Go's reader derives (as model.c does). A goroutine is
 * "tracked" from a transition into the profile's state (sched: runnable;
 * syscall: in a syscall; sync: waiting for a reason containing "chan",
 * "sync" or "select"; net: waiting for "network"; any reason for the first
 * two) until its next transition into another state; transitions into the
 * same state (a GoStatus at a generation's start) neither end nor restart
 * it. The interval is charged to the stack of the event that began it (Go's
 * Event.Stack(): GoBlock's and GoStop's own, GoUnblock's waker's, GoCreate's
 * creator's, none for GoStatus, GoCreateSyscall, GoSyscallEndBlocked and
 * GoSwitch), one contention and its nanoseconds, at the moment it ends.
 * Go clips each interval to the goroutine's life as its summary sees it,
 * from its FIRST run to its end: an interval ending at the goroutine's
 * first run (scheduling latency after creation, a goroutine runnable or in
 * a syscall when the trace began) counts 0 and is dropped, and one ending
 * before a first run counts only if the goroutine never runs. Intervals
 * still open at the trace's end are not charged.
 *
 * Stacks are merged by their PCs (Go's stackMap); locations by PC,
 * functions by (file, name); sample types contentions/count and
 * delay/nanoseconds, period type trace/count, period 1, no mappings (Go's
 * traceviewer.BuildProfile).
 *
 * cpu, which Go's tool does not have: one sample per CPUSample event,
 * merged by stack; types samples/count and cpu/nanoseconds (count x the
 * period, which the trace does not record: the caller's, by default
 * runtime/pprof's 100 Hz). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hashidx.h"
#include "profile/model.h"
#include "trace/internal.h"

enum { EV_GOSYSCALLBEGIN = 22, EV_GOSYSCALLEND = 23 };
enum { G_RUNNABLE = 1, G_RUNNING, G_SYSCALL, G_WAITING, G_DEAD };

static const char *const KINDS[] = {"sched", "sync", "net", "syscall", "cpu"};

int ge_trace_pprof_kind(const char *name) {
  for (int i = 0; i < (int)(sizeof KINDS / sizeof *KINDS); i++)
    if (strcmp(name, KINDS[i]) == 0) return i;
  return -1;
}

typedef struct pfr {
  uint64_t pc, line;
  uint32_t func, file; /* profile string ids */
} pfr;

/* A distinct stack (by PCs) and what was charged to it. */
typedef struct prec {
  uint32_t off, n; /* frames[off .. off + n) */
  uint32_t kn;     /* the key: the first kn PCs (trailing zero PCs are not part of it) */
  uint32_t hash;
  uint32_t show;   /* the frames shown: those of the stack charged last (a prefix) */
  uint8_t charged;
  uint64_t gen, id; /* the stack charged last */
  int64_t count, ns;
} prec;

/* A stack of a generation, as charged: its record and its own length. */
typedef struct pstk {
  uint32_t rec, n;
  uint64_t gen, id;
} pstk;

typedef struct pg {
  int64_t since; /* when tracking began */
  pstk stk;      /* the stack to charge */
  uint8_t tracked, ran;
} pg;

/* An interval that ended before its goroutine first ran: it counts only if
 * the goroutine never does. */
typedef struct ppend {
  uint32_t g;
  pstk stk;
  int64_t ns;
} ppend;

typedef struct builder {
  ge_profile *p;
  GE_VEC(pfr) frames;
  GE_VEC(prec) recs;
  GE_VEC(pg) gs;
  GE_VEC(ppend) pend;
  GE_VEC(pstk) stkn; /* the walk's generation: its stacks, by genstk */
  ge_hashidx ix;
  ge_tr_map gmap, genstk;
  uint64_t gen;
  unsigned kind;
} builder;

static uint32_t rec_hash(const void *ctx, uint32_t i) {
  return ((const builder *)ctx)->recs.v[i].hash;
}

/* Frames of fr as the frames of record c. */
static int set_frames(builder *b, prec *c, const ge_trace_frame *fr, size_t n) {
  if (ge_vec_reserve((void **)&b->frames.v, &b->frames.cap, b->frames.n, n, sizeof(pfr)))
    return -1;
  c->off = (uint32_t)b->frames.n;
  c->n = (uint32_t)n;
  for (size_t k = 0; k < n; k++) {
    pfr *f = &b->frames.v[b->frames.n++];
    f->pc = fr[k].pc;
    f->line = fr[k].line;
    f->func = ge_intern_add(&b->p->str, fr[k].func.ptr, fr[k].func.len);
    f->file = ge_intern_add(&b->p->str, fr[k].file.ptr, fr[k].file.len);
    if (f->func == UINT32_MAX || f->file == UINT32_MAX) return -1;
  }
  return 0;
}

/* The record of the walk's stack id (0: the empty stack) into out->rec,
 * made on first sight; -1 when out of memory. Like Go's stackMap, records
 * are keyed by the PCs zero-padded to 128 (so trailing zero PCs do not
 * count); a record keeps the longest frames seen, and shows as many as the
 * stack charged last had (charge()). */
static int record(builder *b, const ge_trace_iter *it, uint64_t id, pstk *out) {
  out->gen = b->gen;
  out->id = id;
  uint32_t r = ge_tr_map_get(&b->genstk, id);
  if (r != UINT32_MAX) {
    out->rec = b->stkn.v[r].rec;
    out->n = b->stkn.v[r].n;
    return 0;
  }
  ge_trace_frame fr[128];
  size_t n = id ? ge_trace_iter_stack(it, id, fr, 128) : 0;
  if (n > 128) n = 128;
  size_t kn = n;
  while (kn && !fr[kn - 1].pc) kn--;
  uint64_t pcs[128];
  for (size_t i = 0; i < kn; i++) pcs[i] = fr[i].pc;
  uint32_t h = ge_hash(pcs, kn * sizeof *pcs);
  if (ge_hashidx_reserve(&b->ix, b->recs.n, rec_hash, b)) return UINT32_MAX;
  size_t j = ge_hashidx_first(&b->ix, h);
  uint32_t i;
  for (; (i = ge_hashidx_at(&b->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&b->ix, j)) {
    const prec *c = &b->recs.v[i];
    if (c->hash != h || c->kn != kn) continue;
    size_t k = 0;
    while (k < kn && b->frames.v[c->off + k].pc == pcs[k]) k++;
    if (k == kn) break;
  }
  if (i == GE_HASHIDX_NONE) {
    prec *c = GE_VEC_PUSH_SLOT(b->recs);
    if (!c) return -1;
    memset(c, 0, sizeof *c);
    c->kn = (uint32_t)kn;
    c->hash = h;
    if (set_frames(b, c, fr, n)) return -1;
    i = (uint32_t)b->recs.n - 1;
    ge_hashidx_set(&b->ix, j, i);
  } else if (b->recs.v[i].n < n && set_frames(b, &b->recs.v[i], fr, n)) {
    return -1; /* the same PCs and more trailing zero ones */
  }
  out->rec = i;
  out->n = (uint32_t)n;
  pstk *e = GE_VEC_PUSH_SLOT(b->stkn);
  if (!e) return -1;
  *e = *out;
  if (ge_tr_map_put(&b->genstk, id, (uint32_t)b->stkn.n - 1) == UINT32_MAX) return -1;
  return 0;
}

/* One contention of d ns on stack s (Go's getOrAdd then Count++, Time +=
 * d): a stack other than the record's last one becomes its last one. */
static void charge(builder *b, const pstk *s, int64_t d) {
  prec *c = &b->recs.v[s->rec];
  if (!c->charged || c->gen != s->gen || c->id != s->id) {
    c->charged = 1;
    c->gen = s->gen;
    c->id = s->id;
    c->show = s->n;
  }
  c->count++;
  c->ns = (int64_t)((uint64_t)c->ns + (uint64_t)d); /* Go's int64 wraps; C's must not overflow */
}

static pg *goroutine(builder *b, uint64_t id) {
  uint32_t i = ge_tr_map_get(&b->gmap, id);
  if (i != UINT32_MAX) return &b->gs.v[i];
  pg *g = GE_VEC_PUSH_SLOT(b->gs);
  if (!g) return NULL;
  memset(g, 0, sizeof *g);
  if (ge_tr_map_put(&b->gmap, id, (uint32_t)b->gs.n - 1) == UINT32_MAX) return NULL;
  return g;
}

/* Whether a transition into st for `reason` begins an interval. */
static int tracks(unsigned kind, uint8_t st, ge_strview reason) {
  switch (kind) {
  case GE_TRACE_PPROF_SCHED: return st == G_RUNNABLE;
  case GE_TRACE_PPROF_SYSCALL: return st == G_SYSCALL;
  case GE_TRACE_PPROF_NET:
    return st == G_WAITING && reason.len == 7 && memcmp(reason.ptr, "network", 7) == 0;
  case GE_TRACE_PPROF_SYNC:
    if (st != G_WAITING) return 0;
    for (size_t i = 0; i < reason.len; i++) {
      size_t left = reason.len - i;
      if ((left >= 4 && memcmp(reason.ptr + i, "chan", 4) == 0) ||
          (left >= 4 && memcmp(reason.ptr + i, "sync", 4) == 0) ||
          (left >= 6 && memcmp(reason.ptr + i, "select", 6) == 0))
        return 1;
    }
    return 0;
  default: return 0;
  }
}

static uint8_t state_of(uint64_t k) { return k == 4 ? G_WAITING : (uint8_t)k; } /* 1..3 same */

/* Goroutine gid goes into st at now; the stack its event charges is the
 * walk's stack id `stack`. Returns -1 when out of memory. */
static int transition(builder *b, const ge_trace_iter *it, uint64_t gid, uint8_t st,
                      ge_strview reason, uint64_t stack, int64_t now) {
  if (gid == GE_TRACE_NONE) return 0;
  pg *g = goroutine(b, gid);
  if (!g) return -1;
  int want = tracks(b->kind, st, reason);
  if (g->tracked) {
    uint8_t cur = b->kind == GE_TRACE_PPROF_SCHED ? G_RUNNABLE
                  : b->kind == GE_TRACE_PPROF_SYSCALL ? G_SYSCALL : G_WAITING;
    if (st == cur) return 0;
    g->tracked = 0;
    int64_t d = now - g->since;
    if (d > 0 && g->ran) {
      charge(b, &g->stk, d);
    } else if (d > 0 && st != G_RUNNING) {
      ppend *q = GE_VEC_PUSH_SLOT(b->pend);
      if (!q) return -1;
      *q = (ppend){(uint32_t)(g - b->gs.v), g->stk, d};
    }
  } else if (want) {
    if (record(b, it, stack, &g->stk)) return -1;
    g->tracked = 1;
    g->since = now;
  }
  if (st == G_RUNNING) g->ran = 1;
  return 0;
}

static ge_strview string_of(const ge_trace_iter *it, uint64_t id) {
  ge_strview s = {"", 0};
  if (id) ge_trace_iter_string(it, id, &s);
  return s;
}

static int step(builder *b, const ge_trace_iter *it, const ge_trace_event *ev) {
  static const ge_strview none = {"", 0};
  const uint64_t *a = ev->args;
  int64_t now = ev->time;
  switch (ev->type) {
  case EV_CPUSAMPLE: {
    if (b->kind != GE_TRACE_PPROF_CPU) return 0;
    pstk s;
    if (record(b, it, a[4], &s)) return -1;
    charge(b, &s, 0);
    return 0;
  }
  case EV_GOCREATE: return transition(b, it, a[0], G_RUNNABLE, none, a[2], now);
  case EV_GOCREATEBLOCKED: return transition(b, it, a[0], G_WAITING, none, a[2], now);
  case EV_GOCREATESYSCALL: return transition(b, it, a[0], G_SYSCALL, none, 0, now);
  case EV_GOSTART: return transition(b, it, a[0], G_RUNNING, none, 0, now);
  case EV_GODESTROY: case EV_GODESTROYSYSCALL:
    return transition(b, it, ev->g, G_DEAD, none, 0, now);
  case EV_GOSTOP: return transition(b, it, ev->g, G_RUNNABLE, string_of(it, a[0]), a[1], now);
  case EV_GOBLOCK: return transition(b, it, ev->g, G_WAITING, string_of(it, a[0]), a[1], now);
  case EV_GOUNBLOCK: return transition(b, it, a[0], G_RUNNABLE, none, a[2], now);
  case EV_GOSWITCH: case EV_GOSWITCHDESTROY:
    /* Go's reader: unblock the named goroutine, block (no reason, no stack)
     * or destroy the running one, start the named one */
    if (transition(b, it, a[0], G_RUNNABLE, none, 0, now) ||
        transition(b, it, ev->g, ev->type == EV_GOSWITCH ? G_WAITING : G_DEAD, none, 0, now))
      return -1;
    return transition(b, it, a[0], G_RUNNING, none, 0, now);
  case EV_GOSYSCALLBEGIN: return transition(b, it, ev->g, G_SYSCALL, none, a[1], now);
  case EV_GOSYSCALLEND: return transition(b, it, ev->g, G_RUNNING, none, 0, now);
  case EV_GOSYSCALLENDBLOCKED: return transition(b, it, ev->g, G_RUNNABLE, none, 0, now);
  case EV_GOSTATUS: case EV_GOSTATUSSTACK:
    if (a[2] < 1 || a[2] > 4) return 0;
    return transition(b, it, a[0], state_of(a[2]), none,
                      ev->type == EV_GOSTATUSSTACK ? a[3] : 0, now);
  default: return 0;
  }
}

static int S(ge_profile *p, const char *s, uint32_t *out) {
  *out = ge_intern_add(&p->str, s, strlen(s));
  return *out == UINT32_MAX ? -1 : 0;
}

/* The ge_profile of the records that were charged (traceviewer.BuildProfile). */
static int emit(builder *b, int64_t period) {
  ge_profile *p = b->p;
  int cpu = b->kind == GE_TRACE_PPROF_CPU;
  pvt t0, t1;
  if (S(p, cpu ? "samples" : "contentions", &t0.type) || S(p, "count", &t0.unit) ||
      S(p, cpu ? "cpu" : "delay", &t1.type) || S(p, "nanoseconds", &t1.unit))
    return -1;
  pvt *st = GE_VEC_PUSH_SLOT(p->st);
  if (!st) return -1;
  *st = t0;
  if (!(st = GE_VEC_PUSH_SLOT(p->st))) return -1;
  *st = t1;
  if (cpu) {
    p->period_type = t1;
    p->period = period;
  } else {
    if (S(p, "trace", &p->period_type.type)) return -1;
    p->period_type.unit = t0.unit;
    p->period = 1;
  }
  ge_tr_map locs = {0}, funcs = {0};
  int rc = -1;
  if (ge_prof_begin_samples(p)) goto out;
  for (size_t i = 0; i < b->recs.n; i++) {
    const prec *c = &b->recs.v[i];
    if (!c->count) continue;
    for (uint32_t k = 0; k < c->show; k++) {
      const pfr *f = &b->frames.v[c->off + k];
      uint32_t li = ge_tr_map_get(&locs, f->pc);
      if (li == UINT32_MAX) {
        uint64_t fk = (uint64_t)f->file << 32 | f->func;
        uint32_t fi = ge_tr_map_get(&funcs, fk);
        if (fi == UINT32_MAX) {
          pfunc *fn = GE_VEC_PUSH_SLOT(p->funcs);
          if (!fn) goto out;
          *fn = (pfunc){p->funcs.n, f->func, f->func, f->file, 0};
          fi = (uint32_t)p->funcs.n - 1;
          if (ge_tr_map_put(&funcs, fk, fi) == UINT32_MAX) goto out;
        }
        pline *ln = GE_VEC_PUSH_SLOT(p->lines);
        if (!ln) goto out;
        *ln = (pline){fi, (int64_t)f->line, 0};
        ploc *l = GE_VEC_PUSH_SLOT(p->locs);
        if (!l) goto out;
        *l = (ploc){p->locs.n, f->pc, GE_NONE, (uint32_t)p->lines.n - 1, 1, 0};
        li = (uint32_t)p->locs.n - 1;
        if (ge_tr_map_put(&locs, f->pc, li) == UINT32_MAX) goto out;
      }
      uint32_t *sl = GE_VEC_PUSH_SLOT(p->s_locs);
      if (!sl) goto out;
      *sl = li;
    }
    int64_t *v = GE_VEC_PUSH_SLOT(p->values);
    if (!v) goto out;
    *v = c->count;
    if (!(v = GE_VEC_PUSH_SLOT(p->values))) goto out;
    *v = cpu ? ge_mul64(c->count, period) : c->ns;
    if (ge_prof_end_sample(p)) goto out;
  }
  rc = 0;
out:
  ge_tr_map_free(&locs);
  ge_tr_map_free(&funcs);
  return rc;
}

static ge_err walk(builder *b, const ge_trace *t, ge_error *err) {
  uint8_t types[GE_TRACE_NTYPES] = {0};
  if (b->kind == GE_TRACE_PPROF_CPU) {
    types[EV_CPUSAMPLE] = 1;
  } else {
    static const int go[] = {EV_GOCREATE, EV_GOCREATEBLOCKED, EV_GOCREATESYSCALL, EV_GOSTART,
                             EV_GOSTOP, EV_GOBLOCK, EV_GOUNBLOCK, EV_GODESTROY,
                             EV_GODESTROYSYSCALL, EV_GOSYSCALLBEGIN, EV_GOSYSCALLEND,
                             EV_GOSYSCALLENDBLOCKED, EV_GOSTATUS, EV_GOSTATUSSTACK, EV_GOSWITCH,
                             EV_GOSWITCHDESTROY};
    for (size_t i = 0; i < sizeof go / sizeof *go; i++) types[go[i]] = 1;
  }
  ge_trace_filter f = {0};
  f.types = types;
  ge_trace_iter *it;
  if (ge_trace_iter_new(t, &f, &it, err)) return err->code;
  ge_trace_event ev;
  int rc, nomem = 0;
  b->gen = UINT64_MAX;
  while ((rc = ge_trace_iter_next(it, &ev, err)) == 1) {
    if (ev.gen != b->gen) {
      ge_tr_map_clear(&b->genstk);
      b->stkn.n = 0;
      b->gen = ev.gen;
    }
    if ((nomem = step(b, it, &ev))) break;
  }
  ge_trace_iter_free(it);
  if (nomem) return ge_fail(err, GE_ERR_NOMEM, "trace pprof: out of memory");
  if (rc < 0) return err->code;
  /* intervals before a first run count for goroutines that never ran
   * (charged last: Go charges them as they end, which matters only to
   * which of two stacks differing in trailing zero PCs a record shows) */
  for (size_t i = 0; i < b->pend.n; i++) {
    const ppend *q = &b->pend.v[i];
    if (!b->gs.v[q->g].ran) charge(b, &q->stk, q->ns);
  }
  return GE_OK;
}

ge_err ge_trace_pprof(const ge_trace *t, unsigned kind, int64_t period, ge_profile **out,
                      ge_error *err) {
  *out = NULL;
  if (kind > GE_TRACE_PPROF_CPU) return ge_fail(err, GE_ERR_ARG, "trace pprof: unknown kind %u", kind);
  if (period <= 0) period = 10000000;
  builder b;
  memset(&b, 0, sizeof b);
  b.kind = kind;
  b.p = ge_prof_new(NULL);
  if (!b.p) return ge_fail(err, GE_ERR_NOMEM, "trace pprof: out of memory");
  ge_err e = walk(&b, t, err);
  if (!e && emit(&b, period)) e = ge_fail(err, GE_ERR_NOMEM, "trace pprof: out of memory");
  free(b.frames.v);
  free(b.recs.v);
  free(b.gs.v);
  free(b.pend.v);
  free(b.stkn.v);
  ge_hashidx_free(&b.ix);
  ge_tr_map_free(&b.gmap);
  ge_tr_map_free(&b.genstk);
  if (e) {
    ge_profile_free(b.p);
    return e;
  }
  *out = b.p;
  return GE_OK;
}
