/* libFuzzer harness: ge_trace_parse over arbitrary bytes, then every event
 * through an iterator with its strings and stacks resolved, and again
 * through a filter (types, goroutine, time range) taken from the input,
 * and the model (heap timeline, GC, goroutines) with every string and
 * stack of it read, the annotations (tasks, regions, logs, allocations, growth), and the
 * timeline (buckets, regions, logs) over a range taken from the input, and
 * the AllocFree lifetimes, and a pprof profile of it (the kind from the
 * input), encoded.
 * Seeds: fuzz/corpus/trace/ (traces of the Go 1.22, 1.23, 1.25 and 1.26
 * formats from spec/fixtures/trace/data). */
#include <stdlib.h>

#include "goescape/trace.h"
#include "goescape/trace_annot.h"
#include "goescape/trace_allocfree.h"

static void walk(const ge_trace *t, const ge_trace_filter *f) {
  ge_error err;
  ge_trace_iter *it;
  if (ge_trace_iter_new(t, f, &it, &err)) return;
  ge_trace_event ev;
  ge_trace_frame fr[8];
  size_t guard = 0;
  while (ge_trace_iter_next(it, &ev, &err) == 1 && guard++ < 1000000) {
    for (unsigned i = 0; i < ev.nargs; i++) {
      ge_trace_arg_kind kind;
      ge_trace_arg_name(ev.type, i, &kind);
      ge_strview s;
      if (kind == GE_TRACE_ARG_STRING && ge_trace_iter_string(it, ev.args[i], &s) && s.len)
        (void)(volatile char)s.ptr[s.len - 1];
      if (kind == GE_TRACE_ARG_STACK) {
        size_t n = ge_trace_iter_stack(it, ev.args[i], fr, 8);
        for (size_t k = 0; k < n && k < 8; k++)
          if (fr[k].func.len) (void)(volatile char)fr[k].func.ptr[fr[k].func.len - 1];
      }
    }
  }
  ge_trace_iter_free(it);
}

static void touch(ge_strview s) {
  if (s.len) (void)(volatile char)s.ptr[s.len - 1];
}

static void model(const ge_trace *t) {
  ge_error err;
  ge_trace_model *m;
  if (ge_trace_model_new(t, GE_TRACE_MODEL_HEAP | GE_TRACE_MODEL_GC | GE_TRACE_MODEL_GOROUTINES,
                         &m, &err))
    return;
  const ge_trace_heap_sample *h;
  size_t n = ge_trace_model_heap(m, &h);
  if (n) (void)(volatile int64_t)h[n - 1].time;
  const ge_trace_gc_cycle *c;
  n = ge_trace_model_gc(m, &c);
  if (n) (void)(volatile int64_t)c[n - 1].end;
  const ge_trace_stw *s;
  n = ge_trace_model_stw(m, &s);
  for (size_t i = 0; i < n; i++) touch(ge_trace_model_string(m, s[i].kind));
  ge_trace_gc_totals tot;
  ge_trace_model_gc_totals(m, &tot);
  const ge_trace_goroutine *g;
  n = ge_trace_model_goroutines(m, &g);
  ge_trace_frame fr[8];
  ge_trace_blocked b[8];
  for (size_t i = 0; i < n; i++) {
    size_t k = ge_trace_model_stack(m, g[i].stack, fr, 8);
    for (size_t j = 0; j < k && j < 8; j++) touch(fr[j].func), touch(fr[j].file);
    k = ge_trace_model_stack(m, g[i].entry, fr, 8);
    for (size_t j = 0; j < k && j < 8; j++) touch(fr[j].func);
    k = ge_trace_model_blocked(m, &g[i], b, 8);
    for (size_t j = 0; j < k && j < 8; j++) touch(ge_trace_model_string(m, b[j].reason));
  }
  ge_trace_model_free(m);
}

static void annot_stack(const ge_trace_annot *a, uint32_t s) {
  ge_trace_frame fr[8];
  size_t k = ge_trace_annot_stack(a, s, fr, 8);
  for (size_t j = 0; j < k && j < 8; j++) touch(fr[j].func), touch(fr[j].file);
}

static void annot(const ge_trace *t, int sums) {
  ge_error err;
  ge_trace_annot *a;
  if (ge_trace_annot_new(t, sums ? GE_TRACE_ANNOT_SUMS : GE_TRACE_ANNOT_ALL, &a, &err)) return;
  const ge_trace_task *tk;
  size_t n = ge_trace_annot_tasks(a, &tk);
  for (size_t i = 0; i < n; i++) touch(ge_trace_annot_string(a, tk[i].name)), annot_stack(a, tk[i].stack);
  const ge_trace_region *r;
  n = ge_trace_annot_regions(a, &r);
  for (size_t i = 0; i < n; i++) {
    touch(ge_trace_annot_string(a, r[i].name));
    annot_stack(a, r[i].stack);
    if (r[i].parent) (void)(volatile uint32_t)r[r[i].parent - 1].depth;
  }
  const ge_trace_log *l;
  n = ge_trace_annot_logs(a, &l);
  for (size_t i = 0; i < n; i++) {
    touch(ge_trace_annot_string(a, l[i].key));
    touch(ge_trace_annot_string(a, l[i].value));
    annot_stack(a, l[i].stack);
  }
  const ge_trace_alloc *al;
  n = ge_trace_annot_allocs(a, &al);
  for (size_t i = 0; i < n; i++) {
    ge_trace_frame fr[8];
    size_t k = ge_trace_annot_stack(a, al[i].stack, fr, 8);
    if (al[i].site < k && al[i].site < 8) touch(fr[al[i].site].func);
    if (al[i].in_region) touch(ge_trace_annot_string(a, al[i].region));
  }
  for (int by = GE_TRACE_BY_GOROUTINE; by <= GE_TRACE_BY_TASK; by++) {
    const ge_trace_growth *g;
    n = ge_trace_annot_growth(a, (ge_trace_by)by, &g);
    uint32_t name;
    for (size_t i = 0; i < n; i++) {
      touch(ge_trace_annot_string(a, g[i].name));
      if (ge_trace_annot_task_name(a, g[i].task, &name)) touch(ge_trace_annot_string(a, name));
    }
  }
  ge_trace_annot_free(a);
}

