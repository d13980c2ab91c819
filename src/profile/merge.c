/* Merging profiles as google/pprof's profile/merge.go does: profiles must
 * have the same sample types; functions (name, system name, file, start
 * line), mappings (range, offset, file, build id), locations (mapping,
 * address, lines, folded) and samples (locations, labels) are unified by
 * content; values of equal samples are summed; all-zero input samples are
 * dropped. Period is the largest, time the earliest, duration the sum;
 * default sample type, period type and drop/keep frames come from the first
 * profile. Diff = merge(p, base scaled by -1 and labelled pprof::base). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model.h"

/* An index over records of the output, by hash with caller equality. */
typedef struct hix {
  ge_hashidx ix;
  GE_VEC(uint32_t) hash; /* per record */
} hix;

typedef int (*eq_fn)(const void *ctx, uint32_t idx);

static uint32_t hix_hash(const void *ctx, uint32_t i) { return ((const hix *)ctx)->hash.v[i]; }

/* Finds the record equal to ctx (hash h) or reserves slot for a new record
 * with index `count` (the caller must then push it). -1 out of memory. */
static int hix_find(hix *x, uint64_t h64, size_t count, eq_fn eq, const void *ctx, uint32_t *idx,
                    int *added) {
  uint32_t h = (uint32_t)h64;
  if (ge_hashidx_reserve(&x->ix, count, hix_hash, x)) return -1;
  size_t j = ge_hashidx_first(&x->ix, h);
  for (uint32_t k; (k = ge_hashidx_at(&x->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&x->ix, j)) {
    if (x->hash.v[k] == h && eq(ctx, k)) {
      *idx = k;
      *added = 0;
      return 0;
    }
  }
  uint32_t *hh = GE_VEC_PUSH_SLOT(x->hash);
  if (!hh) return -1;
  *hh = h;
  ge_hashidx_set(&x->ix, j, (uint32_t)count);
  *idx = (uint32_t)count;
  *added = 1;
  return 0;
}

static void hix_free(hix *x) {
  ge_hashidx_free(&x->ix);
  GE_VEC_FREE(x->hash);
}

static uint64_t mix(uint64_t h, uint64_t v) { return ge_mix64(h ^ v); }

typedef struct mg {
  ge_profile *Q;
  hix fx, mx, lx, sx;
  /* the candidate being looked up */
  const void *cand;
  uint32_t cand_n;
  const plabel *cand_lab;
  uint32_t cand_nlab;
} mg;

static int eq_func(const void *ctx, uint32_t i) {
  const mg *m = ctx;
  const pfunc *a = m->cand, *b = &m->Q->funcs.v[i];
  return a->name == b->name && a->sysname == b->sysname && a->file == b->file &&
         a->start_line == b->start_line;
}

static int eq_map(const void *ctx, uint32_t i) {
  const mg *m = ctx;
  const pmap *a = m->cand, *b = &m->Q->maps.v[i];
  return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
         a->file == b->file && a->build_id == b->build_id;
}

/* cand: ploc with lines in Q->lines tail at line_off (not yet committed) */
static int eq_loc(const void *ctx, uint32_t i) {
  const mg *m = ctx;
  const ploc *a = m->cand, *b = &m->Q->locs.v[i];
  if (a->address != b->address || a->mapping != b->mapping || a->nlines != b->nlines ||
      a->folded != b->folded)
    return 0;
  for (uint32_t k = 0; k < a->nlines; k++) {
    const pline *x = &m->Q->lines.v[a->line_off + k], *y = &m->Q->lines.v[b->line_off + k];
    if (x->func != y->func || x->line != y->line || x->column != y->column) return 0;
  }
  return 1;
}

/* cand: location indices (cand, cand_n) and labels (cand_lab, cand_nlab) */
static int eq_sample(const void *ctx, uint32_t i) {
  const mg *m = ctx;
  const ge_profile *Q = m->Q;
  uint32_t lo = Q->s_loff.v[i], hi = Q->s_loff.v[i + 1];
  if (hi - lo != m->cand_n) return 0;
  if (m->cand_n && memcmp(Q->s_locs.v + lo, m->cand, m->cand_n * 4)) return 0;
  uint32_t a = Q->s_lab.v[i], b = Q->s_lab.v[i + 1];
  if (b - a != m->cand_nlab) return 0;
  for (uint32_t k = 0; k < m->cand_nlab; k++) {
    const plabel *x = &Q->labels.v[a + k], *y = &m->cand_lab[k];
    if (x->key != y->key || x->str != y->str || x->unit != y->unit || x->num != y->num ||
        x->is_num != y->is_num)
      return 0;
  }
  return 1;
}

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "merge: out of memory"); }

