/* Heap object lifetimes from the AllocFree experiment (Go 1.23+ with
 * GODEBUG=traceallocfree=1; writer: runtime/traceallocfree.go and
 * tracetype.go).
 *
 * Objects are named by an id, (address - minPageHeapAddr) / minHeapAlign,
 * so within one trace an id is one address and the ids key the live table
 * exactly (the info batch that gives the base is written only in the first
 * generation; a flight recorder's capture lacks it, and ids still match).
 * Types are per generation ids into that generation's type table (an
 * experimental batch written at its end); across generations a type is its
 * address in the program, so rows are keyed by that.
 *
 * The sweeper frees a slot at its base, and allocations are named by the
 * address mallocgc returns, which is not always the slot's base: the tiny
 * allocator packs objects without pointers under 16 bytes into one 16-byte
 * slot (each gets an event at its own address: several share an id,
 * offsets 8..15 the next id), and a slot over 512 bytes of an object with
 * pointers starts with an 8-byte malloc header. The spans (afspans.c) tell
 * which slot a free's address is: a free takes the objects of its id and
 * those of the ids its slot holds past the base. Bytes are the slot's
 * (a tiny object: its type's size), since a slice's backing array is
 * recorded with its element type.
 *
 * GC cycles survived: the sweeper frees what cycle k found dead before
 * cycle k+1 begins, and objects allocated during a mark phase are kept by
 * it; so an object allocated after c GCBegin events and freed after f of
 * them lived through f - c - 1 cycles that kept it. */
#include <string.h>

#include "core/error.h"
#include "core/vec.h"
#include "goescape/trace_allocfree.h"
#include "trace/afregions.h"
#include "trace/afspans.h"
#include "trace/internal.h"

enum {
  EV_GCBEGIN_ = 29, EV_SPAN = 128, EV_SPANALLOC, EV_SPANFREE, EV_HEAPOBJ, EV_HEAPOBJALLOC,
  EV_HEAPOBJFREE, EV_GSTACK, EV_GSTACKALLOC, EV_GSTACKFREE
};
#define EXP_ALLOCFREE 1 /* tracev2.AllocFree */
#define AF_TYPES 0      /* traceAllocFreeTypesBatch */
#define AF_INFO 1       /* traceAllocFreeInfoBatch */
#define TINY_SLOT 16    /* the runtime's maxTinySize */
#define HEADER_MIN 512  /* slots above this hold a malloc header (gc.MinSizeForMallocHeader) */
#define HEADER 8        /* gc.MallocHeaderSize */
#define EXISTING UINT32_MAX
/* Lifetime histogram: values 0..7 exact, then 8 buckets per power of two
 * (a bucket's middle is within 1/16 of any value in it). */
#define SUB 8
#define NBUCKETS (SUB + 60 * SUB)

typedef struct obj {
  uint64_t id;
  uint64_t bytes; /* its slot's (a tiny object: its type's size) */
  int64_t time;
  uint32_t type;
  uint32_t cycle; /* GCBegins before its allocation; EXISTING: in the snapshot */
} obj;

typedef struct atype {
  ge_trace_lt_type row;
  size_t name_off;
  uint32_t hist; /* index of its histogram, UINT32_MAX until a lifetime */
} atype;

struct ge_trace_lifetimes {
  const ge_trace *t;
  ge_error *err;
  atype *types;
  size_t ntypes, captypes;
  ge_trace_lt_type *rows;
  char *names;
  size_t nnames, capnames;
  uint64_t *hists;
  size_t nhists, caphists; /* in uint64s */
  ge_tr_map byaddr, bygen; /* type address -> index; this generation's type id -> index */
  obj *objs;
  size_t nobjs, capobjs;
  ge_hashidx live;
  ge_afspans spans;
  ge_afregions regions;
  uint64_t cycles;
  ge_trace_lt_totals tot;
  unsigned char *buf;
  size_t cap;
};

static int nomem(ge_trace_lifetimes *l) {
  return ge_fail(l->err, GE_ERR_NOMEM, "%s: out of memory", l->t->name);
}

static uint32_t obj_hash(const void *ctx, uint32_t i) {
  return ge_tr_hash(((const obj *)ctx)[i].id);
}

