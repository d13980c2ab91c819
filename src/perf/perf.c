/* ge_perf: opening an input, and the accessors of what was read. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goescape/perf.h"
#include "internal.h"

uint32_t ge_perf_str(ge_perf *p, const char *s, size_t n) { return ge_intern_add(&p->strs, s, n); }

uint32_t ge_perf_dso_index(ge_perf *p, uint32_t id) {
  if (id >= p->dso_of.n) {
    size_t need = id + 1 - p->dso_of.n;
    if (ge_vec_reserve((void **)&p->dso_of.v, &p->dso_of.cap, p->dso_of.n, need, sizeof(uint32_t)))
      return UINT32_MAX;
    memset(p->dso_of.v + p->dso_of.n, 0, need * sizeof(uint32_t));
    p->dso_of.n += need;
  }
  if (p->dso_of.v[id]) return p->dso_of.v[id] - 1;
  uint32_t *i = GE_VEC_PUSH_SLOT(p->dso_ids);
  pf_dso *d = GE_VEC_PUSH_SLOT(p->dsos);
  if (!i || !d) return UINT32_MAX;
  *i = id;
  memset(d, 0, sizeof *d);
  p->dso_of.v[id] = (uint32_t)p->dsos.n;
  return (uint32_t)p->dsos.n - 1;
}

static ge_err make(const char *name, const ge_limits *lim, unsigned flags, const ge_heapmap *heap,
                   ge_perf **out, ge_error *err) {
  *out = NULL;
  ge_perf *p = calloc(1, sizeof *p);
  if (!p) return ge_fail(err, GE_ERR_NOMEM, "perf: out of memory");
  if (heap && ge_heapmap_cursor_new(heap, &p->heap, err)) {
    free(p);
    return err->code;
  }
  if (lim) p->lim = *lim;
  else ge_limits_default(&p->lim);
  ge_intern_init(&p->strs);
  uint32_t nm = ge_perf_str(p, name, strlen(name));
  p->unknown_id = ge_perf_str(p, "[unknown]", 9);
  p->pending_block = UINT32_MAX;
  p->flags = flags;
  if (nm == UINT32_MAX || p->unknown_id == UINT32_MAX) {
    ge_perf_free(p);
    return ge_fail(err, GE_ERR_NOMEM, "perf: out of memory");
  }
  p->name = ge_intern_get(&p->strs, nm)->ptr; /* interned strings end in NUL */
  *out = p;
  return GE_OK;
}

static ge_err finish(ge_perf *p, ge_err e, ge_perf **out) {
  /* what only reading needs: the cursor's maps, the blocks' chains */
  ge_heapmap_cursor_free(p->heap);
  p->heap = NULL;
  GE_VEC_FREE(p->bchains);
  if (e) {
    ge_perf_free(p);
    *out = NULL;
  } else {
    *out = p;
  }
  return e;
}

ge_err ge_perf_open_mem(const void *data, size_t len, const char *name, const ge_limits *lim,
                        unsigned flags, const ge_heapmap *heap, ge_perf **out, ge_error *err) {
  ge_perf *p;
  ge_err e = make(name ? name : "<string>", lim, flags, heap, &p, err);
  if (e) return e;
  size_t used;
  pf_scan sc = {.max_line_bytes = p->lim.max_line_bytes};
  pf_hints h = {0};
  e = pf_scan_chunk(&sc, data, len, 1, &h) ? ge_fail(err, GE_ERR_NOMEM, "perf: out of memory")
                                           : ge_perf_read(p, data, len, 1, &h, &used, err);
  pf_scan_free(&sc);
  GE_VEC_FREE(h);
  return finish(p, e, out);
}

ge_err ge_perf_open(const char *path, const ge_limits *lim, unsigned flags, const ge_heapmap *heap,
                    ge_perf **out, ge_error *err) {
  ge_perf *p;
  int std = strcmp(path, "-") == 0;
  ge_err e = make(std ? "<stdin>" : path, lim, flags, heap, &p, err);
  if (e) return e;
  int fd = std ? 0 : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return finish(p, ge_fail(err, GE_ERR_IO, "%s: %s", path, strerror(errno)), out);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (!std) close(fd);
    return finish(p, ge_fail(err, GE_ERR_IO, "%s: is a directory", path), out);
  }
  e = ge_perf_feed(p, fd, fstat(fd, &st) != 0 || !S_ISREG(st.st_mode), err);
  if (!std) close(fd);
  return finish(p, e, out);
}

