/* A trace's user annotations, the heap growth charged to them and the
 * allocations seen with a stack, in one walk of the UserTask*, UserRegion*,
 * UserLog, HeapAlloc, GCMarkAssistBegin, CPUSample and goroutine-end events
 * (the rules are in goescape/trace_annot.h).
 *
 * Region pairing follows Go's reader: its ordering (internal/trace/order.go
 * gState.beginRegion/endRegion) keeps a stack of open regions per goroutine
 * and ignores an end when the stack is empty (the region began before the
 * trace); its summary (summary.go) pops the innermost region at an end and
 * ends the regions still open when the goroutine ends at that event. Go's
 * reader refuses a trace whose end names another region than the
 * innermost; goescape pops the innermost all the same, as the summary does.
 * Strings and stacks are copied out of the walk's generation, since the
 * iterator drops them generation by generation. */
#include <string.h>

#include "core/error.h"
#include "core/goname.h"
#include "trace/annot.h"

#define VPUSH(vec) ge_vec_reserve((void **)&(vec).v, &(vec).cap, (vec).n, 1, sizeof *(vec).v)

/* The annot string of the walk's string id (id 0, the empty string, for
 * an unknown one); UINT32_MAX when out of memory. */
static uint32_t astring(ge_trace_annot *a, const ge_trace_iter *it, uint64_t id) {
  uint32_t s = ge_tr_map_get(&a->genstr, id);
  if (s != UINT32_MAX) return s;
  ge_strview sv = {"", 0};
  ge_trace_iter_string(it, id, &sv);
  s = ge_intern_add(&a->str, sv.ptr, sv.len);
  if (s == UINT32_MAX) return s;
  return ge_tr_map_put(&a->genstr, id, s);
}

/* The annot stack of the walk's stack id (0 for none), copied once per
 * generation; UINT32_MAX when out of memory. */
static uint32_t astack(ge_trace_annot *a, const ge_trace_iter *it, uint64_t id) {
  if (!id) return 0;
  uint32_t s = ge_tr_map_get(&a->genstk, id);
  if (s != UINT32_MAX) return s;
  ge_trace_frame fr[MAX_FRAMES];
  size_t n = ge_trace_iter_stack(it, id, fr, MAX_FRAMES);
  if (n > MAX_FRAMES) n = MAX_FRAMES;
  if (!n) return 0;
  if (!a->stackend.n) {
    if (VPUSH(a->stackend)) return UINT32_MAX;
    a->stackend.v[a->stackend.n++] = 0;
  }
  if (VPUSH(a->stackend) || a->frames.n > UINT32_MAX - MAX_FRAMES ||
      ge_vec_reserve((void **)&a->frames.v, &a->frames.cap, a->frames.n, n, sizeof *a->frames.v))
    return UINT32_MAX;
  for (size_t i = 0; i < n; i++) {
    uint32_t fn = ge_intern_add(&a->str, fr[i].func.ptr, fr[i].func.len);
    uint32_t fl = ge_intern_add(&a->str, fr[i].file.ptr, fr[i].file.len);
    if (fn == UINT32_MAX || fl == UINT32_MAX) return UINT32_MAX;
    a->frames.v[a->frames.n++] = (ge_tr_aframe){fr[i].pc, fr[i].line, fn, fl};
  }
  a->stackend.v[a->stackend.n] = (uint32_t)a->frames.n;
  s = (uint32_t)a->stackend.n++;
  return ge_tr_map_put(&a->genstk, id, s);
}

/* The walk's state of goroutine g, added when new; NULL: no memory. */
static ge_tr_agor *agor(ge_trace_annot *a, uint64_t g) {
  uint32_t i = ge_tr_map_get(&a->gmap, g);
  if (i != UINT32_MAX) return &a->gs.v[i];
  if (VPUSH(a->gs) || ge_tr_map_put(&a->gmap, g, (uint32_t)a->gs.n) == UINT32_MAX) return NULL;
  ge_tr_agor *r = &a->gs.v[a->gs.n++];
  memset(r, 0, sizeof *r);
  r->acc.g = g;
  r->acc.unattributed = g == GE_TRACE_NONE;
  return r;
}

/* The latest row of task id, or NULL. */
static ge_trace_task *task_row(ge_trace_annot *a, uint64_t id) {
  uint32_t k = ge_tr_map_get(&a->taskmap, id);
  return k == UINT32_MAX ? NULL : &a->tasks.v[a->taskrow.v[k]];
}