/* The row of type address addr, made with these fields when new. */
static uint32_t type_of(ge_trace_lifetimes *l, uint64_t addr, uint64_t size, uint64_t ptr,
                        const unsigned char *name, size_t n) {
  uint32_t i = ge_tr_map_get(&l->byaddr, addr);
  if (i != UINT32_MAX) return i;
  if (ge_vec_reserve((void **)&l->types, &l->captypes, l->ntypes, 1, sizeof *l->types) ||
      ge_vec_reserve((void **)&l->names, &l->capnames, l->nnames, n, 1))
    return UINT32_MAX;
  i = (uint32_t)l->ntypes;
  if (ge_tr_map_put(&l->byaddr, addr, i) == UINT32_MAX) return UINT32_MAX;
  atype *a = &l->types[l->ntypes++];
  memset(a, 0, sizeof *a);
  a->row.addr = addr;
  a->row.size = size;
  a->row.ptr_bytes = ptr;
  a->row.name.len = n;
  a->name_off = l->nnames;
  a->hist = UINT32_MAX;
  if (n) memcpy(l->names + l->nnames, name, n);
  l->nnames += n;
  return i;
}

static int bad(ge_trace_lifetimes *l, uint64_t gen, uint64_t off, const char *why) {
  return ge_fail(l->err, GE_ERR_FORMAT, "%s: byte %llu: generation %llu: AllocFree %s",
                 l->t->name, (unsigned long long)off, (unsigned long long)gen, why);
}

/* One experimental batch's data: the type table or the info. */
static int read_expbatch(ge_trace_lifetimes *l, const ge_tr_gen *g, const unsigned char *base,
                         const unsigned char *d, const unsigned char *de) {
  unsigned kind = *d++;
  if (kind == AF_INFO) {
    uint64_t v[4];
    for (int i = 0; i < 4; i++)
      if (ge_tr_uvarint(&d, de, &v[i])) return bad(l, g->gen, g->offset + (d - base), "info batch cut short");
    if (!l->tot.has_info) {
      l->tot.min_heap_addr = v[0];
      l->tot.page_size = v[1];
      l->tot.heap_align = v[2];
      l->tot.fixed_stack = v[3];
      l->tot.has_info = 1;
    }
    return 0;
  }
  if (kind != AF_TYPES) return 0; /* a kind of a later runtime: nothing we need */
  while (d < de) {
    uint64_t v[5];
    for (int i = 0; i < 5; i++)
      if (ge_tr_uvarint(&d, de, &v[i])) return bad(l, g->gen, g->offset + (d - base), "type table cut short");
    if (v[4] > (uint64_t)(de - d)) return bad(l, g->gen, g->offset + (d - base), "type name past its batch");
    uint32_t i = type_of(l, v[1], v[2], v[3], d, (size_t)v[4]);
    if (i == UINT32_MAX || ge_tr_map_put(&l->bygen, v[0], i) == UINT32_MAX) return nomem(l);
    d += v[4];
  }
  return 0;
}

/* The type tables (and info) of generation g, read from its experimental
 * batches: the iterator skips them. */
static int load_types(ge_trace_lifetimes *l, const ge_tr_gen *g) {
  const ge_trace *t = l->t;
  ge_tr_map_clear(&l->bygen);
  if (!t->mem && g->size > l->cap) {
    unsigned char *nb = realloc(l->buf, g->size);
    if (!nb) return nomem(l);
    l->buf = nb;
    l->cap = g->size;
  }
  const unsigned char *base = ge_tr_read(t, g->offset, g->size, l->buf, l->err);
  if (!base) return l->err->code;
  const unsigned char *p = base, *end = base + g->size;
  while (p < end) {
    if (*p == EV_ENDOFGEN && t->minor >= 26) {
      p++;
      continue;
    }
    ge_tr_batch b;
    const char *why;
    if (ge_tr_batch_parse(p, end, t->minor, &b, &why) || b.len > (uint64_t)(end - p) - b.hdr)
      return bad(l, g->gen, g->offset + (p - base), "batch changed since the trace was opened");
    const unsigned char *d = p + b.hdr, *de = d + b.len;
    p = de;
    if (b.exp == EXP_ALLOCFREE && d < de) {
      int rc = read_expbatch(l, g, base, d, de);
      if (rc) return rc;
    }
  }
  return 0;
}

