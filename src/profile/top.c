/* Aggregation as `go tool pprof -top` computes it (internal/graph/graph.go
 * newGraph, internal/driver aggregate, profile.Aggregate):
 *   - each (location, line) maps to a node whose key depends on the
 *     granularity: functions (name), lines (name, file, line), files (file);
 *     a node without a function name also keys on the mapping file and the
 *     function's start line (pprof's NodeInfo.Objfile/StartLine);
 *   - per sample, cum is added once to every distinct node of its stack
 *     (recursion counted once) and flat to the leaf-most node;
 *   - nodes with flat == cum == 0 are dropped; rows sort by |flat| desc,
 *     printable name, |cum| desc.
 * Folded stacks and by-stack rows key stacks on sequences of frame nodes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "select.h"

typedef struct nkey {
  uint32_t name, file, obj;
  int64_t start, line;
  uint64_t addr;
} nkey;

typedef struct node {
  nkey k;
  int64_t flat, cum;
  uint32_t stamp;
} node;

typedef struct agg {
  const ge_profile *p;
  ge_prof_by by;
  ge_intern ls;                /* local strings: names, cleaned files, objfiles */
  uint32_t *fn_name, *fn_file; /* per function, ids in ls */
  uint32_t *map_obj;           /* per mapping */
  GE_VEC(node) nodes;
  uint32_t *slots;
  size_t nslots;
  uint32_t *loc_off;           /* per location: nodes loc_nodes[loc_off[i]..loc_off[i+1]) */
  GE_VEC(uint32_t) loc_nodes;  /* innermost (line 0) first */
} agg;

struct ge_prof_top {
  ge_intern ls;
  ge_prof_row *rows;
  size_t n;
  char *names;
  int64_t total, abs_total, report_total;
};

/* pprof's computeTotal over every sample: |values|, restricted to the diff
 * base's samples when there are any. */
static int64_t report_total(const ge_profile *p, size_t si) {
  uint32_t key = ge_intern_find(&p->str, "pprof::base", 11);
  uint32_t yes = ge_intern_find(&p->str, "true", 4);
  int64_t all = 0, base = 0;
  size_t nst = p->st.n;
  for (size_t i = 0; i < p->nsamples; i++) {
    int64_t v = ge_abs64(p->values.v[i * nst + si]);
    all = ge_add64(all, v);
    if (key == UINT32_MAX || yes == UINT32_MAX) continue;
    for (uint32_t k = p->s_lab.v[i]; k < p->s_lab.v[i + 1]; k++) {
      const plabel *l = &p->labels.v[k];
      if (!l->is_num && l->key == key && l->str == yes) {
        base = ge_add64(base, v);
        break;
      }
    }
  }
  return base > 0 ? base : all;
}

static uint64_t mix64(uint64_t x);

/* Each field goes through the mixer in turn: keys built by input (a
 * crafted profile's function ids and line numbers) cannot cancel each
 * other out, as fields multiplied by one constant and xored could (name a
 * with line b and name b with line a hashed alike). */
static uint32_t hash_key(const nkey *k) {
  uint64_t h = mix64(k->name + 0x9E3779B97F4A7C15ull);
  h = mix64(h ^ k->file);
  h = mix64(h ^ k->obj);
  h = mix64(h ^ (uint64_t)k->start);
  h = mix64(h ^ (uint64_t)k->line);
  h = mix64(h ^ k->addr);
  return (uint32_t)h;
}

static int key_eq(const nkey *a, const nkey *b) {
  return a->name == b->name && a->file == b->file && a->obj == b->obj && a->start == b->start &&
         a->line == b->line && a->addr == b->addr;
}

static int grow_nodes(agg *a) {
  size_t ns = a->nslots ? a->nslots * 2 : 1024;
  uint32_t *sl = calloc(ns, sizeof *sl);
  if (!sl) return -1;
  for (size_t i = 0; i < a->nodes.n; i++) {
    size_t j = hash_key(&a->nodes.v[i].k) & (ns - 1);
    while (sl[j]) j = (j + 1) & (ns - 1);
    sl[j] = (uint32_t)i + 1;
  }
  free(a->slots);
  a->slots = sl;
  a->nslots = ns;
  return 0;
}

static uint32_t node_get(agg *a, const nkey *k) {
  if ((a->nodes.n + 1) * 2 > a->nslots && grow_nodes(a)) return GE_NONE;
  size_t j = hash_key(k) & (a->nslots - 1);
  while (a->slots[j]) {
    node *n = &a->nodes.v[a->slots[j] - 1];
    if (key_eq(&n->k, k)) return a->slots[j] - 1;
    j = (j + 1) & (a->nslots - 1);
  }
  node *n = GE_VEC_PUSH_SLOT(a->nodes);
  if (!n) return GE_NONE;
  memset(n, 0, sizeof *n);
  n->k = *k;
  a->slots[j] = (uint32_t)a->nodes.n;
  return (uint32_t)a->nodes.n - 1;
}

