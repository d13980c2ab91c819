/* What a trace says over time, computed in one walk of its events: the heap
 * timeline (HeapAlloc / HeapGoal), GC cycles and stop-the-world pauses, and
 * each goroutine's life (creation, state durations, end).
 *
 * Goroutine states follow the transitions Go's reader derives
 * (internal/trace/order.go): GoCreate -> runnable, GoCreateBlocked ->
 * waiting, GoCreateSyscall -> syscall, GoStart -> running, GoStop ->
 * runnable, GoBlock -> waiting (with its reason), GoUnblock -> runnable,
 * GoSyscallBegin -> syscall, GoSyscallEnd -> running, GoSyscallEndBlocked ->
 * runnable, GoDestroy* -> dead; GoSwitch is a reasonless block of the
 * switching goroutine and a start of the other; GoStatus states a
 * goroutine's state at a generation's start (its first one starts the
 * goroutine's clock). Stacks and strings of the walk's generation are
 * copied into the model, since the iterator drops them generation by
 * generation. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "trace/internal.h"

typedef struct mframe {
  uint64_t pc, line;
  size_t func, funclen, file, filelen; /* offsets into the model's text */
} mframe;

typedef struct mreason {
  uint32_t reason, next; /* next: index + 1 in the reason list, 0: end */
  int64_t ns;
} mreason;

struct ge_trace_model {
  ge_trace_heap_sample *heap;
  size_t nheap, capheap;
  ge_trace_gc_cycle *gc;
  size_t ngc, capgc;
  ge_trace_stw *stw;
  size_t nstw, capstw;
  ge_trace_goroutine *gs;
  size_t ngs, capgs;
  int64_t *since; /* per goroutine: when its current state began */
  mreason *rs;
  size_t nrs, caprs;
  /* stacks: stackoff[i - 1] .. stackoff[i] index frames; stack 0 is none */
  mframe *frames;
  size_t nframes, capframes;
  size_t *stackoff;
  size_t nstacks, capstacks;
  /* strings: offsets into text */
  size_t *stroff, *strlen_;
  size_t nstrs, capstrs;
  char *text;
  size_t ntext, captext;
  ge_tr_map gmap;           /* goroutine id -> index */
  ge_tr_map genstk, genstr; /* the walk's generation: stack / string id -> model id */
  uint64_t gen;
  uint64_t open_stw_g;
  int64_t end;
  ge_trace_gstate_fn on_state; /* told of every goroutine state change */
  void *on_state_ctx;
};

/* Grows *p (n used of *cap elements of size sz) to hold one more. */
static int grow(void *p, size_t n, size_t *cap, size_t sz) {
  if (n < *cap) return 0;
  size_t nc = *cap ? *cap * 2 : 64;
  void *q = realloc(*(void **)p, nc * sz);
  if (!q) return -1;
  *(void **)p = q;
  *cap = nc;
  return 0;
}

static int addtext(ge_trace_model *m, ge_strview s, size_t *off) {
  if (m->ntext + s.len + 1 > m->captext) {
    size_t nc = m->captext ? m->captext : 4096;
    while (nc < m->ntext + s.len + 1) nc *= 2;
    char *q = realloc(m->text, nc);
    if (!q) return -1;
    m->text = q;
    m->captext = nc;
  }
  *off = m->ntext;
  if (s.len) memcpy(m->text + m->ntext, s.ptr, s.len);
  m->ntext += s.len;
  m->text[m->ntext++] = 0;
  return 0;
}

/* The model string of the walk's string id (interned per generation). */
static uint32_t model_string(ge_trace_model *m, const ge_trace_iter *it, uint64_t id) {
  uint32_t s = ge_tr_map_get(&m->genstr, id);
  if (s != UINT32_MAX) return s;
  ge_strview sv = {"", 0};
  ge_trace_iter_string(it, id, &sv);
  for (size_t i = 0; i < m->nstrs; i++) /* few distinct: reasons and STW kinds */
    if (m->strlen_[i] == sv.len && memcmp(m->text + m->stroff[i], sv.ptr, sv.len) == 0) {
      s = (uint32_t)i;
      break;
    }
  if (s == UINT32_MAX) {
    size_t cap = m->capstrs;
    if (grow(&m->stroff, m->nstrs, &cap, sizeof *m->stroff)) return UINT32_MAX;
    cap = m->capstrs;
    if (grow(&m->strlen_, m->nstrs, &cap, sizeof *m->strlen_)) return UINT32_MAX;
    m->capstrs = cap;
    if (addtext(m, sv, &m->stroff[m->nstrs])) return UINT32_MAX;
    m->strlen_[m->nstrs] = sv.len;
    s = (uint32_t)m->nstrs++;
  }
  if (ge_tr_map_put(&m->genstr, id, s) == UINT32_MAX) return UINT32_MAX;
  return s;
}

