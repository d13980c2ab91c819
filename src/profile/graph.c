/* Nodes, stacks and edges of the aggregation (graph.h), each indexed by a
 * core/hashidx.h table. */
#include "graph.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "out of memory"); }

/* ------------------------------------------------------------------ nodes */

/* Each field goes through the mixer in turn: keys built by input (a
 * crafted profile's function ids and line numbers) cannot cancel each
 * other out, as fields multiplied by one constant and xored could (name a
 * with line b and name b with line a hashed alike). */
static uint32_t hash_key(const nkey *k) {
  uint64_t h = ge_mix64(k->name + 0x9E3779B97F4A7C15ull);
  h = ge_mix64(h ^ k->file);
  h = ge_mix64(h ^ k->obj);
  h = ge_mix64(h ^ (uint64_t)k->start);
  h = ge_mix64(h ^ (uint64_t)k->line);
  h = ge_mix64(h ^ k->addr);
  return (uint32_t)h;
}

static int key_eq(const nkey *a, const nkey *b) {
  return a->name == b->name && a->file == b->file && a->obj == b->obj && a->start == b->start &&
         a->line == b->line && a->addr == b->addr;
}

static uint32_t node_hash(const void *ctx, uint32_t i) {
  return hash_key(&((const agg *)ctx)->nodes.v[i].k);
}