static void timeline(const ge_trace *t, int64_t from, int64_t to, size_t buckets) {
  ge_error err;
  ge_trace_timeline *tl;
  if (ge_trace_timeline_new(t, from, to, buckets, &tl, &err)) return;
  const int64_t *e;
  const ge_trace_tl_level *h, *g;
  const ge_trace_tl_gs *gs;
  size_t n = ge_trace_timeline_buckets(tl, &e, &h, &g, &gs);
  (void)(volatile int64_t)e[n];
  (void)(volatile uint64_t)h[n - 1].max;
  (void)(volatile int64_t)gs[n - 1].running_ns;
  size_t nn = ge_trace_timeline_names(tl);
  for (size_t i = 0; i < nn; i++) {
    touch(ge_trace_timeline_name(tl, i));
    const ge_trace_tl_span *s;
    size_t k = ge_trace_timeline_regions(tl, i, &s);
    if (k) (void)(volatile int64_t)s[k - 1].end;
  }
  const ge_trace_tl_span *l;
  size_t nl = ge_trace_timeline_logs(tl, &l);
  for (size_t i = 0; i < nl; i++)
    touch(ge_trace_timeline_text(tl, l[i].name)), touch(ge_trace_timeline_text(tl, l[i].value));
  ge_trace_timeline_free(tl);
}

/* Heap lifetimes: every row's name read; the regions as a heap map, asked
 * at each region's ends in time order. */
static void lifetimes(const ge_trace *t, const ge_trace_info *in) {
  ge_trace_lifetimes *l;
  ge_error err;
  if (ge_trace_lifetimes_new(t, &l, &err)) return;
  const ge_trace_lt_type *rows;
  size_t n = ge_trace_lifetimes_types(l, &rows);
  for (size_t i = 0; i < n; i++) touch(rows[i].name);
  const ge_heapmap_region *r;
  size_t nr = ge_trace_lifetimes_regions(l, &r);
  ge_trace_lt_totals tot;
  ge_trace_lifetimes_totals(l, &tot);
  ge_heapmap *m;
  ge_heapmap_cursor *c;
  if (tot.has_info &&
      !ge_heapmap_new(r, nr, in->start_ns, in->end_ns, tot.page_size, tot.fixed_stack, &m, &err)) {
    if (!ge_heapmap_cursor_new(m, &c, &err)) {
      unsigned f;
      for (size_t i = 0; i < nr && i < 4096; i++) {
        if (r[i].kind < GE_HEAPMAP_HEAP || r[i].kind > GE_HEAPMAP_MANUAL || r[i].hi <= r[i].lo) abort();
        int64_t at = r[i].from == INT64_MIN ? in->start_ns : r[i].from;
        ge_heapmap_kind k = ge_heapmap_cursor_at(c, r[i].lo, at, &f);
        if (k > GE_HEAPMAP_MANUAL) abort();
        (void)ge_heapmap_cursor_at(c, r[i].hi - 1, at, &f);
      }
      ge_heapmap_cursor_free(c);
    }
    ge_heapmap_free(m);
  }
  ge_trace_lifetimes_free(l);
}

static void pprof(const ge_trace *t, unsigned kind) {
  ge_error err;
  ge_profile *p;
  if (ge_trace_pprof(t, kind, 0, &p, &err)) return;
  unsigned char *buf;
  size_t n;
  if (!ge_profile_encode(p, 0, &buf, &n, &err)) free(buf);
  ge_profile_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  ge_error err;
  ge_trace *t;
  if (ge_trace_parse("fuzz", data, size, &lim, &t, &err)) return 0;
  ge_trace_info in;
  ge_trace_info_get(t, &in);
  walk(t, NULL);
  uint8_t types[GE_TRACE_NTYPES] = {0};
  for (size_t i = 16; i < size && i < 48; i++) types[data[i]] = 1;
  ge_trace_filter f = {0};
  f.types = types;
  f.g = size > 20 ? data[20] : 1;
  f.by_g = size & 1;
  f.from = in.start_ns + (in.end_ns - in.start_ns) / 3;
  f.to = in.end_ns - (in.end_ns - in.start_ns) / 3;
  f.by_from = f.by_to = 1;
  walk(t, &f);
  model(t);
  annot(t, 0);
  annot(t, 1);
  timeline(t, in.start_ns, in.end_ns, 1 + size % 97);
  timeline(t, f.from, f.to, 1 + (size > 21 ? data[21] : 3));
  lifetimes(t, &in);
  pprof(t, (unsigned)(size % 5));
  ge_trace_free(t);
  return 0;
}