/* A new row for task id, made its latest; NULL: no memory. */
static ge_trace_task *new_task(ge_trace_annot *a, uint64_t id) {
  if (VPUSH(a->tasks) || VPUSH(a->taskrow) || VPUSH(a->taskname)) return NULL;
  uint32_t k = ge_tr_map_put(&a->taskmap, id, (uint32_t)a->taskrow.n);
  if (k == UINT32_MAX) return NULL;
  if (k == a->taskrow.n) a->taskname.v[a->taskname.n++] = UINT32_MAX, a->taskrow.n++;
  a->taskrow.v[k] = (uint32_t)a->tasks.n;
  ge_trace_task *t = &a->tasks.v[a->tasks.n++];
  memset(t, 0, sizeof *t);
  t->id = id;
  t->parent = GE_TRACE_NONE;
  t->g = t->end_g = GE_TRACE_NONE;
  return t;
}

/* A new region of goroutine state gs (not yet opened on it); NULL: no memory. */
static ge_trace_region *new_region(ge_trace_annot *a, const ge_trace_event *ev, uint32_t name,
                                   uint32_t stack) {
  ge_trace_region *r;
  if (a->sums_only && a->freeslots.n) {
    r = &a->regions.v[a->freeslots.v[--a->freeslots.n]];
  } else {
    if (VPUSH(a->regions)) return NULL;
    r = &a->regions.v[a->regions.n++];
  }
  memset(r, 0, sizeof *r);
  r->task = ev->args[0];
  r->g = ev->g;
  r->name = name;
  r->stack = stack;
  r->heap.g = ev->g;
  r->heap.task = r->task;
  r->heap.name = name;
  return r;
}

/* sums_only: region r has ended; its sums go to its (task, name) and its
 * slot is free for the next one. -1 when out of memory. */
static int retire(ge_trace_annot *a, ge_trace_region *r) {
  if (!a->sums_only) return 0;
  unsigned char key[12];
  memcpy(key, &r->task, 8);
  memcpy(key + 8, &r->name, 4);
  uint32_t k = ge_intern_add(&a->keys, (const char *)key, sizeof key);
  if (k == UINT32_MAX) return -1;
  while (a->sums.n <= k) { /* ids are dense (the intern's first may be taken) */
    if (VPUSH(a->sums)) return -1;
    memset(&a->sums.v[a->sums.n++], 0, sizeof *a->sums.v);
  }
  a->sums.v[k].task = r->task;
  a->sums.v[k].name = r->name;
  a->sums.v[k].g = GE_TRACE_NONE;
  ge_tr_merge(&a->sums.v[k], &r->heap);
  memset(&r->heap, 0, sizeof r->heap);
  if (VPUSH(a->freeslots)) return -1;
  a->freeslots.v[a->freeslots.n++] = (uint32_t)(r - a->regions.v);
  return 0;
}

void ge_tr_charge(ge_trace_growth *r, uint64_t up, uint64_t down, int64_t now) {
  r->freed += down;
  if (!up) return;
  if (!r->samples) r->first = now;
  r->last = now;
  r->growth += up;
  r->samples++;
}

typedef struct walk {
  int task_begin, task_end, region_begin, region_end, log, heap_alloc, assist, cpu;
  uint64_t prev; /* the last HeapAlloc value */
  int have_prev;
} walk;

/* A mark assist's or CPU sample's stack, when it is inside mallocgc: an
 * allocation (ge_trace_alloc); -1 when out of memory. */
static int alloc_site(ge_trace_annot *a, const ge_trace_iter *it, const ge_trace_event *ev,
                      uint64_t stack, int cpu) {
  ge_trace_frame fr[MAX_FRAMES];
  size_t n = ge_trace_iter_stack(it, stack, fr, MAX_FRAMES);
  if (n > MAX_FRAMES) n = MAX_FRAMES;
  size_t m = 0;
  while (m < n && !(fr[m].func.len == 16 && memcmp(fr[m].func.ptr, "runtime.mallocgc", 16) == 0))
    m++;
  if (m + 1 >= n) return 0;
  size_t site = m + 1;
  while (site < n && ge_is_runtime_func(fr[site].func)) site++;
  if (site == n) site = m + 1; /* the runtime's own allocation */
  uint32_t s = astack(a, it, stack);
  ge_tr_agor *g = agor(a, ev->g);
  if (s == UINT32_MAX || !g || VPUSH(a->allocs)) return -1;
  const ge_trace_region *r = g->top ? &a->regions.v[g->top - 1] : NULL;
  a->allocs.v[a->allocs.n++] = (ge_trace_alloc){ev->time, ev->g, r ? r->task : 0, r ? r->name : 0, s,
                                                (uint32_t)site, r != NULL, (uint8_t)cpu};
  return 0;
}

