/* perf samples as a ge_profile: one sample type per event, each sample
 * worth its period; one mapping per dso; a location per distinct (dso,
 * symbol, address), with the Go frames of ge_perf_symbolize (inlined
 * frames expanded, innermost first as profile.proto orders them) or perf's
 * symbol; samples with the same locations merged. */
#include <stdlib.h>
#include <string.h>

#include "core/goname.h"
#include "core/hashidx.h"
#include "internal.h"
#include "profile/model.h"

typedef struct lkey {
  uint64_t addr;
  uint32_t dso, sym, hash;
  uint32_t trim; /* innermost Go frames left out (allocs: the runtime's) */
} lkey;

typedef struct srec {
  uint64_t off; /* in stk */
  uint32_t n, hash;
} srec;

typedef struct builder {
  const ge_perf *perf;
  ge_profile *p;
  GE_VEC(lkey) keys;    /* by location index */
  ge_hashidx lix;
  GE_VEC(uint32_t) stk; /* location indices of each distinct stack */
  GE_VEC(srec) recs;
  ge_hashidx six;
  GE_VEC(int64_t) vals; /* recs x nst */
  ge_hashidx fix;       /* functions by (name, file) */
  uint32_t *map_of;     /* dso index -> mapping index */
  int allocs;           /* alloc_objects, alloc_space from the trace's size= */
  int dclass;           /* only samples whose addr is of this class; -1 all */
  const uint8_t *emask; /* allocs: the events counted */
  size_t nst;
} builder;

static uint32_t lkey_hash(const void *ctx, uint32_t i) { return ((const builder *)ctx)->keys.v[i].hash; }
static uint32_t srec_hash(const void *ctx, uint32_t i) { return ((const builder *)ctx)->recs.v[i].hash; }
static uint32_t func_hash(const void *ctx, uint32_t i) {
  const pfunc *f = &((const builder *)ctx)->p->funcs.v[i];
  return (uint32_t)ge_mix64((uint64_t)f->name << 32 | f->file);
}

static uint32_t pstr(builder *b, ge_strview s) { return ge_intern_add(&b->p->str, s.ptr ? s.ptr : "", s.len); }