/* The model stack of the walk's stack id (0 for none), copied once per
 * generation. */
static uint32_t model_stack(ge_trace_model *m, const ge_trace_iter *it, uint64_t id) {
  if (!id) return 0;
  uint32_t s = ge_tr_map_get(&m->genstk, id);
  if (s != UINT32_MAX) return s;
  ge_trace_frame fr[128];
  size_t n = ge_trace_iter_stack(it, id, fr, 128);
  if (n > 128) n = 128;
  if (!n) return 0;
  if (grow(&m->stackoff, m->nstacks + 1, &m->capstacks, sizeof *m->stackoff)) return UINT32_MAX;
  if (!m->nstacks) m->stackoff[0] = 0;
  for (size_t i = 0; i < n; i++) {
    if (grow(&m->frames, m->nframes, &m->capframes, sizeof *m->frames)) return UINT32_MAX;
    mframe *f = &m->frames[m->nframes];
    f->pc = fr[i].pc;
    f->line = fr[i].line;
    f->funclen = fr[i].func.len;
    f->filelen = fr[i].file.len;
    if (addtext(m, fr[i].func, &f->func) || addtext(m, fr[i].file, &f->file)) return UINT32_MAX;
    m->nframes++;
  }
  m->stackoff[++m->nstacks] = m->nframes;
  s = (uint32_t)m->nstacks;
  if (ge_tr_map_put(&m->genstk, id, s) == UINT32_MAX) return UINT32_MAX;
  return s;
}

/* The goroutine with id g, added (state unknown) when new; NULL: no memory. */
static ge_trace_goroutine *goroutine(ge_trace_model *m, uint64_t g, int64_t now) {
  uint32_t i = ge_tr_map_get(&m->gmap, g);
  if (i != UINT32_MAX) return &m->gs[i];
  size_t cap = m->capgs;
  if (grow(&m->gs, m->ngs, &cap, sizeof *m->gs)) return NULL;
  cap = m->capgs;
  if (grow(&m->since, m->ngs, &cap, sizeof *m->since)) return NULL;
  m->capgs = cap;
  if (ge_tr_map_put(&m->gmap, g, (uint32_t)m->ngs) == UINT32_MAX) return NULL;
  ge_trace_goroutine *r = &m->gs[m->ngs];
  memset(r, 0, sizeof *r);
  r->id = g;
  r->creator = GE_TRACE_NONE;
  r->first = now;
  m->since[m->ngs++] = now;
  return r;
}

/* Charges the time since g's last transition to its state. */
static int charge(ge_trace_model *m, ge_trace_goroutine *g, int64_t now, uint32_t reason) {
  int64_t *since = &m->since[g - m->gs];
  int64_t d = now > *since ? now - *since : 0;
  *since = now;
  switch (g->state) {
  case GE_TRACE_G_RUNNING: g->running += d; break;
  case GE_TRACE_G_RUNNABLE: g->runnable += d; break;
  case GE_TRACE_G_SYSCALL: g->syscall += d; break;
  case GE_TRACE_G_WAITING:
    if (reason == UINT32_MAX) {
      g->waiting += d;
      break;
    }
    g->blocked += d;
    for (uint32_t k = g->reasons; k; k = m->rs[k - 1].next)
      if (m->rs[k - 1].reason == reason) {
        m->rs[k - 1].ns += d;
        return 0;
      }
    if (grow(&m->rs, m->nrs, &m->caprs, sizeof *m->rs)) return -1;
    m->rs[m->nrs] = (mreason){reason, g->reasons, d};
    g->reasons = (uint32_t)++m->nrs;
    break;
  default: break;
  }
  return 0;
}

/* The walk's per-goroutine GoBlock reason: a waiting goroutine's time is
 * charged to it when it next changes state. */
typedef struct walkstate {
  uint32_t *why; /* per goroutine: its GoBlock reason while waiting, or UINT32_MAX */
  size_t capwhy;
} walkstate;

