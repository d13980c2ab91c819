/* The records of a heap dump, read front to back (Go 1.7 to 1.27 write the
 * same format: src/runtime/heapdump.go, and the Go wiki's heapdump15-17).
 * Every value is an unsigned varint; a string is a varint length and its
 * bytes; a bool is a varint 0 or 1; a field list is (kind, offset) pairs
 * ending in kind 0. Pointer-sized words inside object, segment and frame
 * contents are read at their fields' offsets, in the byte order and width
 * the params record gives (little-endian 8 bytes until it is read). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/varint.h"
#include "input.h"
#include "internal.h"

static const char HEADER[] = "go1.7 heap dump\n";

typedef struct rd {
  ge_heapdump *d;
  const char *name;
  hd_in *in;
  ge_error *err;
} rd;

static ge_err fail_at(rd *r, uint64_t at, ge_err code, const char *what) {
  return ge_fail(r->err, code, "%s: offset %llu: %s", r->name, (unsigned long long)at, what);
}

static ge_err nomem(rd *r) { return ge_fail(r->err, GE_ERR_NOMEM, "%s: out of memory", r->name); }

static ge_err uv(rd *r, uint64_t *v) {
  hd_in *in = r->in;
  int64_t avail = hd_in_fill(in, 10);
  if (avail < 0) return nomem(r);
  const uint8_t *p = in->win + in->pos, *end = p + avail;
  if (ge_uvarint(&p, end, v)) {
    in->pos = (size_t)(p - in->win);
    return GE_OK;
  }
  return fail_at(r, hd_in_off(in), GE_ERR_FORMAT, avail < 10 ? "truncated: a value expected" : "bad varint");
}

/* A memory range: its length, and its offset in the input (its bytes are
 * read later, only at pointer fields). */
static ge_err range(rd *r, uint64_t *off, uint64_t *n) {
  ge_err e = uv(r, n);
  if (e) return e;
  if (*n > hd_in_left(r->in))
    return fail_at(r, hd_in_off(r->in), GE_ERR_FORMAT, "truncated: a byte range runs past the end");
  *off = hd_in_off(r->in);
  hd_in_skip(r->in, *n);
  return GE_OK;
}

static ge_err str(rd *r, ge_strview *s) {
  uint64_t n;
  ge_err e = uv(r, &n);
  if (e) return e;
  hd_in *in = r->in;
  if (n > hd_in_left(in))
    return fail_at(r, hd_in_off(in), GE_ERR_FORMAT, "truncated: a string runs past the end");
  int64_t avail = hd_in_fill(in, (size_t)n);
  if (avail < 0) return nomem(r);
  if ((uint64_t)avail < n) return fail_at(r, hd_in_off(in), GE_ERR_IO, "read error");
  s->ptr = n ? ge_arena_strndup(&r->d->strings, (const char *)in->win + in->pos, (size_t)n) : NULL;
  s->len = (size_t)n;
  in->pos += (size_t)n;
  if (n && !s->ptr) return nomem(r);
  return GE_OK;
}

#define U(v) do { ge_err e_ = uv(r, &(v)); if (e_) return e_; } while (0)
#define SKIP(n) do { uint64_t s_; for (int k_ = 0; k_ < (n); k_++) U(s_); } while (0)

/* Calls out(r, ctx, offset, pointer) for each non-nil pointer field of a
 * field list over the contents at input offset base (n bytes). An
 * interface field (kinds 2 and 3, written by Go 1.4's format) holds two
 * words, both pointers. Words are read in the params' width and order. */
typedef ge_err (*field_fn)(rd *r, void *ctx, uint64_t off, uint64_t ptr);

static ge_err fields(rd *r, uint64_t base, uint64_t n, field_fn out, void *ctx) {
  const ge_heapdump_info *in = &r->d->info;
  uint32_t w = in->ptr_size;
  for (;;) {
    uint64_t at = hd_in_off(r->in);
    uint64_t kind, off;
    U(kind);
    if (kind == 0) return GE_OK;
    if (kind > 3) return fail_at(r, at, GE_ERR_FORMAT, "unknown field kind");
    U(off);
    uint64_t words = kind == 1 ? 1 : 2;
    if (off > n || n - off < words * w)
      return fail_at(r, at, GE_ERR_FORMAT, "field offset past its contents");
    for (uint64_t k = 0; k < words; k++) {
      const unsigned char *m = hd_in_at(r->in, base + off + k * w, w);
      if (!m) return fail_at(r, base + off + k * w, GE_ERR_IO, "read error");
      uint64_t ptr = 0;
      for (uint32_t i = 0; i < w; i++)
        ptr |= (uint64_t)m[i] << (in->big_endian ? 8 * (w - 1 - i) : 8 * i);
      if (!ptr) continue;
      ge_err e = out(r, ctx, off + k * w, ptr);
      if (e) return e;
    }
  }
}