/* Go's filepath.Clean for slash paths, into buf (at least n+2 bytes). */
static size_t clean_path(const char *s, size_t n, char *buf) {
  if (n == 0) {
    buf[0] = '.';
    return 1;
  }
  int rooted = s[0] == '/';
  size_t w = 0, r = 0, dotdot = 0;
  if (rooted) {
    buf[w++] = '/';
    r = 1;
    dotdot = 1;
  }
  while (r < n) {
    if (s[r] == '/') r++;
    else if (s[r] == '.' && (r + 1 == n || s[r + 1] == '/')) r++;
    else if (s[r] == '.' && s[r + 1] == '.' && (r + 2 == n || s[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        w--;
        while (w > dotdot && buf[w] != '/') w--;
      } else if (!rooted) {
        if (w > 0) buf[w++] = '/';
        buf[w++] = '.';
        buf[w++] = '.';
        dotdot = w;
      }
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0)) buf[w++] = '/';
      for (; r < n && s[r] != '/'; r++) buf[w++] = s[r];
    }
  }
  if (w == 0) buf[w++] = '.';
  return w;
}

static void agg_free(agg *a) {
  ge_intern_free(&a->ls);
  free(a->fn_name);
  free(a->fn_file);
  free(a->map_obj);
  GE_VEC_FREE(a->nodes);
  free(a->slots);
  free(a->loc_off);
  GE_VEC_FREE(a->loc_nodes);
}

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "out of memory"); }

/* Builds the node table and the location -> nodes lists for granularity by
 * (by == GE_PROF_BY_STACK: function names, addresses kept for frames without
 * a function, so that folded stacks of unsymbolized profiles keep them). */
static ge_err agg_build(agg *a, const ge_profile *p, ge_prof_by by, const sel *s,
                        ge_error *err) {
  memset(a, 0, sizeof *a);
  a->p = p;
  a->by = by;
  ge_intern_init(&a->ls);
  a->fn_name = malloc((p->funcs.n + 1) * sizeof(uint32_t));
  a->fn_file = malloc((p->funcs.n + 1) * sizeof(uint32_t));
  a->map_obj = malloc((p->maps.n + 1) * sizeof(uint32_t));
  a->loc_off = malloc((p->locs.n + 1) * sizeof(uint32_t));
  if (!a->ls.ents || !a->fn_name || !a->fn_file || !a->map_obj || !a->loc_off) return nomem(err);
  char *buf = NULL;
  size_t bufcap = 0;
  for (size_t i = 0; i < p->funcs.n; i++) {
    ge_strview nm = ge_prof_str(p, p->funcs.v[i].name);
    ge_strview fl = ge_prof_str(p, p->funcs.v[i].file);
    a->fn_name[i] = ge_intern_add(&a->ls, nm.ptr, nm.len);
    if (fl.len == 0) {
      a->fn_file[i] = 0;
    } else {
      if (bufcap < fl.len + 4) {
        free(buf);
        bufcap = fl.len * 2 + 4;
        buf = malloc(bufcap);
        if (!buf) return nomem(err);
      }
      size_t cn = clean_path(fl.ptr, fl.len, buf);
      a->fn_file[i] = ge_intern_add(&a->ls, buf, cn);
    }
    if (a->fn_name[i] == UINT32_MAX || a->fn_file[i] == UINT32_MAX) {
      free(buf);
      return nomem(err);
    }
  }
  free(buf);
  for (size_t i = 0; i < p->maps.n; i++) {
    ge_strview o = ge_prof_str(p, p->maps.v[i].file);
    a->map_obj[i] = ge_intern_add(&a->ls, o.ptr, o.len);
    if (a->map_obj[i] == UINT32_MAX) return nomem(err);
  }
  for (size_t i = 0; i < p->locs.n; i++) {
    const ploc *l = &p->locs.v[i];
    a->loc_off[i] = (uint32_t)a->loc_nodes.n;
    if (s->loc && (s->loc[i] & SEL_HIDDEN)) continue;
    uint32_t obj = l->mapping != GE_NONE ? a->map_obj[l->mapping] : 0;
    uint32_t nl = l->nlines ? l->nlines : 1;
    for (uint32_t k = 0; k < nl; k++) {
      nkey key = {0, 0, 0, 0, 0, 0};
      const pline *ln = l->nlines ? &p->lines.v[l->line_off + k] : NULL;
      if (ln && s->line_vis && !s->line_vis[l->line_off + k]) continue;
      if (!ln || ln->func == GE_NONE) {
        key.obj = obj;
        if (by == GE_PROF_BY_STACK) key.addr = l->address;
      } else {
        const pfunc *f = &p->funcs.v[ln->func];
        switch (by) {
        case GE_PROF_BY_FUNCTION: case GE_PROF_BY_STACK:
          key.name = a->fn_name[ln->func];
          break;
        case GE_PROF_BY_LINE:
          key.name = a->fn_name[ln->func];
          key.file = a->fn_file[ln->func];
          key.line = ln->line;
          break;
        case GE_PROF_BY_FILE:
          key.file = a->fn_file[ln->func];
          break;
        }
        if (key.name == 0) {
          key.obj = obj;
          key.start = f->start_line;
        }
      }
      uint32_t id = node_get(a, &key);
      uint32_t *slot = GE_VEC_PUSH_SLOT(a->loc_nodes);
      if (id == GE_NONE || !slot) return nomem(err);
      *slot = id;
    }
  }
  a->loc_off[p->locs.n] = (uint32_t)a->loc_nodes.n;
  return GE_OK;
}