/* The id of the node keyed k, added when new; GE_NONE when out of memory. */
static uint32_t node_get(agg *a, const nkey *k) {
  if (ge_hashidx_reserve(&a->ix, a->nodes.n, node_hash, a)) return GE_NONE;
  size_t j = ge_hashidx_first(&a->ix, hash_key(k));
  for (uint32_t i; (i = ge_hashidx_at(&a->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&a->ix, j))
    if (key_eq(&a->nodes.v[i].k, k)) return i;
  node *n = GE_VEC_PUSH_SLOT(a->nodes);
  if (!n) return GE_NONE;
  memset(n, 0, sizeof *n);
  n->k = *k;
  ge_hashidx_set(&a->ix, j, (uint32_t)a->nodes.n - 1);
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

void ge_agg_free(agg *a) {
  ge_intern_free(&a->ls);
  free(a->fn_name);
  free(a->fn_file);
  free(a->map_obj);
  GE_VEC_FREE(a->nodes);
  ge_hashidx_free(&a->ix);
  free(a->loc_off);
  GE_VEC_FREE(a->loc_nodes);
}

/* Every function's name and cleaned file, every mapping's file, into the
 * local strings: node keys then compare ids. */
static ge_err intern_names(agg *a, ge_error *err) {
  const ge_profile *p = a->p;
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
  return GE_OK;
}

/* The key of location l's line ln (NULL: a location without lines) at the
 * aggregation's granularity. */
static nkey line_key(const agg *a, const ploc *l, const pline *ln) {
  nkey key = {0, 0, 0, 0, 0, 0};
  uint32_t obj = l->mapping != GE_NONE ? a->map_obj[l->mapping] : 0;
  if (!ln || ln->func == GE_NONE) {
    key.obj = obj;
    if (a->by == GE_PROF_BY_STACK) key.addr = l->address;
    return key;
  }
  const pfunc *f = &a->p->funcs.v[ln->func];
  switch (a->by) {
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
  return key;
}

/* Each location's visible lines as nodes, innermost first. */
static ge_err map_locations(agg *a, const sel *s, ge_error *err) {
  const ge_profile *p = a->p;
  for (size_t i = 0; i < p->locs.n; i++) {
    const ploc *l = &p->locs.v[i];
    a->loc_off[i] = (uint32_t)a->loc_nodes.n;
    if (s->loc && (s->loc[i] & SEL_HIDDEN)) continue;
    uint32_t nl = l->nlines ? l->nlines : 1;
    for (uint32_t k = 0; k < nl; k++) {
      const pline *ln = l->nlines ? &p->lines.v[l->line_off + k] : NULL;
      if (ln && s->line_vis && !s->line_vis[l->line_off + k]) continue;
      nkey key = line_key(a, l, ln);
      uint32_t id = node_get(a, &key);
      uint32_t *slot = GE_VEC_PUSH_SLOT(a->loc_nodes);
      if (id == GE_NONE || !slot) return nomem(err);
      *slot = id;
    }
  }
  a->loc_off[p->locs.n] = (uint32_t)a->loc_nodes.n;
  return GE_OK;
}

ge_err ge_agg_build(agg *a, const ge_profile *p, ge_prof_by by, const sel *s, ge_error *err) {
  memset(a, 0, sizeof *a);
  a->p = p;
  a->by = by;
  ge_intern_init(&a->ls);
  a->fn_name = malloc((p->funcs.n + 1) * sizeof(uint32_t));
  a->fn_file = malloc((p->funcs.n + 1) * sizeof(uint32_t));
  a->map_obj = malloc((p->maps.n + 1) * sizeof(uint32_t));
  a->loc_off = malloc((p->locs.n + 1) * sizeof(uint32_t));
  if (!a->ls.ents || !a->fn_name || !a->fn_file || !a->map_obj || !a->loc_off) return nomem(err);
  ge_err rc = intern_names(a, err);
  return rc ? rc : map_locations(a, s, err);
}

size_t ge_agg_printable(const agg *a, const nkey *k, char *out, size_t cap) {
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

/* A ';' in a name -- Go's generic shapes have them:
 * "(*Pointer[go.shape.struct { a; b }]).Store" -- is written ':' (as
 * stackcollapse-perf.pl does) and a newline ' ', so that a folded line
 * stays one frame per ';' and one stack per line. */
size_t ge_agg_frame_name(const agg *a, uint32_t id, char *out, size_t cap) {
  const nkey *k = &a->nodes.v[id].k;
  const ge_intern_entry *nm = ge_intern_get(&a->ls, k->name);
  size_t n;
  if (nm->len || k->addr) {
    int r = nm->len ? snprintf(out, cap, "%.*s", (int)nm->len, nm->ptr)
                    : snprintf(out, cap, "0x%" PRIx64, k->addr);
    if (r < 0) return 0;
    n = (size_t)r < cap ? (size_t)r : cap - 1;
  } else {
    n = ge_agg_printable(a, k, out, cap);
  }
  for (size_t i = 0; i < n; i++) {
    if (out[i] == ';') out[i] = ':';
    else if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
  }
  return n;
}

/* ----------------------------------------------------------------- stacks */

void ge_stacks_free(stacks *st) {
  GE_VEC_FREE(st->ids);
  GE_VEC_FREE(st->off);
  GE_VEC_FREE(st->val);
  GE_VEC_FREE(st->hash);
  ge_hashidx_free(&st->ix);
}

static uint32_t stack_hash(const void *ctx, uint32_t k) { return ((const stacks *)ctx)->hash.v[k]; }

/* The sequence is the tail of st->ids from `start`; keeps it if new,
 * otherwise drops it and adds w to the existing one. */
static int stacks_add(stacks *st, size_t start, int64_t w) {
  size_t len = st->ids.n - start;
  const uint32_t *seq = st->ids.v + start;
  uint32_t h = ge_hash(seq, len * sizeof *seq);
  if (ge_hashidx_reserve(&st->ix, st->val.n, stack_hash, st)) return -1;
  size_t j = ge_hashidx_first(&st->ix, h);
  for (uint32_t k; (k = ge_hashidx_at(&st->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&st->ix, j)) {
    size_t ks = st->off.v[k], kl = (k + 1 < st->val.n ? st->off.v[k + 1] : start) - ks;
    if (st->hash.v[k] == h && kl == len && memcmp(st->ids.v + ks, seq, len * sizeof *seq) == 0) {
      st->val.v[k] = ge_add64(st->val.v[k], w);
      st->ids.n = start;
      return 0;
    }
  }
  uint32_t *o = GE_VEC_PUSH_SLOT(st->off);
  int64_t *v = GE_VEC_PUSH_SLOT(st->val);
  uint32_t *hh = GE_VEC_PUSH_SLOT(st->hash);
  if (!o || !v || !hh) return -1;
  *o = (uint32_t)start;
  *v = w;
  *hh = h;
  ge_hashidx_set(&st->ix, j, (uint32_t)st->val.n - 1);
  return 0;
}

ge_err ge_stacks_build(const agg *a, const sel *s, size_t si, stacks *st, int64_t *total,
                       ge_error *err) {
  const ge_profile *p = a->p;
  size_t nst = p->st.n;
  for (size_t i = 0; i < p->nsamples; i++) {
    int64_t w = p->values.v[i * nst + si];
    if (w == 0 || !ge_sel_sample(s, i)) continue;
    *total = ge_add64(*total, w);
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

/* ------------------------------------------------------------------ edges */

static uint32_t edge_hash(uint64_t key) { return (uint32_t)ge_mix64(key); }

static uint32_t edge_hash_at(const void *ctx, uint32_t i) {
  return edge_hash(((const edges *)ctx)->key.v[i]);
}

static uint64_t edge_key(uint32_t parent, uint32_t child) {
  return (uint64_t)parent << 32 | child;
}

/* The index of edge k, or GE_HASHIDX_NONE with *slot where it goes. */
static uint32_t edge_probe(const edges *e, uint64_t k, size_t *slot) {
  size_t j = ge_hashidx_first(&e->ix, edge_hash(k));
  uint32_t i;
  while ((i = ge_hashidx_at(&e->ix, j)) != GE_HASHIDX_NONE && e->key.v[i] != k)
    j = ge_hashidx_next(&e->ix, j);
  *slot = j;
  return i;
}

int ge_edge_add(edges *e, uint32_t parent, uint32_t child, int inl) {
  if (ge_hashidx_reserve(&e->ix, e->key.n, edge_hash_at, e)) return -1;
  uint64_t k = edge_key(parent, child);
  size_t j;
  uint32_t i = edge_probe(e, k, &j);
  if (i != GE_HASHIDX_NONE) {
    if (!inl) e->all_inline.v[i] = 0;
    return 0;
  }
  uint64_t *kk = GE_VEC_PUSH_SLOT(e->key);
  uint8_t *ii = GE_VEC_PUSH_SLOT(e->all_inline);
  if (!kk || !ii) return -1;
  *kk = k;
  *ii = (uint8_t)inl;
  ge_hashidx_set(&e->ix, j, (uint32_t)e->key.n - 1);
  return 0;
}

size_t ge_edge_find(const edges *e, uint32_t parent, uint32_t child) {
  size_t j;
  uint32_t i = edge_probe(e, edge_key(parent, child), &j);
  return i == GE_HASHIDX_NONE ? SIZE_MAX : i;
}

void ge_edges_free(edges *e) {
  GE_VEC_FREE(e->key);
  GE_VEC_FREE(e->all_inline);
  ge_hashidx_free(&e->ix);
}