static uint32_t restr(ge_profile *Q, const ge_profile *src, uint32_t id) {
  const ge_intern_entry *e = ge_intern_get(&src->str, id);
  return ge_intern_add(&Q->str, e->ptr, e->len);
}

static ge_err merge_one(mg *m, const ge_profile *P, double scale, const char *label,
                        ge_error *err) {
  ge_profile *Q = m->Q;
  uint32_t *fmap = malloc((P->funcs.n + 1) * sizeof *fmap);
  uint32_t *mmap = malloc((P->maps.n + 1) * sizeof *mmap);
  uint32_t *lmap = malloc((P->locs.n + 1) * sizeof *lmap);
  GE_VEC(uint32_t) seq = {0};
  GE_VEC(plabel) labs = {0};
  GE_VEC(int64_t) vals = {0};
  ge_err rc = GE_OK;
  if (!fmap || !mmap || !lmap) {
    rc = nomem(err);
    goto out;
  }
  uint32_t id;
  int added;
  for (size_t i = 0; i < P->funcs.n; i++) {
    const pfunc *f = &P->funcs.v[i];
    pfunc c = {0, restr(Q, P, f->name), restr(Q, P, f->sysname), restr(Q, P, f->file),
               f->start_line};
    if (c.name == UINT32_MAX || c.sysname == UINT32_MAX || c.file == UINT32_MAX) goto oom;
    uint64_t h = mix(mix(mix(0, c.name), c.sysname), c.file);
    h = mix(h, (uint64_t)c.start_line);
    m->cand = &c;
    if (hix_find(&m->fx, h, Q->funcs.n, eq_func, m, &id, &added)) goto oom;
    if (added) {
      pfunc *nf = GE_VEC_PUSH_SLOT(Q->funcs);
      if (!nf) goto oom;
      c.id = Q->funcs.n;
      *nf = c;
    }
    fmap[i] = id;
  }
  for (size_t i = 0; i < P->maps.n; i++) {
    pmap c = P->maps.v[i];
    c.file = restr(Q, P, c.file);
    c.build_id = restr(Q, P, c.build_id);
    if (c.file == UINT32_MAX || c.build_id == UINT32_MAX) goto oom;
    uint64_t h = mix(mix(mix(mix(mix(0, c.start), c.limit), c.offset), c.file),
                     c.build_id);
    m->cand = &c;
    if (hix_find(&m->mx, h, Q->maps.n, eq_map, m, &id, &added)) goto oom;
    if (added) {
      pmap *nm = GE_VEC_PUSH_SLOT(Q->maps);
      if (!nm) goto oom;
      c.id = Q->maps.n;
      *nm = c;
    } else {
      pmap *o = &Q->maps.v[id];
      o->has_functions |= c.has_functions;
      o->has_filenames |= c.has_filenames;
      o->has_line_numbers |= c.has_line_numbers;
      o->has_inline_frames |= c.has_inline_frames;
    }
    mmap[i] = id;
  }
  for (size_t i = 0; i < P->locs.n; i++) {
    const ploc *l = &P->locs.v[i];
    ploc c = {0, l->address, l->mapping == GE_NONE ? GE_NONE : mmap[l->mapping],
              (uint32_t)Q->lines.n, l->nlines, l->folded};
    uint64_t h = mix(mix(0, c.address), c.mapping);
    for (uint32_t k = 0; k < l->nlines; k++) {
      const pline *ln = &P->lines.v[l->line_off + k];
      pline *nl = GE_VEC_PUSH_SLOT(Q->lines);
      if (!nl) goto oom;
      nl->func = ln->func == GE_NONE ? GE_NONE : fmap[ln->func];
      nl->line = ln->line;
      nl->column = ln->column;
      h = mix(mix(h, nl->func), (uint64_t)nl->line);
    }
    m->cand = &c;
    if (hix_find(&m->lx, h, Q->locs.n, eq_loc, m, &id, &added)) goto oom;
    if (added) {
      ploc *nl = GE_VEC_PUSH_SLOT(Q->locs);
      if (!nl) goto oom;
      c.id = Q->locs.n;
      *nl = c;
    } else {
      Q->lines.n = c.line_off; /* drop the tentative lines */
    }
    lmap[i] = id;
  }
  uint32_t lkey = 0, lval = 0;
  if (label) {
    const char *eq = strchr(label, '=');
    size_t kl = eq ? (size_t)(eq - label) : strlen(label);
    lkey = ge_intern_add(&Q->str, label, kl);
    lval = eq ? ge_intern_add(&Q->str, eq + 1, strlen(eq + 1)) : 0;
    if (lkey == UINT32_MAX || lval == UINT32_MAX) goto oom;
  }
  size_t nst = P->st.n;
  if (ge_vec_reserve((void **)&vals.v, &vals.cap, 0, nst + 1, sizeof(int64_t))) goto oom;
  for (size_t i = 0; i < P->nsamples; i++) {
    const int64_t *v = P->values.v + i * nst;
    int zero = 1;
    for (size_t k = 0; k < nst; k++)
      if (v[k]) zero = 0;
    if (zero) continue;
    seq.n = labs.n = 0;
    uint64_t h = 0;
    for (uint32_t k = P->s_loff.v[i]; k < P->s_loff.v[i + 1]; k++) {
      uint32_t *s = GE_VEC_PUSH_SLOT(seq);
      if (!s) goto oom;
      *s = lmap[P->s_locs.v[k]];
      h = mix(h, *s);
    }
    for (uint32_t k = P->s_lab.v[i]; k < P->s_lab.v[i + 1]; k++) {
      const plabel *lb = &P->labels.v[k];
      plabel *nl = GE_VEC_PUSH_SLOT(labs);
      if (!nl) goto oom;
      *nl = (plabel){restr(Q, P, lb->key), restr(Q, P, lb->str), restr(Q, P, lb->unit),
                     lb->is_num, lb->num};
      if (nl->key == UINT32_MAX || nl->str == UINT32_MAX || nl->unit == UINT32_MAX) goto oom;
      h = mix(mix(mix(h, nl->key), nl->str), (uint64_t)nl->num);
    }
    if (label) {
      plabel *nl = GE_VEC_PUSH_SLOT(labs);
      if (!nl) goto oom;
      *nl = (plabel){lkey, lval, 0, 0, 0};
      h = mix(mix(mix(h, nl->key), nl->str), 0);
    }
    m->cand = seq.v;
    m->cand_n = (uint32_t)seq.n;
    m->cand_lab = labs.v;
    m->cand_nlab = (uint32_t)labs.n;
    for (size_t k = 0; k < nst; k++)
      vals.v[k] = scale == 1 ? v[k] : ge_d2i(round((double)v[k] * scale));
    if (hix_find(&m->sx, h, Q->nsamples, eq_sample, m, &id, &added)) goto oom;
    if (added) {
      if (Q->nsamples >= Q->lim.max_records) {
        rc = ge_fail(err, GE_ERR_LIMIT, "merge: more than max_records samples");
        goto out;
      }
      for (size_t k = 0; k < seq.n; k++) {
        uint32_t *s = GE_VEC_PUSH_SLOT(Q->s_locs);
        if (!s) goto oom;
        *s = seq.v[k];
      }
      for (size_t k = 0; k < labs.n; k++) {
        plabel *s = GE_VEC_PUSH_SLOT(Q->labels);
        if (!s) goto oom;
        *s = labs.v[k];
      }
      for (size_t k = 0; k < nst; k++) {
        int64_t *s = GE_VEC_PUSH_SLOT(Q->values);
        if (!s) goto oom;
        *s = vals.v[k];
      }
      if (ge_prof_end_sample(Q)) goto oom;
    } else {
      for (size_t k = 0; k < nst; k++) Q->values.v[id * nst + k] = ge_add64(Q->values.v[id * nst + k], vals.v[k]);
    }
  }
  goto out;
oom:
  rc = nomem(err);
out:
  free(fmap);
  free(mmap);
  free(lmap);
  GE_VEC_FREE(seq);
  GE_VEC_FREE(labs);
  GE_VEC_FREE(vals);
  return rc;
}