static ge_err limit(rd *r, const char *what) {
  return ge_fail(r->err, GE_ERR_LIMIT, "%s: offset %zu: more than %llu %s (limit max_records = %llu)",
                 r->name, (size_t)hd_in_off(r->in), (unsigned long long)r->d->lim.max_records,
                 what, (unsigned long long)r->d->lim.max_records);
}

static ge_err obj_field(rd *r, void *ctx, uint64_t off, uint64_t ptr) {
  (void)ctx;
  ge_heapdump *d = r->d;
  if (d->nraw >= d->lim.max_records) return limit(r, "pointers");
  if (ge_vec_reserve((void **)&d->raw, &d->rawcap, d->nraw, 1, sizeof *d->raw) ||
      ge_vec_reserve((void **)&d->rawfield, &d->rawfieldcap, d->nraw, 1, sizeof *d->rawfield))
    return nomem(r);
  d->raw[d->nraw] = ptr;
  d->rawfield[d->nraw++] = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
  return GE_OK;
}

/* The three per-object arrays share one capacity (first holds one more). */
static int grow_objects(ge_heapdump *d) {
  if (d->nobj + 2 <= d->objcap) return 0;
  size_t ncap = d->objcap ? d->objcap * 2 : 1024;
  uint64_t *a = realloc(d->addr, ncap * sizeof *a);
  if (a) d->addr = a;
  uint64_t *s = a ? realloc(d->size, ncap * sizeof *s) : NULL;
  if (s) d->size = s;
  uint64_t *f = s ? realloc(d->first, ncap * sizeof *f) : NULL;
  if (!f) return -1;
  d->first = f;
  d->objcap = ncap;
  return 0;
}

static ge_err object(rd *r) {
  ge_heapdump *d = r->d;
  uint64_t addr, n, base;
  U(addr);
  ge_err e = range(r, &base, &n);
  if (e) return e;
  if (d->nobj >= d->lim.max_records) return limit(r, "objects");
  if (grow_objects(d)) return nomem(r);
  d->addr[d->nobj] = addr;
  d->size[d->nobj] = n;
  d->first[d->nobj] = d->nraw;
  d->nobj++;
  d->info.heap_bytes += n;
  e = fields(r, base, n, obj_field, NULL);
  d->first[d->nobj] = d->nraw;
  return e;
}

typedef struct root_ctx {
  uint8_t kind;
  uint64_t base;
  int64_t frame, goroutine;
  uint64_t in_base, n; /* the contents' input offset and length */
} root_ctx;

static ge_err add_root(rd *r, const hd_root *proto) {
  ge_heapdump *d = r->d;
  if (d->roots.n >= d->lim.max_records) return limit(r, "roots");
  hd_root *s = GE_VEC_PUSH_SLOT(d->roots);
  if (!s) return nomem(r);
  *s = *proto;
  return GE_OK;
}

static ge_err root_field(rd *r, void *ctx, uint64_t off, uint64_t ptr) {
  const root_ctx *c = ctx;
  hd_root x = {ptr, c->base + off, off, c->frame, c->goroutine, {NULL, 0}, 0, c->kind, 0, {0, 0}};
  /* A slice's or string's header goes on past its pointer: keep the next
   * words the contents hold, for the analyses that know the slot's type. */
  uint32_t w = r->d->info.ptr_size;
  for (; x.nafter < 2 && off + (x.nafter + 2u) * (uint64_t)w <= c->n; x.nafter++) {
    const unsigned char *m = hd_in_at(r->in, c->in_base + off + (x.nafter + 1u) * (uint64_t)w, w);
    if (!m) return fail_at(r, c->in_base + off, GE_ERR_IO, "read error");
    for (uint32_t i = 0; i < w; i++)
      x.after[x.nafter] |= (uint64_t)m[i] << (r->d->info.big_endian ? 8 * (w - 1 - i) : 8 * i);
  }
  return add_root(r, &x);
}