static size_t bucket_of(int64_t v) {
  if (v < SUB) return v < 0 ? 0 : (size_t)v;
  unsigned e = 63 - (unsigned)__builtin_clzll((unsigned long long)v); /* >= 3 */
  size_t sub = (size_t)((uint64_t)v >> (e - 3)) & (SUB - 1);
  return SUB + (e - 3) * SUB + sub;
}

/* The middle of bucket b. */
static int64_t bucket_mid(size_t b) {
  if (b < SUB) return (int64_t)b;
  unsigned e = (unsigned)((b - SUB) / SUB) + 3;
  uint64_t lo = (uint64_t)(SUB + (b - SUB) % SUB) << (e - 3);
  return (int64_t)(lo + ((1ull << (e - 3)) >> 1));
}

/* Object i (its slot in the table at j) is freed at time `now`. */
static int free_obj(ge_trace_lifetimes *l, size_t j, uint32_t i, int64_t now) {
  obj o = l->objs[i];
  atype *a = &l->types[o.type];
  a->row.frees++;
  l->tot.frees++;
  if (o.cycle != EXISTING) {
    uint64_t s = l->cycles > (uint64_t)o.cycle ? l->cycles - o.cycle - 1 : 0;
    a->row.survived[s < GE_TRACE_SURVIVED ? s : GE_TRACE_SURVIVED - 1]++;
    a->row.lifetimes++;
    if (a->hist == UINT32_MAX) {
      if (ge_vec_reserve((void **)&l->hists, &l->caphists, l->nhists, NBUCKETS, sizeof *l->hists))
        return nomem(l);
      memset(l->hists + l->nhists, 0, NBUCKETS * sizeof *l->hists);
      a->hist = (uint32_t)(l->nhists / NBUCKETS);
      l->nhists += NBUCKETS;
    }
    l->hists[(size_t)a->hist * NBUCKETS + bucket_of(now - o.time)]++;
  }
  ge_hashidx_remove(&l->live, j, obj_hash, l->objs);
  /* keep the entries dense: the last one takes index i */
  size_t last = --l->nobjs;
  if (last != i) {
    l->objs[i] = l->objs[last];
    size_t k = ge_hashidx_first(&l->live, obj_hash(l->objs, i));
    while (ge_hashidx_at(&l->live, k) != last) k = ge_hashidx_next(&l->live, k);
    ge_hashidx_set(&l->live, k, i);
  }
  return 0;
}

static int noscan(const ge_trace_lifetimes *l, uint32_t type) {
  return l->types[type].row.ptr_bytes == 0;
}

/* Frees the objects of id; with only_noscan, only those without pointers.
 * Returns how many (through *n), or an error. */
static int free_id(ge_trace_lifetimes *l, uint64_t id, int64_t now, int only_noscan, size_t *n,
                   int *was_noscan) {
  size_t j = ge_hashidx_first(&l->live, ge_tr_hash(id));
  for (uint32_t i; (i = ge_hashidx_at(&l->live, j)) != GE_HASHIDX_NONE;) {
    if (l->objs[i].id == id && (!only_noscan || noscan(l, l->objs[i].type))) {
      if (!*n) *was_noscan = noscan(l, l->objs[i].type);
      (*n)++;
      if (free_obj(l, j, i, now)) return -1;
      continue; /* slot j now holds what came after it */
    }
    j = ge_hashidx_next(&l->live, j);
  }
  return 0;
}

static uint64_t heap_align(const ge_trace_lifetimes *l) {
  return l->tot.has_info && l->tot.heap_align ? l->tot.heap_align : 8; /* gc.MinHeapAlign */
}

static uint64_t page_size(const ge_trace_lifetimes *l) {
  return l->tot.has_info && l->tot.page_size ? l->tot.page_size : 8192; /* the runtime's pageSize */
}

/* The span page under object id, or NULL. */
static const ge_afpage *span_of(const ge_trace_lifetimes *l, uint64_t id) {
  return ge_afspans_find(&l->spans, id * heap_align(l) / page_size(l));
}

/* A free names a slot's base. The objects the slot held: those of its id;
 * in a tiny slot (16 bytes, no pointers) those of the ids up to its end;
 * in a slot with a malloc header, the object after the header, which its
 * allocation named. Without the span (a capture with no snapshot of the
 * spans), the tiny rule is applied to objects without pointers. */
