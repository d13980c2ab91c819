/* The top report, as `go tool pprof -top -nodefraction=0` prints it: a row
 * per node of the aggregation (graph.h), or per distinct stack by stack.
 *   - per sample, cum is added once to every distinct node of its stack
 *     (recursion counted once) and flat to the leaf-most node;
 *   - nodes with flat == cum == 0 are dropped; rows sort by |flat| desc,
 *     printable name, |cum| desc. */
#include "top.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "graph.h"

struct ge_prof_top {
  ge_intern ls; /* the strings rows point into */
  ge_prof_row *rows;
  size_t n;
  char *names;
  int64_t total, report_total;
};

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "out of memory"); }

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

/* pprof's inline labels: an edge caller -> callee is inline when the callee
 * was an inlined frame of the caller's location, on every path that added
 * it; a row is "(inline)" when some edge into it is inline,
 * "(partial-inline)" when others are not. Per node: */
enum {
  INLINE_EDGE_IN = 1,   /* an all-inline edge leads to it */
  CALL_EDGE_IN = 2,     /* some other edge does */
  INLINED_SOMEWHERE = 4 /* an inlined frame of some location */
};

/* What the rows are made from. */
typedef struct tally {
  agg a;
  stacks st;    /* by stack: the distinct stacks and their values */
  uint8_t *inl; /* otherwise: per node, the bits above */
  int64_t total;
} tally;

/* The inline edges of the locations some selected sample of type si
 * walks: each location's frames, outermost calling the next inner one. */
static ge_err add_inline_edges(tally *tl, const sel *s, size_t si, edges *ed, ge_error *err) {
  const agg *a = &tl->a;
  const ge_profile *p = a->p;
  size_t nst = p->st.n;
  uint8_t *used = calloc(p->locs.n + 1, 1);
  if (!used) return nomem(err);
  for (size_t i = 0; i < p->nsamples; i++) {
    if (p->values.v[i * nst + si] == 0 || !ge_sel_sample(s, i)) continue;
    for (uint32_t k = p->s_loff.v[i]; k < p->s_loff.v[i + 1]; k++) used[p->s_locs.v[k]] = 1;
  }
  for (size_t li = 0; li < p->locs.n; li++) {
    if (!used[li]) continue;
    for (uint32_t j = a->loc_off[li]; j + 1 < a->loc_off[li + 1]; j++) {
      if (ge_edge_add(ed, a->loc_nodes.v[j + 1], a->loc_nodes.v[j], 1)) {
        free(used);
        return nomem(err);
      }
      tl->inl[a->loc_nodes.v[j]] |= INLINED_SOMEWHERE;
    }
  }
  free(used);
  return GE_OK;
}

/* Adds sample i's value w to the cum of every distinct node of its stack
 * and to the flat of its leaf-most node. Each location's outermost frame
 * is called by the previous location's innermost one: that call makes the
 * edge between them not all-inline. */
static void weigh_sample(tally *tl, size_t i, int64_t w, edges *ed) {
  const ge_profile *p = tl->a.p;
  /* Locals, not fields or array bounds: the stores into nodes and inl may
   * alias them, which the compiler would then reload on every frame. */
  node *nodes = tl->a.nodes.v;
  const uint32_t *loc_off = tl->a.loc_off, *loc_nodes = tl->a.loc_nodes.v;
  const uint32_t *locs = p->s_locs.v;
  uint8_t *inl = tl->inl;
  uint32_t first = p->s_loff.v[i], end = p->s_loff.v[i + 1];
  uint32_t stamp = (uint32_t)i + 1, leaf = GE_NONE;
  for (uint32_t k = end; k-- > first;) {
    uint32_t li = locs[k], lo = loc_off[li], hi = loc_off[li + 1];
    for (uint32_t j = hi; j-- > lo;) {
      uint32_t id = loc_nodes[j];
      node *n = &nodes[id];
      if (n->stamp != stamp) {
        n->stamp = stamp;
        n->cum = ge_add64(n->cum, w);
      }
      if (leaf != GE_NONE && j == hi - 1) {
        inl[id] |= CALL_EDGE_IN;
        if (inl[id] & INLINED_SOMEWHERE) {
          size_t e = ge_edge_find(ed, leaf, id);
          if (e != SIZE_MAX) ed->all_inline.v[e] = 0;
        }
      }
      leaf = id;
    }
  }
  if (leaf != GE_NONE) nodes[leaf].flat = ge_add64(nodes[leaf].flat, w);
}