static ge_err segment(rd *r, int kind) {
  uint64_t addr, n, base;
  U(addr);
  ge_err e = range(r, &base, &n);
  if (e) return e;
  if (kind == GE_HD_ROOT_DATA) {
    r->d->info.data_addr = addr;
    r->d->info.data_size = n;
  } else {
    r->d->info.bss_addr = addr;
    r->d->info.bss_size = n;
  }
  root_ctx c = {(uint8_t)kind, addr, -1, -1, base, n};
  return fields(r, base, n, root_field, &c);
}

static ge_err goroutine(rd *r) {
  ge_heapdump *d = r->d;
  ge_heapdump_goroutine g;
  memset(&g, 0, sizeof g);
  uint64_t sys, bg;
  U(g.addr); U(g.sp); U(g.id); U(g.gopc); U(g.status); U(sys); U(bg); U(g.waitsince);
  ge_err e = str(r, &g.wait_reason);
  if (e) return e;
  U(g.ctxt); U(g.m); U(g.defer); U(g.panic);
  g.system = sys != 0;
  g.first_frame = d->frames.n;
  ge_heapdump_goroutine *s = GE_VEC_PUSH_SLOT(d->gs);
  if (!s) return nomem(r);
  *s = g;
  if (g.ctxt) {
    hd_root x = {g.ctxt, g.ctxt, 0, -1, (int64_t)d->gs.n - 1, {NULL, 0}, 0, GE_HD_ROOT_CTXT, 0, {0, 0}};
    return add_root(r, &x);
  }
  return GE_OK;
}

static ge_err frame(rd *r) {
  ge_heapdump *d = r->d;
  ge_heapdump_frame f;
  uint64_t base;
  U(f.sp); U(f.depth); U(f.child_sp);
  ge_err e = range(r, &base, &f.size);
  if (e) return e;
  U(f.entry); U(f.pc); U(f.continpc);
  if ((e = str(r, &f.func))) return e;
  /* A goroutine's frames follow its record, innermost first. */
  f.goroutine = d->gs.n ? (int64_t)d->gs.n - 1 : -1;
  if (d->gs.n) d->gs.v[d->gs.n - 1].nframes++;
  ge_heapdump_frame *s = GE_VEC_PUSH_SLOT(d->frames);
  if (!s) return nomem(r);
  *s = f;
  root_ctx c = {GE_HD_ROOT_STACK, f.sp, (int64_t)d->frames.n - 1, f.goroutine, base, f.size};
  return fields(r, base, f.size, root_field, &c);
}

static ge_err finalizer(rd *r, int kind) {
  uint64_t obj, fn;
  U(obj); U(fn);
  SKIP(3); /* fn.fn, fint, ot: code and types, not heap */
  hd_root x = {obj, obj, 0, -1, -1, {NULL, 0}, 0, (uint8_t)kind, 0, {0, 0}};
  ge_err e = obj ? add_root(r, &x) : GE_OK;
  if (e || !fn) return e;
  x.ptr = x.slot = fn;
  return add_root(r, &x);
}

static ge_err params(rd *r) {
  ge_heapdump_info *in = &r->d->info;
  uint64_t at = hd_in_off(r->in);
  uint64_t be, ps;
  U(be); U(ps);
  if (ps != 4 && ps != 8) return fail_at(r, at, GE_ERR_FORMAT, "pointer size is neither 4 nor 8");
  in->big_endian = be != 0;
  in->ptr_size = (uint32_t)ps;
  U(in->arena_start); U(in->arena_end);
  ge_err e = str(r, &in->goarch);
  if (!e) e = str(r, &in->go_version);
  if (e) return e;
  U(in->ncpu);
  return GE_OK;
}

static ge_err memstats(rd *r) {
  ge_heapdump_info *in = &r->d->info;
  for (int i = 0; i < GE_HD_NMEMSTATS - 1; i++) U(in->memstats[i]);
  SKIP(256); /* PauseNs */
  U(in->memstats[GE_HD_NMEMSTATS - 1]);
  in->has_memstats = 1;
  return GE_OK;
}