static int on_free(ge_trace_lifetimes *l, uint64_t id, int64_t now) {
  size_t n = 0;
  int ns = 0;
  l->tot.free_events++;
  if (free_id(l, id, now, 0, &n, &ns)) return -1;
  uint64_t align = heap_align(l);
  const ge_afpage *pg = span_of(l, id);
  if (pg && !pg->large && pg->noscan && pg->elemsize == TINY_SLOT) {
    for (uint64_t k = 1; k * align < TINY_SLOT; k++)
      if (free_id(l, id + k, now, 0, &n, &ns)) return -1;
  } else if (pg && !pg->large && !pg->noscan && pg->elemsize > HEADER_MIN) {
    if (align <= HEADER && free_id(l, id + HEADER / align, now, 0, &n, &ns)) return -1;
  } else if (!pg && n && ns) {
    for (uint64_t k = 1; k * align < TINY_SLOT; k++)
      if (free_id(l, id + k, now, 1, &n, &ns)) return -1;
  }
  if (!n) l->tot.unknown_frees++;
  return 0;
}

static int on_alloc(ge_trace_lifetimes *l, const ge_trace_event *ev, int existing) {
  uint32_t type = ge_tr_map_get(&l->bygen, ev->args[1]);
  if (type == UINT32_MAX) {
    if (ev->args[1]) l->tot.unknown_types++;
    type = 0;
  }
  if (l->nobjs >= l->t->lim.max_records)
    return ge_fail(l->err, GE_ERR_LIMIT, "%s: more than %llu heap objects live at once (limit max_records)",
                   l->t->name, (unsigned long long)l->t->lim.max_records);
  if (ge_hashidx_reserve(&l->live, l->nobjs, obj_hash, l->objs) ||
      ge_vec_reserve((void **)&l->objs, &l->capobjs, l->nobjs, 1, sizeof *l->objs))
    return nomem(l);
  atype *a = &l->types[type];
  const ge_afpage *pg = span_of(l, ev->args[0]);
  uint64_t bytes = pg ? pg->elemsize : a->row.size;
  if (pg && pg->noscan && pg->elemsize == TINY_SLOT && a->row.size && a->row.size < TINY_SLOT)
    bytes = a->row.size; /* a tiny object: its share of the slot */
  size_t j = ge_hashidx_first(&l->live, ge_tr_hash(ev->args[0]));
  while (ge_hashidx_at(&l->live, j) != GE_HASHIDX_NONE) j = ge_hashidx_next(&l->live, j);
  l->objs[l->nobjs] = (obj){ev->args[0], bytes, ev->time, type,
                            existing ? EXISTING : (uint32_t)(l->cycles < EXISTING ? l->cycles : EXISTING - 1)};
  ge_hashidx_set(&l->live, j, (uint32_t)l->nobjs++);
  if (existing) {
    a->row.existing++;
    l->tot.existing++;
  } else {
    a->row.allocs++;
    a->row.bytes += bytes;
    l->tot.allocs++;
  }
  return 0;
}