static int set_state(ge_trace_model *m, walkstate *w, uint64_t gid, int64_t now, uint8_t st,
                     uint32_t why, ge_trace_goroutine **out) {
  ge_trace_goroutine *g = goroutine(m, gid, now);
  if (!g) return -1;
  size_t i = (size_t)(g - m->gs);
  if (i >= w->capwhy) {
    size_t nc = w->capwhy ? w->capwhy : 64;
    while (nc <= i) nc *= 2;
    uint32_t *q = realloc(w->why, nc * sizeof *q);
    if (!q) return -1;
    for (size_t k = w->capwhy; k < nc; k++) q[k] = UINT32_MAX;
    w->why = q;
    w->capwhy = nc;
  }
  if (charge(m, g, now, w->why[i])) return -1;
  if (m->on_state) m->on_state(m->on_state_ctx, now, g->state, st);
  g->state = st;
  w->why[i] = why;
  if (st == GE_TRACE_G_DEAD) {
    g->ended = now;
    g->has_ended = 1;
  }
  if (out) *out = g;
  return 0;
}

static int type_of(const char *name) { return ge_trace_type_id(name); }

static ge_err build(ge_trace_model *m, const ge_trace *t, unsigned what, ge_error *err) {
  const int HEAPALLOC = type_of("HeapAlloc"), HEAPGOAL = type_of("HeapGoal"),
            STWBEGIN = type_of("STWBegin"), STWEND = type_of("STWEnd"),
            SYSBEGIN = type_of("GoSyscallBegin"), SYSEND = type_of("GoSyscallEnd");
  uint8_t types[GE_TRACE_NTYPES] = {0};
  if (what & GE_TRACE_MODEL_HEAP) types[HEAPALLOC] = types[HEAPGOAL] = 1;
  if (what & GE_TRACE_MODEL_GC)
    types[EV_GCACTIVE] = types[EV_GCBEGIN] = types[EV_GCEND] = types[STWBEGIN] = types[STWEND] = 1;
  if (what & GE_TRACE_MODEL_GOROUTINES) {
    static const int go[] = {EV_GOCREATE, EV_GOCREATEBLOCKED, EV_GOCREATESYSCALL, EV_GOSTART,
                             EV_GOSTOP, EV_GOBLOCK, EV_GOUNBLOCK, EV_GODESTROY,
                             EV_GODESTROYSYSCALL, EV_GOSYSCALLENDBLOCKED, EV_GOSTATUS,
                             EV_GOSTATUSSTACK, EV_GOSWITCH, EV_GOSWITCHDESTROY};
    for (size_t i = 0; i < sizeof go / sizeof *go; i++) types[go[i]] = 1;
    types[SYSBEGIN] = types[SYSEND] = 1;
  }
  ge_trace_filter f = {0};
  f.types = types;
  ge_trace_iter *it;
  if (ge_trace_iter_new(t, &f, &it, err)) return err->code;
  walkstate w = {NULL, 0};
  uint64_t alloc = GE_TRACE_NONE, goal = GE_TRACE_NONE;
  ge_trace_event ev;
  int rc;
  int nomem = 0;
  m->gen = UINT64_MAX;
  while (!nomem && (rc = ge_trace_iter_next(it, &ev, err)) == 1) {
    if (ev.gen != m->gen) {
      ge_tr_map_clear(&m->genstk);
      ge_tr_map_clear(&m->genstr);
      m->gen = ev.gen;
    }
    int ty = ev.type;
    int64_t now = ev.time;
    if (ty == HEAPALLOC || ty == HEAPGOAL) {
      if (ty == HEAPALLOC) alloc = ev.args[0];
      else goal = ev.args[0];
      if (grow(&m->heap, m->nheap, &m->capheap, sizeof *m->heap)) { nomem = 1; break; }
      m->heap[m->nheap++] = (ge_trace_heap_sample){now, alloc, goal, ev.g, ty == HEAPGOAL};
    } else if (ty == EV_GCBEGIN || ty == EV_GCACTIVE) {
      ge_trace_gc_cycle *open = m->ngc && !m->gc[m->ngc - 1].has_end ? &m->gc[m->ngc - 1] : NULL;
      if (ty == EV_GCACTIVE && open) continue; /* repeated at each generation's start */
      if (grow(&m->gc, m->ngc, &m->capgc, sizeof *m->gc)) { nomem = 1; break; }
      m->gc[m->ngc++] = (ge_trace_gc_cycle){ev.args[0], now, 0, ty == EV_GCBEGIN, 0};
    } else if (ty == EV_GCEND) {
      /* gc_seq counts GC events, not cycles: GCEnd closes the open cycle */
      if (m->ngc && !m->gc[m->ngc - 1].has_end) {
        m->gc[m->ngc - 1].end = now;
        m->gc[m->ngc - 1].has_end = 1;
      }
    } else if (ty == STWBEGIN) {
      uint32_t k = model_string(m, it, ev.args[0]);
      if (k == UINT32_MAX || grow(&m->stw, m->nstw, &m->capstw, sizeof *m->stw)) { nomem = 1; break; }
      m->stw[m->nstw++] = (ge_trace_stw){now, 0, ev.g, k, 0};
    } else if (ty == STWEND) {
      /* the pause its goroutine began (else the latest open one) */
      ge_trace_stw *s = NULL;
      for (size_t i = m->nstw; i-- > 0;)
        if (!m->stw[i].has_end && (!s || m->stw[i].g == ev.g)) {
          if (m->stw[i].g == ev.g) { s = &m->stw[i]; break; }
          if (!s) s = &m->stw[i];
        }
      if (s) {
        s->end = now;
        s->has_end = 1;
      }
    } else if (ty == EV_GOCREATE || ty == EV_GOCREATEBLOCKED || ty == EV_GOCREATESYSCALL) {
      ge_trace_goroutine *g;
      uint8_t st = ty == EV_GOCREATE ? GE_TRACE_G_RUNNABLE
                   : ty == EV_GOCREATEBLOCKED ? GE_TRACE_G_WAITING : GE_TRACE_G_SYSCALL;
      if (set_state(m, &w, ev.args[0], now, st, UINT32_MAX, &g)) { nomem = 1; break; }
      /* a goroutine id is reused after its goroutine died: a new life */
      g->created = now;
      g->has_created = 1;
      g->has_ended = 0;
      g->creator = ty == EV_GOCREATESYSCALL ? GE_TRACE_NONE : ev.g;
      if (ty != EV_GOCREATESYSCALL) {
        uint32_t e = model_stack(m, it, ev.args[1]), s = model_stack(m, it, ev.args[2]);
        if (e == UINT32_MAX || s == UINT32_MAX) { nomem = 1; break; }
        g->entry = e;
        g->stack = s;
      }
    } else if (ty == EV_GOSTART) {
      nomem = set_state(m, &w, ev.args[0], now, GE_TRACE_G_RUNNING, UINT32_MAX, NULL);
    } else if (ty == EV_GOSWITCH || ty == EV_GOSWITCHDESTROY) {
      if (ev.g != GE_TRACE_NONE)
        nomem = set_state(m, &w, ev.g, now,
                          ty == EV_GOSWITCH ? GE_TRACE_G_WAITING : GE_TRACE_G_DEAD, UINT32_MAX,
                          NULL);
      if (!nomem) nomem = set_state(m, &w, ev.args[0], now, GE_TRACE_G_RUNNING, UINT32_MAX, NULL);
    } else if (ty == EV_GOUNBLOCK) {
      nomem = set_state(m, &w, ev.args[0], now, GE_TRACE_G_RUNNABLE, UINT32_MAX, NULL);
    } else if (ty == EV_GOSTATUS || ty == EV_GOSTATUSSTACK) {
      static const uint8_t st[] = {0, GE_TRACE_G_RUNNABLE, GE_TRACE_G_RUNNING, GE_TRACE_G_SYSCALL,
                                   GE_TRACE_G_WAITING};
      uint64_t s = ev.args[2];
      uint32_t gi = ge_tr_map_get(&m->gmap, ev.args[0]);
      if (s < 1 || s > 4) continue;
      if (gi != UINT32_MAX && m->gs[gi].state == st[s]) continue; /* as known */
      nomem = set_state(m, &w, ev.args[0], now, st[s], UINT32_MAX, NULL);
    } else if (ev.g != GE_TRACE_NONE) { /* transitions of the running goroutine */
      uint8_t st;
      uint32_t why = UINT32_MAX;
      if (ty == EV_GOSTOP) st = GE_TRACE_G_RUNNABLE;
      else if (ty == EV_GOBLOCK) {
        st = GE_TRACE_G_WAITING;
        ge_strview sv = {"", 0};
        ge_trace_iter_string(it, ev.args[0], &sv);
        if (sv.len && (why = model_string(m, it, ev.args[0])) == UINT32_MAX) { nomem = 1; break; }
      } else if (ty == EV_GODESTROY || ty == EV_GODESTROYSYSCALL) st = GE_TRACE_G_DEAD;
      else if (ty == SYSBEGIN) st = GE_TRACE_G_SYSCALL;
      else if (ty == SYSEND) st = GE_TRACE_G_RUNNING;
      else st = GE_TRACE_G_RUNNABLE; /* GoSyscallEndBlocked */
      nomem = set_state(m, &w, ev.g, now, st, why, NULL);
    }
  }
  ge_trace_iter_free(it);
  if (!nomem && rc < 0) {
    free(w.why);
    return err->code;
  }
  /* the last states run to the trace's end */
  ge_trace_info in;
  ge_trace_info_get(t, &in);
  m->end = in.end_ns;
  for (size_t i = 0; !nomem && i < m->ngs; i++)
    if (m->gs[i].state != GE_TRACE_G_DEAD)
      nomem = charge(m, &m->gs[i], in.end_ns, i < w.capwhy ? w.why[i] : UINT32_MAX);
  free(w.why);
  if (nomem) return ge_fail(err, GE_ERR_NOMEM, "trace model: out of memory");
  return GE_OK;
}

