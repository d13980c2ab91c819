/* (A little over 500 lines: the generation tables, the merge and the replay
 * share the iterator's private state.)
 *
 * Walking a trace's events: one generation at a time, its string and stack
 * tables indexed, its events merged in time order across the Ms that wrote
 * them (each M's batches are in order; a heap of one cursor per M), the
 * table events (CPU samples, Frequency, ClockSnapshot) sorted and merged in
 * as Go's reader does, and each
 * event given the goroutine and P its M had just before it, by the replay
 * of scheduling events that Go's reader does (internal/trace/order.go):
 * ProcStart/Stop/Steal/Status bind and unbind Ps, GoStart/Stop/Block/...
 * goroutines. Within a generation every M states its P and goroutine
 * (ProcStatus, GoStatus) before it uses them, so skipping generations by
 * time loses no context. Ordering by time rather than by Go's partial-order
 * sequence numbers is exact where the trace clock is one clock for every M
 * (Linux: nanotime). */
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "trace/internal.h"

typedef struct span {
  uint32_t off, n; /* strings: bytes; stacks: frames (off at the first) */
} span;

typedef struct tevent { /* a table event: CPU sample, Frequency, ClockSnapshot */
  int64_t time;
  uint64_t args[GE_TRACE_MAXARGS];
  uint8_t type;
} tevent;

typedef struct ebatch {
  uint32_t off, len; /* of the data, in the generation */
  uint64_t time;
  uint32_t next; /* the same M's next batch, UINT32_MAX at the last */
} ebatch;

typedef struct mstate {
  uint64_t g, p;
} mstate;

typedef struct cursor {
  uint64_t m;
  uint32_t ms;         /* mstates index, UINT32_MAX for no M */
  uint32_t batch;      /* current ebatch */
  uint32_t last;       /* the M's last batch while gathering */
  const unsigned char *p, *end;
  int64_t ts;          /* time of the last event read */
  ge_trace_event ev;   /* the pending event */
} cursor;

struct ge_trace_iter {
  const ge_trace *t;
  ge_trace_filter f;
  uint8_t types[GE_TRACE_NTYPES];
  size_t gi; /* next generation to load */
  int loaded;
  int64_t last; /* the time of the last event yielded or skipped */
  int after_freq; /* the last one was a Frequency */

  unsigned char *buf;
  size_t cap;
  const unsigned char *g; /* the generation's bytes */
  uint64_t glen, gen;
  double nspt;

  ge_tr_map strmap, stkmap, curmap, msmap;
  span *strs, *stks;
  size_t nstrs, capstrs, nstks, capstks;
  tevent *tev;
  size_t ntev, captev, ti; /* table events, sorted by time; the next one */
  ebatch *eb;
  size_t neb, capeb;
  cursor *cur;
  size_t ncur, capcur;
  uint32_t *heap;
  size_t nheap;
  mstate *ms;
  size_t nms, capms;
};

#define GROW(arr, n, cap, fail)                                     \
  do {                                                              \
    if ((n) == (cap)) {                                             \
      size_t nc_ = (cap) ? (cap) * 2 : 64;                          \
      void *np_ = realloc((arr), nc_ * sizeof *(arr));              \
      if (!np_) fail;                                               \
      (arr) = np_;                                                  \
      (cap) = nc_;                                                  \
    }                                                               \
  } while (0)

static int changed(ge_trace_iter *it, ge_error *err) {
  ge_fail(err, GE_ERR_FORMAT, "%s: the trace changed since it was opened (generation %llu)",
          it->t->name, (unsigned long long)it->gen);
  return -1;
}

static int nomem(ge_trace_iter *it, ge_error *err) {
  ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", it->t->name);
  return -1;
}