/* pprof's PrintableName. */
static size_t printable(const agg *a, const nkey *k, char *out, size_t cap) {
  size_t w = 0;
#define PUT(...)                                                       \
  do {                                                                 \
    if (w + 1 < cap) {                                                 \
      int r_ = snprintf(out + w, cap - w, __VA_ARGS__);                \
      if (r_ > 0) w += (size_t)r_ < cap - w ? (size_t)r_ : cap - w - 1; \
    }                                                                  \
  } while (0)
  const ge_intern_entry *nm = ge_intern_get(&a->ls, k->name);
  const ge_intern_entry *fl = ge_intern_get(&a->ls, k->file);
  const ge_intern_entry *ob = ge_intern_get(&a->ls, k->obj);
  if (k->addr) PUT("%016" PRIx64, k->addr);
  if (nm->len) PUT("%s%.*s", w ? " " : "", (int)nm->len, nm->ptr);
  if (k->line) PUT("%s%.*s:%" PRId64, w ? " " : "", (int)fl->len, fl->ptr, k->line);
  else if (fl->len) PUT("%s%.*s", w ? " " : "", (int)fl->len, fl->ptr);
  else if (nm->len) {
  } else if (ob->len) {
    const char *base = ob->ptr + ob->len;
    while (base > ob->ptr && base[-1] != '/') base--;
    PUT("%s[%.*s]", w ? " " : "", (int)(ob->ptr + ob->len - base), base);
  } else PUT("%s<unknown>", w ? " " : "");
#undef PUT
  return w < cap ? w : cap - 1;
}

#define abs64 ge_abs64

static int sv_cmp(ge_strview a, ge_strview b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
  if (c) return c;
  return a.len < b.len ? -1 : a.len > b.len;
}

static int row_cmp(const void *x, const void *y) {
  const ge_prof_row *a = x, *b = y;
  int64_t fa = abs64(a->flat), fb = abs64(b->flat);
  if (fa != fb) return fa > fb ? -1 : 1;
  int c = sv_cmp(a->name, b->name);
  if (c) return c;
  int64_t ca = abs64(a->cum), cb = abs64(b->cum);
  if (ca != cb) return ca > cb ? -1 : 1;
  if ((c = sv_cmp(a->func, b->func))) return c;
  if ((c = sv_cmp(a->file, b->file))) return c;
  if (a->line != b->line) return a->line < b->line ? -1 : 1;
  return sv_cmp(a->objfile, b->objfile);
}

/* Stacks: sequences of node ids, root first, hashed. */
typedef struct stacks {
  GE_VEC(uint32_t) ids;   /* concatenated sequences */
  GE_VEC(uint32_t) off;   /* per stack: start in ids; off[n] = end */
  GE_VEC(int64_t) val;
  GE_VEC(uint32_t) hash;
  uint32_t *slots;
  size_t nslots;
} stacks;

static void stacks_free(stacks *st) {
  GE_VEC_FREE(st->ids);
  GE_VEC_FREE(st->off);
  GE_VEC_FREE(st->val);
  GE_VEC_FREE(st->hash);
  free(st->slots);
}

static int stacks_grow(stacks *st) {
  size_t ns = st->nslots ? st->nslots * 2 : 1024;
  uint32_t *sl = calloc(ns, sizeof *sl);
  if (!sl) return -1;
  for (size_t i = 0; i < st->val.n; i++) {
    size_t j = st->hash.v[i] & (ns - 1);
    while (sl[j]) j = (j + 1) & (ns - 1);
    sl[j] = (uint32_t)i + 1;
  }
  free(st->slots);
  st->slots = sl;
  st->nslots = ns;
  return 0;
}

/* The sequence is the tail of st->ids from `start`; keeps it if new,
 * otherwise drops it and adds w to the existing one. */
static int stacks_add(stacks *st, size_t start, int64_t w) {
  size_t len = st->ids.n - start;
  const uint32_t *seq = st->ids.v + start;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ seq[i]) * 16777619u;
  if ((st->val.n + 1) * 2 > st->nslots && stacks_grow(st)) return -1;
  size_t j = h & (st->nslots - 1);
  while (st->slots[j]) {
    size_t k = st->slots[j] - 1;
    size_t ks = st->off.v[k], kl = (k + 1 < st->val.n ? st->off.v[k + 1] : start) - ks;
    if (st->hash.v[k] == h && kl == len && memcmp(st->ids.v + ks, seq, len * 4) == 0) {
      st->val.v[k] = ge_add64(st->val.v[k], w);
      st->ids.n = start;
      return 0;
    }
    j = (j + 1) & (st->nslots - 1);
  }
  uint32_t *o = GE_VEC_PUSH_SLOT(st->off);
  int64_t *v = GE_VEC_PUSH_SLOT(st->val);
  uint32_t *hh = GE_VEC_PUSH_SLOT(st->hash);
  if (!o || !v || !hh) return -1;
  *o = (uint32_t)start;
  *v = w;
  *hh = h;
  st->slots[j] = (uint32_t)st->val.n;
  return 0;
}

