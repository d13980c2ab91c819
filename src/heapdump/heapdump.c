/* ge_heapdump: opening, freeing and the accessors of the model. A dump
 * file is read through a window (input.h), other input whole
 * (src/core/mapfile.h); records are read once, and what stays is
 * proportional to the objects, pointers and roots, not to the dump's
 * bytes. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/gzip.h"
#include "core/mapfile.h"
#include "input.h"
#include "internal.h"

static const char *const KINDS[GE_HD_NKINDS] = {
    "eof", "object", "other_root", "type", "goroutine", "stack_frame", "params", "finalizer",
    "itab", "os_thread", "memstats", "queued_finalizer", "data", "bss", "defer", "panic",
    "memprof", "alloc_sample"};

const char *ge_heapdump_kind_name(int kind) {
  return kind >= 0 && kind < GE_HD_NKINDS ? KINDS[kind] : NULL;
}

static const char *const ROOTS[GE_HD_ROOT_NKINDS] = {
    "data", "bss", "stack", "goroutine_context", "finalizer", "queued_finalizer", "other"};

const char *ge_heapdump_root_kind_name(int kind) {
  return kind >= 0 && kind < GE_HD_ROOT_NKINDS ? ROOTS[kind] : NULL;
}

static const char *const MEMSTATS[GE_HD_NMEMSTATS] = {
    "alloc", "total_alloc", "sys", "lookups", "mallocs", "frees", "heap_alloc",
    "heap_sys", "heap_idle", "heap_inuse", "heap_released", "heap_objects", "stack_inuse",
    "stack_sys", "mspan_inuse", "mspan_sys", "mcache_inuse", "mcache_sys", "buck_hash_sys",
    "gc_sys", "other_sys", "next_gc", "last_gc", "pause_total_ns", "num_gc"};

const char *ge_heapdump_memstats_name(int i) {
  return i >= 0 && i < GE_HD_NMEMSTATS ? MEMSTATS[i] : NULL;
}

void ge_heapdump_free(ge_heapdump *d) {
  if (!d) return;
  ge_arena_free(&d->strings);
  free(d->addr); free(d->size); free(d->first); free(d->raw); free(d->rawfield);
  free(d->edge); free(d->field); free(d->page);
  GE_VEC_FREE(d->roots); GE_VEC_FREE(d->gs); GE_VEC_FREE(d->frames);
  GE_VEC_FREE(d->buckets); GE_VEC_FREE(d->sites); GE_VEC_FREE(d->samples);
  free(d->retained); free(d->idom);
  free(d->bfs_parent); free(d->bfs_via); free(d->bfs_depth);
  free(d);
}

static ge_err load_in(const char *name, hd_in *in, const ge_limits *lim, ge_heapdump **out,
                      ge_error *err) {
  ge_heapdump *d = calloc(1, sizeof *d);
  if (!d) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
  if (lim) d->lim = *lim;
  else ge_limits_default(&d->lim);
  ge_arena_init(&d->strings, 64 * 1024);
  ge_err e = hd_read(d, name, in, err);
  if (!e) e = hd_build(d, name, err);
  if (e) {
    ge_heapdump_free(d);
    return e;
  }
  *out = d;
  return GE_OK;
}

static ge_err load_plain(const char *name, const unsigned char *data, size_t len,
                         const ge_limits *lim, ge_heapdump **out, ge_error *err) {
  hd_in in;
  hd_in_mem(&in, data, len);
  return load_in(name, &in, lim, out, err);
}

/* A dump may come gzipped (they compress ten to one): it is inflated whole,
 * bounded by max_inflated_bytes, and freed once read. */
static ge_err load(const char *name, const unsigned char *data, size_t len, const ge_limits *lim,
                   ge_heapdump **out, ge_error *err) {
  *out = NULL;
  if (!ge_is_gzip(data, len)) return load_plain(name, data, len, lim, out, err);
  ge_limits def;
  if (!lim) {
    ge_limits_default(&def);
    lim = &def;
  }
  unsigned char *raw;
  size_t n;
  ge_err e = ge_gunzip(data, len, lim->max_inflated_bytes, &raw, &n, err);
  if (e) {
    ge_error_prefix(err, name);
    return e;
  }
  e = load_plain(name, raw, n, lim, out, err);
  free(raw);
  return e;
}

ge_err ge_heapdump_parse(const char *name, const void *data, size_t len, const ge_limits *lim,
                         ge_heapdump **out, ge_error *err) {
  return load(name ? name : "<string>", data, len, lim, out, err);
}

/* A regular file that is not gzip is read through a window (input.h): the
 * dump's bytes are never all in memory. Anything else (stdin, a pipe, gzip)
 * is read whole first. */