static uint32_t func_of(builder *b, uint32_t name, uint32_t file) {
  ge_profile *p = b->p;
  if (ge_hashidx_reserve(&b->fix, p->funcs.n, func_hash, b)) return GE_NONE;
  size_t j = ge_hashidx_first(&b->fix, (uint32_t)ge_mix64((uint64_t)name << 32 | file));
  for (uint32_t i; (i = ge_hashidx_at(&b->fix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&b->fix, j))
    if (p->funcs.v[i].name == name && p->funcs.v[i].file == file) return i;
  pfunc *f = GE_VEC_PUSH_SLOT(p->funcs);
  if (!f) return GE_NONE;
  *f = (pfunc){p->funcs.n, name, name, file, 0};
  ge_hashidx_set(&b->fix, j, (uint32_t)p->funcs.n - 1);
  return (uint32_t)p->funcs.n - 1;
}

static int add_line(builder *b, ge_strview func, ge_strview file, uint32_t line) {
  uint32_t nm = pstr(b, func), fl = pstr(b, file);
  if (nm == UINT32_MAX || fl == UINT32_MAX) return -1;
  uint32_t fi = func_of(b, nm, fl);
  pline *ln = fi == GE_NONE ? NULL : GE_VEC_PUSH_SLOT(b->p->lines);
  if (!ln) return -1;
  *ln = (pline){fi, line, 0};
  return 0;
}

/* The location of frame f (its Go address when it has one), made on first
 * sight; UINT32_MAX when out of memory. */
static uint32_t location(builder *b, const pf_frame *f, uint32_t trim) {
  const ge_perf *pf = b->perf;
  if (trim >= f->ngo) trim = 0;
  lkey k = {f->ngo ? f->vaddr : f->ip, f->dso, f->ngo ? 0 : f->sym, 0, trim};
  k.hash = (uint32_t)ge_mix64(ge_mix64(k.addr ^ trim) ^ ((uint64_t)k.dso << 32 | k.sym));
  if (ge_hashidx_reserve(&b->lix, b->keys.n, lkey_hash, b)) return UINT32_MAX;
  size_t j = ge_hashidx_first(&b->lix, k.hash);
  for (uint32_t i; (i = ge_hashidx_at(&b->lix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&b->lix, j)) {
    const lkey *o = &b->keys.v[i];
    if (o->addr == k.addr && o->dso == k.dso && o->sym == k.sym && o->trim == k.trim) return i;
  }
  lkey *slot = GE_VEC_PUSH_SLOT(b->keys);
  if (!slot) return UINT32_MAX;
  *slot = k;
  ge_hashidx_set(&b->lix, j, (uint32_t)b->keys.n - 1);
  ge_profile *p = b->p;
  uint32_t off = (uint32_t)p->lines.n, n = 0;
  if (f->ngo) {
    for (uint32_t q = trim; q < f->ngo; q++) {
      const pf_go *g = &pf->gos.v[f->first_go + q];
      if (add_line(b, ge_perf_sv(pf, g->func), ge_perf_sv(pf, g->file), g->line)) return UINT32_MAX;
    }
    n = f->ngo - trim;
  } else {
    ge_strview none = {"", 0};
    if (add_line(b, ge_perf_sv(pf, f->sym), none, 0)) return UINT32_MAX;
    n = 1;
  }
  ploc *l = GE_VEC_PUSH_SLOT(p->locs);
  if (!l) return UINT32_MAX;
  *l = (ploc){p->locs.n, k.addr, b->map_of[pf->dso_of.v[f->dso] - 1], off, n, 0};
  if (f->ngo) {
    pmap *m = &p->maps.v[l->mapping];
    m->has_functions = m->has_filenames = m->has_line_numbers = m->has_inline_frames = 1;
    if (!m->start || k.addr < m->start) m->start = k.addr;
    if (k.addr + 1 > m->limit) m->limit = k.addr + 1;
  }
  return (uint32_t)b->keys.n - 1;
}

/* The size an allocation probe recorded: the "size=" field of its trace
 * text (`perf probe -x BIN 'runtime.mallocgc size=%ax:u64'` prints it in
 * decimal; a probe without a type, in hex). 0 when absent. */
static int64_t size_of(ge_strview t) {
  for (size_t i = 0; i + 5 <= t.len; i++) {
    if (memcmp(t.ptr + i, "size=", 5) || (i && t.ptr[i - 1] != ' ')) continue;
    size_t k = i + 5;
    int hex = k + 2 <= t.len && t.ptr[k] == '0' && t.ptr[k + 1] == 'x';
    if (hex) k += 2;
    uint64_t v = 0;
    for (; k < t.len; k++) {
      char c = t.ptr[k];
      int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) break;
      if (v > (uint64_t)INT64_MAX / 16) return INT64_MAX;
      v = v * (hex ? 16 : 10) + (uint64_t)d;
    }
    return (int64_t)v;
  }
  return 0;
}

/* Where sample s's stack leaves the runtime: the first frame (*k) with a
 * function outside it, and how many of that frame's innermost inlined Go
 * frames are still the runtime's (*trim). A Go heap profile hides a stack's
 * leading runtime frames (unless every frame is the runtime's), so that an
 * allocation made inside runtime.CallersFrames, inlined into the caller or
 * not, lands on the line that called it; an allocation profile of probes
 * does the same. Without Go frames, perf's symbol names the function. */
static void leading_runtime(const ge_perf *pf, const pf_sample *s, uint32_t *k, uint32_t *trim) {
  for (uint32_t i = 0; i < s->nframes; i++) {
    const pf_frame *f = &pf->frames.v[s->first_frame + i];
    if ((f->flags & PF_INLINED) && f->vaddr) continue;
    if (!f->ngo) {
      if (ge_is_runtime_func(ge_perf_sv(pf, f->sym))) continue;
      *k = i, *trim = 0;
      return;
    }
    for (uint32_t q = 0; q < f->ngo; q++) {
      if (!ge_is_runtime_func(ge_perf_sv(pf, pf->gos.v[f->first_go + q].func))) {
        *k = i, *trim = q;
        return;
      }
    }
  }
  *k = 0, *trim = 0;
}

/* Charges sample s's period to its stack's record, column col (allocs: one
 * object and its size to columns 0 and 1). */
static int charge(builder *b, const pf_sample *s, size_t col) {
  const ge_perf *pf = b->perf;
  size_t base = b->stk.n;
  if (ge_vec_reserve((void **)&b->stk.v, &b->stk.cap, b->stk.n, s->nframes, sizeof(uint32_t))) return -1;
  uint32_t n = 0;
  uint32_t k0 = 0, trim = 0;
  if (b->allocs) leading_runtime(pf, s, &k0, &trim);
  for (uint32_t k = k0; k < s->nframes; k++) {
    const pf_frame *f = &pf->frames.v[s->first_frame + k];
    if ((f->flags & PF_INLINED) && f->vaddr) continue; /* expanded from the binary instead */
    uint32_t li = location(b, f, k == k0 ? trim : 0);
    if (li == UINT32_MAX) return -1;
    b->stk.v[b->stk.n++] = li;
    n++;
  }
  const uint32_t *mine = n ? b->stk.v + base : NULL; /* a sample may have no frames */
  uint32_t h = n ? ge_hash(mine, n * sizeof(uint32_t)) : 0;
  if (ge_hashidx_reserve(&b->six, b->recs.n, srec_hash, b)) return -1;
  size_t j = ge_hashidx_first(&b->six, h);
  uint32_t i;
  for (; (i = ge_hashidx_at(&b->six, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&b->six, j)) {
    const srec *r = &b->recs.v[i];
    if (r->hash == h && r->n == n && (!n || memcmp(b->stk.v + r->off, mine, n * sizeof(uint32_t)) == 0))
      break;
  }
  if (i == GE_HASHIDX_NONE) {
    srec *r = GE_VEC_PUSH_SLOT(b->recs);
    if (!r) return -1;
    *r = (srec){base, n, h};
    i = (uint32_t)b->recs.n - 1;
    ge_hashidx_set(&b->six, j, i);
    if (ge_vec_reserve((void **)&b->vals.v, &b->vals.cap, b->vals.n, b->nst, sizeof(int64_t))) return -1;
    memset(b->vals.v + b->vals.n, 0, b->nst * sizeof(int64_t));
    b->vals.n += b->nst;
  } else {
    b->stk.n = base;
  }
  int64_t *v = &b->vals.v[(size_t)i * b->nst + col];
  if (b->allocs) {
    int64_t n = s->count > INT64_MAX ? INT64_MAX : (int64_t)s->count;
    int64_t sz = size_of(ge_perf_sv(pf, s->trace));
    v[0] = ge_add64(v[0], n);
    v[1] = ge_add64(v[1], sz && n > INT64_MAX / sz ? INT64_MAX : sz * n);
  } else {
    *v = ge_add64(*v, (int64_t)(s->period > INT64_MAX ? INT64_MAX : s->period));
  }
  return 0;
}

static const char *unit_of(ge_strview ev) {
  static const char *const ns[] = {"cpu-clock", "task-clock"};
  for (size_t i = 0; i < 2; i++) {
    size_t n = strlen(ns[i]);
    if (ev.len >= n && memcmp(ev.ptr, ns[i], n) == 0 && (ev.len == n || ev.ptr[n] == ':'))
      return "nanoseconds";
  }
  return "count";
}

static int build(builder *b, int event) {
  const ge_perf *pf = b->perf;
  ge_profile *p = b->p;
  size_t first = event < 0 ? 0 : (size_t)event, last = event < 0 ? pf->events.n : (size_t)event + 1;
  b->nst = b->allocs ? 2 : last - first;
  if (b->allocs) {
    static const char *const names[4] = {"alloc_objects", "count", "alloc_space", "bytes"};
    for (int k = 0; k < 2; k++) {
      pvt *t = GE_VEC_PUSH_SLOT(p->st);
      if (!t) return -1;
      t->type = ge_intern_add(&p->str, names[2 * k], strlen(names[2 * k]));
      t->unit = ge_intern_add(&p->str, names[2 * k + 1], strlen(names[2 * k + 1]));
      if (t->type == UINT32_MAX || t->unit == UINT32_MAX) return -1;
    }
    /* the allocator's own frames: cost lands on the line that allocates,
     * as in a Go heap profile (pprof prunes drop_frames) */
    static const char drop[] =
        "runtime\\.(mallocgc.*|newobject|newarray|makeslice.*|makemap.*|growslice|mapassign.*|"
        "rawstring.*|rawbyteslice|rawruneslice|convT.*|concatstring.*|slicebytetostring|"
        "stringtoslicebyte|stringtoslicerune|makechan|newproc1|malg|mcommoninit|allocm|"
        "(\\(\\*mcache\\)|\\(\\*mcentral\\)|\\(\\*mheap\\))\\..*|deferproc.*|newdefer)";
    p->drop_frames = ge_intern_add(&p->str, drop, strlen(drop));
    if (p->drop_frames == UINT32_MAX) return -1;
  }
  for (size_t e = first; e < last && !b->allocs; e++) {
    ge_strview name = ge_perf_sv(pf, pf->events.v[e].name);
    const char *u = unit_of(name);
    pvt *t = GE_VEC_PUSH_SLOT(p->st);
    if (!t) return -1;
    t->type = pstr(b, name);
    t->unit = ge_intern_add(&p->str, u, strlen(u));
    if (t->type == UINT32_MAX || t->unit == UINT32_MAX) return -1;
  }
  if (p->st.n) {
    p->period_type = p->st.v[0];
    const pf_event *e0 = &pf->events.v[first];
    p->period = e0->samples ? (int64_t)(e0->period / e0->samples) : 0;
  }
  /* pprof takes the first mapping for the program: the dso with the most
   * samples (the Go binary, not the kernel a page fault entered) */
  b->map_of = malloc((pf->dsos.n ? pf->dsos.n : 1) * sizeof *b->map_of);
  if (!b->map_of) return -1;
  for (size_t i = 0; i < pf->dsos.n; i++) {
    size_t rank = 0;
    for (size_t k = 0; k < pf->dsos.n; k++) {
      uint64_t a = pf->dsos.v[k].samples, c = pf->dsos.v[i].samples;
      rank += a > c || (a == c && k < i);
    }
    b->map_of[i] = (uint32_t)rank;
  }
  for (size_t r = 0; r < pf->dsos.n; r++) {
    pmap *m = GE_VEC_PUSH_SLOT(p->maps);
    if (!m) return -1;
    memset(m, 0, sizeof *m);
    m->id = r + 1;
  }
  for (size_t i = 0; i < pf->dsos.n; i++) {
    pmap *m = &p->maps.v[b->map_of[i]];
    m->file = pstr(b, ge_perf_sv(pf, pf->dso_ids.v[i]));
    if (m->file == UINT32_MAX) return -1;
  }
  for (size_t i = 0; i < pf->samples.n; i++) {
    const pf_sample *s = &pf->samples.v[i];
    if (s->event < first || s->event >= last) continue;
    if (b->emask && !b->emask[s->event]) continue;
    if (b->dclass >= 0 && s->dclass != b->dclass) continue;
    if (charge(b, s, b->allocs ? 0 : s->event - first)) return -1;
  }
  if (ge_prof_begin_samples(p)) return -1;
  for (size_t i = 0; i < b->recs.n; i++) {
    const srec *r = &b->recs.v[i];
    if (ge_vec_reserve((void **)&p->s_locs.v, &p->s_locs.cap, p->s_locs.n, r->n, sizeof(uint32_t)) ||
        ge_vec_reserve((void **)&p->values.v, &p->values.cap, p->values.n, b->nst, sizeof(int64_t)))
      return -1;
    if (r->n) memcpy(p->s_locs.v + p->s_locs.n, b->stk.v + r->off, r->n * sizeof(uint32_t));
    p->s_locs.n += r->n;
    memcpy(p->values.v + p->values.n, b->vals.v + i * b->nst, b->nst * sizeof(int64_t));
    p->values.n += b->nst;
    if (ge_prof_end_sample(p)) return -1;
  }
  return 0;
}

static ge_err make(const ge_perf *pf, int event, int allocs, int dclass, const uint8_t *emask,
                   ge_profile **out, ge_error *err) {
  *out = NULL;
  if (event >= (int)pf->events.n) return ge_fail(err, GE_ERR_ARG, "perf pprof: no event %d", event);
  builder b;
  memset(&b, 0, sizeof b);
  b.perf = pf;
  b.emask = emask;
  b.allocs = allocs;
  b.dclass = dclass;
  b.p = ge_prof_new(&pf->lim);
  if (!b.p) return ge_fail(err, GE_ERR_NOMEM, "perf pprof: out of memory");
  int rc = build(&b, event);
  free(b.map_of);
  GE_VEC_FREE(b.keys);
  GE_VEC_FREE(b.stk);
  GE_VEC_FREE(b.recs);
  GE_VEC_FREE(b.vals);
  ge_hashidx_free(&b.lix);
  ge_hashidx_free(&b.six);
  ge_hashidx_free(&b.fix);
  if (rc) {
    ge_profile_free(b.p);
    return ge_fail(err, GE_ERR_NOMEM, "perf pprof: out of memory");
  }
  if (allocs && ge_prof_prune(b.p, err)) {
    ge_profile_free(b.p);
    return err->code;
  }
  *out = b.p;
  return GE_OK;
}

ge_err ge_perf_pprof(const ge_perf *pf, int event, ge_profile **out, ge_error *err) {
  return make(pf, event, 0, -1, NULL, out, err);
}

ge_err ge_perf_pprof_data(const ge_perf *pf, int event, ge_perf_data_class dclass, ge_profile **out,
                          ge_error *err) {
  return make(pf, event, 0, (int)dclass, NULL, out, err);
}

ge_err ge_perf_pprof_allocs(const ge_perf *pf, const uint8_t *events, ge_profile **out, ge_error *err) {
  int any = 0;
  for (size_t e = 0; events && e < pf->events.n; e++) any |= events[e] != 0;
  if (!any) return ge_fail(err, GE_ERR_ARG, "perf allocs: no probe event chosen");
  return make(pf, -1, 1, -1, events, out, err);
}