ge_err ge_trace_model_new(const ge_trace *t, unsigned what, ge_trace_model **out, ge_error *err) {
  return ge_trace_model_new_observed(t, what, NULL, NULL, out, err);
}

ge_err ge_trace_model_new_observed(const ge_trace *t, unsigned what, ge_trace_gstate_fn on_state,
                                   void *ctx, ge_trace_model **out, ge_error *err) {
  *out = NULL;
  ge_trace_model *m = calloc(1, sizeof *m);
  if (!m) return ge_fail(err, GE_ERR_NOMEM, "trace model: out of memory");
  m->on_state = on_state;
  m->on_state_ctx = ctx;
  ge_err e = build(m, t, what, err);
  if (e) {
    ge_trace_model_free(m);
    return e;
  }
  ge_tr_map_free(&m->genstk);
  ge_tr_map_free(&m->genstr);
  *out = m;
  return GE_OK;
}

void ge_trace_model_free(ge_trace_model *m) {
  if (!m) return;
  free(m->heap);
  free(m->gc);
  free(m->stw);
  free(m->gs);
  free(m->since);
  free(m->rs);
  free(m->frames);
  free(m->stackoff);
  free(m->stroff);
  free(m->strlen_);
  free(m->text);
  ge_tr_map_free(&m->gmap);
  ge_tr_map_free(&m->genstk);
  ge_tr_map_free(&m->genstr);
  free(m);
}