/* One event; -1 when out of memory. */
static int step(ge_trace_annot *a, walk *w, const ge_trace_iter *it, const ge_trace_event *ev) {
  int ty = ev->type;
  if (ty == w->heap_alloc) {
    uint64_t v = ev->args[0];
    if (w->have_prev) {
      uint64_t up = v > w->prev ? v - w->prev : 0, down = v < w->prev ? w->prev - v : 0;
      ge_tr_agor *g = agor(a, ev->g); /* GE_TRACE_NONE too: the unattributed row */
      if (!g) return -1;
      ge_tr_charge(&g->acc, up, down, ev->time);
      ge_tr_charge(g->top ? &a->regions.v[g->top - 1].heap : &a->outside, up, down, ev->time);
    }
    w->prev = v;
    w->have_prev = 1;
  } else if (ty == w->task_begin) {
    ge_trace_task *t = new_task(a, ev->args[0]);
    uint32_t name = astring(a, it, ev->args[2]), stack = astack(a, it, ev->args[3]);
    if (!t || name == UINT32_MAX || stack == UINT32_MAX) return -1;
    t->parent = ev->args[1] ? ev->args[1] : GE_TRACE_NONE; /* wire 0: no parent */
    t->g = ev->g;
    t->start = ev->time;
    t->name = name;
    t->stack = stack;
    t->has_start = t->has_name = 1;
    a->taskname.v[ge_tr_map_get(&a->taskmap, t->id)] = name;
  } else if (ty == w->task_end) {
    ge_trace_task *t = task_row(a, ev->args[0]);
    if (!t || t->has_end) t = new_task(a, ev->args[0]); /* begun before the trace */
    if (!t) return -1;
    t->end_g = ev->g;
    t->end = ev->time;
    t->has_end = 1;
  } else if (ty == w->region_begin || ty == w->region_end) {
    ge_tr_agor *g = agor(a, ev->g);
    uint32_t name = astring(a, it, ev->args[1]), stack = astack(a, it, ev->args[2]);
    if (!g || name == UINT32_MAX || stack == UINT32_MAX) return -1;
    if (ty == w->region_begin) {
      ge_trace_region *r = new_region(a, ev, name, stack);
      if (!r) return -1;
      r->start = ev->time;
      r->has_start = 1;
      r->parent = g->top;
      r->depth = g->top ? a->regions.v[g->top - 1].depth + 1 : 0;
      g->top = (uint32_t)(r - a->regions.v) + 1;
    } else {
      ge_trace_region *r;
      if (g->top) {
        r = &a->regions.v[g->top - 1];
        g->top = r->parent;
      } else if (!(r = new_region(a, ev, name, stack))) {
        return -1;
      }
      r->end = ev->time;
      r->has_end = 1;
      if (retire(a, r)) return -1;
    }
  } else if (ty == w->assist || ty == w->cpu) {
    if (ev->g == GE_TRACE_NONE) return 0;
    return alloc_site(a, it, ev, ty == w->cpu ? ev->args[4] : ev->args[0], ty == w->cpu);
  } else if (ty == w->log) {
    uint32_t key = astring(a, it, ev->args[1]), value = astring(a, it, ev->args[2]),
             stack = astack(a, it, ev->args[3]);
    if (a->sums_only) return 0;
    if (key == UINT32_MAX || value == UINT32_MAX || stack == UINT32_MAX || VPUSH(a->logs))
      return -1;
    a->logs.v[a->logs.n++] = (ge_trace_log){ev->time, ev->g, ev->args[0], key, value, stack};
  } else if (ev->g != GE_TRACE_NONE) { /* the goroutine ends: its open regions with it */
    uint32_t i = ge_tr_map_get(&a->gmap, ev->g);
    if (i == UINT32_MAX) return 0;
    for (uint32_t k = a->gs.v[i].top; k;) {
      ge_trace_region *r = &a->regions.v[k - 1];
      k = r->parent;
      r->end = ev->time;
      r->has_end = r->exited = 1;
      if (retire(a, r)) return -1;
    }
    a->gs.v[i].top = 0;
  }
  return 0;
}