/* pprof's inline labels: an edge caller -> callee is inline when the callee
 * was an inlined frame of the caller's location, on every path that added
 * it; a row is "(inline)" when some edge into it is inline, "(partial-inline)"
 * when others are not. Edges live in an open-addressing table keyed on the
 * node pair, mixed so that crafted node numbers cannot pile up in it. */
typedef struct edges {
  uint64_t *keys; /* (parent + 1) << 32 | (child + 1); 0 = empty */
  uint8_t *all_inline;
  size_t cap, n;
} edges;

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static int edge_add(edges *e, uint32_t parent, uint32_t child, int inl) {
  if ((e->n + 1) * 2 > e->cap) {
    size_t nc = e->cap ? e->cap * 2 : 1024;
    uint64_t *nk = calloc(nc, sizeof *nk);
    uint8_t *ni = calloc(nc, 1);
    if (!nk || !ni) {
      free(nk);
      free(ni);
      return -1;
    }
    for (size_t i = 0; i < e->cap; i++) {
      if (!e->keys[i]) continue;
      size_t j = mix64(e->keys[i]) & (nc - 1);
      while (nk[j]) j = (j + 1) & (nc - 1);
      nk[j] = e->keys[i];
      ni[j] = e->all_inline[i];
    }
    free(e->keys);
    free(e->all_inline);
    e->keys = nk;
    e->all_inline = ni;
    e->cap = nc;
  }
  uint64_t k = ((uint64_t)parent + 1) << 32 | ((uint64_t)child + 1);
  size_t j = mix64(k) & (e->cap - 1);
  while (e->keys[j] && e->keys[j] != k) j = (j + 1) & (e->cap - 1);
  if (!e->keys[j]) {
    e->keys[j] = k;
    e->all_inline[j] = (uint8_t)inl;
    e->n++;
  } else if (!inl) {
    e->all_inline[j] = 0;
  }
  return 0;
}

/* The slot of edge parent -> child, or SIZE_MAX. */
static size_t edge_find(const edges *e, uint32_t parent, uint32_t child) {
  if (!e->cap) return SIZE_MAX;
  uint64_t k = ((uint64_t)parent + 1) << 32 | ((uint64_t)child + 1);
  size_t j = mix64(k) & (e->cap - 1);
  while (e->keys[j]) {
    if (e->keys[j] == k) return j;
    j = (j + 1) & (e->cap - 1);
  }
  return SIZE_MAX;
}

static ge_err build_stacks(agg *a, const sel *s, size_t si, stacks *st, int64_t *total,
                           int64_t *abs_total, ge_error *err) {
  const ge_profile *p = a->p;
  size_t nst = p->st.n;
  for (size_t i = 0; i < p->nsamples; i++) {
    int64_t w = p->values.v[i * nst + si];
    if (w == 0 || !ge_sel_sample(s, i)) continue;
    *total = ge_add64(*total, w);
    *abs_total = ge_add64(*abs_total, abs64(w));
    size_t start = st->ids.n;
    for (uint32_t k = p->s_loff.v[i + 1]; k-- > p->s_loff.v[i];) {
      uint32_t li = p->s_locs.v[k];
      for (uint32_t j = a->loc_off[li + 1]; j-- > a->loc_off[li];) {
        uint32_t *slot = GE_VEC_PUSH_SLOT(st->ids);
        if (!slot) return nomem(err);
        *slot = a->loc_nodes.v[j];
      }
    }
    if (st->ids.n == start) continue;
    if (st->ids.n >= UINT32_MAX - 1) return ge_fail(err, GE_ERR_LIMIT, "too many stack frames");
    if (stacks_add(st, start, w)) return nomem(err);
  }
  return GE_OK;
}

/* Frame name for folded stacks / by-stack rows / flame nodes: function
 * name, else the address in hex, else [objfile]. A ';' in a name -- Go's
 * generic shapes have them: "(*Pointer[go.shape.struct { a; b }]).Store" --
 * is written ':' (as stackcollapse-perf.pl does) and a newline ' ', so that
 * a folded line stays one frame per ';' and one stack per line. */
static size_t frame_name(const agg *a, uint32_t id, char *out, size_t cap) {
  const nkey *k = &a->nodes.v[id].k;
  const ge_intern_entry *nm = ge_intern_get(&a->ls, k->name);
  size_t n;
  if (nm->len || k->addr) {
    int r = nm->len ? snprintf(out, cap, "%.*s", (int)nm->len, nm->ptr)
                    : snprintf(out, cap, "0x%" PRIx64, k->addr);
    if (r < 0) return 0;
    n = (size_t)r < cap ? (size_t)r : cap - 1;
  } else {
    nkey kk = *k;
    n = printable(a, &kk, out, cap);
  }
  for (size_t i = 0; i < n; i++) {
    if (out[i] == ';') out[i] = ':';
    else if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
  }
  return n;
}