/* Every node's flat and cum over the samples s selects, and its inline
 * bits. */
static ge_err weigh_nodes(tally *tl, const sel *s, size_t si, ge_error *err) {
  const ge_profile *p = tl->a.p;
  size_t nst = p->st.n;
  edges ed;
  memset(&ed, 0, sizeof ed);
  tl->inl = calloc(tl->a.nodes.n + 1, 1);
  if (!tl->inl) return nomem(err);
  ge_err rc = add_inline_edges(tl, s, si, &ed, err);
  if (rc) {
    ge_edges_free(&ed);
    return rc;
  }
  for (size_t i = 0; i < p->nsamples; i++) {
    int64_t w = p->values.v[i * nst + si];
    if (w == 0 || !ge_sel_sample(s, i)) continue;
    tl->total = ge_add64(tl->total, w);
    weigh_sample(tl, i, w, &ed);
  }
  for (size_t j = 0; j < ed.key.n; j++) {
    uint32_t child = ge_edge_child(&ed, j);
    if (child < tl->a.nodes.n) tl->inl[child] |= ed.all_inline.v[j] ? INLINE_EDGE_IN : CALL_EDGE_IN;
  }
  ge_edges_free(&ed);
  return GE_OK;
}

/* Row names go into one buffer, as offsets until it stops growing. */
typedef GE_VEC(char) strbuf;

static int sb_reserve(strbuf *b, size_t need) {
  return ge_vec_reserve((void **)&b->v, &b->cap, b->n, need, 1);
}

/* The next row, named by names from `at` on. */
static ge_prof_row *new_row(ge_prof_top *t, const strbuf *names, size_t at, int64_t flat,
                            int64_t cum) {
  ge_prof_row *r = &t->rows[t->n++];
  r->name.ptr = (const char *)(uintptr_t)at;
  r->name.len = names->n - at;
  r->flat = flat;
  r->cum = cum;
  return r;
}

/* Appends "a;b;c" for stack k. */
static int stack_string(const agg *a, const stacks *st, size_t k, strbuf *b) {
  size_t s = st->off.v[k], e = ge_stack_end(st, k);
  char tmp[1024];
  for (size_t i = s; i < e; i++) {
    size_t n = ge_agg_frame_name(a, st->ids.v[i], tmp, sizeof tmp);
    if (sb_reserve(b, n + 1)) return -1;
    if (i > s) b->v[b->n++] = ';';
    memcpy(b->v + b->n, tmp, n);
    b->n += n;
  }
  return 0;
}

/* A row per stack with a nonzero value. */
static ge_err stack_rows(const tally *tl, ge_prof_top *t, strbuf *names, ge_error *err) {
  for (size_t i = 0; i < tl->st.val.n; i++) {
    int64_t v = tl->st.val.v[i];
    size_t at = names->n;
    if (v == 0) continue;
    if (stack_string(&tl->a, &tl->st, i, names)) return nomem(err);
    ge_prof_row *r = new_row(t, names, at, v, v);
    r->func = r->file = r->objfile = (ge_strview){"", 0};
  }
  return GE_OK;
}

static ge_strview local_str(const agg *a, uint32_t id) {
  const ge_intern_entry *e = ge_intern_get(&a->ls, id);
  return (ge_strview){e->ptr, e->len};
}