/* The mstates index of M m, created (no G, no P) when new. */
static uint32_t mstate_of(ge_trace_iter *it, uint64_t m) {
  uint32_t i = ge_tr_map_get(&it->msmap, m);
  if (i != UINT32_MAX) return i;
  GROW(it->ms, it->nms, it->capms, return UINT32_MAX);
  i = (uint32_t)it->nms;
  if (ge_tr_map_put(&it->msmap, m, i) == UINT32_MAX) return UINT32_MAX;
  it->ms[it->nms++] = (mstate){GE_TRACE_NONE, GE_TRACE_NONE};
  return i;
}

/* A stable sort of table events by time. */
static void msort(tevent *a, tevent *tmp, size_t n) {
  if (n < 2) return;
  size_t h = n / 2;
  msort(a, tmp, h);
  msort(a + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = a[j].time < a[i].time ? a[j++] : a[i++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}

/* Reads the table entries of a batch into the generation's indexes. */
static int index_table(ge_trace_iter *it, const unsigned char *p, const unsigned char *end,
                       unsigned entry, ge_error *err) {
  p++;
  while (p < end) {
    if (*p++ != entry) return changed(it, err);
    uint64_t v[5];
    unsigned n = entry == EV_CPUSAMPLE ? 5 : 2;
    for (unsigned i = 0; i < n; i++)
      if (ge_tr_uvarint(&p, end, &v[i])) return changed(it, err);
    uint32_t at = (uint32_t)(p - it->g);
    if (entry == EV_STRING) {
      if (v[1] > (uint64_t)(end - p)) return changed(it, err);
      p += v[1];
      GROW(it->strs, it->nstrs, it->capstrs, return nomem(it, err));
      if (ge_tr_map_put(&it->strmap, v[0], (uint32_t)it->nstrs) == UINT32_MAX) return nomem(it, err);
      it->strs[it->nstrs++] = (span){at, (uint32_t)v[1]};
    } else if (entry == EV_STACK) {
      if (v[1] > MAX_FRAMES) return changed(it, err);
      for (uint64_t k = 0; k < v[1] * 4; k++) {
        uint64_t x;
        if (ge_tr_uvarint(&p, end, &x)) return changed(it, err);
      }
      GROW(it->stks, it->nstks, it->capstks, return nomem(it, err));
      if (ge_tr_map_put(&it->stkmap, v[0], (uint32_t)it->nstks) == UINT32_MAX) return nomem(it, err);
      it->stks[it->nstks++] = (span){at, (uint32_t)v[1]};
    } else {
      GROW(it->tev, it->ntev, it->captev, return nomem(it, err));
      tevent *e = &it->tev[it->ntev++];
      e->type = EV_CPUSAMPLE;
      e->time = ge_tr_ns(v[0], it->nspt);
      memcpy(e->args, v, sizeof v);
    }
  }
  return 0;
}

/* Go's reader turns the sync batch into one Sync event that opens the
 * generation, before any other, at the earliest batch time: ours get
 * INT64_MIN so that the sort puts them first, and that time once known. */
static int index_sync(ge_trace_iter *it, const unsigned char *p, const unsigned char *end,
                      ge_error *err) {
  if (it->t->minor >= 25) p++;
  while (p < end) {
    unsigned type = *p++;
    unsigned n = type == EV_FREQUENCY ? 1 : type == EV_CLOCKSNAPSHOT ? 4 : 0;
    if (!n) return changed(it, err);
    uint64_t v[4];
    for (unsigned i = 0; i < n; i++)
      if (ge_tr_uvarint(&p, end, &v[i])) return changed(it, err);
    GROW(it->tev, it->ntev, it->captev, return nomem(it, err));
    tevent *e = &it->tev[it->ntev++];
    memset(e, 0, sizeof *e);
    e->type = (uint8_t)type;
    e->time = INT64_MIN;
    if (type == EV_FREQUENCY) e->args[0] = v[0];
    else memcpy(e->args, v + 1, 3 * sizeof *v);
  }
  return 0;
}

/* The cursor of M m (a new one, with its batch list empty, when new). */
static cursor *cursor_of(ge_trace_iter *it, uint64_t m) {
  uint32_t i = ge_tr_map_get(&it->curmap, m);
  if (i != UINT32_MAX) return &it->cur[i];
  GROW(it->cur, it->ncur, it->capcur, return NULL);
  i = (uint32_t)it->ncur;
  if (ge_tr_map_put(&it->curmap, m, i) == UINT32_MAX) return NULL;
  cursor *c = &it->cur[it->ncur++];
  memset(c, 0, sizeof *c);
  c->m = m;
  c->batch = UINT32_MAX;
  c->last = UINT32_MAX;
  c->ms = UINT32_MAX;
  if (m != GE_TRACE_NONE && (c->ms = mstate_of(it, m)) == UINT32_MAX) return NULL;
  return c;
}

/* Reads the cursor's next event into c->ev: 1, 0 at its end, -1 on error. */
static int cursor_step(ge_trace_iter *it, cursor *c, ge_error *err) {
  while (c->p >= c->end) {
    if (c->batch == UINT32_MAX) return 0;
    c->batch = it->eb[c->batch].next;
    if (c->batch == UINT32_MAX) return 0;
    const ebatch *b = &it->eb[c->batch];
    c->p = it->g + b->off;
    c->end = c->p + b->len;
    c->ts = ge_tr_ns(b->time, it->nspt);
  }
  unsigned type = *c->p++;
  if (!ge_tr_timed_ok(type, it->t->minor)) return changed(it, err);
  uint64_t dt;
  ge_trace_event *ev = &c->ev;
  unsigned n = ge_trace_specs[type].nargs;
  if (ge_tr_uvarint(&c->p, c->end, &dt)) return changed(it, err);
  for (unsigned i = 0; i < n; i++)
    if (ge_tr_uvarint(&c->p, c->end, &ev->args[i])) return changed(it, err);
  c->ts = ge_tr_after(c->ts, dt, it->nspt);
  ev->type = (uint8_t)type;
  ev->nargs = (uint8_t)n;
  ev->time = c->ts;
  return 1;
}

/* The heap of M cursors by the time of their next event, kept with Go's
 * reader's own operations (batchcursor.go: insert in the order the Ms first
 * appear, strict comparisons, the first child on ties), so that events of
 * equal time come out in its order. */
static int64_t htime(const ge_trace_iter *it, size_t i) { return it->cur[it->heap[i]].ev.time; }

static void sift_up(ge_trace_iter *it, size_t i) {
  uint32_t *h = it->heap;
  while (i > 0 && htime(it, (i - 1) / 2) > htime(it, i)) {
    uint32_t x = h[i];
    h[i] = h[(i - 1) / 2];
    h[(i - 1) / 2] = x;
    i = (i - 1) / 2;
  }
}

static void sift_down(ge_trace_iter *it, size_t i) {
  uint32_t *h = it->heap;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    int64_t mt = i < it->nheap ? htime(it, i) : INT64_MAX;
    if (l < it->nheap && htime(it, l) < mt) m = l, mt = htime(it, l);
    if (l + 1 < it->nheap && htime(it, l + 1) < mt) m = l + 1;
    if (m == i) return;
    uint32_t x = h[i];
    h[i] = h[m];
    h[m] = x;
    i = m;
  }
}

/* Loads generation it->gi: its bytes, tables and cursors. */
static int load_gen(ge_trace_iter *it, ge_error *err) {
  const ge_trace *t = it->t;
  const ge_tr_gen *gi = &t->gens[it->gi++];
  if (!t->mem && gi->size > it->cap) {
    unsigned char *nb = realloc(it->buf, gi->size);
    if (!nb) return nomem(it, err);
    it->buf = nb;
    it->cap = gi->size;
  }
  it->g = ge_tr_read(t, gi->offset, gi->size, it->buf, err);
  if (!it->g) return -1;
  it->glen = gi->size;
  it->gen = gi->gen;
  it->nspt = gi->nspt;
  ge_tr_map_clear(&it->strmap);
  ge_tr_map_clear(&it->stkmap);
  ge_tr_map_clear(&it->curmap);
  it->nstrs = it->nstks = it->ntev = it->neb = it->ncur = it->nheap = 0;
  const unsigned char *p = it->g, *end = it->g + it->glen;
  uint64_t min_time = UINT64_MAX;
  while (p < end) {
    if (*p == EV_ENDOFGEN && t->minor >= 26) {
      p++;
      continue;
    }
    ge_tr_batch b;
    const char *why;
    if (ge_tr_batch_parse(p, end, t->minor, &b, &why) || b.gen != it->gen ||
        b.len > (uint64_t)(end - p) - b.hdr)
      return changed(it, err);
    const unsigned char *d = p + b.hdr, *de = d + b.len;
    p = de;
    if (b.time < min_time) min_time = b.time;
    if (b.exp >= 0) continue;
    unsigned kind = b.len ? d[0] : 0;
    int rc = 0;
    if ((t->minor < 25 && kind == EV_FREQUENCY) || (t->minor >= 25 && kind == EV_SYNC))
      rc = index_sync(it, d, de, err);
    else if (kind == EV_STRINGS) rc = index_table(it, d, de, EV_STRING, err);
    else if (kind == EV_STACKS) rc = index_table(it, d, de, EV_STACK, err);
    else if (kind == EV_CPUSAMPLES) rc = index_table(it, d, de, EV_CPUSAMPLE, err);
    else {
      GROW(it->eb, it->neb, it->capeb, return nomem(it, err));
      uint32_t bi = (uint32_t)it->neb++;
      it->eb[bi] = (ebatch){(uint32_t)(d - it->g), (uint32_t)b.len, b.time, UINT32_MAX};
      cursor *c = cursor_of(it, b.m);
      if (!c) return nomem(it, err);
      if (c->last == UINT32_MAX) {
        c->batch = bi;
        c->p = it->g + it->eb[bi].off;
        c->end = c->p + b.len;
        c->ts = ge_tr_ns(b.time, it->nspt);
      } else {
        it->eb[c->last].next = bi;
      }
      c->last = bi;
    }
    if (rc) return rc;
  }
  /* CPU samples are written in batches per buffer flush, not in time
   * order; Go's reader sorts them (stably: a merge sort keeps equal times in
   * their order) */
  it->ti = 0;
  if (it->ntev > 1) {
    tevent *tmp = malloc(it->ntev * sizeof *tmp);
    if (!tmp) return nomem(it, err);
    msort(it->tev, tmp, it->ntev);
    free(tmp);
  }
  for (size_t i = 0; i < it->ntev && it->tev[i].time == INT64_MIN; i++)
    it->tev[i].time = ge_tr_ns(min_time, it->nspt);
  uint32_t *nh = realloc(it->heap, (it->ncur ? it->ncur : 1) * sizeof *nh);
  if (!nh) return nomem(it, err);
  it->heap = nh;
  for (size_t i = 0; i < it->ncur; i++) {
    int rc = cursor_step(it, &it->cur[i], err);
    if (rc < 0) return -1;
    if (rc) {
      it->heap[it->nheap++] = (uint32_t)i;
      sift_up(it, it->nheap - 1);
    }
  }
  return 0;
}

/* The event's context (the M's state before it) into ev, then the event's
 * effect on the state. */
static int replay(ge_trace_iter *it, const cursor *c, ge_trace_event *ev) {
  ev->m = c->m;
  if (c->ms == UINT32_MAX) {
    ev->g = ev->p = GE_TRACE_NONE;
    return 0;
  }
  mstate *ms = &it->ms[c->ms];
  ev->g = ms->g;
  ev->p = ms->p;
  const uint64_t *a = ev->args;
  switch (ev->type) {
  case EV_PROCSTART: ms->p = a[0]; break;
  case EV_PROCSTOP: ms->p = GE_TRACE_NONE; break;
  case EV_PROCSTATUS:
    if (a[1] == PSTATUS_RUNNING || a[1] == PSTATUS_SYSCALL) ms->p = a[0];
    break;
  case EV_PROCSTEAL:
    if (a[2] == c->m) {
      if (ms->p == a[0]) ms->p = GE_TRACE_NONE;
    } else {
      uint32_t o = ge_tr_map_get(&it->msmap, a[2]);
      if (o != UINT32_MAX && it->ms[o].p == a[0]) it->ms[o].p = GE_TRACE_NONE;
    }
    break;
  case EV_GOSTART: case EV_GOSWITCH: case EV_GOSWITCHDESTROY: case EV_GOCREATESYSCALL:
    ms->g = a[0];
    break;
  case EV_GOSTOP: case EV_GOBLOCK: case EV_GODESTROY: case EV_GOSYSCALLENDBLOCKED:
    ms->g = GE_TRACE_NONE;
    break;
  case EV_GODESTROYSYSCALL:
    ms->g = GE_TRACE_NONE;
    ms->p = GE_TRACE_NONE;
    break;
  case EV_GOSTATUS: case EV_GOSTATUSSTACK:
    if (a[2] == GSTATUS_RUNNING) {
      ms->g = a[0];
    } else if (a[2] == GSTATUS_SYSCALL) {
      if (a[1] == c->m) {
        ms->g = a[0];
      } else if (a[1] != GE_TRACE_NONE) {
        /* a goroutine in a syscall on another M, which this one reports:
         * the event is that M's */
        uint32_t o = ge_tr_map_get(&it->msmap, a[1]);
        if (o != UINT32_MAX) {
          ev->g = it->ms[o].g;
        } else {
          o = mstate_of(it, a[1]);
          if (o == UINT32_MAX) return -1;
          it->ms[o].g = a[0];
        }
        ev->m = a[1];
      }
    }
    break;
  }
  return 0;
}

static int is_sync_event(unsigned type) { return type == EV_FREQUENCY || type == EV_CLOCKSNAPSHOT; }

static int wanted(const ge_trace_iter *it, const ge_trace_event *ev) {
  if (!it->types[ev->type]) return 0;
  if (it->f.by_g && ev->g != it->f.g) return 0;
  if (it->f.by_from && ev->time < it->f.from) return 0;
  if (it->f.by_to && ev->time > it->f.to) return 0;
  return 1;
}

int ge_trace_iter_next(ge_trace_iter *it, ge_trace_event *ev, ge_error *err) {
  const ge_trace *t = it->t;
  for (;;) {
    if (!it->loaded || (!it->nheap && it->ti >= it->ntev)) {
      it->loaded = 0;
      /* generations wholly outside the time range are not read */
      while (it->gi < t->ngens &&
             ((it->f.by_from && t->gens[it->gi].end_ns < it->f.from) ||
              (it->f.by_to && t->gens[it->gi].start_ns > it->f.to))) {
        it->gi++;
        ge_tr_map_clear(&it->msmap);
        it->nms = 0;
      }
      if (it->gi >= t->ngens) return 0;
      if (load_gen(it, err)) return -1;
      it->loaded = 1;
      continue;
    }
    /* a table event comes first when strictly earlier (Go's reader); the
     * sync events open the generation whatever the times */
    if (it->ti < it->ntev && (!it->nheap || it->tev[it->ti].time < htime(it, 0) ||
                              is_sync_event(it->tev[it->ti].type))) {
      const tevent *e = &it->tev[it->ti++];
      memset(ev, 0, sizeof *ev);
      ev->type = e->type;
      ev->time = e->time;
      ev->gen = it->gen;
      ev->nargs = ge_trace_specs[e->type].nargs;
      memcpy(ev->args, e->args, sizeof ev->args);
      ev->m = ev->p = ev->g = GE_TRACE_NONE;
      if (e->type == EV_CPUSAMPLE) {
        ev->m = e->args[1];
        ev->p = e->args[2];
        ev->g = e->args[3] ? e->args[3] : GE_TRACE_NONE;
      }
    } else {
      cursor *c = &it->cur[it->heap[0]];
      *ev = c->ev;
      ev->gen = it->gen;
      int rc = cursor_step(it, c, err);
      if (rc < 0) return -1;
      if (!rc) it->heap[0] = it->heap[--it->nheap];
      sift_down(it, 0);
      if (replay(it, c, ev)) return nomem(it, err);
    }
    /* Go's reader makes times strictly increasing (Ms' clocks can tie or
     * step back a little); so do we, for the same times */
    if (ev->type == EV_CLOCKSNAPSHOT && it->after_freq)
      ev->time = it->last; /* with its Frequency, one Sync event of Go's reader: one time */
    else if (ev->time <= it->last)
      ev->time = it->last + 1;
    it->after_freq = ev->type == EV_FREQUENCY;
    it->last = ev->time;
    if (wanted(it, ev)) return 1;
  }
}

int ge_trace_iter_string(const ge_trace_iter *it, uint64_t id, ge_strview *out) {
  uint32_t i = ge_tr_map_get(&it->strmap, id);
  if (i == UINT32_MAX || !it->loaded) return 0;
  out->ptr = (const char *)it->g + it->strs[i].off;
  out->len = it->strs[i].n;
  return 1;
}

size_t ge_trace_iter_stack(const ge_trace_iter *it, uint64_t id, ge_trace_frame *frames,
                           size_t cap) {
  uint32_t i = id && it->loaded ? ge_tr_map_get(&it->stkmap, id) : UINT32_MAX;
  if (i == UINT32_MAX) return 0;
  const unsigned char *p = it->g + it->stks[i].off, *end = it->g + it->glen;
  size_t n = it->stks[i].n;
  for (size_t k = 0; k < n && k < cap; k++) {
    uint64_t v[4] = {0};
    for (int j = 0; j < 4; j++)
      if (ge_tr_uvarint(&p, end, &v[j])) return k; /* checked when indexed */
    ge_trace_frame *f = &frames[k];
    f->pc = v[0];
    f->line = v[3];
    f->func = (ge_strview){"", 0};
    f->file = (ge_strview){"", 0};
    ge_trace_iter_string(it, v[1], &f->func);
    ge_trace_iter_string(it, v[2], &f->file);
  }
  return n;
}

ge_err ge_trace_iter_new(const ge_trace *t, const ge_trace_filter *f, ge_trace_iter **out,
                         ge_error *err) {
  *out = NULL;
  struct stat st;
  if (t->fd >= 0 && (fstat(t->fd, &st) != 0 || !ge_fileid_eq(ge_fileid_of(&st), t->id)))
    return ge_fail(err, GE_ERR_IO, "%s: the file changed since it was opened", t->name);
  ge_trace_iter *it = calloc(1, sizeof *it);
  if (!it) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  it->t = t;
  if (f) it->f = *f;
  for (unsigned k = 0; k < GE_TRACE_NTYPES; k++)
    it->types[k] = ge_trace_type_is_event(k) && (!it->f.types || it->f.types[k]);
  it->f.types = NULL;
  it->last = INT64_MIN;
  *out = it;
  return GE_OK;
}

void ge_trace_iter_free(ge_trace_iter *it) {
  if (!it) return;
  ge_tr_map_free(&it->strmap);
  ge_tr_map_free(&it->stkmap);
  ge_tr_map_free(&it->curmap);
  ge_tr_map_free(&it->msmap);
  free(it->buf);
  free(it->strs);
  free(it->stks);
  free(it->tev);
  free(it->eb);
  free(it->cur);
  free(it->heap);
  free(it->ms);
  free(it);
}