typedef struct strbuf {
  char *v;
  size_t n, cap;
} strbuf;

static int sb_reserve(strbuf *b, size_t need) {
  return ge_vec_reserve((void **)&b->v, &b->cap, b->n, need, 1);
}

/* Appends "a;b;c" for stack k. */
static int stack_string(const agg *a, const stacks *st, size_t k, strbuf *b) {
  size_t s = st->off.v[k], e = k + 1 < st->val.n ? st->off.v[k + 1] : st->ids.n;
  char tmp[1024];
  for (size_t i = s; i < e; i++) {
    size_t n = frame_name(a, st->ids.v[i], tmp, sizeof tmp);
    if (sb_reserve(b, n + 1)) return -1;
    if (i > s) b->v[b->n++] = ';';
    memcpy(b->v + b->n, tmp, n);
    b->n += n;
  }
  return 0;
}

ge_err ge_profile_top(const ge_profile *p, const ge_prof_query *q, ge_prof_top **out,
                      ge_error *err) {
  *out = NULL;
  if (q->sample >= p->st.n) return ge_fail(err, GE_ERR_ARG, "sample type index out of range");
  sel s;
  ge_err rc = ge_sel_init(&s, p, q, err);
  if (rc) return rc;
  agg a;
  rc = agg_build(&a, p, q->by, &s, err);
  ge_prof_top *t = NULL;
  stacks st;
  memset(&st, 0, sizeof st);
  strbuf names = {NULL, 0, 0};
  size_t nst = p->st.n, si = q->sample;
  int64_t total = 0, abs_total = 0;
  size_t nrows = 0;
  edges ed = {NULL, NULL, 0, 0};
  uint8_t *inl = NULL; /* per node: bit 0 an inline edge in, bit 1 a call edge in, bit 2 inlined somewhere */
  if (!rc && q->by != GE_PROF_BY_STACK) {
    inl = calloc(a.nodes.n + 1, 1);
    uint8_t *used = calloc(p->locs.n + 1, 1);
    if (!inl || !used) rc = nomem(err);
    for (size_t i = 0; !rc && i < p->nsamples; i++) {
      if (p->values.v[i * nst + si] == 0 || !ge_sel_sample(&s, i)) continue;
      for (uint32_t k = p->s_loff.v[i]; k < p->s_loff.v[i + 1]; k++) used[p->s_locs.v[k]] = 1;
    }
    for (size_t li = 0; !rc && li < p->locs.n; li++) {
      if (!used[li]) continue;
      for (uint32_t j = a.loc_off[li]; j + 1 < a.loc_off[li + 1]; j++) {
        if (edge_add(&ed, a.loc_nodes.v[j + 1], a.loc_nodes.v[j], 1)) {
          rc = nomem(err);
          break;
        }
        inl[a.loc_nodes.v[j]] |= 4;
      }
    }
    free(used);
  }
  if (!rc && q->by == GE_PROF_BY_STACK) {
    rc = build_stacks(&a, &s, si, &st, &total, &abs_total, err);
  } else if (!rc) {
    for (size_t i = 0; i < p->nsamples; i++) {
      int64_t w = p->values.v[i * nst + si];
      if (w == 0 || !ge_sel_sample(&s, i)) continue;
      total = ge_add64(total, w);
      abs_total = ge_add64(abs_total, abs64(w));
      uint32_t stamp = (uint32_t)i + 1, leaf = GE_NONE;
      for (uint32_t k = p->s_loff.v[i + 1]; k-- > p->s_loff.v[i] && !rc;) {
        uint32_t li = p->s_locs.v[k];
        for (uint32_t j = a.loc_off[li + 1]; j-- > a.loc_off[li];) {
          node *n = &a.nodes.v[a.loc_nodes.v[j]];
          if (n->stamp != stamp) {
            n->stamp = stamp;
            n->cum = ge_add64(n->cum, w);
          }
          /* the location's outermost frame is called by the previous one */
          if (leaf != GE_NONE && j == a.loc_off[li + 1] - 1) {
            uint32_t c = a.loc_nodes.v[j];
            inl[c] |= 2;
            if (inl[c] & 4) {
              size_t e = edge_find(&ed, leaf, c);
              if (e != SIZE_MAX) ed.all_inline[e] = 0;
            }
          }
          leaf = a.loc_nodes.v[j];
        }
      }
      if (rc) break;
      if (leaf != GE_NONE) a.nodes.v[leaf].flat = ge_add64(a.nodes.v[leaf].flat, w);
    }
  }
  if (!rc && inl) {
    for (size_t j = 0; j < ed.cap; j++) {
      if (!ed.keys[j]) continue;
      uint32_t child = (uint32_t)(ed.keys[j] & 0xffffffffu) - 1;
      if (child < a.nodes.n) inl[child] |= ed.all_inline[j] ? 1 : 2;
    }
  }
  free(ed.keys);
  free(ed.all_inline);
  if (!rc) {
    t = calloc(1, sizeof *t);
    if (!t) rc = nomem(err);
  }
  if (!rc) {
    size_t cand = q->by == GE_PROF_BY_STACK ? st.val.n : a.nodes.n;
    t->rows = calloc(cand + 1, sizeof *t->rows);
    if (!t->rows) rc = nomem(err);
    /* Names first into one buffer (offsets), pointers fixed afterwards. */
    for (size_t i = 0; !rc && i < cand; i++) {
      int64_t flat, cum;
      size_t at = names.n;
      if (q->by == GE_PROF_BY_STACK) {
        flat = cum = st.val.v[i];
        if (flat == 0) continue;
        if (stack_string(&a, &st, i, &names)) { rc = nomem(err); break; }
      } else {
        node *n = &a.nodes.v[i];
        flat = n->flat;
        cum = n->cum;
        if (flat == 0 && cum == 0) continue;
        if (sb_reserve(&names, 4096)) { rc = nomem(err); break; }
        names.n += printable(&a, &n->k, names.v + names.n, 4096);
      }
      ge_prof_row *r = &t->rows[nrows++];
      r->name.ptr = (const char *)(uintptr_t)at; /* offset, fixed below */
      r->name.len = names.n - at;
      r->flat = flat;
      r->cum = cum;
      if (q->by != GE_PROF_BY_STACK) {
        const nkey *k = &a.nodes.v[i].k;
        const ge_intern_entry *e;
        e = ge_intern_get(&a.ls, k->name); r->func = (ge_strview){e->ptr, e->len};
        e = ge_intern_get(&a.ls, k->file); r->file = (ge_strview){e->ptr, e->len};
        e = ge_intern_get(&a.ls, k->obj); r->objfile = (ge_strview){e->ptr, e->len};
        r->line = k->line;
        uint8_t f = inl[i] & 3;
        r->inl = f == 1 ? 1 : f == 3 ? 2 : 0;
      } else {
        r->func = r->file = r->objfile = (ge_strview){"", 0};
      }
    }
  }
  if (!rc) {
    for (size_t i = 0; i < nrows; i++)
      t->rows[i].name.ptr = names.v + (uintptr_t)t->rows[i].name.ptr;
    qsort(t->rows, nrows, sizeof *t->rows, row_cmp);
    t->n = nrows;
    t->names = names.v;
    names.v = NULL;
    t->total = total;
    t->abs_total = abs_total;
    t->report_total = report_total(p, si);
    t->ls = a.ls; /* rows point into the local strings: hand them over */
    memset(&a.ls, 0, sizeof a.ls);
    ge_intern_init(&a.ls);
  }
  free(inl);
  free(names.v);
  stacks_free(&st);
  agg_free(&a);
  ge_sel_free(&s);
  if (rc) {
    if (t) {
      free(t->rows);
      free(t);
    }
    return rc;
  }
  *out = t;
  return GE_OK;
}