static int by_bytes(const void *x, const void *y) {
  const ge_trace_lt_type *a = x, *b = y;
  if (a->bytes != b->bytes) return a->bytes > b->bytes ? -1 : 1;
  if (a->allocs != b->allocs) return a->allocs > b->allocs ? -1 : 1;
  size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
  int c = n ? memcmp(a->name.ptr, b->name.ptr, n) : 0;
  if (c) return c;
  if (a->name.len != b->name.len) return a->name.len < b->name.len ? -1 : 1;
  return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* The k-th smallest lifetime (1-based) of histogram h. */
static int64_t hist_rank(const uint64_t *h, uint64_t k) {
  uint64_t c = 0;
  for (size_t b = 0; b < NBUCKETS; b++)
    if ((c += h[b]) >= k) return bucket_mid(b);
  return 0;
}

/* Rows: live objects counted, percentiles read, names pointed at, sorted. */
static int finish(ge_trace_lifetimes *l) {
  for (size_t i = 0; i < l->nobjs; i++) {
    atype *a = &l->types[l->objs[i].type];
    a->row.live++;
    a->row.live_bytes += l->objs[i].bytes;
  }
  l->tot.live = l->nobjs;
  l->rows = malloc((l->ntypes ? l->ntypes : 1) * sizeof *l->rows);
  if (!l->rows) return nomem(l);
  size_t n = 0;
  for (size_t i = 0; i < l->ntypes; i++) {
    atype *a = &l->types[i];
    ge_trace_lt_type *r = &a->row;
    if (!r->allocs && !r->existing && !r->frees) continue; /* named by no event */
    r->name.ptr = l->names ? l->names + a->name_off : "";
    if (a->hist != UINT32_MAX) {
      const uint64_t *h = l->hists + (size_t)a->hist * NBUCKETS;
      r->median_ns = hist_rank(h, (r->lifetimes + 1) / 2);
      r->p90_ns = hist_rank(h, (r->lifetimes * 9 + 9) / 10);
    }
    l->rows[n++] = *r;
  }
  qsort(l->rows, n, sizeof *l->rows, by_bytes);
  l->tot.types = n;
  return 0;
}

/* [*lo, *hi): `size` bytes at unit `id` of `unit` bytes above the heap's
 * lowest page (the info batch). -1 without the info or past the address
 * space: a damaged event places no region. */
static int place(const ge_trace_lifetimes *l, uint64_t id, uint64_t unit, uint64_t size, uint64_t *lo,
                 uint64_t *hi) {
  uint64_t base = l->tot.min_heap_addr;
  if (!l->tot.has_info || !unit || id > (UINT64_MAX - base) / unit) return -1;
  *lo = base + id * unit;
  if (!size || size > UINT64_MAX - *lo) return -1;
  *hi = *lo + size;
  return 0;
}

/* Span(id, npages, kindclass): kindclass is even for a span of heap
 * objects (spanclass << 1), 1 for the runtime's others (stacks, GC work
 * buffers). Returns -1 only when out of memory. */
static int span_region(ge_trace_lifetimes *l, const ge_trace_event *ev) {
  uint64_t lo, hi, ps = page_size(l);
  if (ev->args[1] > UINT64_MAX / ps || place(l, ev->args[0], ps, ev->args[1] * ps, &lo, &hi)) return 0;
  uint32_t kind = ev->args[2] & 1 ? GE_HEAPMAP_MANUAL : GE_HEAPMAP_HEAP;
  return ge_afregions_alloc(&l->regions, GE_AF_SPANS, ev->args[0], lo, hi, kind,
                            ev->type == EV_SPAN ? INT64_MIN : ev->time);
}

/* GoroutineStack(id, order): id in units of the fixed stack size, the size
 * 2^(order-1) bytes (the runtime writes its bit length). */
static int stack_region(ge_trace_lifetimes *l, const ge_trace_event *ev) {
  uint64_t lo, hi, order = ev->args[1];
  if (order < 1 || order > 48 || place(l, ev->args[0], l->tot.fixed_stack, (uint64_t)1 << (order - 1), &lo, &hi))
    return 0;
  return ge_afregions_alloc(&l->regions, GE_AF_STACKS, ev->args[0], lo, hi, GE_HEAPMAP_STACK,
                            ev->type == EV_GSTACK ? INT64_MIN : ev->time);
}

static int walk(ge_trace_lifetimes *l) {
  const ge_trace *t = l->t;
  static const uint8_t wanted[] = {EV_GCBEGIN_, EV_SPAN, EV_SPANALLOC, EV_SPANFREE, EV_HEAPOBJ,
                                   EV_HEAPOBJALLOC, EV_HEAPOBJFREE, EV_GSTACK, EV_GSTACKALLOC,
                                   EV_GSTACKFREE};
  uint8_t types[GE_TRACE_NTYPES] = {0};
  for (size_t i = 0; i < sizeof wanted; i++) types[wanted[i]] = 1;
  ge_trace_filter f = {0};
  f.types = types;
  ge_trace_iter *it;
  if (ge_trace_iter_new(t, &f, &it, l->err)) return l->err->code;
  size_t gi = 0;
  uint64_t gen = 0;
  ge_trace_event ev;
  int rc, err = 0;
  while (!err && (rc = ge_trace_iter_next(it, &ev, l->err)) > 0) {
    if (ev.gen != gen) {
      gen = ev.gen;
      while (gi < t->ngens && t->gens[gi].gen != gen) gi++;
      if (gi == t->ngens || load_types(l, &t->gens[gi])) {
        err = gi == t->ngens ? bad(l, gen, 0, "events of an unknown generation") : -1;
        break;
      }
    }
    switch (ev.type) {
    case EV_GCBEGIN_: l->cycles++; break;
    case EV_HEAPOBJ: err = on_alloc(l, &ev, 1); break;
    case EV_HEAPOBJALLOC: err = on_alloc(l, &ev, 0); break;
    case EV_HEAPOBJFREE: err = on_free(l, ev.args[0], ev.time); break;
    case EV_SPAN: case EV_SPANALLOC:
      if (ev.type == EV_SPAN) l->tot.spans++;
      else l->tot.span_allocs++;
      if (ge_afspans_add(&l->spans, ev.args[0], ev.args[1], ev.args[2], page_size(l)) ||
          span_region(l, &ev))
        err = nomem(l);
      break;
    case EV_SPANFREE:
      l->tot.span_frees++;
      ge_afspans_remove(&l->spans, ev.args[0]);
      ge_afregions_end(&l->regions, GE_AF_SPANS, ev.args[0], ev.time);
      break;
    case EV_GSTACK: case EV_GSTACKALLOC:
      if (ev.type == EV_GSTACK) l->tot.stacks++;
      else l->tot.stack_allocs++;
      if (stack_region(l, &ev)) err = nomem(l);
      break;
    case EV_GSTACKFREE:
      l->tot.stack_frees++;
      ge_afregions_end(&l->regions, GE_AF_STACKS, ev.args[0], ev.time);
      break;
    }
  }
  ge_trace_iter_free(it);
  if (err || rc < 0) return l->err->code ? l->err->code : GE_ERR_FORMAT;
  l->tot.gc_cycles = l->cycles;
  return finish(l);
}

ge_err ge_trace_lifetimes_new(const ge_trace *t, ge_trace_lifetimes **out, ge_error *err) {
  *out = NULL;
  uint64_t n = 0;
  for (unsigned k = EV_SPAN; k <= EV_GSTACKFREE; k++) n += ge_trace_count(t, k);
  if (!n)
    return ge_fail(err, GE_ERR_NOTFOUND,
                   "%s: no allocation events: record the trace with GODEBUG=traceallocfree=1 "
                   "in the traced program's environment (Go 1.23 or later)",
                   t->name);
  ge_trace_lifetimes *l = calloc(1, sizeof *l);
  if (!l) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  l->t = t;
  l->err = err;
  err->code = GE_OK;
  /* row 0: objects recorded without a type */
  if (type_of(l, 0, 0, 0, (const unsigned char *)"(no type)", 9) == UINT32_MAX) {
    ge_trace_lifetimes_free(l);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  ge_err rc = (ge_err)walk(l);
  /* what only the walk needs */
  ge_hashidx_free(&l->live);
  ge_afspans_free(&l->spans);
  ge_afregions_finish(&l->regions);
  free(l->buf);
  l->buf = NULL;
  if (rc) {
    ge_trace_lifetimes_free(l);
    return rc;
  }
  l->t = NULL;
  l->err = NULL;
  *out = l;
  return GE_OK;
}

void ge_trace_lifetimes_free(ge_trace_lifetimes *l) {
  if (!l) return;
  free(l->types);
  free(l->rows);
  free(l->names);
  free(l->hists);
  free(l->objs);
  free(l->buf);
  ge_hashidx_free(&l->live);
  ge_afspans_free(&l->spans);
  ge_afregions_free(&l->regions);
  ge_tr_map_free(&l->byaddr);
  ge_tr_map_free(&l->bygen);
  free(l);
}

size_t ge_trace_lifetimes_types(const ge_trace_lifetimes *l, const ge_trace_lt_type **out) {
  *out = l->rows;
  return l->tot.types;
}

void ge_trace_lifetimes_totals(const ge_trace_lifetimes *l, ge_trace_lt_totals *out) {
  *out = l->tot;
}

size_t ge_trace_lifetimes_regions(const ge_trace_lifetimes *l, const ge_heapmap_region **out) {
  *out = l->regions.r.v;
  return l->regions.r.n;
}