static ge_err memprof(rd *r) {
  ge_heapdump *d = r->d;
  hd_memprof b;
  uint64_t nstk;
  U(b.addr); U(b.size); U(nstk);
  b.first_site = d->sites.n;
  b.nsites = 0;
  for (uint64_t i = 0; i < nstk; i++) {
    if (d->sites.n >= d->lim.max_records) return limit(r, "profile frames");
    ge_heapdump_site s;
    ge_err e = str(r, &s.func);
    if (!e) e = str(r, &s.file);
    if (e) return e;
    U(s.line);
    ge_heapdump_site *slot = GE_VEC_PUSH_SLOT(d->sites);
    if (!slot) return nomem(r);
    *slot = s;
    b.nsites++;
  }
  U(b.allocs); U(b.frees);
  hd_memprof *slot = GE_VEC_PUSH_SLOT(d->buckets);
  if (!slot) return nomem(r);
  *slot = b;
  return GE_OK;
}

static ge_err record(rd *r, uint64_t kind) {
  ge_heapdump *d = r->d;
  switch (kind) {
  case GE_HD_OBJECT: return object(r);
  case GE_HD_OTHERROOT: {
    hd_root x = {0, 0, 0, -1, -1, {NULL, 0}, 0, GE_HD_ROOT_OTHER, 0, {0, 0}};
    ge_err e = str(r, &x.name);
    if (e) return e;
    U(x.ptr);
    x.slot = x.ptr;
    return x.ptr ? add_root(r, &x) : GE_OK;
  }
  case GE_HD_TYPE: {
    ge_strview s;
    SKIP(2); /* address, size */
    ge_err e = str(r, &s);
    if (e) return e;
    SKIP(1); /* stored indirectly in an interface */
    return GE_OK;
  }
  case GE_HD_GOROUTINE: return goroutine(r);
  case GE_HD_FRAME: return frame(r);
  case GE_HD_PARAMS: return params(r);
  case GE_HD_FINALIZER: return finalizer(r, GE_HD_ROOT_FINALIZER);
  case GE_HD_QFINALIZER: return finalizer(r, GE_HD_ROOT_QFINALIZER);
  case GE_HD_ITAB: SKIP(2); return GE_OK;
  case GE_HD_OSTHREAD: SKIP(3); return GE_OK;
  case GE_HD_MEMSTATS: return memstats(r);
  case GE_HD_DATA: return segment(r, GE_HD_ROOT_DATA);
  case GE_HD_BSS: return segment(r, GE_HD_ROOT_BSS);
  case GE_HD_DEFER: SKIP(7); return GE_OK;
  case GE_HD_PANIC: SKIP(6); return GE_OK;
  case GE_HD_MEMPROF: return memprof(r);
  case GE_HD_ALLOCSAMPLE: {
    hd_sample s;
    U(s.obj); U(s.bucket);
    if (d->samples.n >= d->lim.max_records) return limit(r, "alloc samples");
    hd_sample *slot = GE_VEC_PUSH_SLOT(d->samples);
    if (!slot) return nomem(r);
    *slot = s;
    return GE_OK;
  }
  default: return GE_OK;
  }
}

ge_err hd_read(ge_heapdump *d, const char *name, hd_in *in, ge_error *err) {
  rd r = {d, name, in, err};
  size_t hl = sizeof HEADER - 1;
  int64_t got = hd_in_fill(in, hl);
  if (got < 0) return nomem(&r);
  if ((size_t)got < hl || memcmp(in->win + in->pos, HEADER, hl) != 0)
    return ge_fail(err, GE_ERR_FORMAT, "%s: offset 0: not a Go heap dump (no \"go1.7 heap dump\" header)",
                   name);
  in->pos += hl;
  d->info.ptr_size = 8;
  for (;;) {
    uint64_t at = hd_in_off(in);
    uint64_t kind;
    if (hd_in_left(in) == 0) return fail_at(&r, at, GE_ERR_FORMAT, "truncated: no EOF record");
    ge_err e = uv(&r, &kind);
    if (e) return e;
    if (kind >= GE_HD_NKINDS) return fail_at(&r, at, GE_ERR_FORMAT, "unknown record kind");
    d->info.records[kind]++;
    if (kind == GE_HD_EOF) return GE_OK;
    if ((e = record(&r, kind))) return e;
  }
}