ge_err ge_heapdump_open(const char *path, const ge_limits *lim, ge_heapdump **out,
                        ge_error *err) {
  *out = NULL;
  unsigned char head[2];
  if (strcmp(path, "-") != 0 && ge_read_head(path, head, sizeof head) == sizeof head &&
      !ge_is_gzip(head, sizeof head)) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      hd_in in;
      ge_err e = hd_in_file(&in, fd, (uint64_t)st.st_size)
                     ? ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", path)
                     : load_in(path, &in, lim, out, err);
      hd_in_free(&in);
      close(fd);
      return e;
    }
    if (fd >= 0) close(fd);
  }
  ge_map m;
  ge_err e = ge_map_open_whole(path, &m, lim, err);
  if (e) return e;
  e = load(path, m.data, m.size, lim, out, err);
  ge_map_close(&m);
  return e;
}

void ge_heapdump_info_get(const ge_heapdump *d, ge_heapdump_info *out) { *out = d->info; }

int ge_heapdump_object_get(const ge_heapdump *d, size_t i, ge_heapdump_object *out) {
  if (i >= d->nobj) return 0;
  out->addr = d->addr[i];
  out->size = d->size[i];
  out->first_edge = d->first[i];
  out->nedges = d->first[i + 1] - d->first[i];
  return 1;
}

int64_t ge_heapdump_find(const ge_heapdump *d, uint64_t addr) { return hd_find(d, addr); }

void ge_heapdump_edge(const ge_heapdump *d, uint64_t e, uint32_t *target, uint64_t *field) {
  *target = d->edge[e];
  *field = d->field[e];
}

size_t ge_heapdump_nroots(const ge_heapdump *d) { return d->roots.n; }

void ge_heapdump_root_get(const ge_heapdump *d, size_t i, ge_heapdump_root *out) {
  const hd_root *r = &d->roots.v[i];
  out->kind = r->kind;
  out->target = r->target;
  out->slot = r->slot;
  out->pointer = r->ptr;
  out->offset = r->offset;
  out->frame = r->frame;
  out->goroutine = r->goroutine;
  out->name = r->name;
  out->nafter = r->nafter;
  out->after[0] = r->after[0];
  out->after[1] = r->after[1];
}

size_t ge_heapdump_ngoroutines(const ge_heapdump *d) { return d->gs.n; }

void ge_heapdump_goroutine_get(const ge_heapdump *d, size_t i, ge_heapdump_goroutine *out) {
  *out = d->gs.v[i];
}

void ge_heapdump_frame_get(const ge_heapdump *d, size_t i, ge_heapdump_frame *out) {
  *out = d->frames.v[i];
}

static const hd_memprof *bucket(const ge_heapdump *d, uint64_t addr) {
  /* Buckets are few next to objects: a scan per question is enough. */
  for (size_t i = 0; i < d->buckets.n; i++)
    if (d->buckets.v[i].addr == addr) return &d->buckets.v[i];
  return NULL;
}

int ge_heapdump_alloc_site(const ge_heapdump *d, uint32_t obj, const ge_heapdump_site **frames,
                           size_t *n) {
  if (obj >= d->nobj) return 0;
  uint64_t a = d->addr[obj];
  size_t lo = 0, hi = d->samples.n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->samples.v[mid].obj < a) lo = mid + 1;
    else hi = mid;
  }
  if (lo == d->samples.n || d->samples.v[lo].obj != a) return 0;
  const hd_memprof *b = bucket(d, d->samples.v[lo].bucket);
  if (!b || b->nsites == 0 || b->first_site + b->nsites > d->sites.n) return 0;
  *frames = d->sites.v + b->first_site;
  *n = b->nsites;
  return 1;
}

ge_err ge_heapdump_analyze(ge_heapdump *d, ge_error *err) {
  if (d->analyzed) return GE_OK;
  ge_err e = hd_dominators(d, err);
  if (!e) e = hd_bfs(d, err);
  if (!e) d->analyzed = 1;
  return e;
}

void ge_heapdump_retention_get(const ge_heapdump *d, uint32_t obj, ge_heapdump_retention *out) {
  uint32_t id = d->analyzed && obj < d->nobj ? d->idom[obj] : HD_UNREACHED;
  out->retained = id == HD_UNREACHED ? 0 : d->retained[obj];
  out->idom = id == HD_UNREACHED ? -2 : id == HD_SUPER ? -1 : (int64_t)id;
  out->depth = id == HD_UNREACHED ? UINT32_MAX : d->bfs_depth[obj];
}

uint64_t ge_heapdump_reachable(const ge_heapdump *d, uint64_t *bytes) {
  *bytes = d->reachable_bytes;
  return d->reachable;
}