size_t ge_prof_top_count(const ge_prof_top *t) { return t->n; }
const ge_prof_row *ge_prof_top_row(const ge_prof_top *t, size_t i) {
  return i < t->n ? &t->rows[i] : NULL;
}
int64_t ge_prof_top_total(const ge_prof_top *t) { return t->total; }
int64_t ge_prof_top_report_total(const ge_prof_top *t) { return t->report_total; }
void ge_prof_top_free(ge_prof_top *t) {
  if (!t) return;
  ge_intern_free(&t->ls);
  free(t->rows);
  free(t->names);
  free(t);
}

static int folded_cmp(const void *x, const void *y) {
  const ge_prof_row *a = x, *b = y;
  return sv_cmp(a->name, b->name);
}

ge_err ge_profile_folded(const ge_profile *p, const ge_prof_query *q, char **buf, size_t *len,
                         ge_error *err) {
  *buf = NULL;
  *len = 0;
  ge_prof_query qq = *q;
  qq.by = GE_PROF_BY_STACK;
  ge_prof_top *t;
  ge_err rc = ge_profile_top(p, &qq, &t, err);
  if (rc) return rc;
  qsort(t->rows, t->n, sizeof *t->rows, folded_cmp);
  strbuf b = {NULL, 0, 0};
  for (size_t i = 0; i < t->n; i++) {
    const ge_prof_row *r = &t->rows[i];
    if (sb_reserve(&b, r->name.len + 32)) {
      free(b.v);
      ge_prof_top_free(t);
      return nomem(err);
    }
    memcpy(b.v + b.n, r->name.ptr, r->name.len);
    b.n += r->name.len;
    b.n += (size_t)snprintf(b.v + b.n, 32, " %" PRId64 "\n", r->flat);
  }
  ge_prof_top_free(t);
  if (sb_reserve(&b, 1)) {
    free(b.v);
    return nomem(err);
  }
  b.v[b.n] = 0;
  *buf = b.v;
  *len = b.n;
  return GE_OK;
}