static int same_types(const ge_profile *a, const ge_profile *b) {
  if (a->st.n != b->st.n) return 0;
  for (size_t i = 0; i < a->st.n; i++) {
    ge_strview x = ge_prof_str(a, a->st.v[i].type), y = ge_prof_str(b, b->st.v[i].type);
    ge_strview xu = ge_prof_str(a, a->st.v[i].unit), yu = ge_prof_str(b, b->st.v[i].unit);
    if (x.len != y.len || memcmp(x.ptr, y.ptr, x.len) || xu.len != yu.len ||
        memcmp(xu.ptr, yu.ptr, xu.len))
      return 0;
  }
  return 1;
}

ge_err ge_profile_merge(const ge_profile *const *ps, size_t n, const double *scales,
                        const char *const *labels, ge_profile **out, ge_error *err) {
  *out = NULL;
  if (n == 0) return ge_fail(err, GE_ERR_ARG, "merge: no profiles");
  for (size_t i = 1; i < n; i++)
    if (!same_types(ps[0], ps[i]))
      return ge_fail(err, GE_ERR_ARG,
                     "merge: profile %zu has different sample types than profile 1", i + 1);
  const ge_profile *F = ps[0];
  ge_profile *Q = ge_prof_new(&F->lim);
  if (!Q) return nomem(err);
  mg m;
  memset(&m, 0, sizeof m);
  m.Q = Q;
  ge_err rc = GE_OK;
  if (ge_prof_begin_samples(Q)) rc = nomem(err);
  for (size_t i = 0; !rc && i < F->st.n; i++) {
    pvt *t = GE_VEC_PUSH_SLOT(Q->st);
    if (!t) {
      rc = nomem(err);
      break;
    }
    t->type = restr(Q, F, F->st.v[i].type);
    t->unit = restr(Q, F, F->st.v[i].unit);
  }
  if (!rc) {
    Q->period_type.type = restr(Q, F, F->period_type.type);
    Q->period_type.unit = restr(Q, F, F->period_type.unit);
    Q->default_st = restr(Q, F, F->default_st);
    Q->drop_frames = restr(Q, F, F->drop_frames);
    Q->keep_frames = restr(Q, F, F->keep_frames);
    Q->format = F->format;
  }
  for (size_t i = 0; !rc && i < n; i++) {
    const ge_profile *P = ps[i];
    if (P->period > Q->period) Q->period = P->period;
    if (P->time_nanos && (!Q->time_nanos || P->time_nanos < Q->time_nanos))
      Q->time_nanos = P->time_nanos;
    Q->duration_nanos = ge_add64(Q->duration_nanos, P->duration_nanos);
    for (size_t k = 0; k < P->comments.n && !rc; k++) {
      uint32_t c = restr(Q, P, P->comments.v[k]);
      int dup = 0;
      for (size_t j = 0; j < Q->comments.n; j++) dup |= Q->comments.v[j] == c;
      if (dup) continue;
      uint32_t *s = GE_VEC_PUSH_SLOT(Q->comments);
      if (!s) rc = nomem(err);
      else *s = c;
    }
    if (!rc) rc = merge_one(&m, P, scales ? scales[i] : 1, labels ? labels[i] : NULL, err);
  }
  hix_free(&m.fx);
  hix_free(&m.mx);
  hix_free(&m.lx);
  hix_free(&m.sx);
  if (rc) {
    ge_profile_free(Q);
    return rc;
  }
  *out = Q;
  return GE_OK;
}

ge_err ge_profile_diff(const ge_profile *p, const ge_profile *base, ge_profile **out,
                       ge_error *err) {
  const ge_profile *ps[2] = {p, base};
  const double scales[2] = {1, -1};
  const char *labels[2] = {NULL, "pprof::base=true"};
  return ge_profile_merge(ps, 2, scales, labels, out, err);
}