void ge_perf_free(ge_perf *p) {
  if (!p) return;
  ge_intern_free(&p->strs);
  free(p->samples.v);
  free(p->frames.v);
  free(p->events.v);
  free(p->dso_ids.v);
  free(p->dsos.v);
  free(p->dso_of.v);
  free(p->gos.v);
  free(p->chains.v);
  ge_hashidx_free(&p->chain_ix);
  free(p->bchains.v);
  ge_hashidx_free(&p->sample_ix);
  ge_heapmap_cursor_free(p->heap);
  free(p);
}

void ge_perf_info_get(const ge_perf *p, ge_perf_info *out) {
  memset(out, 0, sizeof *out);
  out->lines = p->lines;
  out->samples = p->samples_read;
  out->records = p->samples.n;
  out->aggregated = (p->flags & GE_PERF_AGGREGATE) != 0;
  out->frames = p->frames_read;
  out->nevents = p->events.n;
  out->ndsos = p->dsos.n;
  out->has_callchain = p->has_callchain;
  out->chain_form = p->chain_form;
  out->ip_form = p->ip_form;
  out->bin_frames = p->bin_frames;
  out->bin_resolved = p->bin_resolved;
  out->bin_samples = p->bin_samples;
  out->bin_samples_resolved = p->bin_samples_resolved;
  out->heap = p->heap_stats;
}

ge_err ge_perf_event_get(const ge_perf *p, size_t i, ge_perf_event *out) {
  if (i >= p->events.n) return GE_ERR_ARG;
  const pf_event *e = &p->events.v[i];
  out->name = ge_perf_sv(p, e->name);
  out->samples = e->samples;
  out->period = e->period;
  out->has_addr = !!(e->flags & GE_PERF_HAS_ADDR);
  out->has_data_src = !!(e->flags & GE_PERF_HAS_DATA_SRC);
  out->has_weight = !!(e->flags & GE_PERF_HAS_WEIGHT);
  return GE_OK;
}

ge_err ge_perf_dso_get(const ge_perf *p, size_t i, ge_perf_dso *out) {
  if (i >= p->dsos.n) return GE_ERR_ARG;
  out->name = ge_perf_sv(p, p->dso_ids.v[i]);
  out->frames = p->dsos.v[i].frames;
  out->samples = p->dsos.v[i].samples;
  return GE_OK;
}

ge_err ge_perf_sample_get(const ge_perf *p, size_t i, ge_perf_sample *out) {
  if (i >= p->samples.n) return GE_ERR_ARG;
  const pf_sample *s = &p->samples.v[i];
  out->comm = ge_perf_sv(p, s->comm);
  out->event = s->event;
  out->pid = s->pid, out->tid = s->tid, out->cpu = s->cpu;
  out->flags = s->flags;
  out->time_ns = s->time_ns, out->period = s->period;
  out->addr = s->addr, out->data_src = s->data_src, out->weight = s->weight;
  out->addr_sym = ge_perf_sv(p, s->addr_sym);
  out->addr_dso = ge_perf_sv(p, s->addr_dso);
  out->addr_off = s->addr_off;
  out->trace = ge_perf_sv(p, s->trace);
  out->first_frame = (size_t)s->first_frame;
  out->count = s->count;
  out->nframes = s->nframes;
  out->data_class = (ge_perf_data_class)s->dclass;
  return GE_OK;
}

ge_err ge_perf_frame_get(const ge_perf *p, size_t i, ge_perf_frame *out) {
  if (i >= p->frames.n) return GE_ERR_ARG;
  const pf_frame *f = &p->frames.v[i];
  out->ip = f->ip;
  out->symoff = f->off;
  out->sym = ge_perf_sv(p, f->sym);
  out->dso = ge_perf_sv(p, f->dso);
  out->from_chain = !!(f->flags & PF_CHAIN);
  out->inlined = !!(f->flags & PF_INLINED);
  out->vaddr = f->vaddr;
  out->first_go = f->first_go;
  out->ngo = f->ngo;
  return GE_OK;
}

ge_err ge_perf_goframe_get(const ge_perf *p, size_t i, ge_perf_goframe *out) {
  if (i >= p->gos.n) return GE_ERR_ARG;
  const pf_go *g = &p->gos.v[i];
  out->func = ge_perf_sv(p, g->func);
  out->file = ge_perf_sv(p, g->file);
  out->line = g->line;
  out->inlined = g->inlined;
  return GE_OK;
}

const char *ge_perf_data_class_name(ge_perf_data_class c) {
  static const char *const names[] = {"none",  "heap",  "global",          "stack",
                                      "c_heap", "other", "goroutine_stack", "off_heap"};
  return (unsigned)c < sizeof names / sizeof *names ? names[c] : "other";
}