size_t ge_trace_model_heap(const ge_trace_model *m, const ge_trace_heap_sample **out) {
  *out = m->heap;
  return m->nheap;
}

size_t ge_trace_model_gc(const ge_trace_model *m, const ge_trace_gc_cycle **out) {
  *out = m->gc;
  return m->ngc;
}

size_t ge_trace_model_stw(const ge_trace_model *m, const ge_trace_stw **out) {
  *out = m->stw;
  return m->nstw;
}

void ge_trace_model_gc_totals(const ge_trace_model *m, ge_trace_gc_totals *out) {
  memset(out, 0, sizeof *out);
  out->cycles = m->ngc;
  out->stw = m->nstw;
  for (size_t i = 0; i < m->ngc; i++)
    if (m->gc[i].has_start && m->gc[i].has_end) out->gc_ns += m->gc[i].end - m->gc[i].start;
  for (size_t i = 0; i < m->nstw; i++) {
    if (!m->stw[i].has_end) continue;
    int64_t d = m->stw[i].end - m->stw[i].start;
    out->stw_ns += d;
    if (d > out->stw_max_ns) out->stw_max_ns = d;
  }
}

size_t ge_trace_model_goroutines(const ge_trace_model *m, const ge_trace_goroutine **out) {
  *out = m->gs;
  return m->ngs;
}

size_t ge_trace_model_blocked(const ge_trace_model *m, const ge_trace_goroutine *g,
                              ge_trace_blocked *out, size_t cap) {
  size_t n = 0;
  for (uint32_t k = g->reasons; k; k = m->rs[k - 1].next, n++)
    if (n < cap) out[n] = (ge_trace_blocked){m->rs[k - 1].reason, m->rs[k - 1].ns};
  return n;
}

ge_strview ge_trace_model_string(const ge_trace_model *m, uint32_t id) {
  if (id >= m->nstrs) return (ge_strview){"", 0};
  return (ge_strview){m->text + m->stroff[id], m->strlen_[id]};
}

size_t ge_trace_model_stack(const ge_trace_model *m, uint32_t stack, ge_trace_frame *frames,
                            size_t cap) {
  if (!stack || stack > m->nstacks) return 0;
  size_t a = m->stackoff[stack - 1], b = m->stackoff[stack];
  for (size_t i = a; i < b && i - a < cap; i++) {
    const mframe *f = &m->frames[i];
    frames[i - a] = (ge_trace_frame){f->pc, f->line, {m->text + f->func, f->funclen},
                                     {m->text + f->file, f->filelen}};
  }
  return b - a;
}