/* ------------------------------------------------------------ flame tree */

/* The call tree of the folded stacks (the same frames and names as
 * ge_profile_folded, so the same tree as a trie of its lines), pruned at
 * min * (sum of |stack value|): a child below it is left out with its
 * subtree and counted in dropped; its value stays in the parent's (its
 * width), not in the parent's self. */
struct ge_prof_flame {
  ge_intern names;
  ge_prof_fnode *nodes;
  size_t n, dropped;
  int64_t total;
};

/* Tree nodes in depth-first order (a child's id is above its parent's). */
typedef struct trie {
  GE_VEC(uint32_t) parent;
  GE_VEC(uint32_t) name;
  GE_VEC(int64_t) self;
} trie;

static void trie_free(trie *t) {
  GE_VEC_FREE(t->parent);
  GE_VEC_FREE(t->name);
  GE_VEC_FREE(t->self);
}

static int trie_push(trie *t, uint32_t parent, uint32_t name) {
  if (t->parent.n >= UINT32_MAX - 1) return -1;
  uint32_t *pp = GE_VEC_PUSH_SLOT(t->parent);
  uint32_t *pn = GE_VEC_PUSH_SLOT(t->name);
  int64_t *ps = GE_VEC_PUSH_SLOT(t->self);
  if (!pp || !pn || !ps) return -1;
  *pp = parent;
  *pn = name;
  *ps = 0;
  return 0;
}

/* A stack as a sequence of frame-name ids, root first. */
typedef struct fstack {
  const uint32_t *seq;
  size_t len;
  int64_t value;
} fstack;

static int fstack_cmp(const void *x, const void *y) {
  const fstack *a = x, *b = y;
  size_t n = a->len < b->len ? a->len : b->len;
  for (size_t i = 0; i < n; i++)
    if (a->seq[i] != b->seq[i]) return a->seq[i] < b->seq[i] ? -1 : 1;
  return a->len < b->len ? -1 : a->len > b->len;
}

/* qsort has no context argument: sort (value, name, id) records instead. */
typedef struct fkid {
  int64_t value;
  ge_strview name;
  uint32_t id;
} fkid;

static int fkid_cmp(const void *x, const void *y) {
  const fkid *a = x, *b = y;
  if (a->value != b->value) return a->value > b->value ? -1 : 1;
  return sv_cmp(a->name, b->name);
}