/* A row per node with a nonzero flat or cum. */
static ge_err node_rows(const tally *tl, ge_prof_top *t, strbuf *names, ge_error *err) {
  for (size_t i = 0; i < tl->a.nodes.n; i++) {
    const node *n = &tl->a.nodes.v[i];
    size_t at = names->n;
    if (n->flat == 0 && n->cum == 0) continue;
    if (sb_reserve(names, 4096)) return nomem(err);
    names->n += ge_agg_printable(&tl->a, &n->k, names->v + names->n, 4096);
    ge_prof_row *r = new_row(t, names, at, n->flat, n->cum);
    r->func = local_str(&tl->a, n->k.name);
    r->file = local_str(&tl->a, n->k.file);
    r->objfile = local_str(&tl->a, n->k.obj);
    r->line = n->k.line;
    uint8_t f = tl->inl[i] & (INLINE_EDGE_IN | CALL_EDGE_IN);
    r->inl = f == INLINE_EDGE_IN ? 1 : f == (INLINE_EDGE_IN | CALL_EDGE_IN) ? 2 : 0;
  }
  return GE_OK;
}

static int row_cmp(const void *x, const void *y) {
  const ge_prof_row *a = x, *b = y;
  int64_t fa = ge_abs64(a->flat), fb = ge_abs64(b->flat);
  if (fa != fb) return fa > fb ? -1 : 1;
  int c = ge_sv_cmp(a->name, b->name);
  if (c) return c;
  int64_t ca = ge_abs64(a->cum), cb = ge_abs64(b->cum);
  if (ca != cb) return ca > cb ? -1 : 1;
  if ((c = ge_sv_cmp(a->func, b->func))) return c;
  if ((c = ge_sv_cmp(a->file, b->file))) return c;
  if (a->line != b->line) return a->line < b->line ? -1 : 1;
  return ge_sv_cmp(a->objfile, b->objfile);
}

/* The sorted rows of the tally; they point into its local strings, which
 * move into the report. */
static ge_err make_rows(tally *tl, ge_prof_by by, ge_prof_top *t, ge_error *err) {
  size_t cand = by == GE_PROF_BY_STACK ? tl->st.val.n : tl->a.nodes.n;
  strbuf names = {NULL, 0, 0};
  t->rows = calloc(cand + 1, sizeof *t->rows);
  if (!t->rows) return nomem(err);
  ge_err rc = by == GE_PROF_BY_STACK ? stack_rows(tl, t, &names, err)
                                     : node_rows(tl, t, &names, err);
  if (rc) {
    free(names.v);
    return rc;
  }
  for (size_t i = 0; i < t->n; i++) t->rows[i].name.ptr = names.v + (uintptr_t)t->rows[i].name.ptr;
  qsort(t->rows, t->n, sizeof *t->rows, row_cmp);
  t->names = names.v;
  t->ls = tl->a.ls;
  memset(&tl->a.ls, 0, sizeof tl->a.ls);
  return GE_OK;
}

static void tally_free(tally *tl) {
  free(tl->inl);
  ge_stacks_free(&tl->st);
  ge_agg_free(&tl->a);
}

ge_err ge_profile_top(const ge_profile *p, const ge_prof_query *q, ge_prof_top **out,
                      ge_error *err) {
  *out = NULL;
  if (q->sample >= p->st.n) return ge_fail(err, GE_ERR_ARG, "sample type index out of range");
  sel s;
  ge_err rc = ge_sel_init(&s, p, q, err);
  if (rc) return rc;
  tally tl;
  memset(&tl, 0, sizeof tl);
  ge_prof_top *t = NULL;
  rc = ge_agg_build(&tl.a, p, q->by, &s, err);
  if (!rc && q->by == GE_PROF_BY_STACK)
    rc = ge_stacks_build(&tl.a, &s, q->sample, &tl.st, &tl.total, err);
  else if (!rc)
    rc = weigh_nodes(&tl, &s, q->sample, err);
  if (!rc && !(t = calloc(1, sizeof *t))) rc = nomem(err);
  if (!rc) rc = make_rows(&tl, q->by, t, err);
  if (!rc) {
    t->total = tl.total;
    t->report_total = report_total(p, q->sample);
  }
  tally_free(&tl);
  ge_sel_free(&s);
  if (rc) {
    ge_prof_top_free(t);
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

static int name_cmp(const void *x, const void *y) {
  const ge_prof_row *a = x, *b = y;
  return ge_sv_cmp(a->name, b->name);
}

void ge_prof_top_sort_by_name(ge_prof_top *t) { qsort(t->rows, t->n, sizeof *t->rows, name_cmp); }