static ge_err build(ge_trace_annot *a, const ge_trace *t, ge_error *err) {
  walk w = {ge_trace_type_id("UserTaskBegin"), ge_trace_type_id("UserTaskEnd"),
            ge_trace_type_id("UserRegionBegin"), ge_trace_type_id("UserRegionEnd"),
            ge_trace_type_id("UserLog"), ge_trace_type_id("HeapAlloc"),
            ge_trace_type_id("GCMarkAssistBegin"), ge_trace_type_id("CPUSample"), 0, 0};
  uint8_t types[GE_TRACE_NTYPES] = {0};
  types[w.task_begin] = types[w.task_end] = types[w.region_begin] = types[w.region_end] = 1;
  types[w.log] = types[w.heap_alloc] = types[w.assist] = types[w.cpu] = 1;
  types[EV_GODESTROY] = types[EV_GODESTROYSYSCALL] = types[EV_GOSWITCHDESTROY] = 1;
  ge_trace_filter f = {0};
  f.types = types;
  ge_trace_iter *it;
  if (ge_trace_iter_new(t, &f, &it, err)) return err->code;
  a->outside.unattributed = 1;
  ge_trace_event ev;
  uint64_t gen = UINT64_MAX;
  int rc, nomem = 0;
  while ((rc = ge_trace_iter_next(it, &ev, err)) == 1) {
    if (ev.gen != gen) {
      ge_tr_map_clear(&a->genstk);
      ge_tr_map_clear(&a->genstr);
      gen = ev.gen;
    }
    if ((nomem = step(a, &w, it, &ev))) break;
  }
  ge_trace_iter_free(it);
  if (!nomem && rc < 0) return err->code;
  if (nomem || ge_tr_annot_group(a))
    return ge_fail(err, GE_ERR_NOMEM, "trace annotations: out of memory");
  return GE_OK;
}

ge_err ge_trace_annot_new(const ge_trace *t, unsigned flags, ge_trace_annot **out,
                          ge_error *err) {
  *out = NULL;
  ge_trace_annot *a = calloc(1, sizeof *a);
  if (!a) return ge_fail(err, GE_ERR_NOMEM, "trace annotations: out of memory");
  ge_intern_init(&a->str);
  ge_intern_init(&a->keys);
  a->sums_only = flags & GE_TRACE_ANNOT_SUMS;
  ge_err e = build(a, t, err);
  if (e) {
    ge_trace_annot_free(a);
    return e;
  }
  ge_tr_map_free(&a->genstk);
  ge_tr_map_free(&a->genstr);
  *out = a;
  return GE_OK;
}

void ge_trace_annot_free(ge_trace_annot *a) {
  if (!a) return;
  ge_intern_free(&a->str);
  ge_intern_free(&a->keys);
  free(a->sums.v);
  free(a->freeslots.v);
  free(a->frames.v);
  free(a->stackend.v);
  free(a->tasks.v);
  free(a->regions.v);
  free(a->logs.v);
  free(a->allocs.v);
  free(a->gs.v);
  free(a->taskrow.v);
  free(a->taskname.v);
  for (int i = 0; i < 3; i++) free(a->rows[i].v);
  ge_tr_map_free(&a->gmap);
  ge_tr_map_free(&a->taskmap);
  ge_tr_map_free(&a->genstk);
  ge_tr_map_free(&a->genstr);
  free(a);
}

size_t ge_trace_annot_tasks(const ge_trace_annot *a, const ge_trace_task **out) {
  *out = a->tasks.v;
  return a->tasks.n;
}

size_t ge_trace_annot_regions(const ge_trace_annot *a, const ge_trace_region **out) {
  *out = a->regions.v;
  return a->sums_only ? 0 : a->regions.n;
}

size_t ge_trace_annot_logs(const ge_trace_annot *a, const ge_trace_log **out) {
  *out = a->logs.v;
  return a->logs.n;
}

size_t ge_trace_annot_growth(const ge_trace_annot *a, ge_trace_by by, const ge_trace_growth **out) {
  if ((unsigned)by > GE_TRACE_BY_TASK) {
    *out = NULL;
    return 0;
  }
  *out = a->rows[by].v;
  return a->rows[by].n;
}

size_t ge_trace_annot_allocs(const ge_trace_annot *a, const ge_trace_alloc **out) {
  *out = a->allocs.v;
  return a->allocs.n;
}

int ge_trace_annot_task_name(const ge_trace_annot *a, uint64_t task, uint32_t *name) {
  uint32_t k = ge_tr_map_get(&a->taskmap, task);
  if (k == UINT32_MAX || a->taskname.v[k] == UINT32_MAX) return 0;
  *name = a->taskname.v[k];
  return 1;
}

ge_strview ge_trace_annot_string(const ge_trace_annot *a, uint32_t id) {
  if (id >= a->str.n) return (ge_strview){"", 0};
  const ge_intern_entry *e = ge_intern_get(&a->str, id);
  return (ge_strview){e->ptr, e->len};
}

size_t ge_trace_annot_stack(const ge_trace_annot *a, uint32_t stack, ge_trace_frame *frames,
                            size_t cap) {
  if (!stack || stack >= a->stackend.n) return 0;
  size_t lo = a->stackend.v[stack - 1], hi = a->stackend.v[stack];
  for (size_t i = lo; i < hi && i - lo < cap; i++) {
    const ge_tr_aframe *f = &a->frames.v[i];
    frames[i - lo] = (ge_trace_frame){f->pc, f->line, ge_trace_annot_string(a, f->func),
                                      ge_trace_annot_string(a, f->file)};
  }
  return hi - lo;
}