ge_err ge_profile_flame(const ge_profile *p, const ge_prof_query *q, double min,
                        ge_prof_flame **out, ge_error *err) {
  *out = NULL;
  if (q->sample >= p->st.n) return ge_fail(err, GE_ERR_ARG, "sample type index out of range");
  if (!(min >= 0 && min <= 1)) return ge_fail(err, GE_ERR_ARG, "flame: min must be in [0, 1]");
  sel s;
  ge_err rc = ge_sel_init(&s, p, q, err);
  if (rc) return rc;
  agg a;
  stacks st;
  trie t;
  memset(&st, 0, sizeof st);
  memset(&t, 0, sizeof t);
  ge_prof_flame *f = calloc(1, sizeof *f);
  uint32_t *nm = NULL, *kid_off = NULL, *kids = NULL, *queue = NULL;
  fkid *tmp = NULL;
  int64_t total = 0, abs_total = 0;
  rc = agg_build(&a, p, GE_PROF_BY_STACK, &s, err);
  if (!rc && !f) rc = nomem(err);
  if (!rc) {
    ge_intern_init(&f->names);
    nm = malloc((a.nodes.n + 1) * sizeof *nm);
    if (!f->names.ents || !nm) rc = nomem(err);
  }
  if (!rc) rc = build_stacks(&a, &s, q->sample, &st, &total, &abs_total, err);
  /* frame names, interned: frames printing alike are one tree node */
  for (size_t i = 0; !rc && i < a.nodes.n; i++) {
    char tmpn[1024];
    size_t len = frame_name(&a, (uint32_t)i, tmpn, sizeof tmpn);
    nm[i] = ge_intern_add(&f->names, tmpn, len);
    if (nm[i] == UINT32_MAX) rc = nomem(err);
  }
  if (!rc && trie_push(&t, GE_NONE, 0)) rc = nomem(err);
  /* Stacks sorted by their name sequences: those sharing a prefix are
   * adjacent, so the tree grows along the open path, without lookups. */
  fstack *fs = NULL;
  size_t nfs = 0;
  if (!rc) {
    for (size_t i = 0; i < st.ids.n; i++) st.ids.v[i] = nm[st.ids.v[i]];
    fs = malloc((st.val.n + 1) * sizeof *fs);
    if (!fs) rc = nomem(err);
  }
  total = abs_total = 0;
  for (size_t k = 0; !rc && k < st.val.n; k++) {
    int64_t v = st.val.v[k];
    if (v == 0) continue; /* folded leaves out stacks whose values cancel */
    total = ge_add64(total, v);
    abs_total = ge_add64(abs_total, abs64(v));
    size_t b = st.off.v[k], e = k + 1 < st.val.n ? st.off.v[k + 1] : st.ids.n;
    fs[nfs++] = (fstack){st.ids.v + b, e - b, v};
  }
  uint32_t *path = NULL;
  size_t pathcap = 0;
  if (!rc) qsort(fs, nfs, sizeof *fs, fstack_cmp);
  for (size_t k = 0; !rc && k < nfs; k++) {
    size_t c = 0;
    if (k > 0) {
      const fstack *pv = &fs[k - 1];
      while (c < pv->len && c < fs[k].len && pv->seq[c] == fs[k].seq[c]) c++;
    }
    if (fs[k].len > pathcap) {
      size_t nc = fs[k].len * 2;
      uint32_t *np = realloc(path, nc * sizeof *np);
      if (!np) {
        rc = nomem(err);
        break;
      }
      path = np;
      pathcap = nc;
    }
    for (size_t d = c; d < fs[k].len && !rc; d++) {
      if (trie_push(&t, d ? path[d - 1] : 0, fs[k].seq[d])) rc = nomem(err);
      else path[d] = (uint32_t)t.parent.n - 1;
    }
    if (!rc) {
      uint32_t leaf = path[fs[k].len - 1];
      t.self.v[leaf] = ge_add64(t.self.v[leaf], fs[k].value);
    }
  }
  free(path);
  free(fs);
  size_t n = t.parent.n;
  int64_t *value = NULL;
  if (!rc) {
    /* value = self + the children's values; a child's id is above its parent's */
    value = malloc((n + 1) * sizeof *value);
    if (!value) rc = nomem(err);
    else {
      memcpy(value, t.self.v, n * sizeof *value);
      for (size_t i = n; i-- > 1;)
        value[t.parent.v[i]] = ge_add64(value[t.parent.v[i]], value[i]);
    }
  }
  if (!rc) {
    /* children lists (CSR), then breadth-first over kept nodes */
    kid_off = calloc(n + 1, sizeof *kid_off);
    kids = malloc((n + 1) * sizeof *kids);
    queue = malloc((n + 1) * sizeof *queue);
    tmp = malloc((n + 1) * sizeof *tmp);
    f->nodes = malloc((n + 1) * sizeof *f->nodes);
    if (!kid_off || !kids || !queue || !tmp || !f->nodes) rc = nomem(err);
  }
  if (!rc) {
    for (size_t i = 1; i < n; i++) kid_off[t.parent.v[i] + 1]++;
    for (size_t i = 0; i < n; i++) kid_off[i + 1] += kid_off[i];
    uint32_t *fill = queue; /* reused as a cursor array before the walk */
    memcpy(fill, kid_off, n * sizeof *fill);
    for (size_t i = 1; i < n; i++) kids[fill[t.parent.v[i]]++] = (uint32_t)i;
    double thr = (double)abs_total * min;
    size_t qn = 1, w = 1;
    queue[0] = 0;
    f->nodes[0] = (ge_prof_fnode){{"", 0}, value[0], t.self.v[0], 0, 0};
    for (size_t qi = 0; qi < qn; qi++) {
      uint32_t id = queue[qi];
      size_t nk = 0;
      for (uint32_t j = kid_off[id]; j < kid_off[id + 1]; j++) {
        uint32_t c = kids[j];
        if ((double)abs64(value[c]) >= thr) {
          const ge_intern_entry *e = ge_intern_get(&f->names, t.name.v[c]);
          tmp[nk++] = (fkid){value[c], {e->ptr, e->len}, c};
        } else {
          f->dropped++;
        }
      }
      qsort(tmp, nk, sizeof *tmp, fkid_cmp);
      f->nodes[qi].first = (uint32_t)w;
      f->nodes[qi].nchildren = (uint32_t)nk;
      for (size_t j = 0; j < nk; j++) {
        uint32_t c = tmp[j].id;
        f->nodes[w++] = (ge_prof_fnode){tmp[j].name, value[c], t.self.v[c], 0, 0};
        queue[qn++] = c;
      }
    }
    f->n = w;
    f->total = total;
  }
  free(nm);
  free(value);
  free(kid_off);
  free(kids);
  free(queue);
  free(tmp);
  trie_free(&t);
  stacks_free(&st);
  agg_free(&a);
  ge_sel_free(&s);
  if (rc) {
    ge_prof_flame_free(f);
    return rc;
  }
  *out = f;
  return GE_OK;
}

size_t ge_prof_flame_count(const ge_prof_flame *f) { return f->n; }
const ge_prof_fnode *ge_prof_flame_node(const ge_prof_flame *f, size_t i) {
  return i < f->n ? &f->nodes[i] : NULL;
}
size_t ge_prof_flame_dropped(const ge_prof_flame *f) { return f->dropped; }
void ge_prof_flame_free(ge_prof_flame *f) {
  if (!f) return;
  ge_intern_free(&f->names);
  free(f->nodes);
  free(f);
}
